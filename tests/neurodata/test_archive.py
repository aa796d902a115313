"""Extraction refuses members that escape the target folder and never leaves a half-extracted folder."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from neurodata.archive import extract_archive
from neurodata.errors import ArchiveError, UnsafeArchiveError


def _tar(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes] | None = None) -> Path:
    data = data or {}
    with tarfile.open(path, "w:gz") as tar:
        for m in members:
            payload = data.get(m.name)
            if payload is not None:
                m.size = len(payload)
            tar.addfile(m, io.BytesIO(payload) if payload is not None else None)
    return path


def _file(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    m = tarfile.TarInfo(name)
    m.type, m.linkname = kind, target
    return m


def test_tar_and_zip_extract_into_place(tmp_path: Path) -> None:
    tgz = _tar(tmp_path / "a.tar.gz", [_file("d/x.txt"), _link("d/y.txt", "x.txt")], {"d/x.txt": b"hello"})
    out = extract_archive(tgz, tmp_path / "out")
    assert (out / "d" / "x.txt").read_bytes() == b"hello"
    assert (out / "d" / "y.txt").read_bytes() == b"hello"  # a link inside the folder is fine
    zpath = tmp_path / "b.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("k/z.bin", b"\x00\x01")
    assert (extract_archive(zpath, tmp_path / "zout") / "k" / "z.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (_file("../evil.txt"), "outside the target folder"),
        (_file("d/../../evil.txt"), "outside the target folder"),
        (_file("/tmp/evil.txt"), "outside the target folder"),
        (_link("d/l", "../../evil.txt"), "symbolic link to '../../evil.txt'"),
        (_link("l", "/etc/passwd"), "symbolic link to '/etc/passwd'"),
        (_link("h", "../evil.txt", tarfile.LNKTYPE), "hard link"),
        (_link("dev", "", tarfile.CHRTYPE), "device file"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink-out", "symlink-abs", "hardlink-out", "device"],
)
def test_tar_escapes_are_refused_and_nothing_is_written(tmp_path: Path, member: tarfile.TarInfo, message: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    tgz = _tar(
        tmp_path / "bad.tar.gz",
        [_file("ok.txt"), member],
        {"ok.txt": b"1", member.name: b"evil"} if member.isfile() else {"ok.txt": b"1"},
    )
    with pytest.raises(UnsafeArchiveError, match=message):
        extract_archive(tgz, root / "out")
    assert not (root / "out").exists()
    assert list(root.iterdir()) == []
    assert not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize("name", ["../evil.txt", "/abs/evil.txt", "a/../../evil.txt", "C:/evil.txt"])
def test_zip_escapes_are_refused(tmp_path: Path, name: str) -> None:
    zpath = tmp_path / "bad.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("fine.txt", b"1")
        zf.writestr(zipfile.ZipInfo(name), b"evil")
    with pytest.raises(UnsafeArchiveError, match="outside the target folder"):
        extract_archive(zpath, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil.txt").exists()


def test_zip_symlink_member_is_refused(tmp_path: Path) -> None:
    zpath = tmp_path / "link.zip"
    info = zipfile.ZipInfo("link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr(info, "../../etc/passwd")
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        extract_archive(zpath, tmp_path / "out")


def test_damaged_archive_leaves_no_partial_folder(tmp_path: Path) -> None:
    tgz = _tar(tmp_path / "a.tar.gz", [_file("x.bin")], {"x.bin": bytes(range(256)) * 4000})
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(tgz.read_bytes()[:2000])
    with pytest.raises(ArchiveError, match=r"cut\.tar\.gz: damaged archive"):
        extract_archive(cut, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
    not_archive = tmp_path / "plain.txt"
    not_archive.write_text("hello")
    with pytest.raises(ArchiveError, match="not a zip or tar archive"):
        extract_archive(not_archive, tmp_path / "out")


@pytest.mark.parametrize("mode", ["w:bz2", "w:xz", "w"])
def test_other_tar_compressions(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "a.tar"
    with tarfile.open(path, mode) as tar:
        info = tarfile.TarInfo("d/x.bin")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    assert (extract_archive(path, tmp_path / "out") / "d" / "x.bin").read_bytes() == b"abc"
