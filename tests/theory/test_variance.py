"""Ragone et al.'s deep-circuit variance: closed forms, both routes, deep-circuit simulations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etr.circuits import Ansatz, hardware_efficient, sim_circuit
from etr.errors import InputError
from etr.theory import (
    LossVarianceResult,
    PredictedVarianceResult,
    lie_algebra,
    measured_loss_variance,
    predicted_variance,
    readout_observable,
)


def cnot_chain(n: int, layers: int) -> Ansatz:
    gates: list[tuple] = []
    for _ in range(layers):
        gates += [(r, q) for q in range(n) for r in ("RY", "RZ")]
        gates += [("CNOT", q, q + 1) for q in range(n - 1)]
    return Ansatz.from_gates(n, gates)


def sigma_times_iz(layers: int) -> Ansatz:
    """Generators X_0, Z_0 and X_0 Z_1 (CZ X_0 CZ): g = su(2) (x) {I, Z_1} = su(2) + su(2)."""
    gates: list[tuple] = []
    for _ in range(layers):
        gates += [("RX", 0), ("RZ", 0), ("CZ", 0, 1), ("RX", 0), ("CZ", 0, 1)]
    return Ansatz.from_gates(2, gates)


def z(q: int, n: int) -> str:
    return "I" * q + "Z" + "I" * (n - 1 - q)


# ---------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_universal_circuit_gives_the_haar_value(n: int) -> None:
    r = predicted_variance(cnot_chain(n, 2), z(n - 1, n))
    assert r.dla_dim == 4**n - 1 and r.observable_in_algebra and r.reason == ""
    assert r.value == pytest.approx(1 / (2**n + 1), rel=1e-12)
    mean = predicted_variance(cnot_chain(n, 2), readout_observable(n))
    assert mean.value == pytest.approx(1 / (n * (2**n + 1)), rel=1e-12)  # cross terms vanish


@pytest.mark.parametrize("n", [1, 2, 4])
def test_product_circuit_gives_one_third(n: int) -> None:
    a = hardware_efficient(n, 2, topology="none", rotations="RX+RY+RZ")
    assert predicted_variance(a, z(0, n)).value == pytest.approx(1 / 3, rel=1e-12)
    r = predicted_variance(a, readout_observable(n))
    assert r.value == pytest.approx(1 / (3 * n), rel=1e-12)
    assert r.ideal_dims == (3,) * n and sum(r.contributions) == pytest.approx(r.value)


def test_split_ideals_of_one_component() -> None:
    """su(2) (x) {I, Z_1}: |00> lies in the Z_1 = +1 sector, where qubit 0 is Haar-random under
    su(2) (x) |0><0|. O = ZI + ZZ = 2 Z (x) |0><0| has <O> = 2 <Z_0>, variance 4/3; O = ZI - ZZ
    = 2 Z (x) |1><1| has <O> = 0 for every parameter."""
    a = sigma_times_iz(3)
    assert lie_algebra(a).components == (3, 3)
    for method in ("pauli", "general"):
        plus = predicted_variance(a, {"ZI": 1, "ZZ": 1}, method=method)
        minus = predicted_variance(a, {"ZI": 1, "ZZ": -1}, method=method)
        assert plus.value == pytest.approx(4 / 3, rel=1e-9)
        assert minus.value == pytest.approx(0.0, abs=1e-12)
        assert sorted(plus.contributions) == pytest.approx([0.0, 4 / 3], abs=1e-9)


def test_so_2n_ring_value() -> None:
    """RY+RZ / CZ ring at even n: g = so(2^n) has the 2^(n-1) odd-weight Z-type strings, so
    Var <Z_0> = 2^(n-1) / (2^(n-1) (2^n - 1)) = 1 / (2^n - 1), not the Haar 1 / (2^n + 1)."""
    for n in (4, 6):
        r = predicted_variance(hardware_efficient(n, 2, topology="ring"), z(0, n))
        assert r.value == pytest.approx(1 / (2**n - 1), rel=1e-12)


def undo_fixed(a: Ansatz) -> Ansatz:
    """`a` followed by its self-inverse fixed gates in reverse order: the fixed part B becomes I,
    so strings of g (found in the Heisenberg frame) are observables in i*g."""
    fixed = [g for g in a.gates if g.slot is None]
    assert all(g.name in ("CZ", "CNOT", "H", "X", "Z", "SWAP") for g in fixed)
    return Ansatz(a.n_qubits, a.gates + tuple(reversed(fixed)))


@pytest.mark.parametrize("name", ["ring_ry4", "linear_ry4", "sigma_iz", "ising2", "sim11_3",
                                  "ring_ryrz3"])
def test_pauli_and_general_routes_agree_on_random_observables(name: str) -> None:
    """Random real combinations of strings of g (so O is in i*g), across split components."""
    circuits = {
        "ring_ry4": hardware_efficient(4, 2, topology="ring", rotations="RY"),
        "linear_ry4": hardware_efficient(4, 2, topology="linear", rotations="RY"),
        "sigma_iz": sigma_times_iz(1),
        "ising2": Ansatz.from_gates(2, [("RX", 0), ("RX", 1), ("CNOT", 0, 1), ("RZ", 1),
                                        ("CNOT", 0, 1)]),
        "sim11_3": sim_circuit(11, 3, 1),
        "ring_ryrz3": hardware_efficient(3, 2, topology="ring"),
    }
    a = undo_fixed(circuits[name])
    labels = lie_algebra(a, basis=True).basis
    rng = np.random.default_rng(7)
    for _ in range(3):
        pick = rng.choice(len(labels), size=min(6, len(labels)), replace=False)
        obs = [(float(rng.normal()), labels[i]) for i in pick]
        p = predicted_variance(a, obs, method="pauli")
        g = predicted_variance(a, obs, method="general")
        assert p.observable_in_algebra and g.observable_in_algebra
        assert p.value == pytest.approx(g.value, rel=1e-8, abs=1e-12)
        assert sorted(p.contributions) == pytest.approx(sorted(g.contributions), abs=1e-10)


def test_state_in_algebra_is_enough() -> None:
    # RZ on one qubit: rho - I/2 = Z/2 is in i*g, X is not; |0> is invariant, so Var <X> = 0
    r = predicted_variance(Ansatz.from_gates(1, [("RZ", 0)]), "X")
    assert (r.state_in_algebra, r.observable_in_algebra, r.value) == (True, False, 0.0)


def test_not_applicable_and_not_computed_give_nan_with_reason() -> None:
    real = predicted_variance(hardware_efficient(3, 2, topology="ring", rotations="RY"), "ZII")
    assert np.isnan(real.value) and real.reason.startswith("not applicable:")
    assert real.dla_dim == 15 and real.observable_in_algebra is False
    big = predicted_variance(sim_circuit(3, 6, 1), z(0, 6))
    assert np.isnan(big.value) and big.reason.startswith("not computed:") and big.dla_dim is None


def test_identity_parts_and_constants() -> None:
    a = cnot_chain(2, 2)
    base = predicted_variance(a, "ZI").value
    assert predicted_variance(a, {"ZI": 2.0, "II": 5.0}).value == pytest.approx(4 * base)
    assert predicted_variance(a, "II").value == 0.0
    assert predicted_variance(Ansatz.from_gates(2, [("H", 0)]), "ZI").value == 0.0


def test_global_observable() -> None:
    """|0..0><0..0| = 2^-n (I + sum of Z strings); in su(2^n) the Haar variance of |<0|psi>|^2 is
    (2^n - 1) / (4^n (2^n + 1))."""
    n = 3
    r = predicted_variance(cnot_chain(n, 2), "global")
    assert r.value == pytest.approx((2**n - 1) / (4**n * (2**n + 1)), rel=1e-12)


def test_result_and_frame() -> None:
    r = predicted_variance(sigma_times_iz(1), {"ZI": 1, "ZZ": 1})
    assert isinstance(r, PredictedVarianceResult) and r.method == "pauli" and r.n_qubits == 2
    frame = r.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["ideal", "dim", "p_state", "p_observable", "contribution"]
    assert frame["contribution"].sum() == pytest.approx(r.value)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"observable": "ZZZ"}, "observable"), ({"observable": "local"}, "observable"),
    ({"observable": [(1.0, "QI")]}, "observable"), ({"state": "plus"}, "state"),
    ({"method": "x"}, "method"), ({"max_dim": 0}, "max_dim"),
])
def test_bad_input(kwargs: dict, name: str) -> None:
    args = {"observable": "ZI", **kwargs}
    with pytest.raises(InputError, match=f"`{name}`"):
        predicted_variance(cnot_chain(2, 1), **args)


# ---------------------------------------------------------------- measured variance
def test_measured_single_rotation_analytic() -> None:
    # <Z> = cos t, t ~ U[0, 2 pi): variance 1/2, fourth central moment 3/8, SE = sqrt(1/(8N))
    r = measured_loss_variance(Ansatz.from_gates(1, [("RY", 0)]), "Z", n_samples=20000, seed=1)
    assert isinstance(r, LossVarianceResult) and (r.n_samples, r.seed) == (20000, 1)
    assert r.value == pytest.approx(0.5, abs=4 * r.se)
    assert r.se == pytest.approx(np.sqrt(1 / (8 * 20000)), rel=0.05)
    assert list(r.to_frame().columns) == ["estimate", "se", "mean", "n", "seed"]


def test_measured_global_equals_its_expansion_and_seeds_repeat() -> None:
    a = cnot_chain(2, 1)
    expanded = [(0.25, "II"), (0.25, "ZI"), (0.25, "IZ"), (0.25, "ZZ")]
    g = measured_loss_variance(a, "global", n_samples=50, seed=3)
    e = measured_loss_variance(a, expanded, n_samples=50, seed=3)
    assert g.value == pytest.approx(e.value, rel=1e-10) and g.mean == pytest.approx(e.mean)
    rng = np.random.default_rng(3)
    assert measured_loss_variance(a, "ZI", n_samples=50, seed=rng).seed is None


def test_measured_bad_input() -> None:
    with pytest.raises(InputError, match="`n_samples`"):
        measured_loss_variance(cnot_chain(2, 1), "ZI", n_samples=3)
    with pytest.raises(InputError, match="`observable`"):
        measured_loss_variance(cnot_chain(2, 1), "ZIZ", n_samples=10)


def test_deep_product_circuit_measured_one_third() -> None:
    a = hardware_efficient(2, 6, topology="none", rotations="RX+RY+RZ")
    m = measured_loss_variance(a, "ZI", n_samples=20000, seed=11)
    assert m.value == pytest.approx(1 / 3, abs=4 * m.se)


def test_deep_universal_circuit_measured_matches() -> None:
    a = cnot_chain(3, 20)
    for obs in ("ZII", readout_observable(3)):
        m = measured_loss_variance(a, obs, n_samples=20000, seed=5)
        assert m.value == pytest.approx(predicted_variance(a, obs).value, abs=4 * m.se)


@pytest.mark.slow
def test_deep_ring_measured_is_so_not_haar() -> None:
    """The RY+RZ / CZ ring at n = 4 is so(16): Var <Z_0> = 1/15, distinguishable from 1/17."""
    a = hardware_efficient(4, 30, topology="ring")
    m = measured_loss_variance(a, "ZIII", n_samples=40000, seed=2)
    assert m.value == pytest.approx(1 / 15, abs=4 * m.se)
    assert abs(m.value - 1 / 17) > 6 * m.se


@pytest.mark.slow
@pytest.mark.parametrize("circuit", ["sim9", "sim6", "sigma_iz", "ising4", "ring3"])
def test_deep_circuits_measured_match_prediction(circuit: str) -> None:
    build = {
        "sim9": lambda: sim_circuit(9, 4, 30),  # leading H and CZ conjugate everything
        "sim6": lambda: sim_circuit(6, 4, 8),  # controlled rotations: the general route
        "sigma_iz": lambda: sigma_times_iz(20),
        "ising4": lambda: Ansatz.from_gates(4, [g for _ in range(30) for g in (
            [("RX", q) for q in range(4)]
            + [h for q in range(3) for h in (("CNOT", q, q + 1), ("RZ", q + 1),
                                             ("CNOT", q, q + 1))])]),
        "ring3": lambda: hardware_efficient(3, 30, topology="ring"),  # sp(4)
    }
    a = build[circuit]()
    n = a.n_qubits
    observables = {"sigma_iz": [{"ZI": 1.0, "ZZ": 1.0}, "ZI"],
                   "ising4": [[(0.25, "XIII"), (0.25, "IXII"), (0.5, "IIXI")], "IXII"]}
    for obs in observables.get(circuit, [readout_observable(n), z(0, n)]):
        p = predicted_variance(a, obs)
        m = measured_loss_variance(a, obs, n_samples=20000, seed=13)
        assert p.reason == ""
        assert m.value == pytest.approx(p.value, abs=4 * m.se + 1e-12)
