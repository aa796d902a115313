"""Import a NIR graph as a multi-step torch module: `from_nir(path_or_graph) -> NIRNetwork`.

Every primitive is simulated as documented in `snnmodels.export.primitives` (forward Euler at ``dt``, NIR's
``v > threshold`` firing rule unless ``fire_at_threshold``). Several edges into one node are summed, as NIR defines.
Nested graphs are inlined. A graph without cycles runs layer by layer over the whole sequence; a graph with cycles
(recurrence) runs step by step, and an edge that closes a cycle delivers its source's output of the previous step
(nothing at the first step), as Norse and nirtorch do.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from snnmodels.export.errors import ExportError, import_optional
from snnmodels.export.primitives import PRIMITIVES, Passthrough, Primitive
from snnmodels.functional.surrogate import Surrogate, get_surrogate

__all__ = ["NIRNetwork", "from_nir"]


def _sanitize(name: str, taken: set[str]) -> str:
    # nn.ModuleDict keys cannot hold dots; keep them unique after the replacement
    base = name.replace(".", "_") or "node"
    out, k = base, 1
    while out in taken:
        out, k = f"{base}_{k}", k + 1
    taken.add(out)
    return out


def _inline(graph: Any, prefix: str = "") -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Flatten nested NIRGraphs: (nodes by dotted name, edges). A subgraph's Input/Output nodes stay as relays."""
    import nir

    nodes: dict[str, Any] = {}
    edges: list[tuple[str, str]] = []
    entry: dict[str, list[str]] = {}  # subgraph name -> its Input nodes (full names)
    exit_: dict[str, list[str]] = {}  # subgraph name -> its Output nodes
    for name, node in graph.nodes.items():
        full = f"{prefix}{name}"
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges = _inline(node, prefix=f"{full}.")
            nodes.update(sub_nodes)
            edges.extend(sub_edges)
            entry[full] = [f"{full}.{k}" for k, n in node.nodes.items() if isinstance(n, nir.Input)]
            exit_[full] = [f"{full}.{k}" for k, n in node.nodes.items() if isinstance(n, nir.Output)]
        else:
            nodes[full] = node

    def ends(name: str, table: dict[str, list[str]], what: str) -> list[str]:
        if name in nodes:
            return [name]
        if name in table:
            if len(table[name]) != 1:
                raise ExportError(
                    f"an edge {what} the nested graph {name!r}, which has {len(table[name])} {what} nodes; "
                    f"name one of {table[name]} in the edge instead"
                )
            return table[name]
        raise ExportError(f"an edge refers to {name!r}, which is no node of the graph; nodes: {sorted(nodes)}")

    for src, dst in graph.edges:
        for s in ends(f"{prefix}{src}", exit_, "from"):
            for d in ends(f"{prefix}{dst}", entry, "into"):
                edges.append((s, d))
    return nodes, edges


class NIRNetwork(nn.Module):
    """A NIR graph as a multi-step module: ``forward(x [T, N, *input_shape]) -> y [T, N, *output_shape]``.

    Every call starts from rest (no state is kept between calls, so there is nothing to reset). With several
    Input nodes, pass a dict ``{input name: tensor}``; with several Output nodes, a dict comes back.
    Weights are ``nn.Parameter``s, so the network can be fine-tuned (the spikes have surrogate gradients);
    `to_nir_graph` writes it back with its current parameters.

    Attributes:
        nodes: the primitive modules, keyed by sanitized node name (dots become underscores).
        preds: for each node, the nodes whose outputs sum into it.
        order: the evaluation order.
        recurrent: the edges that close a cycle (their value comes from the previous step).
        inputs, outputs: names of the Input and Output nodes.
        dt: the simulation step in seconds.
    """

    def __init__(
        self,
        nodes: Mapping[str, Primitive],
        edges: list[tuple[str, str]],
        names: Mapping[str, str],
        dt: float,
        metadata: Mapping[str, Any] | None = None,
        top_level: set[str] | None = None,
        first_step: str = "nothing",
    ) -> None:
        super().__init__()
        if first_step not in ("nothing", "rest"):
            raise ValueError(f"first_step must be 'nothing' or 'rest', got {first_step!r}")
        self.first_step = first_step
        self.nodes = nn.ModuleDict(dict(nodes))
        self.dt = dt
        self.metadata = dict(metadata or {})
        self.names = dict(names)  # sanitized -> original name
        # the graph's own Input/Output nodes; those of inlined subgraphs are relays
        top = set(nodes) if top_level is None else set(top_level)
        self.inputs = [k for k, m in nodes.items() if k in top and isinstance(m, Passthrough) and _is(m.node, "Input")]
        self.outputs = [
            k for k, m in nodes.items() if k in top and isinstance(m, Passthrough) and _is(m.node, "Output")
        ]
        if not self.inputs:
            raise ExportError("the NIR graph has no Input node; add one (nir.Input) before importing")
        if not self.outputs:
            raise ExportError("the NIR graph has no Output node; add one (nir.Output) before importing")
        self.preds: dict[str, list[str]] = {k: [] for k in nodes}
        succs: dict[str, list[str]] = {k: [] for k in nodes}
        for s, d in edges:
            self.preds[d].append(s)
            succs[s].append(d)
        self.order, self.recurrent = _schedule(self.inputs, succs, self.preds)
        unreached = [self.names[k] for k in nodes if k not in set(self.order)]
        if unreached:
            raise ExportError(
                f"NIR nodes {unreached} cannot be reached from the graph's Input nodes; "
                "every node needs a path from an Input"
            )
        self.edges = list(edges)

    @property
    def is_recurrent(self) -> bool:
        """Whether the graph has a cycle, so that it runs step by step."""
        return bool(self.recurrent)

    def _gather(self, name: str, values: Mapping[str, Tensor], previous: Mapping[str, Tensor]) -> Tensor:
        terms = []
        for p in self.preds[name]:
            if (p, name) in self.recurrent:
                if p in previous:
                    terms.append(previous[p])
            else:
                terms.append(values[p])
        if not terms:
            raise ExportError(f"NIR node {self.names[name]!r} has no input at the first step (only recurrent edges)")
        return functools.reduce(operator.add, terms)

    def _check_input(self, name: str, x: Tensor) -> None:
        node = self.nodes[name].node  # type: ignore[union-attr]
        want = node.input_type.get("input")
        if x.dim() < 2:
            raise ValueError(f"NIRNetwork takes [T, N, *shape] input, got shape {tuple(x.shape)}")
        if want is not None and tuple(int(s) for s in np.atleast_1d(want)) != tuple(x.shape[2:]):
            raise ValueError(
                f"input {self.names[name]!r} takes samples of shape {tuple(int(s) for s in np.atleast_1d(want))} "
                f"([T, N, *shape]), got {tuple(x.shape)}"
            )

    def forward(self, x: Tensor | Mapping[str, Tensor]) -> Tensor | dict[str, Tensor]:
        if isinstance(x, Tensor):
            if len(self.inputs) != 1:
                raise ValueError(f"this graph has inputs {self.inputs}; pass a dict of tensors")
            feeds = {self.inputs[0]: x}
        else:
            unknown = set(x) - set(self.inputs)
            missing = set(self.inputs) - set(x)
            if unknown or missing:
                raise ValueError(f"inputs must be exactly {self.inputs}; missing {missing}, unknown {unknown}")
            feeds = dict(x)
        for k, v in feeds.items():
            self._check_input(k, v)
        out = self._run_recurrent(feeds) if self.recurrent else self._run_layers(feeds)
        return out[self.outputs[0]] if len(self.outputs) == 1 else {self.names[k]: out[k] for k in self.outputs}

    def _run_layers(self, feeds: Mapping[str, Tensor]) -> dict[str, Tensor]:
        # no cycle: each node sees its whole input sequence at once; values are dropped once all users are done
        left = dict.fromkeys(self.order, 0)
        for k in self.order:
            for p in self.preds[k]:
                left[p] += 1
        values: dict[str, Tensor] = {}
        for k in self.order:
            x = feeds[k] if k in feeds else self._gather(k, values, {})
            values[k] = self.nodes[k].seq(x)  # type: ignore[operator]
            for p in self.preds[k]:
                left[p] -= 1
                if left[p] == 0 and p not in self.outputs:
                    del values[p]
        return {k: values[k] for k in self.outputs}

    def _rest_values(self, feeds: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """Every node's output while the graph is at rest: stateful nodes answer zero input from their initial
        state, static ones map what their inputs give (so an Affine after a resting neuron gives its bias)."""
        values: dict[str, Tensor] = {}
        for k in self.order:
            module = self.nodes[k]
            if k in feeds:
                x = torch.zeros_like(feeds[k][0])
            else:
                terms = [values[p] for p in self.preds[k] if (p, k) not in self.recurrent]
                if not terms:  # fed only by cycle-closing edges: nothing to take its shape from
                    continue
                x = functools.reduce(operator.add, terms)
            if module.stateful:  # type: ignore[union-attr]
                x = torch.zeros_like(x)
            values[k] = module.step(x, module.init_state(x))[0]  # type: ignore[operator]
        return values

    def _run_recurrent(self, feeds: Mapping[str, Tensor]) -> dict[str, Tensor]:
        T = next(iter(feeds.values())).shape[0]
        states: dict[str, Any] = {}
        # what a cycle-closing edge delivers at the first step: nothing (nirtorch's and Norse's convention), or
        # its source's output at rest (what NIR's definitions give, e.g. an Affine's bias)
        previous: dict[str, Tensor] = self._rest_values(feeds) if self.first_step == "rest" else {}
        outs: dict[str, list[Tensor]] = {k: [] for k in self.outputs}
        for t in range(T):
            values: dict[str, Tensor] = {}
            for k in self.order:
                x = feeds[k][t] if k in feeds else self._gather(k, values, previous)
                module = self.nodes[k]
                if k not in states:
                    states[k] = module.init_state(x)  # type: ignore[operator]
                values[k], states[k] = module.step(x, states[k])  # type: ignore[operator]
            for k in self.outputs:
                outs[k].append(values[k])
            previous = values
        return {k: torch.stack(v) for k, v in outs.items()}

    def to_nir_graph(self) -> Any:
        """This network as a ``nir.NIRGraph`` with its current parameters (original node names)."""
        nir = import_optional("nir", "NIRNetwork.to_nir_graph")
        nodes = {self.names[k]: m.to_node() for k, m in self.nodes.items()}  # type: ignore[operator]
        edges = [(self.names[s], self.names[d]) for s, d in self.edges]
        return nir.NIRGraph(nodes=nodes, edges=edges, metadata=dict(self.metadata), type_check=False)

    def extra_repr(self) -> str:
        kind = "recurrent, step by step" if self.recurrent else "feed-forward, layer by layer"
        return f"dt={self.dt}, {len(self.nodes)} nodes, {kind}"


def _is(node: Any, type_name: str) -> bool:
    return type(node).__name__ == type_name


def _schedule(
    inputs: list[str], succs: Mapping[str, list[str]], preds: Mapping[str, list[str]]
) -> tuple[list[str], set[tuple[str, str]]]:
    """An evaluation order reachable from the inputs, and the edges that close cycles (found by DFS)."""
    recurrent: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on the DFS stack, 2 done
    for root in inputs:
        if root in state:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        state[root] = 1
        while stack:
            node, i = stack.pop()
            if i < len(succs[node]):
                stack.append((node, i + 1))
                nxt = succs[node][i]
                if state.get(nxt) == 1:
                    recurrent.add((node, nxt))
                elif nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, 0))
            else:
                state[node] = 2
    # Kahn's algorithm on the graph without the cycle-closing edges, in a stable order
    reached = set(state)
    indeg = {k: sum(1 for p in preds[k] if (p, k) not in recurrent and p in reached) for k in reached}
    ready = sorted(k for k in inputs if indeg.get(k) == 0)
    order: list[str] = []
    while ready:
        k = ready.pop(0)
        order.append(k)
        for s in succs[k]:
            if (k, s) in recurrent:
                continue
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    return order, recurrent


def from_nir(
    graph: Any,
    *,
    dt: float = 1e-4,
    fire_at_threshold: bool = False,
    first_step: str = "nothing",
    surrogate: str | Surrogate = "atan",
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> NIRNetwork:
    """Build a multi-step module that simulates a NIR graph (a ``nir.NIRGraph`` or a path to a ``.nir`` file).

    Args:
        graph: the graph, or the path of a file written by ``nir.write``.
        dt: simulation step in seconds. The graph's time constants are divided by it: a graph exported by
            `to_nir` (or SpikingJelly, snnTorch) with ``dt=1e-4`` needs ``dt=1e-4``; graphs that count time in
            steps, such as Sinabs' (IF with r=1), need ``dt=1.0``.
        first_step: what an edge that closes a cycle delivers at the first step: ``'nothing'`` (nirtorch's and
            Norse's convention), or ``'rest'``, the output of its source with the graph at rest (neurons answer
            zero input from their initial state; a static node maps that, so a recurrent Affine gives its bias,
            as NIR's definitions say and snnTorch computes).
        fire_at_threshold: fire when v >= threshold (snnmodels' and SpikingJelly's rule) instead of NIR's v >
            threshold; the two differ only when v lands exactly on the threshold.
        surrogate: surrogate gradient of the spikes, for fine-tuning (a registered name or a `Surrogate`).
        dtype, device: of the parameters; inputs must match.

    Returns:
        a `NIRNetwork`: ``forward(x [T, N, *input_shape]) -> [T, N, *output_shape]``.

    Raises:
        ExportError: a file that is missing or not a NIR graph (HDF5 or not), a node that is malformed or
            cannot be simulated, or a graph that cannot be scheduled; the message names the file and node.
    """
    nir = import_optional("nir", "from_nir")
    if not dt > 0:
        raise ValueError(f"from_nir: dt must be > 0 seconds, got {dt!r}")
    if first_step not in ("nothing", "rest"):  # an argument, checked before the graph's own errors are wrapped
        raise ValueError(f"first_step must be 'nothing' or 'rest', got {first_step!r}")
    get_surrogate(surrogate)
    source = None
    if isinstance(graph, str | Path):
        source = Path(graph)
        graph = _read(nir, source)
    try:
        if not isinstance(graph, nir.NIRGraph):
            graph = nir.NIRGraph.from_list(graph)
        return _build(graph, dt, fire_at_threshold, first_step, surrogate, dtype, device)
    except ExportError as err:
        raise ExportError(f"{source}: {err}") if source is not None else err from None
    # a graph whose nodes lack fields or hold values of the wrong kind fails inside the converters
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as err:
        where = f"{source}: " if source is not None else ""
        raise ExportError(
            f"{where}the NIR graph is malformed ({type(err).__name__}: {' '.join(str(err).split())[:300]}); "
            "write it again with nir.write, or check the nodes it names"
        ) from None


def _read(nir: Any, path: Path) -> Any:
    """``nir.read(path)``, or an `ExportError` naming the file and what is wrong with it."""
    if not path.is_file():
        raise ExportError(f"{path}: no such NIR file")
    try:
        return nir.read(str(path))
    except Exception as err:  # h5py: OSError for non-HDF5 bytes; nir: KeyError/TypeError for HDF5 that is not NIR
        detail = " ".join(str(err).split())[:300] or type(err).__name__
        raise ExportError(
            f"{path} cannot be read as a NIR graph by nir {getattr(nir, '__version__', '')} "
            f"({type(err).__name__}: {detail}); give a file written by nir.write (an HDF5 file of a NIR graph)"
        ) from None


def _build(
    graph: Any, dt: float, fire_at_threshold: bool, first_step: str, surrogate: str | Surrogate,
    dtype: torch.dtype, device: torch.device | str | None,
) -> NIRNetwork:
    nodes, edges = _inline(graph)
    ctx = {
        "dt": float(dt),
        "dtype": dtype,
        "device": device,
        "surrogate": get_surrogate(surrogate),
        "fire_at_threshold": fire_at_threshold,
    }
    taken: set[str] = set()
    key = {name: _sanitize(name, taken) for name in nodes}
    modules: dict[str, Primitive] = {}
    for name, node in nodes.items():
        kind = type(node).__name__
        if kind not in PRIMITIVES:
            raise ExportError(
                f"from_nir cannot simulate NIR node {name!r} of type {kind}; supported: {sorted(PRIMITIVES)}"
            )
        try:
            modules[key[name]] = PRIMITIVES[kind](name, node, ctx)
        except (KeyError, TypeError, AttributeError, IndexError, ValueError) as err:
            raise ExportError(
                f"NIR node {name!r} ({kind}) is malformed ({type(err).__name__}: {' '.join(str(err).split())[:200]})"
            ) from None
    sane_edges = [(key[s], key[d]) for s, d in edges]
    top = {key[name] for name in graph.nodes if name in key}
    return NIRNetwork(
        modules, sane_edges, {v: k for k, v in key.items()}, float(dt), dict(graph.metadata or {}), top, first_step
    )
