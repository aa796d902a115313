"""Faulty inputs give one clear error: mirrors that fail over, archives damaged in every codec, stale partials."""

from __future__ import annotations

import bz2
import hashlib
import io
import lzma
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from neurodata.archive import SOURCE_FILE, extract_archive
from neurodata.download import DownloadError, download_file
from neurodata.errors import ArchiveError, ChecksumError
from tests.http_server import FileServer

GOOD = bytes(range(256)) * 400


def test_a_mirror_with_the_wrong_file_fails_over_to_the_next(http_server: FileServer, tmp_path: Path) -> None:
    http_server.files["/bad/f.bin"] = GOOD[::-1]
    http_server.files["/good/f.bin"] = GOOD
    md5 = hashlib.md5(GOOD).hexdigest()
    dest = download_file([http_server.url + "/bad/f.bin", http_server.url + "/good/f.bin"], tmp_path / "f.bin",
                         md5=md5, retries=0, backoff=0, progress=False)
    assert dest.read_bytes() == GOOD
    assert (tmp_path / "f.bin.corrupt").read_bytes() == GOOD[::-1]  # the bad copy kept aside, never used


def test_every_mirror_failing_names_each_error(http_server: FileServer, tmp_path: Path) -> None:
    http_server.files["/a/f.bin"] = GOOD[::-1]
    http_server.faults.status["/b/f.bin"] = (503, 10)
    urls = [http_server.url + "/a/f.bin", http_server.url + "/b/f.bin", http_server.url + "/missing/f.bin"]
    with pytest.raises(DownloadError) as info:
        download_file(urls, tmp_path / "f.bin", md5=hashlib.md5(GOOD).hexdigest(), retries=1, backoff=0,
                      progress=False)
    message = str(info.value)
    assert "/a/f.bin: f.bin: checksum mismatch (md5 expected" in message
    assert "/b/f.bin (try 2): HTTP 503" in message
    assert "/missing/f.bin (try 2): HTTP 404" in message
    assert not (tmp_path / "f.bin").exists()
    http_server.files["/b/f.bin"] = GOOD[::-1]
    http_server.faults.status.clear()
    with pytest.raises(ChecksumError, match=r"every mirror served a file with the wrong checksum"):
        download_file(urls[:2], tmp_path / "f.bin", md5=hashlib.md5(GOOD).hexdigest(), retries=0, backoff=0,
                      progress=False)


def test_a_bad_partial_from_one_mirror_is_fetched_again_from_the_start(http_server: FileServer, tmp_path: Path) -> None:
    http_server.files["/good/f.bin"] = GOOD
    (tmp_path / "f.bin.part").write_bytes(b"garbage from an earlier mirror")
    dest = download_file([http_server.url + "/good/f.bin"], tmp_path / "f.bin", md5=hashlib.md5(GOOD).hexdigest(),
                         retries=0, backoff=0, progress=False)
    assert dest.read_bytes() == GOOD


def _members() -> dict[str, bytes]:
    return {f"top/file{k}.bin": os.urandom(20_000) + bytes(20_000) for k in range(3)}


def _tar(mode: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in _members().items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _zip(method: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in _members().items():
            zf.writestr(name, data)
    return buf.getvalue()


ARCHIVES = {
    "a.zip": lambda: _zip(zipfile.ZIP_DEFLATED),
    "b.zip": lambda: _zip(zipfile.ZIP_BZIP2),
    "c.zip": lambda: _zip(zipfile.ZIP_LZMA),
    "d.tar.gz": lambda: _tar("w:gz"),
    "e.tar.bz2": lambda: _tar("w:bz2"),
    "f.tar.xz": lambda: _tar("w:xz"),
}


@pytest.mark.parametrize("name", sorted(ARCHIVES))
def test_damage_in_every_codec_is_an_archive_error_naming_the_member(tmp_path: Path, name: str) -> None:
    data = bytearray(ARCHIVES[name]())
    for k in range(len(data) // 2, len(data) // 2 + 64):  # the middle of the compressed data
        data[k] ^= 0x5A
    archive = tmp_path / name
    archive.write_bytes(bytes(data))
    where = r"((at|after) member 'top/file\d\.bin'|while reading its first member)"
    with pytest.raises(ArchiveError, match=rf"{name}: damaged archive {where} \(\w+"):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == [name]  # nothing half-extracted is left
    truncated = tmp_path / f"short-{name}"
    truncated.write_bytes(bytes(data[: len(data) * 3 // 4]))
    with pytest.raises(ArchiveError, match=r"damaged archive"):
        extract_archive(truncated, tmp_path / "out")


def test_codec_streams_of_each_kind_decode_when_whole(tmp_path: Path) -> None:
    # the damage test's archives are real ones: whole, each extracts to the members written
    for name, make in ARCHIVES.items():
        (tmp_path / name).write_bytes(make())
        out = extract_archive(tmp_path / name, tmp_path / f"out-{name}")
        assert sorted(p.name for p in (out / "top").iterdir()) == ["file0.bin", "file1.bin", "file2.bin"]
    assert lzma.decompress(lzma.compress(b"x")) == b"x"
    assert bz2.decompress(bz2.compress(b"x")) == b"x"


def test_stale_partials_of_killed_extractions_are_removed_and_new_archives_extract_again(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    archive.write_bytes(_zip(zipfile.ZIP_DEFLATED))
    dead = tmp_path / ".out.partial-999999999"  # no such process: a killed extraction's leftover
    dead.mkdir()
    (dead / "half.bin").write_bytes(b"x")
    live = tmp_path / f".out.partial-{os.getppid()}"  # a running process's: left alone
    live.mkdir()
    out = extract_archive(archive, tmp_path / "out", source="md5:1")
    assert not dead.exists()
    assert live.exists()
    first = (out / "top" / "file0.bin").read_bytes()
    # the same source: kept as it is; another source (new archives placed in the root): extracted again
    assert extract_archive(archive, tmp_path / "out", source="md5:1") == out
    archive.write_bytes(_zip(zipfile.ZIP_DEFLATED))
    extract_archive(archive, tmp_path / "out", source="md5:2")
    assert (out / "top" / "file0.bin").read_bytes() != first
    assert '"md5:2"' in (out / SOURCE_FILE).read_text()
    # a folder without a record (placed by the user) is never deleted
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("user data")
    assert extract_archive(archive, mine, source="md5:3") == mine
    assert (mine / "keep.txt").read_text() == "user data"


def test_an_undecodable_labels_csv_names_the_file(tmp_path: Path) -> None:
    from neurodata.datasets.dvs_gesture import read_labels_csv
    from neurodata.errors import DecodeError

    good = tmp_path / "user01_natural_labels.csv"
    good.write_text("class,startTime_usec,endTime_usec\n1,100,200\n11,300,400\n")
    assert read_labels_csv(good).tolist() == [[1, 100, 200], [11, 300, 400]]
    bad = tmp_path / "user02_natural_labels.csv"
    bad.write_bytes(b"class,startTime_usec,endTime_usec\n1,100,2\xff\xfe00\n")
    with pytest.raises(DecodeError, match=r"user02_natural_labels\.csv: byte 41 is not text .*a labels CSV holds"):
        read_labels_csv(bad)
