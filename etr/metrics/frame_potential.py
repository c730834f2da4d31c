"""State frame potentials F_t = E |<psi(theta)|psi(phi)>|^(2t) of a PQC: an expressibility measure
that compares across widths (its Haar value is known exactly at every N = 2**n).

Estimator
---------
From M independent states psi_1 .. psi_M (parameters uniform on [0, 2pi)) the all-pairs mean

    U = 1 / (M (M - 1)) * sum_{i != j} h_ij,    h_ij = |<psi_i|psi_j>|^(2t),

is an unbiased U-statistic of degree 2 for F_t. It uses every one of the M (M - 1) / 2 distinct
pairs; the pair terms are read off blocks of the Gram matrix (BLAS, see `etr.metrics._pair_sums`),
so M states cost M**2 * 2**n / 2 multiply-adds and no simulation beyond the M states.

Standard error
--------------
Hoeffding's decomposition gives, with theta = F_t, zeta_1 = Var_i(E[h_ij | psi_i]) >= 0 and
zeta_2 = Var(h_ij),

    Var(U) = [4 (M - 2) zeta_1 + 2 zeta_2] / (M (M - 1)).

For a unitarily invariant ensemble (Haar states, and nearly so for deep circuits) E[h_ij | psi_i]
does not depend on psi_i, so zeta_1 = 0 and only the second-order (degenerate) term remains: the
first-order approximation 4 zeta_1 / M would report no error at all there. etr plugs in the
unbiased estimates of zeta_1 and zeta_2 (`_components`: from the row sums r_i = sum_{j != i} h_ij
and the sum of squares of h, all computed in the same pass over the pairs) and truncates zeta_1
at 0, its parameter space. Without the truncation the estimate is exactly unbiased (it is U**2
minus the unbiased estimate of theta**2 from disjoint pairs), but when zeta_1 is 0 its zeta_1
part fluctuates around 0 with a spread comparable to the whole variance (4-cycles i-j-k-l of
pair terms), whatever M: relative SD 0.6 at 2 qubits and 0.2 at 4 for Haar states, and negative
values in 1-35 % of small-width Haar samples. The truncated estimate never falls below the
degenerate term 2 zeta_2 / (M (M - 1)), which all M (M - 1) / 2 pairs determine precisely.
The leave-one-out jackknife, U_(-i) = (S - 2 r_i) / ((M - 1) (M - 2)), is as cheap, but its
expectation 4 zeta_1 / M + 4 (zeta_2 - 2 zeta_1) / (M (M - 2)) counts the second-order term
twice: near Haar its interval is sqrt(2) too wide. The interval is the normal one, U +- z SE.
Coverage of the nominal 95 % interval, measured over 400 repetitions with M = 300 (300 with
M = 1000 for the last rows; `tests/metrics/test_frame_potential.py` repeats such runs as slow
tests):

==========================  ==========  ================  ===========
ensemble                     unbiased    truncated (etr)   jackknife
==========================  ==========  ================  ===========
Haar, 2 qubits                  0.85          0.99            0.99
Haar, 4 qubits                  0.94          0.97            1.00
RY+RZ, 1 qubit (zeta_1 > 0)     0.93          0.93            0.96
RY product, 4 qubits            0.93          0.99            1.00
Haar, 6 qubits, M = 1000        0.94          0.94            0.99
RY+RZ, 1 qubit, M = 1000        0.97          0.97            0.98
RY product, 6 qubits, M = 1000  0.96          0.97            1.00
==========================  ==========  ================  ===========

Precision
---------
The relative SE depends on the circuit: near a 2-design h is light-tailed (zeta_2 / F_2**2 -> 5 for
Haar states) and a few hundred states suffice, while product-like ensembles (one layer, or no
entanglers) have heavy-tailed h. For RY-only product states zeta_1 = 0 and
zeta_2 / F_2**2 = (35/18)**n - 1 (per qubit E cos^8 / (E cos^4)**2 of half a uniform angle
difference), 773 at 10 qubits, so M >= 3932 states for a 1 % relative SE; RY+RZ product states
(zeta_1 > 0, closed forms in the tests) need M >= 3993 at 10 qubits. Measured over the 455
distinct circuits of the `paper` preset (`benchmarks/frame_potential_precision.py`, the
circuits above 0.8 % repeated with 3 more seeds): with M = 3000, 16 circuits exceed 1 % (worst
1.39 %, all at 10 qubits with one or two layers or no entanglers); with M = 5000 the worst
relative SE is 0.86 % (RY+RZ product at 10 qubits; exact value 0.84 %) and none exceeds 1 %.
Hence ``DEFAULT_N_STATES = 5000``.

Backends
--------
`frame_potential` simulates through a `etr.quantum.Backend` (default the exact statevector one,
whose compiled path and product-state shortcut are used directly). A backend of pure states
(the QuTiP reference) gives the same estimator from its states; a backend of density matrices
(`etr.quantum.DensityMatrixBackend` under a `NoiseModel`) gives F_t = E tr(rho sigma)^t, the
Hilbert-Schmidt norm of the noisy ensemble's moment operator (`etr.metrics.density_frame_potential`
explains why that definition and what its ratio to Haar means: below 1 it measures mixedness, not
expressibility). etr keeps the dataset's expressibility the noise-free circuit's.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from etr._rng import SeedLike, as_generator, seed_label
from etr._validation import check_float, check_int
from etr.circuits.ansatz import Ansatz
from etr.errors import InputError
from etr.metrics._pair_sums import (
    PairSums,
    hs_pair_sums,
    pair_sums,
    product_pair_sums,
    split_states,
)
from etr.quantum.backend import Backend, StatevectorBackend, as_backend
from etr.quantum.compile import Compiled, Perm, compile_ansatz
from etr.quantum.statevector import chunks, forward, u1_matrix

__all__ = [
    "DEFAULT_N_STATES",
    "DENSITY_METHOD",
    "FramePotentialResult",
    "check_ensemble",
    "density_vectors",
    "frame_potential",
    "frame_potential_from_states",
    "haar_frame_potential",
]

#: default number of states (see the module's Precision section).
DEFAULT_N_STATES = 5000

#: from this width on, product states use the factorised Gram matrix (faster than 2**n BLAS
#: multiply-adds per pair; below it BLAS wins).
_PRODUCT_MIN_QUBITS = 6

_METHOD = "all-pairs U-statistic; Hoeffding variance (zeta_1 >= 0); normal interval"
#: the method of a frame potential of density matrices.
DENSITY_METHOD = ("F_t = E tr(rho sigma)^t (Hilbert-Schmidt norm of the t-th moment operator); "
                  "all-pairs U-statistic; Hoeffding variance (zeta_1 >= 0); normal interval")


@dataclass(frozen=True, slots=True)
class FramePotentialResult:
    """Frame potential F_t of an ensemble of states, with its Haar value and interval.

    Attributes
    ----------
    estimate : all-pairs U-statistic of F_t = E |<psi|phi>|^(2t) (unbiased).
    se : standard error of `estimate`: square root of the Hoeffding variance with unbiased
        components, zeta_1 truncated at 0 (module docstring); NaN for fewer than 4 states.
    ci_low, ci_high : normal interval ``estimate -+ z se`` at `confidence`.
    haar : exact Haar value 1 / C(N + t - 1, t), N = 2**n_qubits (2 / (N (N + 1)) for t = 2).
    ratio, ratio_ci_low, ratio_ci_high : `estimate` and its interval divided by `haar` (1 for a
        state t-design, larger otherwise: lower = more expressive).
    eps : sqrt(max(estimate - haar, 0)), the expressibility of Holmes et al. 2022 for t = 2.
    n_states : number of states M (M (M - 1) / 2 distinct pairs).
    t : the moment.
    n_qubits : number of qubits.
    confidence : level of the interval.
    seed : the integer seed, or None (no seed, or a Generator was passed).
    method : how it was computed.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    haar: float
    ratio: float
    ratio_ci_low: float
    ratio_ci_high: float
    eps: float
    n_states: int
    t: int
    n_qubits: int
    confidence: float
    seed: int | None
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One row: ``n, estimate, se, ci_low, ci_high, haar, ratio, ratio_ci_low,
        ratio_ci_high, eps, t, n_qubits, confidence, seed, method``."""
        return pd.DataFrame([{
            "n": self.n_states,
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "haar": self.haar,
            "ratio": self.ratio,
            "ratio_ci_low": self.ratio_ci_low,
            "ratio_ci_high": self.ratio_ci_high,
            "eps": self.eps,
            "t": self.t,
            "n_qubits": self.n_qubits,
            "confidence": self.confidence,
            "seed": self.seed,
            "method": self.method,
        }])


def haar_frame_potential(n_qubits: int, t: int = 2) -> float:
    """Exact Haar value 1 / C(2**n + t - 1, t) of the t-th state frame potential.

    Examples
    --------
    >>> haar_frame_potential(1, 2), haar_frame_potential(2, 3)
    (0.3333333333333333, 0.05)
    """
    n = check_int("n_qubits", n_qubits, minimum=1)
    t = check_int("t", t, minimum=1)
    return 1.0 / math.comb(2**n + t - 1, t)


def _components(sums: PairSums) -> tuple[float, float, float]:
    """(U, zeta_1, zeta_2): the estimate and unbiased estimates of the Hoeffding components.

    With T_3 = sum over distinct (i, j, k) of h_ij h_ik = sum_i r_i**2 - S_2 and T_4 = sum over
    distinct (i, j, k, l) of h_ij h_kl = S_1**2 - 4 T_3 - 2 S_2, the unbiased estimate of theta**2
    is T_4 / (M (M-1) (M-2) (M-3)), of E[h_ij h_ik] T_3 / (M (M-1) (M-2)) and of E[h**2]
    S_2 / (M (M-1)). All are computed on h - U (the estimators are invariant under a constant
    shift of h, and the centred sums do not cancel catastrophically). Needs M >= 4.
    """
    m = sums.n
    u = float(sums.row_sums.sum()) / (m * (m - 1))
    r_c = sums.row_sums - (m - 1) * u
    s2_c = sums.sum_sq - m * (m - 1) * u * u  # sum over i != j of (h_ij - U)^2
    t3_c = float(r_c @ r_c) - s2_c
    theta2_c = (-4.0 * t3_c - 2.0 * s2_c) / (m * (m - 1) * (m - 2) * (m - 3))
    zeta1 = t3_c / (m * (m - 1) * (m - 2)) - theta2_c
    zeta2 = s2_c / (m * (m - 1)) - theta2_c
    return u, zeta1, zeta2


def _u_statistic(sums: PairSums) -> tuple[float, float]:
    """(U, variance estimate of U); the variance is NaN if M < 4.

    Var^(U) = [4 (M - 2) max(zeta_1, 0) + 2 zeta_2] / (M (M - 1)) with the unbiased zetas of
    `_components` (module docstring). Without the truncation it would equal U**2 minus the
    unbiased estimate of theta**2, [4 sum_i r'_i**2 - 2 S'_2] / (M (M-1) (M-2) (M-3)).
    """
    m = sums.n
    if m < 4:
        return float(sums.row_sums.sum()) / (m * (m - 1)), float("nan")
    u, zeta1, zeta2 = _components(sums)
    var = (4.0 * (m - 2) * max(zeta1, 0.0) + 2.0 * max(zeta2, 0.0)) / (m * (m - 1))
    return u, var


def _result(sums: PairSums, *, n_qubits: int, t: int, confidence: float,
            seed: int | None) -> FramePotentialResult:
    est, var = _u_statistic(sums)
    se = math.sqrt(var) if np.isfinite(var) else float("nan")
    z = float(norm.ppf(0.5 + confidence / 2.0))
    lo, hi = est - z * se, est + z * se
    haar = haar_frame_potential(n_qubits, t)
    return FramePotentialResult(
        estimate=est, se=se, ci_low=lo, ci_high=hi, haar=haar, ratio=est / haar,
        ratio_ci_low=lo / haar, ratio_ci_high=hi / haar, eps=math.sqrt(max(est - haar, 0.0)),
        n_states=sums.n, t=t, n_qubits=n_qubits, confidence=confidence, seed=seed,
        method=_METHOD,
    )


def _check_common(t: object, confidence: object) -> tuple[int, float]:
    t = check_int("t", t, minimum=1)
    confidence = check_float("confidence", confidence, low=0.0, high=1.0)
    if not 0.0 < confidence < 1.0:
        raise InputError(f"`confidence` must be in (0, 1), got {confidence}")
    return t, confidence


def check_ensemble(states: object, *, matrices: bool) -> np.ndarray:
    """`states` as an array of M >= 2 finite draws of dimension d = 2**n: state vectors
    ``(M, d)``, or density matrices ``(M, d, d)`` when `matrices`; `InputError` otherwise.

    The shape checks of both frame potentials from given states (what each state must satisfy,
    a unit norm or a unit trace, is checked by each).

    Examples
    --------
    >>> check_ensemble(np.eye(4), matrices=False).shape
    (4, 4)
    >>> check_ensemble(np.ones((1, 2, 2)), matrices=True)
    Traceback (most recent call last):
    ...
    etr.errors.InputError: `states` must hold at least 2 density matrices, got 1
    """
    arr = np.asarray(states)
    ndim, shape, what, size = ((3, "(M, d, d)", "density matrices", "d = 2**n") if matrices
                               else (2, "(M, 2**n)", "states", "2**n columns"))
    if not (np.issubdtype(arr.dtype, np.number) and arr.ndim == ndim
            and (not matrices or arr.shape[1] == arr.shape[2])):
        raise InputError(f"`states` must be a numeric {shape} array, got shape {arr.shape}")
    m, dim = arr.shape[:2]
    if m < 2:
        raise InputError(f"`states` must hold at least 2 {what}, got {m}")
    if dim < 2 or dim & (dim - 1) or not np.all(np.isfinite(arr)):
        raise InputError(f"`states` must be finite with {size}, got shape {arr.shape}")
    return arr


def frame_potential_from_states(states: np.ndarray, *, t: int = 2,
                                confidence: float = 0.95) -> FramePotentialResult:
    """Frame potential F_t of an ensemble given by M sampled states (rows of `states`).

    Parameters
    ----------
    states : shape ``(M, 2**n)``, M >= 2 normalised state vectors (real or complex), independent
        draws from the ensemble.
    t : the moment (>= 1).
    confidence : level of the interval, in (0, 1).

    Returns
    -------
    FramePotentialResult
        ``seed`` is None.

    Raises
    ------
    etr.errors.InputError
        `states` not a finite ``(M, 2**n)`` array of normalised rows with M >= 2, `t` < 1,
        `confidence` outside (0, 1).

    Notes
    -----
    See the module docstring for the estimator and its standard error. Haar-random states
    (normalised complex Gaussian vectors) give ratio 1 within the interval.

    References
    ----------
    Holmes, Z., Sharma, K., Cerezo, M., Coles, P. J. (2022). Connecting ansatz expressibility to
    gradient magnitudes and barren plateaus. PRX Quantum 3, 010313. arXiv:2101.02138.
    Hoeffding, W. (1948). A class of statistics with asymptotically normal distribution. Ann.
    Math. Stat. 19, 293.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(400, 8)) + 1j * rng.normal(size=(400, 8))
    >>> r = frame_potential_from_states(z / np.linalg.norm(z, axis=1, keepdims=True))
    >>> r.haar == 2 / (8 * 9), r.ratio_ci_low < 1 < r.ratio_ci_high
    (True, True)
    """
    t, confidence = _check_common(t, confidence)
    psi = check_ensemble(states, matrices=False)
    dim = psi.shape[1]
    norms = np.linalg.norm(psi, axis=1)
    if not np.allclose(norms, 1.0, rtol=0.0, atol=1e-8):
        worst = float(np.max(np.abs(norms - 1.0)))
        raise InputError(f"`states` must hold normalised rows; a norm is off by {worst:.3g}")
    return _result(pair_sums(*split_states(psi), t), n_qubits=dim.bit_length() - 1, t=t,
                   confidence=confidence, seed=None)


def _is_product(compiled: Compiled) -> bool:
    """True when every operation after the product state is fixed (no parameter).

    A fixed unitary V applied to every state leaves every overlap <V a|V b> = <a|b>, so the Gram
    matrix is that of the product state built by `compiled.initial`.
    """
    return all(isinstance(op, Perm) or not op.parametric for op in compiled.ops)


def _product_factors(compiled: Compiled, theta: np.ndarray) -> np.ndarray:
    """Single-qubit factors of the initial product state, shape ``(M, n, 2)`` complex."""
    f = np.zeros((theta.shape[0], compiled.n_qubits, 2), dtype=np.complex128)
    f[:, :, 0] = 1.0
    for op in compiled.initial:
        f[:, op.qubit] = u1_matrix(op, theta)[:, :, 0]
    return f


def density_vectors(rho: np.ndarray) -> np.ndarray:
    """Density matrices ``(M, d, d)`` as real vectors ``(M, 2 d^2)`` (real and imaginary parts)
    whose dot products are tr(rho_i rho_j) (both Hermitian)."""
    flat = rho.reshape(rho.shape[0], -1)
    return np.ascontiguousarray(np.concatenate([flat.real, flat.imag], axis=1), dtype=float)


def _backend_sums(ansatz: Ansatz, t: int, theta: np.ndarray, backend: Backend,
                  chunk_size: int | None) -> tuple[PairSums, bool]:
    """Pair sums of the states `backend` gives, and whether they were density matrices."""
    blocks = [block for _, block in backend.states(ansatz, theta, chunk_size=chunk_size)]
    states = np.concatenate(blocks) if blocks else np.zeros((0, 2**ansatz.n_qubits))
    if states.ndim == 3:
        return hs_pair_sums(density_vectors(states), t), True
    return pair_sums(*split_states(states), t), False


def _sums(ansatz: Ansatz, t: int, m: int, seed: SeedLike, chunk_size: int | None,
          backend: Backend) -> tuple[PairSums, bool]:
    """Pair sums of M states of `ansatz` (parameters drawn at once, then simulated in chunks),
    and whether the states were density matrices."""
    theta = as_generator(seed).uniform(0.0, 2.0 * np.pi, size=(m, ansatz.n_params))
    if not isinstance(backend, StatevectorBackend):
        return _backend_sums(ansatz, t, theta, backend, chunk_size)
    compiled = compile_ansatz(ansatz)
    if ansatz.n_qubits >= _PRODUCT_MIN_QUBITS and _is_product(compiled):
        return product_pair_sums(_product_factors(compiled, theta), t), False
    shape = (m, 2**ansatz.n_qubits)
    re = np.empty(shape)
    im = None if compiled.real else np.empty(shape)
    for rows in chunks(m, ansatz.n_qubits, chunk_size):
        psi = forward(compiled, theta[rows])
        if im is None:
            re[rows] = psi
        else:
            re[rows], im[rows] = psi.real, psi.imag
    return pair_sums(re, im, t), False


def frame_potential(
    ansatz: Ansatz,
    *,
    t: int = 2,
    n_states: int = DEFAULT_N_STATES,
    seed: SeedLike = None,
    confidence: float = 0.95,
    chunk_size: int | None = None,
    backend: Backend | None = None,
) -> FramePotentialResult:
    """State frame potential F_t of a PQC over parameters uniform on [0, 2pi); ratio to Haar.

    Draws `n_states` parameter vectors at once (so the value does not depend on `chunk_size`),
    simulates their states and averages |<psi_i|psi_j>|^(2t) over all M (M - 1) / 2 distinct
    pairs (an unbiased U-statistic). ``ratio = estimate / haar`` is 1 for a state t-design and
    larger otherwise (lower = more expressive); ``eps = sqrt(F_2 - F_2^Haar)`` is the
    expressibility of Holmes et al. 2022.

    Parameters
    ----------
    ansatz : the circuit.
    t : the moment (>= 1); t = 2 is the study's measure.
    n_states : number of states M (>= 2; the standard error needs M >= 4).
    seed : int, Generator or None.
    confidence : level of the normal interval, in (0, 1).
    chunk_size : rows simulated together (memory bound of the simulation); does not change the
        result.
    backend : etr.quantum.Backend, default the exact statevector backend
        Where the states come from (module notes): pure states give the estimator above,
        density matrices F_t = E tr(rho sigma)^t (``method`` says which; M density matrices
        take 16 M 4^n bytes).

    Returns
    -------
    FramePotentialResult

    Raises
    ------
    etr.errors.InputError
        `ansatz` not an `Ansatz`, `t` < 1, `n_states` < 2, `confidence` outside (0, 1),
        `chunk_size` < 1, a backend without states (finite shots).

    Notes
    -----
    Circuits whose parameters all act before the first multi-qubit gate (one layer of rotations
    followed by fixed entanglers; no entanglers at all) give product states up to a fixed unitary
    that drops out of every overlap; from 6 qubits on their Gram matrix is computed from the
    single-qubit factors (same estimator, n products per pair instead of 2**n). See the module
    docstring for the standard error, the interval and the precision of the default `n_states`.

    References
    ----------
    Holmes, Z., Sharma, K., Cerezo, M., Coles, P. J. (2022). PRX Quantum 3, 010313.
    arXiv:2101.02138. Sim, S., Johnson, P. D., Aspuru-Guzik, A. (2019). arXiv:1905.10876.

    Examples
    --------
    >>> from etr.circuits import Ansatz, hardware_efficient
    >>> frame_potential(Ansatz(3, ()), n_states=10).ratio  # idle circuit: F_2 = 1 = 36 F_2^Haar
    36.0
    >>> r = frame_potential(hardware_efficient(3, 8, rotations="RY+RZ", topology="ring",
    ...                                        entangler="CNOT"), n_states=500, seed=1)
    >>> bool(r.ratio_ci_low < 1.1)
    True
    """
    if not isinstance(ansatz, Ansatz):
        raise InputError(f"`ansatz` must be an etr Ansatz, got {type(ansatz).__name__}")
    t, confidence = _check_common(t, confidence)
    m = check_int("n_states", n_states, minimum=2)
    if chunk_size is not None:
        check_int("chunk_size", chunk_size, minimum=1)
    sums, mixed = _sums(ansatz, t, m, seed, chunk_size, as_backend(backend))
    res = _result(sums, n_qubits=ansatz.n_qubits, t=t, confidence=confidence,
                  seed=seed_label(seed))
    return dataclasses.replace(res, method=DENSITY_METHOD) if mixed else res
