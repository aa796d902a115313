"""Miniature copies of the datasets, written in the real archive formats and layouts.

`make_sample(name, root)` writes archives that the real pipeline downloads, verifies, extracts, decodes and
integrates exactly as it does the published ones, plus ``download/sample.json`` listing their checksums
(the dataset classes verify against it, and key their caches by its id so a sample never mixes with real
data). Each class moves a blob of events in its own direction, so a small network can learn the classes.
Sizes are parameters: the defaults are small enough for tests; benchmarks ask for realistic sizes.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from neurodata.datasets.base import SAMPLE_MANIFEST
from neurodata.download import file_digests
from neurodata.events import EVENT_DTYPE, SensorSize
from neurodata.io.aedat import encode_aedat2, encode_aedat31
from neurodata.io.atis_bin import encode_atis_bin


@dataclass(frozen=True)
class SampleSize:
    """How big a miniature dataset is.

    Attributes:
        samples_per_class: per split for N-MNIST, in all for CIFAR10-DVS; for DVS128 Gesture, recordings per
            split = ``samples_per_class`` (each recording holds 12 labelled rows, as the real ones do).
        events_per_sample: mean events of one sample (each sample draws 0.8x..1.2x of it).
        duration_us: length of one sample in µs.
    """

    samples_per_class: int = 4
    events_per_sample: int = 3000
    duration_us: int = 300_000


def class_events(
    rng: np.random.Generator,
    sensor: SensorSize,
    n: int,
    duration_us: int,
    label: int,
    n_classes: int,
    t0: int = 0,
) -> np.ndarray:
    """`n` events of a blob crossing the sensor at angle ``2*pi*label/n_classes``, 10% uniform noise."""
    t = np.sort(rng.integers(t0, t0 + duration_us, n))
    phase = (t - t0) / max(duration_us, 1) - 0.5
    angle = 2 * np.pi * label / n_classes
    cx = sensor.width / 2 + np.cos(angle) * phase * sensor.width * 0.7
    cy = sensor.height / 2 + np.sin(angle) * phase * sensor.height * 0.7
    spread = max(sensor.width, sensor.height) / 12
    dx, dy = rng.normal(0, spread, n), rng.normal(0, spread, n)
    x = np.clip(np.rint(cx + dx), 0, sensor.width - 1).astype(np.int64)
    y = np.clip(np.rint(cy + dy), 0, sensor.height - 1).astype(np.int64)
    # ON events lead the blob, OFF events trail it
    p = ((dx * np.cos(angle) + dy * np.sin(angle)) > 0).astype(np.int8)
    noise = rng.random(n) < 0.1
    x[noise] = rng.integers(0, sensor.width, noise.sum())
    y[noise] = rng.integers(0, sensor.height, noise.sum())
    ev = np.empty(n, dtype=EVENT_DTYPE)
    ev["t"], ev["x"], ev["y"], ev["p"] = t, x, y, p
    return ev


def _n(rng: np.random.Generator, size: SampleSize) -> int:
    return max(1, int(size.events_per_sample * rng.uniform(0.8, 1.2)))


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), 1_600_000_000, 0o644
    tar.addfile(info, io.BytesIO(data))


def _zip_bytes(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data, compress_type=zipfile.ZIP_DEFLATED)


_LIGHTINGS = ("fluorescent", "fluorescent_led", "lab", "led", "natural")
_GESTURE_ROWS = (1, 2, 3, 4, 5, 6, 7, 8, 8, 9, 10, 11)  # class 8 (arm roll) twice, as in the real CSVs


def _dvs_gesture(folder: Path, size: SampleSize, rng: np.random.Generator) -> list[str]:
    sensor = SensorSize(128, 128)
    path = folder / "DvsGesture.tar.gz"
    trials: dict[str, list[str]] = {"train": [], "test": []}
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        user = 0
        for split in ("train", "test"):
            for r in range(size.samples_per_class):
                user += 1
                stem = f"user{user:02d}_{_LIGHTINGS[r % len(_LIGHTINGS)]}"
                parts, rows = [], []
                t = int(rng.integers(1_000_000, 80_000_000))  # recordings start at an arbitrary clock
                for cls_id in _GESTURE_ROWS:
                    gap = int(rng.integers(50_000, 400_000))
                    parts.append(class_events(rng, sensor, max(1, _n(rng, size) // 10), gap, 0, 1, t0=t))
                    t += gap
                    length = int(size.duration_us * rng.uniform(0.7, 1.3))  # real gestures differ in length
                    parts.append(class_events(rng, sensor, _n(rng, size), length, cls_id - 1, 11, t0=t))
                    rows.append((cls_id, t, t + length))
                    t += length
                events = np.concatenate(parts)
                _add_bytes(tar, f"DvsGesture/{stem}.aedat", encode_aedat31(events, packet_events=4096))
                csv = "class,startTime_usec,endTime_usec\n" + "".join(f"{c},{a},{b}\n" for c, a, b in rows)
                _add_bytes(tar, f"DvsGesture/{stem}_labels.csv", csv.encode())
                trials[split].append(f"{stem}.aedat")
        for split, names in trials.items():
            _add_bytes(tar, f"DvsGesture/trials_to_{split}.txt", ("\n".join(names) + "\n").encode())
    return [path.name]


def _cifar10_dvs(folder: Path, size: SampleSize, rng: np.random.Generator) -> list[str]:
    from neurodata.datasets.cifar10_dvs import _CLASSES

    sensor = SensorSize(128, 128)
    names = []
    for label, c in enumerate(_CLASSES):
        path = folder / f"{c}.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for i in range(size.samples_per_class):
                ev = class_events(rng, sensor, _n(rng, size), size.duration_us, label, len(_CLASSES))
                _zip_bytes(zf, f"{c}/cifar10_{c}_{i}.aedat", encode_aedat2(ev, orientation="cifar10dvs"))
        names.append(path.name)
    return names


def _nmnist(folder: Path, size: SampleSize, rng: np.random.Generator) -> list[str]:
    sensor = SensorSize(34, 34)
    names = []
    for split in ("Train", "Test"):
        path = folder / f"{split}.zip"
        k = 0
        with zipfile.ZipFile(path, "w") as zf:
            for digit in range(10):
                for _ in range(size.samples_per_class):
                    k += 1
                    ev = class_events(rng, sensor, _n(rng, size), size.duration_us, digit, 10)
                    _zip_bytes(zf, f"{split}/{digit}/{k:05d}.bin", encode_atis_bin(ev))
        names.append(path.name)
    return names


_WRITERS = {"dvs128-gesture": _dvs_gesture, "cifar10-dvs": _cifar10_dvs, "n-mnist": _nmnist}


def make_sample(
    name: str, root: str | Path, size: SampleSize | None = None, *, seed: int = 0, base_url: str | None = None
) -> Path:
    """Write a miniature `name` dataset's archives into ``root/download`` and its ``sample.json``.

    Args:
        base_url: if given, the manifest lists ``<base_url>/<file>`` as each file's URL (to serve the
            archives over HTTP in tests); otherwise the files are already where they belong.

    Returns:
        The manifest's path.
    """
    from neurodata.synth_datasets import WRITERS

    writers = {**_WRITERS, **WRITERS}
    if name not in writers:
        raise ValueError(f"no sample generator for {name!r}; choose from {sorted(writers)}")
    size = size or SampleSize()
    folder = Path(root) / "download"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        written = writers[name](Path(tmp), size, rng)
        files, expected = written if isinstance(written, tuple) else (written, None)
        resources = []
        for f in files:
            digests = file_digests(Path(tmp) / f)
            (Path(tmp) / f).replace(folder / f)
            entry = {"filename": f, **digests}
            if base_url:
                entry["urls"] = [f"{base_url.rstrip('/')}/{f}"]
            resources.append(entry)
    ident = hashlib.sha256(json.dumps([name, asdict(size), seed, resources], sort_keys=True).encode()).hexdigest()[:12]
    manifest = folder / SAMPLE_MANIFEST
    data = {"dataset": name, "id": ident, "size": asdict(size), "seed": seed, "resources": resources}
    if expected is not None:  # each split's labels in the dataset's order, as the writer laid the files out
        data["expected"] = {split: {"count": len(v), "labels": v} for split, v in expected.items()}
    manifest.write_text(json.dumps(data, indent=2) + "\n")
    return manifest


FOLDER_CLASSES = ("left", "right", "up")


def make_folder_sample(
    folder: str | Path, size: SampleSize | None = None, *, seed: int = 0
) -> Path:
    """Write a folder of recordings as a user would bring it: ``folder/<class>/<name>`` for 3 classes.

    Each class folder mixes the core formats of a 128x128 DVS128 camera (AEDAT 2.0 and AEDAT 3.1 ``.aedat``,
    whose headers name the DVS128, and ATIS ``.bin``, which states no sensor); `samples_per_class` files each.
    Returns `folder`.
    """
    sensor = SensorSize(128, 128)
    size = size or SampleSize()
    folder = Path(folder)
    rng = np.random.default_rng(seed)
    encoders = (
        (".aedat", encode_aedat2),
        ("_v3.aedat", lambda ev: encode_aedat31(ev, packet_events=1024)),
        (".bin", encode_atis_bin),
    )
    for label, name in enumerate(FOLDER_CLASSES):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(size.samples_per_class):
            ev = class_events(rng, sensor, _n(rng, size), size.duration_us, label, len(FOLDER_CLASSES))
            suffix, encode = encoders[i % len(encoders)]
            (folder / name / f"rec{i:03d}{suffix}").write_bytes(encode(ev))
    return folder
