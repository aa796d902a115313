"""Fetch files safely: stream to ``<name>.part``, resume with HTTP Range, retry, try mirrors, verify, rename.

A file is only ever visible under its final name after its checksum matched. A download of our own that
fails verification is moved aside to ``<name>.corrupt`` (never used, never silently deleted); a file that was
already there (perhaps placed by the user) is never moved or deleted, only refused. Either way a
`ChecksumError` says which file, the expected and actual digests, where the file is and what to do. Knows
nothing about datasets.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from neurodata.errors import ChecksumError, NeurodataError

log = logging.getLogger(__name__)

USER_AGENT = "neurodata (https://pypi.org/project/neurodata-snnmodels)"
_CHUNK = 1 << 20
_NET_CHUNK = 1 << 16  # small network reads: a broken connection loses at most this much


class DownloadError(NeurodataError):
    """Every mirror of a file failed (the message lists each URL and why)."""


@dataclass(frozen=True)
class Resource:
    """One file of a dataset or model: where to fetch it and how to recognise it.

    Attributes:
        filename: name under the download folder.
        urls: mirrors, tried in order; empty for files that must be placed by hand.
        md5 / sha256: hex digests (at least one should be given).
        size: bytes, when known (shown in messages; not trusted over the digests).
        manual: instructions for files that cannot be fetched by script.
    """

    filename: str
    urls: tuple[str, ...] = ()
    md5: str | None = None
    sha256: str | None = None
    size: int | None = None
    manual: str | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False)


def file_digests(path: Path, algorithms: Sequence[str] = ("md5", "sha256")) -> dict[str, str]:
    """Hex digests of `path` for each algorithm, in one read."""
    hashes = {a: hashlib.new(a, usedforsecurity=False) for a in algorithms}
    # hashlib releases the GIL on large buffers: with two digests, the second runs on another core
    pool = ThreadPoolExecutor(len(hashes) - 1) if len(hashes) > 1 else None
    first, *rest = hashes.values()
    try:
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                pending = [pool.submit(h.update, chunk) for h in rest] if pool else []
                first.update(chunk)
                for fut in pending:
                    fut.result()
    finally:
        if pool is not None:
            pool.shutdown()
    return {a: h.hexdigest() for a, h in hashes.items()}


def _expected(md5: str | None, sha256: str | None) -> dict[str, str]:
    return {k: v.lower() for k, v in (("md5", md5), ("sha256", sha256)) if v}


def verify_file(
    path: Path,
    *,
    md5: str | None = None,
    sha256: str | None = None,
    what_to_do: str = "",
    aside: Path | None = None,
) -> None:
    """Check `path` against the given digests; on a mismatch raise `ChecksumError`.

    The file stays where it is unless `aside` is given: only our own downloads (a ``.part`` file) are
    moved there, so that a user's file is never renamed or deleted.
    """
    expected = _expected(md5, sha256)
    if not expected:
        return
    actual = file_digests(path, list(expected))
    bad = {a: (e, actual[a]) for a, e in expected.items() if actual[a] != e}
    if not bad:
        return
    detail = "; ".join(f"{a} expected {e}, got {g}" for a, (e, g) in bad.items())
    if aside is not None:
        path.replace(aside)
        name = aside.name.removesuffix(".corrupt")
        where = f"The download was moved to {aside} and will not be used. "
        fix = "Delete it and download again; if this repeats, the mirror serves a different file."
    else:
        name = path.name
        where = f"The file was left at {path} and will not be used. "
        fix = "Replace it with the right file, or delete it and download again."
    raise ChecksumError(f"{name}: checksum mismatch ({detail}). {where}{what_to_do or fix}")


def _fetch_once(url: str, part: Path, timeout: float, progress: bool, expected_size: int | None) -> None:
    """Append the rest of `url` to `part` (resuming from its size); raise OSError on any failure."""
    if url.startswith("file://"):
        src = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
        done = part.stat().st_size if part.exists() else 0
        with src.open("rb") as fin, part.open("ab") as fout:
            fin.seek(done)
            shutil.copyfileobj(fin, fout, _CHUNK)
        return
    import requests
    from tqdm.auto import tqdm

    done = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if done:
        headers["Range"] = f"bytes={done}-"
    with requests.get(url, headers=headers, stream=True, timeout=timeout, allow_redirects=True) as r:
        if r.status_code == 416 and done:  # nothing left to send: the .part may already be whole
            return
        if r.status_code not in (200, 206):
            raise OSError(f"HTTP {r.status_code} {r.reason}")
        mode = "ab"
        if done and r.status_code == 200:  # the server ignored Range: start over
            done, mode = 0, "wb"
        length = r.headers.get("Content-Length")
        total = done + int(length) if length is not None else expected_size
        with (
            part.open(mode) as f,
            tqdm(
                total=total,
                initial=done,
                unit="B",
                unit_scale=True,
                desc=part.name[:-5],
                disable=not progress,
                leave=False,
            ) as bar,
        ):
            try:
                for chunk in r.iter_content(_NET_CHUNK):
                    f.write(chunk)
                    bar.update(len(chunk))
            except requests.RequestException as err:
                raise OSError(f"connection broke after {f.tell()} bytes: {err}") from err
        if length is not None and part.stat().st_size < done + int(length):
            raise OSError(f"connection closed after {part.stat().st_size} of {done + int(length)} bytes")


def download_file(
    urls: Sequence[str],
    dest: Path,
    *,
    md5: str | None = None,
    sha256: str | None = None,
    size: int | None = None,
    retries: int = 3,
    backoff: float = 1.0,
    timeout: float = 60.0,
    progress: bool = True,
) -> Path:
    """Download `dest` from the first mirror that works, resuming interrupted transfers, and verify it.

    An existing `dest` that verifies is kept without a request. Each mirror is tried ``retries + 1``
    times with exponential back-off (``backoff * 2**k`` seconds), each time resuming the ``.part`` file.

    Returns:
        `dest`, complete and verified.

    Any failure of a mirror, a checksum mismatch included, moves on to the next one.

    Raises:
        ChecksumError: every mirror served bytes that do not match (the last copy is moved aside, see
            `verify_file`); the message gives each mirror's result.
        DownloadError: every mirror failed, some otherwise; the message says how each failed.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        verify_file(dest, md5=md5, sha256=sha256)
        return dest
    part = dest.with_name(dest.name + ".part")
    aside = dest.with_name(dest.name + ".corrupt")
    failures: list[str] = []
    mismatches = 0
    for url in urls:
        # a .part left by an earlier attempt (or another mirror) is resumed; if the result then fails its
        # checksum, the mirror gets one more try from the first byte before the next mirror is asked
        fresh_try = part.exists() and part.stat().st_size > 0
        while True:
            error = _fetch_with_retries(url, dest, part, retries, backoff, timeout, progress, size, failures)
            if error is not None:
                break
            if not part.exists():
                failures.append(f"{url}: the server sent nothing")
                break
            try:
                # verified under the .part name, so `dest` never exists unverified, even after a crash
                verify_file(part, md5=md5, sha256=sha256, aside=aside)
            except ChecksumError as err:
                failures.append(f"{url}: {err}")
                log.warning("download of %s from %s: %s", dest.name, url, err)
                if fresh_try:
                    fresh_try = False
                    continue
                mismatches += 1
                break
            part.replace(dest)
            log.info("downloaded %s", dest)
            return dest
    detail = "\n  ".join(failures or ["no URL given"])
    if urls and mismatches == len(urls):
        raise ChecksumError(
            f"{dest.name}: every mirror served a file with the wrong checksum; tried:\n  {detail}\n"
            f"The last one is at {aside}; if this repeats, the dataset's files changed upstream."
        )
    raise DownloadError(
        f"could not download {dest.name}; tried:\n  {detail}"
        + f"\nA partial file, if any, stays at {part} and the next attempt resumes it."
    )


def _fetch_with_retries(
    url: str, dest: Path, part: Path, retries: int, backoff: float, timeout: float, progress: bool,
    size: int | None, failures: list[str],
) -> str | None:
    """Fetch `url` into `part` with ``retries`` more tries on failure; the last error (None: fetched)."""
    import requests

    error = None
    for attempt in range(retries + 1):
        try:
            _fetch_once(url, part, timeout, progress, size)
            return None
        except (OSError, requests.RequestException, ValueError) as err:
            error = f"{url} (try {attempt + 1}): {err}"
            failures.append(error)
            log.warning("download of %s from %s failed: %s", dest.name, url, err)
            if attempt < retries:
                time.sleep(backoff * 2**attempt)
    return error
