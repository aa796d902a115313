"""Describe one raw event file: format, sensor, counts, timing, polarity balance and what looks wrong.

`describe_file(path)` decodes the file once and returns a `FileReport`; ``str(report)`` is what
``neurodata info FILE`` prints. The anomalies it looks for are the ones that silently spoil training data:
decoder warnings (a file cut short, timestamps going backwards), events outside the sensor the header
states, repeated identical events, hot pixels, long silent gaps, and a recording with one polarity only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neurodata.events import SensorSize
from neurodata.io import FORMATS, read_events, sniff_format
from neurodata.io._common import PathLike
from neurodata.io.probe import header_sensor

# a pixel is "hot" when it alone holds this share of all events (and the sensor has many pixels)
HOT_PIXEL_SHARE = 0.02
# a gap without events longer than this share of the recording is reported
GAP_SHARE = 0.25


@dataclass(frozen=True)
class FileReport:
    """What `describe_file` found. Times are µs as stored in the file."""

    path: Path
    format: str
    size_bytes: int
    sensor: SensorSize
    sensor_from: str  # "header" or "events" (largest coordinates + 1)
    events: int
    t_first: int | None
    t_last: int | None
    on: int
    off: int
    anomalies: list[str] = field(default_factory=list)

    @property
    def duration_us(self) -> int:
        """``t_last - t_first`` (0 for fewer than two events)."""
        return 0 if self.t_first is None or self.t_last is None else self.t_last - self.t_first

    @property
    def rate(self) -> float:
        """Events per second over the duration (0 when the duration is 0)."""
        return self.events / (self.duration_us / 1e6) if self.duration_us else 0.0

    def __str__(self) -> str:
        fmt = FORMATS[self.format].description
        lines = [
            f"{self.path}: {fmt} ({self.format}), {self.size_bytes:,} bytes",
            f"sensor {self.sensor.width}x{self.sensor.height} (from the {self.sensor_from})",
            f"events {self.events:,}",
        ]
        if self.events:
            lines.append(f"time {self.t_first:,} .. {self.t_last:,} µs: duration {self.duration_us / 1e3:,.1f} ms, "
                         f"rate {self.rate / 1e3:,.1f} k events/s")
            share = self.on / self.events
            lines.append(f"polarity ON {self.on:,} ({share:.1%}), OFF {self.off:,} ({1 - share:.1%})")
        lines.append("anomalies: " + ("none found" if not self.anomalies else ""))
        lines += [f"  - {a}" for a in self.anomalies]
        return "\n".join(lines)


def describe_file(path: PathLike, format: str | None = None) -> FileReport:
    """Decode `path` (format sniffed unless given) and report on it; decoding errors propagate (`DecodeError`)."""
    path = Path(path)
    fmt = format or sniff_format(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ev = read_events(path, format=fmt)
    anomalies = [str(w.message) for w in caught]
    stated = header_sensor(path, fmt)
    n = int(ev.size)
    xmax = int(ev["x"].max()) if n else -1
    ymax = int(ev["y"].max()) if n else -1
    if stated is not None:
        sensor, sensor_from = stated, "header"
        if xmax >= stated.width or ymax >= stated.height:
            outside = int(np.count_nonzero((ev["x"] >= stated.width) | (ev["y"] >= stated.height)))
            anomalies.append(f"{outside:,} events lie outside the {stated.width}x{stated.height} sensor the header "
                             f"states (x up to {xmax}, y up to {ymax})")
    else:
        sensor, sensor_from = SensorSize(max(xmax + 1, 1), max(ymax + 1, 1)), "events"
    on = int(np.count_nonzero(ev["p"] == 1)) if n else 0
    if n:
        anomalies += _anomalies(ev, sensor)
    return FileReport(
        path,
        fmt,
        path.stat().st_size,
        sensor,
        sensor_from,
        n,
        int(ev["t"][0]) if n else None,
        int(ev["t"][-1]) if n else None,
        on,
        n - on,
        anomalies,
    )


def _anomalies(ev: np.ndarray, sensor: SensorSize) -> list[str]:
    out = []
    n = ev.size
    keys = ((ev["y"].astype(np.int64) * max(sensor.width, int(ev["x"].max()) + 1)) + ev["x"]) * 2 + ev["p"]
    t = ev["t"]
    same = (t[1:] == t[:-1]) & (keys[1:] == keys[:-1])
    dup = int(np.count_nonzero(same))
    if dup:
        out.append(f"{dup:,} events repeat the one before them exactly (same t, x, y, p)")
    pixels = keys // 2
    counts = np.bincount(pixels - pixels.min())
    top = int(counts.argmax())
    if n >= 1000 and sensor.width * sensor.height >= 256 and counts[top] > HOT_PIXEL_SHARE * n:
        px = top + int(pixels.min())
        w = max(sensor.width, int(ev["x"].max()) + 1)
        out.append(f"hot pixel x={px % w}, y={px // w}: {counts[top]:,} events ({counts[top] / n:.1%} of all)")
    if n > 2:
        gaps = np.diff(t)
        k = int(gaps.argmax())
        if t[-1] > t[0] and gaps[k] > GAP_SHARE * (t[-1] - t[0]):
            out.append(f"no events for {gaps[k] / 1e3:,.1f} ms from t={int(t[k]):,} µs "
                       f"({gaps[k] / (t[-1] - t[0]):.0%} of the recording)")
    on = int(np.count_nonzero(ev["p"] == 1))
    if n >= 100 and on in (0, n):
        out.append(f"every event has polarity {'ON' if on else 'OFF'}")
    return out
