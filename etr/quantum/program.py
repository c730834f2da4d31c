"""A compiled circuit lowered to flat arrays for the row-by-row kernels (`_kernels_rows`).

`etr.quantum.compile` fuses gates into operations; this module lowers them once more, into a
`Program` of integer and float arrays that one numba call runs for a whole chunk of parameter
rows, row after row, with no Python between operations. Two rewrites on the way make the
operations cheaper without changing the circuit:

* **Diagonal factors sink into diagonal layers.** The trailing diagonal factors of a fused
  single-qubit operation (an RZ after an RY, a fixed Z, S, T) commute with every later operation
  that is diagonal on that qubit, so they move forward into the next diagonal operation (the
  next layer of CZ / CRZ gates), or past the last operation touching the qubit into a diagonal
  operation at the end of the circuit. What stays behind is often real (an RY, H·RY): a real
  2x2 matrix costs half the arithmetic of a complex one on every pass, forward and backward,
  and the adjoint sweep needs one sum instead of four for its derivatives. All RZ phases of a
  diagonal layer are then applied in one pass (the layer's phase vector is a tensor product,
  built from two short tables), instead of one fused complex 2x2 pass per qubit.
* **A diagonal tail is dropped for diagonal observables.** Diagonal operations after the last
  non-diagonal one commute with diagonal observables (Pauli Z strings, the |0..0> projector):
  they change no expectation value and their parameters have derivative exactly 0, so the
  kernels skip them (`Program.n_run`).

Both rewrites reorder only commuting factors: states, expectation values and gradients agree
with the operation-by-operation path to rounding (1e-15), which `tests/quantum` checks, with
QuTiP and with the parameter-shift rule.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from etr.quantum.compile import U1, Compiled, Diag, bit_vector, stride

__all__ = ["KIND", "Program", "lower"]

#: operation codes of `Program.ops[:, 0]`.
KIND = {"u1_real": 0, "u1": 1, "cu1": 2, "diag": 3, "cnot": 4, "swap": 5}


@dataclass(frozen=True, eq=False)
class Program:
    """A circuit as arrays for `etr.quantum._kernels_rows`.

    Attributes
    ----------
    n_qubits, n_params : as the circuit's.
    init : (I, 5) int64 rows ``(qubit, f0, f1, z0, z1)``: the operations whose first columns
        form the initial product state (factors ``f0 .. f1 - 1``).
    ops : (K, 13) int64 rows ``(kind, target stride, control stride or 0, f0, f1, fixed phase
        index or -1, p0, p1, z0, z1, run start, checkpoint, partner)``; kinds in `KIND`. For
        ``swap`` the two strides are the swapped qubits'; for ``diag`` the second and third
        entries are 1 when the fixed phase is real and when the operation has controlled phases
        (CRZ). Runs of
        commuting single-qubit operations (`_mark_runs`): the last operation of a run holds the
        run's first operation and its checkpoint index, the first one the checkpoint index, all
        others -1. Pairs of real operations of a run applied in one pass (`_pair_up`): the first
        holds the second's index, the second -2, all others -1.
    fcode, fslot, fconst : the factors, as `etr.quantum._kernels.build_u1` reads them (code 0 a
        constant matrix, 1-3 a rotation about X, Y, Z of slot ``fslot``).
    fixed_re, fixed_im : (D, 2**n) the fixed phase vectors of the diagonal operations.
    pops : (R, 4) int64 rows ``(target stride, control stride or 0, slot, own)``: the
        parametric phases exp(-+ i t / 2) of diagonal operation rows ``p0 .. p1 - 1`` (RZ,
        CRZ); ``own`` is 0 for an RZ sunk from a single-qubit operation that computes its
        derivative (its slots ``zslot[z0:z1]``), 1 where the diagonal operation does.
    zslot : the slots of those RZ phases.
    real_all, real_run : every operation (of all, of the first `n_run`) is real, so real states
        stay real.
    n_run : operations to run before diagonal observables (the diagonal tail dropped).
    n_checkpoints : runs, i.e. states the forward pass of the adjoint method stores.
    """

    n_qubits: int
    n_params: int
    init: np.ndarray
    ops: np.ndarray
    fcode: np.ndarray
    fslot: np.ndarray
    fconst: np.ndarray
    fixed_re: np.ndarray
    fixed_im: np.ndarray
    pops: np.ndarray
    zslot: np.ndarray
    real_all: bool
    real_run: bool
    n_run: int
    n_checkpoints: int

    def real(self, diagonal_observables: bool) -> bool:
        """True when the states the kernels compute are real."""
        return self.real_run if diagonal_observables else self.real_all

    def n_ops(self, diagonal_observables: bool) -> int:
        return self.n_run if diagonal_observables else int(self.ops.shape[0])


def _is_diag_factor(f: tuple) -> bool:
    if f[0] == "rot":
        return f[1] == "Z"
    m = f[1]
    return m[0, 1] == 0 and m[1, 0] == 0


def _is_real_factor(f: tuple) -> bool:
    if f[0] == "rot":
        return f[1] == "Y"
    return not np.any(np.imag(f[1]))


def _commutes_with_z(op: object, q: int) -> bool:
    """True if `op` commutes with every diagonal gate on qubit `q`."""
    if q not in op.qubits:
        return True
    if isinstance(op, Diag):
        return True
    if isinstance(op, U1):
        return op.control == q  # a controlled operation commutes with diagonals on its control
    return op.name == "CNOT" and op.pair[0] == q


def _sink(ops: list, n: int) -> None:
    """Move trailing diagonal factors of single-qubit operations into later diagonal ones (in
    place; operations left without factors become None)."""
    for idx, op in enumerate(ops):
        if not isinstance(op, U1) or op.control is not None:
            continue
        tail = []
        while op.factors and _is_diag_factor(op.factors[-1]):
            tail.append(op.factors.pop())
        if not tail:
            continue
        q = op.qubit
        target = None
        for j in range(idx + 1, len(ops)):
            other = ops[j]
            if other is None:
                continue
            if isinstance(other, Diag):
                target = other
                break
            if not _commutes_with_z(other, q):
                break
        else:
            target = Diag(n)
            ops.append(target)
        if target is None:
            op.factors.extend(reversed(tail))
            continue
        bits = bit_vector(q, n)
        target.qubits.add(q)
        # the derivative of a sunk RZ is Im <lam| Z_q |phi> anywhere between its old and new
        # place: the operation it left computes it from its own pass (`zslots`), unless it is
        # left empty; the diagonal operation then does (`own`)
        keeps = bool(op.factors)
        for f in tail:
            if f[0] == "rot":
                target.params.append((None, q, f[2]))
                if keeps:
                    op.__dict__.setdefault("zslots", []).append(f[2])
                    target.__dict__.setdefault("external", set()).add(len(target.params) - 1)
            else:
                vec = np.where(bits == 1, f[1][1, 1], f[1][0, 0])
                target.phase = vec if target.phase is None else target.phase * vec
        if not op.factors:
            ops[idx] = None


class _Tables:
    """Accumulates the factor, phase and parameter tables of a program."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.fcode: list[int] = []
        self.fslot: list[int] = []
        self.fconst: list[np.ndarray] = []
        self.fixed: list[np.ndarray] = []
        self.pops: list[tuple[int, int, int, int]] = []
        self.zslot: list[int] = []

    def zslots(self, op: U1) -> tuple[int, int]:
        z0 = len(self.zslot)
        self.zslot.extend(op.__dict__.get("zslots", []))
        return z0, len(self.zslot)

    def factors(self, factors: list[tuple]) -> tuple[int, int]:
        f0 = len(self.fcode)
        for f in factors:
            if f[0] == "rot":
                self.fcode.append("XYZ".index(f[1]) + 1)
                self.fslot.append(f[2])
                self.fconst.append(np.zeros((2, 2), dtype=np.complex128))
            else:
                self.fcode.append(0)
                self.fslot.append(0)
                self.fconst.append(np.asarray(f[1], dtype=np.complex128))
        return f0, len(self.fcode)

    def row(self, op: object) -> tuple[list[int], bool]:
        """The `Program.ops` row of `op` and whether the operation is real."""
        n = self.n
        if isinstance(op, U1):
            f0, f1 = self.factors(op.factors)
            z0, z1 = self.zslots(op)
            real = all(map(_is_real_factor, op.factors))
            if op.control is not None:
                return [KIND["cu1"], stride(op.qubit, n), stride(op.control, n), f0, f1, -1, 0,
                        0, z0, z1], real
            return [KIND["u1_real" if real else "u1"], stride(op.qubit, n), 0, f0, f1, -1, 0,
                    0, z0, z1], real
        if isinstance(op, Diag):
            fixed = -1
            real = not op.params
            if op.phase is not None:
                fixed = len(self.fixed)
                self.fixed.append(np.asarray(op.phase, dtype=np.complex128))
                real = real and not np.any(np.imag(op.phase))
            p0 = len(self.pops)
            external = op.__dict__.get("external", set())
            for i, (control, target, slot) in enumerate(op.params):
                self.pops.append((stride(target, n), 0 if control is None else stride(control, n),
                                  slot, int(i not in external)))
            fixed_real = op.phase is not None and not np.any(np.imag(op.phase))
            controlled = any(control is not None for control, _, _ in op.params)
            return [KIND["diag"], int(fixed_real), int(controlled), 0, 0, fixed, p0,
                    len(self.pops), 0, 0], real
        a, b = op.pair
        return [KIND[op.name.lower()], stride(b, n), stride(a, n), 0, 0, -1, 0, 0, 0, 0], True


@lru_cache(maxsize=256)
def lower(compiled: Compiled) -> Program:
    """The `Program` of a compiled circuit (cached per compiled circuit).

    Examples
    --------
    >>> from etr.circuits import hardware_efficient
    >>> from etr.quantum.compile import compile_ansatz
    >>> p = lower(compile_ansatz(hardware_efficient(3, 2, rotations="RY+RZ")))
    >>> [int(k) for k in p.ops[:, 0]], p.n_run, p.real(True)
    ([3, 0, 0, 0, 3], 4, False)
    """
    n = compiled.n_qubits
    ops: list = [copy.deepcopy(op) for op in compiled.initial + compiled.ops]
    for op in ops:
        op.__dict__.pop("_arrays", None)  # cached factor arrays of the uncopied factor list
    _sink(ops, n)
    n_initial = len(compiled.initial)
    initial = [op for op in ops[:n_initial] if op is not None]
    rest = [op for op in ops[n_initial:] if op is not None]
    tables = _Tables(n)
    init = []
    for op in initial:
        f0, f1 = tables.factors(op.factors)
        init.append((op.qubit, f0, f1, *tables.zslots(op)))
    rows, real = [], []
    for op in rest:
        row, is_real = tables.row(op)
        rows.append(row)
        real.append(is_real)
    n_run = len(rows)
    while n_run and rows[n_run - 1][0] == KIND["diag"]:
        n_run -= 1
    n_checkpoints = _mark_runs(rows, rest)
    init_real = all(_is_real_factor(f) for op in initial for f in op.factors)
    dim = 2**n
    fixed = np.asarray(tables.fixed, dtype=np.complex128).reshape(-1, dim)
    return Program(
        n_qubits=n, n_params=compiled.n_params,
        init=np.asarray(init, dtype=np.int64).reshape(-1, 5),
        ops=np.asarray(rows, dtype=np.int64).reshape(-1, 13),
        fcode=np.asarray(tables.fcode, dtype=np.int64),
        fslot=np.asarray(tables.fslot, dtype=np.int64),
        fconst=np.asarray(tables.fconst, dtype=np.complex128).reshape(-1, 2, 2),
        fixed_re=np.ascontiguousarray(fixed.real), fixed_im=np.ascontiguousarray(fixed.imag),
        pops=np.asarray(tables.pops, dtype=np.int64).reshape(-1, 4),
        zslot=np.asarray(tables.zslot, dtype=np.int64),
        real_all=init_real and all(real), real_run=init_real and all(real[:n_run]),
        n_run=n_run, n_checkpoints=n_checkpoints,
    )


def _mark_runs(rows: list[list[int]], ops: list) -> int:
    """Mark the runs of two or more consecutive single-qubit operations on distinct qubits (in
    place: columns 10 and 11 of `rows`); returns the number of runs.

    The operations of a run commute, so the adjoint sweep takes the derivatives of all of them
    at the run's end, un-applies the run from lambda only, and restores phi at the run's start
    from a checkpoint the forward pass stored (`etr.quantum._kernels_rows.adjoint_rows`): one
    pass per operation saved.
    """
    for row in rows:
        row.extend([-1, -1, -1])
    n_runs = 0
    k = 0
    while k < len(rows):
        j = k
        qubits: set[int] = set()
        while (j < len(rows) and rows[j][0] in (KIND["u1_real"], KIND["u1"])
               and ops[j].qubit not in qubits):
            qubits.add(ops[j].qubit)
            j += 1
        if j - k >= 2:
            rows[k][11] = n_runs  # store the checkpoint before this operation
            rows[j - 1][10] = k  # the run ends here and starts at k
            rows[j - 1][11] = n_runs
            n_runs += 1
            _pair_up(rows, k, j)
        k = max(j, k + 1)
    return n_runs


#: smallest stride of a pair of real operations applied (and summed) in one pass: the pass's
#: inner loop runs over contiguous runs of that length. Measured on a 10-qubit row, the sums
#: block by block (`_cross2_acc` vs two `_cross_acc`): (128, 64) 559 vs 804 ns, (32, 16) 679 vs
#: 871 ns, (16, 8) 930 vs 929 ns; so 16 and up pair, 8 and below go alone.
PAIR_STRIDE = 16


def _pair_up(rows: list[list[int]], k: int, j: int) -> None:
    """Pair the real operations of run k .. j-1 by decreasing stride for `_real22` and
    `_cross2_acc` (column 12: the partner's index on the first of a pair, -2 on the partner, -1
    alone). The operations of a run commute, so a pair is applied where its first operation
    stands."""
    real = sorted((r for r in range(k, j) if rows[r][0] == KIND["u1_real"]),
                  key=lambda r: -rows[r][1])
    for a, b in zip(real[::2], real[1::2]):
        if rows[b][1] >= PAIR_STRIDE:
            first, second = min(a, b), max(a, b)
            rows[first][12] = second
            rows[second][12] = -2
