"""The training curve: loss and accuracy per epoch as a PNG (``curve.png`` in a run folder)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def plot_history(history: Sequence[Any], path: Path, *, title: str | None = None) -> Path | None:
    """Loss and accuracy per epoch of `history` (`EpochStats`) as a PNG; None when matplotlib is not installed.

    Epochs are whole numbers on the x axis; the accuracy axis runs a little past 0 and 1, so curves at 0 or 1 stay
    visible; `title` (e.g. the run, model and dataset) heads the figure.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig = history_figure(history, title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)
    return path


def history_figure(history: Sequence[Any], *, title: str | None = None) -> Any:
    """The matplotlib figure `plot_history` saves (two axes: loss, accuracy)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    epochs = [s.epoch for s in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.8))
    style = {"marker": "o", "markersize": 3} if len(epochs) < 30 else {}
    a.plot(epochs, [s.train_loss for s in history], label="train", **style)
    b.plot(epochs, [s.train_acc for s in history], label="train", **style)
    if any(s.val_loss is not None for s in history):
        a.plot(epochs, [s.val_loss for s in history], label="val", **style)
        b.plot(epochs, [s.val_acc for s in history], label="val", **style)
    a.set(xlabel="epoch", ylabel="loss", title="loss")
    b.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(-0.04, 1.04))
    b.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    for ax in (a, b):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(epochs) == 1:
            ax.set_xlim(epochs[0] - 0.5, epochs[0] + 0.5)
        ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
