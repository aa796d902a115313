from __future__ import annotations

import pytest

from neurodata.spec import FrameSpec


def test_key_changes_with_every_parameter() -> None:
    base = FrameSpec(frames_number=16, split_by="number")
    variants = [
        FrameSpec(frames_number=20, split_by="number"),
        FrameSpec(frames_number=16, split_by="time"),
        FrameSpec(frames_number=16, split_by="number", dtype="uint8"),
        FrameSpec(frames_number=16, split_by="number", orientation="raw"),
        FrameSpec(frames_number=16, split_by="number", dataset_version="2"),
        FrameSpec(duration=1000),
        FrameSpec(custom="my_fn"),
    ]
    keys = {base.key(), *(v.key() for v in variants)}
    assert len(keys) == 1 + len(variants)
    assert FrameSpec(frames_number=16, split_by="number").key() == base.key()
    assert len(base.key()) == 16


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({}, "exactly one of frames_number, duration or custom"),
        ({"frames_number": 4, "duration": 10}, "exactly one of"),
        ({"frames_number": 0, "split_by": "number"}, "frames_number must be a positive integer, got 0"),
        ({"frames_number": 4, "split_by": "count"}, "split_by must be 'number' or 'time'"),
        ({"duration": 10, "split_by": "time"}, "split_by only applies with frames_number"),
        ({"duration": -1}, "duration must be a positive integer"),
        ({"duration": 5, "dtype": "nonsense"}, "not a numpy dtype"),
    ],
)
def test_invalid_specs_name_the_argument(kw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FrameSpec(**kw)
