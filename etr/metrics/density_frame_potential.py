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

from etr._rng import SeedLike
from etr.circuits.ansatz import Ansatz
from etr.errors import InputError
from etr.metrics._pair_sums import hs_pair_sums
from etr.metrics.frame_potential import (
    DENSITY_METHOD,
    FramePotentialResult,
    _check_common,
    _result,
    check_ensemble,
    density_vectors,
    frame_potential,
)
from etr.plan.noise import NoiseModel
from etr.quantum.density import DensityMatrixBackend

__all__ = ["density_frame_potential", "density_frame_potential_from_states"]

def density_frame_potential_from_states(states: np.ndarray, *, t: int = 2,
                                        confidence: float = 0.95) -> FramePotentialResult:
    """F_t = E tr(rho sigma)^t of an ensemble given by M sampled density matrices.

    Parameters
    ----------
    states : ``(M, 2**n, 2**n)``, M >= 2 density matrices (Hermitian, unit trace), independent
        draws from the ensemble.
    t, confidence : as for `etr.metrics.frame_potential_from_states` (the same estimator).

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
    rho = check_ensemble(states, matrices=True)
    dim = rho.shape[1]
    if not np.allclose(rho, np.conj(np.swapaxes(rho, 1, 2)), rtol=0.0, atol=1e-10):
        raise InputError("`states` must hold Hermitian matrices")
    traces = np.trace(rho, axis1=1, axis2=2).real
    if not np.allclose(traces, 1.0, rtol=0.0, atol=1e-8):
        worst = float(np.max(np.abs(traces - 1.0)))
        raise InputError(f"`states` must have unit trace; a trace is off by {worst:.3g}")
    res = _result(hs_pair_sums(density_vectors(rho), t), n_qubits=dim.bit_length() - 1, t=t,
                  confidence=confidence, seed=None)
    return dataclasses.replace(res, method=DENSITY_METHOD)


def density_frame_potential(ansatz: Ansatz, noise: NoiseModel | None = None, *,
                            n_states: int = 1000, t: int = 2, seed: SeedLike = None,
                            confidence: float = 0.95) -> FramePotentialResult:
    """F_t = E tr(rho sigma)^t of the circuit's noisy output states, parameters uniform on
    [0, 2pi) (`etr.quantum.DensityMatrixBackend`; module notes for what it means): the frame
    potential of `etr.metrics.frame_potential` through the density-matrix backend.

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
    backend = DensityMatrixBackend(NoiseModel() if noise is None else noise)
    return frame_potential(ansatz, t=t, n_states=n_states, seed=seed, confidence=confidence,
                           backend=backend)
