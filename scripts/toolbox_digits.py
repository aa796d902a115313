"""The toolbox on real data: scikit-learn's bundled 8x8 handwritten digits (1797 images, 70/30 stratified split).

Three experiments, each small enough for a laptop CPU (about a minute in all):

1. ANN -> SNN conversion: a small CNN trained as an ANN, converted in every mode (max, percentiles, fractions of
   the max, and threshold balancing), accuracy of the spike counts after T = 1..64 steps;
2. STDP: Poisson-encoded digits through a 64 -> 100 layer learnt by trace STDP with competing IF neurons, then a
   linear readout of the spike counts trained by gradient descent (against the same net with random weights);
3. sequential digits: the image read row by row (8 steps of 8 pixels) by a recurrent spiking net (a LIF layer
   with a linear self-connection), a spiking GRU and LSTM, and a feed-forward LIF net without recurrence.

    python scripts/toolbox_digits.py                     # writes docs/figures/toolbox_*.png, prints the tables
    python scripts/toolbox_digits.py --out /tmp/figs --quick
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from snnmodels import LIFNode, layers
from snnmodels.ann2snn import convert, repeat_input
from snnmodels.encoding import poisson_spikes
from snnmodels.learning import CompetitiveIF, STDPLearner
from snnmodels.recurrent import LinearRecurrent
from snnmodels.rnn import SpikingGRU, SpikingLSTM

MODES: list[str | float] = ["max", "99.9%", "99%", 1 / 2, 1 / 3, 1 / 4, 1 / 5]


def digits() -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(x_train, y_train, x_test, y_test): images [N, 8, 8] in [0, 1], a stratified 70/30 split (seed 0)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = torch.tensor(d.images / 16.0, dtype=torch.float32)
    y = torch.tensor(d.target)
    tr, te = train_test_split(np.arange(len(y)), test_size=0.3, random_state=0, stratify=d.target)
    return x[tr], y[tr], x[te], y[te]


def _fit(net: nn.Module, x: Tensor, y: Tensor, epochs: int, lr: float, forward: object, batch: int = 64) -> None:
    opt = torch.optim.Adam(net.parameters(), lr)
    g = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        net.train()
        perm = torch.randperm(len(y), generator=g)
        for i in range(0, len(y), batch):
            b = perm[i : i + batch]
            opt.zero_grad()
            F.cross_entropy(forward(net, x[b]), y[b]).backward()  # type: ignore[operator]
            opt.step()
    net.eval()


# ---------------------------------------------------------------------------------------------------------------


def train_cnn(x: Tensor, y: Tensor, epochs: int = 15) -> nn.Module:
    """The ANN: two Conv-BN-ReLU-AvgPool blocks and a Linear head."""
    torch.manual_seed(0)
    ann = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(128, 10),
    )  # fmt: skip
    _fit(ann, x.unsqueeze(1), y, epochs, 3e-3, lambda n, b: n(b))
    return ann


@torch.no_grad()
def accuracy_vs_T(snn: nn.Module, x: Tensor, y: Tensor, T: int) -> np.ndarray:
    """Test accuracy of the spike-count readout after 1..T steps."""
    counts = snn(repeat_input(x.unsqueeze(1), T)).cumsum(0)
    return (counts.argmax(-1) == y).float().mean(1).numpy()


def conversion(x_tr: Tensor, y_tr: Tensor, x_te: Tensor, y_te: Tensor, T: int = 64) -> dict[str, object]:
    ann = train_cnn(x_tr, y_tr)
    with torch.no_grad():
        ann_acc = float((ann(x_te.unsqueeze(1)).argmax(1) == y_te).float().mean())
    loader = [x_tr[i : i + 128].unsqueeze(1) for i in range(0, len(y_tr), 128)]
    curves: dict[str, np.ndarray] = {}
    for mode in MODES:
        label = mode if isinstance(mode, str) else f"1/{round(1 / mode)}"
        curves[f"mode {label}"] = accuracy_vs_T(convert(ann, loader, mode), x_te, y_te, T)
    for bt in (8, 32):
        curves[f"max, balanced at T={bt}"] = accuracy_vs_T(convert(ann, loader, "max", balance_T=bt), x_te, y_te, T)
    return {"ann": ann_acc, "curves": curves}


def plot_conversion(result: dict[str, object], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    curves = result["curves"]
    assert isinstance(curves, dict)
    for label, acc in curves.items():
        ax.plot(np.arange(1, len(acc) + 1), 100 * acc, label=label, ls="--" if "balanced" in label else "-")
    ann = 100 * float(result["ann"])  # type: ignore[arg-type]
    ax.axhline(ann, color="k", lw=1.5, ls=":", label=f"ANN ({ann:.2f}%)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("time steps T")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 101)
    ax.set_title("8x8 digits: converted CNN, accuracy of the spike counts after T steps")
    ax.grid(ls=":")
    ax.legend(fontsize=8, loc="lower right")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


# ---------------------------------------------------------------------------------------------------------------


def stdp_readout(
    x_tr: Tensor, y_tr: Tensor, x_te: Tensor, y_te: Tensor, *, learn: bool = True, hidden: int = 100,
    T: int = 20, epochs: int = 2, seed: int = 0,
) -> float:  # fmt: skip
    """Test accuracy of a linear readout of the spike counts of an STDP-learnt (or random) competitive layer."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    flat_tr, flat_te = x_tr.reshape(-1, 64), x_te.reshape(-1, 64)
    feat = layers.Linear(64, hidden, bias=False)
    with torch.no_grad():
        feat.weight.uniform_(0, 1)
        feat.weight.div_(feat.weight.sum(1, keepdim=True)).mul_(8)
    sn = CompetitiveIF(hidden, theta_plus=0.3)
    learner = STDPLearner(
        feat, sn, tau_pre=3.0, tau_post=3.0, f_pre=lambda w: 0.3 * w.clamp(0, 1), f_post=lambda w: (1 - w).clamp(0, 1)
    )
    opt = torch.optim.SGD(feat.parameters(), lr=0.02)
    if learn:
        for _ in range(epochs):
            perm = torch.randperm(len(y_tr), generator=g)
            for i in range(0, len(y_tr), 16):
                with torch.no_grad():
                    sn(feat(poisson_spikes(flat_tr[perm[i : i + 16]], T, generator=g)))
                opt.zero_grad()
                learner.step(on_grad=True)
                opt.step()
                with torch.no_grad():  # keep the weights in [0, 1] with a fixed total per neuron
                    feat.weight.clamp_(0, 1)
                    feat.weight.div_(feat.weight.sum(1, keepdim=True) + 1e-9).mul_(8)
                learner.reset()
    learner.close()
    sn.eval()
    with torch.no_grad():
        f_tr = sn(feat(poisson_spikes(flat_tr, T, generator=g))).sum(0)
        f_te = sn(feat(poisson_spikes(flat_te, T, generator=g))).sum(0)
    readout = nn.Linear(hidden, 10)
    opt_r = torch.optim.Adam(readout.parameters(), 1e-2)
    for _ in range(300):
        opt_r.zero_grad()
        F.cross_entropy(readout(f_tr), y_tr).backward()
        opt_r.step()
    with torch.no_grad():
        return float((readout(f_te).argmax(1) == y_te).float().mean())


# ---------------------------------------------------------------------------------------------------------------


class RecurrentLIF(nn.Module):
    """rows [8, N, 8] -> Linear -> LIF with a linear self-connection -> Linear, read out as the mean over rows."""

    def __init__(self, hidden: int = 128, recurrent: bool = True) -> None:
        super().__init__()
        self.fc = layers.Linear(8, hidden)
        neuron = LIFNode(tau=2.0, detach_reset=True, surrogate_function="atan")
        self.rec = LinearRecurrent(neuron, hidden, hidden) if recurrent else neuron
        self.out = layers.Linear(hidden, 10)

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.rec(self.fc(x)))


class GatedNet(nn.Module):
    """rows -> spiking GRU/LSTM -> Linear."""

    def __init__(self, kind: str, hidden: int = 128) -> None:
        super().__init__()
        self.rnn = (SpikingGRU if kind == "gru" else SpikingLSTM)(8, hidden, 1)
        self.out = nn.Linear(hidden, 10)

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.rnn(x)[0])


def rows(x: Tensor) -> Tensor:
    """Images [N, 8, 8] as sequences of rows [8, N, 8]."""
    return x.permute(1, 0, 2)


def sequential(x_tr: Tensor, y_tr: Tensor, x_te: Tensor, y_te: Tensor, net: nn.Module, epochs: int = 20) -> float:
    """Test accuracy after training ``net`` on the row sequences (cross-entropy on the mean output over rows)."""
    _fit(net, x_tr, y_tr, epochs, 3e-3, lambda n, b: n(rows(b)).mean(0))
    with torch.no_grad():
        return float((net(rows(x_te)).mean(0).argmax(1) == y_te).float().mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "figures")
    ap.add_argument("--quick", action="store_true", help="fewer epochs (a smoke run; the numbers are lower)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    data = digits()
    conv = conversion(*data)
    plot_conversion(conv, args.out / "toolbox_conversion.png")
    print(f"ANN test accuracy {100 * conv['ann']:.2f}%\n")
    print("| mode | T=4 | T=8 | T=16 | T=32 | T=64 |\n| --- | --- | --- | --- | --- | --- |")
    for label, acc in conv["curves"].items():  # type: ignore[union-attr]
        print(f"| {label} | " + " | ".join(f"{100 * acc[t - 1]:.2f}" for t in (4, 8, 16, 32, 64)) + " |")
    epochs = 1 if args.quick else 2
    learnt = stdp_readout(*data, learn=True, epochs=epochs)
    random = stdp_readout(*data, learn=False)
    print(f"\nSTDP + readout {100 * learnt:.2f}% (random weights, same readout: {100 * random:.2f}%; chance 10%)\n")
    ep = 5 if args.quick else 20
    nets = {
        "LIF + linear self-connection": lambda: RecurrentLIF(),
        "LIF, no recurrence": lambda: RecurrentLIF(recurrent=False),
        "spiking GRU": lambda: GatedNet("gru"),
        "spiking LSTM": lambda: GatedNet("lstm"),
    }
    for name, make in nets.items():
        torch.manual_seed(0)
        print(f"sequential digits, {name}: {100 * sequential(*data, make(), epochs=ep):.2f}%")
    print(f"\n{time.perf_counter() - t0:.0f} s; figure in {args.out}")


if __name__ == "__main__":
    main()
