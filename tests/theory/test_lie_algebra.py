"""The dynamical Lie algebra: closed forms, an independent dense closure, both routes, limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from theory_dense import heisenberg_generators, structure_summary

import etr.theory.pauli_algebra as pa
from etr.circuits import Ansatz, hardware_efficient, sim_circuit
from etr.errors import InputError
from etr.theory import GENERAL_MAX_QUBITS, LieAlgebraResult, lie_algebra
from etr.theory.pauli import key_from_label


def ising_chain(n: int, layers: int = 1) -> Ansatz:
    """Open transverse-field Ising chain: RX on every qubit, Z_i Z_(i+1) as CNOT-RZ-CNOT."""
    gates: list[tuple] = []
    for _ in range(layers):
        gates += [("RX", q) for q in range(n)]
        for q in range(n - 1):
            gates += [("CNOT", q, q + 1), ("RZ", q + 1), ("CNOT", q, q + 1)]
    return Ansatz.from_gates(n, gates, name="ising")


def cnot_chain(n: int, layers: int) -> Ansatz:
    """RY+RZ layers with a CNOT chain (REFERENCES: su(2^n))."""
    gates: list[tuple] = []
    for _ in range(layers):
        gates += [(r, q) for q in range(n) for r in ("RY", "RZ")]
        gates += [("CNOT", q, q + 1) for q in range(n - 1)]
    return Ansatz.from_gates(n, gates, name="cnot_chain")


# ---------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_single_qubit_rotations_give_su2_per_qubit(n: int) -> None:
    r = lie_algebra(hardware_efficient(n, 2, topology="none", rotations="RX+RY+RZ"))
    assert (r.dim, r.components, r.center_dim) == (3 * n, (3,) * n, 0)
    assert r.is_universal is (n == 1)


@pytest.mark.parametrize("n", [3, 4, 5, 8])
def test_open_ising_chain_is_so_2n(n: int) -> None:
    r = lie_algebra(ising_chain(n))
    assert r.dim == n * (2 * n - 1)
    assert r.components == (n * (2 * n - 1),) and r.center_dim == 0  # so(2n) is simple, n >= 3


def test_two_site_ising_is_so4_two_su2() -> None:
    r = lie_algebra(ising_chain(2))
    assert (r.dim, r.components) == (6, (3, 3))  # so(4) = su(2) + su(2)


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_cnot_chain_is_universal(n: int) -> None:
    r = lie_algebra(cnot_chain(n, 2))
    assert r.dim == 4**n - 1 and r.is_universal and r.components == (4**n - 1,)


@pytest.mark.slow
def test_ten_qubit_universal() -> None:
    r = lie_algebra(hardware_efficient(10, 2, topology="linear", rotations="RY+RZ"))
    assert r.dim == 4**10 - 1 == 1_048_575 and r.is_universal and r.components == (r.dim,)


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_ry_rz_cz_ring_conserves_a_real_or_quaternionic_structure(n: int) -> None:
    """Not universal: every generator (Z_q, Y_q, and Y_q Z_(q-1) Z_(q+1) after the CZ ring) has
    odd Pauli weight, and A = (prod_q Y_q) K (K complex conjugation) maps every string P to
    (-1)^weight(P) P, so A iH A^-1 = iH on all of g: g lies in the odd-weight algebra, so(2^n) for
    even n (A^2 = +1) and sp(2^(n-1)) for odd n (A^2 = -1). The linear chain has weight-2 end
    generators (Y_0 Z_1) and is su(2^n); with full connectivity Y_q carries n - 1 Z's, so the full
    topology is sp(2^(n-1)) for odd n and su(2^n) for even n."""
    ring = lie_algebra(hardware_efficient(n, 3, topology="ring", rotations="RY+RZ"), basis=True)
    expected = 2 ** (n - 1) * (2**n - 1) if n % 2 == 0 else 2 ** (n - 1) * (2**n + 1)
    assert ring.dim == expected and ring.components == (expected,) and not ring.is_universal
    assert all(sum(c != "I" for c in label) % 2 == 1 for label in ring.basis)
    assert lie_algebra(hardware_efficient(n, 3, topology="linear", rotations="RY+RZ")).is_universal
    full = lie_algebra(hardware_efficient(n, 3, topology="full", rotations="RY+RZ"))
    assert full.is_universal if n % 2 == 0 else full.dim == 2 ** (n - 1) * (2**n + 1)


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_ry_cz_circuits_stay_real(n: int) -> None:
    """RY with CZ: real circuits, so g consists of real antisymmetric generators: strings with an
    odd number of Y. With full CZ connectivity and even n it is all of so(2^n)."""
    for topology in ("linear", "ring", "full"):
        r = lie_algebra(hardware_efficient(n, 3, topology=topology, rotations="RY"), basis=True)
        assert all(label.count("Y") % 2 == 1 for label in r.basis)
        assert r.dim <= 2 ** (n - 1) * (2**n - 1)
    if n % 2 == 0:
        assert lie_algebra(hardware_efficient(n, 2, topology="full", rotations="RY")).dim == \
            2 ** (n - 1) * (2**n - 1)


def test_commuting_generators_are_all_center() -> None:
    r = lie_algebra(hardware_efficient(3, 4, topology="none", rotations="RY"))
    assert (r.dim, r.components, r.center_dim) == (3, (), 3)


def test_no_parameters() -> None:
    r = lie_algebra(Ansatz.from_gates(2, [("H", 0), ("CNOT", 0, 1)]))
    assert (r.dim, r.components, r.center_dim, r.n_generators) == (0, (), 0, 0)


# ------------------------------------------------------------------ independent dense check
DENSE_CASES = {
    "hea3_ring_ry": lambda: hardware_efficient(3, 2, topology="ring", rotations="RY"),
    "hea4_ring_ry_8_ideals": lambda: hardware_efficient(4, 2, topology="ring", rotations="RY"),
    "hea4_linear_ry": lambda: hardware_efficient(4, 2, topology="linear", rotations="RY"),
    "hea2_linear_ry": lambda: hardware_efficient(2, 2, topology="linear", rotations="RY"),
    "hea3_ring_ryrz": lambda: hardware_efficient(3, 2, topology="ring", rotations="RY+RZ"),
    "hea3_cry": lambda: hardware_efficient(3, 2, topology="linear", rotations="RY",
                                           entangler="CRY"),
    "hea2_crz": lambda: hardware_efficient(2, 2, topology="linear", rotations="RX",
                                           entangler="CRZ"),
    "sim3_3q": lambda: sim_circuit(3, 3, 1),
    "sim9_3q": lambda: sim_circuit(9, 3, 1),
    "sim9_3q_L2": lambda: sim_circuit(9, 3, 2),
    "sim10_3q": lambda: sim_circuit(10, 3, 1),
    "sim11_3q": lambda: sim_circuit(11, 3, 1),
    "sim15_3q": lambda: sim_circuit(15, 3, 1),
    "sim18_3q": lambda: sim_circuit(18, 3, 1),
    "sim13_2q": lambda: sim_circuit(13, 2, 1),
    "sigma_x_IZ": lambda: Ansatz.from_gates(
        2, [("RX", 0), ("RZ", 0), ("CZ", 0, 1), ("RX", 0), ("CZ", 0, 1)]),
    "t_and_fixed_angles": lambda: Ansatz.from_gates(
        3, [("T", 0), ("RX", 0), ("CNOT", 0, 1), ("RZ", 1), ("RY", 2, 0.3), ("RX", 2)]),
    "fixed_crx": lambda: Ansatz.from_gates(
        2, [("RZ", 0), ("CRX", 0, 1, 0.7), ("RZ", 1), ("RY", 0)]),
}


#: the larger dense computations (a second or more each) run with the slow suite
DENSE_SLOW = {"hea3_ring_ryrz", "hea4_ring_ry_8_ideals", "hea4_linear_ry", "sim18_3q", "sim11_3q",
              "sim3_3q", "sim10_3q", "sim15_3q", "sim13_2q"}


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.slow) if name in DENSE_SLOW else name
    for name in sorted(DENSE_CASES)
])
def test_matches_independent_dense_closure(name: str) -> None:
    a = DENSE_CASES[name]()
    dim, center, ideals = structure_summary(heisenberg_generators(a))
    r = lie_algebra(a)
    assert (r.dim, r.center_dim) == (dim, center)
    if ideals is not None:
        assert list(r.components) == ideals


@pytest.mark.parametrize("name", ["hea3_ring_ry", "hea4_ring_ry_8_ideals", "hea4_linear_ry",
                                  "sigma_x_IZ", "sim11_3q", "sim15_3q", "sim9_3q_L2"])
def test_pauli_and_general_routes_agree(name: str) -> None:
    a = DENSE_CASES[name]()
    p, g = lie_algebra(a, method="pauli"), lie_algebra(a, method="general")
    assert (p.method, g.method) == ("pauli", "general")
    assert (p.dim, p.components, p.center_dim) == (g.dim, g.components, g.center_dim)


def test_hashed_table_matches_perfect_table(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    for _ in range(6):
        labels = ["".join(rng.choice(list("IXYZ"), 4)) for _ in range(4)]
        gens = [key_from_label(s) for s in labels if set(s) != {"I"}]
        perfect = pa.pauli_algebra(gens, 4, 10**6)
        monkeypatch.setattr(pa, "_PERFECT_MAX_QUBITS", 0)
        hashed = pa.pauli_algebra(gens, 4, 10**6)
        monkeypatch.undo()
        np.testing.assert_array_equal(perfect.keys, hashed.keys)
        assert perfect.ideal_dims() == hashed.ideal_dims()


def test_wide_circuit_uses_the_hashed_table() -> None:
    r = lie_algebra(ising_chain(14))  # 4^14 slots would not fit a perfect table
    assert r.dim == 14 * 27


# ------------------------------------------------------------------------- limits and input
def test_general_route_limit_gives_a_reason() -> None:
    r = lie_algebra(sim_circuit(3, GENERAL_MAX_QUBITS + 1, 1))
    assert r.dim is None and not r.computed and r.method == "none"
    assert r.reason.startswith("not computed:") and "controlled rotations" in r.reason
    t = lie_algebra(Ansatz.from_gates(8, [("T", 0), ("RX", 0)]))
    assert t.dim is None and "non-Clifford" in t.reason


def test_max_dim_gives_a_reason() -> None:
    r = lie_algebra(cnot_chain(3, 2), max_dim=20)
    assert r.dim is None and r.reason == "not computed: dim g exceeds max_dim = 20"
    assert lie_algebra(cnot_chain(3, 2), max_dim=63).dim == 63


def test_forced_pauli_route_on_sums_gives_a_reason() -> None:
    r = lie_algebra(sim_circuit(3, 3, 1), method="pauli")
    assert r.dim is None and "Pauli sums" in r.reason


def test_pauli_route_width_limit() -> None:
    r = lie_algebra(Ansatz.from_gates(32, [("RX", 0), ("CZ", 0, 31), ("RY", 31)]))
    assert r.dim is None and r.reason.startswith("not computed:") and "31 qubits" in r.reason


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"max_dim": 0}, "max_dim"), ({"max_dim": 2.5}, "max_dim"), ({"max_dim": 2**40}, "max_dim"),
    ({"method": "dense"}, "method"),
])
def test_bad_input(kwargs: dict, name: str) -> None:
    with pytest.raises(InputError, match=f"`{name}`"):
        lie_algebra(hardware_efficient(2, 1), **kwargs)
    with pytest.raises(InputError, match="`ansatz`"):
        lie_algebra("hea")


def test_result_record_basis_and_frame() -> None:
    r = lie_algebra(ising_chain(2), basis=True)
    assert isinstance(r, LieAlgebraResult)
    assert sorted(r.basis) == sorted(["XI", "IX", "ZZ", "YZ", "ZY", "YY"])
    assert r.n_generators == 3 and r.n_qubits == 2 and r.reason == ""
    frame = r.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["component", "kind", "dim"]
    assert frame["dim"].tolist() == [3, 3] and set(frame["kind"]) == {"simple"}
    center = lie_algebra(hardware_efficient(2, 1, topology="none", rotations="RY")).to_frame()
    assert center["kind"].tolist() == ["center"] and center["dim"].tolist() == [2]
    g = lie_algebra(sim_circuit(3, 2, 1), basis=True)
    assert g.basis.shape == (15, 16)
    np.testing.assert_allclose(g.basis @ g.basis.T, np.eye(15), atol=1e-10)
    assert lie_algebra(ising_chain(2)).basis is None
