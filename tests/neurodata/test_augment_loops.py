"""Event transforms against plain per-event loops written here, on random streams in several field layouts."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from neurodata import functional as F
from neurodata.events import EVENT_DTYPE

LAYOUTS = [
    EVENT_DTYPE,  # ours
    np.dtype([("x", np.int16), ("y", np.int16), ("t", np.int64), ("p", bool)]),  # Tonic's events_struct
    np.dtype([("x", int), ("y", int), ("t", int), ("p", int)]),  # Tonic's test inputs
]


@st.composite
def streams(draw: st.DrawFn, max_events: int = 150) -> tuple[np.ndarray, tuple[int, int, int]]:
    w, h = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    n = draw(st.integers(0, max_events))
    r = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    span = draw(st.sampled_from([1, 10, 1000, 100_000]))
    ev = np.zeros(n, dtype=draw(st.sampled_from(LAYOUTS)))
    ev["t"] = np.sort(r.integers(1, span + 1, n))  # ties included
    ev["x"], ev["y"], ev["p"] = r.integers(0, w, n), r.integers(0, h, n), r.integers(0, 2, n)
    return ev, (w, h, 2)


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype
    assert len(a) == len(b)
    for name in a.dtype.names:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def _select(ev: np.ndarray, keep: list[bool]) -> np.ndarray:
    return ev[np.asarray(keep, dtype=bool).reshape(-1)]


@given(streams(), st.sampled_from([0, 1, 5, 300]))
def test_refractory_period_equals_a_memory_per_pixel(data: tuple, period: int) -> None:
    ev, _ = data
    last: dict[tuple[int, int], int] = {}
    keep = []
    for e in ev:
        k = (int(e["x"]), int(e["y"]))
        keep.append(k not in last or int(e["t"]) - last[k] > period)
        last[k] = int(e["t"])  # every event refreshes the memory, kept or not
    _same(F.refractory_period(ev, period), _select(ev, keep))


@given(streams(), st.integers(1, 6))
def test_decimation_keeps_every_nth_event_of_a_pixel(data: tuple, n: int) -> None:
    ev, _ = data
    seen: dict[tuple[int, int], int] = {}
    keep = []
    for e in ev:
        k = (int(e["x"]), int(e["y"]))
        seen[k] = seen.get(k, 0) + 1
        keep.append(seen[k] % n == 0)
    _same(F.decimation(ev, n), _select(ev, keep))


@given(streams(), st.sampled_from([1, 20, 500]))
def test_denoise_equals_the_neighbour_memory(data: tuple, filter_time: int) -> None:
    ev, _ = data
    memory: dict[tuple[int, int], int] = {}
    keep = []
    for e in ev:
        x, y, t = int(e["x"]), int(e["y"]), int(e["t"])
        near = [memory.get(q) for q in ((x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1))]
        keep.append(any(m is not None and m + filter_time > t for m in near))
        memory[(x, y)] = t
    _same(F.denoise(ev, None, filter_time), _select(ev, keep))


@given(streams(), st.floats(0, 2000))
def test_hot_pixels_and_drop_pixels(data: tuple, rate: float) -> None:
    ev, _ = data
    counts: dict[tuple[int, int], int] = {}
    for e in ev:
        counts[(int(e["x"]), int(e["y"]))] = counts.get((int(e["x"]), int(e["y"])), 0) + 1
    limit = rate * (float(ev["t"].max()) - float(ev["t"].min())) * 1e-6 if len(ev) else 0.0
    hot = sorted(k for k, c in counts.items() if c > limit)
    got = F.hot_pixels(ev, rate)
    assert [tuple(int(v) for v in row) for row in got] == hot
    gone = set(hot[::2])
    _same(F.drop_pixels(ev, sorted(gone)), _select(ev, [(int(e["x"]), int(e["y"])) not in gone for e in ev]))


@given(streams(), st.integers(-3, 4), st.integers(-3, 4), st.integers(1, 7), st.integers(1, 7))
def test_crop_and_drop_box_equal_a_box_test(data: tuple, x0: int, y0: int, w: int, h: int) -> None:
    ev, _ = data
    inside = [max(x0, 0) <= int(e["x"]) < x0 + w and max(y0, 0) <= int(e["y"]) < y0 + h for e in ev]
    want = _select(ev, inside).copy()
    want["x"] = want["x"].astype(np.int64) - x0
    want["y"] = want["y"].astype(np.int64) - y0
    _same(F.crop(ev, (x0, y0), (w, h)), want)
    box = [x0 <= int(e["x"]) < x0 + w and y0 <= int(e["y"]) < y0 + h for e in ev]
    _same(F.drop_box(ev, (x0, y0), (w, h)), _select(ev, [not b for b in box]))


@given(streams())
def test_flips_reversal_and_alignment_event_by_event(data: tuple) -> None:
    ev, sensor = data
    lr, ud, rev, al = F.flip_lr(ev, sensor), F.flip_ud(ev, sensor), F.time_reversal(ev), F.time_alignment(ev)
    n = len(ev)
    for i, e in enumerate(ev):
        assert int(lr["x"][i]) == sensor[0] - 1 - int(e["x"])
        assert int(ud["y"][i]) == sensor[1] - 1 - int(e["y"])
        r = rev[n - 1 - i]
        assert int(r["t"]) == int(ev["t"].max()) - int(e["t"])
        assert int(r["p"]) == 1 - int(e["p"])
        assert int(al["t"][i]) == int(e["t"]) - int(ev["t"][0])
    assert (np.diff(rev["t"].astype(np.int64)) >= 0).all()


@given(streams(), st.floats(-3, 3), st.floats(-50, 50))
def test_time_skew_truncates_like_a_cast(data: tuple, c: float, o: float) -> None:
    ev, _ = data
    if len(ev) and min(ev["t"].min() * c + o, ev["t"].max() * c + o) < 0 and ev.dtype["t"].kind == "u":
        return
    got = F.time_skew(ev, c, o)
    for i, e in enumerate(ev):
        assert int(got["t"][i]) == int(float(e["t"]) * c + o)  # int() truncates toward zero, as numpy's cast


@given(streams(), st.integers(0, 100), st.integers(0, 100))
def test_crop_time_and_drop_time_window(data: tuple, a: int, length: int) -> None:
    ev, _ = data
    b = a + length
    _same(F.crop_time(ev, a, b), _select(ev, [a <= int(e["t"]) <= b for e in ev]))
    _same(F.drop_time_window(ev, a, b), _select(ev, [not a <= int(e["t"]) <= b for e in ev]))
    shuffled = ev[np.random.default_rng(0).permutation(len(ev))]  # unsorted: the masked path
    _same(F.crop_time(shuffled, a, b), _select(shuffled, [a <= int(e["t"]) <= b for e in shuffled]))


@given(streams(), st.integers(0, 2**32 - 1), st.booleans())
def test_shift_xy_moves_each_event_and_clips(data: tuple, seed: int, clip: bool) -> None:
    ev, sensor = data
    r = np.random.default_rng(seed)
    dx, dy = r.normal(0, 2, len(ev)), r.normal(0, 2, len(ev))
    got = F.shift_xy(ev, dx, dy, sensor, clip_outliers=clip)
    rows = []
    for i, e in enumerate(ev):
        x, y = int(float(e["x"]) + dx[i]), int(float(e["y"]) + dy[i])
        if clip and not (0 <= x < sensor[0] and 0 <= y < sensor[1]):
            continue
        if ev.dtype["x"].kind == "u":
            x, y = max(x, 0), max(y, 0)
        rows.append((i, x, y))
    assert len(got) == len(rows)
    for j, (i, x, y) in enumerate(rows):
        assert (int(got["x"][j]), int(got["y"][j]), int(got["t"][j])) == (x, y, int(ev["t"][i]))


@given(streams(), st.integers(0, 2**32 - 1), st.integers(0, 40))
def test_uniform_noise_merges_stably(data: tuple, seed: int, n: int) -> None:
    ev, sensor = data
    got = F.uniform_noise(ev, sensor, n, np.random.default_rng(seed))
    assert len(got) == len(ev) + (n if len(ev) else 0)
    assert (np.diff(got["t"].astype(np.int64)) >= 0).all()
    originals = np.isin(np.arange(len(got)), [])  # mark where the original events landed, in order
    j = 0
    for i in range(len(got)):
        if j < len(ev) and got[i] == ev[j]:
            originals[i] = True
            j += 1
    assert j == len(ev)  # every original event, in its order
    noise = got[~originals]
    if len(noise):
        assert noise["x"].max() < sensor[0]
        assert noise["y"].max() < sensor[1]
        assert noise["t"].min() >= ev["t"].min()
        assert noise["t"].max() <= ev["t"].max()


def _integrator_loop(ev: np.ndarray, sensor: tuple, target: tuple, dt: float, thr: int) -> list[tuple]:
    """The integrate-and-fire downsampler, window by window over a dense state (Tonic's formulation)."""
    if not len(ev):
        return []
    t0 = int(ev["t"][0])
    n = int((int(ev["t"][-1]) - t0) // dt) + 1
    diff = np.zeros((n, target[1], target[0]))
    for e in ev:
        x, y = int(int(e["x"]) * target[0] / sensor[0]), int(int(e["y"]) * target[1] / sensor[1])
        diff[int((int(e["t"]) - t0) // dt), y, x] += 1 if e["p"] else -1
    state = np.zeros((target[1], target[0]))
    out = []
    for k in range(n):
        state += diff[k]
        on, off = np.argwhere(state >= thr), np.argwhere(-state >= thr)
        out += [(int(x), int(y), 1, k * dt) for y, x in on] + [(int(x), int(y), 0, k * dt) for y, x in off]
        state[state >= thr] = 0
        state[-state >= thr] = 0
    return out


@given(streams(max_events=80), st.integers(1, 3), st.sampled_from([1, 7, 50]))
def test_integrator_downsample_equals_the_dense_loop(data: tuple, thr: int, dt: int) -> None:
    ev, sensor = data
    if len(ev):  # at most ~200 windows: the dense reference loop visits every one
        dt = max(dt, int(ev["t"][-1] - ev["t"][0]) // 200 + 1)
    target = (max(1, sensor[0] // 2), max(1, sensor[1] // 2))
    got = F.integrator_downsample(ev, sensor, target, dt, thr)
    want = _integrator_loop(ev, sensor, target, dt, thr)
    assert [(int(e["x"]), int(e["y"]), int(e["p"]), int(e["t"])) for e in got] == want


@given(streams(max_events=80), st.integers(1, 2), st.sampled_from([4, 30]), st.integers(1, 3))
def test_differentiator_downsample_equals_its_definition(data: tuple, thr: int, dt: int, bins: int) -> None:
    ev, sensor = data
    if len(ev):
        dt = max(dt, int(ev["t"][-1] - ev["t"][0]) // 100 + 1)
    target = (max(1, sensor[0] // 2), max(1, sensor[1] // 2))
    got = F.differentiator_downsample(ev, sensor, target, dt, thr, bins)
    fired = _integrator_loop(ev, sensor, target, Fraction(dt, bins), thr)  # exact: no float edge at k*dt/bins
    if not fired:
        assert len(got) == 0
        return
    n = int(max(t for *_, t in fired) // dt) + 1
    hist = np.zeros((n, target[1], target[0], 2))
    for x, y, p, t in fired:
        hist[int(t // dt), y, x, p] += 1
    want = [(x, y, p, int(k) * dt) for k, y, x, p in np.argwhere(np.diff(hist, axis=0) > 0)]
    assert [(int(e["x"]), int(e["y"]), int(e["p"]), int(e["t"])) for e in got] == want


def test_core_transforms_are_seeded_and_keep_the_layout() -> None:
    from neurodata import transforms as T

    sensor = (12, 9, 2)
    ev = np.zeros(2000, dtype=LAYOUTS[1])
    r = np.random.default_rng(0)
    ev["t"], ev["x"], ev["y"], ev["p"] = (
        np.sort(r.integers(0, 10**6, 2000)),
        r.integers(0, 12, 2000),
        r.integers(0, 9, 2000),
        r.integers(0, 2, 2000),
    )
    random_ones = [
        T.RefractoryPeriod((10, 5000)),
        T.SpatialJitter(sensor, 2, 2),
        T.UniformNoise(sensor, (5, 50)),
        T.RandomDropPixel(sensor, 0.3),
        T.DropEvent((0.1, 0.4)),
        T.DropEventByTime((0.1, 0.5)),
        T.DropEventByArea(sensor, 0.3),
        T.EventDrop(sensor),
        T.TimeSkew((0.5, 2.0), (0, 9)),
        T.RandomTimeReversal(),
        T.RandomFlipPolarity(0.5, per_event=True),
        T.RandomFlipPolarity(),
    ]
    for tf in random_ones:
        outs = [tf(ev, np.random.default_rng(s)) for s in (1, 1, 2)]
        _same(outs[0], outs[1])
        assert outs[0].dtype == ev.dtype
    for tf in (
        T.MergePolarities(),
        T.CropTime(10, 10**5),
        T.Decimation(3),
        T.TimeAlignment(),
        T.TimeReversal(),
        T.DropPixel(hot_pixel_frequency=5),
        T.EventDownsampling(sensor, (6, 3), 1000),
    ):
        assert tf(ev).dtype == ev.dtype
    as_dict = {k: ev[k] for k in ev.dtype.names}
    out = T.DropEvent(0.5)(as_dict, np.random.default_rng(0))
    assert set(out) == set(as_dict)
    assert len(out["t"]) == 1000
    frames = r.integers(0, 5, (4, 2, 9, 12))
    np.testing.assert_array_equal(T.TimeReversal()(frames), frames[::-1, ::-1])
    dropped = T.DropPixel(coordinates=[(3, 2)])(frames)
    assert dropped[..., 2, 3].sum() == 0
    assert frames[..., 2, 3].sum() > 0  # the input is not modified
