"""Runs under noise: the run's backend comes from its settings, the record carries the noise
level and the purity of the states, and a noise level shares its run's initialisations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from etr.hybrid import HybridModel, evaluate_run
from etr.hybrid.run import model_purity
from etr.plan import Architecture, RunSettings
from etr.plan.noise import NoiseModel
from etr.quantum import DensityMatrixBackend

SMALL = RunSettings(n_train=16, n_test=8, n_init=3, steps=4, learning_rate=0.1,
                    ed_weight_samples=2, landscape_samples=2)
ONE = Architecture(n_qubits=1, layers=1, rotations="RY", topology="none")


@pytest.mark.parametrize("p", [0.0, 0.1, 0.4])
def test_purity_of_a_one_qubit_model_is_the_closed_form(p):
    """Encoding RY then the layer's RY, depolarizing(p) after each: the Bloch vector has length
    (1 - p)^2 whatever the angles, so tr(rho^2) = (1 + (1 - p)^4) / 2."""
    rec = evaluate_run(ONE, "pure_pqc", 3, dataclasses.replace(
        SMALL, noise=NoiseModel(depolarizing=p)))
    assert rec["purity"] == pytest.approx((1 + (1 - p) ** 4) / 2, abs=1e-12)
    assert rec["depolarizing"] == p and rec["readout"] == 0.0


def test_the_record_carries_the_noise_level_and_the_control_has_none():
    noise = NoiseModel(depolarizing=0.02, amplitude_damping=0.01, phase_damping=0.03,
                       readout=0.04)
    arch = Architecture(n_qubits=2, layers=2, classical_post="4-tanh")
    rec = evaluate_run(arch, "hybrid_full", 5, dataclasses.replace(SMALL, noise=noise))
    assert {k: rec[k] for k in noise.as_dict()} == noise.as_dict()
    assert 0.25 < rec["purity"] < 1.0
    control = evaluate_run(arch, "classical_only", 5, SMALL)
    assert np.isnan(control["purity"]) and control["depolarizing"] == 0.0


def test_noise_shrinks_the_gradients_of_the_same_initialisations():
    arch = Architecture(n_qubits=2, layers=3, topology="linear")
    clean = evaluate_run(arch, "pure_pqc", 7, SMALL)
    loud = evaluate_run(arch, "pure_pqc", 7, dataclasses.replace(
        SMALL, noise=NoiseModel(depolarizing=0.3)))
    assert clean["task_id"] == loud["task_id"]
    assert loud["grad_var"] < 0.2 * clean["grad_var"]
    assert loud["purity"] < 0.5 < clean["purity"] == pytest.approx(1.0, abs=1e-12)


def test_a_noiseless_run_is_unchanged_by_the_density_matrix_path():
    """The noiseless density-matrix backend is the statevector one to rounding: a run on it
    matches the default run (the backend comes from the settings, so the default is untouched)."""
    arch = Architecture(n_qubits=2, layers=2, classical_post="4-tanh")
    model = HybridModel(arch, "hybrid_full", 2)
    params = model.init_params(2, seed=0)
    x, y = np.random.default_rng(1).normal(size=(6, 2)), np.array([0, 1, 1, 0, 1, 0])
    loss, grad = model.loss_and_grad(params, x, y)
    loss_d, grad_d = model.with_backend(DensityMatrixBackend()).loss_and_grad(params, x, y)
    np.testing.assert_allclose(loss_d, loss, atol=1e-12)
    np.testing.assert_allclose(grad_d, grad, atol=1e-12)
    assert model_purity(model, params, x, SMALL) == pytest.approx(1.0, abs=1e-12)


def test_noise_and_shots_together():
    rec = evaluate_run(ONE, "pure_pqc", 2, dataclasses.replace(
        SMALL, shots=50, noise=NoiseModel(depolarizing=0.1)))
    assert rec["shots"] == 50 and rec["depolarizing"] == 0.1
    assert rec["purity"] == pytest.approx((1 + 0.9**4) / 2, abs=1e-12)  # exact states
    assert np.isfinite(rec["grad_var"])
