"""Downloads against a local HTTP server: resume, retries, mirrors, checksums, file:// URLs."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from neurodata.download import DownloadError, download_file, file_digests, verify_file
from neurodata.errors import ChecksumError
from tests.http_server import FileServer


@pytest.fixture
def payload(rng: np.random.Generator) -> bytes:
    return rng.bytes(3 * (1 << 20) + 12345)  # several read chunks


def _digests(data: bytes) -> dict[str, str]:
    return {"md5": hashlib.md5(data).hexdigest(), "sha256": hashlib.sha256(data).hexdigest()}


def test_download_verifies_and_renames(http_server: FileServer, payload: bytes, tmp_path: Path) -> None:
    http_server.files["/a.bin"] = payload
    dest = download_file([http_server.url + "/a.bin"], tmp_path / "a.bin", **_digests(payload), progress=False)
    assert dest.read_bytes() == payload
    assert not (tmp_path / "a.bin.part").exists()
    n = len(http_server.requests)
    download_file([http_server.url + "/a.bin"], dest, **_digests(payload), progress=False)
    assert len(http_server.requests) == n  # a verified file is not fetched again


def test_dropped_connection_resumes_with_range(http_server: FileServer, payload: bytes, tmp_path: Path) -> None:
    http_server.files["/a.bin"] = payload
    http_server.faults.drop_after["/a.bin"] = (1_000_000, 2)  # twice cut off after ~1 MB
    dest = download_file(
        [http_server.url + "/a.bin"], tmp_path / "a.bin", **_digests(payload), backoff=0.01, progress=False
    )
    assert dest.read_bytes() == payload
    ranges = [r for p, r in http_server.requests if p == "/a.bin"]
    assert ranges[0] is None
    assert ranges[1] is not None
    resumed_at = int(ranges[1].removeprefix("bytes=").rstrip("-"))
    assert 900_000 <= resumed_at <= 1_000_000  # what arrived before the cut was kept (less one read)
    assert len(ranges) == 3


def test_server_that_ignores_range_restarts_cleanly(http_server: FileServer, payload: bytes, tmp_path: Path) -> None:
    http_server.files["/a.bin"] = payload
    http_server.faults.drop_after["/a.bin"] = (500_000, 1)
    http_server.faults.ignore_range.add("/a.bin")
    dest = download_file(
        [http_server.url + "/a.bin"],
        tmp_path / "a.bin",
        sha256=_digests(payload)["sha256"],
        backoff=0.01,
        progress=False,
    )
    assert dest.read_bytes() == payload


def test_interrupted_part_file_is_resumed_by_a_later_call(
    http_server: FileServer, payload: bytes, tmp_path: Path
) -> None:
    http_server.files["/a.bin"] = payload
    (tmp_path / "a.bin.part").write_bytes(payload[:777_777])  # left by a killed process
    download_file([http_server.url + "/a.bin"], tmp_path / "a.bin", md5=_digests(payload)["md5"], progress=False)
    assert (tmp_path / "a.bin").read_bytes() == payload
    assert http_server.requests == [("/a.bin", "bytes=777777-")]


def test_wrong_checksum_is_refused_and_moved_aside(http_server: FileServer, payload: bytes, tmp_path: Path) -> None:
    http_server.files["/a.bin"] = payload
    wrong = "0" * 64
    expected = rf"a\.bin: checksum mismatch \(sha256 expected {wrong}, got [0-9a-f]{{64}}\)"
    with pytest.raises(ChecksumError, match=expected):
        download_file([http_server.url + "/a.bin"], tmp_path / "a.bin", sha256=wrong, progress=False)
    assert not (tmp_path / "a.bin").exists()
    assert (tmp_path / "a.bin.corrupt").read_bytes() == payload


def test_mirrors_are_tried_in_order(http_server: FileServer, payload: bytes, tmp_path: Path) -> None:
    http_server.files["/mirror2/a.bin"] = payload
    http_server.faults.status["/mirror1/a.bin"] = (503, 99)
    urls = [http_server.url + "/mirror1/a.bin", http_server.url + "/mirror2/a.bin"]
    download_file(urls, tmp_path / "a.bin", **_digests(payload), retries=1, backoff=0.01, progress=False)
    assert (tmp_path / "a.bin").read_bytes() == payload
    assert [p for p, _ in http_server.requests] == ["/mirror1/a.bin"] * 2 + ["/mirror2/a.bin"]


def test_all_mirrors_failing_names_each(http_server: FileServer, tmp_path: Path) -> None:
    urls = [http_server.url + "/gone1", http_server.url + "/gone2"]
    with pytest.raises(DownloadError, match=r"(?s)gone1 \(try 1\): HTTP 404.*gone2 \(try 1\): HTTP 404"):
        download_file(urls, tmp_path / "x", retries=0, progress=False)


def test_file_url_and_existing_corrupt_file(tmp_path: Path, payload: bytes) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(payload)
    dest = download_file([src.as_uri()], tmp_path / "out" / "x.bin", **_digests(payload), progress=False)
    assert dest.read_bytes() == payload
    dest.write_bytes(b"tampered")  # a file that was there before (the user's, perhaps) is refused, never moved
    with pytest.raises(ChecksumError, match=rf"x\.bin: checksum mismatch .*left at {re.escape(str(dest))}"):
        download_file([src.as_uri()], dest, **_digests(payload), progress=False)
    assert dest.read_bytes() == b"tampered"
    assert not (tmp_path / "out" / "x.bin.corrupt").exists()


def test_digests_match_hashlib(tmp_path: Path, payload: bytes) -> None:
    p = tmp_path / "f"
    p.write_bytes(payload)
    assert file_digests(p) == _digests(payload)
    verify_file(p, **_digests(payload))  # no error, file stays
    assert p.exists()
