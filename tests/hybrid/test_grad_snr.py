"""The finite-shot gradient's signal-to-noise ratio (`grad_snr`) of a run.

Truths: the variance of a model's finite-shot loss gradient from a brute-force Monte-Carlo of
`HybridModel.loss_and_grad` under `ShotBackend` (independent draws at fixed parameters), and the
exact gradient of the adjoint method.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from etr.hybrid.model import HybridModel
from etr.hybrid.run import evaluate_run
from etr.metrics.trainability import grad_snr
from etr.plan import Architecture, RunSettings
from etr.quantum import ShotBackend


@pytest.mark.parametrize(("config", "pre"), [("pure_pqc", "none"), ("hybrid_full", "3-tanh")])
def test_model_noise_matches_repeated_shot_gradients(config, pre):
    arch = Architecture(n_qubits=3, layers=2, classical_pre=pre)
    n_features = 3 if pre == "none" else 2
    model = HybridModel(arch, config, n_features)
    rng = np.random.default_rng(0)
    params = model.init_params(2, rng)
    x, y = rng.uniform(-1, 1, (6, n_features)), rng.integers(0, 2, 6)
    shots, reps = 50, 3000
    g, var = model.quantum_grad_noise(params, x, y, shots)
    _, exact = model.loss_and_grad(params, x, y)
    q = model.blocks["quantum"]
    np.testing.assert_allclose(g, exact[:, q], atol=1e-12)
    noisy = model.with_backend(ShotBackend(shots, seed=5))
    draws = np.array([noisy.loss_and_grad(params, x, y)[1][:, q] for _ in range(reps)])
    mc = draws.var(axis=0, ddof=1)
    # relative SE of a sample variance ~ sqrt(2 / reps) = 2.6%: every entry within 5 SE, and
    # the mean ratio (12 entries) within 3 SE of its own
    np.testing.assert_allclose(mc, var, rtol=5 * math.sqrt(2 / reps))
    assert abs(np.mean(mc / var) - 1) < 3 * math.sqrt(2 / reps / mc.size)


def test_run_records_the_ratio_on_finite_shot_runs_only():
    arch = Architecture(n_qubits=3, layers=2, classical_pre="2-tanh")
    base = dict(n_train=12, n_test=8, n_init=3, steps=2, ed_weight_samples=2,
                landscape_samples=2, ed_data_size=20)
    exact = evaluate_run(arch, "hybrid_full", 4, RunSettings(**base))
    assert math.isnan(exact["grad_snr"])
    control = evaluate_run(arch, "classical_only", 4, RunSettings(**base, shots=100))
    assert math.isnan(control["grad_snr"])
    low = evaluate_run(arch, "hybrid_full", 4, RunSettings(**base, shots=100))
    high = evaluate_run(arch, "hybrid_full", 4, RunSettings(**base, shots=400))
    assert 0 < low["grad_snr"] < high["grad_snr"]
    # variance ~ 1/S up to the O(1/S^2) part of E[w^2]: four times the shots, twice the SNR
    assert high["grad_snr"] / low["grad_snr"] == pytest.approx(2.0, rel=0.01)
    # a diagnostic: selecting fewer definitions does not remove it, and it moves nothing else
    only = evaluate_run(arch, "hybrid_full", 4, RunSettings(**base, shots=100,
                                                            definitions=("grad_var",)))
    assert only["grad_snr"] == low["grad_snr"] and only["grad_var"] == low["grad_var"]


def test_grad_snr_function():
    assert grad_snr(np.array([[0.3, -0.4]]), np.array([[0.01, 0.01]])) == pytest.approx(
        math.sqrt(0.125 / 0.01))
    assert grad_snr(np.ones((2, 2)), np.zeros((2, 2))) == math.inf
    from etr.errors import InputError

    with pytest.raises(InputError, match="`variance`"):
        grad_snr(np.ones((2, 2)), -np.ones((2, 2)))
    with pytest.raises(InputError, match="`variance`"):
        grad_snr(np.ones((2, 2)), np.ones((2, 3)))
