"""The deep-circuit variance of the loss predicted from the DLA, and the measured variance.

Ragone et al. 2024 (Theorem 1): if the circuit's unitaries form a 2-design over the group e^g
(deep circuits with independent uniform angles) and O is in i*g or rho is in i*g, then

    Var_theta Tr(U rho U^dag O) = sum_j P_gj(rho) P_gj(O) / dim g_j

over the simple ideals g_j of g = g_1 + ... + g_k + center, with P_g(H) = Tr(H_g^2) the squared
Hilbert-Schmidt norm of the orthogonal projection of H onto (the complexification of) g. The center
contributes nothing (the group acts trivially on it). Identity parts of rho and O only shift the
mean and are dropped. With fixed gates moved to the end, O is replaced by B^dag O B
(`etr.theory.heisenberg`), and rho = |0...0><0...0| = 2^-n sum of the Z-type strings.

For a Pauli string O in an ideal made of strings, P(O) = 2^n and P(rho) = (number of Z-type
strings in the ideal) / 2^n, so Var = #Z-type strings / dim g_j; for g = su(2^n) this is
(2^n - 1) / (4^n - 1) = 1 / (2^n + 1), the Haar value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from etr._rng import SeedLike, as_generator, seed_label
from etr._validation import check_choice, check_int
from etr.circuits.ansatz import Ansatz
from etr.errors import InputError
from etr.quantum.backend import Backend, as_backend
from etr.quantum.observables import Observable
from etr.theory.general import GeneralAlgebra, to_vector
from etr.theory.heisenberg import apply_frame
from etr.theory.lie_algebra import MAX_DIM, check_lie_args, compute
from etr.theory.pauli import label_from_key, parse_pauli_sum

__all__ = [
    "STATES",
    "LossVarianceResult",
    "PredictedVarianceResult",
    "measured_loss_variance",
    "predicted_variance",
]

#: initial states of the prediction: |0...0>.
STATES: tuple[str, ...] = ("zero",)
_MEMBER_TOL = 1e-8


@dataclass(frozen=True, slots=True)
class PredictedVarianceResult:
    """Ragone et al.'s deep-circuit variance of <O> for one circuit.

    Attributes
    ----------
    value : the predicted Var_theta <O>, NaN when not computed or not applicable.
    reason : why `value` is NaN ("not computed: ..." or "not applicable: ..."), else empty.
    dla_dim : dim g, or None when the algebra was not computed.
    observable_in_algebra : whether B^dag O B (identity part dropped) lies in i*g.
    state_in_algebra : whether |0..0><0..0| (identity part dropped) lies in i*g.
    ideal_dims : dimensions of the simple ideals, in the order of the next three.
    p_state, p_observable : P_gj(rho) and P_gj(O) per simple ideal.
    contributions : P_gj(rho) P_gj(O) / dim g_j per simple ideal (they sum to `value`).
    method : how g was computed (``"pauli"``, ``"general"``, ``"none"``).
    n_qubits : width of the circuit.
    """

    value: float
    reason: str
    dla_dim: int | None
    observable_in_algebra: bool | None
    state_in_algebra: bool | None
    ideal_dims: tuple[int, ...]
    p_state: tuple[float, ...]
    p_observable: tuple[float, ...]
    contributions: tuple[float, ...]
    method: str
    n_qubits: int

    def to_frame(self) -> pd.DataFrame:
        """One row per simple ideal: ``ideal, dim, p_state, p_observable, contribution``."""
        return pd.DataFrame({
            "ideal": np.arange(len(self.ideal_dims)),
            "dim": np.array(self.ideal_dims, dtype=np.int64),
            "p_state": np.array(self.p_state, dtype=np.float64),
            "p_observable": np.array(self.p_observable, dtype=np.float64),
            "contribution": np.array(self.contributions, dtype=np.float64),
        })


def _nan(reason: str, rec, n: int, dim: int | None = None, obs_in: bool | None = None,
         state_in: bool | None = None) -> PredictedVarianceResult:
    return PredictedVarianceResult(float("nan"), reason, dim, obs_in, state_in, (), (), (), (),
                                   rec.method, n)


def _check_state(state: object) -> None:
    check_choice("state", state, STATES)


def predicted_variance(ansatz: Ansatz, observable: object, *, state: str = "zero",
                       max_dim: int = MAX_DIM, method: str = "auto") -> PredictedVarianceResult:
    """Deep-circuit variance of <O> over random parameters predicted from the DLA.

    Parameters
    ----------
    ansatz : the circuit (see `lie_algebra` for how its algebra is found).
    observable : a Pauli label (``"ZIII"``), ``"global"``, a mapping ``{label: coefficient}`` or a
        list of ``(coefficient, label)`` pairs with real coefficients, e.g.
        `etr.theory.readout_observable` (the pure-PQC readout mean_q Z_q).
    state : initial state; ``"zero"`` (|0...0>), the only one so far.
    max_dim, method : passed to `lie_algebra`.

    Returns
    -------
    PredictedVarianceResult
        ``value`` (NaN with ``reason`` when the algebra is not computed or neither O nor rho is in
        i*g, so the formula does not apply), the per-ideal terms and how it was computed.

    Raises
    ------
    etr.errors.InputError
        Unknown or malformed `observable`, unknown `state` or `method`, `max_dim` < 1.

    Notes
    -----
    The prediction assumes a deep circuit (a 2-design over the group generated by the circuit);
    shallow circuits can deviate (compare `measured_loss_variance`).

    References
    ----------
    Ragone, M. et al. (2024). A Lie algebraic theory of barren plateaus for deep parameterized
    quantum circuits. Nat. Commun. 15, 7172. arXiv:2309.09342.

    Examples
    --------
    >>> from etr.circuits import hardware_efficient
    >>> r = predicted_variance(hardware_efficient(3, 3, topology="linear"), "ZII")
    >>> round(r.value * (2**3 + 1), 12)  # su(8): the Haar value 1 / (2^n + 1)
    1.0
    >>> predicted_variance(hardware_efficient(2, 1, topology="none", rotations="RX+RY+RZ"),
    ...                    [(0.5, "ZI"), (0.5, "IZ")]).value  # su(2) + su(2): (1/4)(1/3) * 2
    0.16666666666666666
    """
    if not isinstance(ansatz, Ansatz):
        raise InputError(f"`ansatz` must be an etr.circuits.Ansatz, got {type(ansatz).__name__}")
    n = ansatz.n_qubits
    op = parse_pauli_sum(observable, n)
    _check_state(state)
    rec = compute(ansatz, check_lie_args(max_dim, method), method)
    if rec.algebra is None:
        return _nan(rec.reason, rec, n)
    alg = rec.algebra
    o_conj = apply_frame(rec.heisenberg.frame, op, n)
    o_conj = {k: float(v.real) for k, v in o_conj.items() if k != 0}
    rho = {z: 2.0**-n for z in range(1, 2**n)}
    if isinstance(alg, GeneralAlgebra):
        o_vec, rho_vec = to_vector(o_conj, n), to_vector(rho, n)
        obs_in = alg.residual(o_vec) < _MEMBER_TOL
        state_in = alg.residual(rho_vec) < _MEMBER_TOL
        p_obs, p_rho = alg.ideal_projections(o_vec), alg.ideal_projections(rho_vec)
    else:
        keys = np.array(sorted(o_conj), dtype=np.int64)
        obs_in = bool(np.all(alg.contains(keys)))
        z_in = alg.keys[alg.keys < (1 << n)]  # Z-type strings have x = 0
        state_in = z_in.shape[0] == 2**n - 1
        p_obs = alg.ideal_projections(o_conj)
        p_rho = alg.ideal_projections({int(z): 2.0**-n for z in z_in})
    dims = np.array(alg.ideal_dims(), dtype=np.float64)
    if not o_conj or alg.dim == 0:
        obs_in = True  # O a multiple of the identity, or no parameters: <O> is constant
    if not (obs_in or state_in):
        outside = [label_from_key(k, n) for k in o_conj][:3]
        return _nan("not applicable: neither O (after the fixed gates) nor rho lies in i*g, so "
                    f"Ragone et al.'s formula does not apply (e.g. {', '.join(outside)})",
                    rec, n, alg.dim, False, False)
    contrib = p_rho * p_obs / dims
    return PredictedVarianceResult(
        float(np.sum(contrib)), "", alg.dim, bool(obs_in), bool(state_in),
        tuple(int(d) for d in dims), tuple(p_rho.tolist()), tuple(p_obs.tolist()),
        tuple(contrib.tolist()), rec.method, n,
    )


@dataclass(frozen=True, slots=True)
class LossVarianceResult:
    """Variance of <O> over uniform random parameters, measured by simulation.

    Attributes
    ----------
    value : sample variance (ddof=1) of <O>.
    se : its standard error, sqrt((m4 - s^4 (N - 3)/(N - 1)) / N) with m4 the fourth central
        moment.
    mean : sample mean of <O>.
    n_samples : number of parameter vectors N.
    seed : the integer seed, or None.
    method : how it was computed.
    """

    value: float
    se: float
    mean: float
    n_samples: int
    seed: int | None
    method: str = "sample variance (ddof=1) over theta uniform on [0, 2 pi)^P, from |0...0>"

    def to_frame(self) -> pd.DataFrame:
        """One row: ``estimate, se, mean, n, seed``."""
        return pd.DataFrame([{"estimate": self.value, "se": self.se, "mean": self.mean,
                              "n": self.n_samples, "seed": self.seed}])


def observable_values(ansatz: Ansatz, params: np.ndarray, observable: object,
                      chunk_size: int | None = None, backend: Backend | None = None
                      ) -> np.ndarray:
    """<O>(theta_b) for every row of `params`, O a theory observable (`parse_pauli_sum`),
    simulated by `backend` (default the exact statevector one)."""
    expectations = as_backend(backend).expectations
    n = ansatz.n_qubits
    is_global = observable == "global" if isinstance(observable, str) else (
        isinstance(observable, Observable) and observable.kind == "global")
    if is_global:
        return expectations(ansatz, params, "global", chunk_size=chunk_size)[:, 0]
    op = parse_pauli_sum(observable, n)
    const = op.pop(0, 0.0)
    if not op:
        return np.full(np.atleast_2d(params).shape[0], const)
    labels = [label_from_key(k, n) for k in op]
    coefs = np.array(list(op.values()))
    return expectations(ansatz, params, labels, chunk_size=chunk_size) @ coefs + const


def measured_loss_variance(ansatz: Ansatz, observable: object, *, n_samples: int = 1000,
                           seed: SeedLike = None, chunk_size: int | None = None,
                           backend: Backend | None = None) -> LossVarianceResult:
    """Variance over uniform random parameters of <O> from |0...0>, by fast simulation.

    Parameters
    ----------
    ansatz : the circuit.
    observable : as for `predicted_variance`.
    n_samples : number of parameter vectors, each uniform on [0, 2 pi)^P (>= 4).
    seed : int, Generator or None.
    chunk_size : rows simulated together; does not change the result.
    backend : etr.quantum.Backend, default the exact statevector backend
        Under noise (`etr.quantum.DensityMatrixBackend`) this is the variance of the noisy
        cost, which decays with depth (noise-induced barren plateaus), while the prediction it
        tests (`predicted_variance`) is the noise-free circuit's; with finite shots the
        variance includes the shot noise (1 - <P>^2) / S of every estimate.

    Returns
    -------
    LossVarianceResult
        ``value`` (sample variance), ``se`` (its standard error), ``mean``.

    Raises
    ------
    etr.errors.InputError
        `n_samples` < 4, malformed `observable`.

    References
    ----------
    Ragone, M. et al. (2024). Nat. Commun. 15, 7172 (the prediction this measurement tests).

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> r = measured_loss_variance(Ansatz.from_gates(1, [("RY", 0)]), "Z", n_samples=20000,
    ...                            seed=0)
    >>> abs(r.value - 0.5) < 3 * r.se  # <Z> = cos(theta): variance 1/2
    True
    """
    if not isinstance(ansatz, Ansatz):
        raise InputError(f"`ansatz` must be an etr.circuits.Ansatz, got {type(ansatz).__name__}")
    n_s = check_int("n_samples", n_samples, minimum=4)
    parse_pauli_sum(observable, ansatz.n_qubits)  # validate before simulating
    rng = as_generator(seed)
    params = rng.uniform(0.0, 2.0 * np.pi, size=(n_s, ansatz.n_params))
    vals = observable_values(ansatz, params, observable, chunk_size, backend)
    var = float(vals.var(ddof=1))
    m4 = float(np.mean((vals - vals.mean()) ** 4))
    se = float(np.sqrt(max(m4 - var**2 * (n_s - 3) / (n_s - 1), 0.0) / n_s))
    return LossVarianceResult(var, se, float(vals.mean()), n_s, seed_label(seed))
