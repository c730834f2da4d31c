"""The fast batched path agrees with QuTiP's own circuit simulation."""

from __future__ import annotations

import numpy as np
import pytest

from etr.circuits import ENTANGLERS, ROTATIONS, TOPOLOGIES, Ansatz, hardware_efficient, sim_circuit
from etr.errors import InputError
from etr.quantum import compile_ansatz, expectations, qutip_statevectors, statevectors

TOL = 1e-10


def assert_matches_qutip(ansatz: Ansatz, params: np.ndarray) -> None:
    fast = statevectors(ansatz, params)
    ref = qutip_statevectors(ansatz, params)
    assert fast.dtype == np.complex128
    assert fast.shape == (params.shape[0], 2**ansatz.n_qubits)
    np.testing.assert_allclose(fast, ref, atol=TOL, rtol=0)


@pytest.mark.parametrize("index", range(1, 20))
@pytest.mark.parametrize("layers", [1, 2])
def test_sim_circuits_4q(index: int, layers: int, rng: np.random.Generator,
        uniform_params, random_ansatz, engine) -> None:
    a = sim_circuit(index, 4, layers)
    assert_matches_qutip(a, uniform_params(a, 3, rng))


@pytest.mark.parametrize("index", [2, 5, 6, 9, 11, 13, 14, 15, 18])
@pytest.mark.parametrize("n", [3, 5])
def test_sim_circuits_other_widths(index: int, n: int, rng: np.random.Generator,
        uniform_params, random_ansatz) -> None:
    a = sim_circuit(index, n, 1)
    assert_matches_qutip(a, uniform_params(a, 2, rng))


@pytest.mark.parametrize("topology", TOPOLOGIES)
@pytest.mark.parametrize("entangler", ENTANGLERS)
def test_hardware_efficient_all_topologies_entanglers(topology: str, entangler: str,
                                                      rng: np.random.Generator,
        uniform_params, random_ansatz, engine) -> None:
    a = hardware_efficient(4, 2, topology=topology, entangler=entangler, rotations="RY+RZ")
    assert_matches_qutip(a, uniform_params(a, 2, rng))


@pytest.mark.parametrize("rotations", [("RX",), ("RY",), ("RZ",), ("RX", "RY"), ROTATIONS,
                                       ("RZ", "RX")])
def test_hardware_efficient_rotation_sets(rotations: tuple[str, ...],
                                          rng: np.random.Generator,
        uniform_params, random_ansatz, engine) -> None:
    a = hardware_efficient(3, 2, topology="ring", entangler="CNOT", rotations=rotations)
    assert_matches_qutip(a, uniform_params(a, 2, rng))


@pytest.mark.parametrize("seed", range(12))
def test_random_circuits_with_fixed_angles_and_shared_slots(seed: int,
                                                            rng: np.random.Generator,
        uniform_params, random_ansatz, engine) -> None:
    n = 1 + seed % 4
    a = random_ansatz(n, 30, seed)
    assert any(g.slot is None and g.angle is not None for g in a.gates)
    assert_matches_qutip(a, uniform_params(a, 3, rng))


def test_real_circuit_uses_real_arithmetic(rng: np.random.Generator,
        uniform_params, random_ansatz) -> None:
    real = hardware_efficient(3, 2, rotations="RY", entangler="CZ")
    assert compile_ansatz(real).real
    assert not compile_ansatz(sim_circuit(11)).real
    assert_matches_qutip(real, uniform_params(real, 3, rng))


def test_fusion_merges_layers() -> None:
    # 2 layers of (RY, RZ on 4 qubits + CZ chain): 4 initial U1, 1 Diag, 4 U1, 1 Diag
    c = compile_ansatz(hardware_efficient(4, 2, rotations="RY+RZ", entangler="CZ"))
    assert len(c.initial) == 4
    assert [type(op).__name__ for op in c.ops] == ["Diag"] + ["U1"] * 4 + ["Diag"]


def test_chunking_does_not_change_results(rng: np.random.Generator,
        uniform_params, random_ansatz) -> None:
    a = sim_circuit(14, 4, 2)
    p = uniform_params(a, 37, rng)
    np.testing.assert_array_equal(statevectors(a, p, chunk_size=5), statevectors(a, p))


def test_fourteen_qubits_bounded_memory(rng: np.random.Generator,
        uniform_params, random_ansatz) -> None:
    a = hardware_efficient(14, 1, rotations="RY", entangler="CNOT", topology="linear")
    p = uniform_params(a, 3, rng)
    states = statevectors(a, p, chunk_size=1)
    np.testing.assert_allclose(np.linalg.norm(states, axis=1), 1.0, atol=1e-12)
    # an RY layer then a CNOT chain from |0..0>: amplitudes are products of cos/sin, permuted
    probs0 = np.prod(np.cos(p / 2) ** 2, axis=1)  # |0...0> is mapped to itself by the CNOTs
    np.testing.assert_allclose(np.abs(states[:, 0]) ** 2, probs0, atol=1e-12)


def test_vector_params_and_no_params() -> None:
    a = Ansatz(2, ())
    assert np.array_equal(statevectors(a, np.zeros(0)), [[1, 0, 0, 0]])
    b = Ansatz.from_gates(1, [("RY", 0)])
    assert statevectors(b, [np.pi]).shape == (1, 2)


def test_bad_params_and_chunk_size() -> None:
    a = sim_circuit(1, 2)
    with pytest.raises(InputError, match="`params`"):
        statevectors(a, np.zeros((2, 3)))
    with pytest.raises(InputError, match="`params`"):
        statevectors(a, np.full((1, 4), np.nan))
    with pytest.raises(InputError, match="`chunk_size`"):
        statevectors(a, np.zeros(4), chunk_size=0)


def test_expectations_against_qutip(rng: np.random.Generator,
        uniform_params, random_ansatz, engine) -> None:
    a = sim_circuit(6, 3)
    p = uniform_params(a, 4, rng)
    obs = ["global", "ZII", "XYZ", "IIY"]
    got = expectations(a, p, obs)
    states = qutip_statevectors(a, p)
    from etr.quantum import parse_observable

    for m, o in enumerate(obs):
        op = parse_observable(o, 3).to_qobj().full()
        want = np.einsum("bi,ij,bj->b", states.conj(), op, states).real
        np.testing.assert_allclose(got[:, m], want, atol=1e-12)


def test_diagonal_runs_fuse_with_parametric_phases() -> None:
    from etr.quantum.compile import Diag

    c = compile_ansatz(sim_circuit(13, 4))  # RY layer, CRZ ring, RY layer, CRZ ring
    diags = [op for op in c.ops if isinstance(op, Diag)]
    assert len(diags) == 2 and all(len(d.params) == 4 for d in diags)
    fixed = compile_ansatz(Ansatz.from_gates(2, [("H", 0), ("H", 1), ("CZ", 0, 1), ("S", 1),
                                                 ("T", 0), ("CZ", 1, 0)]))
    assert [type(op).__name__ for op in fixed.ops] == ["Diag"]
    assert fixed.ops[0].phase is not None and not fixed.ops[0].params
