"""The body of `snnmodels profile`: which model, which data, then `snnmodels.profile.profile_model`.

Kept apart from `snnmodels.cli` (which declares the verb and its options) so that the command line's other
verbs need none of this; torch is imported here, on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neurodata.clitools import FolderOptions, SplitOptions, UsageError, parse_shape


def profile_command(
    source: str,
    *,
    dataset: str | None,
    root: Path | None,
    cache: Path | None,
    frames: int | None,
    split_by: str,
    duration: int | None,
    downsample: int,
    input_shape: str,
    num_classes: int,
    model_args: dict[str, Any],
    steps: int,
    density: float,
    batch_size: int,
    batches: int,
    device: str | None,
) -> tuple[Any, str]:
    """(the `Profile`, a line saying what it ran on) for a checkpoint or a zoo model."""
    from snnmodels import cli

    if batch_size < 1 or batches < 1:
        raise UsageError(f"--batch-size and --batches must be positive, got {batch_size} and {batches}")
    if source.endswith(".pt"):
        if model_args:
            raise UsageError("--model-arg applies to zoo names; a checkpoint records its own model arguments")
        net, meta = cli._from_checkpoint(Path(source))
        if dataset is None:
            spec = meta["frame_spec"]
            folder = FolderOptions(**{k: v for k, v in (meta.get("folder") or {}).items() if v is not None})
            saved = meta.get("split") or {}
            split = SplitOptions(saved.get("split_scheme"), saved.get("train_ratio"), saved.get("seed"))
            saved_root = meta.get("root")
            _, test, _, _ = cli.frame_datasets(
                meta["dataset"],
                root or (Path(saved_root) if saved_root else None),
                spec["frames_number"],
                spec["split_by"] or "number",
                spec["duration"],
                int(meta.get("downsample", 1)),
                cache=cache or (Path(meta["cache"]) if meta.get("cache") else None),
                split=split,
                folder=folder,
            )
            return profile_dataset(net, test, meta["dataset"], batch_size, batches, device)
    elif dataset is None:
        shape = parse_shape(input_shape, "--input-shape", 3)
        net = cli.build_model(source, num_classes, shape, model_args)
        if not 0.0 <= density <= 1.0:
            raise UsageError(f"--density must be in [0, 1], got {density}")
        return profile_random(net, shape, steps, density, batch_size, batches, device)
    else:
        net = None
    _, test, n_classes, shape = cli.frame_datasets(dataset, root, frames, split_by, duration, downsample, cache=cache)
    if net is None:
        net = cli.build_model(source, n_classes, shape, model_args)
    return profile_dataset(net, test, dataset, batch_size, batches, device)


def profile_dataset(
    net: Any, test: Any, name: str, batch_size: int, batches: int, device: str | None
) -> tuple[Any, str]:
    import torch

    from neurodata.loading import pad_sequence_collate
    from snnmodels.profile import profile_model

    loader = torch.utils.data.DataLoader(test, batch_size=batch_size, shuffle=False, collate_fn=pad_sequence_collate)
    prof = profile_model(net, loader, max_batches=batches, device=device)
    return prof, f"{name} test split, {prof.samples} of {len(test)} samples"


def profile_random(
    net: Any, shape: tuple[int, ...], steps: int, density: float, batch_size: int, batches: int, device: str | None
) -> tuple[Any, str]:
    import torch

    from snnmodels.profile import profile_model

    if steps < 1:
        raise UsageError(f"--steps must be positive, got {steps}")
    g = torch.Generator().manual_seed(0)
    data = [(torch.rand(batch_size, steps, *shape, generator=g) < density).float() for _ in range(batches)]
    prof = profile_model(net, data, device=device)
    return prof, f"random spikes (density {density}) of shape [T={steps}, B={batch_size}, {', '.join(map(str, shape))}]"
