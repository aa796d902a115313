"""Rows of `bench_decode.py` for the newer datasets' formats, each against the peers' readers of that format.

=================  ===============================  ============================================================
format             dataset                          peers timed on the same file
=================  ===============================  ============================================================
.dat version 2     N-CARS                           expelliarmus (C++), when installed
.dat version 1     NAV Gesture                      SpikingJelly's ``_readATIS_tddat`` (a Python loop)
.mat (MATLAB 5)    ASL-DVS                          Tonic's ASLDVS item (scipy.io.loadmat + structured array)
.npy structured    DVS-Lip                          Tonic's DVSLip item (np.load + copy into its dtype)
.npz pos/neg       ES-ImageNet                      SpikingJelly's ``_load_events``
HDF5 spikes        SHD / SSC (100 samples a file)   Tonic's HSD items (the file opened per item)
=================  ===============================  ============================================================
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from neurodata.events import SensorSize
from neurodata.io import (
    SpikeFile,
    encode_dat,
    encode_es_imagenet,
    encode_npy_events,
    read_es_imagenet,
    read_mat_events,
    read_npy_events,
    read_prophesee_dat,
    write_spikes_h5,
)
from neurodata.testing import random_events

SJ_LOOP_LIMIT = 10**6  # SpikingJelly's .dat reader is a Python loop: at or above this it runs once


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def new_format_rows(
    tmp: Path, n: int, rounds: int, sj: Any, impl_cls: Any, time_round_robin: Callable[..., None], rows_of: Callable
) -> list[Any]:
    """Write one file per format with `n` events, time every reader round-robin, return the table rows."""
    rng = np.random.default_rng(1)
    rows: list[Any] = []
    Impl = impl_cls

    def bench(label: str, impls: list[Any]) -> None:
        time_round_robin(impls, rounds)
        rows.extend(rows_of(label, n, impls))

    cars = random_events(rng, SensorSize(120, 100), n, duration_us=n)
    path = tmp / f"ncars_{n}.dat"
    path.write_bytes(encode_dat(cars, version=2, header=("Data file containing Event2d events.",)))
    impls = [Impl("neurodata read_prophesee_dat", lambda p=path: read_prophesee_dat(p))]
    expelliarmus = _optional("expelliarmus")
    if expelliarmus is not None:
        wizard = expelliarmus.Wizard(encoding="dat")
        impls.append(Impl("expelliarmus Wizard('dat').read", lambda p=path, w=wizard: w.read(str(p))))
    bench(f".dat v2 (N-CARS) {n:.0e} ev", impls)

    nav = random_events(rng, SensorSize(304, 240), n, duration_us=n)
    path = tmp / f"nav_{n}_td.dat"
    path.write_bytes(encode_dat(nav, version=1))
    impls = [Impl("neurodata read_prophesee_dat", lambda p=path: read_prophesee_dat(p, version=1))]
    if sj is not None:
        once = n >= SJ_LOOP_LIMIT
        from spikingjelly.datasets import nav_gesture

        impls.append(
            Impl(
                "spikingjelly _readATIS_tddat" + (" (once: a Python loop)" if once else ""),
                lambda p=path, m=nav_gesture: m._readATIS_tddat(str(p)),
                rounds=1 if once else None,
                warmup=not once,
            )
        )
    bench(f".dat v1 (NAV Gesture) {n:.0e} ev", impls)

    sio = _optional("scipy.io")
    tonic_io = _optional("tonic.io")
    if sio is not None:
        asl = random_events(rng, SensorSize(240, 180), n, duration_us=n)
        path = tmp / f"asl_{n}.mat"
        cols = {"ts": asl["t"], "x": asl["x"], "y": asl["y"], "pol": asl["p"]}
        sio.savemat(path, {k: np.asarray(v, np.float64).reshape(-1, 1) for k, v in cols.items()})
        impls = [Impl("neurodata read_mat_events", lambda p=path: read_mat_events(p))]
        if tonic_io is not None:
            dtype = np.dtype([("t", int), ("x", int), ("y", int), ("p", int)])

            def tonic_asl(p: Path = path) -> object:
                m = sio.loadmat(str(p))
                return tonic_io.make_structured_array(m["ts"], m["x"], 179 - m["y"], m["pol"], dtype=dtype)

            impls.append(Impl("tonic ASLDVS item (loadmat + structured array)", tonic_asl))
        bench(f".mat (ASL-DVS) {n:.0e} ev", impls)

    lip = random_events(rng, SensorSize(128, 128), n, duration_us=n)
    path = tmp / f"lip_{n}.npy"
    lip_dtype = np.dtype([("x", "<i2"), ("y", "<i2"), ("p", "?"), ("t", "<i8")])
    path.write_bytes(encode_npy_events(lip, dtype=lip_dtype))
    impls = [Impl("neurodata read_npy_events", lambda p=path: read_npy_events(p))]

    def tonic_lip(p: Path = path) -> object:
        orig = np.load(p)
        ev = np.empty(orig.shape, dtype=lip_dtype)
        for k in ("x", "y", "t", "p"):
            ev[k] = orig[k]
        return ev

    impls.append(Impl("tonic DVSLip item (np.load + copy)", tonic_lip))
    bench(f".npy (DVS-Lip) {n:.0e} ev", impls)

    es = random_events(rng, SensorSize(224, 224), n, duration_us=8)
    path = tmp / f"es_{n}.npz"
    path.write_bytes(encode_es_imagenet(es))
    impls = [Impl("neurodata read_es_imagenet", lambda p=path: read_es_imagenet(p))]
    if sj is not None:
        from spikingjelly.datasets import es_imagenet

        impls.append(Impl("spikingjelly _load_events", lambda p=path, m=es_imagenet: m._load_events(str(p))))
    bench(f".npz (ES-ImageNet) {n:.0e} ev", impls)

    per = max(1, n // 100)
    path = tmp / f"shd_{n}.h5"
    samples = [(np.sort(rng.random(per)).astype(np.float32), rng.integers(0, 700, per)) for _ in range(100)]
    write_spikes_h5(path, samples, np.zeros(100, int), keys=["a"])

    def ours_shd(p: Path = path) -> object:
        with SpikeFile(p) as f:
            return [f.events(i) for i in range(len(f))]

    impls = [Impl("neurodata SpikeFile.events, 100 samples", ours_shd)]
    if tonic_io is not None:
        import h5py

        dtype = np.dtype([("t", int), ("x", int), ("p", int)])

        def tonic_shd(p: Path = path) -> object:
            out = []
            for i in range(100):  # Tonic's HSD.__getitem__ opens the file for every item
                f = h5py.File(p, "r")
                out.append(
                    tonic_io.make_structured_array(
                        f["spikes/times"][i].astype(np.float64) * 1e6, f["spikes/units"][i], 1, dtype=dtype
                    )
                )
            return out

        impls.append(Impl("tonic HSD items, 100 samples", tonic_shd))
    bench(f"HDF5 (SHD) {n:.0e} ev", impls)
    return rows
