"""Gradient variance at random initialisation (barren-plateau diagnostics, McClean et al. 2018)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from etr._rng import SeedLike, as_generator, seed_label
from etr._validation import check_int
from etr.circuits.ansatz import Ansatz
from etr.quantum.backend import Backend, as_backend
from etr.quantum.observables import parse_observable

__all__ = ["GradientVarianceResult", "gradient_variance"]


@dataclass(frozen=True, slots=True)
class GradientVarianceResult:
    """Per-parameter statistics of d<O>/d theta_k over uniform random parameters.

    Attributes
    ----------
    variance : shape ``(P,)``, sample variance (ddof=1) of each partial derivative.
    mean : shape ``(P,)``, mean of each partial derivative.
    mean_variance : `variance` averaged over parameters (the dataset's ``grad_var`` for a
        pure PQC).
    n_samples : number of random parameter vectors.
    observable : observable label (``"global"``, a Pauli string, ``"matrix"``).
    seed : the integer seed, or None.
    """

    variance: np.ndarray
    mean: np.ndarray
    mean_variance: float
    n_samples: int
    observable: str
    seed: int | None

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: ``parameter, n, mean, variance, observable``."""
        return pd.DataFrame({
            "parameter": np.arange(self.variance.shape[0]),
            "n": self.n_samples,
            "mean": self.mean,
            "variance": self.variance,
            "observable": self.observable,
        })


def gradient_variance(ansatz: Ansatz, *, observable: object = "global", n_samples: int = 200,
                      seed: SeedLike = None, chunk_size: int | None = None,
                      backend: Backend | None = None) -> GradientVarianceResult:
    """Variance of every partial derivative of <O> over parameters uniform on [0, 2pi).

    Gradients come from `backend`: exact by default (adjoint method on the fast statevector
    path); parameter-shift estimates from finite shots with an `etr.quantum.ShotBackend` (whose
    own stream draws the outcomes; `seed` draws the parameters).

    Parameters
    ----------
    ansatz : the circuit (needs at least one parameter).
    observable : ``"global"`` (projector onto |0...0>, a global cost), a Pauli string such as
        ``"Z" + "I" * (n - 1)`` (a local cost), or a Hermitian `qutip.Qobj`.
    n_samples : number of random parameter vectors (>= 2).
    seed : int, Generator or None.
    chunk_size : rows simulated together; does not change the result.
    backend : etr.quantum.Backend, default the exact statevector backend.

    Raises
    ------
    etr.errors.InputError
        `n_samples` < 2, unknown or malformed `observable`.

    Notes
    -----
    For circuits forming 2-designs the variance decays like 2^-n (McClean et al. 2018); global
    costs show it even at shallow depth, local costs at worst polynomially (Cerezo et al. 2021).

    References
    ----------
    McClean, J. R. et al. (2018). Nat. Commun. 9, 4812. arXiv:1803.11173.
    Cerezo, M. et al. (2021). Nat. Commun. 12, 1791. arXiv:2001.00550.

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(1, [("RY", 0)])
    >>> r = gradient_variance(a, observable="Z", n_samples=4000, seed=0)
    >>> round(r.mean_variance, 1)  # d cos(t)/dt = -sin(t): variance 1/2
    0.5
    """
    n_s = check_int("n_samples", n_samples, minimum=2)
    obs = parse_observable(observable, ansatz.n_qubits)
    rng = as_generator(seed)
    params = rng.uniform(0.0, 2.0 * np.pi, size=(n_s, ansatz.n_params))
    _, grads = as_backend(backend).expectation_vjp(ansatz, params, [obs], np.ones((n_s, 1)),
                                                   chunk_size=chunk_size)
    variance = grads.var(axis=0, ddof=1)
    return GradientVarianceResult(
        variance=variance,
        mean=grads.mean(axis=0),
        mean_variance=float(variance.mean()) if variance.size else float("nan"),
        n_samples=n_s,
        observable=obs.label,
        seed=seed_label(seed),
    )
