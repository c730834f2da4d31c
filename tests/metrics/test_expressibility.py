"""Expressibility against closed-form truths, Haar-random states (qutip.rand_ket) and the
published ordering of the Sim et al. 2019 circuits."""

from __future__ import annotations

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
    kl = expressibility(ansatz, n_pairs=200, seed=0)
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
    res = expressibility_from_fidelities(fid, n_qubits, details=True, n_boot=50, seed=1)
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
    assert expressibility_from_fidelities(fid, 2, bins=30) == pytest.approx(want, rel=1e-10)


def haar_masses_2q_30bins() -> np.ndarray:
    edges = np.linspace(0, 1, 31)
    return (1 - edges[:-1]) ** 3 - (1 - edges[1:]) ** 3


def test_same_seed_same_value_regardless_of_chunking() -> None:
    a = sim_circuit(11, 4, 2)
    r1 = expressibility(a, n_pairs=300, seed=42, chunk_size=7)
    r2 = expressibility(a, n_pairs=300, seed=42)
    r3 = expressibility(a, n_pairs=300, seed=np.random.default_rng(42))
    assert r1 == r2 == r3
    assert expressibility(a, n_pairs=300, seed=43) != r1


def test_details_result_and_frame() -> None:
    r = expressibility(sim_circuit(2), n_pairs=1000, seed=5, details=True, n_boot=100)
    assert isinstance(r, ExpressibilityResult)
    assert r.n_pairs == 1000 and r.bins == 75 and r.seed == 5 and r.n_boot == 100
    assert r.kl == expressibility(sim_circuit(2), n_pairs=1000, seed=5)
    assert r.kl_corrected < r.kl
    frame = r.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 1
    assert list(frame.columns[:5]) == ["n", "estimate", "estimate_corrected", "ci_low", "ci_high"]
    with pytest.raises(AttributeError):
        r.kl = 0.0  # frozen


def test_quick_ordering() -> None:
    kl = {i: expressibility(sim_circuit(i), n_pairs=2000, seed=11) for i in (1, 6, 9, 14)}
    assert kl[9] > kl[1] > kl[14]
    assert kl[6] < kl[1]


@pytest.mark.slow
def test_sim_et_al_ordering_four_qubits_one_layer() -> None:
    kl = {i: expressibility(sim_circuit(i, 4, 1), n_pairs=5000, seed=2019) for i in range(1, 20)}
    ranked = sorted(kl, key=kl.get)
    assert ranked[-1] == 9  # least expressive
    assert {6, 14} <= set(ranked[:4])  # among the most expressive


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"bins": 1}, "bins"), ({"n_pairs": 1}, "n_pairs"), ({"n_boot": -1}, "n_boot"),
    ({"bins": 2.5}, "bins"),
])
def test_bad_inputs_name_argument(kwargs: dict, name: str) -> None:
    with pytest.raises(InputError, match=f"`{name}`"):
        expressibility(sim_circuit(1, 2), **kwargs)


def test_bad_fidelities() -> None:
    with pytest.raises(InputError, match="`fidelities`"):
        expressibility_from_fidelities(np.ones((2, 2)), 1)
    with pytest.raises(InputError, match="`n_pairs`"):
        expressibility_from_fidelities(np.ones(1), 1)
