"""Encoders: hand-computed trains, statistics of the random codes, and parity with SpikingJelly and snnTorch."""

from __future__ import annotations

import math
import pickle

import pytest
import torch

from snnmodels import encoding as E
from tests.snnmodels.peers import snntorch, spikingjelly


def test_latency_linear_and_log_by_hand() -> None:
    x = torch.tensor([1.0, 0.5, 0.0, 0.26])
    # (T-1)(1-x) with T=5: 0, 2, 4, 2.96 -> 3
    assert E.latency_times(x, 5).tolist() == [0, 2, 4, 3]
    spikes = E.latency_spikes(x, 5)
    assert spikes.shape == (5, 4)
    assert spikes.sum(0).tolist() == [1.0, 1.0, 1.0, 1.0]
    assert spikes[:, 1].tolist() == [0, 0, 1, 0, 0]
    # log: T-1 - ln(alpha x + 1), alpha = e^(T-1) - 1: x=1 -> 0, x=0 -> T-1
    log = E.latency_times(torch.tensor([1.0, 0.0, 0.5]), 5, "log")
    assert log.tolist() == [0, 4, round(4 - math.log((math.exp(4) - 1) * 0.5 + 1))]


def test_weighted_phase_reconstructs_binary_expansion() -> None:
    x = torch.tensor([192 / 256, 0.0, 1 - 2**-8, 0.3])
    s = E.weighted_phase_spikes(x, 8)
    assert s[:, 0].tolist() == [1, 1, 0, 0, 0, 0, 0, 0]  # 192/256 = 0.11000000b (Kim et al.'s table)
    w = torch.tensor([2.0 ** -(k + 1) for k in range(8)])
    back = (s * w[:, None]).sum(0)
    assert torch.all(back <= x)
    assert torch.all(x - back < 2**-8)
    with pytest.raises(ValueError, match=r"weighted_phase_spikes\(K=8\) encodes values in \[0, 0.996"):
        E.weighted_phase_spikes(torch.tensor([1.0]), 8)


def test_delta_on_off_and_padding() -> None:
    x = torch.tensor([[0.5], [0.5], [0.8], [0.1]])
    assert E.delta_spikes(x, 0.2).flatten().tolist() == [1, 0, 1, 0]
    assert E.delta_spikes(x, 0.2, padding=True).flatten().tolist() == [0, 0, 1, 0]
    assert E.delta_spikes(x, 0.2, off_spike=True).flatten().tolist() == [1, 0, 1, -1]


def test_periodic_and_gaussian_fields() -> None:
    pattern = torch.tensor([[1.0], [0.0], [1.0]])
    assert E.periodic_spikes(pattern, 7).flatten().tolist() == [1, 0, 1, 1, 0, 1, 1]
    mu, sigma2 = E.gaussian_receptive_fields(4, torch.tensor([0.0]), torch.tensor([1.0]))
    # mu_i = (2i - 3)/2 / 2 for i = 1..4; sigma = 1 / (1.5 * 2)
    torch.testing.assert_close(mu, torch.tensor([[-0.25, 0.25, 0.75, 1.25]]))
    torch.testing.assert_close(sigma2, torch.full((1, 4), (1 / 3) ** 2))
    t = E.GaussianTuning(mu, sigma2).encode(torch.tensor([[[0.25]]]), 10)
    # the field centred on 0.25 fires at once; those 0.5 away at 10(1 - e^-1.125) = 6.75 -> 7; the one 1.0 away
    # (3 sigma) at 10(1 - e^-4.5) = 9.89 -> 10, outside the window: no spike
    assert t.shape == (1, 1, 1, 4)
    assert t[0, 0, 0].tolist() == [7.0, 0.0, 7.0, -1.0]


def test_poisson_rate_matches_probability_and_is_seeded() -> None:
    x = torch.tensor([0.0, 0.2, 0.7, 1.0], dtype=torch.float64)
    g = torch.Generator().manual_seed(1)
    s = E.poisson_spikes(x, 4000, generator=g)
    assert s.shape == (4000, 4)
    rates = s.mean(0)
    assert rates[0] == 0
    assert rates[3] == 1
    assert abs(float(rates[1]) - 0.2) < 0.03
    assert abs(float(rates[2]) - 0.7) < 0.03
    enc = E.PoissonEncoder(T=16, seed=3)
    a = enc(x)
    enc.reseed()
    torch.testing.assert_close(enc(x), a)
    clone = pickle.loads(pickle.dumps(enc))
    torch.testing.assert_close(clone(x), enc(x))  # the pickled generator carries on where the original was
    r = E.rate_spikes(x, 3000, gain=0.5, generator=torch.Generator().manual_seed(2))
    assert abs(float(r.mean(0)[3]) - 0.5) < 0.04


def test_bad_input_names_the_encoder() -> None:
    with pytest.raises(ValueError, match="latency_times encodes values in"):
        E.latency_times(torch.tensor([1.5]), 4)
    with pytest.raises(ValueError, match=r"T \(number of time steps\) must be an int >= 1"):
        E.PoissonEncoder(T=0)
    with pytest.raises(ValueError, match="function must be 'linear' or 'log'"):
        E.LatencyEncoder(4, "exp")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="delta_spikes needs a sequence"):
        E.delta_spikes(torch.zeros(0, 3))


# ---------------------------------------------------------------------------------------------------------------
# parity


@pytest.mark.peers
def test_poisson_matches_spikingjelly_seeded() -> None:
    sj = spikingjelly()
    import spikingjelly.activation_based.encoding as sj_enc

    x = torch.rand(3, 5, dtype=torch.float64)
    theirs_enc = sj_enc.PoissonEncoder()
    torch.manual_seed(7)
    theirs = torch.stack([theirs_enc(x) for _ in range(6)])
    torch.manual_seed(7)
    ours = E.poisson_spikes(x, 6)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
    assert sj is not None


@pytest.mark.peers
@pytest.mark.parametrize("function", ["linear", "log"])
def test_latency_and_phase_match_spikingjelly(function: str) -> None:
    spikingjelly()
    import spikingjelly.activation_based.encoding as sj_enc
    from spikingjelly.activation_based import functional as sj_f

    x = torch.rand(4, 6, dtype=torch.float64)
    enc = sj_enc.LatencyEncoder(9, enc_function=function)
    theirs = torch.stack([enc(x) for _ in range(9)])
    torch.testing.assert_close(E.latency_spikes(x, 9, function), theirs, rtol=0, atol=0)  # type: ignore[arg-type]
    sj_f.reset_net(enc)
    xp = torch.rand(4, 6, dtype=torch.float64) * (1 - 2**-5)
    phase = sj_enc.WeightedPhaseEncoder(5)
    theirs_p = torch.stack([phase(xp) for _ in range(5)]).to(torch.float64)
    torch.testing.assert_close(E.weighted_phase_spikes(xp, 5), theirs_p, rtol=0, atol=0)


@pytest.mark.peers
def test_gaussian_tuning_matches_spikingjelly() -> None:
    spikingjelly()
    from spikingjelly.timing_based.encoding import GaussianTuning as SJGaussian

    n, m, k = 3, 5, 4
    x_min = torch.tensor([0.0, -1.0, 2.0], dtype=torch.float64)
    x_max = torch.tensor([1.0, 1.0, 5.0], dtype=torch.float64)
    x = x_min[None, :, None] + torch.rand(2, n, k, dtype=torch.float64) * (x_max - x_min)[None, :, None]
    ours = E.GaussianTuning.from_range(m, x_min, x_max)
    theirs = SJGaussian(n, m, x_min, x_max)
    torch.testing.assert_close(ours.mu, theirs.mu)
    torch.testing.assert_close(ours.sigma2, theirs.sigma2)
    # SpikingJelly 2.0 returns the unrounded times of the fields that fire, as (times, columns, offsets) rows
    times, columns, offsets = theirs(x, duration=20.0)
    mine = ours.encode(x, 20.0, rounded=False)  # [B, n, k, m] -> SJ's column order
    flat = mine.reshape(2, -1)
    for b in range(2):
        sel = flat[b] >= 0
        torch.testing.assert_close(flat[b][sel], times[offsets[b] : offsets[b + 1]])
        assert torch.nonzero(sel).flatten().tolist() == columns[offsets[b] : offsets[b + 1]].tolist()


@pytest.mark.peers
def test_rate_latency_delta_match_snntorch() -> None:
    snn = snntorch()
    import snntorch.spikegen as sg

    x = torch.rand(5, 7)
    torch.manual_seed(3)
    theirs = sg.rate(x, num_steps=6, gain=0.8, offset=0.1, first_spike_time=2)
    torch.manual_seed(3)
    ours = E.rate_spikes(x, 6, gain=0.8, offset=0.1, first_spike_time=2)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
    for kw in [{}, {"linear": True}, {"normalize": True}, {"linear": True, "normalize": True}, {"tau": 5}]:
        theirs_t, idx = sg.latency_code(x, num_steps=12, threshold=0.05, **kw)
        mine = E.rc_latency_times(
            x,
            threshold=0.05,
            tau=kw.get("tau", 1),
            linear=kw.get("linear", False),
            normalize_to=12 if kw.get("normalize") else None,
        )
        torch.testing.assert_close(mine, theirs_t)
        theirs_s = sg.latency(x, num_steps=12, threshold=0.05, clip=True, **kw)
        torch.testing.assert_close(E.times_to_spikes(mine, 12, silent=idx), theirs_s)
    seq = torch.rand(8, 3)
    for kw in [{}, {"padding": True}, {"off_spike": True}]:
        torch.testing.assert_close(E.delta_spikes(seq, 0.2, **kw), sg.delta(seq, 0.2, **kw))
    assert snn is not None
