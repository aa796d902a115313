"""jAER/cAER AEDAT files: the AEDAT 2.0 and 3.1 readers and writers under one import path.

The code lives by format in `neurodata.io.aedat2` (jAER AEDAT 2.0: CIFAR10-DVS, DVS128 and DAVIS
recordings) and `neurodata.io.aedat31` (cAER AEDAT 3.1: DVS128 Gesture); AEDAT 4.0 needs
dv-processing and is in `neurodata.io.optional`. This module re-exports both, so
``from neurodata.io.aedat import read_aedat2`` keeps working.
"""

from __future__ import annotations

from neurodata.io.aedat2 import (
    AEDAT2_MAGIC,
    DAVIS_MAX,
    LAYOUTS,
    ORIENTATIONS,
    Layout,
    Orientation,
    decode_aedat2,
    encode_aedat2,
    layout_of_chip,
    read_aedat2,
    sensor_of_chip,
    write_aedat2,
)
from neurodata.io.aedat31 import (
    AEDAT31_MAGIC,
    DEFAULT_AEDAT31_HEADER,
    END_HEADER,
    PACKET_HEADER,
    POLARITY_EVENT,
    POLARITY_EVENT_BYTES,
    SPECIAL_EVENT,
    TS_MASK,
    TS_OVERFLOW_SHIFT,
    aedat31_header,
    aedat31_packet,
    decode_aedat31,
    encode_aedat31,
    load_aedat_v3,
    read_aedat31,
    write_aedat31,
)

__all__ = [
    "AEDAT2_MAGIC",
    "AEDAT31_MAGIC",
    "DAVIS_MAX",
    "DEFAULT_AEDAT31_HEADER",
    "END_HEADER",
    "LAYOUTS",
    "ORIENTATIONS",
    "PACKET_HEADER",
    "POLARITY_EVENT",
    "POLARITY_EVENT_BYTES",
    "SPECIAL_EVENT",
    "TS_MASK",
    "TS_OVERFLOW_SHIFT",
    "Layout",
    "Orientation",
    "aedat31_header",
    "aedat31_packet",
    "decode_aedat2",
    "decode_aedat31",
    "encode_aedat2",
    "encode_aedat31",
    "layout_of_chip",
    "load_aedat_v3",
    "read_aedat2",
    "read_aedat31",
    "sensor_of_chip",
    "write_aedat2",
    "write_aedat31",
]
