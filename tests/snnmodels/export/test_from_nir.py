"""from_nir: every NIR primitive against hand-computed traces or torch's own ops, graphs, errors, fine-tuning."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from snnmodels.export import ExportError, NIRNetwork, from_nir, to_nir

nir = pytest.importorskip("nir", reason="nir not installed (pip install nir==1.0.8)")


def _one(node: object, x: torch.Tensor, **kw: object) -> torch.Tensor:
    """Run a single-node graph on x [T, N, ...] in float64."""
    net = from_nir(nir.NIRGraph.from_list(node), dtype=torch.float64, **kw)
    return net(x)


def _seq(values: list[float]) -> torch.Tensor:
    """A [T, 1, 1] input from one value per step."""
    return torch.tensor(values, dtype=torch.float64).view(-1, 1, 1)


def _flat(y: torch.Tensor) -> list[float]:
    return [float(v) for v in y.detach().flatten()]


def test_if_integrates_dt_r_x_and_resets_to_v_reset() -> None:
    # dt·r = 0.5·2 = 1, starting at v_reset = -0.5: v = 0.1, 0.7, 1.1 (spike, back to -0.5), 0.2, 0.9, 1.6 (spike)
    node = nir.IF(r=np.array([2.0]), v_threshold=np.array([1.0]), v_reset=np.array([-0.5]))
    y = _one(node, _seq([0.6, 0.6, 0.4, 0.7, 0.7, 0.7]), dt=0.5)
    assert _flat(y) == [0, 0, 1, 0, 0, 1]


def test_if_starts_at_v_reset() -> None:
    node = nir.IF(r=np.array([1.0]), v_threshold=np.array([1.0]), v_reset=np.array([0.5]))
    assert _flat(_one(node, _seq([0.75]), dt=1.0)) == [1.0]  # 0.5 + 0.75 > 1


def test_nir_fires_strictly_above_threshold_unless_asked() -> None:
    node = nir.IF(r=np.array([1.0]), v_threshold=np.array([1.0]), v_reset=np.array([0.0]))
    x = _seq([0.5, 0.5, 0.5, 0.5])  # v = 0.5, 1.0, 1.5, ...: exactly on the threshold at step 2
    assert _flat(_one(node, x, dt=1.0)) == [0, 0, 1, 0]
    assert _flat(_one(node, x, dt=1.0, fire_at_threshold=True)) == [0, 1, 0, 1]


def test_lif_is_forward_euler_with_tau_over_dt() -> None:
    # k = tau/dt = 2, r = 1, v_leak = 0: v = 0.5, 0.75 (> 0.7: spike, reset 0), 0.5
    node = nir.LIF(
        tau=np.array([2e-3]),
        r=np.array([1.0]),
        v_leak=np.array([0.0]),
        v_threshold=np.array([0.7]),
        v_reset=np.array([0.0]),
    )
    assert _flat(_one(node, _seq([1.0, 1.0, 1.0]), dt=1e-3)) == [0, 1, 0]


def test_lif_r_scales_the_input_and_v_leak_is_the_rest() -> None:
    # k = 4, r = 2, v_leak = 1, starting at v_leak: v = 1 + (1 - 1 + 2·0.5)/4 = 1.25, then 1.25 + (1 - 1.25 + 1)/4
    node = nir.LI(tau=np.array([4.0]), r=np.array([2.0]), v_leak=np.array([1.0]))
    assert _flat(_one(node, _seq([0.5, 0.5]), dt=1.0)) == [1.25, 1.4375]


def test_integrator_accumulates() -> None:
    node = nir.I(r=np.array([3.0]))
    assert _flat(_one(node, _seq([1.0, -0.5, 2.0]), dt=0.5)) == [1.5, 0.75, 3.75]


def test_cuba_li_current_then_membrane() -> None:
    # k_syn = 2, k_mem = 4, w_in = 2, r = 1, v_leak = 0; x = 1, 0:
    # i1 = (2 - 0)/2 = 1,  v1 = (0 - 0 + 1)/4 = 0.25
    # i2 = 1 + (0 - 1)/2 = 0.5,  v2 = 0.25 + (0 - 0.25 + 0.5)/4 = 0.3125
    node = nir.CubaLI(
        tau_syn=np.array([2.0]),
        tau_mem=np.array([4.0]),
        r=np.array([1.0]),
        v_leak=np.array([0.0]),
        w_in=np.array([2.0]),
    )
    assert _flat(_one(node, _seq([1.0, 0.0]), dt=1.0)) == [0.25, 0.3125]


def test_cuba_lif_spikes_and_resets_the_membrane_only() -> None:
    # as above with threshold 0.2: v1 = 0.25 spikes, reset to 0; i stays 1 -> i2 = 0.5, v2 = (0.5)/4 = 0.125
    node = nir.CubaLIF(
        tau_syn=np.array([2.0]),
        tau_mem=np.array([4.0]),
        r=np.array([1.0]),
        v_leak=np.array([0.0]),
        v_threshold=np.array([0.2]),
        w_in=np.array([2.0]),
    )
    assert _flat(_one(node, _seq([1.0, 0.0, 0.0]), dt=1.0)) == [1, 0, 0]


def test_threshold_is_a_stateless_step() -> None:
    node = nir.Threshold(threshold=np.array([0.5]))
    assert _flat(_one(node, _seq([0.4, 0.5, 0.6]))) == [0, 0, 1]


def test_delay_shifts_each_element_by_its_steps() -> None:
    node = nir.Delay(delay=np.array([0.0, 1e-3, 3e-3]))
    x = torch.arange(1.0, 6.0, dtype=torch.float64).view(5, 1, 1).expand(5, 1, 3).clone()
    y = _one(node, x, dt=1e-3)
    assert y[:, 0, 0].tolist() == [1, 2, 3, 4, 5]
    assert y[:, 0, 1].tolist() == [0, 1, 2, 3, 4]
    assert y[:, 0, 2].tolist() == [0, 0, 0, 1, 2]


def test_delay_must_be_whole_steps() -> None:
    with pytest.raises(ExportError, match="whole multiples of dt"):
        from_nir(nir.NIRGraph.from_list(nir.Delay(delay=np.array([1.5e-3]))), dt=1e-3)


def test_recurrent_delay_matches_the_sequence_form() -> None:
    # in a cycle the Delay runs step by step; its output must equal the sequence form's
    delay = nir.Delay(delay=np.array([2.0, 1.0]))
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([2])}),
            "d": delay,
            "scale": nir.Scale(scale=np.array([0.5, 0.5])),
            "output": nir.Output(output_type={"output": np.array([2])}),
        },
        edges=[("input", "d"), ("d", "output"), ("d", "scale"), ("scale", "d")],
    )
    net = from_nir(graph, dt=1.0, dtype=torch.float64)
    assert net.is_recurrent
    x = torch.zeros(6, 1, 2, dtype=torch.float64)
    x[0] = 1.0
    # d(t) = in(t - k) + 0.5·d(t - 1 - k): element 0 (k=2): 0,0,1,0,0,.5 ; element 1 (k=1): 0,1,0,.5,0,.25
    y = net(x)[:, 0]
    assert y[:, 0].tolist() == [0, 0, 1, 0, 0, 0.5]
    assert y[:, 1].tolist() == [0, 1, 0, 0.5, 0, 0.25]


@pytest.mark.parametrize("bias", [True, False])
def test_affine_and_linear(bias: bool, rng: np.random.Generator) -> None:
    w, b = rng.normal(size=(3, 4)), rng.normal(size=3)
    node = nir.Affine(weight=w, bias=b) if bias else nir.Linear(weight=w)
    x = torch.from_numpy(rng.normal(size=(2, 5, 4)))
    want = x @ torch.from_numpy(w).T + (torch.from_numpy(b) if bias else 0)
    torch.testing.assert_close(_one(node, x), want, rtol=0, atol=1e-14)


def test_scale(rng: np.random.Generator) -> None:
    s = rng.normal(size=(2, 3))
    x = torch.from_numpy(rng.normal(size=(4, 2, 2, 3)))
    torch.testing.assert_close(_one(nir.Scale(scale=s), x), x * torch.from_numpy(s), rtol=0, atol=0)


def test_conv1d_and_conv2d_are_torch_cross_correlation(rng: np.random.Generator) -> None:
    w2, b2 = rng.normal(size=(4, 2, 3, 3)), rng.normal(size=4)
    c2 = nir.Conv2d(input_shape=(6, 6), weight=w2, stride=2, padding=1, dilation=1, groups=1, bias=b2)
    x2 = torch.from_numpy(rng.normal(size=(3, 2, 2, 6, 6)))
    want2 = F.conv2d(x2.flatten(0, 1), torch.from_numpy(w2), torch.from_numpy(b2), 2, 1).view(3, 2, 4, 3, 3)
    torch.testing.assert_close(_one(c2, x2), want2)
    w1, b1 = rng.normal(size=(4, 1, 3)), rng.normal(size=4)
    c1 = nir.Conv1d(input_shape=8, weight=w1, stride=1, padding="same", dilation=2, groups=1, bias=b1)
    x1 = torch.from_numpy(rng.normal(size=(3, 2, 1, 8)))
    want1 = F.conv1d(x1.flatten(0, 1), torch.from_numpy(w1), torch.from_numpy(b1), 1, "same", 2, 1).view(3, 2, 4, 8)
    torch.testing.assert_close(_one(c1, x1), want1)


def test_sum_and_average_pooling() -> None:
    x = torch.arange(16.0, dtype=torch.float64).view(1, 1, 1, 4, 4)
    sum_pool = nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0]))
    avg_pool = nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([1, 1]))
    for node in (sum_pool, avg_pool):
        node.input_type = {"input": np.array([1, 4, 4])}
    assert _one(sum_pool, x)[0, 0, 0].tolist() == [[10, 18], [42, 50]]
    # padding counts as zeros in the window: the corner window holds only x[0, 0] = 0, the next 1 + 2 = 3
    assert _one(avg_pool, x)[0, 0, 0, 0].tolist() == [0 / 4, 3 / 4, 3 / 4]


def test_one_number_stands_for_both_pooling_dimensions() -> None:
    pool = nir.SumPool2d(kernel_size=np.array([2]), stride=np.array([2]), padding=np.array([0]))
    graph = nir.NIRGraph.from_list(pool, type_check=False)  # NIR's own shape inference wants two numbers
    graph.nodes["input"] = nir.Input(input_type={"input": np.array([1, 4, 4])})
    y = from_nir(graph, dtype=torch.float64)(torch.ones(1, 1, 1, 4, 4, dtype=torch.float64))
    assert y[0, 0, 0].tolist() == [[4, 4], [4, 4]]


def test_flatten_counts_dimensions_of_one_sample() -> None:
    x = torch.zeros(3, 2, 4, 5, 6, dtype=torch.float64)
    assert _one(nir.Flatten(input_type={"input": np.array([4, 5, 6])}, start_dim=0, end_dim=-1), x).shape == (3, 2, 120)
    assert _one(nir.Flatten(input_type={"input": np.array([4, 5, 6])}, start_dim=1, end_dim=2), x).shape == (
        3,
        2,
        4,
        30,
    )


def test_edges_into_one_node_are_summed() -> None:
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([2])}),
            "a": nir.Scale(scale=np.array([2.0, 2.0])),
            "b": nir.Scale(scale=np.array([3.0, 3.0])),
            "output": nir.Output(output_type={"output": np.array([2])}),
        },
        edges=[("input", "a"), ("input", "b"), ("a", "output"), ("b", "output"), ("input", "output")],
    )
    x = torch.ones(1, 1, 2, dtype=torch.float64)
    assert from_nir(graph, dtype=torch.float64)(x).tolist() == [[[6.0, 6.0]]]


def test_recurrent_lif_uses_the_previous_step() -> None:
    # a LIF with a self-connection through a Linear: the recurrent input arrives one step late
    lif = nir.LIF(
        tau=np.array([1.0]),
        r=np.array([1.0]),
        v_leak=np.array([0.0]),
        v_threshold=np.array([0.5]),
        v_reset=np.array([0.0]),
    )
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([1])}),
            "lif": lif,
            "rec": nir.Linear(weight=np.array([[1.0]])),
            "output": nir.Output(output_type={"output": np.array([1])}),
        },
        edges=[("input", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "output")],
    )
    # k = 1: v = x + rec. One input spike at t=0 fires; then the recurrence keeps it firing every step
    net = from_nir(graph, dt=1.0, dtype=torch.float64)
    assert net.is_recurrent
    assert _flat(net(_seq([1.0, 0.0, 0.0, 0.0]))) == [1, 1, 1, 1]


def test_nested_graphs_are_inlined(rng: np.random.Generator) -> None:
    w = rng.normal(size=(2, 2))
    inner = nir.NIRGraph.from_list(nir.Linear(weight=w), nir.Scale(scale=np.array([2.0, 2.0])))
    outer = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([2])}),
            "sub": inner,
            "output": nir.Output(output_type={"output": np.array([2])}),
        },
        edges=[("input", "sub"), ("sub", "output")],
    )
    x = torch.from_numpy(rng.normal(size=(2, 3, 2)))
    torch.testing.assert_close(from_nir(outer, dtype=torch.float64)(x), 2 * (x @ torch.from_numpy(w).T))


def test_input_shape_is_checked() -> None:
    net = from_nir(nir.NIRGraph.from_list(nir.Scale(scale=np.ones(3))), dtype=torch.float64)
    with pytest.raises(ValueError, match=r"samples of shape \(3,\)"):
        net(torch.zeros(2, 1, 4, dtype=torch.float64))


def test_unreachable_node_is_an_error() -> None:
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([1])}),
            "a": nir.Scale(scale=np.ones(1)),
            "b": nir.Scale(scale=np.ones(1)),
            "output": nir.Output(output_type={"output": np.array([1])}),
        },
        edges=[("input", "a"), ("a", "output"), ("b", "output")],
        type_check=False,
    )
    with pytest.raises(ExportError, match=r"\['b'\] cannot be reached"):
        from_nir(graph)


def test_unknown_node_type_is_named() -> None:
    mystery = type("Mystery", (nir.Scale,), {})  # a node type NIR may add one day
    graph = nir.NIRGraph.from_list(nir.Scale(scale=np.ones(1)), mystery(scale=np.ones(1)), type_check=False)
    graph.nodes["odd"] = graph.nodes.pop("mystery")
    graph.edges = [(a.replace("mystery", "odd"), b.replace("mystery", "odd")) for a, b in graph.edges]
    with pytest.raises(ExportError, match="'odd' of type Mystery"):
        from_nir(graph)


def test_imported_network_can_be_fine_tuned(rng: np.random.Generator) -> None:
    graph = nir.NIRGraph.from_list(
        nir.Affine(weight=rng.normal(size=(4, 3)), bias=np.full(4, 0.5)),
        nir.LIF(
            tau=np.full(4, 2.0), r=np.ones(4), v_leak=np.zeros(4), v_threshold=np.full(4, 0.3), v_reset=np.zeros(4)
        ),
    )
    net = from_nir(graph, dt=1.0, dtype=torch.float64)
    assert isinstance(net, NIRNetwork)
    x = torch.from_numpy(rng.random((6, 2, 3)))
    net(x).sum().backward()
    grad = net.nodes["affine"].weight.grad  # type: ignore[union-attr]
    assert grad is not None
    assert grad.abs().sum() > 0


def test_imported_network_writes_itself_back(tmp_path: object, rng: np.random.Generator) -> None:
    graph = nir.NIRGraph.from_list(
        nir.Affine(weight=rng.normal(size=(4, 3)), bias=rng.normal(size=4)),
        nir.CubaLIF(
            tau_syn=np.full(4, 2e-3),
            tau_mem=np.full(4, 4e-3),
            r=np.ones(4),
            v_leak=np.zeros(4),
            v_threshold=np.full(4, 0.2),
        ),
    )
    net = from_nir(graph, dt=1e-3, dtype=torch.float64)
    with torch.no_grad():
        net.nodes["affine"].weight.mul_(2)  # type: ignore[union-attr]  # "fine-tuned"
    again = from_nir(to_nir(net, (3,)), dt=1e-3, dtype=torch.float64)
    x = torch.from_numpy(rng.random((8, 2, 3)))
    assert torch.equal(net(x), again(x))
    assert net(x).sum() > 0
