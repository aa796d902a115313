"""``spikingjelly.datasets.asl_dvs`` (SpikingJelly 2.0.0) over `neurodata.datasets.ASLDVS`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from neurodata.compat.spikingjelly.n_caltech101 import _Unsplit
from neurodata.compat.spikingjelly.utils import np_savez
from neurodata.datasets import asl_dvs
from neurodata.io.matlab import read_mat_events

__all__ = ["ASLDVS"]

_DROPBOX = "https://www.dropbox.com/sh/ibq0jsicatn7l6r/AACNrNELV56rs1YInMWUs9CAa?dl=0"


class _SpikingJellyOriented(asl_dvs.ASLDVS):
    """ASL-DVS with SpikingJelly's flips (x and y); its event store and caches are kept apart by orientation."""

    orientation = "spikingjelly"


class ASLDVS(_Unsplit):
    """ASL-DVS as SpikingJelly gives it: every sample, ``x = 239 - x``, ``y = 179 - y``, float64 dicts.

    SpikingJelly passes on the MATLAB variables' own dtypes (double in MATLAB's default); here they are float64.
    """

    _core = _SpikingJellyOriented
    _event_dtypes: ClassVar[dict[str, str]] = {"t": "float64", "x": "float64", "y": "float64", "p": "float64"}

    @classmethod
    def resource_url_md5(cls) -> list[tuple[str, str, None]]:
        """``ICCV2019_DVS_dataset.zip`` with its expired Dropbox folder and no MD5 (it changed between downloads)."""
        return [("ICCV2019_DVS_dataset.zip", _DROPBOX, None)]

    @classmethod
    def downloadable(cls) -> bool:
        """False: the archive is placed by hand (`neurodata.datasets.ASLDVS` says from where)."""
        return False

    @classmethod
    def load_origin_data(cls, file_name: str | Path) -> dict[str, Any]:
        """One ``.mat`` sample in SpikingJelly's orientation and dtypes."""
        ev = asl_dvs.orient(read_mat_events(file_name), "spikingjelly", cls._core.sensor)
        return {k: ev[k].astype(d) for k, d in cls._event_dtypes.items()}

    @classmethod
    def read_mat_save_to_np(cls, mat_file: str | Path, np_file: str | Path) -> None:
        """Convert one ``.mat`` file into SpikingJelly's ``.npz`` of t, x, y, p."""
        np_savez(np_file, **cls.load_origin_data(mat_file))
