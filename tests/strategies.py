"""Hypothesis strategies shared by the tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


@st.composite
def streams(draw: st.DrawFn, max_events: int = 120) -> tuple[dict, int, int]:
    h = draw(st.integers(1, 5))
    w = draw(st.integers(1, 6))
    n = draw(st.integers(0, max_events))
    span = draw(st.sampled_from([0, 3, 17, 100, 1000, 10**6]))
    t0 = draw(st.integers(0, 10**9))
    seed = draw(st.integers(0, 2**32 - 1))
    r = np.random.default_rng(seed)
    t = np.sort(r.integers(t0, t0 + span + 1, n)).astype(np.int64)
    if n and draw(st.booleans()):  # a burst, then a gap: empty windows
        t[: n // 2] = t0
    ev = {
        "t": t,
        "x": r.integers(0, w, n).astype(np.uint16),
        "y": r.integers(0, h, n).astype(np.uint16),
        "p": r.integers(0, 2, n).astype(np.int8),
    }
    return ev, h, w
