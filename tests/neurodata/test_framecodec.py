"""The frame cache's codec: exact round trips, the documented byte layout, refusal of bad streams."""

from __future__ import annotations

import numpy as np
import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from neurodata import framecodec
from neurodata.errors import CacheError


def test_layout_matches_the_documented_steps_and_values() -> None:
    flat = np.zeros(320, dtype=np.uint16)
    flat[[2, 4, 305]] = [5, 1, 300]
    enc = framecodec.encode(flat.reshape(4, 2, 2, 20))
    # positions 2, 4, 305 -> steps 2, 2, 301; 301 is spelt 255 (a zero value) + 46
    assert list(zstandard.decompress(enc.steps)) == [2, 2, 255, 46]
    assert enc.value_bytes == 2  # 300 needs 16 bits
    assert np.frombuffer(zstandard.decompress(enc.values), dtype=np.uint16).tolist() == [5, 1, 0, 300]


@given(
    hnp.arrays(
        dtype=st.sampled_from([np.uint8, np.uint16, np.int32, np.int64, np.bool_]),
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=40),
        elements=st.integers(0, 1),
    ),
    st.integers(0, 3),
    st.integers(0, 2**31 - 1),
)
def test_round_trip_is_exact(mask: np.ndarray, scale: int, seed: int) -> None:
    # sparse patterns with long zero runs, and counts that need 1, 2 or 4 bytes
    rng = np.random.default_rng(seed)
    frames = mask.copy()
    if frames.dtype != np.bool_:
        top = min(int(np.iinfo(frames.dtype).max), [3, 300, 70_000, 2**40][scale])
        frames = (mask.astype(np.int64) * rng.integers(1, top + 1, mask.shape)).astype(mask.dtype)
    enc = framecodec.encode(frames)
    np.testing.assert_array_equal(framecodec.decode(enc, frames.shape, frames.dtype), frames)
    as_float = framecodec.decode(enc, frames.shape, np.float64)
    np.testing.assert_array_equal(as_float, frames.astype(np.float64))


def test_decode_into_overwrites_a_dirty_buffer_unless_told_it_is_zero(rng: np.random.Generator) -> None:
    frames = (rng.random((3, 2, 5, 7)) < 0.2) * rng.integers(1, 9, (3, 2, 5, 7))
    enc = framecodec.encode(frames)
    out = np.full(frames.shape, 7.0, dtype=np.float32)
    framecodec.decode_into(enc.steps, enc.values, enc.value_bytes, out)
    np.testing.assert_array_equal(out, frames)
    with pytest.raises(ValueError, match="C-contiguous"):
        framecodec.decode_into(enc.steps, enc.values, enc.value_bytes, np.zeros((7, 5, 2, 3)).T)


def test_bad_input_and_corrupt_streams_are_refused() -> None:
    with pytest.raises(ValueError, match="integer counts or floats"):
        framecodec.encode(np.ones(4, dtype=np.complex64))
    with pytest.raises(ValueError, match="non-negative"):
        framecodec.encode(np.array([0, -1, 2]))
    enc = framecodec.encode(np.array([0, 3, 0, 0, 1], dtype=np.uint8))
    out = np.zeros(5, dtype=np.float32)
    with pytest.raises(CacheError, match="corrupt stream"):
        framecodec.decode_into(enc.steps[:-3], enc.values, enc.value_bytes, out)
    with pytest.raises(CacheError, match="2 positions but 1 values"):
        framecodec.decode_into(enc.steps, zstandard.compress(b"\x01"), 1, out)
    with pytest.raises(CacheError, match="position 4 outside a stack of 3"):
        framecodec.decode_into(enc.steps, enc.values, enc.value_bytes, np.zeros(3))
    with pytest.raises(CacheError, match="unknown value width 3"):
        framecodec.decode_into(enc.steps, enc.values, 3, out)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_stacks_round_trip_bit_for_bit(rng: np.random.Generator, dtype: type) -> None:
    frames = np.zeros((3, 2, 7, 9), dtype=dtype)
    mask = rng.random(frames.shape) < 0.3
    frames[mask] = rng.normal(size=int(mask.sum())).astype(dtype)
    frames[0, 0, 0, :3] = [-0.0, np.nan, np.inf]  # bit patterns a value test would miss
    frames[2, 1, 6, 8] = np.finfo(dtype).tiny  # a long gap before the last entry: 255-steps
    frames[2, 1, 0, 0] = 0.0
    enc = framecodec.encode(frames)
    assert enc.floating
    assert enc.value_bytes == np.dtype(dtype).itemsize
    back = framecodec.decode(enc, frames.shape, dtype)
    np.testing.assert_array_equal(back.view(f"u{back.itemsize}"), frames.view(f"u{frames.itemsize}"))
    dirty = np.full(frames.shape, 5, dtype=dtype)
    framecodec.decode_into(enc.steps, enc.values, enc.value_bytes, dirty, floating=True)
    np.testing.assert_array_equal(dirty.view(f"u{dirty.itemsize}"), frames.view(f"u{frames.itemsize}"))
    with pytest.raises(CacheError, match="whole 4-byte floats"):
        framecodec.decode_into(enc.steps, zstandard.compress(b"\x01\x02\x03"), 4, dirty, floating=True)
