"""The density-matrix backend: noisy circuits (`NoiseModel`), batched and compiled, exact gradients.

Simulation
----------
A chunk of parameter rows is a ``(b, 4**n)`` complex array of flattened density matrices
(`etr.quantum._density_kernels`). Preparation is |0...0><0...0| (noise-free); then, gate by gate
in the order of `Ansatz.gates`, rho <- N_q(U rho U^dagger) with the noise channel N on each qubit
q the gate acts on (one pass over the matrix per gate, the channel inside the same pass). Nothing
is fused across gates, so no channel moves (`etr.plan.noise`). Readout noise is applied to
the observables (the classical channel on the outcomes, written as an observable in the
Heisenberg picture), so values and gradients see it alike.

Gradients (adjoint through the dual maps)
-----------------------------------------
With E_k the k-th gate's map (gate, then its channel) and rho_k the state after E_1 .. E_k, the
value is tr(O rho_K). Set lambda_K = O (with a cotangent w: sum_m w_m O_m, one sweep for all
observables) and walk back, lambda_(k-1) = E_k^dagger(lambda_k) = U_k^dagger N_k^dagger(lambda_k)
U_k, the Heisenberg picture: N^dagger is the channel's dual (``M.T`` on the populations, the same
coherence factor; see `etr.plan.noise`). For a rotation U = exp(-i t G / 2) (G = P, or
|1><1| (x) P for a controlled rotation) d/dt tr(lambda_k N(U rho U^dagger)) equals
Im tr(lambda~ G rho_(k-1)) with lambda~ = U^dagger N^dagger(lambda_k) U (G commutes with U;
lambda~ is Hermitian), read off a 2x2 reduction the backward kernel computes in the same pass
(over the target's row bits with the control's row bit 1 for a controlled rotation). Exact, and
valid because the channels do not depend on the parameters.

The channels are not invertible in general (amplitude damping with gamma = 1; and inverting a
contraction amplifies rounding by (1 - p)^-K), so unlike the pure-state adjoint method the
forward states cannot be recovered by un-applying gates: the backward sweep needs rho_(k-1) from
storage. A chunk stores all its K intermediate states when ``K + 1`` of them fit in
``CHECKPOINT_BYTES`` (in a buffer pool allocated once per call, no allocation per gate), else
checkpoints about every sqrt(K)-th state and recomputes each segment once from its checkpoint
(about one extra forward pass), recursively within a segment when even that does not fit; the
pool never has fewer buffers than bisection needs (about log2 K + 2; then up to ~log2 K extra
passes). Recomputed states are the same numbers, so results do not depend on the budget.

Width limit
-----------
A density matrix of n qubits takes 16 * 4**n bytes: 16 MiB at n = 10 (as many entries as a
20-qubit statevector, `etr.experiment.MAX_QUBITS`), 256 MiB at 12. The adjoint sweep holds the
state, the adjoint operator and at least one checkpoint per row, so >= 48 MiB per row at 10
qubits and >= 768 MiB at 12; `MAX_DENSITY_QUBITS` = 10.

Notes (conventions and truths, tested in ``tests/quantum/test_density.py``)
---------------------------------------------------------------------------
* depolarizing(p): rho -> (1 - p) rho + p I/2; Bloch vector r -> (1 - p) r; purity of a
  one-qubit pure state (1 + (1 - p)^2) / 2. Amplitude damping(gamma) takes (x, y, z) to
  (sqrt(1-g) x, sqrt(1-g) y, g + (1-g) z); purity (1 + |r'|^2) / 2, for a pure state
  r = (sin a cos b, sin a sin b, cos a): (1 + (1-g) sin^2 a + (g + (1-g) cos a)^2) / 2.
  Phase damping(lambda): (sqrt(1-l) x, sqrt(1-l) y, z).
* Global depolarizing after each of L layers commutes with the unitaries, so <O> - tr(O)/d and
  every gradient scale by (1 - p)^L exactly (variance by (1 - p)^(2L)); on one qubit, local
  depolarizing after each of K gates is global, so gradients scale by (1 - p)^K.
* Noise-induced barren plateaus (Wang et al. 2021): under local unital noise with Pauli factor
  q < 1 acting on every qubit once per layer, |dC/dtheta| <= ||O - tr(O)/d||_2 ||rho_out -
  I/d||_2 <= sqrt(d - 1) q^L for a Pauli O (parameter shift writes a derivative as half a
  difference of two noisy outputs; a unital channel does not increase the Hilbert-Schmidt norm
  of a traceless operator, and the layer's noise multiplies it by at most q): gradient variance
  <= (d - 1) q^(2L), decaying at least at the rate q^2 per layer whatever the circuit's
  expressibility. Non-unital noise (amplitude damping) keeps gradients of the last layers of a
  local cost away from 0 at any depth (Mele et al. 2024).
* Parameter shift stays exact for R_P(theta) gates followed by parameter-independent channels
  (the QuTiP reference uses it).

References
----------
Jones, T., Gacon, J. (2020). Efficient calculation of gradients in classical simulations of
variational quantum algorithms. arXiv:2009.02823 (adjoint method).
Griewank, A., Walther, A. (2000). Algorithm 799: revolve. ACM TOMS 26, 19 (checkpointing).
Wang, S. et al. (2021). Nat. Commun. 12, 6961. Mele, A. A. et al. (2024). arXiv:2403.13927.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

import numpy as np

from etr._validation import check_int
from etr.circuits.ansatz import Ansatz, Gate
from etr.errors import InputError
from etr.plan.noise import MAX_DENSITY_QUBITS, NoiseModel, check_density_width
from etr.quantum import _density_kernels as DK
from etr.quantum._params import check_params
from etr.quantum.compile import FIXED_1Q, rotation_matrices
from etr.quantum.gradients import Cotangent, row_cotangent
from etr.quantum.observables import Observable
from etr.quantum.statevector import as_observables

__all__ = [
    "CHECKPOINT_BYTES",
    "MAX_DENSITY_QUBITS",
    "DensityMatrixBackend",
    "density_chunk_size",
    "density_matrices",
    "purity",
]

#: bytes of stored intermediate states per chunk in the adjoint sweep (module notes).
CHECKPOINT_BYTES = 2**28
_CHUNK_ENTRIES = 2**16

_P = {"X": np.array([[0, 1], [1, 0]], dtype=np.complex128),
      "Y": np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
      "Z": np.array([[1, 0], [0, -1]], dtype=np.complex128)}


def density_chunk_size(n_qubits: int) -> int:
    """Rows per chunk so that one chunk of density matrices holds about 2**16 entries (1 MiB)."""
    return max(1, _CHUNK_ENTRIES >> (2 * n_qubits))


def _chunks(n_rows: int, n_qubits: int, chunk_size: int | None) -> Iterator[slice]:
    size = density_chunk_size(n_qubits) if chunk_size is None else chunk_size
    size = check_int("chunk_size", size, minimum=1)
    for start in range(0, n_rows, size):
        yield slice(start, min(start + size, n_rows))


# ------------------------------------------------------------------------------------ program
@dataclass(frozen=True, eq=False)
class _Op:
    """One gate of the program: which kernel, where it acts (strides), how its matrix is built.

    ``kernel`` is ``"1q"`` (matrix U), ``"controlled"`` (the target matrix R of
    |0><0| (x) I + |1><1| (x) R) or ``"swap"`` (three CNOTs, the channels after the last; the
    strides of both orders); ``kind`` the structure code of that matrix
    (`etr.quantum._density_kernels`); ``generator`` the Pauli P of a slot's rotation
    (for a controlled rotation the generator is |1><1| (x) P and the kernel reduces the
    control-1 part).
    """

    gate: Gate
    kernel: str
    kind: int
    strides: tuple[int, ...]
    order: np.ndarray | None = None
    fixed: np.ndarray | None = None  # (1, 2, 2) when the gate has no parameter slot
    generator: np.ndarray | None = None

    def matrices(self, theta: np.ndarray) -> np.ndarray:
        """``(b, k, k)`` matrices (or ``(1, k, k)`` for a fixed gate)."""
        if self.fixed is not None:
            return self.fixed
        return rotation_matrices(self.gate.kind.pauli, theta[:, self.gate.slot])


def _structure(mat: np.ndarray) -> int:
    if mat[0, 1] == 0 and mat[1, 0] == 0:
        return DK.DIAGONAL
    return DK.REAL if np.all(mat.imag == 0) else DK.GENERAL


_TARGET = {"CZ": np.diag([1.0, -1.0]).astype(np.complex128),
           "CNOT": np.array([[0, 1], [1, 0]], dtype=np.complex128)}
_ROTATION_KIND = {"X": DK.GENERAL, "Y": DK.REAL, "Z": DK.DIAGONAL}


def _make_op(gate: Gate, n: int) -> _Op:
    d = 2**n
    kind = gate.kind
    strides = tuple(1 << (n - 1 - q) for q in gate.qubits)
    gen = None if gate.slot is None else _P[kind.pauli]
    if gate.name == "SWAP":
        c, t = strides
        order = np.sort(np.array([c, t, c * d, t * d], dtype=np.int64))
        return _Op(gate, "swap", DK.REAL, (c * d, c, t * d, t), order=order,
                   fixed=_TARGET["CNOT"][None])
    if gate.slot is not None:
        fixed = None
        structure = _ROTATION_KIND[kind.pauli]
    else:
        mat = (FIXED_1Q.get(gate.name) if kind.n_qubits == 1 else _TARGET.get(gate.name))
        if mat is None:  # a rotation with a fixed angle
            mat = rotation_matrices(kind.pauli, np.array(gate.angle))
        fixed = np.ascontiguousarray(mat[None])
        structure = _structure(mat)
    if kind.n_qubits == 1:
        (sc,) = strides
        return _Op(gate, "1q", structure, (sc * d, sc), fixed=fixed, generator=gen)
    c, t = strides
    order = np.sort(np.array([c, t, c * d, t * d], dtype=np.int64))
    return _Op(gate, "controlled", structure, (c * d, c, t * d, t), order=order, fixed=fixed,
               generator=gen)


@lru_cache(maxsize=256)
def _program(ansatz: Ansatz) -> tuple[_Op, ...]:
    """The gates of `ansatz` as kernel operations, one per gate (no fusion; cached)."""
    return tuple(_make_op(gate, ansatz.n_qubits) for gate in ansatz.gates)


def _chan_arrays(noise: NoiseModel) -> tuple[np.ndarray, np.ndarray, bool]:
    """(forward, dual) channel arrays for the kernels and whether there is gate noise."""
    m, c = noise.transfer()
    fwd = np.array([m[0, 0], m[0, 1], m[1, 0], m[1, 1], c])
    dual = np.array([m[0, 0], m[1, 0], m[0, 1], m[1, 1], c])
    return fwd, dual, not noise.gate_noiseless


def _swapped(strides: tuple[int, ...]) -> tuple[int, ...]:
    """Control and target strides exchanged: CNOT(t, c) of a CNOT(c, t)."""
    rc, cc, rt, ct = strides
    return rt, ct, rc, cc


def _apply(op: _Op, rho: np.ndarray, theta: np.ndarray, chan: np.ndarray, noisy: bool,
           out: np.ndarray | None = None) -> None:
    """out <- op(rho) (in place when `out` is None)."""
    u = op.matrices(theta)
    out = rho if out is None else out
    if op.kernel == "1q":
        DK.gate1(out, rho, *op.strides, u, op.kind, chan, noisy)
    elif op.kernel == "controlled":
        DK.cgate(out, rho, *op.strides, op.order, u, op.kind, chan, noisy)
    else:  # SWAP = CNOT(a, b) CNOT(b, a) CNOT(a, b), the channels after the last
        DK.cgate(out, rho, *op.strides, op.order, u, op.kind, chan, False)
        DK.cgate(out, out, *_swapped(op.strides), op.order, u, op.kind, chan, False)
        DK.cgate(out, out, *op.strides, op.order, u, op.kind, chan, noisy)


def _initial(n_rows: int, n_qubits: int) -> np.ndarray:
    rho = np.zeros((n_rows, 4**n_qubits), dtype=np.complex128)
    rho[:, 0] = 1.0
    return rho


def _forward(ops: tuple[_Op, ...], theta: np.ndarray, n_qubits: int, noise: NoiseModel
             ) -> np.ndarray:
    """Final flattened density matrices of one chunk, ``(b, 4**n)``."""
    chan, _, noisy = _chan_arrays(noise)
    rho = _initial(theta.shape[0], n_qubits)
    for op in ops:
        _apply(op, rho, theta, chan, noisy)
    return rho


# ------------------------------------------------------------------------------- observables
@dataclass(frozen=True, eq=False)
class _Measured:
    """An observable with the readout channel folded in (module notes): ``pauli`` (perm, coef:
    O[y, perm[y]] = coef[y]), ``diag`` (vector) or ``matrix``."""

    kind: str
    perm: np.ndarray | None = None
    coef: np.ndarray | None = None
    matrix: np.ndarray | None = None


def _measured(obs: Observable, noise: NoiseModel) -> _Measured:
    q = noise.readout
    n = obs.n_qubits
    if obs.kind == "pauli":
        weight = sum(letter != "I" for letter in obs.label)
        coef = obs.coef * noise.readout_factor(weight)
        if obs.perm is None:
            return _Measured("diag", coef=coef)
        return _Measured("pauli", perm=obs.perm, coef=coef)
    if obs.kind == "global":
        # P(read 0...0) = sum_x P(x) q^|x| (1 - q)^(n - |x|)
        ones = np.array([bin(x).count("1") for x in range(2**n)])
        return _Measured("diag", coef=q**ones * (1.0 - q) ** (n - ones))
    if q > 0:
        raise InputError("`observables` must be Pauli strings or 'global' with readout noise (a "
                         "matrix observable has no measurement model here)")
    return _Measured("matrix", matrix=obs.matrix)


def _values(rho: np.ndarray, measured: list[_Measured], d: int) -> np.ndarray:
    """tr(O_m rho_b), shape ``(b, M)``. Row by row (einsum, not BLAS across rows), so a row's
    value does not depend on which rows share its chunk."""
    mats = rho.reshape(-1, d, d)
    out = np.empty((mats.shape[0], len(measured)))
    diag = None
    idx = np.arange(d)
    for m, o in enumerate(measured):
        if o.kind == "diag":
            diag = np.ascontiguousarray(mats[:, idx, idx].real) if diag is None else diag
            out[:, m] = np.einsum("by,y->b", diag, o.coef.real)
        elif o.kind == "pauli":
            # tr(O rho) = sum_y O[y, perm y] rho[perm y, y]
            out[:, m] = np.einsum("by,y->b", mats[:, o.perm, idx], o.coef).real
        else:
            out[:, m] = np.einsum("ij,bji->b", o.matrix, mats).real
    return out


def _adjoint_operator(measured: list[_Measured], weights: np.ndarray, d: int) -> np.ndarray:
    """lambda = sum_m w[b, m] O_m, flattened ``(b, d*d)`` complex."""
    lam = np.zeros((weights.shape[0], d, d), dtype=np.complex128)
    idx = np.arange(d)
    for m, o in enumerate(measured):
        w = weights[:, m, None]
        if o.kind == "diag":
            lam[:, idx, idx] += w * o.coef
        elif o.kind == "pauli":
            lam[:, idx, o.perm] += w * o.coef
        else:
            lam += w[:, :, None] * o.matrix
    return lam.reshape(weights.shape[0], d * d)


# ----------------------------------------------------------------------------------- adjoint
class _Sweep:
    """The backward sweep of one chunk with checkpointed forward states (module notes).

    Stored states live in `pool`, ``(S, b, 4**n)`` allocated once per call and used as a stack
    (``top``: the next free buffer), so no state is allocated per gate.
    """

    def __init__(self, ops: tuple[_Op, ...], theta: np.ndarray, noise: NoiseModel,
                 pool: np.ndarray) -> None:
        self.ops = ops
        self.theta = theta
        self.chan, self.dual, self.noisy = _chan_arrays(noise)
        self.pool = pool
        self.top = 0
        self.grads = np.zeros_like(theta)

    def push(self, rho: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """A free pool buffer set to `rho` after ops[lo:hi] (`rho` is left unchanged)."""
        out = self.pool[self.top, : rho.shape[0]]
        self.top += 1
        if hi == lo:
            np.copyto(out, rho)
        for k in range(lo, hi):
            _apply(self.ops[k], rho if k == lo else out, self.theta, self.chan, self.noisy,
                   out=out)
        return out

    def back(self, k: int, lam: np.ndarray, prev: np.ndarray) -> None:
        """lam <- E_k^dagger(lam), adding the derivative of op k's slot (prev = rho_(k-1))."""
        op = self.ops[k]
        u = op.matrices(self.theta)
        udag = np.ascontiguousarray(np.conj(np.swapaxes(u, 1, 2)))
        want = op.generator is not None
        if op.kernel == "1q":
            r = DK.back1(lam, prev, *op.strides, udag, op.kind, self.dual, self.noisy, want)
        elif op.kernel == "controlled":
            r = DK.cback(lam, prev, *op.strides, op.order, udag, op.kind, self.dual, self.noisy,
                         want)
        else:  # SWAP: the dual channels, then the three CNOTs in reverse order
            DK.cback(lam, prev, *op.strides, op.order, udag, op.kind, self.dual, self.noisy,
                     False)
            DK.cback(lam, prev, *_swapped(op.strides), op.order, udag, op.kind, self.dual,
                     False, False)
            DK.cback(lam, prev, *op.strides, op.order, udag, op.kind, self.dual, False, False)
        if want:
            # Im sum_{a, a'} G[a, a'] r[a, a'] = Im tr(lambda~ G rho_(k-1))
            self.grads[:, op.gate.slot] += np.einsum("ij,bij->b", op.generator, r).imag

    def reverse(self, lo: int, hi: int, rho_lo: np.ndarray, lam: np.ndarray,
                stored: list[np.ndarray] | None = None) -> None:
        """Backward over ops[lo:hi] from the adjoint after op hi-1, given rho before op lo:
        all states of the range stored when they fit in the free buffers (or given in
        `stored`, on top of the stack), else checkpoints about every sqrt(count)-th op and the
        same for each segment, last segment first."""
        count = hi - lo
        if count <= 0:
            return
        free = self.pool.shape[0] - self.top
        if stored is not None or count - 1 <= free:
            if stored is None:
                stored = [rho_lo]
                for k in range(lo, hi - 1):
                    stored.append(self.push(stored[-1], k, k + 1))
            for k in range(hi - 1, lo - 1, -1):
                self.back(k, lam, stored[k - lo])
            self.top -= count - 1
            return
        groups = _groups(count, free)
        bounds = np.linspace(lo, hi, groups + 1).round().astype(int).tolist()
        checkpoints = [rho_lo]
        for g in range(groups - 1):
            checkpoints.append(self.push(checkpoints[-1], bounds[g], bounds[g + 1]))
        for g in range(groups - 1, -1, -1):
            self.reverse(bounds[g], bounds[g + 1], checkpoints.pop(), lam)
            if g:
                self.top -= 1


def _need(count: int) -> int:
    """Free buffers that reversing `count` ops needs at least: bisection holds one checkpoint
    per level (about log2(count)), a range short enough is stored whole."""
    if count <= 1:
        return 0
    return min(count - 1, 1 + _need(-(-count // 2)))


def _groups(count: int, free: int) -> int:
    """Segments to split `count` ops into with `free` buffers (count - 1 > free): about
    sqrt(count), fewer when the checkpoints would leave a segment too few buffers."""
    for groups in range(max(2, math.isqrt(count)), 2, -1):
        if free - (groups - 1) >= _need(-(-count // groups)):
            return groups
    return 2


def _pool_size(n_ops: int, chunk_rows: int, n_qubits: int) -> int:
    """Buffers of the state pool: every state when they fit in `CHECKPOINT_BYTES`, else as many
    as fit, but never fewer than bisection needs (the initial state, ~log2 K checkpoints and
    one buffer for the final state)."""
    per_state = 16 * chunk_rows * 4**n_qubits
    return max(_need(n_ops) + 2, min(n_ops + 1, CHECKPOINT_BYTES // per_state))


def _adjoint_chunk(sweep: _Sweep, n_qubits: int, measured: list[_Measured],
                   cotangent: Callable[[np.ndarray], np.ndarray]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Values ``(b, M)`` and gradients ``(b, P)`` of one chunk (module notes)."""
    d = 2**n_qubits
    k_ops = len(sweep.ops)
    rho0 = sweep.pool[0, : sweep.theta.shape[0]]
    rho0[:] = 0.0
    rho0[:, 0] = 1.0
    sweep.top = 1
    stored = None
    if k_ops <= sweep.pool.shape[0] - 1:  # every state fits: store them on the values pass
        stored = [rho0]
        for k in range(k_ops):
            stored.append(sweep.push(stored[-1], k, k + 1))
        final = stored.pop()
        sweep.top -= 1
    else:
        final = sweep.push(rho0, 0, k_ops)  # its buffer is the first the sweep stores into again
        sweep.top = 1
    values = _values(final, measured, d)
    lam = _adjoint_operator(measured, cotangent(values), d)
    sweep.reverse(0, k_ops, rho0, lam, stored)
    return values, sweep.grads


# -------------------------------------------------------------------------------- public API
def _prepare(ansatz: Ansatz, params: object) -> np.ndarray:
    if not isinstance(ansatz, Ansatz):
        raise InputError(f"`ansatz` must be an etr Ansatz, got {type(ansatz).__name__}")
    check_density_width(ansatz.n_qubits)
    return check_params(ansatz, params)


def density_matrices(ansatz: Ansatz, params: np.ndarray, noise: NoiseModel | None = None, *,
                     chunk_size: int | None = None) -> np.ndarray:
    """Final density matrices of `ansatz` under `noise` for every parameter vector.

    Parameters
    ----------
    ansatz : the circuit (at most `MAX_DENSITY_QUBITS` qubits).
    params : shape ``(B, P)`` or ``(P,)``.
    noise : the noise model (default: noiseless). Readout noise does not change states.
    chunk_size : rows simulated together (default: about 2**16 matrix entries per chunk).

    Returns
    -------
    numpy.ndarray
        ``(B, 2**n, 2**n)`` complex128; qubit 0 is the most significant bit (QuTiP order).

    Raises
    ------
    etr.errors.InputError
        Too many qubits, `params` of the wrong shape, `chunk_size` < 1.

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(1, [("X", 0)])
    >>> density_matrices(a, np.zeros((1, 0)), NoiseModel(amplitude_damping=0.3)).real
    array([[[0.3, 0. ],
            [0. , 0.7]]])
    """
    noise = _as_noise(noise)
    theta = _prepare(ansatz, params)
    n = ansatz.n_qubits
    d = 2**n
    ops = _program(ansatz)
    out = np.empty((theta.shape[0], d, d), dtype=np.complex128)
    for rows in _chunks(theta.shape[0], n, chunk_size):
        out[rows] = _forward(ops, theta[rows], n, noise).reshape(-1, d, d)
    return out


def purity(states: np.ndarray) -> np.ndarray:
    """tr(rho^2) of every density matrix in ``(B, d, d)`` (1 for pure states, 1/d for I/d).

    Examples
    --------
    >>> purity(np.array([np.eye(2) / 2, [[1, 0], [0, 0]]]))
    array([0.5, 1. ])
    """
    rho = np.asarray(states)
    if rho.ndim != 3 or rho.shape[1] != rho.shape[2]:
        raise InputError(f"`states` must have shape (B, d, d), got {rho.shape}")
    # tr(rho^2) = sum |rho_ij|^2 for Hermitian rho
    return np.einsum("bij,bij->b", rho.conj(), rho).real


def _as_noise(noise: object) -> NoiseModel:
    if noise is None:
        return NoiseModel()
    if not isinstance(noise, NoiseModel):
        raise InputError(f"`noise` must be an etr.quantum.NoiseModel, got {type(noise).__name__}")
    return noise


@dataclass(frozen=True, slots=True)
class DensityMatrixBackend:
    """Exact mixed-state simulation under a `NoiseModel` (see the module notes).

    Parameters
    ----------
    noise : NoiseModel, default noiseless
        Channels after every gate and readout noise on the measured bits.

    Notes
    -----
    ``states`` yields ``(rows, block)`` with blocks ``(b, 2**n, 2**n)`` complex (readout noise
    excluded: it acts on outcomes); ``expectations`` and ``expectation_vjp`` include readout
    noise. Gradients are exact (adjoint through the dual channels, all parameters in one sweep;
    `wrt` is accepted and ignored). Circuits wider than `MAX_DENSITY_QUBITS` are refused.

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> b = DensityMatrixBackend(NoiseModel(depolarizing=0.1))
    >>> a = Ansatz.from_gates(1, [("RY", 0)])
    >>> v, g = b.expectation_vjp(a, [[0.3]], ["Z"], [[1.0]])
    >>> bool(np.allclose(v, 0.9 * np.cos(0.3))), bool(np.allclose(g, -0.9 * np.sin(0.3)))
    (True, True)
    """

    noise: NoiseModel = field(default_factory=NoiseModel)
    name: ClassVar[str] = "density"
    exact: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "noise", _as_noise(self.noise))

    def states(self, ansatz: Ansatz, params: np.ndarray, *, chunk_size: int | None = None
               ) -> Iterator[tuple[slice, np.ndarray]]:
        """``(rows, density matrices (b, 2**n, 2**n))`` per chunk."""
        theta = _prepare(ansatz, params)
        n = ansatz.n_qubits
        ops = _program(ansatz)
        for rows in _chunks(theta.shape[0], n, chunk_size):
            yield rows, _forward(ops, theta[rows], n, self.noise).reshape(-1, 2**n, 2**n)

    def expectations(self, ansatz: Ansatz, params: np.ndarray, observables: object, *,
                     chunk_size: int | None = None) -> np.ndarray:
        """tr(O_m rho_b) with readout noise, shape ``(B, M)``."""
        theta = _prepare(ansatz, params)
        n = ansatz.n_qubits
        measured = [_measured(o, self.noise) for o in as_observables(observables, n)]
        ops = _program(ansatz)
        out = np.empty((theta.shape[0], len(measured)))
        for rows in _chunks(theta.shape[0], n, chunk_size):
            out[rows] = _values(_forward(ops, theta[rows], n, self.noise), measured, 2**n)
        return out

    def expectation_vjp(self, ansatz: Ansatz, params: np.ndarray, observables: object,
                        cotangent: Cotangent, *, wrt: np.ndarray | None = None,
                        chunk_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Values ``(B, M)`` and exact gradients ``(B, P)`` of ``sum_m w[b, m] <O_m>`` (one
        forward and one backward sweep per chunk; all parameters, `wrt` is ignored)."""
        theta = _prepare(ansatz, params)
        n = ansatz.n_qubits
        measured = [_measured(o, self.noise) for o in as_observables(observables, n)]
        weights = row_cotangent(cotangent, theta.shape[0], len(measured))
        ops = _program(ansatz)
        values = np.empty((theta.shape[0], len(measured)))
        grads = np.empty_like(theta)
        pool = None
        for rows in _chunks(theta.shape[0], n, chunk_size):
            if pool is None:
                b = rows.stop - rows.start
                pool = np.empty((_pool_size(len(ops), b, n), b, 4**n), dtype=np.complex128)
            sweep = _Sweep(ops, theta[rows], self.noise, pool)
            values[rows], grads[rows] = _adjoint_chunk(
                sweep, n, measured, lambda v, r=rows: weights(v, r))
        return values, grads
