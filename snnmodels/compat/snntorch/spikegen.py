"""``snntorch.spikegen`` (snnTorch 1.0): spike encoders and target codes under snnTorch's names and keywords.

``from snnmodels.compat.snntorch import spikegen`` stands for ``from snntorch import spikegen``. The encoders are
`snnmodels.encoding`'s functions: ``rate`` / ``rate_conv`` are `rate_spikes`, ``latency`` is `rc_latency_times`
then `times_to_spikes`, ``delta`` is `delta_spikes`. The target helpers (``targets_convert``, ``to_one_hot``,
``target_rate_code``, the interpolations) build loss targets, as snnTorch's do. Random codes draw from torch's
global generator in snnTorch's order, so a seeded run gives snnTorch's spikes to the bit.

Every train is time-first, ``[num_steps, *data.shape]``. Where snnTorch raises a bare ``Exception`` this raises a
``ValueError`` (a subclass, so ``except Exception`` still catches it). The differences (dtypes, the
``targets_rate`` rates that snnTorch 1.0 cannot broadcast) are listed in ``docs/compat.md``.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from snnmodels import encoding as _core

__all__ = [
    "delta",
    "from_one_hot",
    "latency",
    "latency_code",
    "latency_code_linear",
    "latency_code_log",
    "latency_interpolate",
    "rate",
    "rate_conv",
    "rate_interpolate",
    "target_rate_code",
    "targets_convert",
    "targets_latency",
    "targets_rate",
    "to_one_hot",
    "to_one_hot_inverse",
]

FiringPattern = Literal["regular", "uniform", "poisson"]


# ---------------------------------------------------------------------------------------------------------------
# encoders


def rate_conv(data: Tensor) -> Tensor:
    """One Bernoulli draw per element: s ~ Bernoulli(clamp(data, 0, 1)), of data's shape and dtype."""
    return _core.rate_spikes(data, 1)[0]


def rate(
    data: Tensor,
    num_steps: int = False,
    gain: float = 1,
    offset: float = 0,
    first_spike_time: int = 0,
    time_var_input: bool = False,
) -> Tensor:
    """Rate code: ``[num_steps, *data.shape]`` Bernoulli spikes of probability clamp(gain·data + offset, 0, 1).

    With ``time_var_input=True`` data is already a sequence ``[T, ...]``: each step is drawn from its own values
    (gain and offset unused, as in snnTorch) and ``first_spike_time`` silent steps are prepended.
    """
    if first_spike_time < 0 or num_steps < 0:
        raise ValueError(f"rate: first_spike_time ({first_spike_time}) and num_steps ({num_steps}) cannot be negative")
    if first_spike_time > num_steps - 1:
        if num_steps:
            raise ValueError(
                f"rate: first_spike_time ({first_spike_time}) must be at most num_steps-1 ({num_steps - 1})"
            )
        if not time_var_input:
            raise ValueError(
                "rate: num_steps must be > 0 for a static input; for an input that is already a sequence "
                "[T, ...], pass time_var_input=True"
            )
    if time_var_input and num_steps:
        raise ValueError(
            "rate: num_steps must not be given with time_var_input=True; the input's first dimension plus "
            "first_spike_time sets the number of steps"
        )
    if not time_var_input:
        return _core.rate_spikes(data, int(num_steps), gain=gain, offset=offset, first_spike_time=first_spike_time)
    spikes = rate_conv(data)
    if first_spike_time > 0:
        # snnTorch prepends float32 zeros, so the result type follows torch's promotion of the two
        silent = torch.zeros((first_spike_time, *spikes.shape[1:]), dtype=torch.float32, device=data.device)
        spikes = torch.cat((silent, spikes))
    return spikes


def _latency_errors(
    data: Tensor, num_steps: int, threshold: float, tau: float, first_spike_time: float, normalize: bool
) -> None:
    """snnTorch's argument checks of the latency codes, as ValueErrors naming the argument."""
    if not 0 < threshold < 1:
        raise ValueError(f"latency: threshold must be in (0, 1), got {threshold}")
    if tau <= 0:
        raise ValueError(f"latency: tau must be > 0, got {tau}")
    if first_spike_time and num_steps and first_spike_time > num_steps - 1:
        raise ValueError(
            f"latency: first_spike_time ({first_spike_time}) must be at most num_steps-1 ({num_steps - 1})"
        )
    if first_spike_time < 0:
        raise ValueError(f"latency: first_spike_time cannot be negative, got {first_spike_time}")
    if num_steps < 0:
        raise ValueError(f"latency: num_steps cannot be negative, got {num_steps}")
    if normalize and not num_steps:
        raise ValueError("latency: normalize=True needs num_steps")


def latency_code_log(
    data: Tensor,
    num_steps: int = False,
    threshold: float = 0.01,
    tau: float = 1,
    first_spike_time: float = 0,
    normalize: bool = False,
    epsilon: float = 1e-7,
) -> Tensor:
    """RC latency times tau·ln(x / (x - threshold)) (+ first_spike_time), of data's shape: `rc_latency_times`."""
    _latency_errors(data, num_steps, threshold, tau, first_spike_time, normalize)
    return _core.rc_latency_times(
        data,
        tau=tau,
        threshold=threshold,
        first_spike_time=first_spike_time,
        normalize_to=int(num_steps) if normalize else None,
        epsilon=epsilon,
    )


def latency_code_linear(
    data: Tensor,
    num_steps: int = False,
    threshold: float = 0.01,
    tau: float = 1,
    first_spike_time: float = 0,
    normalize: bool = False,
) -> Tensor:
    """Linear latency times min(tau·(1 - x), tau·(1 - threshold)) + first_spike_time (`rc_latency_times`)."""
    _latency_errors(data, num_steps, threshold, tau, first_spike_time, normalize)
    return _core.rc_latency_times(
        data,
        tau=tau,
        threshold=threshold,
        linear=True,
        first_spike_time=first_spike_time,
        normalize_to=int(num_steps) if normalize else None,
    )


def latency_code(
    data: Tensor,
    num_steps: int = False,
    threshold: float = 0.01,
    tau: float = 1,
    first_spike_time: float = 0,
    normalize: bool = False,
    linear: bool = False,
    epsilon: float = 1e-7,
) -> tuple[Tensor, Tensor]:
    """(spike times, ``data < threshold``): the RC code, or the linear one with ``linear=True``."""
    idx = data < threshold
    if linear:
        return latency_code_linear(data, num_steps, threshold, tau, first_spike_time, normalize), idx
    return latency_code_log(data, num_steps, threshold, tau, first_spike_time, normalize, epsilon), idx


def latency(
    data: Tensor,
    num_steps: int = False,
    threshold: float = 0.01,
    tau: float = 1,
    first_spike_time: float = 0,
    on_target: float = 1,
    off_target: float = 0,
    clip: bool = False,
    normalize: bool = False,
    linear: bool = False,
    interpolate: bool = False,
    bypass: bool = False,
    epsilon: float = 1e-7,
) -> Tensor:
    """Latency code: one spike per element at step round(`latency_code`), ``[num_steps, *data.shape]``.

    data must lie in [0, 1]; larger values fire earlier. ``clip`` silences elements below ``threshold``;
    ``bypass=True`` without ``num_steps`` sizes the train to the last spike (and, with ``num_steps``, drops spikes
    past the end instead of raising); ``interpolate`` gives `latency_interpolate`'s ramps instead of spikes. The
    train is ``max(spike·on_target, off_target)``.
    """
    if data.numel() and (bool((data < 0).any()) or bool((data > 1).any())):
        raise ValueError(
            f"latency: data must lie in [0, 1], got values in [{float(data.min()):g}, {float(data.max()):g}]"
        )
    if not 0 <= threshold <= 1:
        raise ValueError(f"latency: threshold must be in [0, 1], got {threshold}")
    if not num_steps and not bypass:
        raise ValueError(
            "latency: num_steps must be given; or pass bypass=True to size the train to the last spike time"
        )
    spike_time, idx = latency_code(data, num_steps, threshold, tau, first_spike_time, normalize, linear, epsilon)
    last = int(torch.round(torch.max(spike_time)))
    if not num_steps:
        num_steps = last + 1
        if num_steps <= 0:
            raise ValueError(
                f"latency: the last spike time gives num_steps={num_steps}; scale the data up or lower threshold"
            )
    elif last > num_steps - 1 and not bypass:
        raise ValueError(
            f"latency: the last spike time rounds to step {last}, beyond num_steps-1 ({num_steps - 1}); lower tau, "
            "pass normalize=True, or pass bypass=True to drop the spikes past the end"
        )
    if interpolate:
        return latency_interpolate(spike_time, int(num_steps), on_target=on_target, off_target=off_target)
    return _core.times_to_spikes(
        spike_time, int(num_steps), silent=idx if clip else None, on_target=on_target, off_target=off_target
    )


def delta(data: Tensor, threshold: float = 0.1, padding: bool = False, off_spike: bool = False) -> Tensor:
    """Change detection on ``[T, ...]``: 1 where data[t] - data[t-1] >= threshold (-1 where <= -threshold with
    ``off_spike``); data[-1] is 0, or data[0] with ``padding``. `delta_spikes`."""
    return _core.delta_spikes(data, threshold, padding=padding, off_spike=off_spike)


# ---------------------------------------------------------------------------------------------------------------
# targets


def to_one_hot(targets: Tensor, num_classes: int) -> Tensor:
    """Class indices ``[B]`` to float32 one-hot rows ``[B, num_classes]``."""
    if targets.numel() and int(targets.max()) > num_classes - 1:
        raise ValueError(f"to_one_hot: target {int(targets.max())} is out of range for num_classes={num_classes}")
    return F.one_hot(targets.long(), num_classes).to(torch.float32)


def to_one_hot_inverse(one_hot_targets: Tensor) -> Tensor:
    """1 where ``one_hot_targets`` is 0 and 0 elsewhere, in its dtype."""
    return (one_hot_targets == 0).to(one_hot_targets.dtype)


def from_one_hot(one_hot_label: Tensor) -> Tensor:
    """Indices (along dim 0) of the entries equal to 1."""
    return torch.where(one_hot_label == 1)[0]


def target_rate_code(
    num_steps: int, first_spike_time: int = 0, rate: float = 1, firing_pattern: FiringPattern = "regular"
) -> tuple[Tensor, Tensor]:
    """A target train ``[num_steps]`` firing at ``rate`` from ``first_spike_time`` on, and its spike steps.

    ``regular``: every 1/rate steps; ``uniform``: as many spikes at uniformly drawn steps; ``poisson``: a Bernoulli
    draw of probability ``rate`` per step (`rate_spikes`).
    """
    if not 0 <= rate <= 1:
        raise ValueError(f"target_rate_code: rate must be in [0, 1], got {rate}")
    if first_spike_time > num_steps:
        raise ValueError(
            f"target_rate_code: first_spike_time ({first_spike_time}) must be at most num_steps ({num_steps})"
        )
    pattern = firing_pattern.lower()
    if pattern not in ("regular", "uniform", "poisson"):
        raise ValueError(f"firing_pattern must be 'regular', 'uniform' or 'poisson', got {firing_pattern!r}")
    if rate == 0:
        return torch.zeros(num_steps), torch.Tensor()
    if pattern == "poisson":
        if first_spike_time == num_steps:  # nothing to draw after the silent steps
            spikes = torch.bernoulli(torch.zeros(num_steps))
        else:
            p = torch.tensor(float(rate))
            spikes = _core.rate_spikes(p, num_steps, first_spike_time=first_spike_time).reshape(num_steps)
        return spikes, torch.where(spikes == 1)[0]
    grid = torch.arange(first_spike_time, num_steps, 1 / rate)
    if pattern == "uniform":
        grid = torch.rand(len(grid)) * (num_steps - first_spike_time) + first_spike_time
    steps = grid.long()
    return torch.zeros(num_steps).scatter(0, steps, 1), steps


def rate_interpolate(
    spike_time: Tensor, num_steps: int, on_target: float = 1, off_target: float = 0, epsilon: float = 1e-7
) -> Tensor:
    """A membrane target ``[num_steps]`` that ramps linearly from off_target to on_target into each spike step.

    ``spike_time`` holds whole steps; a step that directly follows the previous spike gets on_target, the steps
    after the last spike get off_target.
    """
    if not spike_time.numel():
        return torch.ones(num_steps) * off_target
    pieces: list[Tensor] = []
    previous = -1
    for step in range(num_steps):
        if not bool((spike_time == step).any()):
            continue
        gap = step - previous - 1
        if gap == 0:
            pieces.append(torch.Tensor([on_target]))
        else:
            pieces.append(torch.arange(off_target, on_target + epsilon, (on_target - off_target) / gap))
        previous = step
    last = float(spike_time.max())
    if last < num_steps - 1:
        pieces.append(torch.full((num_steps - 1 - int(last),), float(off_target)))
    return torch.cat(pieces) if pieces else torch.Tensor([])


def latency_interpolate(spike_time: Tensor, num_steps: int, on_target: float = 1, off_target: float = 0) -> Tensor:
    """A membrane target ``[num_steps, *spike_time.shape]`` rising linearly to on_target at each element's spike
    step (step / t_f), off_target after it; an element whose spike step lies past num_steps stays at off_target
    from step 1 on."""
    if on_target < off_target:
        raise ValueError(f"latency_interpolate: on_target ({on_target}) must be >= off_target ({off_target})")
    dtype = spike_time.dtype if spike_time.is_floating_point() else torch.float32
    t_f = torch.round(spike_time).to(dtype)
    at_zero = t_f == 0
    # spikes at step 0 and past the end divide by 0.5, so every later step exceeds on_target and is cut below
    t_f = t_f.masked_fill((t_f > num_steps) | at_zero, 0.5)
    steps = torch.arange(num_steps, dtype=dtype, device=spike_time.device).reshape(-1, *([1] * spike_time.dim()))
    ramp = steps / t_f
    ramp[0] = at_zero.to(dtype)
    ramp = ramp * (on_target - off_target) + off_target
    return ramp.masked_fill(ramp > on_target, off_target)


def targets_rate(
    targets: Tensor,
    num_classes: int,
    num_steps: int = False,
    first_spike_time: int = 0,
    correct_rate: float = 1,
    incorrect_rate: float = 0,
    on_target: float = 1,
    off_target: float = 0,
    firing_pattern: FiringPattern = "regular",
    interpolate: bool = False,
    epsilon: float = 1e-7,
) -> Tensor:
    """Rate-coded targets for labels ``[B]``: ``[B, C]`` one-hot levels, or ``[num_steps, B, C]`` trains when
    ``first_spike_time`` > 0 or the rates are not (1, 0).

    The label's neuron fires at ``correct_rate`` and the others at ``incorrect_rate`` (see `target_rate_code`);
    spikes are on_target and the rest off_target, or, with ``interpolate``, `rate_interpolate`'s ramps.
    """
    if not 0 <= correct_rate <= 1 or not 0 <= incorrect_rate <= 1:
        raise ValueError(
            f"targets_rate: correct_rate ({correct_rate}) and incorrect_rate ({incorrect_rate}) must be in [0, 1]"
        )
    if not num_steps and (correct_rate != 1 or incorrect_rate != 0):
        raise ValueError("targets_rate: num_steps must be given when correct_rate != 1 or incorrect_rate != 0")
    if incorrect_rate > correct_rate:
        raise ValueError(f"targets_rate: correct_rate ({correct_rate}) must be >= incorrect_rate ({incorrect_rate})")
    if firing_pattern.lower() not in ("regular", "uniform", "poisson"):
        raise ValueError(f"firing_pattern must be 'regular', 'uniform' or 'poisson', got {firing_pattern!r}")
    if first_spike_time < 0:
        raise ValueError(f"targets_rate: first_spike_time cannot be negative, got {first_spike_time}")
    one_hot = to_one_hot(targets, num_classes).to(targets.device)
    if correct_rate == 1 and incorrect_rate == 0:
        if first_spike_time == 0:
            if on_target > off_target:
                return torch.clamp(one_hot * on_target, off_target)
            return one_hot * on_target + ~one_hot.bool() * off_target
        if not num_steps:
            raise ValueError("targets_rate: num_steps must be given when first_spike_time > 0")
        trains = torch.clamp(one_hot * on_target, off_target).repeat(int(num_steps), 1, 1)
        trains[:first_spike_time] = off_target
        return trains
    inverse = to_one_hot_inverse(one_hot)
    steps = int(num_steps)
    correct, correct_steps = target_rate_code(steps, first_spike_time, correct_rate, firing_pattern)
    incorrect, incorrect_steps = target_rate_code(steps, first_spike_time, incorrect_rate, firing_pattern)
    # snnTorch 1.0 multiplies the [T, B, C] wrong-class mask by the [T] train (broadcast over C, an error unless
    # C == T); here each class's train runs along time, as its documentation describes
    if interpolate:
        on = rate_interpolate(correct_steps, steps, on_target, off_target, epsilon).to(one_hot.device)
        off = rate_interpolate(incorrect_steps, steps, on_target, off_target, epsilon).to(one_hot.device)
        return one_hot * on[:, None, None] + inverse * off[:, None, None]
    trains = one_hot * correct.to(one_hot.device)[:, None, None] + inverse * incorrect.to(one_hot.device)[:, None, None]
    return torch.clamp(trains * on_target, off_target)


def targets_latency(
    targets: Tensor,
    num_classes: int,
    num_steps: int = False,
    first_spike_time: float = 0,
    on_target: float = 1,
    off_target: float = 0,
    interpolate: bool = False,
    threshold: float = 0.01,
    tau: float = 1,
    clip: bool = False,
    normalize: bool = False,
    linear: bool = False,
    epsilon: float = 1e-7,
    bypass: bool = False,
) -> Tensor:
    """Latency-coded targets: `latency` of the one-hot labels, ``[num_steps, B, C]`` (the label fires first)."""
    return latency(
        to_one_hot(targets, num_classes),
        num_steps=num_steps,
        threshold=threshold,
        tau=tau,
        first_spike_time=first_spike_time,
        on_target=on_target,
        off_target=off_target,
        clip=clip,
        normalize=normalize,
        linear=linear,
        interpolate=interpolate,
        bypass=bypass,
        epsilon=epsilon,
    )


def targets_convert(
    targets: Tensor,
    num_classes: int,
    code: Literal["rate", "latency"] = "rate",
    num_steps: int = False,
    first_spike_time: int = 0,
    correct_rate: float = 1,
    incorrect_rate: float = 0,
    on_target: float = 1,
    off_target: float = 0,
    firing_pattern: FiringPattern = "regular",
    interpolate: bool = False,
    epsilon: float = 1e-7,
    threshold: float = 0.01,
    tau: float = 1,
    clip: bool = False,
    normalize: bool = False,
    linear: bool = False,
    bypass: bool = False,
) -> Tensor:
    """`targets_rate` (``code="rate"``) or `targets_latency` (``code="latency"``) of labels ``[B]``."""
    if code == "rate":
        return targets_rate(
            targets,
            num_classes,
            num_steps=num_steps,
            first_spike_time=first_spike_time,
            correct_rate=correct_rate,
            incorrect_rate=incorrect_rate,
            on_target=on_target,
            off_target=off_target,
            firing_pattern=firing_pattern,
            interpolate=interpolate,
            epsilon=epsilon,
        )
    if code == "latency":
        return targets_latency(
            targets,
            num_classes,
            num_steps=num_steps,
            first_spike_time=first_spike_time,
            on_target=on_target,
            off_target=off_target,
            interpolate=interpolate,
            threshold=threshold,
            tau=tau,
            clip=clip,
            normalize=normalize,
            linear=linear,
            epsilon=epsilon,
            bypass=bypass,
        )
    raise ValueError(f"targets_convert: code must be 'rate' or 'latency', got {code!r}")
