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
from etr.quantum.gradients import Cotangent, row_cotangent, shift_rule
from etr.quantum.observables import Observable
from etr.quantum.statevector import as_observables

__all__ = ["ShotBackend", "sample_expectations"]

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
