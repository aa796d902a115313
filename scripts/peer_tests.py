"""Run the peers' own unit-test files against the peer and against our compatibility layer.

Each suite takes test files from a peer's git mirror at a named commit, writes them twice into a scratch folder
(as they are, and with only their import lines pointed at ``snnmodels.compat`` / ``neurodata.compat``), runs
pytest on both copies and prints passed/total per copy, then every test whose outcome differs. The peer's code
is never copied into this repository; the scratch folder is outside it.

    python scripts/peer_tests.py                      # every suite
    python scripts/peer_tests.py snntorch --keep      # one suite; keep the scratch folder to inspect

Environment: PEER_MIRRORS (default /work/.mirror) holds ``<owner>+<name>/repo`` bare git mirrors; the peers
themselves must be importable (installed --no-deps, see ci/peers.txt). Test-only plugins a peer's files need
(pytest-rng, ...) are pip-installed with --no-deps into the scratch folder, never into the environment.

To add a peer: write a function returning a `Suite` and list it in ``SUITES``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIRRORS = Path(os.environ.get("PEER_MIRRORS", "/work/.mirror"))


@dataclass(frozen=True)
class Suite:
    """One peer's test files and how to point them at our layer.

    files: (commit, path in the peer repository) pairs; each is written at the same relative path.
    imports: (regex, replacement) pairs applied to ``import``/``from`` lines only, for the copy run against us.
    plugins: pip requirement strings for pytest plugins the files need, installed --no-deps into the scratch dir.
    pytest_args: extra pytest arguments (e.g. ``-p no:<plugin>`` for a plugin that does not load).
    """

    name: str
    mirror: str
    files: tuple[tuple[str, str], ...]
    imports: tuple[tuple[str, str], ...]
    plugins: tuple[str, ...] = ()
    pytest_args: tuple[str, ...] = ()
    notes: str = ""


@dataclass
class Outcome:
    """Per-test outcomes of one pytest run: node id -> 'passed' | 'failed' | 'skipped'."""

    tests: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        return sum(v == "passed" for v in self.tests.values())

    @property
    def ran(self) -> int:
        return sum(v != "skipped" for v in self.tests.values())


# ---------------------------------------------------------------------------------------------------------------
# suites, one function per peer


def snntorch_suite() -> Suite:
    """snnTorch 1.0.0: loss, Leaky, LeakyParallel.

    The mirror has no 1.0.0 tag; at 634fc22 (its HEAD) the sources of Leaky, LeakyParallel and the losses are
    those of the installed 1.0.0. The LeakyParallel tests come with snnTorch's fix of its dropout (7103bec, not
    in 1.0.0), which is why snnTorch 1.0.0 fails four of them.
    """
    head = "634fc22385ec5581998e62787bbe39b53662140f"
    return Suite(
        name="snntorch",
        mirror="jeshraghian+snntorch",
        files=(
            (head, "tests/conftest.py"),
            (head, "tests/test_snntorch/functional/test_loss.py"),
            (head, "tests/test_snntorch/test_leaky.py"),
            ("7103bec53b450277544110b6a12338d251122b50", "tests/test_snntorch/test_leakyparallel.py"),
        ),
        imports=((r"\bsnntorch\b", "snnmodels.compat.snntorch"),),
    )


def pytorch_spiking_suite() -> Suite:
    """pytorch-spiking 0.1.0: SpikingActivation, Lowpass, TemporalAvgPool (``test_modules.py`` at tag v0.1.0).

    Its fixtures come from pytest-rng and pytest-allclose; ``test_lowpass_tau`` compares with nengo's Lowpass,
    so nengo is installed too, with its own pytest plugin (which does not load under pytest 8+) disabled.
    """
    return Suite(
        name="pytorch-spiking",
        mirror="nengo+pytorch-spiking",
        files=(("v0.1.0", "pytorch_spiking/tests/test_modules.py"),),
        imports=((r"\bpytorch_spiking\b", "snnmodels.compat.pytorch_spiking"),),
        plugins=("pytest-rng==1.0.0", "pytest-allclose==1.0.0", "nengo==4.1.0"),
        pytest_args=("-p", "no:nengo"),
    )


SUITES: dict[str, Callable[[], Suite]] = {
    "snntorch": snntorch_suite,
    "pytorch-spiking": pytorch_spiking_suite,
}


# ---------------------------------------------------------------------------------------------------------------
# running


def git_show(mirror: str, commit: str, path: str) -> str:
    """The text of ``path`` at ``commit`` in the bare mirror ``MIRRORS/<mirror>/repo``."""
    repo = MIRRORS / mirror / "repo"
    if not repo.is_dir():
        raise SystemExit(f"no mirror of {mirror} at {repo}; set PEER_MIRRORS to the folder that holds it")
    out = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"cannot read {path} at {commit} in {repo}: {out.stderr.strip()}")
    return out.stdout


def point_imports(text: str, imports: tuple[tuple[str, str], ...]) -> str:
    """``text`` with each (regex, replacement) applied to its ``import`` / ``from ... import`` lines only."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if re.match(r"\s*(import|from)\s", line):
            for pattern, repl in imports:
                line = re.sub(pattern, repl, line)
            lines[i] = line
    return "".join(lines)


def install_plugins(plugins: tuple[str, ...], site: Path) -> None:
    """pip-install ``plugins`` --no-deps into ``site`` (once)."""
    if not plugins or (site / ".done").exists():
        return
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), *plugins]
    subprocess.run(cmd, check=True)
    (site / ".done").write_text(" ".join(plugins))


def run_pytest(root: Path, suite: Suite, site: Path) -> Outcome:
    """pytest on the suite's files under ``root``, with our tree and ``site`` importable; per-test outcomes."""
    report = root / "report.xml"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), str(site), env.get("PYTHONPATH", "")) if p)
    env.pop("PYTEST_ADDOPTS", None)
    paths = [p for _, p in suite.files if Path(p).name.startswith("test_")]
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *suite.pytest_args]
    subprocess.run([*cmd, *paths], cwd=root, env=env, capture_output=True, text=True)
    outcome = Outcome()
    if not report.exists():
        return outcome
    for case in ET.parse(report).getroot().iter("testcase"):
        node = f"{case.get('classname')}::{case.get('name')}"
        if case.find("skipped") is not None:
            outcome.tests[node] = "skipped"
        elif case.find("failure") is not None or case.find("error") is not None:
            outcome.tests[node] = "failed"
        else:
            outcome.tests[node] = "passed"
    return outcome


def run_suite(suite: Suite, work: Path) -> tuple[Outcome, Outcome]:
    """Write both copies of the suite's files under ``work`` and run them: (peer, ours)."""
    site = work / "site"
    install_plugins(suite.plugins, site)
    outcomes = []
    for copy in ("peer", "ours"):
        root = work / suite.name / copy
        shutil.rmtree(root, ignore_errors=True)
        for commit, path in suite.files:
            text = git_show(suite.mirror, commit, path)
            dest = root / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(point_imports(text, suite.imports) if copy == "ours" else text)
        outcomes.append(run_pytest(root, suite, site))
    return outcomes[0], outcomes[1]


def report(suite: Suite, peer: Outcome, ours: Outcome) -> str:
    """A table row per suite, then each test whose outcome differs between the peer and us."""
    files = ", ".join(f"`{p}`@{c[:7]}" for c, p in suite.files if Path(p).name.startswith("test_"))
    lines = [f"| {suite.name} | {files} | {peer.passed} / {peer.ran} | {ours.passed} / {ours.ran} |"]
    for node in sorted(set(peer.tests) | set(ours.tests)):
        a, b = peer.tests.get(node, "absent"), ours.tests.get(node, "absent")
        if a != b:
            lines.append(f"    {node}: peer {a}, ours {b}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suites", nargs="*", help=f"suites to run, of {sorted(SUITES)} (default: all)")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.suites) - set(SUITES))
    if unknown:
        parser.error(f"unknown suite(s) {unknown}; known: {sorted(SUITES)}")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="peer-tests-"))
    work.mkdir(parents=True, exist_ok=True)
    print("| peer | test files @ commit | peer passed / ran | ours passed / ran |")
    print("| --- | --- | --- | --- |")
    try:
        for name in args.suites or list(SUITES):
            suite = SUITES[name]()
            print(report(suite, *run_suite(suite, work)), flush=True)
    finally:
        if args.keep or args.workdir:
            print(f"scratch folder: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
