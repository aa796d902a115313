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
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
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
    conftest: text of a ``conftest.py`` written at the root of both copies.
    pytest_args: extra pytest arguments (e.g. ``-p no:<plugin>`` for a plugin that does not load).
    """

    name: str
    mirror: str
    files: tuple[tuple[str, str], ...]
    imports: tuple[tuple[str, str], ...]
    plugins: tuple[str, ...] = ()
    pytest_args: tuple[str, ...] = ()
    notes: str = ""
    placeholders: tuple[str, str] | None = None
    out_of_scope: dict[str, tuple[str, ...]] = field(default_factory=dict)
    conftest: str = ""  # our own conftest.py for both copies (stubs of modules the peer imports but does not need)
    data: tuple[tuple[str, str], ...] = ()  # (commit, path) of data files or folders, copied byte for byte
    targets: tuple[str, ...] = ()  # pytest node ids to run instead of every test_ file of `files`
    per_function: bool = False  # also count test functions (passed when all their parametrized cases pass)


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


SJ_COMMIT = "afb132264a8cbe38d0f221dcef04053e6ba134d3"  # mirror HEAD, Aug 2026

SJ_OUT_OF_SCOPE = {
    "neurons we do not offer (LIAF, ILIF, QIF, EIF, Izhikevich, KLIF, CUBA-LIF, Lava CUBA, FlexSN, "
    "ActivationAwareIF, PSN, gated LIF, STBIF, SpikeDHS save_v_LIF, noisy and DSR neurons)": (
        "test_liaf_",
        "test_ilif_",
        "test_nonlinear_if_",
        "test_izhikevich_",
        "test_klif_",
        "test_cuba_",
        "test_lava_",
        "test_flexsn_",
        "test_activation_aware_",
        "test_sliding_psn_",
        "test_masked_psn_",
        "test_gated_lif_",
        "test_stbif_",
        "test_save_v_lif_",
        "test_loaded_zero_noise_",
        "test_zero_recurrent_connection_",
        "test_ilc_",
        "test_nonspiking_",
        "test_cubalif_",
        "test_neuron_parameters_keep_float32_",
        "test_neuron_functional_forward_is_pure_and_backs_regular_forward[s-<lambda>3]",
        "test_neuron_functional_forward_is_pure_and_backs_regular_forward[s-<lambda>4]",
        "test_neuron_functional_forward_is_pure_and_backs_regular_forward[m-<lambda>3]",
        "test_neuron_functional_forward_is_pure_and_backs_regular_forward[m-<lambda>4]",
    ),
    "SpikingJelly's own module inventory and docstrings (lists of its function names)": (
        "test_functional_neuron_exports",
        "test_functional_neuron_public_api_documentation",
        "test_functional_layer_exports",
        "test_functional_layer_public_api_documentation",
        "test_multi_step_names_identify_",
    ),
    "CuPy CUDA kernel code generation (absent from SpikingJelly 2.0.0 too)": ("test_bptt_kernel_",),
    "layers we do not offer (Delay, NeuNorm, threshold-dependent / temporal-effective BN, BN through time, "
    "DropConnect, weight-standardised WSConv2d, quantizers, the DQN example) or that belong to the toolbox "
    "(SynapseFilter, recurrent containers)": (
        "test_delay_",
        "test_synapse_filter_",
        "test_neunorm_",
        "test_threshold_dependent_",
        "test_temporal_effective_",
        "test_batch_norm_through_time_",
        "test_elementwise_recurrent_",
        "test_drop_connect_",
        "test_quantizers_",
        "test_multi_level_spike_count_",
        "test_dqn_agent_",
        "test_fixed_rank_wrappers_",
    ),
}


def spikingjelly_activation_based_suite() -> Suite:
    """SpikingJelly 2.0.0 ``activation_based``: surrogates, monitors, reset_net and the functional helpers, IF/LIF/
    PLIF single step vs sequence vs module, memories, layers and containers.

    The mirror (HEAD afb1322, Aug 2026; 2.0.0.dev1) has no 2.0.0 tag and its test folder started in 2026; these
    files at HEAD run on the installed 2.0.0 but for the tests that need modules 2.0.0 lacks (its CuPy kernel
    code generation, STBIF, a newer FlexSN), which fail on SpikingJelly too. Many tests cover neurons and layers
    we do not offer: they are counted apart (`SJ_OUT_OF_SCOPE`).
    """
    names = (
        "test_monitor",
        "test_functional",
        "test_functional_neuron",
        "test_neuron_kernel_surrogate_contract",
        "test_memory",
        "test_functional_layer",
        "test_noisy_and_misc",
    )
    return Suite(
        name="spikingjelly-activation_based",
        mirror="fangwei123456+spikingjelly",
        files=tuple((SJ_COMMIT, f"test/activation_based/{n}.py") for n in names),
        imports=((r"\bspikingjelly\.activation_based\b", "snnmodels.compat.spikingjelly"),),
        placeholders=("spikingjelly.activation_based", "snnmodels.compat.spikingjelly"),
        out_of_scope=SJ_OUT_OF_SCOPE,
    )


_STUB_TORCHAUDIO = """import sys, types

try:  # spikingjelly.datasets imports torchaudio for its speech-commands dataset only
    import torchaudio  # noqa: F401
except ImportError:
    sys.modules["torchaudio"] = types.ModuleType("torchaudio")
"""


def spikingjelly_datasets_suite() -> Suite:
    """SpikingJelly 2.0.0 ``spikingjelly.datasets``: ``test/test_dataset_utils.py`` (integrators, event readers,
    collate, splits, sub-datasets, random temporal delete).

    The mirror has no 2.0.0 tag and no commit whose datasets sources equal the installed 2.0.0 (its master,
    2.0.0.dev1, still has ``fast_split_to_train_test_set``, which 2.0.0 dropped); 3d5d156 is the newest version of
    the file. SpikingJelly 2.0.0 fails its one test of ``fast_split_to_train_test_set``. ``test_dataset_builders.py``
    (SpikingJelly's internal builders, with ES-ImageNet and SHD) fails 3 / 3 on 2.0.0 itself and is not run.
    """
    return Suite(
        name="spikingjelly-datasets",
        mirror="fangwei123456+spikingjelly",
        files=(("3d5d156b36a549fdcfc20daa570277ad4fe267f4", "test/test_dataset_utils.py"),),
        imports=((r"\bspikingjelly\.datasets\b", "neurodata.compat.spikingjelly"),),
        conftest=_STUB_TORCHAUDIO,
    )


def spikingjelly_toolbox_suite() -> Suite:
    """SpikingJelly's toolbox tests at the same commit: ``learning`` (STDP, MSTDP, MSTDPET), ``rnn`` (spiking
    LSTM/GRU and custom-cell layers) and ``visualizing``. Nine of the learning tests exercise 2.0.0.dev1 additions
    (legacy helper names, MSTDP ``batch_size``) and fail on the installed 2.0.0 as well. ``test_ann2snn.py`` tests
    the recipe internals of the 2.0 converter (operators, QCFS, transformer recipes), which we do not offer."""
    names = ("activation_based/test_learning", "activation_based/test_rnn", "test_visualizing")
    return Suite(
        name="spikingjelly-toolbox",
        mirror="fangwei123456+spikingjelly",
        files=tuple((SJ_COMMIT, f"test/{n}.py") for n in names),
        imports=(
            (r"\bspikingjelly\.activation_based\b", "snnmodels.compat.spikingjelly"),
            (r"\bfrom spikingjelly import visualizing\b", "from snnmodels.compat.spikingjelly import visualizing"),
        ),
        placeholders=("spikingjelly.activation_based", "snnmodels.compat.spikingjelly"),
    )


TONIC_COMMIT = "d0cb6df3ebfba018b9aac6d55f63576b46489609"
TONIC_FRAME_TESTS = (
    "test_representation_frame",
    "test_representation_inferred_frame",
    "test_representation_frame_wrong_sensor_size",
    "test_representation_audio_frame",
    "test_representation_image",  # ToImage comes from the representations module
)


def tonic_suite() -> Suite:
    """Tonic 1.7.0: transforms, ToFrame (the frame tests of ``test_representations.py``), slicers and io.

    The mirror has no 1.7.0 tag; its newest commit d0cb6df (after v1.6.0) has the test files of the 1.7.0
    sdist (which ships them without ``utils.py`` and ``test_data``), the same up to formatting. Reading
    ``sample.aedat4`` with Tonic needs the ``aedat`` package.
    """
    c = TONIC_COMMIT
    files = ("test_transforms.py", "test_slicers.py", "test_io.py", "test_representations.py", "utils.py")
    return Suite(
        name="tonic",
        mirror="neuromorphs+tonic",
        files=tuple((c, f"test/{f}") for f in files),
        imports=(
            (r"^import tonic\.transforms as transforms", "import neurodata.compat.tonic.transforms as transforms"),
            (r"^from tonic\.", "from neurodata.compat.tonic."),
            (r"^import tonic$", "import neurodata.compat.tonic as tonic"),
        ),
        data=((c, "test/test_data"),),
        targets=(
            "test/test_transforms.py",
            "test/test_slicers.py",
            "test/test_io.py",
            *(f"test/test_representations.py::{name}" for name in TONIC_FRAME_TESTS),
        ),
        per_function=True,
    )


SUITES: dict[str, Callable[[], Suite]] = {
    "snntorch": snntorch_suite,
    "pytorch-spiking": pytorch_spiking_suite,
    "spikingjelly-activation_based": spikingjelly_activation_based_suite,
    "spikingjelly-datasets": spikingjelly_datasets_suite,
    "spikingjelly-toolbox": spikingjelly_toolbox_suite,
    "tonic": tonic_suite,
}


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
    site = work / "site"
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
