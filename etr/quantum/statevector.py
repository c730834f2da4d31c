"""The fast batched statevector simulator (agrees with `qutip_statevector` to 1e-10).

Rows of a ``(B, P)`` parameter array are simulated together, in chunks whose state block stays
within a few MB (`chunk_size` rows), through the fused operations of `etr.quantum.compile`: below
`ROW_ENGINE_QUBITS` qubits operation by operation, each kernel call running one fused operation
over the whole chunk (`apply_op`); from it on row by row, one compiled call running the whole
circuit for every row of the chunk (`etr.quantum.program`, `etr.quantum._kernels_rows`). The two
agree to rounding (1e-12; `tests/quantum` runs its state and gradient tests on both).

Internal layouts (`simulate`): a real circuit runs on a float64 array ``(b, 2**n)``; a complex
one on its real and imaginary parts, a float64 array ``(2, b, 2**n)`` (the kernels of
`etr.quantum._kernels_split`, which vectorise where interleaved complex128 does not). `forward`
and the public functions return ordinary float64 / complex128 ``(b, 2**n)`` arrays.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import qutip

from etr._validation import check_int
from etr.circuits.ansatz import Ansatz
from etr.quantum import _kernels as K
from etr.quantum import _kernels_rows as KR
from etr.quantum import _kernels_split as KS
from etr.quantum._params import check_params
from etr.quantum.compile import U1, Compiled, Diag, Perm, compile_ansatz, stride
from etr.quantum.observables import Observable, parse_observable
from etr.quantum.program import lower

__all__ = ["default_chunk_size", "expectations", "statevectors"]

_CHUNK_AMPLITUDES = 2**16


def default_chunk_size(n_qubits: int) -> int:
    """Rows per chunk so that one chunk of states holds about 2**16 amplitudes (1 MB complex)."""
    return max(1, _CHUNK_AMPLITUDES >> n_qubits)


#: bytes of the states, adjoint states and checkpoints of one chunk of the row-by-row adjoint
#: sweep (`adjoint_chunk_size`): the 2 MB L2 cache of a core holds them from the forward pass to
#: the backward one. Measured on the 10-qubit, 10-layer training step (9 checkpoints, 176 KB a
#: row): 64 rows a chunk (11 MB) 0.571 s, 16 rows 0.520 s, 8 rows 0.511 s, 4 rows 0.554 s (the
#: Python work of a chunk, about 50 us, takes over below 8), alternating in one process.
_ADJOINT_CHUNK_BYTES = 3 * 2**19


def adjoint_chunk_size(compiled: Compiled) -> int:
    """Rows per chunk of the row-by-row adjoint sweep: as many as keep the chunk's forward
    states, adjoint states and checkpoints (complex) within `_ADJOINT_CHUNK_BYTES`, at least one
    and at most `default_chunk_size`. A row's results do not depend on its chunk."""
    row = (2 + lower(compiled).n_checkpoints) * 16 * 2**compiled.n_qubits
    return max(1, min(default_chunk_size(compiled.n_qubits), _ADJOINT_CHUNK_BYTES // row))


def chunks(n_rows: int, n_qubits: int, chunk_size: int | None) -> Iterator[slice]:
    """Row slices of at most `chunk_size` rows (default `default_chunk_size`)."""
    size = default_chunk_size(n_qubits) if chunk_size is None else chunk_size
    size = check_int("chunk_size", size, minimum=1)
    for start in range(0, n_rows, size):
        yield slice(start, min(start + size, n_rows))


def u1_matrix(op: U1, theta: np.ndarray) -> np.ndarray:
    """Product of the factors of `op`, shape ``(B, 2, 2)`` complex."""
    codes, slots, consts = op.factor_arrays()
    return K.build_u1(np.ascontiguousarray(theta), codes, slots, consts)


def apply_op(op: object, state: np.ndarray, theta: np.ndarray, n: int, *,
             inverse: bool = False) -> None:
    """Apply a fused operation (or its inverse) to `state` in place (either layout)."""
    split = state.ndim == 3
    if isinstance(op, U1):
        mat = u1_matrix(op, theta)
        if inverse:
            mat = np.ascontiguousarray(np.conj(np.swapaxes(mat, 1, 2)))
        if split:
            if op.control is None:
                KS.u1_apply(state[0], state[1], stride(op.qubit, n), mat)
            else:
                KS.cu1_apply(state[0], state[1], stride(op.control, n), stride(op.qubit, n), mat)
            return
        if state.dtype != np.complex128:
            mat = np.ascontiguousarray(mat.real)
        if op.control is None:
            K.u1_apply(state, stride(op.qubit, n), mat)
        else:
            K.cu1_apply(state, stride(op.control, n), stride(op.qubit, n), mat)
    elif isinstance(op, Diag):
        if op.phase is not None:
            phase = np.conj(op.phase) if inverse else op.phase
            if not split:
                K.diag_apply(state, phase)
            elif np.isrealobj(phase):
                K.diag_apply(state[0], phase)
                K.diag_apply(state[1], phase)
            else:
                KS.diag_apply(state[0], state[1], phase)
        sign = 1.0 if inverse else -1.0
        for control, target, slot in op.params:
            e = np.exp(sign * 0.5j * theta[:, slot])
            if control is None:
                if split:
                    KS.phase1_apply(state[0], state[1], stride(target, n), e)
                else:
                    K.phase1_apply(state, stride(target, n), e)
            elif split:
                KS.cphase1_apply(state[0], state[1], stride(control, n), stride(target, n), e)
            else:
                K.cphase1_apply(state, stride(control, n), stride(target, n), e)
    elif isinstance(op, Perm):
        a, b = op.pair
        for part in (state[0], state[1]) if split else (state,):
            if op.name == "CNOT":
                K.cnot_apply(part, stride(a, n), stride(b, n))
            else:
                K.swap_apply(part, stride(a, n), stride(b, n))
    else:  # pragma: no cover - exhaustive
        raise TypeError(f"unknown operation {op!r}")


def product_state(compiled: Compiled, theta: np.ndarray, *, split: bool) -> np.ndarray:
    """The state after the leading single-qubit operations, built as a batched tensor product:
    ``(b, 2**n)`` float64 for a real circuit, else ``(2, b, 2**n)`` (``split``)."""
    n = compiled.n_qubits
    n_b = theta.shape[0]
    cols = np.zeros((n, n_b, 2), dtype=np.complex128)
    cols[:, :, 0] = 1.0
    for op in compiled.initial:
        cols[op.qubit] = u1_matrix(op, theta)[:, :, 0]
    if not split:
        state = np.empty((n_b, 2**n))
        K.product_state(np.ascontiguousarray(cols.real), state)
        return state
    # The complex product, then its parts: one kernel for both layouts (the same operations, so
    # the same bits; the copy is one pass over the state, once per forward pass).
    full = np.empty((n_b, 2**n), dtype=np.complex128)
    K.product_state(cols, full)
    state = np.empty((2, n_b, 2**n))
    state[0] = full.real
    state[1] = full.imag
    return state


def diagonal(observables: list[Observable]) -> bool:
    """True if every observable is diagonal (Pauli Z strings, the |0..0> projector): then the
    diagonal tail of a circuit changes none of their values (`etr.quantum.program`)."""
    return all(o.kind == "global" or (o.kind == "pauli" and o.perm is None) for o in observables)


#: widths from which the row-by-row kernels run a circuit (`etr.quantum._kernels_rows`), one
#: qubit more for real circuits (`REAL_EXTRA_QUBITS`); below, the fused operations run one by one
#: over the whole chunk. Measured on hybrid_full training steps (4 x 200 rows, L = 5, CPU time,
#: both engines alternating in one process) of HEA circuits (RY+RZ / RY / RX+RY+RZ, CZ / CNOT) and
#: Sim circuits 6 and 11: a row of 16-128 amplitudes leaves the row engine's fixed cost per
#: operation and row (~60 ns) larger than the kernel work (at 4 qubits 10-50 % slower, at 7
#: qubits 0.78-1.13x as fast); at 8 qubits the complex circuits run 1.07-1.38x as fast, the real
#: ones 0.8-0.85x (the operation-by-operation kernels run real circuits on float64 arrays of the
#: whole chunk already); at 9 qubits all 1.09-1.67x.
ROW_ENGINE_QUBITS = 8
REAL_EXTRA_QUBITS = 1


def row_engine(compiled: Compiled, rows: bool | None = None) -> bool:
    """Whether `compiled` runs on the row-by-row kernels (`rows` overrides)."""
    if rows is not None:
        return rows
    extra = REAL_EXTRA_QUBITS if compiled.real else 0
    return compiled.n_qubits >= ROW_ENGINE_QUBITS + extra


def simulate(compiled: Compiled, theta: np.ndarray, *, split: bool = False,
             diagonal_observables: bool = False, checkpoints: bool = False,
             rows: bool | None = None) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Final states of one chunk in the internal layout (see the module notes): float64
    ``(b, 2**n)`` for a real circuit unless `split`, else ``(2, b, 2**n)``.

    From `ROW_ENGINE_QUBITS` qubits on (`row_engine`, or with `rows`), the rows run one after
    the other through the whole circuit in one compiled call (`etr.quantum._kernels_rows`); with
    `diagonal_observables` the circuit's diagonal tail is then left out (the states differ from
    the final ones by a diagonal phase, which changes no value of a diagonal observable, and
    may stay real where the tail is complex), and with `checkpoints` the states before each run
    of commuting operations (``(C, b, 1 or 2, 2**n)``, real and imaginary parts), which the
    adjoint sweep restores, and the rows' half-angle tables (``(b, P, 2)``) are returned too.
    Otherwise the fused operations run one by one over the chunk (`apply_op`).
    """
    if not row_engine(compiled, rows):
        split = split or not compiled.real
        state = product_state(compiled, theta, split=split)
        for op in compiled.ops:
            apply_op(op, state, theta, compiled.n_qubits)
        return state
    prog = lower(compiled)
    split = split or not prog.real(diagonal_observables)
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    n_b, dim = theta.shape[0], 2**compiled.n_qubits
    shape = (2, n_b, dim) if split else (n_b, dim)
    state = np.empty(shape)
    ck = np.empty((prog.n_checkpoints if checkpoints else 0, n_b, 2 if split else 1, dim))
    halves = np.empty((n_b if checkpoints else 1, theta.shape[1], 2))
    re, im = (state[0], state[1]) if split else (state, state)
    KR.forward_rows(theta, re, im, split, prog.n_ops(diagonal_observables), prog.init, prog.ops,
                    prog.fcode, prog.fslot, prog.fconst, prog.fixed_re, prog.fixed_im, prog.pops,
                    compiled.n_qubits, ck, halves, checkpoints)
    return (state, ck, halves) if checkpoints else state


def join(state: np.ndarray) -> np.ndarray:
    """A state of either internal layout as ``(b, 2**n)`` float64 or complex128."""
    if state.ndim == 3:
        out = np.empty(state.shape[1:], dtype=np.complex128)
        out.real = state[0]
        out.imag = state[1]
        return out
    return state


def forward(compiled: Compiled, theta: np.ndarray, *, complex_state: bool = False) -> np.ndarray:
    """Final states of one chunk ``(b, 2**n)``: float64 for real circuits unless
    `complex_state`, complex128 otherwise."""
    state = join(simulate(compiled, theta))
    return state.astype(np.complex128) if complex_state else state


def statevectors(ansatz: Ansatz, params: np.ndarray, *, chunk_size: int | None = None
                 ) -> np.ndarray:
    """Final states of `ansatz` for every parameter vector (the fast batched path).

    Parameters
    ----------
    ansatz : the circuit (compiled once and cached).
    params : shape ``(B, P)`` or ``(P,)`` with ``P = ansatz.n_params``.
    chunk_size : rows simulated together (default: about 2**16 amplitudes per chunk), bounds the
        working memory to a few MB plus the ``(B, 2**n)`` output.

    Returns
    -------
    numpy.ndarray
        Shape ``(B, 2**n)`` complex128; qubit 0 is the most significant bit (QuTiP order).

    Raises
    ------
    etr.errors.InputError
        `params` of the wrong shape, or `chunk_size` < 1.

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(2, [("H", 0), ("CNOT", 0, 1)])
    >>> np.round(statevectors(a, np.zeros((1, 0))).real, 4)
    array([[0.7071, 0.    , 0.    , 0.7071]])
    """
    theta = check_params(ansatz, params)
    compiled = compile_ansatz(ansatz)
    out = np.empty((theta.shape[0], 2**ansatz.n_qubits), dtype=np.complex128)
    for rows in chunks(theta.shape[0], ansatz.n_qubits, chunk_size):
        out[rows] = forward(compiled, theta[rows])
    return out


def as_observables(observables: object, n_qubits: int) -> list[Observable]:
    """One observable or a sequence of them, parsed."""
    if isinstance(observables, str | qutip.Qobj | Observable):
        return [parse_observable(observables, n_qubits)]
    if not isinstance(observables, Sequence) or len(observables) == 0:
        from etr.errors import InputError

        raise InputError("`observables` must be one observable or a non-empty sequence of them")
    return [parse_observable(o, n_qubits) for o in observables]


def diagonal_coefficients(observables: list[Observable], n_qubits: int) -> np.ndarray:
    """The diagonals of diagonal observables as rows ``(M, 2**n)`` (see `diagonal`)."""
    coef = np.zeros((len(observables), 2**n_qubits))
    for m, o in enumerate(observables):
        if o.kind == "global":
            coef[m, 0] = 1.0
        else:
            coef[m] = o.coef.real
    return coef


def z_qubits(observables: list[Observable]) -> np.ndarray | None:
    """The qubits of single-qubit Z observables (``"IZI"``), or None if any observable is
    another kind (the readout of every hybrid model is one Z per qubit)."""
    out = []
    for o in observables:
        if o.kind != "pauli" or o.perm is not None or o.label.count("Z") != 1:
            return None
        if set(o.label) - {"I", "Z"}:
            return None
        out.append(o.label.index("Z"))
    return np.asarray(out, dtype=np.int64)


def row_values(state: np.ndarray, observables: list[Observable],
               qubits: np.ndarray | None = None, coef: np.ndarray | None = None) -> np.ndarray:
    """`expectation_values` of diagonal observables row by row in numba
    (`etr.quantum._kernels_rows.diag_values`): no BLAS call, so a row's values are the same bits
    whatever chunk it is in. `qubits` (`z_qubits`) or `coef` (`diagonal_coefficients`) may be
    given, worked out once for many chunks."""
    split = state.ndim == 3
    re, im = (state[0], state[1]) if split else (state, state)
    n_qubits = int(re.shape[1]).bit_length() - 1
    out = np.empty((re.shape[0], len(observables)))
    if qubits is None and coef is None:
        qubits = z_qubits(observables)
    if qubits is not None:
        KR.z_values(re, im, split, qubits, out)
    else:
        coef = diagonal_coefficients(observables, n_qubits) if coef is None else coef
        KR.diag_values(re, im, split, coef, out)
    return out


def expectation_values(state: np.ndarray, observables: list[Observable]) -> np.ndarray:
    """<O_m> of every row of a state in either internal layout, shape ``(b, M)``; the
    probabilities are computed once for all diagonal observables."""
    probs = state[0] ** 2 + state[1] ** 2 if state.ndim == 3 else state**2
    psi = None
    out = np.empty((probs.shape[0], len(observables)))
    for m, o in enumerate(observables):
        if o.kind == "global":
            out[:, m] = probs[:, 0]
        elif o.kind == "pauli" and o.perm is None:
            out[:, m] = probs @ o.coef.real
        else:
            psi = join(state) if psi is None else psi
            out[:, m] = o.expectation(psi)
    return out


def expectations(ansatz: Ansatz, params: np.ndarray, observables: object, *,
                 chunk_size: int | None = None) -> np.ndarray:
    """Expectation values <psi(theta_b)| O_m |psi(theta_b)>, shape ``(B, M)``.

    Parameters
    ----------
    ansatz : the circuit.
    params : shape ``(B, P)`` or ``(P,)``.
    observables : one observable (``"global"``, a Pauli string, a Qobj) or a sequence of them.
    chunk_size : rows per chunk (see `statevectors`).

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(2, [("RX", 0)])
    >>> np.round(expectations(a, [[np.pi / 3]], ["ZI", "IZ", "global"]), 4)
    array([[0.5 , 1.  , 0.75]])
    """
    theta = check_params(ansatz, params)
    obs = as_observables(observables, ansatz.n_qubits)
    compiled = compile_ansatz(ansatz)
    out = np.empty((theta.shape[0], len(obs)))
    for rows in chunks(theta.shape[0], ansatz.n_qubits, chunk_size):
        state = simulate(compiled, theta[rows], diagonal_observables=diagonal(obs))
        by_row = diagonal(obs) and row_engine(compiled)
        out[rows] = row_values(state, obs) if by_row else expectation_values(state, obs)
    return out
