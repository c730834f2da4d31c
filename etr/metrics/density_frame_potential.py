"""Frame potentials of ensembles of density matrices (noisy circuits): F_t = E tr(rho sigma)^t.

Definition
----------
For two independent draws rho, sigma of the ensemble,

    F_t = E_{rho, sigma} [tr(rho sigma)^t] = || E[rho^(x)t] ||_2^2,

the squared Hilbert-Schmidt norm of the ensemble's t-th moment operator (tr(rho^(x)t
sigma^(x)t) = tr(rho sigma)^t). For pure states tr(rho sigma) = |<psi|phi>|^2, so F_t is the
state frame potential E |<psi|phi>|^(2t) of `etr.metrics.frame_potential`, to rounding, from the
same states. Why this definition rather than one built on the fidelity: it is the moment
operator's purity, so it is the quantity that t-designs and their Haar value are defined by, it
is linear in each state (an all-pairs U-statistic from a Gram matrix, as for states), and it
needs no matrix square roots.

Mixed states make F_t smaller: the maximally mixed state alone gives d^-t, below the Haar value
1 / C(d + t - 1, t) of pure states, so a "ratio" F_t / F_t^Haar below 1 means mixedness, not
more expressibility than Haar. That is why etr keeps expressibility (x) the circuit's noise-free
property and reads this quantity as a description of the noisy ensemble (how far noise has
pulled it towards I/d), not as an expressibility under noise.

Estimator and standard error are those of `etr.metrics.frame_potential` (all-pairs U-statistic,
Hoeffding variance with zeta_1 truncated at 0), with h_ij = tr(rho_i rho_j)^t; tr(rho sigma) is
the real inner product of the stacked real and imaginary parts of the two matrices (both are
Hermitian), so the Gram blocks are BLAS products.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from etr._rng import SeedLike, as_generator, seed_label
from etr._validation import check_int
from etr.circuits.ansatz import Ansatz
from etr.errors import InputError
from etr.metrics._pair_sums import GRAM_BLOCK, PairSums
from etr.metrics.frame_potential import FramePotentialResult, _check_common, _result
from etr.quantum.density import DensityMatrixBackend
from etr.quantum.noise import NoiseModel

__all__ = ["density_frame_potential", "density_frame_potential_from_states"]

_METHOD = ("F_t = E tr(rho sigma)^t (Hilbert-Schmidt norm of the t-th moment operator); "
           "all-pairs U-statistic; Hoeffding variance (zeta_1 >= 0); normal interval")


def _pair_sums(vecs: np.ndarray, t: int) -> PairSums:
    """Row sums and ordered-pair sum of squares of h_ij = (v_i . v_j)^t over i != j."""
    m = vecs.shape[0]
    rows = np.zeros(m)
    s2 = 0.0
    for a in range(0, m, GRAM_BLOCK):
        sa = slice(a, min(a + GRAM_BLOCK, m))
        for b in range(a, m, GRAM_BLOCK):
            sb = slice(b, min(b + GRAM_BLOCK, m))
            h = (vecs[sa] @ vecs[sb].T) ** t
            if a == b:
                h = np.triu(h, 1)
            rows[sa] += h.sum(axis=1)
            rows[sb] += h.sum(axis=0)
            s2 += float(np.sum(h * h))
    return PairSums(rows, 2.0 * s2)


def density_frame_potential_from_states(states: np.ndarray, *, t: int = 2,
                                        confidence: float = 0.95) -> FramePotentialResult:
    """F_t = E tr(rho sigma)^t of an ensemble given by M sampled density matrices.

    Parameters
    ----------
    states : ``(M, 2**n, 2**n)``, M >= 2 density matrices (Hermitian, unit trace), independent
        draws from the ensemble.
    t : the moment (>= 1).
    confidence : level of the interval, in (0, 1).

    Returns
    -------
    FramePotentialResult
        As for states; ``haar`` is the pure-state Haar value, so ``ratio`` may fall below 1
        for mixed ensembles (module notes); ``method`` states the definition.

    Raises
    ------
    etr.errors.InputError
        `states` not a finite ``(M, d, d)`` array of Hermitian unit-trace matrices with M >= 2
        and d a power of 2; `t` < 1; `confidence` outside (0, 1).

    Examples
    --------
    >>> mixed = np.tile(np.eye(4) / 4, (50, 1, 1))
    >>> round(density_frame_potential_from_states(mixed).estimate, 12)  # d^-t = 1/16
    0.0625
    """
    t, confidence = _check_common(t, confidence)
    rho = np.asarray(states)
    if not (np.issubdtype(rho.dtype, np.number) and rho.ndim == 3
            and rho.shape[1] == rho.shape[2]):
        raise InputError(f"`states` must be a numeric (M, d, d) array, got shape {rho.shape}")
    m, dim = rho.shape[:2]
    if m < 2:
        raise InputError(f"`states` must hold at least 2 density matrices, got {m}")
    if dim < 2 or dim & (dim - 1) or not np.all(np.isfinite(rho)):
        raise InputError(f"`states` must be finite with d = 2**n, got shape {rho.shape}")
    if not np.allclose(rho, np.conj(np.swapaxes(rho, 1, 2)), rtol=0.0, atol=1e-10):
        raise InputError("`states` must hold Hermitian matrices")
    traces = np.trace(rho, axis1=1, axis2=2).real
    if not np.allclose(traces, 1.0, rtol=0.0, atol=1e-8):
        worst = float(np.max(np.abs(traces - 1.0)))
        raise InputError(f"`states` must have unit trace; a trace is off by {worst:.3g}")
    flat = rho.reshape(m, dim * dim)
    vecs = np.ascontiguousarray(np.concatenate([flat.real, flat.imag], axis=1), dtype=float)
    res = _result(_pair_sums(vecs, t), n_qubits=dim.bit_length() - 1, t=t,
                  confidence=confidence, seed=None)
    return dataclasses.replace(res, method=_METHOD)


def density_frame_potential(ansatz: Ansatz, noise: NoiseModel | None = None, *,
                            n_states: int = 1000, t: int = 2, seed: SeedLike = None,
                            confidence: float = 0.95) -> FramePotentialResult:
    """F_t = E tr(rho sigma)^t of the circuit's noisy output states, parameters uniform on
    [0, 2pi) (`etr.quantum.DensityMatrixBackend`; module notes for what it means).

    Examples
    --------
    >>> from etr.circuits import hardware_efficient
    >>> a = hardware_efficient(2, 2)
    >>> pure = density_frame_potential(a, n_states=200, seed=1).estimate
    >>> noisy = density_frame_potential(a, NoiseModel(depolarizing=0.2), n_states=200,
    ...                                 seed=1).estimate
    >>> bool(noisy < pure)
    True
    """
    t, confidence = _check_common(t, confidence)
    m = check_int("n_states", n_states, minimum=2)
    params = as_generator(seed).uniform(0.0, 2.0 * np.pi, size=(m, ansatz.n_params))
    backend = DensityMatrixBackend(NoiseModel() if noise is None else noise)
    states = np.concatenate([block for _, block in backend.states(ansatz, params)])
    res = density_frame_potential_from_states(states, t=t, confidence=confidence)
    return dataclasses.replace(res, seed=seed_label(seed))
