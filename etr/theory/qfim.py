"""The quantum Fisher information matrix (QFIM) and its rank at random parameters.

F_ij = 4 Re[<d_i psi|d_j psi> - <d_i psi|psi><psi|d_j psi>]. Writing A = (I - |psi><psi|) J with
J the ``2^n x P`` state Jacobian, F = 4 Re(A^dag A) = 4 [Re A; Im A]^T [Re A; Im A], so the rank of
F is the rank of the real ``2^(n+1) x P`` matrix [Re A; Im A], found from its singular values
(better conditioned than the eigenvalues of F).

Exact state derivatives by shifts of one gate at a time (gates sharing a slot are shifted
separately and their derivatives added):

* a rotation R(t) = exp(-i t P / 2) has dR/dt = -i P R / 2 = R(t + pi) / 2, so
  d psi = psi(gate angle + pi) / 2;
* a controlled rotation CR(t) = |0><0| (x) I + |1><1| (x) R(t) has
  dCR/dt = |1><1| (x) (-i P / 2) R(t) = (CR(t + pi) - CR(t - pi)) / 4 (the |0><0| parts cancel).

The rank is lower semicontinuous and equal to its maximum on an open set of full measure, so the
maximum over a few random parameter vectors is the generic ("typical") rank; every sample's rank is
kept. Larocca et al. 2023: the rank saturates at a value <= dim g (and <= 2^(n+1) - 2, the real
dimension of the projective state space).

Backends: the states come from a `etr.quantum.Backend` of pure states (default the exact
statevector one; the QuTiP reference too). Mixed states are refused: the formula above is the
QFIM of pure states, while the quantum Fisher information of a mixed state is the symmetric
logarithmic derivative one (it needs the eigendecomposition of rho and is not the rank of
[Re A; Im A]); a noisy circuit's QFIM rank is therefore not a column of etr's datasets (the
circuit-level columns are the noise-free circuit's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from etr._rng import SeedLike, as_generator, seed_label
from etr._validation import check_float, check_int
from etr.circuits.ansatz import Ansatz, unshared
from etr.errors import InputError
from etr.quantum._params import check_params
from etr.quantum.backend import Backend, as_backend

__all__ = ["QfimRankResult", "qfim", "qfim_rank", "state_jacobian"]


def _statevectors(backend: Backend, ansatz: Ansatz, params: np.ndarray) -> np.ndarray:
    """``(B, 2^n)`` complex states from `backend`; `InputError` for density matrices (module
    notes)."""
    out = np.empty((params.shape[0], 2**ansatz.n_qubits), dtype=np.complex128)
    for rows, block in backend.states(ansatz, params):
        if block.ndim != 2:
            raise InputError("the QFIM rank is defined here for pure states, but `backend` gives "
                             "density matrices (the quantum Fisher information of mixed states "
                             "is the SLD one); use a noise-free backend")
        out[rows] = block
    return out


def state_jacobian(ansatz: Ansatz, params: np.ndarray, *, backend: Backend | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """States psi(theta_b) ``(B, 2^n)`` and exact derivatives d psi / d theta ``(B, 2^n, P)``,
    simulated by `backend` (pure states; default the exact statevector backend).

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> psi, jac = state_jacobian(Ansatz.from_gates(1, [("RY", 0)]), [[0.0]])
    >>> np.round(jac[0, :, 0].real, 6)  # d/dt (cos t/2, sin t/2) at 0
    array([0. , 0.5])
    """
    backend = as_backend(backend)
    theta = check_params(ansatz, params)
    n_b, n_p = theta.shape
    free, slots, pgates = unshared(ansatz)
    base = theta[:, slots] if slots else np.zeros((n_b, 0))
    psi = _statevectors(backend, free, base)
    jac = np.zeros((n_b, psi.shape[1], n_p), dtype=np.complex128)
    rows, terms = [], []
    for i, gate in enumerate(pgates):
        rule = ((np.pi, 0.25), (-np.pi, -0.25)) if gate.kind.controlled else ((np.pi, 0.5),)
        for shift, coef in rule:
            shifted = base.copy()
            shifted[:, i] += shift
            rows.append(shifted)
            terms.append((slots[i], coef))
    if rows:
        states = _statevectors(backend, free, np.concatenate(rows, axis=0)).reshape(
            len(terms), n_b, -1)
        for (slot, coef), st in zip(terms, states):
            jac[:, :, slot] += coef * st
    return psi, jac


def qfim(ansatz: Ansatz, params: np.ndarray, *, backend: Backend | None = None) -> np.ndarray:
    """Quantum Fisher information matrices ``(B, P, P)`` at every parameter row.

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> np.round(qfim(Ansatz.from_gates(1, [("RY", 0), ("RZ", 0)]), [[np.pi / 2, 0.3]])[0], 6)
    array([[1., 0.],
           [0., 1.]])
    """
    psi, jac = state_jacobian(ansatz, params, backend=backend)
    overlap = np.einsum("bi,bip->bp", psi.conj(), jac)
    proj = jac - psi[:, :, None] * overlap[:, None, :]
    return 4.0 * np.einsum("bip,biq->bpq", proj.conj(), proj).real


def _rank(psi: np.ndarray, jac: np.ndarray, tol: float) -> int:
    a = jac - psi[:, None] * (psi.conj() @ jac)[None, :]
    # one BLAS thread: as fast for these shapes, and threads thrash on a shared machine
    with threadpool_limits(limits=1, user_api="blas"):
        s = np.linalg.svd(np.vstack([a.real, a.imag]), compute_uv=False)
    if s.size == 0 or s[0] == 0:
        return 0
    return int(np.sum(s > tol * s[0]))


@dataclass(frozen=True, slots=True)
class QfimRankResult:
    """Rank of the QFIM at random parameters.

    Attributes
    ----------
    rank : the maximum over the samples (the generic rank).
    ranks : the rank at each sample.
    n_params : number of parameters P (an upper bound on the rank).
    n_samples : number of random parameter vectors.
    tol : relative threshold on the singular values of [Re A; Im A] (eigenvalues of F: tol^2).
    seed : the integer seed, or None.
    method : how it was computed.
    """

    rank: int
    ranks: tuple[int, ...]
    n_params: int
    n_samples: int
    tol: float
    seed: int | None
    method: str = "max over samples of rank [Re A; Im A], A = (I - |psi><psi|) J, shift-rule J"

    def to_frame(self) -> pd.DataFrame:
        """One row per sample: ``sample, rank, n_params``."""
        return pd.DataFrame({"sample": np.arange(len(self.ranks)), "rank": list(self.ranks),
                             "n_params": self.n_params})


def qfim_rank(ansatz: Ansatz, *, n_samples: int = 3, seed: SeedLike = None,
              tol: float = 1e-8, backend: Backend | None = None) -> QfimRankResult:
    """Rank of the quantum Fisher information at uniform random parameters.

    Parameters
    ----------
    ansatz : the circuit (started from |0...0>).
    n_samples : number of random parameter vectors (>= 1); the reported rank is the maximum.
    seed : int, Generator or None.
    tol : singular values of [Re A; Im A] below ``tol * largest`` count as zero.
    backend : etr.quantum.Backend of pure states, default the exact statevector backend.

    Returns
    -------
    QfimRankResult
        ``rank`` (generic rank), ``ranks`` per sample, ``n_params``.

    Raises
    ------
    etr.errors.InputError
        `n_samples` < 1, `tol` not in (0, 1), a backend of density matrices or without
        states (module notes).

    Notes
    -----
    Cost: one state per parametric gate (two for controlled rotations) per sample and an SVD of
    a ``2^(n+1) x P`` matrix: for 10 qubits and 300 parameters, well under a second per sample.

    References
    ----------
    Larocca, M. et al. (2023). Theory of overparametrization in quantum neural networks.
    Nat. Comput. Sci. 3, 542-551. arXiv:2109.11676.

    Examples
    --------
    >>> from etr.circuits import hardware_efficient
    >>> qfim_rank(hardware_efficient(3, 1, topology="none"), seed=0).rank  # 2 per qubit
    6
    >>> qfim_rank(hardware_efficient(3, 1, topology="none", rotations="RX+RY+RZ"), seed=0).rank
    6
    """
    if not isinstance(ansatz, Ansatz):
        raise InputError(f"`ansatz` must be an etr.circuits.Ansatz, got {type(ansatz).__name__}")
    n_s = check_int("n_samples", n_samples, minimum=1)
    tol = check_float("tol", tol, positive=True, high=1.0)
    rng = as_generator(seed)
    params = rng.uniform(0.0, 2.0 * np.pi, size=(n_s, ansatz.n_params))
    psi, jac = state_jacobian(ansatz, params, backend=backend)
    ranks = tuple(_rank(psi[b], jac[b], tol) for b in range(n_s))
    return QfimRankResult(max(ranks) if ranks else 0, ranks, ansatz.n_params, n_s, tol,
                          seed_label(seed))
