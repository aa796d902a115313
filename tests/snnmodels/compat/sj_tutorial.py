"""Runs SpikingJelly tutorial snippets on ``snnmodels.compat.spikingjelly`` (imports changed) and on SpikingJelly,
for ``test_sj_tutorials*.py``."""

from __future__ import annotations

import contextlib
import io
import re
from typing import Any

import torch

from tests.snnmodels.peers import spikingjelly

OURS = "snnmodels.compat.spikingjelly"


def _ours(code: str) -> str:
    code = re.sub(r"^(\s*(?:from|import)\s+)spikingjelly\.activation_based\b", rf"\g<1>{OURS}", code, flags=re.M)
    return re.sub(r"^(\s*)from spikingjelly import ", rf"\g<1>from {OURS} import ", code, flags=re.M)


def run(code: str, peer: bool = False, seed: int = 0, **given: Any) -> tuple[dict[str, Any], str]:
    """Execute ``code`` (imports pointed at ours unless ``peer``) from a fixed seed: (its variables, its stdout)."""
    if peer:
        spikingjelly()  # importable, with its optional tensorboard stubbed
    torch.manual_seed(seed)
    namespace: dict[str, Any] = {"__name__": "tutorial", **given}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code if peer else _ours(code), "<tutorial>", "exec"), namespace)
    return namespace, out.getvalue()


def same(code: str, *names: str, seed: int = 0, **given: Any) -> dict[str, Any]:
    """Run ``code`` on ours and on SpikingJelly; the named variables (or, with none, stdout) must be equal."""
    ours, out_ours = run(code, seed=seed, **given)
    theirs, out_theirs = run(code, peer=True, seed=seed, **given)
    if not names:
        assert out_ours == out_theirs
    for name in names:
        a, b = ours[name], theirs[name]
        if isinstance(a, torch.Tensor):
            torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
        else:
            assert a == b, name
    return ours
