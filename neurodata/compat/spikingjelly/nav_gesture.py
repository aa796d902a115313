"""``spikingjelly.datasets.nav_gesture`` (SpikingJelly 2.0.0) over `neurodata.datasets.NAVGestureWalk` / ``Sit``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neurodata.compat.spikingjelly.n_caltech101 import _Unsplit
from neurodata.compat.spikingjelly.utils import np_savez
from neurodata.datasets import nav_gesture
from neurodata.io.prophesee_dat import read_prophesee_dat

__all__ = ["NAVGestureSit", "NAVGestureWalk", "readATIS_tddat"]


def readATIS_tddat(  # SpikingJelly's name
    file_name: str | Path, orig_at_zero: bool = True, drop_negative_dt: bool = True, verbose: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """``(timestamps, coords [N, 2] x and y, polarities, removed)`` of a kAER TD ``.dat`` file, as SpikingJelly.

    y as stored (SpikingJelly's reader does not flip; its dataset does). With `drop_negative_dt`, events
    whose time goes back are dropped (SpikingJelly's rule) instead of sorted; `removed` counts them (-1 when
    not asked). `verbose` is accepted and ignored: libraries log, they do not print.
    """
    raw = read_prophesee_dat(file_name, version=1, sort=False)
    removed = -1
    if drop_negative_dt:
        # SpikingJelly removes, pass after pass, each event earlier than the one before it: what is left are
        # the events not earlier than any event before them
        keep = raw["t"] >= np.maximum.accumulate(raw["t"]) if raw.size else np.zeros(0, bool)
        removed = int(raw.size - keep.sum())
        raw = raw[keep]
    t = raw["t"].astype(np.int64)
    if orig_at_zero and t.size:
        t = t - t[0]
    coords = np.stack([raw["x"], raw["y"]], axis=1).astype(np.int64)
    return t, coords, raw["p"].astype(np.int64), removed


class NAVGestureWalk(_Unsplit):
    """NavGesture-walk as SpikingJelly gives it: every sample, folders by gesture code, int64 dicts."""

    _core = nav_gesture.NAVGestureWalk
    _event_dtypes: ClassVar[dict[str, str]] = {"t": "int64", "x": "int64", "y": "int64", "p": "int64"}

    @classmethod
    def _class_folders(cls) -> list[str]:
        return list(nav_gesture.CODES)

    @classmethod
    def resource_url_md5(cls) -> list[tuple[str, str, str]]:
        """The archive with its (offline) URL and MD5."""
        return [(r.filename, r.urls[0], str(r.md5)) for r in cls._core.resources]

    @classmethod
    def downloadable(cls) -> bool:
        """False, as in SpikingJelly (spikingjelly#423)."""
        return False

    @classmethod
    def load_origin_data(cls, file_name: str | Path) -> dict[str, Any]:
        """One ``_td.dat`` sample as SpikingJelly's dataset stores it: t from 0, ``y = 239 - y``."""
        t, xy, p, _ = readATIS_tddat(file_name)
        return {"t": t, "x": xy[:, 0], "y": cls._core.sensor.height - 1 - xy[:, 1], "p": p}

    @classmethod
    def read_aedat_save_to_np(cls, bin_file: str | Path, np_file: str | Path) -> None:
        """Convert one ``_td.dat`` file into SpikingJelly's ``.npz`` of t, x, y, p."""
        np_savez(np_file, **cls.load_origin_data(bin_file))


class NAVGestureSit(NAVGestureWalk):
    """NavGesture-sit as SpikingJelly gives it."""

    _core = nav_gesture.NAVGestureSit
