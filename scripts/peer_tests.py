"""Run a peer library's own test files against the peer and against our compatibility layer.

For each peer: copy its test files (from a local git mirror or a clone, never committed here) into a
scratch folder twice, rewrite only the import lines in the second copy so they point at our modules, run
pytest on both and print passed/failed per test function (a function passes when all its parametrized
cases pass) and per case.

    python scripts/peer_tests.py                 # every peer registered below
    python scripts/peer_tests.py --peer tonic --workdir /tmp/tonic-peer --json results.json

Peers register with `@peer("name")`: a function that prepares ``<workdir>/peer`` and ``<workdir>/ours``
and returns the pytest targets and the folder to run them from. Not shipped; needs git, pytest and the
peer installed (`make bench-env`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIRRORS = Path(os.environ.get("PEER_MIRRORS", "/work/.mirror"))


@dataclass(frozen=True)
class Suite:
    """What to run: pytest `targets` (relative to `cwd`) in the peer copy and in ours."""

    peer_dir: Path
    ours_dir: Path
    targets: tuple[str, ...]
    source: str  # repository @ commit : files, for the record


PEERS: dict[str, Callable[[Path], Suite]] = {}


def peer(name: str) -> Callable[[Callable[[Path], Suite]], Callable[[Path], Suite]]:
    def register(fn: Callable[[Path], Suite]) -> Callable[[Path], Suite]:
        PEERS[name] = fn
        return fn

    return register


def checkout(repo: str, commit: str, paths: list[str], dest: Path) -> None:
    """`paths` of `repo` (owner/name) at `commit` into `dest`, from the local mirror or a fresh clone."""
    mirror = MIRRORS / repo.replace("/", "+") / "repo"
    with tempfile.TemporaryDirectory() as tmp:
        if not mirror.exists():
            mirror = Path(tmp) / "clone"
            subprocess.run(["git", "clone", "--quiet", "--bare", f"https://github.com/{repo}", str(mirror)], check=True)
        archive = Path(tmp) / "files.tar"
        subprocess.run(["git", "-C", str(mirror), "archive", "-o", str(archive), commit, *paths], check=True)
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")


def rewrite_imports(folder: Path, rules: list[tuple[str, str]]) -> None:
    """Apply the regex `rules` to the import lines (and only those) of every .py file under `folder`."""
    for path in folder.rglob("*.py"):
        lines = path.read_text().splitlines(keepends=True)
        for i, line in enumerate(lines):
            if re.match(r"\s*(import|from)\s", line):
                for pattern, repl in rules:
                    line = re.sub(pattern, repl, line)
                lines[i] = line
        path.write_text("".join(lines))


def run_pytest(cwd: Path, targets: tuple[str, ...], junit: Path, pythonpath: str | None) -> None:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        "--rootdir",
        str(cwd),
        f"--junitxml={junit}",
        *targets,
    ]
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def counts(junit: Path) -> dict[str, object]:
    """Passed and total per case and per test function, and the failing functions, from a junit file."""
    cases: dict[str, bool] = {}
    for tc in ET.parse(junit).iter("testcase"):
        if tc.find("skipped") is not None:
            continue
        name = f"{tc.get('classname', '').split('.')[-1]}::{tc.get('name')}"
        cases[name] = tc.find("failure") is None and tc.find("error") is None
    functions: dict[str, bool] = {}
    for name, ok in cases.items():
        fn = name.split("[")[0]
        functions[fn] = functions.get(fn, True) and ok
    return {
        "cases": (sum(cases.values()), len(cases)),
        "functions": (sum(functions.values()), len(functions)),
        "failed_functions": sorted(f for f, ok in functions.items() if not ok),
    }


# ---------------------------------------------------------------------------------------------- Tonic

TONIC_COMMIT = "d0cb6df"  # the mirror's newest commit; its test files equal the 1.7.0 sdist's up to formatting
TONIC_FRAME_TESTS = (
    "test_representation_frame",
    "test_representation_inferred_frame",
    "test_representation_frame_wrong_sensor_size",
    "test_representation_audio_frame",
    "test_representation_image",  # ToImage: provided by the representations module
)


@peer("tonic")
def tonic_suite(work: Path) -> Suite:
    files = [
        "test/test_transforms.py",
        "test/test_slicers.py",
        "test/test_io.py",
        "test/test_representations.py",
        "test/utils.py",
        "test/test_data",
    ]
    for side in ("peer", "ours"):
        shutil.rmtree(work / side, ignore_errors=True)
        checkout("neuromorphs/tonic", TONIC_COMMIT, files, work / side)
    rewrite_imports(
        work / "ours",
        [
            (r"^import tonic\.transforms as transforms", "import neurodata.compat.tonic.transforms as transforms"),
            (r"^from tonic\.", "from neurodata.compat.tonic."),
            (r"^import tonic$", "import neurodata.compat.tonic as tonic"),
            (r"^from tonic import", "from neurodata.compat.tonic import"),
        ],
    )
    reps = tuple(f"test/test_representations.py::{name}" for name in TONIC_FRAME_TESTS)
    targets = ("test/test_transforms.py", "test/test_slicers.py", "test/test_io.py", *reps)
    return Suite(work / "peer", work / "ours", targets, f"neuromorphs/tonic @ {TONIC_COMMIT} : {', '.join(files)}")


# ------------------------------------------------------------------------------------------------ main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer", action="append", choices=sorted(PEERS), help="default: every peer")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "peer-tests")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    results = {}
    for name in args.peer or sorted(PEERS):
        work = args.workdir / name
        suite = PEERS[name](work)
        row = {"source": suite.source, "targets": list(suite.targets)}
        for side, cwd, path in (("peer", suite.peer_dir, None), ("ours", suite.ours_dir, str(REPO))):
            junit = work / f"{side}.xml"
            run_pytest(cwd, suite.targets, junit, path)
            row[side] = counts(junit)
        results[name] = row
        p, o = row["peer"], row["ours"]
        print(
            f"{name}: peer {p['functions'][0]}/{p['functions'][1]} functions ({p['cases'][0]}/{p['cases'][1]} cases); "
            f"ours {o['functions'][0]}/{o['functions'][1]} functions ({o['cases'][0]}/{o['cases'][1]} cases)"
        )
        for f in o["failed_functions"]:
            print(f"  ours fails {f}")
        for f in p["failed_functions"]:
            print(f"  peer fails {f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
