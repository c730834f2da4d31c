"""Expressibility (Sim, Johnson, Aspuru-Guzik 2019): KL divergence of the fidelity distribution of
a PQC from that of Haar-random states, on the paper's scale and on a width-scaled one.

Two histograms of the same M fidelities F = |<psi(theta)|psi(phi)>|^2 (theta, phi uniform):

``kl`` (Sim et al.; the paper-comparable measure)
    F in `bins` (75) equal bins on [0, 1] against the exact Haar masses
    (1 - a)^(N-1) - (1 - b)^(N-1), N = 2**n. Under Haar, F ~ Beta(1, N - 1) has mean 1/N, so the
    fixed bins resolve less and less of it as the width grows: the first bin [0, 1/75] holds
    0.18 of the Haar mass at 4 qubits, 0.57 at 6, 0.97 at 8 and 1 - 1.1e-6 at 10, i.e. from
    8 qubits on the histogram sees only the tail F > 1/75. The plug-in estimate is biased upward
    by about (m - 1) / (2 M), m the number of occupied bins, and m falls with width (for Haar
    states and M = 5000: m = 70, 31, 10, 3, 1 at 2, 4, 6, 8, 10 qubits; mean plug-in KL 0.0073,
    0.0037, 0.0012, 0.0003, 0.00001). So among expressive circuits the plug-in KL sorts by qubit
    count. ``kl_corrected`` subtracts (m - 1) / (2 M) (Miller-Madow).
``kl_scaled`` (width-scaled; compares across widths)
    s = N F in `scaled_bins` (20) fixed bins of equal Exp(1) mass, edges -ln(1 - k / B),
    k = 0 .. B - 1, the last bin open [ln B, N], against the exact Haar law of s,
    P(s > x) = (1 - x / N)^(N - 1) on [0, N] (-> exp(-x) as N grows). Every bin holds Haar mass
    >= 0.0158 at every width from 2 qubits on (bins above s = 2 are empty at 1 qubit, for the
    circuit and for Haar alike), so the bias (B - 1) / (2 M) and the sampling spread are the same
    at every width (Haar states, M = 5000: plug-in 0.0019 +- 0.0006 at 2 to 10 qubits).
    ``kl_scaled_corrected`` subtracts (m_s - 1) / (2 M). The measure is bounded by ~ln B
    (3.0): all poorly expressive circuits, whose fidelities sit far above 1/N, land in the
    overflow bin, so it ranks expressive circuits and saturates for the rest.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from etr._rng import SeedLike, as_generator, seed_label
from etr._validation import check_int
from etr.circuits.ansatz import Ansatz
from etr.errors import InputError
from etr.quantum.backend import Backend, as_backend

__all__ = [
    "ExpressibilityResult",
    "expressibility",
    "expressibility_from_fidelities",
    "haar_bin_masses",
    "haar_scaled_masses",
    "pair_fidelities",
    "scaled_bin_edges",
]


@dataclass(frozen=True, slots=True)
class ExpressibilityResult:
    """Expressibility estimate with its bias correction and bootstrap interval.

    Attributes
    ----------
    kl : plug-in KL(P_PQC(F) || P_Haar(F)) over `bins` equal bins on [0, 1] (lower = more
        expressive).
    kl_corrected : ``kl - (m - 1) / (2 n_pairs)`` with m the number of non-empty bins
        (Miller-Madow correction of the plug-in bias).
    ci_low, ci_high : 95 % basic (reverse-percentile) bootstrap interval of the KL divergence,
        ``(2 kl - q_0.975, 2 kl - q_0.025)`` over `n_boot` resamples of the pairs, clipped at 0.
        It corrects the plug-in's upward bias to first order, like `kl_corrected`; a plain
        percentile interval would lie above `kl` for very expressive circuits. NaN when
        ``n_boot == 0``.
    n_pairs, bins, n_boot : how it was computed.
    seed : the integer seed, or None (no seed or a Generator was passed).
    n_qubits : number of qubits (Haar reference dimension 2**n_qubits).
    kl_scaled : plug-in KL of the histogram of N F on `scaled_bins` fixed bins from the exact
        Haar law of N F (see the module docstring); compares across widths.
    kl_scaled_corrected : ``kl_scaled - (m_s - 1) / (2 n_pairs)`` with m_s the occupied scaled
        bins (Miller-Madow); about 0 +- sqrt(2 (B - 1)) / (2 n_pairs) for Haar states.
    scaled_bins : number of bins B of the scaled histogram.
    """

    kl: float
    kl_corrected: float
    ci_low: float
    ci_high: float
    n_pairs: int
    bins: int
    n_boot: int
    seed: int | None
    n_qubits: int
    kl_scaled: float
    kl_scaled_corrected: float
    scaled_bins: int

    def to_frame(self) -> pd.DataFrame:
        """One row: ``n, estimate, estimate_corrected, ci_low, ci_high, bins, n_boot,
        estimate_scaled, estimate_scaled_corrected, scaled_bins, seed, method``."""
        return pd.DataFrame([{
            "n": self.n_pairs,
            "estimate": self.kl,
            "estimate_corrected": self.kl_corrected,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "bins": self.bins,
            "n_boot": self.n_boot,
            "estimate_scaled": self.kl_scaled,
            "estimate_scaled_corrected": self.kl_scaled_corrected,
            "scaled_bins": self.scaled_bins,
            "seed": self.seed,
            "method": "kl-haar-exact-bins",
        }])


def haar_bin_masses(n_qubits: int, bins: int) -> np.ndarray:
    """Log of the exact Haar probability of each fidelity bin, shape ``(bins,)``.

    Mass of [a, b] = (1 - a)^(N-1) - (1 - b)^(N-1) with N = 2**n_qubits, computed in log space so
    that it does not underflow for many qubits.

    Examples
    --------
    >>> np.round(np.exp(haar_bin_masses(1, 4)), 4)
    array([0.25, 0.25, 0.25, 0.25])
    """
    dim_m1 = 2.0**n_qubits - 1.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    lo, hi = 1.0 - edges[:-1], 1.0 - edges[1:]
    log_lo = dim_m1 * np.log(lo)
    with np.errstate(divide="ignore"):
        ratio = np.where(hi > 0, np.exp(dim_m1 * (np.log(np.maximum(hi, 1e-300)) - np.log(lo))),
                         0.0)
    return log_lo + np.log1p(-ratio)


def scaled_bin_edges(bins: int = 20) -> np.ndarray:
    """Lower edges of the bins of s = N F: equal Exp(1) mass 1/B, the last bin open.

    Edge k is -ln(1 - k / B), k = 0 .. B - 1; bin k is [edge_k, edge_{k+1}) and the last one
    [ln B, N].

    Examples
    --------
    >>> np.round(scaled_bin_edges(4), 4)
    array([0.    , 0.2877, 0.6931, 1.3863])
    """
    b = check_int("scaled_bins", bins, minimum=2)
    return 0.0 - np.log1p(-np.arange(b) / b)  # 0.0 - ... keeps the first edge +0.0


def haar_scaled_masses(n_qubits: int, bins: int = 20) -> np.ndarray:
    """Log of the exact Haar probability of each bin of s = N F (`scaled_bin_edges`), ``(bins,)``.

    Under Haar, F ~ Beta(1, N - 1), so P(s > x) = (1 - x / N)^(N - 1) for 0 <= x <= N (and 0
    beyond N); bins that start at or above N have mass 0 (log -inf; only at 1 qubit).

    Examples
    --------
    >>> np.round(np.exp(haar_scaled_masses(14, 4)), 4)  # -> 1/4 each as N grows
    array([0.25, 0.25, 0.25, 0.25])
    """
    n = check_int("n_qubits", n_qubits, minimum=1)
    dim = 2.0**n
    lower = scaled_bin_edges(bins)
    upper = np.append(lower[1:], dim)

    def log_survival(x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.where(x < dim, (dim - 1.0) * np.log1p(-np.minimum(x, dim) / dim), -np.inf)

    lo, hi = log_survival(lower), log_survival(np.minimum(upper, dim))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = lo + np.log1p(-np.exp(hi - lo))
    return np.where(np.isfinite(lo), out, -np.inf)


def _scaled_bin_index(fidelities: np.ndarray, n_qubits: int, bins: int) -> np.ndarray:
    edges = scaled_bin_edges(bins)
    s = 2.0**n_qubits * np.clip(fidelities, 0.0, 1.0)
    return np.clip(np.searchsorted(edges, s, side="right") - 1, 0, bins - 1)


def _kl_from_counts(counts: np.ndarray, log_q: np.ndarray, n_pairs: int) -> np.ndarray:
    """Plug-in KL for counts of shape (..., bins)."""
    p = counts / n_pairs
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(counts > 0, p * (np.log(np.where(p > 0, p, 1.0)) - log_q), 0.0)
    # a bin without Haar mass holds no fidelity either (s = N F <= N), so it contributes 0
    return terms.sum(axis=-1)


def _check_bins_pairs(bins: object, n_pairs: object, n_boot: object) -> tuple[int, int, int]:
    return (check_int("bins", bins, minimum=2), check_int("n_pairs", n_pairs, minimum=2),
            check_int("n_boot", n_boot, minimum=0))


def expressibility_from_fidelities(
    fidelities: np.ndarray,
    n_qubits: int,
    *,
    bins: int = 75,
    scaled_bins: int = 20,
    n_boot: int = 200,
    seed: SeedLike = None,
) -> ExpressibilityResult:
    """Expressibility from precomputed fidelities (e.g. of Haar-random states, for tests).

    Parameters
    ----------
    fidelities : 1-D array of fidelities in [0, 1] (values are clipped to [0, 1]).
    n_qubits : number of qubits of the states (Haar reference dimension 2**n_qubits).
    bins : number of equal-width bins on [0, 1] (>= 2) of the Sim et al. KL.
    scaled_bins : number of bins (>= 2) of the width-scaled KL of N F.
    n_boot : bootstrap resamples for the interval (0 disables it).
    seed : seed of the bootstrap.

    Returns
    -------
    ExpressibilityResult
        Every estimate: the plug-in Sim et al. KL (``kl``), its bias correction, interval and
        the width-scaled KL.

    Raises
    ------
    etr.errors.InputError
        `fidelities` not a finite 1-D array of at least 2 values (named `n_pairs`), `bins` or
        `scaled_bins` < 2, `n_boot` < 0, `n_qubits` < 1.

    Examples
    --------
    >>> round(expressibility_from_fidelities(np.ones(100), 1).kl, 4)  # idle circuit: ln 75
    4.3175
    >>> f = np.random.default_rng(0).beta(1, 2**6 - 1, size=5000)  # Haar fidelities, 6 qubits
    >>> r = expressibility_from_fidelities(f, 6, n_boot=0)
    >>> abs(r.kl_scaled_corrected) < 0.003
    True
    """
    fid = np.asarray(fidelities, dtype=np.float64)
    if fid.ndim != 1 or not np.all(np.isfinite(fid)):
        raise InputError("`fidelities` must be a finite 1-D array")
    n_b, n_pairs, n_boot = _check_bins_pairs(bins, fid.shape[0], n_boot)
    n_s = check_int("scaled_bins", scaled_bins, minimum=2)
    n = check_int("n_qubits", n_qubits, minimum=1)
    idx = np.minimum((np.clip(fid, 0.0, 1.0) * n_b).astype(np.int64), n_b - 1)
    counts = np.bincount(idx, minlength=n_b)
    log_q = haar_bin_masses(n, n_b)
    kl = float(_kl_from_counts(counts, log_q, n_pairs))
    corrected = kl - (np.count_nonzero(counts) - 1) / (2.0 * n_pairs)
    counts_s = np.bincount(_scaled_bin_index(fid, n, n_s), minlength=n_s)
    kl_s = float(_kl_from_counts(counts_s, haar_scaled_masses(n, n_s), n_pairs))
    corrected_s = kl_s - (np.count_nonzero(counts_s) - 1) / (2.0 * n_pairs)
    ci_low = ci_high = float("nan")
    if n_boot > 0:
        rng = as_generator(seed)
        boots = np.empty(n_boot)
        for i in range(n_boot):
            sample = idx[rng.integers(0, n_pairs, size=n_pairs)]
            boots[i] = _kl_from_counts(np.bincount(sample, minlength=n_b), log_q, n_pairs)
        q_lo, q_hi = np.quantile(boots, [0.025, 0.975])
        ci_low, ci_high = float(max(2 * kl - q_hi, 0.0)), float(max(2 * kl - q_lo, 0.0))
    return ExpressibilityResult(kl, float(corrected), ci_low, ci_high, n_pairs, n_b, n_boot,
                                seed_label(seed), n, kl_s, float(corrected_s), n_s)


def pair_fidelities(ansatz: Ansatz, theta: np.ndarray, phi: np.ndarray, *,
                    chunk_size: int | None = None, backend: Backend | None = None) -> np.ndarray:
    """|<psi(theta_i)|psi(phi_i)>|^2 for every row pair, simulated chunk by chunk by `backend`
    (default the exact statevector one); for density matrices the Hilbert-Schmidt overlap
    tr(rho_i sigma_i), which is the fidelity when either state is pure."""
    backend = as_backend(backend)
    out = np.empty(theta.shape[0])
    for (rows, a), (_, b) in zip(backend.states(ansatz, theta, chunk_size=chunk_size),
                                 backend.states(ansatz, phi, chunk_size=chunk_size)):
        if a.ndim == 3:  # tr(rho sigma) = sum_ij rho_ij conj(sigma_ij) for Hermitian sigma
            out[rows] = np.einsum("bij,bij->b", a, b.conj()).real
            continue
        overlap = np.einsum("bi,bi->b", a.conj(), b)
        out[rows] = overlap.real**2 + overlap.imag**2
    return out


def expressibility(
    ansatz: Ansatz,
    *,
    n_pairs: int = 5000,
    bins: int = 75,
    scaled_bins: int = 20,
    seed: SeedLike = None,
    n_boot: int = 200,
    chunk_size: int | None = None,
    backend: Backend | None = None,
) -> ExpressibilityResult:
    """Expressibility KL(P_PQC(F) || P_Haar(F)) of a PQC (Sim et al. 2019); lower = more expressive.

    Draws `n_pairs` pairs of parameter vectors theta, phi uniform on [0, 2pi) (all of them before
    simulating, so the value does not depend on `chunk_size`), histograms the fidelities
    F = |<psi(theta)|psi(phi)>|^2 into `bins` equal bins on [0, 1] and compares with the exact
    Haar bin masses (1-a)^(N-1) - (1-b)^(N-1), N = 2^n. The result also holds the bias-corrected
    KL, a bootstrap interval and the width-scaled KL of N F (`scaled_bins` fixed bins against
    the exact Haar law of N F), which compares across widths where the 75-bin KL does not
    (module docstring).

    Parameters
    ----------
    ansatz : the circuit.
    n_pairs : number of fidelity samples (>= 2), from 2 n_pairs independent states.
    bins : number of histogram bins (>= 2) of the Sim et al. KL.
    scaled_bins : number of bins (>= 2) of the width-scaled KL.
    seed : int, Generator or None.
    n_boot : bootstrap resamples of the pairs (0: no interval).
    chunk_size : rows simulated together (memory bound); does not change the result.
    backend : etr.quantum.Backend, default the exact statevector backend
        Where the states come from. With density matrices (a noisy backend) F is the
        Hilbert-Schmidt overlap tr(rho sigma), the fidelity when either state is pure, and the
        reference stays the pure-state Haar law: the KL then measures how far the noisy ensemble
        is from pure Haar states (mixedness included), not the circuit's expressibility, which
        etr keeps noise-free.

    Returns
    -------
    ExpressibilityResult
        ``kl`` is the plug-in Sim et al. KL.

    Raises
    ------
    etr.errors.InputError
        `n_pairs` < 2, `bins` or `scaled_bins` < 2, `n_boot` < 0.

    Notes
    -----
    Bias. The plug-in KL is biased upward by about (m - 1) / (2 n_pairs) (Miller-Madow; m
    occupied bins), and m depends on the width: for Haar states and 5000 pairs the plug-in value
    is 0.0073, 0.0037, 0.0012, 0.0003 and 0.00001 at 2, 4, 6, 8 and 10 qubits (m = 70, 31, 10,
    3, 1), so very expressive circuits plateau at a floor that falls with width. ``kl_corrected``
    removes that term (Haar: its mean is within 0.001 of 0 at every width). The width-scaled
    ``kl_scaled`` has the same floor (B - 1) / (2 n_pairs) = 0.0019 at every width (20 bins,
    5000 pairs) and ``kl_scaled_corrected`` about 0.

    Precision. For Haar-like ensembles 2 n_pairs KL is about chi-square with m - 1 degrees of
    freedom: SD ~ sqrt(2 (m - 1)) / (2 n_pairs), i.e. 0.0011 at 2 qubits and 5000 pairs falling
    below 0.0001 at 10 (the scaled KL: 0.0006 at every width). Away from Haar the SD is about
    sqrt(Var_P[ln(p / q)] / n_pairs); the basic bootstrap interval (`ci_low`, `ci_high`)
    resamples the pairs to estimate it. Resolution: from 8 qubits on the first of the 75 bins
    holds >= 97 % of the Haar mass, so the 75-bin KL only sees the tail F > 1/75 there.

    An idle circuit (every F = 1) gives (N - 1) ln(bins): 4.3175 for one qubit, 64.76 for four;
    its scaled KL is -ln of the Haar mass of the last scaled bin (3.11 at 4 qubits, -> ln 20 =
    3.00 as N grows; the bin of s = 2 at one qubit). Some
    tools evaluate the Haar density at bin centres instead of exact masses; values then differ
    slightly.

    References
    ----------
    Sim, S., Johnson, P. D., Aspuru-Guzik, A. (2019). Adv. Quantum Technol. 2, 1900070.
    arXiv:1905.10876. Miller, G. A. (1955). Note on the bias of information estimates.
    Information Theory in Psychology, 95-100.

    Examples
    --------
    >>> from etr.circuits import Ansatz, sim_circuit
    >>> round(expressibility(Ansatz(4, ()), n_pairs=100).kl, 2)
    64.76
    >>> r = expressibility(sim_circuit(1), n_pairs=500, seed=1, n_boot=20)
    >>> r.ci_low <= r.kl_corrected <= r.ci_high
    True
    >>> r.kl_scaled < r.kl  # sim1 at 4 qubits, on the width-scaled histogram
    True
    """
    n_b, n_p, n_bt = _check_bins_pairs(bins, n_pairs, n_boot)
    n_s = check_int("scaled_bins", scaled_bins, minimum=2)
    rng = as_generator(seed)
    draws = rng.uniform(0.0, 2.0 * np.pi, size=(2, n_p, ansatz.n_params))
    fid = pair_fidelities(ansatz, draws[0], draws[1], chunk_size=chunk_size, backend=backend)
    result = expressibility_from_fidelities(fid, ansatz.n_qubits, bins=n_b, scaled_bins=n_s,
                                            n_boot=n_bt, seed=rng)
    return dataclasses.replace(result, seed=seed_label(seed))
