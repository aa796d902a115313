"""Extract zip and tar archives without letting any member escape the target folder.

Members are checked before they are written: absolute paths, ``..`` that leaves the target, symbolic or
hard links whose target leaves it, and device files / FIFOs are refused with `UnsafeArchiveError` naming
the archive and the member. Extraction goes into a temporary sibling folder that is renamed into place only
when complete (and deleted on any error), so nothing lands outside the target and an interrupted
extraction never looks finished.

Tar archives are read in one streaming pass (checking each member as it arrives): a second pass would
decompress a .tar.gz twice. Gzip is inflated with ISA-L when the `isal` package is installed (about 2x
faster than zlib).
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import logging
import lzma
import os
import posixpath
import shutil
import stat
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import IO

from neurodata.errors import ArchiveError, UnsafeArchiveError

log = logging.getLogger(__name__)

_READ_BUFFER = 4 << 20  # tarfile reads in small blocks; a large buffer keeps decompression in big calls


def _inside(name: str) -> bool:
    """True if the archive path `name` stays inside the folder it is extracted into."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return False
    norm = posixpath.normpath(name.replace("\\", "/"))
    return norm != ".." and not norm.startswith("../")


def _check_tar_member(archive: Path, m: tarfile.TarInfo) -> None:
    where = f"{archive.name}: member {m.name!r}"
    if not _inside(m.name):
        raise UnsafeArchiveError(f"{where} would be written outside the target folder; refusing to extract")
    if m.isdev() or m.isfifo():
        raise UnsafeArchiveError(f"{where} is a device file or FIFO; refusing to extract")
    if m.issym():
        target = posixpath.join(posixpath.dirname(m.name), m.linkname)
        if m.linkname.startswith("/") or not _inside(target):
            raise UnsafeArchiveError(f"{where} is a symbolic link to {m.linkname!r}, outside the target folder")
    if m.islnk() and not _inside(m.linkname):
        raise UnsafeArchiveError(f"{where} is a hard link to {m.linkname!r}, outside the target folder")


def _check_zip(archive: Path, zf: zipfile.ZipFile) -> None:
    for info in zf.infolist():
        where = f"{archive.name}: member {info.filename!r}"
        if not _inside(info.filename):
            raise UnsafeArchiveError(f"{where} would be written outside the target folder; refusing to extract")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeArchiveError(f"{where} is a symbolic link; links in zip archives are not extracted")
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
            raise UnsafeArchiveError(f"{where} is a device file or FIFO; refusing to extract")


def _decompressed(raw: IO[bytes]) -> IO[bytes]:
    """`raw` (a tar, possibly gzip/bzip2/xz-compressed) as a buffered stream of tar bytes."""
    magic = raw.read(6)
    raw.seek(0)
    stream: IO[bytes]
    if magic[:2] == b"\x1f\x8b":
        try:
            from isal import igzip

            stream = igzip.GzipFile(fileobj=raw, mode="rb")
        except ImportError:
            stream = gzip.GzipFile(fileobj=raw, mode="rb")
    elif magic[:3] == b"BZh":
        stream = bz2.BZ2File(raw)
    elif magic == b"\xfd7zXZ\x00":
        stream = lzma.LZMAFile(raw)  # noqa: SIM115 - every branch is closed by the caller's with
    else:
        stream = raw
    return io.BufferedReader(stream, buffer_size=_READ_BUFFER)  # type: ignore[arg-type]


def _compressed(archive: Path) -> bool:
    """Whether `archive` starts like a gzip, bzip2 or xz stream."""
    with archive.open("rb") as f:
        magic = f.read(6)
    return magic[:2] == b"\x1f\x8b" or magic[:3] == b"BZh" or magic == b"\xfd7zXZ\x00"


def _starts_like_zip(archive: Path) -> bool:
    with archive.open("rb") as f:
        return f.read(4) == b"PK\x03\x04"


def _extract_tar(archive: Path, into: Path, where: list[str]) -> None:
    with archive.open("rb") as raw, _decompressed(raw) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            where[0] = f"at member {member.name!r}"
            _check_tar_member(archive, member)
            if hasattr(tarfile, "data_filter"):  # defence in depth where Python has it (PEP 706)
                tar.extract(member, into, filter="data")
            else:  # pragma: no cover - Python without PEP 706; the member was checked above
                tar.extract(member, into)
            # between members: a failure now is in the next header, or the stream's end (gzip's CRC)
            where[0] = f"after member {member.name!r}"


def _extract_zip(archive: Path, into: Path, where: list[str]) -> None:
    with zipfile.ZipFile(archive) as zf:
        _check_zip(archive, zf)
        for info in zf.infolist():
            where[0] = f"at member {info.filename!r}"
            zf.extract(info, into)


# what the codecs raise on damaged input: zlib (zip deflate, gzip), lzma, bz2 and isal raise their own types
# or OSError/EOFError; zip raises BadZipFile, NotImplementedError (unknown method) or RuntimeError (encrypted)
_DAMAGED: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError, NotImplementedError,
    RuntimeError, ValueError, struct.error, UnicodeError,
)
try:
    from isal import isal_zlib

    _DAMAGED += (isal_zlib.error,)
except ImportError:  # pragma: no cover - isal is a dependency
    pass

SOURCE_FILE = ".neurodata-source.json"  # inside an extraction: the archive it came from


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - another user's live process
        return True
    return True


def remove_dead_partials(dest: Path) -> None:
    """Delete ``.<name>.partial-<pid>`` siblings of `dest` left by processes that no longer run (a kill)."""
    for stale in dest.parent.glob(f".{dest.name}.partial-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and _pid_alive(int(pid)):
            continue  # another extraction is running
        log.info("removing %s left by an interrupted extraction", stale)
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def _recorded_source(dest: Path) -> str | None:
    try:
        return str(json.loads((dest / SOURCE_FILE).read_text())["source"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def extract_archive(archive: Path, dest: Path, *, source: str | None = None) -> Path:
    """Extract `archive` (.zip, .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz) so that its members end up in `dest`.

    `source` identifies the archive's content (its digests): it is recorded inside the extraction
    (``.neurodata-source.json``), and an existing `dest` is reused only if it records the same one. An
    extraction of other archives (new files placed in the root) is replaced; a `dest` without a record
    (placed by the user, or extracted by an older version) is taken as finished and never deleted. Without
    `source`, an existing `dest` is taken as finished. Temporaries of killed extractions are removed.

    Returns:
        `dest`.

    Raises:
        ArchiveError: the archive is damaged (naming the member where it failed), or not an archive.
        UnsafeArchiveError: a member would land outside `dest`.
    """
    archive, dest = Path(archive), Path(dest)
    remove_dead_partials(dest)
    if dest.exists():
        recorded = _recorded_source(dest)
        if source is None or recorded == source:
            return dest
        if recorded is None:
            log.info("using %s as extracted (it records no source archive)", dest)
            return dest
        log.info("%s was extracted from other archives; extracting %s again", dest, archive.name)
        old = dest.with_name(f".{dest.name}.partial-{os.getpid()}-old")
        dest.replace(old)  # one rename: a kill now leaves no `dest`, so the next run extracts again
        shutil.rmtree(old, ignore_errors=True)
    tmp = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    where = [""]
    try:
        if zipfile.is_zipfile(archive):
            _extract_zip(archive, tmp, where)
        elif tarfile.is_tarfile(archive) or _compressed(archive):
            # a damaged compressed tar may fail `is_tarfile`: extracting says where it is damaged
            where[0] = "while reading its first member"  # reads are buffered: a damage early in it
            _extract_tar(archive, tmp, where)
        elif _starts_like_zip(archive):
            raise ArchiveError(
                f"{archive.name}: damaged archive (a zip without its central directory at the end: cut short?); "
                "delete it and download again"
            )
        else:
            raise ArchiveError(f"{archive.name}: not a zip or tar archive; delete it and download again")
        if source is not None:
            (tmp / SOURCE_FILE).write_text(json.dumps({"archive": archive.name, "source": source}) + "\n")
    except ArchiveError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except _DAMAGED as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, tarfile.FilterError):
            raise UnsafeArchiveError(f"{archive.name}: {err}") from err
        at = f" {where[0]}" if where[0] else ""
        if isinstance(err, OSError) and err.errno is not None:  # the disk, not the archive
            raise ArchiveError(f"{archive.name}: extracting{at} into {dest.parent} failed: {err}") from err
        raise ArchiveError(
            f"{archive.name}: damaged archive{at} ({type(err).__name__}: {err}); delete it and download again"
        ) from err
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    tmp.replace(dest)
    log.info("extracted %s into %s", archive.name, dest)
    return dest
