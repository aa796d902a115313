"""Window counts of arbitrary keys (frames with any number of channels) against a plain loop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurodata.integrate.keys import count_key_windows


@given(st.integers(1, 40), st.integers(0, 300), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_counts_equal_a_loop(n_bins: int, n: int, m: int, seed: int) -> None:
    r = np.random.default_rng(seed)
    keys = r.integers(0, n_bins, n)
    starts = r.integers(0, n + 1, m)
    stops = np.minimum(starts + r.integers(0, n + 1, m), n)  # overlapping and empty windows
    want = np.zeros((m, n_bins), dtype=np.int64)
    for j in range(m):
        for k in keys[starts[j] : stops[j]]:
            want[j, k] += 1
    got = count_key_windows(keys, n_bins, starts, stops, dtype=np.int32)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, want)


def test_bad_keys_and_narrow_dtypes() -> None:
    with pytest.raises(ValueError, match=r"key 7 at index 1 is outside 0\.\.6"):
        count_key_windows(np.array([0, 7]), 7, [0], [2])
    with pytest.raises(ValueError, match="does not fit int8"):
        count_key_windows(np.zeros(200, dtype=np.int64), 3, [0], [200], dtype=np.int8)
