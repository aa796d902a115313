"""The peers' test suites that ``scripts/peer_tests.py`` runs: which files, at which commit, and how their imports
are pointed at ``snnmodels.compat`` / ``neurodata.compat``.

To add a peer: write a function returning a `Suite` and list it in ``SUITES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


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


def snntorch_spikegen_suite() -> Suite:
    """snnTorch 1.0.0 ``spikegen``: rate, latency and delta codes, target codes (``tests/test_spikegen.py``).

    At 634fc22 ``snntorch/spikegen.py`` is byte for byte the installed 1.0.0's; the test file last changed long
    before 1.0.0 (b6ae3a1).
    """
    head = "634fc22385ec5581998e62787bbe39b53662140f"
    return Suite(
        name="snntorch-spikegen",
        mirror="jeshraghian+snntorch",
        files=((head, "tests/test_spikegen.py"),),
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
    "DropConnect, weight-standardised WSConv2d, quantizers, the DQN example)": (
        "test_delay_",
        "test_neunorm_",
        "test_threshold_dependent_",
        "test_temporal_effective_",
        "test_batch_norm_through_time_",
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
    "snntorch-spikegen": snntorch_spikegen_suite,
    "pytorch-spiking": pytorch_spiking_suite,
    "spikingjelly-activation_based": spikingjelly_activation_based_suite,
    "spikingjelly-datasets": spikingjelly_datasets_suite,
    "spikingjelly-toolbox": spikingjelly_toolbox_suite,
    "tonic": tonic_suite,
}
