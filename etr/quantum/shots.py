"""Finite shots: expectation values and gradients as a device estimates them from S measurements.

A Pauli string P has eigenvalues +-1; measuring it S times gives S outcomes +-1 with
P(+1) = (1 + <P>) / 2, so the estimate (mean of the outcomes) is ``2 k / S - 1`` with
k ~ Binomial(S, (1 + <P>) / 2): unbiased, variance (1 - <P>^2) / S. The global projector
|0...0><0...0| has outcomes 0/1 and gives k / S with k ~ Binomial(S, <O>), variance
<O> (1 - <O>) / S. Each (circuit, observable) pair is drawn on its own, as if every observable were
measured with its own S shots; a device that reads several commuting Paulis (e.g. every Z_q) from
the same S bit strings has the same marginal distribution per estimate but correlated estimates
across observables.

Gradients are what a device can measure: parameter-shift evaluations (`etr.quantum.shift_rule`;
two terms for RX/RY/RZ, four for the controlled rotations), each shifted circuit measured with S
shots. Their exact outcome probabilities come from the exact backend's ``shifted_expectations``
when it has one (the statevector backend shares each row's state before the shifted gate between
its shifted circuits, about half the simulation work), else from its ``expectations``. A
gradient w.r.t. a slot needs 2 (or 4) circuits per parametric gate on that slot, so a gradient of
P parameters costs about 2P circuits per row, against one forward and one backward sweep for the
exact adjoint method; a true derivative smaller than ~ 1/sqrt(S) is lost in the noise.

How much noise: `shot_gradient_noise` gives, without sampling, the exact gradient and the variance
of `ShotBackend.expectation_vjp`'s estimate of it at the same parameters, so the gradient's
signal-to-noise ratio is known exactly rather than estimated from repeated runs.

Randomness: a `ShotBackend` owns one `numpy.random.Generator` (its `seed`); draws happen in a fixed
order (row-major over rows, shift terms and observables, forward values before shifted ones), so
the same seed and the same calls give the same numbers whatever `chunk_size` is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np

from etr._rng import SeedLike, as_generator
from etr._validation import check_int
from etr.circuits.ansatz import Ansatz
from etr.errors import InputError
from etr.quantum._params import check_params
from etr.quantum.backend import Backend, as_backend
from etr.quantum.gradients import Cotangent, ShiftRule, row_cotangent, shift_rule
from etr.quantum.observables import Observable
from etr.quantum.statevector import as_observables

__all__ = ["ShotBackend", "sample_expectations", "shot_gradient_noise", "shot_variance"]

#: shifted circuit rows evaluated together (bounds the (rows x terms, P) parameter block).
_SHIFT_ROWS = 2**14


def _check_sampleable(observables: list[Observable]) -> None:
    for o in observables:
        if o.kind == "matrix":
            raise InputError("`observables` must be Pauli strings or 'global' with finite shots "
                             "(a matrix observable has no measurement model here)")


def sample_expectations(exact: np.ndarray, observables: list[Observable], shots: int,
                        seed: SeedLike = None) -> np.ndarray:
    """Finite-shot estimates of exact expectation values ``(R, M)`` (see the module notes).

    Parameters
    ----------
    exact : ``(R, M)`` exact values; column m belongs to ``observables[m]``.
    observables : Pauli strings (outcomes +-1) or the global projector (outcomes 0/1).
    shots : S >= 1 measurements per (row, observable).
    seed : int, Generator or None; draws are row-major.

    Returns
    -------
    numpy.ndarray
        ``(R, M)`` estimates, each the mean of S outcomes.

    Examples
    --------
    >>> from etr.quantum import parse_observable
    >>> est = sample_expectations(np.full((20000, 1), 0.6), [parse_observable("Z", 1)], 10,
    ...                           seed=0)
    >>> round(float(est.mean()), 2), round(float(est.var()), 3)  # 0.6 and (1 - 0.36) / 10
    (0.6, 0.064)
    """
    s = check_int("shots", shots, minimum=1)
    values = np.asarray(exact, dtype=float)
    _check_sampleable(observables)
    pauli = np.array([o.kind != "global" for o in observables])
    prob = np.where(pauli, 0.5 * (1.0 + values), values)
    k = as_generator(seed).binomial(s, np.clip(prob, 0.0, 1.0))
    mean = k / s
    return np.where(pauli, 2.0 * mean - 1.0, mean)


class ShotBackend:
    """Finite-shot estimates on top of an exact backend (see the module notes).

    Parameters
    ----------
    shots : int >= 1
        S, measurements per circuit and observable.
    seed : int, Generator or None
        The backend's own random stream (e.g. one spawned from a run's seed).
    exact : Backend, default the statevector backend
        Where the exact outcome probabilities come from.

    Notes
    -----
    ``expectations`` returns estimates; ``expectation_vjp`` returns estimated values, the
    cotangent evaluated at those values, and parameter-shift gradients from independently measured
    shifted circuits (only for the slots `wrt`, zeros elsewhere). ``states`` raises: a device
    gives outcomes, not states.

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(1, [("RY", 0)])
    >>> b = ShotBackend(100, seed=1)
    >>> v, g = b.expectation_vjp(a, np.full((4000, 1), 0.5), ["Z"], np.ones((4000, 1)))
    >>> bool(abs(g.mean() + np.sin(0.5)) < 0.01)  # unbiased: d cos(t)/dt = -sin(t)
    True
    """

    name: ClassVar[str] = "shots"
    exact: ClassVar[bool] = False

    def __init__(self, shots: int, seed: SeedLike = None, *, exact: Backend | None = None) -> None:
        self.shots = check_int("shots", shots, minimum=1)
        self.rng = as_generator(seed)
        self.base = as_backend(exact)
        if not self.base.exact:
            raise InputError("`exact` must be an exact backend (no sampling noise)")

    def __repr__(self) -> str:
        return f"ShotBackend(shots={self.shots}, exact={self.base.name!r})"

    def states(self, ansatz: Ansatz, params: np.ndarray, *, chunk_size: int | None = None
               ) -> Iterator[tuple[slice, np.ndarray]]:
        """Not available: raises `InputError` (measurements give outcomes, not states)."""
        raise InputError("a finite-shot backend has no states; use the exact backend for "
                         "state-based metrics")

    def expectations(self, ansatz: Ansatz, params: np.ndarray, observables: object, *,
                     chunk_size: int | None = None) -> np.ndarray:
        """Estimates ``(B, M)``, each the mean of `shots` outcomes."""
        obs = as_observables(observables, ansatz.n_qubits)
        _check_sampleable(obs)
        exact = self.base.expectations(ansatz, params, obs, chunk_size=chunk_size)
        return sample_expectations(exact, obs, self.shots, self.rng)

    def expectation_vjp(self, ansatz: Ansatz, params: np.ndarray, observables: object,
                        cotangent: Cotangent, *, wrt: np.ndarray | None = None,
                        chunk_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Estimated values ``(B, M)`` and parameter-shift gradients ``(B, P)`` from estimates.

        ``grads[b, j] = sum_t coef_t sum_m w[b, m] est_m(theta_b + shift_t e_gate(t))`` over the
        shift terms of slot j, with w the cotangent at the estimated values; slots outside `wrt`
        (default: all) stay 0.
        """
        theta = check_params(ansatz, params)
        obs = as_observables(observables, ansatz.n_qubits)
        values = self.expectations(ansatz, theta, obs, chunk_size=chunk_size)
        n_b = theta.shape[0]
        weights = row_cotangent(cotangent, n_b, len(obs))(values, slice(0, n_b))
        rule = shift_rule(ansatz, wrt)
        grads = np.zeros_like(theta)
        if rule.n_terms == 0:
            return values, grads
        shifted = getattr(self.base, "shifted_expectations", None)
        step = max(1, _SHIFT_ROWS // rule.n_terms)
        for start in range(0, n_b, step):
            rows = slice(start, min(start + step, n_b))
            if shifted is not None:
                exact = shifted(rule, theta[rows], obs, chunk_size=chunk_size)
            else:
                exact = self.base.expectations(rule.circuit, rule.shifted(theta[rows]), obs,
                                               chunk_size=chunk_size)
            est = sample_expectations(exact.reshape(-1, len(obs)), obs, self.shots, self.rng)
            est = est.reshape(-1, rule.n_terms, len(obs))
            grads[rows] = rule.combine(np.einsum("btm,bm->bt", est, weights[rows]))
        return values, grads


def shot_variance(exact: np.ndarray, observables: list[Observable], shots: int) -> np.ndarray:
    """Variance of the S-shot estimate of each exact value ``(..., M)`` (see the module notes):
    ``(1 - <P>^2) / S`` for a Pauli string, ``<O> (1 - <O>) / S`` for the global projector.

    Examples
    --------
    >>> from etr.quantum import parse_observable
    >>> shot_variance(np.array([[0.6]]), [parse_observable("Z", 1)], 10)  # (1 - 0.36) / 10
    array([[0.064]])
    """
    values = np.asarray(exact, dtype=float)
    pauli = np.array([o.kind != "global" for o in observables])
    var = np.where(pauli, 1.0 - values**2, values * (1.0 - values))
    return np.clip(var, 0.0, None) / check_int("shots", shots, minimum=1)


#: relative step of the central differences of a cotangent function (`shot_gradient_noise`).
_FD_STEP = 1e-5


def shot_gradient_noise(ansatz: Ansatz, params: np.ndarray, observables: object,
                        cotangent: Cotangent, shots: int, *, wrt: np.ndarray | None = None,
                        exact: Backend | None = None, chunk_size: int | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """The exact gradient and the shot-noise variance of its parameter-shift estimate, per row.

    `ShotBackend.expectation_vjp` estimates ``g[b, j] = sum_m w_m(z_b) dz_bm / dtheta_j`` (w the
    cotangent, z the values) from independently drawn S-shot estimates: the values ``z_hat``
    (which the cotangent is evaluated at) and, for every shift term t of slot j, the values
    ``z_hat(t)`` of the shifted circuit, combined as ``sum_t c_t sum_m w_m(z_hat) z_hat_m(t)``.
    Every estimate is unbiased with variance ``v = (1 - <P>^2) / S`` (`shot_variance`) and the
    draws are independent, so (law of total variance over the values' draw, then the delta
    method for the cotangent)

        Var g_hat[b, j] = sum_t c_t^2 sum_m E[w_m^2] v_m(t)
                          + sum_m' (sum_m D[b, m, j] dw_m / dz_m')^2 v_m'
        E[w_m^2] = w_m^2 + sum_m' (dw_m / dz_m')^2 v_m'

    with ``D[b, m, j] = sum_t c_t z_m(t)`` the exact derivative. The first term is the
    shift-rule noise ((Var+ + Var-) / 4 per two-term gate and observable, weighted by w^2; the
    correction of E[w^2], of order 1/S^2, matters only where w is near 0); the second carries
    the noise of the values through the cotangent (the post-network's backward pass evaluated
    at estimated values): it is proportional to the signal, so it matters where gradients are
    large, not where they vanish. A fixed cotangent array has neither correction.

    Parameters
    ----------
    ansatz, params, observables, cotangent, wrt, chunk_size : as for
        `ShotBackend.expectation_vjp` (slots outside `wrt` get 0 gradient and 0 variance).
    shots : S >= 1.
    exact : the exact backend the probabilities come from (default the statevector one).

    Returns
    -------
    (grads, variance) : two ``(B, P)`` arrays: the exact gradient (the shift rule on exact
        values) and the variance of its S-shot estimate.

    Notes
    -----
    The derivatives dw/dz of a cotangent function are central differences (step 1e-5 relative
    to the value's scale): the cotangent is any function of the values (a post-network's
    backward pass), with no derivative of its own; its smoothness makes the difference accurate
    to ~1e-10, far below what a variance needs. Cost: one forward pass and the shifted circuits
    of the slots in `wrt` (what one finite-shot gradient costs), plus 2 M cotangent calls.

    Examples
    --------
    One RY(t) on |0>, <Z> = cos t, w = 1: the gradient is -sin t and the two shifted values
    cos(t +- pi/2) = -+sin t each have variance cos(t)^2 / S, so Var = 2 (1/2)^2 cos^2 t / S.

    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(1, [("RY", 0)])
    >>> g, var = shot_gradient_noise(a, [[0.5]], ["Z"], np.ones((1, 1)), 100)
    >>> np.allclose(g, -np.sin(0.5)), np.allclose(var, 0.5 * np.cos(0.5) ** 2 / 100)
    (True, True)
    """
    s = check_int("shots", shots, minimum=1)
    base = as_backend(exact)
    if not base.exact:
        raise InputError("`exact` must be an exact backend (no sampling noise)")
    theta = check_params(ansatz, params)
    obs = as_observables(observables, ansatz.n_qubits)
    _check_sampleable(obs)
    n_b = theta.shape[0]
    values = base.expectations(ansatz, theta, obs, chunk_size=chunk_size)
    weight_fn = row_cotangent(cotangent, n_b, len(obs))
    rule = shift_rule(ansatz, wrt)
    grads = np.zeros_like(theta)
    variance = np.zeros_like(theta)
    if rule.n_terms == 0:
        return grads, variance
    squares = np.zeros((rule.n_terms, rule.n_params))
    np.add.at(squares, (np.arange(rule.n_terms), rule.slots[rule.gate]), rule.coef**2)
    step = max(1, _SHIFT_ROWS // rule.n_terms)
    for start in range(0, n_b, step):
        rows = slice(start, min(start + step, n_b))
        grads[rows], variance[rows] = _noise_chunk(
            base, rule, theta[rows], obs, values[rows], rows, weight_fn, callable(cotangent),
            squares, s, chunk_size)
    return grads, variance


def _noise_chunk(base: Backend, rule: ShiftRule, theta: np.ndarray, obs: list[Observable],
                 values: np.ndarray, rows: slice, weight_fn, fn_of_values: bool,
                 squares: np.ndarray, shots: int, chunk_size: int | None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """`shot_gradient_noise` on the rows `rows` (bounded memory: (rows, terms, M) values)."""
    n_b, n_m = theta.shape[0], len(obs)
    weights = weight_fn(values, rows)
    shifted = getattr(base, "shifted_expectations", None)
    if shifted is not None:
        z_t = shifted(rule, theta, obs, chunk_size=chunk_size)
    else:
        z_t = base.expectations(rule.circuit, rule.shifted(theta), obs,
                                chunk_size=chunk_size).reshape(n_b, rule.n_terms, n_m)
    deriv = np.stack([rule.combine(z_t[:, :, m]) for m in range(n_m)], axis=1)  # (B, M, P)
    grads = np.einsum("bm,bmp->bp", weights, deriv)
    v_t = shot_variance(z_t, obs, shots)
    w2 = weights**2  # becomes E[w(z_hat)^2] = w^2 + Var w(z_hat) below
    variance = np.zeros_like(grads)
    if fn_of_values:  # dw_m / dz_m' by central differences, one observable m' at a time
        v0 = shot_variance(values, obs, shots)
        for m2 in range(n_m):
            h = _FD_STEP * max(1.0, float(np.max(np.abs(values[:, m2]), initial=0.0)))
            up, down = values.copy(), values.copy()
            up[:, m2] += h
            down[:, m2] -= h
            dw = (weight_fn(up, rows) - weight_fn(down, rows)) / (2.0 * h)
            variance += np.einsum("bmp,bm->bp", deriv, dw) ** 2 * v0[:, m2, None]
            w2 = w2 + dw**2 * v0[:, m2, None]
    variance += np.einsum("btm,bm,tp->bp", v_t, w2, squares)
    return grads, variance
