"""Exact gradients: the adjoint method on the fast path and the parameter-shift rule.

Adjoint method (Jones and Gacon 2020): simulate forward to |psi>, set |lambda> = O|psi>, then walk
the fused operations backwards, un-applying each from both states. For a rotation
R_P(t) = exp(-i t P / 2) sitting right before the current position,
d<O>/dt = Im <lambda| P |psi>. Inside a fused single-qubit operation U = F_m ... F_1 the
derivative of factor j is Im <lambda| A P_j A^dagger |psi> with A = F_m ... F_(j+1); with the
2x2 reduced matrix R[a, c] = sum_rest conj(lambda_a) psi_c of that qubit, every factor costs only
2x2 algebra after one pass over the amplitudes. Gates sharing a slot add their derivatives.
From `etr.quantum.statevector.ROW_ENGINE_QUBITS` qubits on the sweep runs row by row
(`etr.quantum._kernels_rows.adjoint_rows`): commuting operations share one position for their
derivatives, and phi is restored from forward checkpoints instead of un-applied.

The parameter-shift rule (two terms for RX/RY/RZ, four terms for CRX/CRY/CRZ) uses only forward
simulation and is the independent check of the adjoint code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from etr._validation import check_choice
from etr.circuits.ansatz import Ansatz, unshared
from etr.errors import InputError
from etr.quantum import _kernels as K
from etr.quantum import _kernels_rows as KR
from etr.quantum import _kernels_split as KS
from etr.quantum._params import check_params
from etr.quantum.compile import U1, Compiled, Diag, bit_vector, compile_ansatz, stride
from etr.quantum.observables import Observable
from etr.quantum.program import lower
from etr.quantum.statevector import (
    adjoint_chunk_size,
    apply_op,
    as_observables,
    chunks,
    default_chunk_size,
    diagonal,
    diagonal_coefficients,
    expectation_values,
    join,
    product_state,
    row_engine,
    row_values,
    simulate,
    u1_matrix,
    z_qubits,
)

__all__ = [
    "BACKENDS",
    "ShiftRule",
    "expectation_and_gradient",
    "expectation_vjp",
    "jacobian",
    "parameter_shift_gradient",
    "shift_rule",
    "shifted_expectations",
]

BACKENDS: tuple[str, ...] = ("fast", "qutip")


def _adjoint_lambda(phi: np.ndarray, observables: list[Observable],
                    weights: np.ndarray) -> np.ndarray:
    """|lambda> = sum_m weights[b, m] O_m |phi_b> in the layout of `phi`; diagonal Pauli strings
    in one pass."""
    diag = [m for m, o in enumerate(observables) if o.kind == "pauli" and o.perm is None]
    if diag:
        coef = np.stack([observables[m].coef.real for m in diag])  # (M_diag, 2**n)
        lam = phi * (weights[:, diag] @ coef)
    else:
        lam = np.zeros_like(phi)
    rest = [m for m in range(len(observables)) if m not in diag]
    if rest:
        psi = join(phi)
        other = sum(weights[:, m, None] * observables[m].apply(psi) for m in rest)
        if lam.ndim == 3:
            lam[0] += other.real
            lam[1] += other.imag
        else:
            lam += other.real  # real state, real observables
    return lam


def _u1_grads(op: U1, lam: np.ndarray, phi: np.ndarray, theta: np.ndarray, n: int,
              grads: np.ndarray, unapply: bool) -> bool:
    """Add the derivatives of the factors of `op`; un-apply it too if fused. True if done."""
    fused = op.control is None
    split = phi.ndim == 3
    if fused:
        udag = np.ascontiguousarray(np.conj(np.swapaxes(u1_matrix(op, theta), 1, 2)))
        if split:
            r = KS.u1_reduce(lam[0], lam[1], phi[0], phi[1], stride(op.qubit, n), udag,
                             unapply)
        else:
            r = K.u1_reduce(lam, phi, stride(op.qubit, n), np.ascontiguousarray(udag.real),
                            unapply)
    elif split:
        r = KS.cu1_reduce(lam[0], lam[1], phi[0], phi[1], stride(op.control, n),
                          stride(op.qubit, n))
    else:
        r = K.cu1_reduce(lam, phi, stride(op.control, n), stride(op.qubit, n))
    codes, slots, consts = op.factor_arrays()
    K.u1_factor_grads(np.ascontiguousarray(r, dtype=np.complex128), theta, codes, slots, consts,
                      grads)
    return fused


def _diag_grads(op: Diag, lam: np.ndarray, phi: np.ndarray, n: int, grads: np.ndarray) -> None:
    # Im(conj(lam) phi); a parametric phase gate makes the circuit complex, so phi is split
    w = lam[0] * phi[1] - lam[1] * phi[0]
    for control, target, slot in op.params:
        z = 1.0 - 2.0 * bit_vector(target, n)
        if control is not None:
            z = z * bit_vector(control, n)
        grads[:, slot] += w @ z


def _adjoint_ops(compiled: Compiled, theta: np.ndarray, observables: list[Observable],
                 cotangent: Callable[[np.ndarray], np.ndarray]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """`_adjoint_chunk` operation by operation: each fused operation's kernel runs over all
    rows of the chunk (`etr.quantum._kernels`, `_kernels_split`), its derivatives from the
    reduced 2x2 matrix of both states, then it is un-applied from both."""
    n = compiled.n_qubits
    theta = np.ascontiguousarray(theta)  # and so `grads` (the pinned layout of the kernels)
    phi = simulate(compiled, theta, split=not all(o.is_real for o in observables), rows=False)
    values = expectation_values(phi, observables)
    lam = _adjoint_lambda(phi, observables, cotangent(values))
    grads = np.zeros_like(theta)
    ops = compiled.all_ops
    first = next((k for k, op in enumerate(ops) if getattr(op, "parametric", False)), len(ops))
    for k in range(len(ops) - 1, first - 1, -1):
        op = ops[k]
        if isinstance(op, U1) and op.parametric:
            if _u1_grads(op, lam, phi, theta, n, grads, unapply=k > first):
                continue
        elif isinstance(op, Diag) and op.parametric:
            _diag_grads(op, lam, phi, n, grads)
        if k > first:
            apply_op(op, phi, theta, n, inverse=True)
            apply_op(op, lam, theta, n, inverse=True)
    return values, grads


@dataclass(frozen=True)
class _Readout:
    """What the row-by-row adjoint needs to know of its observables, worked out once per call
    instead of once per chunk: diagonal (the tail and values row by row), real (a real state
    may stay real), and the Z qubits or diagonal coefficients of diagonal observables."""

    diag: bool
    split: bool
    qubits: np.ndarray | None
    coef: np.ndarray | None


def _readout(observables: list[Observable], n_qubits: int) -> _Readout:
    diag = diagonal(observables)
    qubits = z_qubits(observables) if diag else None
    coef = diagonal_coefficients(observables, n_qubits) if diag and qubits is None else None
    return _Readout(diag, not all(o.is_real for o in observables), qubits, coef)


def _adjoint_rows(compiled: Compiled, theta: np.ndarray, observables: list[Observable],
                  cotangent: Callable[[np.ndarray], np.ndarray], readout: _Readout | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """`_adjoint_chunk` row by row (`etr.quantum._kernels_rows.adjoint_rows`)."""
    prog = lower(compiled)
    ro = _readout(observables, compiled.n_qubits) if readout is None else readout
    phi, ck, halves = simulate(compiled, theta, split=ro.split, diagonal_observables=ro.diag,
                               checkpoints=True, rows=True)
    split = phi.ndim == 3
    phi_re, phi_im = (phi[0], phi[1]) if split else (phi, phi)
    if ro.diag:  # values and lambda row by row too: a row's bits do not depend on its chunk
        values = row_values(phi, observables, ro.qubits, ro.coef)
        weights = np.ascontiguousarray(cotangent(values), dtype=np.float64)
        lam = np.empty_like(phi)
        lam_re, lam_im = (lam[0], lam[1]) if split else (lam, lam)
        if ro.qubits is not None:
            KR.z_lambda(phi_re, phi_im, split, ro.qubits, weights, lam_re, lam_im)
        else:
            KR.diag_lambda(phi_re, phi_im, split, ro.coef, weights, lam_re, lam_im)
    else:
        values = expectation_values(phi, observables)
        lam = _adjoint_lambda(phi, observables, cotangent(values))
        lam_re, lam_im = (lam[0], lam[1]) if split else (lam, lam)
    grads = np.zeros_like(theta)
    KR.adjoint_rows(np.ascontiguousarray(theta), phi_re, phi_im, lam_re, lam_im, grads, split,
                    prog.n_ops(ro.diag), prog.init, prog.ops, prog.fcode, prog.fslot,
                    prog.fconst, prog.fixed_re, prog.fixed_im, prog.pops, prog.zslot,
                    compiled.n_qubits, ck, halves)
    return values, grads


def _adjoint_chunk(compiled: Compiled, theta: np.ndarray, observables: list[Observable],
                   cotangent: Callable[[np.ndarray], np.ndarray], *, rows: bool | None = None,
                   readout: _Readout | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Values (B, M) and gradient (B, P) of sum_m w[b, m] <O_m>, w = cotangent(values).

    One forward simulation serves both: the values, then the backward sweep with the weights the
    caller derives from them. Row by row from `ROW_ENGINE_QUBITS` qubits on (`row_engine`),
    operation by operation below (`rows` forces one or the other; both give the same numbers to
    rounding).
    """
    if row_engine(compiled, rows):
        return _adjoint_rows(compiled, theta, observables, cotangent, readout)
    return _adjoint_ops(compiled, theta, observables, cotangent)


def _check_cotangent(cotangent: object, n_rows: int, n_obs: int) -> np.ndarray:
    arr = np.asarray(cotangent, dtype=np.float64)
    if arr.ndim == 1 and n_rows == 1:
        arr = arr[None, :]
    if arr.shape != (n_rows, n_obs):
        raise InputError(f"`cotangent` must have shape ({n_rows}, {n_obs}), got {arr.shape}")
    bad = int(np.count_nonzero(~np.isfinite(arr)))
    if bad:
        raise InputError(f"`cotangent` must be finite, got {bad} non-finite value(s) of "
                         f"{arr.size} (a diverged loss upstream?)")
    return arr


#: a cotangent: an array (B, M), or a function (values (b, M), rows: slice) -> (b, M) of the
#: expectation values of the rows `rows` (called once per chunk, with the values just computed).
Cotangent = np.ndarray | Callable[[np.ndarray, slice], np.ndarray]


def row_cotangent(cotangent: Cotangent, n_rows: int, n_obs: int
                  ) -> Callable[[np.ndarray, slice], np.ndarray]:
    """`cotangent` as a checked function of (values, rows), whatever form it was given in."""
    if callable(cotangent):
        def fn(values: np.ndarray, rows: slice) -> np.ndarray:
            return _check_cotangent(cotangent(values, rows), values.shape[0], n_obs)
        return fn
    weights = _check_cotangent(cotangent, n_rows, n_obs)
    return lambda values, rows: weights[rows]


def expectation_vjp(ansatz: Ansatz, params: np.ndarray, observables: object,
                    cotangent: Cotangent, *, chunk_size: int | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Vector-Jacobian product of the expectation values (one forward and one adjoint pass).

    ``grads[b] = d/d params[b] of sum_m w[b, m] * <O_m>(params[b])`` with ``w = cotangent``,
    computed with a single backward sweep using the combined observable sum_m w[b, m] O_m (what
    backpropagation through a hybrid network needs).

    Parameters
    ----------
    ansatz : the circuit.
    params : shape ``(B, P)`` or ``(P,)``.
    observables : one observable or a sequence of ``M`` observables.
    cotangent : shape ``(B, M)``: upstream gradient of the loss w.r.t. each expectation value; or
        a function ``(values, rows) -> w`` called once per chunk with the values ``(b, M)`` of
        rows ``rows`` (a slice of ``range(B)``), returning their weights ``(b, M)``. The function
        form lets a caller whose upstream gradient depends on the values (a classical
        post-network, a loss) use the forward pass the backward sweep needs anyway: one
        simulation instead of two.
    chunk_size : rows per chunk.

    Returns
    -------
    values : ``(B, M)`` expectation values (as `etr.quantum.expectations`).
    grads : ``(B, P)``.

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(1, [("RY", 0)])
    >>> v, g = expectation_vjp(a, [[0.3]], ["Z"], [[2.0]])
    >>> np.allclose(g, -2 * np.sin(0.3))
    True
    >>> v, g = expectation_vjp(a, [[0.3]], ["Z"], lambda values, rows: 2 * values)
    >>> np.allclose(g, -2 * np.cos(0.3) * np.sin(0.3))  # d/dt of <Z>**2
    True
    """
    theta = check_params(ansatz, params)
    obs = as_observables(observables, ansatz.n_qubits)
    weights = row_cotangent(cotangent, theta.shape[0], len(obs))
    compiled = compile_ansatz(ansatz)
    values = np.empty((theta.shape[0], len(obs)))
    grads = np.empty_like(theta)
    readout = None
    if row_engine(compiled):
        readout = _readout(obs, ansatz.n_qubits)
        if chunk_size is None:
            chunk_size = adjoint_chunk_size(compiled)
    for rows in chunks(theta.shape[0], ansatz.n_qubits, chunk_size):
        values[rows], grads[rows] = _adjoint_chunk(
            compiled, theta[rows], obs, lambda v, r=rows: weights(v, r), readout=readout)
    return values, grads


def expectation_and_gradient(ansatz: Ansatz, params: np.ndarray, observable: object, *,
                             chunk_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """<O> and its gradient w.r.t. every parameter, by the adjoint method.

    Returns
    -------
    values : ``(B,)``.
    grads : ``(B, P)``.

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(2, [("RX", 0), ("CRY", 0, 1)])
    >>> v, g = expectation_and_gradient(a, [0.4, 0.7], "IZ")
    >>> g.shape
    (1, 2)
    """
    theta = check_params(ansatz, params)
    obs = as_observables(observable, ansatz.n_qubits)
    if len(obs) != 1:
        raise InputError("`observable` must be a single observable")
    values, grads = expectation_vjp(ansatz, theta, obs, np.ones((theta.shape[0], 1)),
                                    chunk_size=chunk_size)
    return values[:, 0], grads


def jacobian(ansatz: Ansatz, params: np.ndarray, observables: object, *,
             chunk_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Values ``(B, M)`` and Jacobian ``(B, M, P)`` of the expectation values (M adjoint passes).

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(2, [("RY", 0), ("RY", 1)])
    >>> v, jac = jacobian(a, [0.2, 0.5], ["ZI", "IZ"])
    >>> np.round(jac[0], 4) + 0.0
    array([[-0.1987,  0.    ],
           [ 0.    , -0.4794]])
    """
    theta = check_params(ansatz, params)
    obs = as_observables(observables, ansatz.n_qubits)
    n_b, n_m = theta.shape[0], len(obs)
    values = np.empty((n_b, n_m))
    jac = np.empty((n_b, n_m, ansatz.n_params))
    for m, o in enumerate(obs):
        values[:, m], jac[:, m, :] = expectation_and_gradient(ansatz, theta, o,
                                                              chunk_size=chunk_size)
    return values, jac


# ----------------------------------------------------------------------------- parameter shift
_TWO_TERM = ((np.pi / 2, 0.5), (-np.pi / 2, -0.5))
_C_PLUS = (np.sqrt(2) + 1) / (4 * np.sqrt(2))
_C_MINUS = (np.sqrt(2) - 1) / (4 * np.sqrt(2))
_FOUR_TERM = (
    (np.pi / 2, _C_PLUS), (-np.pi / 2, -_C_PLUS),
    (3 * np.pi / 2, -_C_MINUS), (-3 * np.pi / 2, _C_MINUS),
)


@dataclass(frozen=True, eq=False)
class ShiftRule:
    """The parameter-shift terms of a circuit, for any parameter rows.

    Term t evaluates `circuit` (the circuit with every parametric gate on its own slot) at the
    row's parameters with slot ``gate[t]`` moved by ``shift[t]``; the derivative w.r.t. the
    original slot ``slots[gate[t]]`` collects ``coef[t]`` times that value.

    Attributes
    ----------
    circuit : the unshared circuit (slot i = parametric gate i of the original).
    slots : (G,) original slot of every unshared slot.
    gate, shift, coef : (T,) the terms.
    n_params : parameters of the original circuit.
    """

    circuit: Ansatz
    slots: np.ndarray
    gate: np.ndarray
    shift: np.ndarray
    coef: np.ndarray
    n_params: int

    @property
    def n_terms(self) -> int:
        return int(self.gate.shape[0])

    def shifted(self, theta: np.ndarray) -> np.ndarray:
        """Rows ``(B * T, G)`` of the shifted circuits, ordered row-major as (row, term)."""
        base = theta[:, self.slots] if self.slots.size else np.zeros((theta.shape[0], 0))
        rows = np.repeat(base, self.n_terms, axis=0)
        terms = np.tile(np.arange(self.n_terms), theta.shape[0])
        rows[np.arange(rows.shape[0]), self.gate[terms]] += self.shift[terms]
        return rows

    def combine(self, values: np.ndarray) -> np.ndarray:
        """Gradients ``(B, P)`` from the values ``(B, T)`` of the shifted circuits."""
        scatter = np.zeros((self.n_terms, self.n_params))
        np.add.at(scatter, (np.arange(self.n_terms), self.slots[self.gate]), self.coef)
        return values @ scatter


def shift_rule(ansatz: Ansatz, wrt: np.ndarray | None = None) -> ShiftRule:
    """The parameter-shift terms of `ansatz`, only for the slots `wrt` (default all).

    Two terms (+-pi/2, coefficients +-1/2) for RX/RY/RZ, four terms (+-pi/2 with
    +-(sqrt2+1)/(4 sqrt2), +-3pi/2 with -+(sqrt2-1)/(4 sqrt2)) for CRX/CRY/CRZ; gates sharing a
    slot each get their own terms.

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> rule = shift_rule(Ansatz.from_gates(2, [("RX", 0), ("CRY", 0, 1)]))
    >>> rule.n_terms, rule.coef[:2].tolist()
    (6, [0.5, -0.5])
    """
    free, slots, pgates = unshared(ansatz)
    wanted = None if wrt is None else set(np.asarray(wrt, dtype=int).ravel().tolist())
    gate: list[int] = []
    shift: list[float] = []
    coef: list[float] = []
    for i, g in enumerate(pgates):
        if wanted is not None and slots[i] not in wanted:
            continue
        for sh, c in (_FOUR_TERM if g.kind.controlled else _TWO_TERM):
            gate.append(i)
            shift.append(sh)
            coef.append(c)
    return ShiftRule(free, np.asarray(slots, dtype=np.int64), np.asarray(gate, dtype=np.int64),
                     np.asarray(shift), np.asarray(coef), ansatz.n_params)


def _op_slots(op: object) -> list[int]:
    if isinstance(op, U1):
        return [f[2] for f in op.factors if f[0] == "rot"]
    if isinstance(op, Diag):
        return [slot for _, _, slot in op.params]
    return []


def _branch(rule: ShiftRule, base: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """Rows (row, term) of the unshared parameters `base` with the shifts of `terms`."""
    th = np.repeat(base, len(terms), axis=0)
    tt = np.tile(terms, base.shape[0])
    th[np.arange(th.shape[0]), rule.gate[tt]] += rule.shift[tt]
    return th


def shifted_expectations(rule: ShiftRule, params: np.ndarray, observables: object, *,
                         chunk_size: int | None = None) -> np.ndarray:
    """Exact <O_m> of every shifted circuit of `rule` at every row of `params`: ``(B, T, M)``.

    The same numbers as ``expectations(rule.circuit, rule.shifted(params))`` (to rounding), for
    about half the work: the shifted circuits of a row share the state before the shifted gate,
    so the forward simulation branches at each fused operation holding shifted slots, and only
    the rest of the circuit runs per term (the terms of the first layer, folded into the product
    state, run whole).

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> rule = shift_rule(Ansatz.from_gates(1, [("RY", 0), ("RX", 0)]))
    >>> v = shifted_expectations(rule, [[0.3, 0.2]], ["Z"])
    >>> np.allclose(v[0, :, 0], np.cos(0.3 + rule.shift * (rule.gate == 0))
    ...             * np.cos(0.2 + rule.shift * (rule.gate == 1)))
    True
    """
    obs = as_observables(observables, rule.circuit.n_qubits)
    theta = np.atleast_2d(np.asarray(params, dtype=np.float64))
    if theta.ndim != 2 or theta.shape[1] != rule.n_params:
        raise InputError(f"`params` must have shape (B, {rule.n_params}), got {theta.shape}")
    compiled = compile_ansatz(rule.circuit)
    n = compiled.n_qubits
    where = {slot: -1 for op in compiled.initial for slot in _op_slots(op)}
    where.update({slot: k for k, op in enumerate(compiled.ops) for slot in _op_slots(op)})
    groups: dict[int, np.ndarray] = {}
    for t, g in enumerate(rule.gate.tolist()):
        groups.setdefault(where[g], []).append(t)
    groups = {k: np.asarray(v) for k, v in groups.items()}
    widest = max((len(v) for k, v in groups.items() if k >= 0), default=1)
    size = max(1, default_chunk_size(n) // widest) if chunk_size is None else chunk_size
    out = np.empty((theta.shape[0], rule.n_terms, len(obs)))
    split = not compiled.real
    for rows in chunks(theta.shape[0], n, size):
        base = theta[rows][:, rule.slots] if rule.slots.size else theta[rows][:, :0]
        n_b = base.shape[0]
        if -1 in groups:  # shifted slots of the product state: whole circuits, in chunks
            terms = groups[-1]
            th = _branch(rule, base, terms)
            values = np.empty((th.shape[0], len(obs)))
            for part in chunks(th.shape[0], n, None):
                values[part] = expectation_values(simulate(compiled, th[part], split=split), obs)
            out[rows, terms] = values.reshape(n_b, len(terms), -1)
        state = product_state(compiled, base, split=split)
        for k, op in enumerate(compiled.ops):
            if k in groups:
                terms = groups[k]
                th = _branch(rule, base, terms)
                sub = np.repeat(state, len(terms), axis=-2)
                for later in compiled.ops[k:]:
                    apply_op(later, sub, th, n)
                out[rows, terms] = expectation_values(sub, obs).reshape(n_b, len(terms), -1)
            apply_op(op, state, base, n)
    return out


def parameter_shift_gradient(ansatz: Ansatz, params: np.ndarray, observable: object, *,
                             backend: str = "fast") -> np.ndarray:
    """Gradient of <O> by the parameter-shift rule, shape ``(B, P)``.

    Each parametric gate is shifted on its own (`shift_rule`): two terms for RX/RY/RZ, four for
    CRX/CRY/CRZ; gates sharing a slot add up. Only forward simulations are used, so this is
    independent of the adjoint code.

    Parameters
    ----------
    ansatz, params, observable : as for `expectation_and_gradient`.
    backend : ``"fast"`` (batched statevectors) or ``"qutip"`` (`QubitCircuit.run` per vector).

    References
    ----------
    Mitarai et al. 2018; Schuld et al. 2019 (two-term rule); Anand et al. 2021 (four-term rule for
    controlled rotations).

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(2, [("RX", 0), ("CRY", 0, 1)])
    >>> g = parameter_shift_gradient(a, [0.4, 0.7], "IZ")
    >>> np.allclose(g, expectation_and_gradient(a, [0.4, 0.7], "IZ")[1])
    True
    """
    check_choice("backend", backend, BACKENDS)
    theta = check_params(ansatz, params)
    obs = as_observables(observable, ansatz.n_qubits)
    if len(obs) != 1:
        raise InputError("`observable` must be a single observable")
    rule = shift_rule(ansatz)
    if rule.n_terms == 0:
        return np.zeros_like(theta)
    batch = rule.shifted(theta)
    if backend == "fast":
        from etr.quantum.statevector import expectations

        vals = expectations(rule.circuit, batch, obs)[:, 0]
    else:
        from etr.quantum.qutip_backend import qutip_statevectors

        vals = obs[0].expectation(qutip_statevectors(rule.circuit, batch))
    return rule.combine(vals.reshape(theta.shape[0], rule.n_terms))
