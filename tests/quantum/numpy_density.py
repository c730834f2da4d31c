"""An independent dense density-matrix simulator for the tests.

Full-register matrices are built with ``np.kron`` from the gates' definitions written out here
(R_P(t) = cos(t/2) I - i sin(t/2) P; controlled gates |0><0| (x) I + |1><1| (x) R), channels from
their Kraus operators as written in `etr.plan.noise` (Nielsen & Chuang sec. 8.3; depolarizing as
(1 - p) rho + p I/2 on one qubit, not through Pauli Kraus operators), and any extra map (e.g. a
global depolarizing channel) can be applied after chosen gates. Nothing of etr's simulators is
used: only the `Ansatz` gate list is read.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from etr.circuits import Ansatz

I2 = np.eye(2, dtype=complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]])
Z = np.diag([1.0, -1.0]).astype(complex)
PAULI = {"I": I2, "X": X, "Y": Y, "Z": Z}
FIXED = {"H": np.array([[1, 1], [1, -1]]) / np.sqrt(2), "X": X, "Y": Y, "Z": Z,
         "S": np.diag([1, 1j]), "T": np.diag([1, np.exp(1j * np.pi / 4)])}
P0 = np.diag([1.0, 0.0])
P1 = np.diag([0.0, 1.0])


def rotation(pauli: str, t: float) -> np.ndarray:
    return np.cos(t / 2) * I2 - 1j * np.sin(t / 2) * PAULI[pauli]


def embed(ops: dict[int, np.ndarray], n: int) -> np.ndarray:
    """kron of ops[q] (identity elsewhere), qubit 0 leftmost."""
    out = np.ones((1, 1), dtype=complex)
    for q in range(n):
        out = np.kron(out, ops.get(q, I2))
    return out


@lru_cache(maxsize=1024)
def _fixed_unitary(name: str, qubits: tuple[int, ...], n: int) -> np.ndarray:
    return gate_unitary(name, qubits, None, n, cache=False)


def gate_unitary(name: str, qubits: tuple[int, ...], angle: float | None, n: int, *,
                 cache: bool = True) -> np.ndarray:
    if angle is None and cache:
        return _fixed_unitary(name, qubits, n)
    if len(qubits) == 1:
        m = FIXED[name] if name in FIXED else rotation(name[1], angle)
        return embed({qubits[0]: m}, n)
    c, t = qubits
    if name == "SWAP":
        return sum(embed({c: a, t: b}, n) for a, b in
                   [(P0, P0), (P1, P1), (np.array([[0, 1], [0, 0]]), np.array([[0, 0], [1, 0]])),
                    (np.array([[0, 0], [1, 0]]), np.array([[0, 1], [0, 0]]))])
    target = {"CZ": Z, "CNOT": X}.get(name)
    if target is None:
        target = rotation(name[2], angle)
    return embed({c: P0}, n) + embed({c: P1, t: target}, n)


def local_kraus(p: float = 0.0, gamma: float = 0.0, lam: float = 0.0) -> list[Callable]:
    """The gate channel as maps on a 2x2-embedded register: depolarizing, AD, PD in order."""
    ad = [np.array([[1, 0], [0, np.sqrt(1 - gamma)]]), np.array([[0, np.sqrt(gamma)], [0, 0]])]
    pd = [np.array([[1, 0], [0, np.sqrt(1 - lam)]]), np.array([[0, 0], [0, np.sqrt(lam)]])]

    def channel(rho: np.ndarray, q: int, n: int) -> np.ndarray:
        # depolarizing on qubit q: (1 - p) rho + p (tr_q rho) (x) I/2, via the Pauli twirl
        # identity (rho + X rho X + Y rho Y + Z rho Z) / 4 = tr_q(rho) (x) I/2
        twirl = sum(embed({q: s}, n) @ rho @ embed({q: s}, n).conj().T
                    for s in (I2, X, Y, Z)) / 4
        rho = (1 - p) * rho + p * twirl
        for kset in (ad, pd):
            rho = sum(embed({q: k}, n) @ rho @ embed({q: k}, n).conj().T for k in kset)
        return rho

    return [channel]


def simulate(ansatz: Ansatz, theta: np.ndarray, *, channels: list[Callable] = (),
             after: dict[int, Callable[[np.ndarray], np.ndarray]] | None = None) -> np.ndarray:
    """Final density matrix: each gate, then every map of `channels` on each of its qubits,
    then ``after[k](rho)`` after gate k if given."""
    n = ansatz.n_qubits
    d = 2**n
    rho = np.zeros((d, d), dtype=complex)
    rho[0, 0] = 1.0
    for k, g in enumerate(ansatz.gates):
        angle = theta[g.slot] if g.slot is not None else g.angle
        u = gate_unitary(g.name, g.qubits, angle, n)
        rho = u @ rho @ u.conj().T
        for ch in channels:
            for q in g.qubits:
                rho = ch(rho, q, n)
        if after and k in after:
            rho = after[k](rho)
    return rho


def pauli_matrix(label: str) -> np.ndarray:
    return embed({q: PAULI[c] for q, c in enumerate(label)}, len(label))


def shift_gradient(value: Callable[[np.ndarray], float], theta: np.ndarray) -> np.ndarray:
    """Two-term parameter shift, for circuits whose slots each feed one RX/RY/RZ gate."""
    grad = np.empty_like(theta)
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = np.pi / 2
        grad[j] = (value(theta + e) - value(theta - e)) / 2
    return grad
