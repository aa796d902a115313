from __future__ import annotations

import numpy as np
import pytest

import neurodata as nd
from neurodata.errors import EventsError


def test_make_events_from_sj_dict_keeps_values_and_dtypes() -> None:
    d = {
        "t": np.array([5, 7, 7, 9]),
        "x": np.array([0, 3, 1, 2]),
        "y": np.array([1, 0, 2, 2]),
        "p": np.array([1, 0, 0, 1]),
    }
    ev = nd.events_from_dict(d, nd.SensorSize(4, 3))
    assert ev.dtype == nd.EVENT_DTYPE
    assert ev["t"].tolist() == [5, 7, 7, 9]
    assert ev["x"].tolist() == [0, 3, 1, 2]
    assert ev["y"].tolist() == [1, 0, 2, 2]
    assert ev["p"].tolist() == [1, 0, 0, 1]
    back = nd.to_dict(ev)
    assert all(back[k].flags.c_contiguous for k in back)
    assert back["t"].dtype == np.int64


def test_tonic_structured_array_with_bool_polarity() -> None:
    tonic_dtype = np.dtype([("x", "<i2"), ("y", "<i2"), ("p", "?"), ("t", "<i8")])
    arr = np.array([(1, 2, True, 10), (0, 0, False, 20)], dtype=tonic_dtype)
    ev = nd.events_from_structured(arr)
    assert ev["p"].tolist() == [1, 0]
    assert ev["x"].tolist() == [1, 0]
    assert ev["t"].tolist() == [10, 20]


def test_plus_minus_one_polarity_maps_minus_one_to_off() -> None:
    ev = nd.make_events([0, 1, 2], [0, 0, 0], [0, 0, 0], [-1, 1, -1])
    assert ev["p"].tolist() == [0, 1, 0]


def test_mixed_polarity_conventions_are_refused_with_index() -> None:
    with pytest.raises(EventsError, match=r"'p' mixes -1 and 0.*index 2"):
        nd.make_events([0, 1, 2], [0, 0, 0], [0, 0, 0], [-1, 1, 0])
    with pytest.raises(EventsError, match=r"'p' at index 1 is 3"):
        nd.make_events([0, 1], [0, 0], [0, 0], [1, 3])


def test_unsorted_time_names_the_index() -> None:
    with pytest.raises(EventsError, match=r"'t' is not sorted: index 3 has t=4 after t=9"):
        nd.make_events([1, 2, 9, 4], [0] * 4, [0] * 4, [0] * 4)


def test_coordinates_outside_sensor_name_field_and_index() -> None:
    with pytest.raises(EventsError, match=r"field 'x' at index 2 is 4, outside 0..3"):
        nd.make_events([0, 1, 2], [0, 1, 4], [0, 0, 0], [0, 0, 0], nd.SensorSize(4, 4))
    with pytest.raises(EventsError, match=r"field 'y' at index 0 is 9"):
        nd.make_events([0], [0], [9], [0], nd.SensorSize(4, 4))
    with pytest.raises(EventsError, match=r"field 'x' at index 1 is -1"):
        nd.make_events([0, 1], [0, -1], [0, 0], [0, 0])


def test_length_mismatch_and_fractional_time_are_refused() -> None:
    with pytest.raises(EventsError, match="field 'y' has 1 values but 't' has 2"):
        nd.make_events([0, 1], [0, 0], [0], [0, 0])
    with pytest.raises(EventsError, match="not whole microseconds"):
        nd.make_events([0.5], [0], [0], [0])


def test_sensor_frame_shape_flips_to_p_h_w() -> None:
    assert nd.SensorSize(34, 20).frame_shape == (2, 20, 34)


def test_slice_by_time_is_half_open_and_a_view() -> None:
    ev = nd.make_events([0, 10, 10, 20, 30], [0] * 5, [0] * 5, [0] * 5)
    part = nd.slice_by_time(ev, 10, 30)
    assert part["t"].tolist() == [10, 10, 20]
    assert part.base is ev or np.shares_memory(part, ev)
    assert nd.slice_by_index(ev, 1, 3)["t"].tolist() == [10, 10]
    assert len(nd.slice_by_time(ev, 31, 40)) == 0
