"""Compilation of an `Ansatz` into fused operations for the fast batched simulator.

Fusion rules (each move only passes operations that commute with the moved gate):

* single-qubit gates on a qubit merge into one `U1` (a batched 2x2 matrix per parameter vector)
  across gates on other qubits;
* diagonal gates (CZ, CRZ, and single-qubit Z, S, T, RZ when no `U1` on their qubit is open) merge
  into one `Diag`: the fixed ones into a single phase vector, the parametric ones kept as cheap
  phase kernels;
* leading `U1` operations (the first on their qubit) form the initial product state.

A circuit made only of RY, H, X, Z, CZ, CNOT, SWAP and CRY gates is real, and is simulated in
float64 arithmetic. Compiled circuits are cached per `Ansatz` (hashable and immutable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from etr.circuits.ansatz import Ansatz, Gate

__all__ = ["FIXED_1Q", "U1", "Compiled", "Diag", "Perm", "compile_ansatz", "stride"]

_S2 = 1.0 / np.sqrt(2.0)
FIXED_1Q: dict[str, np.ndarray] = {
    "H": np.array([[_S2, _S2], [_S2, -_S2]], dtype=np.complex128),
    "X": np.array([[0, 1], [1, 0]], dtype=np.complex128),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
    "Z": np.array([[1, 0], [0, -1]], dtype=np.complex128),
    "S": np.array([[1, 0], [0, 1j]], dtype=np.complex128),
    "T": np.array([[1, 0], [0, np.exp(1j * np.pi / 4)]], dtype=np.complex128),
}
_REAL_GATES = frozenset({"RY", "H", "X", "Z", "CZ", "CNOT", "SWAP", "CRY"})
_DIAG_1Q = frozenset({"Z", "S", "T", "RZ"})


def rotation_matrices(pauli: str, theta: np.ndarray) -> np.ndarray:
    """exp(-i theta P / 2) for every angle in `theta`, shape ``(B, 2, 2)`` complex."""
    theta = np.asarray(theta, dtype=np.float64)
    c = np.cos(theta / 2)
    s = np.sin(theta / 2)
    out = np.zeros((*theta.shape, 2, 2), dtype=np.complex128)
    if pauli == "X":
        out[..., 0, 0] = c
        out[..., 1, 1] = c
        out[..., 0, 1] = -1j * s
        out[..., 1, 0] = -1j * s
    elif pauli == "Y":
        out[..., 0, 0] = c
        out[..., 1, 1] = c
        out[..., 0, 1] = -s
        out[..., 1, 0] = s
    else:
        out[..., 0, 0] = c - 1j * s
        out[..., 1, 1] = c + 1j * s
    return out


def gate_matrix_1q(gate: Gate) -> np.ndarray:
    """The 2x2 matrix of a fixed single-qubit gate or of a rotation with a fixed angle."""
    if gate.name in FIXED_1Q:
        return FIXED_1Q[gate.name]
    return rotation_matrices(gate.kind.pauli, np.array(gate.angle))


@dataclass(eq=False)
class U1:
    """A (possibly controlled) single-qubit operation: a product of factors applied in order.

    A factor is ``("const", matrix)`` or ``("rot", pauli, slot)``. `control` is None for a plain
    single-qubit operation.
    """

    qubit: int
    factors: list[tuple] = field(default_factory=list)
    control: int | None = None
    diagonal: bool = True

    @property
    def qubits(self) -> frozenset[int]:
        return frozenset({self.qubit} if self.control is None else {self.qubit, self.control})

    @property
    def parametric(self) -> bool:
        return any(f[0] == "rot" for f in self.factors)

    def factor_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(codes, slots, consts) for `etr.quantum._kernels.build_u1` (cached)."""
        cached = getattr(self, "_arrays", None)
        if cached is None:
            codes = np.array([0 if f[0] == "const" else "XYZ".index(f[1]) + 1
                              for f in self.factors], dtype=np.int64)
            slots = np.array([f[2] if f[0] == "rot" else 0 for f in self.factors],
                             dtype=np.int64)
            consts = np.zeros((len(self.factors), 2, 2), dtype=np.complex128)
            for i, f in enumerate(self.factors):
                if f[0] == "const":
                    consts[i] = f[1]
            cached = (codes, slots, consts)
            self._arrays = cached
        return cached

    def add(self, gate: Gate) -> None:
        diag = gate.name in _DIAG_1Q
        if gate.slot is not None:
            self.factors.append(("rot", gate.kind.pauli, gate.slot))
        else:
            mat = gate_matrix_1q(gate)
            if self.factors and self.factors[-1][0] == "const":
                self.factors[-1] = ("const", mat @ self.factors[-1][1])
            else:
                self.factors.append(("const", mat))
        self.diagonal = self.diagonal and diag


@dataclass(eq=False)
class Diag:
    """Commuting diagonal gates: a fixed phase vector and parametric RZ / CRZ phases.

    `params` holds ``(control_or_None, target, slot)`` per parametric gate.
    """

    n_qubits: int
    qubits: set[int] = field(default_factory=set)
    phase: np.ndarray | None = None
    params: list[tuple[int | None, int, int]] = field(default_factory=list)

    @property
    def parametric(self) -> bool:
        return bool(self.params)

    def add(self, gate: Gate) -> None:
        self.qubits.update(gate.qubits)
        if gate.slot is not None:
            if gate.name == "RZ":
                self.params.append((None, gate.qubits[0], gate.slot))
            else:
                self.params.append((gate.qubits[0], gate.qubits[1], gate.slot))
            return
        vec = fixed_diagonal(gate, self.n_qubits)
        self.phase = vec if self.phase is None else self.phase * vec


@dataclass(eq=False)
class Perm:
    """A fixed permutation gate: ``"CNOT"`` (control, target) or ``"SWAP"``."""

    name: str
    pair: tuple[int, int]

    @property
    def qubits(self) -> frozenset[int]:
        return frozenset(self.pair)


def stride(qubit: int, n_qubits: int) -> int:
    """Distance between the amplitudes a gate on `qubit` couples: 2**(n-1-qubit) (qubit 0 is the
    most significant bit), the address the kernels of `etr.quantum._kernels` take."""
    return 1 << (n_qubits - 1 - qubit)


def bit_vector(qubit: int, n_qubits: int) -> np.ndarray:
    """Bit of `qubit` in every basis index (qubit 0 is the most significant bit)."""
    return (np.arange(2**n_qubits) >> (n_qubits - 1 - qubit)) & 1


def fixed_diagonal(gate: Gate, n_qubits: int) -> np.ndarray:
    """Diagonal of a fixed diagonal gate as a vector of length 2**n."""
    if gate.name == "CZ":
        c, t = (bit_vector(q, n_qubits) for q in gate.qubits)
        return 1.0 - 2.0 * (c & t)
    if gate.name == "CRZ":
        c, t = (bit_vector(q, n_qubits) for q in gate.qubits)
        half = gate.angle / 2
        ph = np.where(t == 1, np.exp(1j * half), np.exp(-1j * half))
        return np.where(c == 1, ph, 1.0 + 0j)
    mat = gate_matrix_1q(gate)
    bits = bit_vector(gate.qubits[0], n_qubits)
    diag = np.where(bits == 1, mat[1, 1], mat[0, 0])
    return diag.real.copy() if np.all(np.imag(diag) == 0) else diag


@dataclass(frozen=True, eq=False)
class Compiled:
    """A compiled circuit: initial product-state operations, then fused operations."""

    n_qubits: int
    n_params: int
    real: bool
    initial: tuple[U1, ...]
    ops: tuple[U1 | Diag | Perm, ...]

    @property
    def all_ops(self) -> tuple[U1 | Diag | Perm, ...]:
        return self.initial + self.ops


def _commutes_past(op: object, qubits: frozenset[int], diagonal: bool) -> bool:
    if isinstance(op, U1) and diagonal and op.diagonal:
        return True
    return not (op.qubits & qubits)


def _place_1q(ops: list, gate: Gate, n: int) -> None:
    q = gate.qubits[0]
    diag = gate.name in _DIAG_1Q
    for op in reversed(ops):
        if isinstance(op, U1) and op.control is None and op.qubit == q:
            op.add(gate)
            return
        if isinstance(op, Diag) and diag and q in op.qubits:
            op.add(gate)
            return
        if q in op.qubits:
            break
    new = U1(q)
    new.add(gate)
    ops.append(new)


def _place_diag(ops: list, gate: Gate, n: int) -> None:
    qubits = frozenset(gate.qubits)
    for op in reversed(ops):
        if isinstance(op, Diag):
            op.add(gate)
            return
        if not _commutes_past(op, qubits, True):
            break
    new = Diag(n)
    new.add(gate)
    ops.append(new)


def _fuse(ansatz: Ansatz) -> list:
    n = ansatz.n_qubits
    ops: list = []
    for gate in ansatz.gates:
        kind = gate.kind
        if kind.n_qubits == 1:
            _place_1q(ops, gate, n)
        elif kind.diagonal:
            _place_diag(ops, gate, n)
        elif gate.name in ("CNOT", "SWAP"):
            ops.append(Perm(gate.name, gate.qubits))
        else:  # CRX, CRY
            op = U1(gate.qubits[1], control=gate.qubits[0], diagonal=False)
            if gate.slot is not None:
                op.factors.append(("rot", kind.pauli, gate.slot))
            else:
                op.factors.append(("const", rotation_matrices(kind.pauli, np.array(gate.angle))))
            ops.append(op)
    return ops


def _split_initial(ops: list) -> tuple[list[U1], list]:
    touched: set[int] = set()
    initial: list[U1] = []
    rest: list = []
    for op in ops:
        if isinstance(op, U1) and op.control is None and op.qubit not in touched:
            initial.append(op)
        else:
            rest.append(op)
        touched |= set(op.qubits)
    return initial, rest


@lru_cache(maxsize=256)
def compile_ansatz(ansatz: Ansatz) -> Compiled:
    """Fuse the gates of `ansatz` (cached per ansatz).

    Examples
    --------
    >>> from etr.circuits import hardware_efficient
    >>> c = compile_ansatz(hardware_efficient(3, 2, rotations="RY", topology="linear"))
    >>> len(c.initial), [type(op).__name__ for op in c.ops], c.real
    (3, ['Diag', 'U1', 'U1', 'U1', 'Diag'], True)
    """
    ops = _fuse(ansatz)
    initial, rest = _split_initial(ops)
    real = all(g.name in _REAL_GATES for g in ansatz.gates)
    return Compiled(ansatz.n_qubits, ansatz.n_params, real, tuple(initial), tuple(rest))
