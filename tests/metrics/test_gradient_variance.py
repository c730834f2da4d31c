"""Gradient variance: analytic cases, agreement with QuTiP parameter shift, barren plateaus."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etr.circuits import Ansatz, hardware_efficient
from etr.errors import InputError
from etr.metrics import GradientVarianceResult, gradient_variance
from etr.quantum import parameter_shift_gradient


def mcclean_ansatz(n_qubits: int, layers: int) -> Ansatz:
    """RY(pi/4) on every qubit, then `layers` of RY per qubit and a CZ chain."""
    gates: list[tuple] = [("RY", q, np.pi / 4) for q in range(n_qubits)]
    for _ in range(layers):
        gates += [("RY", q) for q in range(n_qubits)]
        gates += [("CZ", q, q + 1) for q in range(n_qubits - 1)]
    return Ansatz.from_gates(n_qubits, gates, name="mcclean")


def test_single_rotation_analytic() -> None:
    # <Z> = cos t, derivative -sin t over t ~ U[0, 2pi): mean 0, variance 1/2
    r = gradient_variance(Ansatz.from_gates(1, [("RY", 0)]), observable="Z", n_samples=20000,
                          seed=1)
    assert r.variance[0] == pytest.approx(0.5, abs=0.02)
    assert r.mean[0] == pytest.approx(0.0, abs=0.02)


def test_matches_qutip_parameter_shift_on_same_draws() -> None:
    a = hardware_efficient(3, 1, topology="ring", entangler="CRX", rotations="RY+RZ")
    r = gradient_variance(a, observable="global", n_samples=5, seed=8)
    params = np.random.default_rng(8).uniform(0, 2 * np.pi, (5, a.n_params))
    grads = parameter_shift_gradient(a, params, "global", backend="qutip")
    np.testing.assert_allclose(r.variance, grads.var(axis=0, ddof=1), atol=1e-12)
    np.testing.assert_allclose(r.mean, grads.mean(axis=0), atol=1e-12)
    assert r.mean_variance == pytest.approx(grads.var(axis=0, ddof=1).mean())


def test_result_record_and_frame() -> None:
    a = hardware_efficient(2, 1, rotations="RY")
    r = gradient_variance(a, observable="ZI", n_samples=10, seed=3)
    assert isinstance(r, GradientVarianceResult)
    assert (r.n_samples, r.observable, r.seed) == (10, "ZI", 3)
    frame = r.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["parameter", "n", "mean", "variance", "observable"]
    assert len(frame) == a.n_params


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"n_samples": 1}, "n_samples"), ({"observable": "ZZZ"}, "observable"),
    ({"observable": "QI"}, "observable"), ({"observable": "local"}, "observable"),
])
def test_bad_inputs(kwargs: dict, name: str) -> None:
    with pytest.raises(InputError, match=f"`{name}`"):
        gradient_variance(hardware_efficient(2, 1), **kwargs)


@pytest.mark.slow
def test_barren_plateau_global_vs_local() -> None:
    widths = np.arange(2, 9)
    glob, local = [], []
    for n in widths:
        a = mcclean_ansatz(int(n), layers=2)
        glob.append(gradient_variance(a, observable="global", n_samples=400, seed=int(n))
                    .mean_variance)
        local.append(gradient_variance(a, observable="Z" + "I" * (int(n) - 1), n_samples=400,
                                       seed=int(n)).mean_variance)
    slope_global = np.polyfit(widths, np.log(glob), 1)[0]
    slope_local = np.polyfit(widths, np.log(local), 1)[0]
    assert slope_global <= -np.log(2) + 0.15  # exponential decay, about 2^-n or faster
    assert slope_local > slope_global + 0.5  # the local cost decays much more slowly
    assert slope_local > -0.35


def test_shot_backend_adds_the_binomial_noise_of_the_shifted_circuits():
    """RY(t)|0>, <Z> = cos t: Var_t[-sin t] = 1/2; the two shifted circuits measure -+sin t with
    S shots each, adding 2 * (1/2)^2 * E_t[cos^2 t] / S = 1 / (4 S) to the variance."""
    from etr.quantum import ShotBackend

    a = Ansatz.from_gates(1, [("RY", 0)])
    for shots in (2, 8):
        r = gradient_variance(a, observable="Z", n_samples=40_000, seed=shots,
                              backend=ShotBackend(shots, seed=100 + shots))
        expected = 0.5 + 0.25 / shots
        assert r.mean_variance == pytest.approx(expected, rel=0.03)
    exact = gradient_variance(a, observable="Z", n_samples=40_000, seed=2)
    assert exact.mean_variance == pytest.approx(0.5, rel=0.03)
