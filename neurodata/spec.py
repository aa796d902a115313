"""`FrameSpec`: every parameter that decides what a frame cache holds, validated once, hashed into its key.

A cache directory is named by `FrameSpec.key()`, so changing any parameter (window rule, representation
and its parameters, custom function, dtype, orientation, dataset or kernel version) gives a new cache and
leaves the old one untouched; the spec is also written beside the frames as readable JSON.

A spec is a window rule plus a representation:

* window rule, at most one of: SpikingJelly's ``frames_number`` + ``split_by`` or ``duration``, or Tonic's
  rules as a `Windows` (time or event-count windows with overlap, ``include_incomplete``, a fixed number of
  time or event bins). Without one, the whole sample is one window.
* representation: ``None`` (event counts per window, the frames SpikingJelly and Tonic's ``ToFrame`` make)
  or one of `VoxelGrid`, `TimeSurface`, `AveragedTimeSurface`, `BinaRep`, `StackedHistogram`, `Counts`
  (counts without a window rule: Tonic's ``ToImage``), `SparseCounts` (counts read back as a torch sparse
  COO tensor). Each representation maps a window's events to a `[C, H', W']` array, so a sample is
  always `[T, C, H', W']`; `frame_shape` gives ``(C, H', W')``.

Specs written before representations existed hash exactly as they did: the new fields enter the key only
when they are set.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from neurodata.events import SensorSize

# bump when the integration kernels change what they compute, or the cache's file layout changes: old
# caches then stop matching (2: counts stored with `neurodata.framecodec`; 3: its streams became Zstandard;
# 4: checksummed sample files, `neurodata.store`)
FRAMES_FORMAT_VERSION = 4
# bump when the event store's layout changes: its folder name carries it (2: `neurodata.eventcodec` columns;
# 3: checksummed sample files)
EVENTS_FORMAT_VERSION = 3
# bump when a representation kernel (voxel grid, time surface, ...) changes what it computes; it enters
# the key of every spec with a representation, and of no other
REPRESENTATIONS_VERSION = 1


def _positive_int(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{owner}.{name} must be a positive integer, got {value!r}")


def _positive_float(obj: Any, name: str) -> None:
    """Check that ``obj.name`` is a positive finite number and store it as a float (5000 and 5000.0 are one key)."""
    value, owner = getattr(obj, name), type(obj).__name__
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{owner}.{name} must be a positive number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{owner}.{name} must be a positive, finite number, got {value!r}")
    object.__setattr__(obj, name, float(value))


@dataclass(frozen=True)
class Windows:
    """Tonic's window rules as data (`neurodata.split.slice_windows` computes them). Exactly one size is set.

    Attributes:
        time_window: window length in µs, with ``overlap`` in µs (stride ``time_window - overlap``).
        event_count: events per window, with ``overlap`` in events.
        n_time_bins: a fixed number of windows along time, ``overlap`` a fraction of a window in [0, 1).
        n_event_bins: a fixed number of windows along the event index, ``overlap`` a fraction.
        include_incomplete: keep the last, shorter window (time_window / event_count).
        compat: ``'fixed'`` keeps the events Tonic drops at the end of a recording; ``'tonic'`` reproduces
            Tonic 1.7's windows exactly (see `neurodata.split.slice_windows`).
    """

    time_window: float | None = None
    event_count: int | None = None
    n_time_bins: int | None = None
    n_event_bins: int | None = None
    overlap: float = 0.0
    include_incomplete: bool = False
    compat: str = "fixed"

    _SIZES: ClassVar[tuple[str, ...]] = ("time_window", "event_count", "n_time_bins", "n_event_bins")

    def __post_init__(self) -> None:
        given = [k for k in self._SIZES if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"Windows needs exactly one of {', '.join(self._SIZES)}; got {given or 'none'}")
        if self.compat not in ("fixed", "tonic"):
            raise ValueError(f"Windows.compat must be 'fixed' or 'tonic', got {self.compat!r}")
        if not isinstance(self.include_incomplete, bool):
            raise ValueError(f"Windows.include_incomplete must be True or False, got {self.include_incomplete!r}")
        ov = self.overlap
        if isinstance(ov, bool) or not isinstance(ov, (int, float)) or not math.isfinite(ov) or ov < 0:
            raise ValueError(f"Windows.overlap must be a non-negative number, got {ov!r}")
        object.__setattr__(self, "overlap", float(ov))
        if self.time_window is not None:
            _positive_float(self, "time_window")
            if ov >= self.time_window:
                raise ValueError(f"Windows.overlap ({ov!r}) must be smaller than time_window ({self.time_window!r})")
        elif self.event_count is not None:
            _positive_int("Windows", "event_count", self.event_count)
            if int(ov) != ov or ov >= self.event_count:
                raise ValueError(
                    f"Windows.overlap must be a whole number of events below event_count={self.event_count}, got {ov!r}"
                )
        else:
            name = given[0]
            _positive_int("Windows", name, getattr(self, name))
            if ov >= 1:
                raise ValueError(f"Windows.overlap with {name} is a fraction of a window in [0, 1), got {ov!r}")

    @property
    def fixed_count(self) -> int | None:
        """The number of windows when it does not depend on the sample (n_time_bins / n_event_bins)."""
        return self.n_time_bins if self.n_time_bins is not None else self.n_event_bins

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of `neurodata.split.slice_windows` for this rule."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Representation:
    """Base of the representations: what one window of events becomes. Subclasses are frozen dataclasses."""

    kind: ClassVar[str]  # each subclass: a field of its own (init=False), so `dataclasses.asdict` names it
    #: "int" (exact counts) or "float": decides the default dtype and which cache codec stores it
    value_kind: ClassVar[str] = "float"
    default_dtype: ClassVar[str] = "float32"

    def frame_shape(self, sensor: SensorSize) -> tuple[int, int, int]:
        """``(C, H', W')`` of one window of a `sensor`."""
        return (2, sensor.height, sensor.width)

    def windows_per_frame(self) -> int:
        """Windows of the rule that make one output frame (BinaRep groups n_bits windows)."""
        return 1

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def check_dtype(self, dtype: np.dtype) -> None:
        if self.value_kind == "float" and dtype.kind != "f":
            raise ValueError(f"{type(self).__name__} values are real numbers: dtype must be a float type, got {dtype}")


@dataclass(frozen=True)
class Counts(Representation):
    """Event counts per polarity, `[2, H, W]` per window; without a window rule, Tonic's ``ToImage``."""

    kind: str = field(default="counts", init=False, repr=False)
    value_kind: ClassVar[str] = "int"
    default_dtype: ClassVar[str] = "uint16"

    def check_dtype(self, dtype: np.dtype) -> None:
        if dtype.kind not in "uifb":
            raise ValueError(f"counts need a number or bool dtype, got {dtype}")


@dataclass(frozen=True)
class SparseCounts(Counts):
    """`Counts`, read back as a torch sparse COO tensor `[T, 2, H, W]` (Tonic's ``ToSparseTensor``)."""

    kind: str = field(default="sparse_counts", init=False, repr=False)


@dataclass(frozen=True)
class VoxelGrid(Representation):
    """Event volume of Zhu et al. (2019): polarity (+1/-1) spread bilinearly over ``n_time_bins`` time bins.

    Within a window, time is normalised to ``s * (t - t_first) / (t_last - t_first)`` and each event adds
    ``pol * (1 - d)`` to bin ``floor`` and ``pol * d`` to the next. ``convention='eraft'`` (E-RAFT, E2VID,
    the paper) uses ``s = n_time_bins - 1``, so every event's whole weight lands; ``'tonic'`` uses
    ``s = n_time_bins`` as Tonic 1.7 does (the events at ``t_last`` and the right-hand weights of the last
    bin fall off the grid). `[n_time_bins, H, W]` per window.
    """

    n_time_bins: int = 10
    convention: str = "eraft"
    kind: str = field(default="voxel_grid", init=False, repr=False)

    def __post_init__(self) -> None:
        _positive_int("VoxelGrid", "n_time_bins", self.n_time_bins)
        if self.convention not in ("eraft", "tonic"):
            raise ValueError(f"VoxelGrid.convention must be 'eraft' or 'tonic', got {self.convention!r}")

    def frame_shape(self, sensor: SensorSize) -> tuple[int, int, int]:
        return (self.n_time_bins, sensor.height, sensor.width)


@dataclass(frozen=True)
class TimeSurface(Representation):
    """Exponential time surface per polarity, read at each window's end: ``exp(-(t_end - t_last) / tau)``.

    ``t_last`` is the latest event of that pixel and polarity before the window's end (the memory persists
    across windows, as in HOTS and Tonic's ``ToTimesurface``); a pixel without one reads 0. ``tau`` in µs.
    `[2, H, W]` per window.
    """

    tau: float = 5000.0
    kind: str = field(default="time_surface", init=False, repr=False)

    def __post_init__(self) -> None:
        _positive_float(self, "tau")


@dataclass(frozen=True)
class AveragedTimeSurface(Representation):
    """HATS (Sironi et al., 2018): per cell and polarity, the mean local time surface of its events.

    The sensor is cut into ``cell_size`` squares; for each event, the events of its cell and polarity at
    most ``time_window`` µs older and within ``surface_size // 2`` pixels add ``exp(-dt / tau)``
    (``decay='exp'``) or ``1 - dt / (3 tau)`` (``'lin'``) at their offset, and the event itself adds 1 at
    the centre; each cell's sum is divided by its number of events. `[cells * 2, s, s]` per window, cells
    in row-major order (``cell = (y // cell_size) * ceil(W / cell_size) + x // cell_size``).
    """

    cell_size: int = 10
    surface_size: int = 5
    time_window: float = 1000.0
    tau: float = 100.0
    decay: str = "exp"
    kind: str = field(default="averaged_time_surface", init=False, repr=False)

    def __post_init__(self) -> None:
        _positive_int("AveragedTimeSurface", "cell_size", self.cell_size)
        _positive_int("AveragedTimeSurface", "surface_size", self.surface_size)
        if self.surface_size % 2 == 0 or self.surface_size > self.cell_size:
            raise ValueError(
                f"AveragedTimeSurface.surface_size must be odd and at most cell_size={self.cell_size}, "
                f"got {self.surface_size}"
            )
        _positive_float(self, "time_window")
        _positive_float(self, "tau")
        if self.decay not in ("exp", "lin"):
            raise ValueError(f"AveragedTimeSurface.decay must be 'exp' or 'lin', got {self.decay!r}")

    def cells(self, sensor: SensorSize) -> int:
        return -(-sensor.width // self.cell_size) * -(-sensor.height // self.cell_size)

    def frame_shape(self, sensor: SensorSize) -> tuple[int, int, int]:
        return (self.cells(sensor) * 2, self.surface_size, self.surface_size)


@dataclass(frozen=True)
class BinaRep(Representation):
    """Bina-Rep (Barchid et al., 2022): ``n_bits`` consecutive binary frames read as one n-bit number.

    Frame j holds ``sum_b 2**(n_bits-1-b) * (count_b > 0) / (2**n_bits - 1)`` over windows
    ``j*n_bits + b``, in [0, 1]; the window rule must give a multiple of ``n_bits`` windows. `[2, H, W]`.
    """

    n_bits: int = 8
    kind: str = field(default="bina_rep", init=False, repr=False)

    def __post_init__(self) -> None:
        _positive_int("BinaRep", "n_bits", self.n_bits)
        if not 2 <= self.n_bits <= 24:
            raise ValueError(f"BinaRep.n_bits must be in 2..24 (float32 holds 24 bits exactly), got {self.n_bits}")

    def windows_per_frame(self) -> int:
        return self.n_bits


@dataclass(frozen=True)
class StackedHistogram(Representation):
    """RVT's stacked histogram (Gehrig & Scaramuzza, 2023): per window, counts in ``n_bins`` time bins.

    Each window's time is normalised by its own first and last event, bins are ``floor(n_bins * (t -
    t_first) / max(t_last - t_first, 1))`` clamped to the last; counts saturate at ``count_cutoff``.
    `[2 * n_bins, H, W]` per window, channel ``polarity * n_bins + bin``.
    """

    n_bins: int = 10
    count_cutoff: int = 255
    kind: str = field(default="stacked_histogram", init=False, repr=False)
    value_kind: ClassVar[str] = "int"
    default_dtype: ClassVar[str] = "uint8"

    def __post_init__(self) -> None:
        _positive_int("StackedHistogram", "n_bins", self.n_bins)
        _positive_int("StackedHistogram", "count_cutoff", self.count_cutoff)

    def frame_shape(self, sensor: SensorSize) -> tuple[int, int, int]:
        return (2 * self.n_bins, sensor.height, sensor.width)

    def check_dtype(self, dtype: np.dtype) -> None:
        if dtype.kind == "b" or (dtype.kind in "ui" and np.iinfo(dtype).max < self.count_cutoff):
            raise ValueError(f"StackedHistogram: dtype {dtype} cannot hold count_cutoff={self.count_cutoff}")


REPRESENTATIONS: dict[str, type[Representation]] = {
    cls.kind: cls
    for cls in (Counts, SparseCounts, VoxelGrid, TimeSurface, AveragedTimeSurface, BinaRep, StackedHistogram)
}


def representation_from_dict(d: dict[str, Any]) -> Representation:
    """The `Representation` that `Representation.to_dict` described."""
    d = dict(d)
    kind = d.pop("kind", None)
    if kind not in REPRESENTATIONS:
        raise ValueError(f"unknown representation {kind!r}; known: {sorted(REPRESENTATIONS)}")
    return REPRESENTATIONS[kind](**d)


def _parse_value(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def parse_representation(text: str) -> tuple[Representation, Windows | None]:
    """``'NAME[:key=value,...]'`` -> (representation, window rule or None), as ``neurodata prepare --repr`` takes.

    Keys of `Windows` (time_window, event_count, n_time_bins, n_event_bins, overlap, include_incomplete,
    compat) form the window rule, unless the representation has a parameter of that name (VoxelGrid's
    n_time_bins): then ``windows.KEY`` names the rule's. The other keys are the representation's
    parameters. Example: ``'time_surface:tau=5000,time_window=50000'``.
    """
    name, _, rest = text.partition(":")
    name = name.strip()
    if name not in REPRESENTATIONS:
        import difflib

        close = difflib.get_close_matches(name, REPRESENTATIONS, n=3)
        hint = f"; did you mean {close}?" if close else ""
        raise ValueError(f"unknown representation {name!r}{hint} known: {sorted(REPRESENTATIONS)}")
    cls = REPRESENTATIONS[name]
    known = {f.name for f in dataclasses.fields(cls) if f.init}
    params: dict[str, Any] = {}
    window_params: dict[str, Any] = {}
    window_keys = {f.name for f in dataclasses.fields(Windows)}
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq:
            raise ValueError(f"representation parameter {item!r} is not key=value (in {text!r})")
        if key.startswith("windows.") and key[len("windows.") :] in window_keys:
            window_params[key[len("windows.") :]] = _parse_value(value.strip())
        elif key in known or key not in window_keys:
            params[key] = _parse_value(value.strip())
        else:
            window_params[key] = _parse_value(value.strip())
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"{name} has no parameter(s) {unknown}; its parameters: {sorted(known)}")
    return cls(**params), (Windows(**window_params) if window_params else None)


@dataclass(frozen=True)
class FrameSpec:
    """How events become frames: a window rule, a representation, a stored dtype.

    Attributes:
        frames_number: T frames per sample, with `split_by` ``'number'`` or ``'time'``.
        split_by: SpikingJelly's rule for `frames_number`.
        duration: frame length in µs (variable T per sample).
        custom: qualified name of a custom integration function ``f(events: dict, H, W) -> array``.
        dtype: stored dtype (default: the representation's; uint16 counts are exact up to 65,535 events
            per pixel and frame, checked when writing).
        orientation: event-coordinate convention of the decoder (dataset-specific, e.g. CIFAR10-DVS).
        dataset_version: the dataset definition's version (split files, label order).
        windows: Tonic's window rules (`Windows`), instead of frames_number or duration.
        representation: what each window becomes (`Representation`); None: event counts.
    """

    frames_number: int | None = None
    split_by: str | None = None
    duration: int | None = None
    custom: str | None = None
    dtype: str | None = None
    orientation: str = "default"
    dataset_version: str = "1"
    windows: Windows | None = None
    representation: Representation | None = None

    def __post_init__(self) -> None:
        # the nested forms `dataclasses.asdict` and `to_dict` write, so FrameSpec(**asdict(spec)) == spec
        if isinstance(self.windows, dict):
            object.__setattr__(self, "windows", Windows(**self.windows))
        if isinstance(self.representation, dict):
            object.__setattr__(self, "representation", representation_from_dict(self.representation))
        rep = self.representation
        if rep is not None and not isinstance(rep, Representation):
            raise ValueError(f"representation must be a Representation (e.g. VoxelGrid(10)), got {rep!r}")
        if self.windows is not None and not isinstance(self.windows, Windows):
            raise ValueError(f"windows must be a neurodata.spec.Windows, got {self.windows!r}")
        rules = [k for k in ("frames_number", "duration", "windows") if getattr(self, k) is not None]
        if self.custom is not None:
            if rules or rep is not None:
                raise ValueError(
                    f"custom={self.custom!r} integrates by itself; it takes no {rules or ['representation']}"
                )
        elif len(rules) > 1 or (rep is None and not rules):
            raise ValueError(
                "FrameSpec needs exactly one of frames_number, duration, windows or custom (a representation "
                f"may also take none: one window per sample); got frames_number={self.frames_number}, "
                f"duration={self.duration}, windows={self.windows}, custom={self.custom}"
            )
        if type(rep) is Counts and rules:
            object.__setattr__(self, "representation", None)  # counts with a rule: the frames of old, one key
            rep = None
        if self.frames_number is not None:
            if (
                isinstance(self.frames_number, bool)
                or not isinstance(self.frames_number, int)
                or self.frames_number < 1
            ):
                raise ValueError(f"frames_number must be a positive integer, got {self.frames_number!r}")
            if self.split_by not in ("number", "time"):
                raise ValueError(f"split_by must be 'number' or 'time' with frames_number, got {self.split_by!r}")
        elif self.split_by is not None:
            raise ValueError(f"split_by only applies with frames_number; got split_by={self.split_by!r}")
        if self.duration is not None and (
            isinstance(self.duration, bool) or not isinstance(self.duration, int) or self.duration < 1
        ):
            raise ValueError(f"duration must be a positive integer number of µs, got {self.duration!r}")
        if self.dtype is None:
            object.__setattr__(self, "dtype", (rep or Counts()).default_dtype)  # custom: uint16, as before
        try:
            dt = np.dtype(self.dtype)
        except TypeError:
            raise ValueError(f"dtype {self.dtype!r} is not a numpy dtype") from None
        if rep is not None:
            rep.check_dtype(dt)
            fixed = self.frames_number or (self.windows.fixed_count if self.windows else None)
            if fixed is not None and fixed % rep.windows_per_frame():
                raise ValueError(
                    f"{type(rep).__name__}(n_bits={rep.windows_per_frame()}) needs a multiple of "
                    f"{rep.windows_per_frame()} windows; the rule gives {fixed}"
                )

    def to_dict(self) -> dict[str, Any]:
        """The spec plus the format versions, as written to ``spec.json`` (new fields only when set)."""
        d = {
            k: getattr(self, k)
            for k in ("frames_number", "split_by", "duration", "custom", "dtype", "orientation", "dataset_version")
        }
        if self.windows is not None:
            d["windows"] = self.windows.to_dict()
        if self.representation is not None:
            d["representation"] = self.representation.to_dict()
            d["representations_version"] = REPRESENTATIONS_VERSION
        return {**d, "frames_format_version": FRAMES_FORMAT_VERSION}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FrameSpec:
        """The spec `to_dict` described (format versions are dropped; compare keys to see a mismatch)."""
        kw = {k: v for k, v in d.items() if k not in ("frames_format_version", "representations_version")}
        if kw.get("windows") is not None:
            kw["windows"] = Windows(**kw["windows"])
        if kw.get("representation") is not None:
            kw["representation"] = representation_from_dict(kw["representation"])
        return cls(**kw)

    def key(self) -> str:
        """A stable 16-hex-digit hash of `to_dict()`."""
        payload = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def variable_length(self) -> bool:
        """True when samples may have different numbers of frames (duration, custom, time/count windows)."""
        if self.frames_number is not None:
            return False
        if self.windows is not None:
            return self.windows.fixed_count is None
        return self.representation is None  # custom; a representation without a rule has one window

    def frame_shape(self, sensor: SensorSize) -> tuple[int, int, int]:
        """``(C, H', W')`` of one output frame of a `sensor` (custom functions: the sensor's ``(2, H, W)``)."""
        return (self.representation or Counts()).frame_shape(sensor)

    @property
    def value_kind(self) -> str:
        """``'int'`` for exact counts (stored by the sparse count codec), ``'float'`` otherwise."""
        if self.custom is not None:
            return "float"
        return (self.representation or Counts()).value_kind

    def describe(self) -> str:
        """Short human-readable form, e.g. ``frames_number=16 split_by=number``."""
        if self.custom is not None:
            return f"custom={self.custom}"
        if self.frames_number is not None:
            rule = f"frames_number={self.frames_number} split_by={self.split_by}"
        elif self.duration is not None:
            rule = f"duration={self.duration}us"
        elif self.windows is not None:
            rule = " ".join(f"{k}={v}" for k, v in self.windows.kwargs().items() if k in Windows._SIZES) + (
                f" overlap={self.windows.overlap}" if self.windows.overlap else ""
            )
        else:
            rule = "whole sample"
        if self.representation is None:
            return rule
        params = ",".join(f"{k}={v}" for k, v in dataclasses.asdict(self.representation).items())
        return f"{self.representation.kind}({params}) {rule}"
