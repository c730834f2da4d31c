"""An independent dense reference for the theory tests (small circuits only).

Nothing here uses etr.theory: gate unitaries come from qutip-qip (`QubitCircuit.compute_unitary`),
each gate's generator from the matrix logarithm of its qutip-qip unitary, the algebra from
commutators of dense matrices with ranks by SVD, and the simple ideals from the centroid (the
linear maps commuting with every ad_g), whose dimension is c^2 + (number of simple ideals) for a
center of dimension c, and whose generic element is a distinct scalar on each simple ideal.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from threadpoolctl import threadpool_limits

from etr.circuits import Ansatz, Gate
from etr.quantum import to_qubit_circuit

_PAULI = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}


def pauli_matrix(label: str) -> np.ndarray:
    out = np.array([[1.0 + 0j]])
    for letter in label:
        out = np.kron(out, _PAULI[letter])
    return out


def unitary(ansatz: Ansatz, params=()) -> np.ndarray:
    """The circuit's unitary from qutip-qip (qubit 0 = most significant)."""
    if not ansatz.gates:
        return np.eye(2**ansatz.n_qubits, dtype=complex)
    return to_qubit_circuit(ansatz, np.asarray(params, dtype=float)).compute_unitary().full()


def fixed_prefix_unitary(ansatz: Ansatz, stop: int) -> np.ndarray:
    """Product of the fixed gates among ansatz.gates[:stop] (B_k)."""
    fixed = [g for g in ansatz.gates[:stop] if g.slot is None]
    return unitary(Ansatz(ansatz.n_qubits, tuple(fixed)))


def gate_generator(ansatz: Ansatz, gate: Gate) -> np.ndarray:
    """H with G(theta) = exp(-i theta H), from the logarithm of qutip-qip's G(0.1)."""
    one = Ansatz(ansatz.n_qubits, (Gate(gate.name, gate.qubits, 0, None),))
    g = unitary(one, [0.1])
    return (1j * scipy.linalg.logm(g) / 0.1 + (1j * scipy.linalg.logm(g) / 0.1).conj().T) / 2


def heisenberg_generators(ansatz: Ansatz) -> list[np.ndarray]:
    """B_k^dag H_k B_k for every parametric gate k (dense, Hermitian)."""
    out = []
    for k, gate in enumerate(ansatz.gates):
        if gate.slot is None:
            continue
        b = fixed_prefix_unitary(ansatz, k)
        out.append(b.conj().T @ gate_generator(ansatz, gate) @ b)
    return out


def _vec(m: np.ndarray) -> np.ndarray:
    return np.concatenate([m.real.ravel(), m.imag.ravel()])


def _orthonormal_add(basis: np.ndarray, cands: list[np.ndarray], tol: float = 1e-5
                     ) -> np.ndarray:
    """Append what `cands` add to the span of `basis`; singular values below `tol` (relative to
    unit candidates) are rounding noise, which repeated commutators would otherwise amplify."""
    mat = np.column_stack([_vec((c - c.conj().T) / 2) for c in cands])  # stay anti-Hermitian
    norms = np.linalg.norm(mat, axis=0)
    keep = norms > 1e-6  # commuting pairs give (numerical) zeros; entries are O(1)
    mat = mat[:, keep] / norms[keep]
    if mat.shape[1] == 0:
        return basis
    if basis.shape[1]:
        mat = mat - basis @ (basis.T @ mat)
        mat = mat - basis @ (basis.T @ mat)
    u, s, _ = np.linalg.svd(mat, full_matrices=False)
    return np.hstack([basis, u[:, s > tol]])


def _unvec(v: np.ndarray, dim: int) -> np.ndarray:
    half = dim * dim
    return (v[:half] + 1j * v[half:]).reshape(dim, dim)


def dense_dla(generators: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Orthonormal basis (columns, real vectorisation) of the Lie closure of {i H_k}."""
    dim = generators[0].shape[0]
    gens = [1j * h for h in generators]
    basis = _orthonormal_add(np.zeros((2 * dim * dim, 0)), gens)
    frontier = [_unvec(basis[:, j], dim) for j in range(basis.shape[1])]
    while frontier:
        cands = [a @ b - b @ a for a in gens for b in frontier]
        new = _orthonormal_add(basis, cands)
        frontier = [_unvec(new[:, j], dim) for j in range(basis.shape[1], new.shape[1])]
        basis = new
    return basis, gens


def structure(basis: np.ndarray, gens: list[np.ndarray]) -> list[np.ndarray]:
    """ad_g in the orthonormal basis, for every generator g."""
    dim = round(np.sqrt(basis.shape[0] / 2))
    mats = [_unvec(basis[:, j], dim) for j in range(basis.shape[1])]
    out = []
    for g in gens:
        out.append(np.column_stack([basis.T @ _vec(g @ m - m @ g) for m in mats]))
    return out


def structure_summary(generators: list[np.ndarray], *, seed: int = 0, max_centroid: int = 40
                      ) -> tuple[int, int, list[int] | None]:
    """(dim g, dim center, simple ideal dimensions sorted descending) by the centroid.

    The ideals (a d^2 x d^2 eigenproblem) are skipped (None) when d > `max_centroid`.
    """
    with threadpool_limits(limits=1, user_api="blas"):  # small matrices: threads only hurt
        return _structure_summary(generators, seed, max_centroid)


def _structure_summary(generators: list[np.ndarray], seed: int, max_centroid: int
                       ) -> tuple[int, int, list[int] | None]:
    basis, gens = dense_dla(generators)
    d = basis.shape[1]
    ads = structure(basis, gens)
    stacked = np.vstack(ads)
    _, s, vt = np.linalg.svd(stacked)
    rank = int(np.sum(s > 1e-8 * max(s[0], 1.0)))
    center = vt[rank:].T
    c = center.shape[1]
    if d > max_centroid:
        return d, c, None
    eye = np.eye(d)
    big = sum((np.kron(a.T, eye) - np.kron(eye, a)).T @ (np.kron(a.T, eye) - np.kron(eye, a))
              for a in ads)
    w, v = np.linalg.eigh(big)
    null = v[:, w < 1e-8 * max(w[-1], 1.0)]
    n_ideals = null.shape[1] - c * c
    rng = np.random.default_rng(seed)
    t = (null @ rng.standard_normal(null.shape[1])).reshape(d, d, order="F")
    semi = vt[:rank].T
    vals = np.linalg.eigvals(semi.T @ t @ semi)
    dims: list[int] = []
    remaining = list(vals)
    while remaining:
        x = remaining[0]
        same = [y for y in remaining if abs(y - x) < 1e-6 * max(1.0, abs(x))]
        dims.append(len(same))
        remaining = [y for y in remaining if abs(y - x) >= 1e-6 * max(1.0, abs(x))]
    assert len(dims) == n_ideals, (dims, n_ideals)
    return d, c, sorted(dims, reverse=True)
