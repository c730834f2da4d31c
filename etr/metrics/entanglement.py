"""Entangling capability: mean Meyer-Wallach entanglement over uniform random parameters."""

from __future__ import annotations

import numpy as np

from etr._rng import SeedLike, as_generator
from etr._validation import check_int
from etr.circuits.ansatz import Ansatz
from etr.errors import InputError
from etr.quantum.backend import Backend, as_backend

__all__ = ["entangling_capability", "meyer_wallach"]


def meyer_wallach(states: np.ndarray) -> np.ndarray:
    """Meyer-Wallach entanglement Q = 2 (1 - mean_k Tr rho_k^2) of every row of `states`.

    Parameters
    ----------
    states : shape ``(B, 2**n)`` (or ``(2**n,)``), normalised state vectors; qubit 0 is the most
        significant bit.

    Returns
    -------
    numpy.ndarray
        Shape ``(B,)``, values in [0, 1]; 0 for product states.

    References
    ----------
    Meyer, D. A., Wallach, N. R. (2002). J. Math. Phys. 43, 4273. Brennen, G. K. (2003), Q as the
    mean single-qubit linear entropy.

    Examples
    --------
    >>> bell = np.array([1, 0, 0, 1]) / np.sqrt(2)
    >>> meyer_wallach(bell)
    array([1.])
    """
    psi = np.asarray(states)
    psi = psi[None, :] if psi.ndim == 1 else psi
    if psi.ndim != 2 or psi.shape[1] < 2 or psi.shape[1] & (psi.shape[1] - 1):
        raise InputError(f"`states` must have shape (B, 2**n), got {np.shape(states)}")
    n_b, dim = psi.shape
    n = dim.bit_length() - 1
    purity = np.zeros(n_b)
    for k in range(n):
        view = psi.reshape(n_b, 2**k, 2, dim >> (k + 1))
        rho = np.einsum("bais,bajs->bij", view, view.conj())
        purity += np.sum(np.abs(rho) ** 2, axis=(1, 2))
    return np.clip(2.0 * (1.0 - purity / n), 0.0, 1.0)


def _marginal_purities(rho: np.ndarray) -> np.ndarray:
    """Sum over qubits k of tr(rho_k^2), rho_k the one-qubit marginals of ``(B, d, d)``."""
    n_b, dim = rho.shape[:2]
    n = dim.bit_length() - 1
    out = np.zeros(n_b)
    for k in range(n):
        view = rho.reshape(n_b, 2**k, 2, dim >> (k + 1), 2**k, 2, dim >> (k + 1))
        marginal = np.einsum("baisajs->bij", view)
        out += np.sum(np.abs(marginal) ** 2, axis=(1, 2))
    return out


def _meyer_wallach_density(rho: np.ndarray) -> np.ndarray:
    """Meyer-Wallach Q of pure states given as density matrices; `InputError` for mixed ones
    (their marginals are mixed by the noise too, so Q would not measure entanglement)."""
    purity = np.einsum("bij,bij->b", rho.conj(), rho).real
    if np.any(purity < 1.0 - 1e-9):
        raise InputError("Meyer-Wallach entanglement needs pure states, but `backend` gave mixed "
                         f"ones (purity down to {purity.min():.3g}): use a noise-free backend")
    n = rho.shape[1].bit_length() - 1
    return np.clip(2.0 * (1.0 - _marginal_purities(rho) / n), 0.0, 1.0)


def entangling_capability(ansatz: Ansatz, *, n_samples: int = 1000, seed: SeedLike = None,
                          chunk_size: int | None = None, backend: Backend | None = None) -> float:
    """Mean Meyer-Wallach Q of the circuit's states over parameters uniform on [0, 2pi).

    Parameters
    ----------
    ansatz : the circuit.
    n_samples : number of parameter vectors (>= 2).
    seed : int, Generator or None.
    chunk_size : rows simulated together; does not change the result.
    backend : etr.quantum.Backend giving pure states, default the exact statevector backend
        (states as vectors or, from a noise-free density-matrix backend, as pure density
        matrices).

    Raises
    ------
    etr.errors.InputError
        `n_samples` < 2; a backend whose states are mixed (noise: the Meyer-Wallach measure is
        an entanglement measure of pure states only) or that has no states (finite shots).

    Notes
    -----
    Haar-random states give (2^n - 2) / (2^n + 1) on average (0.4 for 2 qubits, 14/17 for 4);
    product circuits (Sim circuit 1) give 0; Sim circuit 9 gives 1 for every parameter.

    References
    ----------
    Sim, S., Johnson, P. D., Aspuru-Guzik, A. (2019). arXiv:1905.10876.

    Examples
    --------
    >>> from etr.circuits import sim_circuit
    >>> round(entangling_capability(sim_circuit(1), n_samples=10, seed=0), 12)
    0.0
    """
    n_s = check_int("n_samples", n_samples, minimum=2)
    rng = as_generator(seed)
    params = rng.uniform(0.0, 2.0 * np.pi, size=(n_s, ansatz.n_params))
    q = np.empty(n_s)
    for rows, states in as_backend(backend).states(ansatz, params, chunk_size=chunk_size):
        q[rows] = _meyer_wallach_density(states) if states.ndim == 3 else meyer_wallach(states)
    return float(q.mean())
