"""Observables: the global projector |0...0><0...0|, Pauli strings and arbitrary `qutip.Qobj`.

An `Observable` applies itself to a batch of state vectors (rows of a ``(B, 2**n)`` array), which is
all the simulators and gradient code need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import qutip

from etr.errors import InputError

__all__ = ["Observable", "parse_observable"]

_PAULI_LETTERS = frozenset("IXYZ")


@dataclass(frozen=True, eq=False)
class Observable:
    """A Hermitian observable on `n_qubits` qubits in a form that acts on batches of states.

    Attributes
    ----------
    label : ``"global"``, the Pauli string, or ``"matrix"``.
    n_qubits : number of qubits.
    kind : ``"global"`` (projector onto |0...0>), ``"pauli"`` or ``"matrix"``.
    perm : for Pauli strings, index map y -> y XOR flip mask (None if no X/Y letters).
    coef : for Pauli strings, (P psi)[y] = coef[y] * psi[perm[y]].
    matrix : dense matrix for ``"matrix"`` observables.
    """

    label: str
    n_qubits: int
    kind: str
    perm: np.ndarray | None = None
    coef: np.ndarray | None = None
    matrix: np.ndarray | None = None

    @property
    def is_real(self) -> bool:
        """True if the observable's matrix is real (it then maps real states to real states)."""
        if self.kind == "pauli":
            return not np.iscomplexobj(self.coef)
        if self.kind == "matrix":
            return not np.iscomplexobj(self.matrix)
        return True

    def apply(self, states: np.ndarray) -> np.ndarray:
        """Return O|psi> for every row of `states` (a new array)."""
        if self.kind == "global":
            out = np.zeros_like(states)
            out[:, 0] = states[:, 0]
            return out
        if self.kind == "pauli":
            src = states if self.perm is None else states[:, self.perm]
            return src * self.coef
        return states @ self.matrix.T

    def expectation(self, states: np.ndarray) -> np.ndarray:
        """Real expectation values <psi|O|psi> of every row, shape ``(B,)``."""
        if self.kind == "global":
            return np.abs(states[:, 0]) ** 2
        if self.kind == "pauli" and self.perm is None:
            return (np.abs(states) ** 2) @ self.coef.real
        return np.einsum("bi,bi->b", states.conj(), self.apply(states)).real

    def to_qobj(self) -> qutip.Qobj:
        """The observable as a `qutip.Qobj` (dense; for tests and small n)."""
        dim = 2**self.n_qubits
        mat = np.asarray(self.apply(np.eye(dim, dtype=np.complex128))).T
        return qutip.Qobj(mat, dims=[[2] * self.n_qubits, [2] * self.n_qubits])


def _pauli(label: str, n_qubits: int) -> Observable:
    n = n_qubits
    flip = 0
    sign_mask = 0
    n_y = 0
    for k, letter in enumerate(label):
        bit = 1 << (n - 1 - k)  # qubit 0 is the most significant bit
        if letter in "XY":
            flip |= bit
        if letter in "YZ":
            sign_mask |= bit
        n_y += letter == "Y"
    idx = np.arange(2**n)
    src = idx ^ flip
    parity = np.zeros(2**n, dtype=np.int64)
    masked = src & sign_mask
    while np.any(masked):
        parity ^= masked & 1
        masked >>= 1
    coef = (1.0 - 2.0 * parity) * (1j**n_y)
    coef = coef.real.copy() if n_y % 2 == 0 else coef
    return Observable(label, n, "pauli", None if flip == 0 else src, coef)


def parse_observable(observable: str | qutip.Qobj | Observable, n_qubits: int) -> Observable:
    """Turn a user observable into an `Observable` on `n_qubits` qubits.

    Parameters
    ----------
    observable : ``"global"`` (the projector |0...0><0...0|, the global cost of Cerezo et al.
        2021), a Pauli string such as ``"ZIII"`` (leftmost letter = qubit 0), a Hermitian
        `qutip.Qobj` of dimension ``2**n_qubits``, or an `Observable`.
    n_qubits : number of qubits.

    Raises
    ------
    etr.errors.InputError
        Unknown name, a Pauli string of the wrong length or with letters other than I, X, Y, Z,
        or a Qobj of the wrong dimension or not Hermitian.

    Examples
    --------
    >>> import numpy as np
    >>> obs = parse_observable("ZI", 2)
    >>> obs.expectation(np.array([[0, 0, 1, 0]], dtype=complex))  # |10>: qubit 0 is 1
    array([-1.])
    """
    if isinstance(observable, Observable):
        if observable.n_qubits != n_qubits:
            raise InputError(
                f"`observable` acts on {observable.n_qubits} qubits, circuit has {n_qubits}"
            )
        return observable
    if isinstance(observable, qutip.Qobj):
        return _from_qobj(observable, n_qubits)
    if not isinstance(observable, str):
        raise InputError(
            "`observable` must be 'global', a Pauli string such as 'Z' + 'I'*(n-1), or a "
            f"qutip.Qobj, got {type(observable).__name__}"
        )
    if observable == "global":
        return Observable("global", n_qubits, "global")
    label = observable.upper()
    if len(label) != n_qubits or not set(label) <= _PAULI_LETTERS:
        raise InputError(
            f"`observable` must be 'global' or a Pauli string of {n_qubits} letters from "
            f"{{I, X, Y, Z}}, got {observable!r}"
        )
    return _pauli(label, n_qubits)


def _from_qobj(op: qutip.Qobj, n_qubits: int) -> Observable:
    dim = 2**n_qubits
    mat = np.asarray(op.full(), dtype=np.complex128)
    if mat.shape != (dim, dim):
        raise InputError(f"`observable` must be a {dim}x{dim} Qobj, got shape {mat.shape}")
    if not np.allclose(mat, mat.conj().T, atol=1e-12):
        raise InputError("`observable` must be Hermitian")
    if np.all(mat.imag == 0):
        mat = mat.real.copy()
    return Observable("matrix", n_qubits, "matrix", matrix=mat)
