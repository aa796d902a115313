"""Miniatures of N-Caltech101, ASL-DVS, NAV Gesture, ES-ImageNet, SHD, SSC, N-CARS, POKER-DVS and DVS-Lip.

Each writer lays out its archives as the published ones are (names, nesting, folders, file formats) and
returns ``(archive names, expected)``, where `expected` maps each split to the labels of its samples in the
order the dataset lists them: `neurodata.synth.make_sample` writes it into ``sample.json``, and the tests
check the dataset classes against it. Datasets with many classes get a few samples in the first classes
and one small sample in each of the others, so every class folder exists as in the real archives.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from neurodata.events import SensorSize
from neurodata.io.atis_bin import encode_atis_bin
from neurodata.io.numpy_events import encode_es_imagenet, encode_npy_events
from neurodata.io.prophesee_dat import encode_dat
from neurodata.synth import SampleSize, _add_bytes, _n, _zip_bytes, class_events
from neurodata.synth_rar import write_rar_volumes

Expected = dict[str, list[int]]
Writer = Callable[[Path, SampleSize, np.random.Generator], tuple[list[str], Expected]]
_FEW = 3  # classes with `samples_per_class` samples in many-class datasets; the others get one


def _per_class(n_classes: int, size: SampleSize) -> list[int]:
    if n_classes <= 12:
        return [size.samples_per_class] * n_classes
    return [size.samples_per_class if c < _FEW else 1 for c in range(n_classes)]


def _events(rng: np.random.Generator, sensor: SensorSize, size: SampleSize, label: int, n_classes: int, many: int = 1):
    n = _n(rng, size) if many else max(20, _n(rng, size) // 10)
    return class_events(rng, sensor, n, size.duration_us, label % 12, min(n_classes, 12))


def _zip_tree(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            _zip_bytes(zf, name, data)
    return buf.getvalue()


def _ncaltech101(folder: Path, size: SampleSize, rng: np.random.Generator) -> tuple[list[str], Expected]:
    from neurodata.datasets.ncaltech101 import CLASSES

    labels, members = [], []
    for label, c in enumerate(CLASSES):
        for i in range(_per_class(len(CLASSES), size)[label]):
            # images differ in size: each sample covers its own extent of the 240x180 frame
            w, h = int(rng.integers(120, 241)), int(rng.integers(90, 181))
            ev = _events(rng, SensorSize(w, h), size, label, len(CLASSES), label < _FEW)
            members.append((f"Caltech101/{c}/image_{i + 1:04d}.bin", encode_atis_bin(ev)))
            labels.append(label)
    (folder / "Caltech101.zip").write_bytes(_zip_tree(members))
    return ["Caltech101.zip"], {"all": labels}


def _asl_dvs(folder: Path, size: SampleSize, rng: np.random.Generator) -> tuple[list[str], Expected]:
    import scipy.io as sio

    from neurodata.datasets.asl_dvs import CLASSES

    sensor, labels, inner = SensorSize(240, 180), [], []
    for label, c in enumerate(CLASSES):
        members = []
        for i in range(size.samples_per_class):
            ev = _events(rng, sensor, size, label, len(CLASSES))
            buf = io.BytesIO()
            cols = {"ts": ev["t"], "x": ev["x"], "y": ev["y"], "pol": ev["p"]}
            columns = {k: np.asarray(v, np.float64).reshape(-1, 1) for k, v in cols.items()}
            sio.savemat(buf, columns, do_compression=True)
            members.append((f"{c}/{c}_{i + 1:04d}.mat", buf.getvalue()))
            labels.append(label)
        inner.append((f"Yin_{c}.zip", _zip_tree(members)))
    (folder / "ICCV2019_DVS_dataset.zip").write_bytes(_zip_tree(inner))
    return ["ICCV2019_DVS_dataset.zip"], {"all": labels}


def _nav_gesture(archive: str) -> Writer:
    def write(folder: Path, size: SampleSize, rng: np.random.Generator) -> tuple[list[str], Expected]:
        from neurodata.datasets.nav_gesture import CODES

        sensor, users, labels = SensorSize(304, 240), [], []
        n_users = max(2, size.samples_per_class)
        for u in range(n_users):
            user = f"user{u + 1:02d}"
            members = []
            for label, code in enumerate(CODES):
                ev = _events(rng, sensor, size, label, len(CODES))
                ev["t"] += int(rng.integers(1000, 5_000_000))  # kAER clocks start anywhere
                members.append((f"{user}/{user}_{code}_{u % 3:02d}_td.dat", encode_dat(ev, version=1, header=(
                    "Data file containing ATIS_TD events",
                    "Date 2018-03-01 10:00:00",
                ))))
            users.append((f"{user}.zip", _zip_tree(members)))
        labels = [label for label in range(len(CODES)) for _ in range(n_users)]
        (folder / archive).write_bytes(_zip_tree(users))
        return [archive], {"all": labels}

    return write


def _ncars(folder: Path, size: SampleSize, rng: np.random.Generator) -> tuple[list[str], Expected]:
    inner, expected = [], {}
    for split in ("train", "test"):
        members, labels = [], []
        for label, c in enumerate(("background", "cars")):
            for i in range(size.samples_per_class):
                w, h = int(rng.integers(60, 121)), int(rng.integers(50, 101))
                ev = _events(rng, SensorSize(w, h), size, label, 2)
                header = ("Data file containing N9Chronocam7Event2dE events.", "Date 2017-10-31 11:29:21")
                raw = encode_dat(ev, version=2, header=header)
                members.append((f"{split}/{c}/obj_{i + 100 * label:06d}_td.dat", raw))
                labels.append(label)
        inner.append((f"n-cars_{split}.zip", _zip_tree(members)))
        expected[split] = labels
    (folder / "Prophesee_Dataset_n_cars.zip").write_bytes(_zip_tree(inner))
    return ["Prophesee_Dataset_n_cars.zip"], expected


def _poker_dvs(folder: Path, size: SampleSize, rng: np.random.Generator) -> tuple[list[str], Expected]:
    from neurodata.datasets.poker_dvs import CODES

    sensor, names, expected = SensorSize(35, 35), [], {}
    for split in ("train", "test"):
        path = folder / f"pips_{split}.tar.gz"
        labels = []
        with tarfile.open(path, "w:gz", compresslevel=1) as tar:
            for label, code in enumerate(CODES):
                for i in range(size.samples_per_class):
                    ev = _events(rng, sensor, size, label, len(CODES))
                    _add_bytes(tar, f"pips_{split}/{code}/{code}{i:03d}.npy", encode_npy_events(ev, layout="columns"))
                    labels.append(label)
        names.append(path.name)
        expected[split] = labels
    return names, expected


# the fields as Tonic reads DVS-Lip files (its DVSLip.dtype)
_LIP_DTYPE = np.dtype([("x", "<i2"), ("y", "<i2"), ("p", "?"), ("t", "<i8")])


def _dvs_lip(folder: Path, size: SampleSize, rng: np.random.Generator) -> tuple[list[str], Expected]:
    from neurodata.datasets.dvs_lip import WORDS

    sensor, members, expected = SensorSize(128, 128), [], {}
    for split in ("train", "test"):
        labels = []
        for label, word in enumerate(WORDS):
            for i in range(_per_class(len(WORDS), size)[label]):
                ev = _events(rng, sensor, size, label, len(WORDS), label < _FEW)
                members.append((f"DVS-Lip/{split}/{word}/{i}.npy", encode_npy_events(ev, dtype=_LIP_DTYPE)))
                labels.append(label)
        expected[split] = labels
    (folder / "DVS-Lip.zip").write_bytes(_zip_tree(members))
    return ["DVS-Lip.zip"], expected


def _es_imagenet(folder: Path, size: SampleSize, rng: np.random.Generator) -> tuple[list[str], Expected]:
    from neurodata.datasets.es_imagenet import TOP

    sensor = SensorSize(224, 224)
    n_classes = 12  # of 1000: a miniature keeps the folders of a few classes
    members, train, val = [], [], []
    for k in range(n_classes):
        for i in range(size.samples_per_class):
            ev = class_events(rng, sensor, _n(rng, size), 8, k, n_classes)  # t: the 8 time steps
            members.append((f"{TOP}/train/class{k}/n{k:08d}_{i}.npz", encode_es_imagenet(ev)))
            train.append(k)
    listing = []
    for j in range(n_classes):
        k = (j * 5) % n_classes
        ev = class_events(rng, sensor, _n(rng, size), 8, k, n_classes)
        name = f"ILSVRC2012_val_{j + 1:08d}.npz"
        members.append((f"{TOP}/val/{name}", encode_es_imagenet(ev)))
        listing.append(f"{name} {k}\n")
        val.append(k)
    members.append((f"{TOP}/vallabel.txt", "".join(listing).encode()))
    volume = max(16 << 10, sum(len(d) for _, d in members) // 3)  # three volumes, members split across them
    names = write_rar_volumes(folder, TOP, members, volume_bytes=volume)
    return names, {"train": train, "test": val}


def _spikes(prefix: str, splits: tuple[str, ...], n_classes: int) -> Writer:
    def write(folder: Path, size: SampleSize, rng: np.random.Generator) -> tuple[list[str], Expected]:
        from neurodata.io.spikes_h5 import write_spikes_h5

        names, expected = [], {}
        for split in splits:
            samples, labels, speakers = [], [], []
            for label in range(n_classes):
                for _ in range(size.samples_per_class if label < 4 else 1):
                    n = max(10, _n(rng, size) // 4)
                    # times on a 1/64 s grid are exact in float32 and in µs (15,625 µs steps), so readers that
                    # round, truncate or keep seconds agree; a band of channels per class
                    t = np.sort(rng.integers(0, 64, n)) / 64.0
                    lo = (label * 700) // n_classes
                    u = np.clip(lo + rng.integers(0, 120, n), 0, 699)
                    samples.append((t, u))
                    labels.append(label)
                    speakers.append(int(rng.integers(0, 10)))
            name = f"{prefix}_{split}.h5"
            tmp = folder / name
            from neurodata.datasets import get_dataset

            keys = list(get_dataset(prefix).classes)  # the real files name their classes in extra/keys
            write_spikes_h5(tmp, samples, np.asarray(labels), keys=keys, speaker=np.asarray(speakers))
            zname = f"{name}.zip"
            with zipfile.ZipFile(folder / zname, "w") as zf:
                _zip_bytes(zf, name, tmp.read_bytes())
            tmp.unlink()
            names.append(zname)
            expected[split] = labels
        return names, expected

    return write


WRITERS: dict[str, Writer] = {
    "n-caltech101": _ncaltech101,
    "asl-dvs": _asl_dvs,
    "nav-gesture-walk": _nav_gesture("navgesture-walk.zip"),
    "nav-gesture-sit": _nav_gesture("navgesture-sit.zip"),
    "es-imagenet": _es_imagenet,
    "shd": _spikes("shd", ("train", "test"), 20),
    "ssc": _spikes("ssc", ("train", "valid", "test"), 35),
    "n-cars": _ncars,
    "poker-dvs": _poker_dvs,
    "dvs-lip": _dvs_lip,
}
