"""Trainability definitions computed from training trajectories and Fisher information.

A *run* draws K random initialisations of one model (from one seed) and trains each for T optimiser
steps. The functions here turn the recorded arrays into the five trainability definitions of the
dataset contract (`etr.contract.TRAINABILITY_DEFINITIONS`); all are *higher = more trainable*.
Only gradients with respect to the quantum parameters theta enter (the classical parameters of a
hybrid model are not part of the barren-plateau question).

grad_var
    At initialisation: variance across the K inits of dLoss/dtheta_k on a fixed batch, averaged
    over the quantum parameters k (the barren-plateau view, McClean et al. 2018).
grad_var_train
    The same across-init variance at every training step t = 0 .. T-1, averaged over the
    trajectory. At initialisation ``hybrid_quantum_only`` and ``hybrid_full`` are the *same model*
    (same architecture, same seed, same initial parameters), so their `grad_var` is identical by
    construction; `grad_var_train` tells them apart because end-to-end training reshapes the
    classical parts and with them the loss landscape the quantum parameters see.
grad_norm
    Root-mean-square quantum gradient sqrt(mean_k g_k^2), averaged over inits and steps.
loss_decrease
    (L_0 - L_T) / L_0 after T steps, averaged over inits.
effective_dimension
    Normalised effective dimension (Abbas et al. 2021) of the model's output distribution
    with respect to the quantum parameters, for ``n`` data points (see `effective_dimension`;
    `etr.hybrid.evaluate_run` uses ``n = RunSettings.ed_data_size``, default 1000, and the
    Bernoulli output p = sigmoid(logit) of the classifier).

Variances use ``ddof=1`` (unbiased across the K inits).

References
----------
McClean et al. 2018, Nat. Commun. 9, 4812 (arXiv 1803.11173).
Abbas et al. 2021, Nat. Comput. Sci. 1, 403 (arXiv 2011.00027).
Kashif & Shafique 2026, arXiv 2605.25768.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import logsumexp

from etr._validation import check_int
from etr.errors import DegenerateDataWarning, InputError

__all__ = [
    "effective_dimension",
    "fisher_information",
    "grad_norm",
    "grad_var",
    "grad_var_train",
    "loss_decrease",
]


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


def grad_var_train(grads: np.ndarray) -> float:
    """Across-init gradient variance at every step, averaged over steps and parameters.

    Parameters
    ----------
    grads : array (T, K, P)
        Quantum gradients at steps t = 0 .. T-1 of K initialisations (K >= 2).

    Examples
    --------
    >>> g = np.stack([np.array([[1.0], [-1.0]]), np.array([[3.0], [-3.0]])])
    >>> grad_var_train(g)  # (2 + 18) / 2
    10.0
    """
    g = _array("grads", grads, 3)
    if g.shape[1] < 2:
        raise InputError(f"`grads` needs at least 2 initialisations, got {g.shape[1]}")
    return float(np.var(g, axis=1, ddof=1).mean())


def grad_norm(grads: np.ndarray) -> float:
    """RMS gradient sqrt(mean_k g_k^2), averaged over steps and initialisations.

    Parameters
    ----------
    grads : array (T, K, P)

    Examples
    --------
    >>> round(grad_norm(np.array([[[3.0, 4.0]], [[0.0, 0.0]]]) * np.sqrt(2.0)), 12)
    2.5
    """
    g = _array("grads", grads, 3)
    return float(np.sqrt(np.mean(g * g, axis=2)).mean())


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
