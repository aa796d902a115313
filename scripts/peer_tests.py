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

The suites (which files, at which commit, how their imports change) are in ``scripts/peer_suites.py``.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIRRORS = Path(os.environ.get("PEER_MIRRORS", "/work/.mirror"))

sys.path.insert(0, str(REPO))

from scripts.peer_suites import SUITES, Suite


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
# running

PLACEHOLDER_CONFTEST = '''
import importlib, importlib.abc, importlib.machinery, importlib.util, sys, types

PREFIX = {prefix!r}
STUB_TENSORBOARD = {stub_tensorboard!r}


COLLECTING = [True]  # placeholders stand in while pytest collects; inside a test, touching one fails


def pytest_collection_finish(session):
    COLLECTING[0] = False


class NotOffered(BaseException):
    """Raised when a test uses a name the library under test does not have (BaseException: no test catches it)."""


class Placeholder:
    """Stands in for a missing name: while pytest collects, calling it or reading its attributes gives more
    placeholders (so a file that builds test parameters from it still collects); inside a test, any use fails."""

    def __init__(self, name):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "__name__", name.rsplit(".", 1)[-1])

    def __call__(self, *a, **k):
        if not COLLECTING[0]:
            raise NotOffered(f"{{self._name}} is not offered")
        return Placeholder(self._name + "()")

    def __getattr__(self, attr):
        if attr.startswith("_"):  # probes by pytest and friends (mock detection, dunders)
            raise AttributeError(attr)
        if not COLLECTING[0]:
            raise NotOffered(f"{{self._name}}.{{attr}} is not offered")
        return Placeholder(f"{{self._name}}.{{attr}}")

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def __mro_entries__(self, bases):
        raise NotOffered(f"{{self._name}} is not offered")

    def __repr__(self):
        return f"<not offered: {{self._name}}>"

    def _fail(self, *a, **k):
        raise NotOffered(f"{{self._name}} is not offered")

    __bool__ = __iter__ = __len__ = __getitem__ = __setattr__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __lt__ = __gt__ = _fail


def _answer_missing(module):
    # a module __getattr__ for missing names, and a __path__ so that missing submodules reach the Finder
    if "__getattr__" not in vars(module):
        module.__getattr__ = lambda name: _missing(module, name)
    if not hasattr(module, "__path__"):
        module.__path__ = []


def _missing(mod, name):
    if name.startswith("__"):
        raise AttributeError(name)
    full = f"{{mod.__name__}}.{{name}}"
    if full in sys.modules or _real_spec(full, getattr(mod, "__path__", None)) is not None:
        return importlib.import_module(full)  # a submodule not imported yet
    return Placeholder(full)


def _real_spec(fullname, path):
    if path is None:
        return None
    for finder in sys.meta_path:
        if isinstance(finder, (Finder, Patcher)) or not hasattr(finder, "find_spec"):
            continue
        spec = finder.find_spec(fullname, path, None)
        if spec is not None:
            return spec
    return None


class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Placeholder modules for submodules of PREFIX that do not exist."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(PREFIX + ".") or fullname in sys.modules:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = getattr(finder, "find_spec", lambda *a: None)(fullname, path, target)
            if spec is not None:
                return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        mod = types.ModuleType(spec.name)
        mod.__path__ = []
        mod.__getattr__ = lambda name: _missing(mod, name)
        return mod

    def exec_module(self, module):
        pass


class Patcher(importlib.abc.MetaPathFinder):
    """Gives every module under PREFIX, once loaded, a module __getattr__ that answers missing names."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != PREFIX and not fullname.startswith(PREFIX + "."):
            return None
        for finder in sys.meta_path:
            if finder is self or isinstance(finder, Finder) or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                run = spec.loader.exec_module

                def exec_module(module, run=run):
                    run(module)
                    _answer_missing(module)

                spec.loader.exec_module = exec_module
                return spec
            if spec is not None:
                return spec
        return None


if STUB_TENSORBOARD and importlib.util.find_spec("tensorboard") is None:
    stub = types.ModuleType("torch.utils.tensorboard")
    stub.SummaryWriter = object
    sys.modules["torch.utils.tensorboard"] = stub
sys.meta_path.insert(0, Patcher())
sys.meta_path.append(Finder())
_pkg = importlib.import_module(PREFIX)
for _name, _mod in list(sys.modules.items()):
    if (_name == PREFIX or _name.startswith(PREFIX + ".")) and isinstance(_mod, types.ModuleType):
        _answer_missing(_mod)
'''


def git_show(mirror: str, commit: str, path: str) -> str:
    """The text of ``path`` at ``commit`` in the bare mirror ``MIRRORS/<mirror>/repo``."""
    repo = MIRRORS / mirror / "repo"
    if not repo.is_dir():
        raise SystemExit(f"no mirror of {mirror} at {repo}; set PEER_MIRRORS to the folder that holds it")
    out = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"cannot read {path} at {commit} in {repo}: {out.stderr.strip()}")
    return out.stdout


def copy_tree(mirror: str, commit: str, path: str, root: Path) -> None:
    """``path`` (a file or a folder) at ``commit`` of the bare mirror, byte for byte, under ``root``."""
    repo = MIRRORS / mirror / "repo"
    archive = subprocess.run(["git", "-C", str(repo), "archive", commit, path], capture_output=True)
    if archive.returncode:
        raise SystemExit(f"cannot read {path} at {commit} in {repo}: {archive.stderr.decode().strip()}")
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(root, filter="data")


def by_function(outcome: Outcome) -> Outcome:
    """One outcome per test function: passed when every parametrized case of it passed."""
    out = Outcome()
    for node, result in outcome.tests.items():
        if result == "skipped":
            continue
        fn = node.split("[", 1)[0]
        out.tests[fn] = "passed" if out.tests.get(fn, "passed") == "passed" and result == "passed" else "failed"
    return out


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
    paths = list(suite.targets) or [p for _, p in suite.files if Path(p).name.startswith("test_")]
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
    # one folder per suite: a plugin one suite needs (nengo's, say) must not load into another suite's pytest
    site = work / "site" / suite.name
    install_plugins(suite.plugins, site)
    outcomes = []
    for copy in ("peer", "ours"):
        root = work / suite.name / copy
        shutil.rmtree(root, ignore_errors=True)
        if suite.placeholders is not None:
            prefix = suite.placeholders[1 if copy == "ours" else 0]
            root.mkdir(parents=True, exist_ok=True)
            (root / "conftest.py").write_text(PLACEHOLDER_CONFTEST.format(prefix=prefix, stub_tensorboard=True))
        if suite.conftest:
            root.mkdir(parents=True, exist_ok=True)
            (root / "conftest.py").write_text(suite.conftest)
        for commit, path in suite.data:
            copy_tree(suite.mirror, commit, path, root)
        for commit, path in suite.files:
            text = git_show(suite.mirror, commit, path)
            dest = root / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(point_imports(text, suite.imports) if copy == "ours" else text)
        outcomes.append(run_pytest(root, suite, site))
    return outcomes[0], outcomes[1]


def in_scope(suite: Suite, outcome: Outcome) -> Outcome:
    """The tests of features we claim: those whose name matches no prefix of ``suite.out_of_scope``."""
    prefixes = tuple(p for group in suite.out_of_scope.values() for p in group)
    return Outcome({k: v for k, v in outcome.tests.items() if not k.split("::", 1)[-1].startswith(prefixes)})


def report(suite: Suite, peer: Outcome, ours: Outcome) -> str:
    """A table row per suite (and one for its in-scope tests), then each test whose outcome differs."""
    files = ", ".join(f"`{p}`@{c[:7]}" for c, p in suite.files if Path(p).name.startswith("test_"))
    lines = [f"| {suite.name} | {files} | {peer.passed} / {peer.ran} | {ours.passed} / {ours.ran} |"]
    if suite.out_of_scope:
        for reason, prefixes in suite.out_of_scope.items():
            group = [Outcome({k: v for k, v in o.tests.items() if k.split("::", 1)[-1].startswith(prefixes)})
                     for o in (peer, ours)]  # fmt: skip
            lines.append(f"    out of scope, {reason}: peer {group[0].passed} / {group[0].ran}, "
                         f"ours {group[1].passed} / {group[1].ran}")  # fmt: skip
        peer, ours = in_scope(suite, peer), in_scope(suite, ours)
        lines.append(
            f"| {suite.name} (in scope) | as above | {peer.passed} / {peer.ran} | {ours.passed} / {ours.ran} |"
        )
    if suite.per_function:
        fp, fo = by_function(peer), by_function(ours)
        lines.append(f"| {suite.name} (test functions) | as above | {fp.passed} / {fp.ran} | {fo.passed} / {fo.ran} |")
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
