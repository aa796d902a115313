"""Raw event-camera files to `EVENT_DTYPE` events and back.

`read_events(path)` tells the format from the file's magic line, header or extension and returns
`[N]` `EVENT_DTYPE` events sorted by t (µs, as stored in the file). The formats:

==========  ==============================================  ================  =========
name        what                                            extensions        needs
==========  ==============================================  ================  =========
aedat2      jAER AEDAT 2.0 (CIFAR10-DVS, DVS128, DAVIS)     .aedat, .dat      -
aedat31     cAER AEDAT 3.1 (DVS128 Gesture)                 .aedat            -
atis_bin    ATIS 40-bit .bin (N-MNIST, N-Caltech101)        .bin              -
aedat4      iniVation AEDAT 4.0                             .aedat4           formats
es          Event Stream                                    .es               formats
dat         Prophesee/ATIS .dat TD (N-CARS, NAV Gesture)    .dat              -
evt         Prophesee EVT 2/3                               .raw              formats
mat         MATLAB 5 / 7.3 x, y, ts, pol (ASL-DVS)          .mat              datasets
npy         numpy events: fields or columns t, x, y, p      .npy              -
            (DVS-Lip, POKER-DVS)
es_imagenet ES-ImageNet .npz (pos / neg rows y, x, t)       .npz              -
spikes_h5   SHD / SSC HDF5 (spikes/times, units, labels)    .h5               -
==========  ==============================================  ================  =========

"formats" is the optional extra (dv-processing, faery); "datasets" is scipy (MATLAB 5 files). Decoding
problems raise a `DecodeError` subclass naming the file and byte offset; a file cut short gives its
complete events and a `TruncatedFileWarning`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neurodata.errors import UnknownFormatError
from neurodata.io._common import PathLike
from neurodata.io.aedat2 import decode_aedat2, encode_aedat2, read_aedat2, write_aedat2
from neurodata.io.aedat31 import (
    aedat31_header,
    aedat31_packet,
    decode_aedat31,
    encode_aedat31,
    load_aedat_v3,
    read_aedat31,
    write_aedat31,
)
from neurodata.io.atis_bin import (
    decode_atis_bin,
    encode_atis_bin,
    load_ATIS_bin,
    read_atis_bin,
    write_atis_bin,
)
from neurodata.io.matlab import read_mat_events, write_mat_events
from neurodata.io.numpy_events import (
    decode_es_imagenet,
    decode_npy_events,
    encode_es_imagenet,
    encode_npy_events,
    read_es_imagenet,
    read_npy_events,
    write_es_imagenet,
    write_npy_events,
)
from neurodata.io.optional import (
    read_aedat4,
    read_es,
    read_evt,
    write_aedat4,
    write_es,
    write_evt,
)
from neurodata.io.prophesee_dat import (
    decode_dat,
    encode_dat,
    read_dat_header,
    read_prophesee_dat,
    write_prophesee_dat,
)
from neurodata.io.spikes_h5 import SpikeFile, read_spikes_h5, write_spikes_h5, write_spikes_h5_events

read_dat = read_prophesee_dat
write_dat = write_prophesee_dat

__all__ = [
    "FORMATS",
    "Format",
    "SpikeFile",
    "aedat31_header",
    "aedat31_packet",
    "decode_aedat2",
    "decode_aedat31",
    "decode_atis_bin",
    "decode_dat",
    "decode_es_imagenet",
    "decode_npy_events",
    "encode_aedat2",
    "encode_aedat31",
    "encode_atis_bin",
    "encode_dat",
    "encode_es_imagenet",
    "encode_npy_events",
    "load_ATIS_bin",
    "load_aedat_v3",
    "read_aedat2",
    "read_aedat4",
    "read_aedat31",
    "read_atis_bin",
    "read_dat",
    "read_dat_header",
    "read_es",
    "read_es_imagenet",
    "read_events",
    "read_evt",
    "read_mat_events",
    "read_npy_events",
    "read_prophesee_dat",
    "read_spikes_h5",
    "sniff_format",
    "write_aedat2",
    "write_aedat4",
    "write_aedat31",
    "write_atis_bin",
    "write_dat",
    "write_es",
    "write_es_imagenet",
    "write_events",
    "write_evt",
    "write_mat_events",
    "write_npy_events",
    "write_prophesee_dat",
    "write_spikes_h5",
    "write_spikes_h5_events",
]


@dataclass(frozen=True)
class Format:
    """One raw format: its reader, its writer, and what identifies its files."""

    name: str
    description: str
    extensions: tuple[str, ...]
    read: Callable[..., np.ndarray]
    write: Callable[..., None]
    optional: bool = False  # needs the `formats` extra


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("aedat2", "jAER AEDAT 2.0", (".aedat",), read_aedat2, write_aedat2),
        Format("aedat31", "cAER AEDAT 3.1", (".aedat",), read_aedat31, write_aedat31),
        Format("atis_bin", "ATIS 40-bit .bin", (".bin",), read_atis_bin, write_atis_bin),
        Format("aedat4", "iniVation AEDAT 4.0", (".aedat4",), read_aedat4, write_aedat4, optional=True),
        Format("es", "Event Stream", (".es",), read_es, write_es, optional=True),
        Format("dat", "Prophesee/ATIS .dat TD", (".dat",), read_prophesee_dat, write_prophesee_dat),
        Format("evt", "Prophesee EVT 2/3", (".raw",), read_evt, write_evt, optional=True),
        Format("mat", "MATLAB x, y, ts, pol", (".mat",), read_mat_events, write_mat_events),
        Format("npy", "numpy events (t, x, y, p)", (".npy",), read_npy_events, write_npy_events),
        Format("es_imagenet", "ES-ImageNet .npz", (".npz",), read_es_imagenet, write_es_imagenet),
        Format("spikes_h5", "SHD/SSC HDF5", (".h5", ".hdf5"), read_spikes_h5, write_spikes_h5_events),
    )
}

_AEDAT_VERSIONS = {b"2.0": "aedat2", b"3.1": "aedat31", b"4.0": "aedat4"}
# extensions that name one format; ".aedat" does not (2.0 and 3.1 share it) and needs the magic line
_BY_EXTENSION = {
    ".bin": "atis_bin",
    ".aedat4": "aedat4",
    ".es": "es",
    ".dat": "dat",
    ".raw": "evt",
    ".mat": "mat",
    ".npy": "npy",
    ".npz": "es_imagenet",
    ".h5": "spikes_h5",
    ".hdf5": "spikes_h5",
}
# magic bytes that name one format, whatever the extension
_MAGIC = ((b"MATLAB 5.0 MAT-file", "mat"), (b"\x93NUMPY", "npy"), (b"\x89HDF\r\n\x1a\n", "spikes_h5"))


def _get(format: str) -> Format:
    try:
        return FORMATS[format]
    except KeyError:
        close = difflib.get_close_matches(format, FORMATS, n=2)
        hint = f"did you mean {close}? " if close else ""
        raise ValueError(f"format={format!r} is not known; {hint}known: {sorted(FORMATS)}") from None


def sniff_format(path: PathLike) -> str:
    """The name of `path`'s format (a key of `FORMATS`), from its magic line, header or extension.

    Raises `UnknownFormatError` when neither the first bytes nor the extension tell.
    """
    with Path(path).open("rb") as f:
        head = f.read(4096)
    suffix = Path(path).suffix.lower()
    if head.startswith(b"#!AER-DAT"):
        version = head[len(b"#!AER-DAT") :].split(b"\n", 1)[0].strip()
        if version in _AEDAT_VERSIONS:
            return _AEDAT_VERSIONS[version]
        raise UnknownFormatError(
            f"{path}: byte 0: AEDAT version {version.decode('ascii', 'replace')!r} is not supported; "
            f"supported: {[v.decode() for v in _AEDAT_VERSIONS]}"
        )
    if head.startswith(b"Event Stream"):
        return "es"
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head.startswith(b"PK\x03\x04") and suffix == ".npz":
        return "es_imagenet"
    if suffix in _BY_EXTENSION:
        return _BY_EXTENSION[suffix]
    if head.startswith(b"%"):
        # Prophesee text header: EVT files say "% evt 3.0" or "% format EVT3;...", .dat files do not
        lower = head.lower()
        return "evt" if b"% evt " in lower or b"% format evt" in lower else "dat"
    if suffix == ".aedat":
        raise UnknownFormatError(
            f"{path}: byte 0: expected an AEDAT magic line '#!AER-DAT<version>', found {head[:24]!r}"
        )
    raise UnknownFormatError(
        f"{path}: cannot tell the event format from the first bytes {head[:16]!r} or the extension "
        f"{suffix!r}; pass format= one of {sorted(FORMATS)}"
    )


def read_events(path: PathLike, format: str | None = None, **options: Any) -> np.ndarray:
    """Read a raw event file into `[N]` `EVENT_DTYPE` events sorted by t (µs).

    Args:
        path: the file.
        format: a key of `FORMATS`; None sniffs it with `sniff_format`.
        options: passed to the format's reader (e.g. ``layout="davis"`` for aedat2,
            ``keep_invalid=True`` for aedat31).
    """
    name = sniff_format(path) if format is None else _get(format).name
    return FORMATS[name].read(path, **options)


def write_events(path: PathLike, events: np.ndarray, format: str | None = None, **options: Any) -> None:
    """Write `[N]` `EVENT_DTYPE` events to `path` in `format` (None: from the extension).

    ``.aedat`` is ambiguous, so AEDAT files need ``format="aedat2"`` or ``"aedat31"``. The formats
    written through optional libraries need ``sensor=SensorSize(...)`` in `options`.
    """
    if format is None:
        suffix = Path(path).suffix.lower()
        if suffix not in _BY_EXTENSION:
            raise ValueError(
                f"cannot tell the format from the extension {suffix!r}; pass format= one of {sorted(FORMATS)}"
            )
        format = _BY_EXTENSION[suffix]
    _get(format).write(path, events, **options)
