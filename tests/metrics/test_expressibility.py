"""Expressibility against closed-form truths, Haar-random states (qutip.rand_ket) and the
published ordering of the Sim et al. 2019 circuits."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import qutip
from scipy.stats import entropy

from etr.circuits import Ansatz, sim_circuit
from etr.errors import InputError
from etr.metrics import (
    ExpressibilityResult,
    expressibility,
    expressibility_from_fidelities,
    haar_bin_masses,
)
from etr.metrics.expressibility import haar_scaled_masses, scaled_bin_edges

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "reference" / "haar_reference.json").read_text())


@pytest.mark.parametrize("key", sorted(REFERENCE["haar_masses"]))
def test_exact_haar_masses_match_numerical_integration(key: str) -> None:
    n, bins = (int(part.rstrip("qbins")) for part in key.split("_"))
    got = np.exp(haar_bin_masses(n, bins))
    want = np.array(REFERENCE["haar_masses"][key])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-300)
    assert got.sum() == pytest.approx(1.0)


def test_haar_masses_do_not_underflow_for_many_qubits() -> None:
    log_q = haar_bin_masses(14, 75)
    assert np.all(np.isfinite(log_q))
    assert log_q[-1] == pytest.approx((2**14 - 1) * np.log(1 / 75))


@pytest.mark.parametrize(("ansatz", "key"), [
    (Ansatz(1, ()), "1q_75bins"),
    (Ansatz(4, ()), "4q_75bins"),
    (Ansatz.from_gates(1, [("RZ", 0), ("RZ", 0)]), "1q_75bins"),  # phases only: idle in F
    (Ansatz.from_gates(2, [("RZ", 0), ("CRZ", 0, 1), ("CZ", 0, 1)]), "2q_75bins"),
])
def test_idle_circuits(ansatz: Ansatz, key: str) -> None:
    kl = expressibility(ansatz, n_pairs=200, seed=0).kl
    assert kl == pytest.approx(REFERENCE["idle_kl"][key], rel=1e-12)
    assert round(REFERENCE["idle_kl"]["1q_75bins"], 4) == 4.3175
    assert round(REFERENCE["idle_kl"]["4q_75bins"], 2) == 64.76


def haar_fidelities(n_qubits: int, n_pairs: int, seed: int) -> np.ndarray:
    dim = 2**n_qubits
    kets = [qutip.rand_ket(dim, seed=seed + i).full().ravel() for i in range(2 * n_pairs)]
    a, b = np.array(kets[:n_pairs]), np.array(kets[n_pairs:])
    return np.abs(np.einsum("bi,bi->b", a.conj(), b)) ** 2


@pytest.mark.parametrize("n_qubits", [1, pytest.param(3, marks=pytest.mark.slow)])
def test_haar_states_are_maximally_expressive(n_qubits: int) -> None:
    n_pairs = 500 if n_qubits == 1 else 4000
    fid = haar_fidelities(n_qubits, n_pairs, seed=7)
    dim = 2**n_qubits
    assert fid.mean() == pytest.approx(1 / dim, abs=4 * np.sqrt(1 / dim**2 / n_pairs))
    assert np.mean(fid**2) == pytest.approx(2 / (dim * (dim + 1)), rel=0.15)
    res = expressibility_from_fidelities(fid, n_qubits, n_boot=50, seed=1)
    floor = 74 / (2 * n_pairs)  # Miller-Madow bias of the plug-in estimate
    assert res.kl < 3 * floor
    assert abs(res.kl_corrected) < 1.5 * floor
    assert res.ci_low <= max(res.kl_corrected, 0.0) <= res.ci_high
    assert res.ci_high < res.kl + floor


def test_kl_matches_scipy_entropy_on_same_histogram() -> None:
    rng = np.random.default_rng(3)
    fid = rng.beta(1, 5, size=4000)
    counts = np.histogram(fid, bins=30, range=(0, 1))[0]
    want = entropy(counts / counts.sum(), haar_masses_2q_30bins())
    assert expressibility_from_fidelities(fid, 2, bins=30).kl == pytest.approx(want, rel=1e-10)


def haar_masses_2q_30bins() -> np.ndarray:
    edges = np.linspace(0, 1, 31)
    return (1 - edges[:-1]) ** 3 - (1 - edges[1:]) ** 3


def test_same_seed_same_value_regardless_of_chunking() -> None:
    a = sim_circuit(11, 4, 2)
    r1 = expressibility(a, n_pairs=300, seed=42, chunk_size=7)
    r2 = expressibility(a, n_pairs=300, seed=42)
    r3 = expressibility(a, n_pairs=300, seed=np.random.default_rng(42))
    assert r1 == r2 and r3.seed is None and r3 == dataclasses.replace(r1, seed=None)
    assert expressibility(a, n_pairs=300, seed=43).kl != r1.kl


def test_details_result_and_frame() -> None:
    r = expressibility(sim_circuit(2), n_pairs=1000, seed=5, n_boot=100)
    assert isinstance(r, ExpressibilityResult)
    assert r.n_pairs == 1000 and r.bins == 75 and r.seed == 5 and r.n_boot == 100
    assert r.kl == expressibility(sim_circuit(2), n_pairs=1000, seed=5, n_boot=0).kl
    assert r.kl_corrected < r.kl
    frame = r.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 1
    assert list(frame.columns[:5]) == ["n", "estimate", "estimate_corrected", "ci_low", "ci_high"]
    assert r.scaled_bins == 20 and r.kl_scaled_corrected < r.kl_scaled
    assert frame.loc[0, "estimate_scaled"] == r.kl_scaled
    with pytest.raises(AttributeError):
        r.kl = 0.0  # frozen


def test_quick_ordering() -> None:
    kl = {i: expressibility(sim_circuit(i), n_pairs=2000, seed=11, n_boot=0).kl
          for i in (1, 6, 9, 14)}
    assert kl[9] > kl[1] > kl[14]
    assert kl[6] < kl[1]


@pytest.mark.slow
def test_sim_et_al_ordering_four_qubits_one_layer() -> None:
    kl = {i: expressibility(sim_circuit(i, 4, 1), n_pairs=5000, seed=2019, n_boot=0).kl
          for i in range(1, 20)}
    ranked = sorted(kl, key=kl.get)
    assert ranked[-1] == 9  # least expressive
    assert {6, 14} <= set(ranked[:4])  # among the most expressive


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"bins": 1}, "bins"), ({"n_pairs": 1}, "n_pairs"), ({"n_boot": -1}, "n_boot"),
    ({"bins": 2.5}, "bins"), ({"scaled_bins": 1}, "scaled_bins"),
])
def test_bad_inputs_name_argument(kwargs: dict, name: str) -> None:
    with pytest.raises(InputError, match=f"`{name}`"):
        expressibility(sim_circuit(1, 2), **kwargs)


def test_bad_fidelities() -> None:
    with pytest.raises(InputError, match="`fidelities`"):
        expressibility_from_fidelities(np.ones((2, 2)), 1)
    with pytest.raises(InputError, match="`n_pairs`"):
        expressibility_from_fidelities(np.ones(1), 1)


# ------------------------------------------------------------------- width-scaled KL of N F
def test_scaled_haar_masses_match_the_beta_law() -> None:
    from scipy.stats import beta

    for n in (1, 2, 3, 6, 10, 14):
        dim = 2**n
        lower = scaled_bin_edges(20)
        upper = np.append(lower[1:], dim)
        cdf = beta(1, dim - 1).cdf  # Haar: F ~ Beta(1, N - 1), s = N F
        want = cdf(np.minimum(upper, dim) / dim) - cdf(np.minimum(lower, dim) / dim)
        got = np.exp(haar_scaled_masses(n, 20))
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)
        assert got.sum() == pytest.approx(1.0)
        if n >= 2:
            assert got.min() >= 0.0158  # every bin is populated under Haar at every width
    np.testing.assert_allclose(np.exp(haar_scaled_masses(24, 20)), 1 / 20, rtol=1e-5)  # Exp(1)


def test_first_of_75_bins_swallows_the_haar_law_as_width_grows() -> None:
    # mass of [0, 1/75] = 1 - (74/75)^(N-1), the numbers the docstring quotes
    first = {n: float(np.exp(haar_bin_masses(n, 75))[0]) for n in (4, 6, 8, 10)}
    for n, want in first.items():
        assert want == pytest.approx(1 - (74 / 75) ** (2**n - 1), rel=1e-12)
    assert [round(first[n], 2) for n in (4, 6, 8)] == [0.18, 0.57, 0.97]
    assert 1 - first[10] == pytest.approx(1.1e-6, rel=0.05)


def test_idle_circuit_scaled_kl_closed_form() -> None:
    # every F = 1, s = N = 16 lies in the open last bin [ln 20, N]: KL = -ln((1 - ln20/N)^(N-1))
    r = expressibility(Ansatz(4, ()), n_pairs=200, seed=0, n_boot=0)
    assert r.kl_scaled == pytest.approx(-15 * np.log1p(-np.log(20) / 16), rel=1e-12)
    assert r.kl_scaled_corrected == r.kl_scaled  # one occupied bin: no correction


def haar_replicates(n_qubits: int, n_pairs: int, reps: int, seed: int) -> list:
    """Results for fidelities drawn from their exact Haar law, Beta(1, N - 1)."""
    rng = np.random.default_rng(seed)
    return [expressibility_from_fidelities(rng.beta(1, 2**n_qubits - 1, size=n_pairs), n_qubits,
                                           n_boot=0) for _ in range(reps)]


def test_scaled_kl_does_not_drift_with_width_but_the_75_bin_kl_does() -> None:
    n_pairs, reps = 5000, 40
    floor = 19 / (2 * n_pairs)  # Miller-Madow: 20 bins, every one occupied
    sd_mean = np.sqrt(2 * 19) / (2 * n_pairs) / np.sqrt(reps)  # chi-square(19) / (2 M), averaged
    kl, scaled, corrected = {}, {}, {}
    for n in (2, 4, 6, 8, 10):
        res = haar_replicates(n, n_pairs, reps, seed=n)
        kl[n] = np.mean([r.kl for r in res])
        scaled[n] = np.mean([r.kl_scaled for r in res])
        corrected[n] = np.mean([r.kl_scaled_corrected for r in res])
        assert abs(scaled[n] - floor) < 4 * sd_mean, (n, scaled[n])
        assert abs(corrected[n]) < 4 * sd_mean, (n, corrected[n])
    # the 75-bin plug-in floor falls with width (occupied bins: ~70 at 2 qubits, 1 at 10)
    assert kl[2] > kl[4] > kl[6] > kl[8] > kl[10]
    assert kl[2] > 0.006 and kl[10] < 0.0003
    assert max(scaled.values()) - min(scaled.values()) < 6 * sd_mean


def test_corrected_scaled_kl_can_be_negative_so_the_registry_has_no_log_scale() -> None:
    from etr.contract import METRICS

    values = [r.kl_scaled_corrected for r in haar_replicates(6, 5000, 20, seed=1)]
    assert min(values) < 0
    assert METRICS["expressibility_kl_scaled"].log_scale is False


@pytest.mark.slow
@pytest.mark.parametrize("n_qubits", [2, 4, 6, 8, 10])
def test_haar_states_scaled_kl_is_zero_at_every_width(n_qubits: int) -> None:
    rng = np.random.default_rng(40 + n_qubits)
    n_pairs, dim = 5000, 2**n_qubits
    fid = np.empty(n_pairs)
    for start in range(0, n_pairs, 500):  # Haar states: normalised complex Gaussian vectors
        z = rng.normal(size=(2, 500, dim)) + 1j * rng.normal(size=(2, 500, dim))
        z /= np.linalg.norm(z, axis=2, keepdims=True)
        fid[start:start + 500] = np.abs(np.einsum("bi,bi->b", z[0].conj(), z[1])) ** 2
    r = expressibility_from_fidelities(fid, n_qubits, n_boot=0)
    sd = np.sqrt(2 * 19) / (2 * n_pairs)
    assert abs(r.kl_scaled_corrected) < 4 * sd
    assert abs(r.kl_scaled - 19 / (2 * n_pairs)) < 4 * sd

