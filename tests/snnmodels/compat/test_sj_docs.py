"""docs/compat.md's SpikingJelly migration example runs as written and prints what it prints with SpikingJelly's
imports."""

from __future__ import annotations

import re

from tests.conftest import REPO
from tests.snnmodels.compat.sj_tutorial import OURS, run


def _example() -> str:
    text = (REPO / "docs" / "compat.md").read_text()
    start = text.index("<!-- section: spikingjelly-activation-based -->")
    section = text[start : text.index("<!-- section:", start + 1)]
    (code,) = re.findall(r"^```python\n(.*?)^```", section, re.S | re.M)
    return code


def test_the_migration_example_in_docs_runs() -> None:
    code = _example()
    assert f"from {OURS} import" in code
    ns, out = run(code)
    assert out.endswith("v after reset_net: 0.0\n")
    assert ns["loss"].item() > 0


def test_the_migration_example_in_docs_prints_what_spikingjelly_prints() -> None:
    code = _example()
    _, out_peer = run(code.replace(OURS, "spikingjelly.activation_based"), peer=True)
    assert run(code)[1] == out_peer
