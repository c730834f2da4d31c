"""Adjoint gradients vs the parameter-shift rule (fast and QuTiP) and central finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import qutip

from etr.circuits import ENTANGLERS, Ansatz, Gate, hardware_efficient, sim_circuit
from etr.errors import InputError
from etr.quantum import (
    expectation_and_gradient,
    expectation_vjp,
    expectations,
    jacobian,
    parameter_shift_gradient,
)

QOBJ_4 = (qutip.tensor(qutip.sigmax(), qutip.sigmay(), qutip.qeye(2), qutip.qeye(2))
          + 0.3 * qutip.tensor(qutip.qeye(2), qutip.qeye(2), qutip.sigmaz(), qutip.sigmax()))
OBSERVABLES_4 = ["global", "ZIII", "XYZI", "IIYY", QOBJ_4]


def finite_difference(ansatz: Ansatz, params: np.ndarray, observable: object,
                      h: float = 1e-5) -> np.ndarray:
    grads = np.zeros_like(params)
    for k in range(params.shape[1]):
        plus, minus = params.copy(), params.copy()
        plus[:, k] += h
        minus[:, k] -= h
        grads[:, k] = (expectations(ansatz, plus, observable)[:, 0]
                       - expectations(ansatz, minus, observable)[:, 0]) / (2 * h)
    return grads


@pytest.mark.parametrize("index", range(1, 20))
@pytest.mark.parametrize("obs", OBSERVABLES_4, ids=["global", "Z0", "XYZI", "IIYY", "qobj"])
def test_adjoint_matches_parameter_shift_sim(index: int, obs: object,
                                             rng: np.random.Generator,
        uniform_params, random_ansatz, engine) -> None:
    a = sim_circuit(index, 4, 2)
    p = uniform_params(a, 3, rng)
    values, grads = expectation_and_gradient(a, p, obs)
    np.testing.assert_allclose(values, expectations(a, p, obs)[:, 0], atol=1e-12)
    np.testing.assert_allclose(grads, parameter_shift_gradient(a, p, obs), atol=1e-9)


@pytest.mark.parametrize("entangler", ENTANGLERS)
def test_adjoint_matches_finite_differences_hea(entangler: str, rng: np.random.Generator,
        uniform_params, random_ansatz, engine) -> None:
    a = hardware_efficient(3, 2, topology="ring", entangler=entangler, rotations="RX+RY+RZ")
    p = uniform_params(a, 2, rng)
    for obs in ("global", "ZIZ", "YXI"):
        _, grads = expectation_and_gradient(a, p, obs)
        np.testing.assert_allclose(grads, finite_difference(a, p, obs), atol=1e-8)


@pytest.mark.parametrize("seed", range(10))
def test_random_circuits_shared_slots_all_methods(seed: int, rng: np.random.Generator,
        uniform_params, random_ansatz, engine) -> None:
    n = 2 + seed % 3
    a = random_ansatz(n, 25, 100 + seed, n_slots=3)
    assert len({g.slot for g in a.gates if g.slot is not None}) < sum(
        g.slot is not None for g in a.gates)  # slots are shared
    p = uniform_params(a, 2, rng)
    obs = "Y" + "Z" * (n - 1)
    _, grads = expectation_and_gradient(a, p, obs)
    np.testing.assert_allclose(grads, parameter_shift_gradient(a, p, obs), atol=1e-9)
    np.testing.assert_allclose(grads, finite_difference(a, p, obs), atol=1e-8)


@pytest.mark.parametrize("name", ["CRX", "CRY", "CRZ"])
def test_four_term_rule_qutip_backend(name: str, rng: np.random.Generator,
        uniform_params, random_ansatz) -> None:
    gates = (Gate("RY", (0,), 0), Gate("RX", (1,), 1), Gate(name, (0, 1), 2),
             Gate(name, (1, 0), 2), Gate("H", (1,)))
    a = Ansatz(2, gates)
    p = uniform_params(a, 2, rng)
    ps = parameter_shift_gradient(a, p, "ZX", backend="qutip")
    np.testing.assert_allclose(ps, finite_difference(a, p, "ZX"), atol=1e-8)
    np.testing.assert_allclose(ps, expectation_and_gradient(a, p, "ZX")[1], atol=1e-10)


def test_vjp_is_cotangent_weighted_jacobian(rng: np.random.Generator,
        uniform_params, random_ansatz, engine) -> None:
    a = sim_circuit(14, 3, 2)
    p = uniform_params(a, 5, rng)
    obs = ["ZII", "IXI", "global"]
    cot = rng.normal(size=(5, 3))
    values, jac = jacobian(a, p, obs)
    v2, g2 = expectation_vjp(a, p, obs, cot)
    np.testing.assert_allclose(v2, values, atol=1e-12)
    np.testing.assert_allclose(g2, np.einsum("bm,bmp->bp", cot, jac), atol=1e-10)
    assert jac.shape == (5, 3, a.n_params)


def test_chunking_and_constant_gates(rng: np.random.Generator,
        uniform_params, random_ansatz, engine) -> None:
    a = Ansatz.from_gates(2, [("H", 0), ("RY", 1, 0.4), ("CZ", 0, 1)])
    _, g = expectation_and_gradient(a, np.zeros((3, 0)), "XZ")
    assert g.shape == (3, 0)
    b = sim_circuit(5, 3)
    p = uniform_params(b, 9, rng)
    np.testing.assert_allclose(expectation_and_gradient(b, p, "ZZZ", chunk_size=2)[1],
                               expectation_and_gradient(b, p, "ZZZ")[1], atol=1e-13)


def test_bad_inputs_name_arguments() -> None:
    a = sim_circuit(1, 2)
    with pytest.raises(InputError, match="`backend`"):
        parameter_shift_gradient(a, np.zeros(4), "ZZ", backend="torch")
    with pytest.raises(InputError, match=r"`cotangent` must have shape \(2, 1\), got \(2, 2\)"):
        expectation_vjp(a, np.zeros((2, 4)), ["ZZ"], np.zeros((2, 2)))
    # a right shape with NaN in it: say what is wrong, not "must be (2, 1), got (2, 1)"
    with pytest.raises(InputError, match=r"`cotangent` must be finite, got 1 non-finite value"):
        expectation_vjp(a, np.zeros((2, 4)), ["ZZ"], np.array([[0.5], [np.nan]]))
    with pytest.raises(InputError, match="`observable`"):
        expectation_and_gradient(a, np.zeros(4), "ZZZ")
    with pytest.raises(InputError, match="`params`"):
        expectation_and_gradient(a, np.zeros(3), "ZZ")


def test_real_circuit_with_complex_and_real_observables(rng: np.random.Generator,
                                                        uniform_params, engine) -> None:
    a = hardware_efficient(3, 2, topology="full", entangler="CRY", rotations="RY")
    p = uniform_params(a, 3, rng)
    op = qutip.tensor(qutip.sigmay(), qutip.sigmax(), qutip.sigmaz()) + qutip.tensor(
        qutip.sigmaz(), qutip.sigmaz(), qutip.qeye(2))
    for obs in ("YYZ", "YIX", op):
        _, grads = expectation_and_gradient(a, p, obs)
        np.testing.assert_allclose(grads, finite_difference(a, p, obs), atol=1e-8)
        np.testing.assert_allclose(grads, parameter_shift_gradient(a, p, obs), atol=1e-10)


WIDE = [
    hardware_efficient(7, 2, rotations="RX+RY+RZ", topology="linear", entangler="CRX"),
    hardware_efficient(7, 2, rotations="RY+RZ", topology="ring", entangler="CRZ"),
    hardware_efficient(7, 2, rotations="RY", topology="full", entangler="CNOT"),  # real
    hardware_efficient(7, 2, rotations="RY", topology="linear", entangler="CRY"),  # real
]


@pytest.mark.parametrize("index", range(len(WIDE) + 1))
def test_wide_circuits_every_stride(index: int, rng: np.random.Generator, uniform_params,
                                    random_ansatz, engine) -> None:
    """7 qubits, every qubit rotated after the entanglers: strides 64 .. 1 run through both the
    contiguous-run and the pair kernels, real and split complex layouts (forward checked against
    QuTiP, adjoint against central differences, with a real and a complex observable)."""
    from etr.quantum import compile_ansatz, qutip_statevectors, statevectors

    a = WIDE[index] if index < len(WIDE) else random_ansatz(7, 90, 300, n_slots=20)
    if index < len(WIDE):
        assert {op.qubit for op in compile_ansatz(a).ops if hasattr(op, "qubit")} == set(range(7))
    p = uniform_params(a, 2, rng)
    np.testing.assert_allclose(statevectors(a, p), qutip_statevectors(a, p), atol=1e-10)
    for obs in ("ZIIIIXZ", "XIYIIZY"):
        _, grads = expectation_and_gradient(a, p, obs)
        np.testing.assert_allclose(grads, finite_difference(a, p, obs), atol=1e-8)
