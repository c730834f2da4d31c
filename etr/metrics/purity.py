"""Purity tr(rho^2) of a circuit's output states: how far noise has mixed them.

A pure state has purity 1; the maximally mixed state of n qubits 2^-n. Under local depolarizing
noise of strength p after every gate the purity of a one-qubit pure state falls to
(1 + (1 - p)^2) / 2 per channel (Nielsen & Chuang sec. 8.3), so the purity of a deep noisy
circuit's output decays towards 2^-n: the state side of a noise-induced barren plateau (Wang et
al. 2021), whose gradients vanish with it. The dataset's ``purity`` column is this quantity for
the run's model circuit (`etr.hybrid.evaluate_run`).
"""

from __future__ import annotations

import numpy as np

from etr.circuits.ansatz import Ansatz
from etr.quantum.backend import Backend, as_backend
from etr.quantum.density import purity

__all__ = ["state_purity"]


def state_purity(ansatz: Ansatz, params: np.ndarray, *, backend: Backend | None = None,
                 chunk_size: int | None = None) -> np.ndarray:
    """tr(rho^2) of the output state of every parameter row, simulated by `backend`.

    Parameters
    ----------
    ansatz : the circuit.
    params : shape ``(B, P)`` or ``(P,)``.
    backend : etr.quantum.Backend with states, default the exact statevector backend (pure
        states: purity 1 up to rounding); `etr.quantum.DensityMatrixBackend` for noise.
    chunk_size : rows simulated together; does not change the result.

    Returns
    -------
    numpy.ndarray
        Shape ``(B,)``, values in [2^-n, 1] (the rounding of the sums, ~1e-16, clipped: a pure
        state reads exactly 1).

    Raises
    ------
    etr.errors.InputError
        `params` of the wrong shape; a backend without states (finite shots).

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> from etr.quantum import DensityMatrixBackend, NoiseModel
    >>> a = Ansatz.from_gates(1, [("H", 0)])
    >>> p = state_purity(a, np.zeros((1, 0)), backend=DensityMatrixBackend(NoiseModel(0.2)))
    >>> p.round(12)  # (1 + (1 - p)^2) / 2
    array([0.82])
    """
    theta = np.atleast_2d(np.asarray(params, dtype=float))
    out = np.empty(theta.shape[0])
    for rows, block in as_backend(backend).states(ansatz, theta, chunk_size=chunk_size):
        if block.ndim == 3:
            out[rows] = purity(block)
        else:  # a pure state |psi><psi|: tr(rho^2) = <psi|psi>^2
            out[rows] = np.einsum("bi,bi->b", block.conj(), block).real ** 2
    return _rounded_into_range(out, ansatz.n_qubits)


def _rounded_into_range(values: np.ndarray, n_qubits: int) -> np.ndarray:
    """Clip the rounding excess of the sums (1 + 4e-16 for a pure state) into [2^-n, 1], the
    range a density matrix's purity lies in; a larger excess is a simulation error, raised."""
    low = 2.0**-n_qubits
    worst = float(np.max(np.maximum(values - 1.0, low - values), initial=0.0))
    if worst > 1e-9:
        raise RuntimeError(f"purity outside [2^-n, 1] by {worst:.3g}: the simulated states are "
                           "not normalised density matrices")
    return np.clip(values, low, 1.0)
