"""Trainability definitions computed from training trajectories and Fisher information.

A *run* draws K random initialisations of one model (from one seed) and trains each for T optimiser
steps. The functions here turn the recorded arrays into the trainability definitions of the
dataset contract (`etr.contract.TRAINABILITY_DEFINITIONS`; `etr.hybrid.run` maps each registered
name to the function computing it). All are *higher = more trainable* except `steps_to_target`
(fewer steps = more trainable); the effective dimension is registered as a capacity measure. Only
gradients with respect to the quantum parameters theta enter (the classical parameters of a hybrid
model are not part of the barren-plateau question).

grad_var
    At initialisation: variance across the K inits of dLoss/dtheta_k on a fixed batch (the whole
    training set), averaged over the quantum parameters k (the barren-plateau view, McClean et
    al. 2018). At initialisation ``hybrid_quantum_only`` and ``hybrid_full`` are the *same model*
    (same architecture, seed and initial parameters), so their `grad_var` is identical by
    construction.
grad_var_landscape
    The barren-plateau statistic of the landscape the classical parts create: for each of the K
    classical parameter sets at their *trained* values (``hybrid_full``: trained end to end;
    ``hybrid_quantum_only``: the frozen initial ones), S fresh theta ~ U[0, 2 pi)^P, the
    variance over theta of dLoss/dtheta_k on the fixed batch, averaged over k and the K sets::

        grad_var_landscape = mean_j mean_k Var_s[dL/dtheta_k(theta_s; c_j)]   (ddof=1)

    Since the loss is 2 pi-periodic in every theta_k, E_theta[dL/dtheta_k | c] = 0, so the
    across-init variance of `grad_var` equals E_c[Var_theta(dL/dtheta_k | c)] with c at its
    initial distribution: for ``hybrid_quantum_only`` (c frozen at init) and ``pure_pqc`` (no c)
    `grad_var_landscape` estimates the same quantity as `grad_var` from independent, more numerous
    draws (K x S instead of K); for ``hybrid_full`` it sees the landscape after training.
grad_var_readout
    The barren-plateau statistic of the PQC's *own output*, free of the post-network's scale:
    with ``O = mean_q Z_q`` (the readout of every qubit averaged; the ``pure_pqc`` observable),
    for each of the K classical parameter sets at its trained values and each training input x
    as the (trained) pre-network turns it into the circuit's angles a(x), S fresh
    theta ~ U[0, 2 pi)^P, the variance over theta of d<O>(a(x), theta)/dtheta_k, averaged over
    k, the inputs and the K sets::

        grad_var_readout = mean_j mean_x mean_k Var_s[d<O>/dtheta_k(a_j(x), theta_s)]  (ddof=1)

    Why: every loss-gradient definition multiplies the circuit's gradient by the post-network's
    Jacobian (dL/dz_q = dL/dlogit * dlogit/dz_q). A post-network trained end to end grows its
    weights as it fits, so ``hybrid_full`` gradients grow with it (median ``grad_var_train`` /
    ``grad_var`` in the quick dataset: 1.63 for teacher and 0.71 for synthetic hybrid_full,
    0.45-0.52 where the post-network is frozen or absent): a difference between configurations
    that says nothing about the circuit's landscape. This definition sees the classical parts
    only through the input distribution they give the circuit (the trained pre-network's
    angles), which is what end-to-end training can change about the PQC's landscape. Without a
    pre-network the configuration plays no part (the two hybrid configurations of one run seed
    give the same value): it is the circuit's landscape on the task's data. Since <O> is
    2 pi-periodic in every theta_k, E_theta[d<O>/dtheta_k] = 0 and the variance is
    E_theta[(d<O>/dtheta_k)^2]. Measured (``benchmarks/pilot_design.py``, 6 tasks x 10
    instances x 8 circuits): its hybrid_full / hybrid_quantum_only ratio is 0.99-1.004 where
    ``grad_var_landscape``'s is 590-7100 and ``grad_var_train``'s 1.3-4.5, and 99.5-99.9% of its
    variance over circuits x instances is between circuits: the trained pre-network hardly moves
    the circuit's landscape.
grad_var_train
    The across-init variance at every step of a fixed early window t = 0 .. W-1 (W = min(window,
    T), `etr.plan.RunSettings.early_steps`, default 10), averaged over those steps and the
    quantum parameters. A fixed window, not the whole trajectory: models that fit have vanishing
    gradients late in training, and averaging over the trajectory would rank them untrainable.
grad_norm
    Root-mean-square quantum gradient sqrt(mean_k g_k^2) over the same early window, averaged over
    inits and steps.
loss_decrease
    (L_0 - L_B) / L_0 after a budget of B optimiser steps (`etr.plan.RunSettings.budget`:
    the task's registered budget unless the settings name one, at most T), averaged over inits;
    L is the loss on the whole training set. A budget shorter than the run keeps the
    definition off its ceiling of 1, where end-to-end training of an easy task ends.
steps_to_target
    Per init, the first number of optimiser steps t >= 1 after which the training loss (on the
    whole training set, not a mini-batch) is at most
    ``L_target = L_0 - f (L_0 - L_floor)`` (f = `etr.plan.RunSettings.target_fraction`,
    default 0.25; L_floor = 0, the infimum of binary cross-entropy, so the target is
    ``(1 - f) L_0``); an init that never gets there within T steps is right-censored at T. The
    run's value is the lower median over the K inits, the ceil(K/2)-th smallest time (the step by
    which half of the inits, rounded up, had reached the target); it is censored (reported as T
    with ``steps_to_target_censored`` true) when fewer than ceil(K/2) inits reach the target,
    i.e. when more than half never do.
effective_dimension
    Normalised effective dimension (Abbas et al. 2021) of the model's output distribution
    with respect to the quantum parameters, for ``n`` data points (see `effective_dimension`;
    `etr.hybrid.evaluate_run` uses ``n = RunSettings.ed_data_size``, default 1000, and the
    Bernoulli output p = sigmoid(logit) of the classifier): a capacity measure.
grad_snr (finite-shot runs only; a diagnostic of the measurement, not a trainability definition)
    At initialisation, on the whole training set (the gradient `grad_var` reads): the RMS of the
    exact quantum gradient over the RMS shot-noise standard deviation of its S-shot
    parameter-shift estimate at the same parameters, over the K inits and P parameters::

        grad_snr = sqrt(mean_{k,j} g_kj^2 / mean_{k,j} sigma_kj^2)

    with sigma^2 from `etr.quantum.shot_gradient_noise` (exact, no sampling). Why this form: the
    expected squared estimate is E g_hat^2 = g^2 + sigma^2, so a finite-shot `grad_var` exceeds
    the exact one by about mean sigma^2, i.e. by the factor 1 + 1 / grad_snr^2 when the mean
    gradient over inits is ~0 (periodic landscapes): an SNR of 30 moves it by 0.1%, an SNR of 1
    doubles it, and below 1 the optimiser follows mostly noise. A ratio of means rather than a
    mean of ratios, because single gradient components cross zero. It scales as sqrt(S).

Variances use ``ddof=1`` (unbiased).

References
----------
McClean et al. 2018, Nat. Commun. 9, 4812 (arXiv 1803.11173).
Abbas et al. 2021, Nat. Comput. Sci. 1, 403 (arXiv 2011.00027).
Kashif & Shafique 2026, arXiv 2605.25768.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from etr._validation import check_float, check_int
from etr.errors import DegenerateDataWarning, InputError

__all__ = [
    "TARGET_LOSS_FLOOR",
    "StepsToTarget",
    "effective_dimension",
    "fisher_information",
    "grad_norm",
    "grad_snr",
    "grad_var",
    "grad_var_landscape",
    "grad_var_readout",
    "grad_var_train",
    "loss_decrease",
    "steps_to_target",
]

#: L_floor of `steps_to_target`: the infimum of binary cross-entropy.
TARGET_LOSS_FLOOR = 0.0


def _array(name: str, value: object, ndim: int) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim != ndim:
        raise InputError(f"`{name}` must be a {ndim}-d array, got shape {arr.shape}")
    return arr


def grad_var(grads: np.ndarray) -> float:
    """Across-init gradient variance at initialisation, averaged over parameters.

    Parameters
    ----------
    grads : array (K, P)
        dLoss/dtheta_k of K initialisations (K >= 2) on one fixed batch.

    Returns
    -------
    float
        ``mean_k var_K(grads[:, k])`` with ``ddof=1``.

    Examples
    --------
    >>> grad_var(np.array([[1.0, 0.0], [-1.0, 0.0]]))
    1.0
    """
    g = _array("grads", grads, 2)
    if g.shape[0] < 2:
        raise InputError(f"`grads` needs at least 2 initialisations, got {g.shape[0]}")
    return float(np.var(g, axis=0, ddof=1).mean())


def grad_snr(grads: np.ndarray, variance: np.ndarray) -> float:
    """Signal-to-noise ratio of finite-shot gradients: RMS exact gradient over RMS shot noise.

    Parameters
    ----------
    grads : array (K, P)
        Exact dLoss/dtheta of K initialisations.
    variance : array (K, P)
        Variance of the finite-shot estimate of each entry (`etr.quantum.shot_gradient_noise`).

    Returns
    -------
    float
        ``sqrt(mean(grads**2) / mean(variance))`` (see the module notes for why); inf when the
        variance is 0 (no shot noise), NaN when both are 0.

    Examples
    --------
    >>> round(grad_snr(np.array([[0.3, -0.4]]), np.array([[0.01, 0.01]])), 6)  # 0.354 / 0.1
    3.535534
    """
    g = _array("grads", grads, 2)
    v = _array("variance", variance, 2)
    if g.shape != v.shape:
        raise InputError(f"`variance` must have the shape of `grads` {g.shape}, got {v.shape}")
    if (v < 0).any():
        raise InputError("`variance` must be >= 0")
    signal, noise = float(np.mean(g**2)), float(np.mean(v))
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sqrt(np.float64(signal) / np.float64(noise)))


def _window(g: np.ndarray, window: int | None) -> np.ndarray:
    if window is None:
        return g
    return g[:check_int("window", window, minimum=1)]


def grad_var_train(grads: np.ndarray, *, window: int | None = None) -> float:
    """Across-init gradient variance at every step of the early window, averaged.

    Parameters
    ----------
    grads : array (T, K, P)
        Quantum gradients at steps t = 0 .. T-1 of K initialisations (K >= 2).
    window : int or None
        Use steps 0 .. min(window, T) - 1 only; None = every step.

    Returns
    -------
    float
        ``mean_t mean_k var_K(grads[t, :, k])`` with ``ddof=1``.

    Examples
    --------
    >>> g = np.stack([np.array([[1.0], [-1.0]]), np.array([[3.0], [-3.0]])])
    >>> grad_var_train(g)  # (2 + 18) / 2
    10.0
    >>> grad_var_train(g, window=1)
    2.0
    """
    g = _array("grads", grads, 3)
    if g.shape[1] < 2:
        raise InputError(f"`grads` needs at least 2 initialisations, got {g.shape[1]}")
    return float(np.var(_window(g, window), axis=1, ddof=1).mean())


def grad_norm(grads: np.ndarray, *, window: int | None = None) -> float:
    """RMS gradient sqrt(mean_k g_k^2), averaged over the early window's steps and the inits.

    Parameters
    ----------
    grads : array (T, K, P)
    window : int or None
        Use steps 0 .. min(window, T) - 1 only; None = every step.

    Returns
    -------
    float

    Examples
    --------
    >>> round(grad_norm(np.array([[[3.0, 4.0]], [[0.0, 0.0]]]) * np.sqrt(2.0)), 12)
    2.5
    >>> round(grad_norm(np.array([[[3.0, 4.0]], [[0.0, 0.0]]]) * np.sqrt(2.0), window=1), 12)
    5.0
    """
    g = _window(_array("grads", grads, 3), window)
    return float(np.sqrt(np.mean(g * g, axis=2)).mean())


def grad_var_landscape(grads: np.ndarray) -> float:
    """Variance over random theta of dL/dtheta_k, averaged over k and the classical sets.

    Parameters
    ----------
    grads : array (K, S, P)
        dLoss/dtheta at S uniform random theta for each of K classical parameter sets (S >= 2).

    Returns
    -------
    float
        ``mean_j mean_k var_S(grads[j, :, k])`` with ``ddof=1``.

    Examples
    --------
    >>> g = np.array([[[1.0], [-1.0]], [[2.0], [0.0]]])
    >>> grad_var_landscape(g)  # (2 + 2) / 2
    2.0
    """
    return _theta_variance(grads, 3)


def _theta_variance(grads: np.ndarray, ndim: int) -> float:
    """Mean over every other axis of the ``ddof=1`` variance over axis 1 (the theta samples)."""
    g = _array("grads", grads, ndim)
    if g.shape[1] < 2:
        raise InputError(f"`grads` needs at least 2 theta samples per set, got {g.shape[1]}")
    return float(np.var(g, axis=1, ddof=1).mean())


def grad_var_readout(grads: np.ndarray) -> float:
    """Variance over random theta of the readout gradient, averaged over k, inputs and sets.

    Parameters
    ----------
    grads : array (K, S, N, P)
        d<O>/dtheta at S uniform random theta for N inputs of each of K classical parameter
        sets (S >= 2).

    Returns
    -------
    float
        ``mean_j mean_x mean_k var_S(grads[j, :, x, k])`` with ``ddof=1``.

    Examples
    --------
    >>> g = np.array([[[[1.0]], [[-1.0]]], [[[2.0]], [[0.0]]]])  # K = 2, S = 2, N = 1, P = 1
    >>> grad_var_readout(g)  # (2 + 2) / 2
    2.0
    """
    return _theta_variance(grads, 4)


@dataclass(frozen=True, slots=True)
class StepsToTarget:
    """Steps until the training loss first reaches its target, per init and for the run.

    Attributes
    ----------
    steps : float
        The run's value: the ceil(K/2)-th smallest per-init time, or T when censored.
    censored : bool
        True when fewer than ceil(K/2) inits reached the target within T steps.
    per_init : (K,) int
        First step t >= 1 with L_t <= target (T for inits that never reach it).
    reached : (K,) bool
        Which inits reached it.
    target : (K,) float
        ``L_0 - fraction (L_0 - floor)`` per init.
    fraction, floor : the definition's settings.
    n_steps : T.
    method : a one-line description.
    """

    steps: float
    censored: bool
    per_init: np.ndarray
    reached: np.ndarray
    target: np.ndarray
    fraction: float
    floor: float
    n_steps: int
    method: str = "first crossing of L0 - f (L0 - floor); lower median over inits"

    def to_frame(self) -> pd.DataFrame:
        """One row per init: ``init, target, steps, reached``."""
        return pd.DataFrame({"init": np.arange(self.per_init.shape[0]), "target": self.target,
                             "steps": self.per_init, "reached": self.reached})


def steps_to_target(losses: np.ndarray, *, fraction: float = 0.25,
                    floor: float = TARGET_LOSS_FLOOR) -> StepsToTarget:
    """Optimiser steps until the training loss first reaches a fixed fraction of its reduction.

    Parameters
    ----------
    losses : array (T + 1, K)
        Training loss of K inits after t = 0 .. T optimiser steps (row 0: at initialisation),
        on a quantity not dominated by mini-batch noise (the whole training set).
    fraction : float in (0, 1]
        f: the target is ``L_0 - f (L_0 - floor)``.
    floor : float
        L_floor, the lowest loss the reduction is measured towards (default 0, the infimum of
        binary cross-entropy: the target is then ``(1 - f) L_0``).

    Returns
    -------
    StepsToTarget
        ``steps`` is the lower median over inits (the ceil(K/2)-th smallest first-crossing
        time); ``censored`` when fewer than ceil(K/2) inits reach the target, and then
        ``steps = T`` (never a made-up number).

    Raises
    ------
    etr.errors.InputError
        `losses` not 2-d with at least two rows, not finite, or `fraction` outside (0, 1].

    Examples
    --------
    >>> losses = np.array([[1.0, 1.0, 1.0], [0.8, 0.9, 1.0], [0.7, 0.8, 1.0], [0.6, 0.7, 1.0]])
    >>> r = steps_to_target(losses, fraction=0.25)  # targets 0.75
    >>> r.per_init.tolist(), r.reached.tolist(), r.steps, r.censored
    ([2, 3, 3], [True, True, False], 3.0, False)
    >>> steps_to_target(losses, fraction=0.35).censored  # targets 0.65: only one init reaches
    True
    """
    loss = _array("losses", losses, 2)
    if loss.shape[0] < 2 or loss.shape[1] < 1:
        raise InputError(f"`losses` must have shape (T + 1, K) with T, K >= 1, got {loss.shape}")
    if not np.all(np.isfinite(loss)):
        raise InputError("`losses` must be finite")
    f = check_float("fraction", fraction, positive=True, high=1.0)
    fl = check_float("floor", floor)
    n_steps = loss.shape[0] - 1
    target = loss[0] - f * (loss[0] - fl)
    hit = loss[1:] <= target
    reached = hit.any(axis=0)
    per_init = np.where(reached, hit.argmax(axis=0) + 1, n_steps)
    k = loss.shape[1]
    half = -(-k // 2)
    times = np.sort(np.where(reached, per_init, np.inf))
    censored = not np.isfinite(times[half - 1])
    return StepsToTarget(
        steps=float(n_steps if censored else times[half - 1]), censored=bool(censored),
        per_init=per_init.astype(np.int64), reached=reached, target=target, fraction=f,
        floor=fl, n_steps=n_steps,
    )


def loss_decrease(initial: np.ndarray, final: np.ndarray) -> float:
    """Mean relative loss decrease (L_0 - L_T) / L_0 over initialisations.

    Examples
    --------
    >>> loss_decrease([1.0, 0.5], [0.5, 0.5])
    0.25
    """
    l0 = _array("initial", initial, 1)
    lt = _array("final", final, 1)
    if l0.shape != lt.shape:
        raise InputError(f"`initial` and `final` must have the same shape, got {l0.shape} and "
                         f"{lt.shape}")
    return float(np.mean((l0 - lt) / l0))


def fisher_information(probs: np.ndarray, dprobs: np.ndarray) -> np.ndarray:
    """Fisher information of a categorical output distribution, averaged over data.

    ``F(theta) = mean_x sum_c (d p_c)(d p_c)^T / p_c`` (Abbas et al. 2021, Eq. 1); outcomes with
    ``p_c = 0`` contribute nothing.

    Parameters
    ----------
    probs : array (S, N, C)
        Output probabilities for S weight samples, N inputs and C outcomes.
    dprobs : array (S, N, C, d)
        Their derivatives with respect to the d parameters.

    Returns
    -------
    array (S, d, d)

    Examples
    --------
    RY(theta)|0> measured in Z: p = (cos^2(theta/2), sin^2(theta/2)); the Fisher information is 1.

    >>> t = 0.7
    >>> p = np.array([[[np.cos(t / 2) ** 2, np.sin(t / 2) ** 2]]])
    >>> dp = np.array([[[[-np.sin(t) / 2], [np.sin(t) / 2]]]])
    >>> float(fisher_information(p, dp)[0, 0, 0])
    1.0
    """
    p = _array("probs", probs, 3)
    dp = _array("dprobs", dprobs, 4)
    if dp.shape[:3] != p.shape:
        raise InputError(f"`dprobs` must have shape {p.shape} + (d,), got {dp.shape}")
    inv = np.divide(1.0, p, out=np.zeros_like(p), where=p > 0)
    return np.einsum("snc,snci,sncj->sij", inv, dp, dp) / p.shape[1]


def effective_dimension(
    fisher: np.ndarray, *, n_data: int, normalise: bool = True
) -> float:
    """Effective dimension of Abbas et al. 2021 from Fisher matrices at M weight samples.

    With ``F_hat = d F / mean_theta tr F`` and ``kappa = n / (2 pi log n)``::

        d_eff(n) = 2 [logsumexp_theta(0.5 logdet(I + kappa F_hat)) - log M] / log kappa

    Parameters
    ----------
    fisher : array (M, d, d)
        Data-averaged Fisher information at M weight samples (see `fisher_information`).
    n_data : int
        The number of data points n of the formula; needs ``kappa > 1`` (n >= 20).
    normalise : bool
        Divide by d, giving a value that tends to 1 for a full-rank, well-conditioned model as
        n grows (it may slightly exceed 1 at small n).

    Returns
    -------
    float
        NaN (with a `DegenerateDataWarning`) if every Fisher matrix is zero.

    Examples
    --------
    One parameter with Fisher information 1 everywhere: d_eff = log(1 + kappa) / log(kappa).

    >>> n = 1000
    >>> kappa = n / (2 * np.pi * np.log(n))
    >>> round(effective_dimension(np.ones((4, 1, 1)), n_data=n), 6)
    1.013543
    >>> round(float(np.log1p(kappa) / np.log(kappa)), 6)
    1.013543
    """
    f = _array("fisher", fisher, 3)
    if f.shape[1] != f.shape[2] or f.shape[1] == 0:
        raise InputError(f"`fisher` must have shape (M, d, d) with d >= 1, got {f.shape}")
    n = check_int("n_data", n_data, minimum=2)
    kappa = n / (2.0 * np.pi * np.log(n))
    if kappa <= 1.0:
        raise InputError(f"`n_data` must make n / (2 pi log n) > 1 (n >= 20), got {n}")
    m, d = f.shape[0], f.shape[1]
    mean_trace = float(np.mean(np.trace(f, axis1=1, axis2=2)))
    if not mean_trace > 0:
        warnings.warn("all Fisher matrices are zero; effective dimension is NaN",
                      DegenerateDataWarning, stacklevel=2)
        return float("nan")
    f_hat = d * f / mean_trace
    sign, logdet = np.linalg.slogdet(np.eye(d) + kappa * f_hat)
    if np.any(sign <= 0):  # a Fisher matrix is PSD, so this only happens with bad input
        raise InputError("`fisher` matrices must be positive semi-definite")
    value = 2.0 * (logsumexp(0.5 * logdet) - np.log(m)) / np.log(kappa)
    return float(value / d if normalise else value)
