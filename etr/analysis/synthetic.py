"""Synthetic contract-shaped datasets with a known expressibility-trainability relationship.

Used to test the statistical API against ground truth and to demonstrate reports before any
simulation has run. Nothing here simulates a circuit. Two generators:

* `synthetic_dataset`: one architecture per circuit, trainability log-linear in a latent
  expressibility (known slopes for the mixed models and the regime segmentation);
* `planted_dataset`: circuits on a width x depth grid with several pre-networks per circuit in
  the hybrid configurations, expressibility and trainability confounded by width and depth, and
  a planted *conditional* correlation per configuration whose value on the r scale is known in
  closed form (for the claims and the coverage of the conditional association).

Both return every column of `etr.contract.COLUMNS`. Every registered metric gets values: the
ones described below by their own rule, any other from the registry alone
(`etr.contract.Metric.from_latent`: a monotone map of the latent trainability, or of the latent
expressibility for circuit-level measures, into the metric's valid range in its direction; an
independent draw for a capacity measure), so a newly registered definition or measure appears
in the synthetic data without an edit here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from etr._hashing import short_hash
from etr._rng import SeedLike, as_generator
from etr._validation import check_float, check_int
from etr.analysis._common import pqc_rows
from etr.analysis._generate import censor_steps, check_configs, config_map, latent_trainability
from etr.contract import (
    CAPACITY,
    CIRCUIT,
    COLUMNS,
    CONFIGS,
    METRICS,
    PQC_CONFIGS,
    TRAINABILITY_DEFINITIONS,
    coerce_dtypes,
)
from etr.errors import InputError

__all__ = ["KL_BIAS", "planted_dataset", "synthetic_dataset"]

#: Miller-Madow bias of the plug-in KL estimate for 75 bins and 5000 pairs, (B - 1) / (2 M).
KL_BIAS: float = 74 / 10_000
#: sampling standard deviation of a synthetic expressibility estimate.
_KL_SE: float = 0.003
_Z95: float = 1.96  # two-sided 95% standard-normal quantile (rounded) of the planted intervals
#: baseline log10(grad_var) of every architecture.
_LOG10_BASE: float = -2.0
_DEFAULT_SLOPES: dict[str, float] = {
    "pure_pqc": 0.8, "hybrid_quantum_only": 0.4, "hybrid_full": 0.0,
}
_TOPOLOGIES: tuple[str, ...] = ("linear", "ring", "full")
_WIDTHS: tuple[int, ...] = (2, 4, 6)
_DEPTHS: tuple[int, ...] = (1, 2, 4, 6)


# --- synthetic_dataset ----------------------------------------------------------------------


def synthetic_dataset(
    *,
    n_architectures: int = 60,
    n_seeds: int = 3,
    configs: Sequence[str] = PQC_CONFIGS,
    slopes: Mapping[str, float] | None = None,
    breakpoint: float | None = None,
    intercept_sd: float = 0.3,
    noise_sd: float = 0.2,
    seed: SeedLike = None,
) -> pd.DataFrame:
    """A contract-shaped dataset whose trade-off is known exactly.

    Every architecture (its own circuit) gets a latent expressibility ``x`` (a KL divergence,
    lower = more expressive) and a random intercept ``u ~ N(0, intercept_sd)`` shared by all its
    runs. For each run (architecture x training configuration x seed)::

        log10(grad_var) = -2 + u + slope[config] * g(x) + e,    e ~ N(0, noise_sd)

    with ``g(x) = x`` or, when `breakpoint` ``b`` is given, ``g(x) = min(x, b)``: the trade-off
    holds for ``x < b`` and is flat beyond (a kink at ``b``). A positive slope is the classic
    trade-off (more expressive -> smaller gradients). Widths are drawn from (2, 4, 6) and depths
    from (1, 2, 4, 6); ``x`` shrinks with depth (deeper circuits are more expressive).

    Parameters
    ----------
    n_architectures : int
        Number of architectures (each a distinct circuit, ``pqc_id``), >= 1.
    n_seeds : int
        Replicate seeds per architecture and configuration, >= 1.
    configs : sequence of str
        Training configurations to generate (subset of `etr.contract.TRAINING_CONFIGS`).
    slopes : mapping, optional
        Configuration -> slope of ``log10(grad_var)`` on the KL divergence. Default
        ``{"pure_pqc": 0.8, "hybrid_quantum_only": 0.4, "hybrid_full": 0.0}``; a configuration
        missing from the mapping gets slope 0.
    breakpoint : float, optional
        KL value beyond which the relationship is flat (one known breakpoint). ``None``: linear.
    intercept_sd, noise_sd : float
        Standard deviations of the architecture random intercept and of the run-level noise
        (log10 scale), >= 0.
    seed : int, numpy.random.Generator or None
        Randomness source.

    Returns
    -------
    pandas.DataFrame
        One row per run with every column of `etr.contract.COLUMNS` in contract order and
        dtypes, ``status == "ok"``. The other definitions derive from the same latent value:
        ``grad_var_train`` (same slope, extra noise 0.1), ``grad_norm`` = ``sqrt(grad_var)``
        times log-normal noise (half the slope), ``loss_decrease`` an increasing function of
        ``grad_var`` in (0, 1) (same rank direction), ``steps_to_target`` a decreasing function
        of it, censored at 100 steps (``steps_to_target_censored``), ``effective_dimension``
        independent of expressibility (a null definition). Expressibility columns:
        ``expressibility_kl`` = ``x`` + `KL_BIAS` + N(0, 0.003) (the plug-in estimate, biased
        upward), ``expressibility_kl_corrected`` = ``expressibility_kl - KL_BIAS`` with a 95%
        interval ``expressibility_kl_ci_low/high``, and ``expressibility_fp`` = ``1 + 2 x``
        (times 1 + N(0, 0.003)), a frame-potential ratio in the same order.
        ``df.attrs["truth"]`` records the generating values (JSON-serialisable): ``slopes``
        (config -> slope of log10(grad_var) on ``x``), ``definition_slopes`` (definition ->
        config -> log10 slope, ``None`` where the relationship is monotone but not
        log-linear), ``breakpoint``, ``intercept`` (-2), ``intercept_sd``, ``noise_sd``,
        ``kl_bias``, ``kl_se``.

    Raises
    ------
    etr.errors.InputError
        Bad sizes, unknown configuration, negative standard deviation.

    Notes
    -----
    Slopes are defined on the noise-free latent ``x``; the expressibility columns carry
    measurement noise of sd 0.003, which attenuates a regression slope by a factor of about
    ``1 - 0.003**2 / var(x)`` (below 1e-4 here), i.e. negligibly.

    Examples
    --------
    >>> from etr.analysis import synthetic_dataset
    >>> df = synthetic_dataset(n_architectures=20, n_seeds=2, seed=1)
    >>> df.shape[0]
    120
    >>> df.attrs["truth"]["slopes"]["pure_pqc"]
    0.8
    >>> bool((df["expressibility_fp"] >= 1).all())
    True
    """
    n_architectures = check_int("n_architectures", n_architectures, minimum=1)
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    intercept_sd = check_float("intercept_sd", intercept_sd, low=0.0)
    noise_sd = check_float("noise_sd", noise_sd, low=0.0)
    configs = check_configs(configs)
    slope_map = config_map("slopes", slopes, _DEFAULT_SLOPES)
    slope_map = {c: check_float(f"slopes[{c!r}]", slope_map.get(c, 0.0)) for c in configs}
    if breakpoint is not None:
        breakpoint = check_float("breakpoint", breakpoint, positive=True)
    rng = as_generator(seed)

    arch = _architectures(n_architectures, rng)
    arch["u"] = rng.normal(0.0, intercept_sd, n_architectures)
    _expressibility(arch, rng)
    runs = arch.merge(pd.DataFrame({"training_config": list(configs)}), how="cross")
    runs = runs.merge(pd.DataFrame({"seed": np.arange(n_seeds, dtype=np.int64)}), how="cross")
    g = runs["x"].to_numpy()
    if breakpoint is not None:
        g = np.minimum(g, breakpoint)
    slope = runs["training_config"].map(slope_map).to_numpy(dtype=float)
    log_gv = (_LOG10_BASE + runs["u"].to_numpy() + slope * g
              + rng.normal(0.0, noise_sd, len(runs)))
    _trainability(runs, log_gv, rng)
    runs["_t"], runs["_c"] = log_gv - _LOG10_BASE, -runs["x"].to_numpy()
    out = _finish(runs, rng)
    out.attrs["truth"] = _truth(slope_map, breakpoint, intercept_sd, noise_sd)
    return out


def _architectures(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Architecture factors and the latent KL ``x`` (loosely decreasing with depth)."""
    n_qubits = rng.choice(_WIDTHS, n)
    layers = rng.choice(_DEPTHS, n)
    topology = rng.choice(_TOPOLOGIES, n)
    x = rng.uniform(0.0, 1.6, n) * np.exp(-0.1 * (layers - 1))
    rows = []
    for i in range(n):
        factors = {
            "family": "hea", "circuit": "hea", "n_qubits": int(n_qubits[i]),
            "layers": int(layers[i]), "topology": str(topology[i]), "rotations": "RY+RZ",
            "entangler": "CZ", "encoding": "ry", "reupload": False,
            "classical_pre": "8-tanh", "classical_post": "8-tanh", "index": i,
        }
        pqc = {k: factors[k] for k in ("family", "circuit", "n_qubits", "layers", "topology",
                                        "rotations", "entangler", "index")}
        rows.append({
            **{k: v for k, v in factors.items() if k != "index"},
            "architecture_id": short_hash(factors, 12),
            "pqc_id": short_hash(pqc, 12),
            "n_quantum_params": 2 * int(n_qubits[i]) * int(layers[i]),
            "n_classical_params": 8 * 2 + 8 + 8 * 2 + 2,
            "task": "synthetic",
            "x": float(x[i]),
        })
    return pd.DataFrame(rows)


def _expressibility(arch: pd.DataFrame, rng: np.random.Generator) -> None:
    """KL (biased plug-in, corrected, interval), frame-potential ratio, entangling capability."""
    n = len(arch)
    kl = np.clip(arch["x"] + KL_BIAS + rng.normal(0.0, _KL_SE, n), 1e-4, None)
    arch["expressibility_kl"] = kl
    arch["expressibility_kl_corrected"] = np.clip(kl - KL_BIAS, 0.0, None)
    arch["expressibility_kl_ci_low"] = np.clip(kl - KL_BIAS - _Z95 * _KL_SE, 0.0, None)
    arch["expressibility_kl_ci_high"] = kl - KL_BIAS + _Z95 * _KL_SE
    fp = 1.0 + 2.0 * arch["x"].to_numpy() * (1.0 + rng.normal(0.0, _KL_SE, n))
    arch["expressibility_fp"] = np.maximum(fp, 1.0)
    arch["expressibility_fp_ci_low"] = np.maximum(fp - _Z95 * 2 * _KL_SE, 1.0)
    arch["expressibility_fp_ci_high"] = fp + _Z95 * 2 * _KL_SE
    arch["entangling_capability"] = np.clip(
        0.8 * (1 - np.exp(-0.5 * arch["layers"])) + rng.normal(0, 0.03, n), 0, 1
    )


def _trainability(runs: pd.DataFrame, log_gv: np.ndarray, rng: np.random.Generator) -> None:
    """Every trainability column from the latent log10(grad_var); performance columns."""
    n = len(runs)
    runs["grad_var"] = 10.0**log_gv
    runs["grad_var_train"] = 10.0 ** (log_gv + rng.normal(0.0, 0.1, n))
    runs["grad_norm"] = np.sqrt(runs["grad_var"]) * 10.0 ** rng.normal(0.0, 0.05, n)
    runs["loss_decrease"] = 1.0 - np.exp(-(10.0 ** (log_gv - _LOG10_BASE)))
    censor_steps(runs, np.ceil(30.0 * 10.0 ** (-(log_gv - _LOG10_BASE))))
    runs["effective_dimension"] = np.clip(rng.normal(0.5, 0.1, n), 0.0, 1.0)
    runs["final_loss"] = np.clip(0.7 - 0.3 * runs["loss_decrease"] + rng.normal(0, 0.05, n),
                                 0.0, None)
    runs["final_loss_std"] = np.abs(rng.normal(0.02, 0.005, n))
    runs["test_accuracy"] = np.clip(0.5 + 0.4 * runs["loss_decrease"]
                                    + rng.normal(0, 0.03, n), 0.0, 1.0)
    runs["test_accuracy_std"] = np.abs(rng.normal(0.02, 0.005, n))


def _finish(runs: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Status, timing, cell ids, the registered metrics not generated yet; every contract
    column in order and dtype."""
    n = len(runs)
    runs["status"] = "ok"
    runs["error"] = ""
    runs["wall_time_s"] = rng.uniform(0.5, 5.0, n)
    runs["cell_id"] = [
        short_hash([a, c, int(s)], 12) for a, c, s in
        zip(runs["architecture_id"], runs["training_config"], runs["seed"], strict=True)
    ]
    _registered(runs, rng)
    return coerce_dtypes(runs.reindex(columns=list(COLUMNS)).reset_index(drop=True))


def _registered(runs: pd.DataFrame, rng: np.random.Generator) -> None:
    """Every registered metric without a column yet, from the registry alone: a monotone map of
    the run's latent trainability ``_t`` (more = more trainable) or, for a circuit-level
    measure, of the circuit's latent expressibility ``_c`` (more = more expressive; constant per
    circuit); a capacity measure is an independent draw (no association). NaN for the
    classical-only control where the metric needs a PQC. Drawn after every other column, so a
    new entry moves no existing value."""
    has_pqc = pqc_rows(runs)
    for name, m in METRICS.items():
        if name not in runs.columns:
            if m.kind == CAPACITY:
                z = rng.normal(size=len(runs))
            else:
                z = runs["_c" if m.level == CIRCUIT else "_t"].to_numpy(dtype=float)
            runs[name] = m.from_latent(z)
        if m.needs_pqc:  # the control has no quantum parameters (as `etr.hybrid.evaluate_run`)
            runs[name] = np.where(has_pqc, runs[name].to_numpy(dtype=float), np.nan)


def _truth(slope_map: dict[str, float], breakpoint: float | None, intercept_sd: float,
           noise_sd: float) -> dict:
    def_slopes = {
        "grad_var": dict(slope_map),
        "grad_var_train": dict(slope_map),
        "grad_norm": {c: s / 2 for c, s in slope_map.items()},
        "loss_decrease": {c: (0.0 if s == 0 else None) for c, s in slope_map.items()},
        "steps_to_target": {c: (0.0 if s == 0 else None) for c, s in slope_map.items()},
        "effective_dimension": {c: 0.0 for c in slope_map},
    }
    for name in TRAINABILITY_DEFINITIONS:  # the rest: `Metric.from_latent` of log10(grad_var)
        if name not in def_slopes:
            def_slopes[name] = {c: _generic_slope(name, s) for c, s in slope_map.items()}
    return {
        "slopes": dict(slope_map),
        "definition_slopes": def_slopes,
        "breakpoint": breakpoint,
        "intercept": _LOG10_BASE,
        "intercept_sd": intercept_sd,
        "noise_sd": noise_sd,
        "kl_bias": KL_BIAS,
        "kl_se": _KL_SE,
        "x": "expressibility_kl minus its Miller-Madow bias and sampling noise",
        "y": "log10(grad_var)",
    }


def _generic_slope(name: str, slope: float) -> float | None:
    """The log10 slope of a definition generated by `etr.contract.Metric.from_latent` from
    log10(grad_var) + 2: log-linear (slope times the direction) when its range is [0, inf) and
    its scale is log; otherwise monotone, with a known slope only when it is 0."""
    m = METRICS[name]
    if m.kind == CAPACITY:
        return 0.0
    if m.log_scale and m.valid.low == 0 and m.valid.high is None and not m.valid.se_slack:
        return m.higher_is_more * slope
    return 0.0 if slope == 0 else None


# --- planted_dataset ------------------------------------------------------------------------

_DEFAULT_CONDITIONAL: dict[str, float] = {
    "pure_pqc": 0.5, "hybrid_quantum_only": 0.25, "hybrid_full": 0.0,
}
_TRAINING_DEFINITIONS = ("grad_var_train", "grad_norm", "loss_decrease", "steps_to_target",
                         "grad_var_landscape")


def planted_dataset(
    *,
    n_pqcs: int = 120,
    n_seeds: int = 3,
    n_pre: int = 2,
    widths: Sequence[int] = (2, 4, 6),
    depths: Sequence[int] = (1, 2, 4, 6),
    configs: Sequence[str] = PQC_CONFIGS,
    conditional: Mapping[str, float | tuple[float, float]] | None = None,
    confounding: float = 1.0,
    icc: float = 0.4,
    seed: SeedLike = None,
) -> pd.DataFrame:
    """Circuits on a width x depth grid with a planted association *given* width and depth.

    Each circuit ``k`` (a ``pqc_id``) sits in one (n_qubits, layers) cell of the grid (cells
    filled in turn) and has a latent expressibility ``z_k ~ N(0, 1)``. Its frame-potential ratio
    is ``1 + 10 ** (0.5 - confounding * (0.12 n + 0.25 L) + 0.3 z_k)``: wider and deeper
    circuits are more expressive (lower). A run of configuration ``c`` has the latent
    trainability::

        t = -confounding * (0.5 n + 0.35 L) / 0.6 + rho_c z_k + sqrt(1 - rho_c^2) e

    with ``e`` a unit-variance mixture of a circuit effect (share `icc`, common to every
    configuration), an architecture effect (share 0.2 in the hybrid configurations) and run
    noise, so that *within* a cell the correlation of ``z`` and ``t`` over runs is exactly
    ``rho_c`` while, across cells, both fall with width and depth (a marginal association
    that is not a trade-off). Every trainability column is an increasing function of ``t``
    (``steps_to_target`` a decreasing one, censored at 100 steps), so the planted conditional
    association on the r scale, oriented (+ = more expressive -> less trainable), is
    ``rho_c`` for every definition whose values are not censored.

    ``grad_var`` is measured at initialisation, where the two hybrid configurations are the same
    model: it follows ``rho`` of ``hybrid_quantum_only`` and holds identical values in both
    hybrid configurations (as the simulator does).

    Parameters
    ----------
    n_pqcs : int
        Distinct circuits (>= 2 per cell is needed for a conditional estimate).
    n_seeds : int
        Replicate seeds per architecture and configuration.
    n_pre : int
        Pre-networks (architectures) per circuit in the hybrid configurations; the pure
        configuration has one architecture per circuit.
    widths, depths : sequence of int
        The grid of n_qubits and layers.
    configs : sequence of str
        Configurations to generate; ``classical_only`` rows have no PQC (expressibility NaN,
        ``pqc_id`` missing).
    conditional : mapping, optional
        Configuration -> planted conditional correlation in (-1, 1), or a pair ``(shallow,
        deep)`` applied to the lower and upper half of `depths` (regime dependence). Default
        ``{"pure_pqc": 0.5, "hybrid_quantum_only": 0.25, "hybrid_full": 0.0}``; missing
        configurations get 0.
    confounding : float
        Strength of the common dependence on width and depth (0: none).
    icc : float
        Share of the trainability noise common to all runs of a circuit, in [0, 0.8].
    seed : int, numpy.random.Generator or None
        Randomness source.

    Returns
    -------
    pandas.DataFrame
        Every column of `etr.contract.COLUMNS`; ``df.attrs["truth"]`` holds ``conditional``
        (config -> planted value, or ``[shallow, deep]``), ``deep_layers`` (the depths counted
        as deep), ``confounding``, ``icc``, ``x`` and ``y`` descriptions.

    Raises
    ------
    etr.errors.InputError
        Bad sizes, unknown configurations, a correlation outside (-1, 1).

    Examples
    --------
    >>> df = planted_dataset(n_pqcs=24, n_seeds=2, seed=0)
    >>> df.groupby("training_config")["architecture_id"].nunique().to_dict()
    {'hybrid_full': 48, 'hybrid_quantum_only': 48, 'pure_pqc': 24}
    >>> int(df["pqc_id"].nunique())
    24
    """
    n_pqcs = check_int("n_pqcs", n_pqcs, minimum=1)
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    n_pre = check_int("n_pre", n_pre, minimum=1)
    confounding = check_float("confounding", confounding, low=0.0)
    icc = check_float("icc", icc, low=0.0, high=0.8)
    configs = check_configs(configs)
    widths = tuple(check_int("widths", w, minimum=1) for w in widths)
    depths = tuple(sorted(check_int("depths", d, minimum=1) for d in depths))
    if not widths or not depths:
        raise InputError("`widths` and `depths` must each hold at least one value")
    rho = _planted_rho(conditional, configs)
    deep = depths[len(depths) // 2:] if len(depths) > 1 else ()
    rng = as_generator(seed)
    pqcs = _grid_pqcs(n_pqcs, widths, depths, confounding, rng)
    runs = _planted_runs(pqcs, configs, n_pre, n_seeds)
    _planted_trainability(runs, rho, deep, confounding, icc, rng)
    out = _finish(runs, rng)
    out.attrs["truth"] = {
        "conditional": {c: (list(v) if isinstance(v, tuple) else v) for c, v in rho.items()},
        "deep_layers": list(deep),
        "confounding": confounding,
        "icc": icc,
        "x": "expressibility_fp, a decreasing function of the latent z within a cell",
        "y": "every trainability column, monotone in the latent t; grad_var follows "
             "hybrid_quantum_only in both hybrid configurations",
    }
    return out


def _planted_rho(conditional: Mapping[str, object] | None,
                 configs: tuple[str, ...]) -> dict[str, float | tuple[float, float]]:
    given = config_map("conditional", conditional, _DEFAULT_CONDITIONAL)
    out: dict[str, float | tuple[float, float]] = {}
    for c in configs:
        if not CONFIGS[c].has_pqc:
            continue
        v = given.get(c, 0.0)
        vals = tuple(v) if isinstance(v, tuple | list) else (v,)
        for val in vals:
            check_float(f"conditional[{c!r}]", val, low=-0.999, high=0.999)
        out[c] = (float(vals[0]), float(vals[1])) if len(vals) == 2 else float(vals[0])
    return out


def _grid_pqcs(n: int, widths: tuple[int, ...], depths: tuple[int, ...], confounding: float,
               rng: np.random.Generator) -> pd.DataFrame:
    cells = [(w, d) for w in widths for d in depths]
    z = rng.normal(size=n)
    rows = []
    for k in range(n):
        w, d = cells[k % len(cells)]
        log_fp = 0.5 - confounding * (0.12 * w + 0.25 * d) + 0.3 * z[k]
        fp = 1.0 + 10.0**log_fp
        pqc = {"family": "hea", "circuit": "hea", "n_qubits": w, "layers": d,
               "topology": _TOPOLOGIES[k % 3], "rotations": "RY+RZ", "entangler": "CZ",
               "index": k}
        rows.append({**{c: pqc[c] for c in ("family", "circuit", "n_qubits", "layers",
                                             "topology", "rotations", "entangler")},
                     "pqc_id": short_hash(pqc, 12), "_k": k, "_z": z[k],
                     "expressibility_fp": fp,
                     "expressibility_fp_ci_low": 1.0 + 10.0**log_fp * 0.98,
                     "expressibility_fp_ci_high": 1.0 + 10.0**log_fp * 1.02,
                     "expressibility_kl": 10.0 ** (0.9 * log_fp - 0.4) + KL_BIAS / w,
                     "n_quantum_params": 2 * w * d, "task": "synthetic", "encoding": "ry",
                     "reupload": False})
    return pd.DataFrame(rows)


def _planted_runs(pqcs: pd.DataFrame, configs: tuple[str, ...], n_pre: int,
                  n_seeds: int) -> pd.DataFrame:
    parts = []
    for c in configs:
        pres = ["none"] if c == "pure_pqc" else [f"{4 * (j + 1)}-tanh" for j in range(n_pre)]
        for j, pre in enumerate(pres):
            part = pqcs.assign(training_config=c, classical_pre=pre, _pre=j,
                               classical_post="none" if c == "pure_pqc" else "8-tanh")
            if not CONFIGS[c].has_pqc:
                part = part.assign(pqc_id=pd.NA, **{col: np.nan for col in part.columns
                                                    if col.startswith("expressibility_")})
            parts.append(part)
    arch = pd.concat(parts, ignore_index=True)
    arch["architecture_id"] = [
        short_hash([int(k), pre, post, c == "pure_pqc"], 12) for k, pre, post, c in
        zip(arch["_k"], arch["classical_pre"], arch["classical_post"], arch["training_config"],
            strict=True)]
    arch["n_classical_params"] = np.where(arch["classical_pre"] == "none", 0, 40)
    seeds = pd.DataFrame({"seed": np.arange(n_seeds, dtype=np.int64)})
    return arch.merge(seeds, how="cross")


def _rho_of(rho: float | tuple[float, float], layers: np.ndarray,
            deep: tuple[int, ...]) -> np.ndarray:
    if isinstance(rho, tuple):
        return np.where(np.isin(layers, deep), rho[1], rho[0])
    return np.full(len(layers), float(rho))


def _planted_trainability(runs: pd.DataFrame, rho: dict[str, object], deep: tuple[int, ...],
                          confounding: float, icc: float, rng: np.random.Generator) -> None:
    n = len(runs)
    n_k = int(runs["_k"].max()) + 1
    u_pqc = rng.normal(size=n_k)
    arch_keys = pd.factorize(runs["_k"].astype(str) + "|" + runs["_pre"].astype(str))[0]
    v_arch = rng.normal(size=arch_keys.max() + 1)
    hybrid = ~runs["training_config"].isin(["pure_pqc"]).to_numpy()
    share_arch = np.where(hybrid, 0.2, 0.0)
    k = runs["_k"].to_numpy()
    mean = -confounding * (0.5 * runs["n_qubits"] + 0.35 * runs["layers"]).to_numpy() / 0.6
    layers = runs["layers"].to_numpy()
    z = runs["_z"].to_numpy()

    def latent(config_rho: np.ndarray, noise: np.ndarray) -> np.ndarray:
        e = (np.sqrt(icc) * u_pqc[k] + np.sqrt(share_arch) * v_arch[arch_keys]
             + np.sqrt(1.0 - icc - share_arch) * noise)
        return mean + config_rho * z + np.sqrt(1.0 - config_rho**2) * e

    cfg = runs["training_config"].to_numpy()
    r_train = np.zeros(n)
    r_init = np.zeros(n)
    for c, v in rho.items():
        m = cfg == c
        r_train[m] = _rho_of(v, layers[m], deep)
        init_from = "hybrid_quantum_only" if c != "pure_pqc" and "hybrid_quantum_only" in rho \
            else c
        r_init[m] = _rho_of(rho[init_from], layers[m], deep)
    t_train = latent(r_train, rng.normal(size=n))
    # at initialisation the two hybrid configurations are the same model: shared noise
    init_noise = rng.normal(size=n)
    key = pd.Series(init_noise, index=runs.index)
    hyb = runs["training_config"].isin(["hybrid_quantum_only", "hybrid_full"])
    shared = key[hyb].groupby([runs.loc[hyb, "_k"], runs.loc[hyb, "_pre"],
                               runs.loc[hyb, "seed"]]).transform("first")
    init_noise[hyb.to_numpy()] = shared.to_numpy()
    t_init = latent(r_init, init_noise)
    has_pqc = pqc_rows(runs)
    t_train = np.where(has_pqc, t_train, rng.normal(size=n))
    t_init = np.where(has_pqc, t_init, np.nan)
    # steps_slope 0.7: about a fifth of the runs never reach the target (censored; 19-22% per
    # configuration at the defaults)
    latent_trainability(runs, t_train, t_init, layers, has_pqc, rng, var_slope=0.5,
                        norm_slope=0.25, loss_slope=0.8, steps_slope=0.7)
    # latents of the registered metrics generated from the registry alone (`_registered`)
    runs["_t"] = t_train - np.nanmedian(t_train)
    with np.errstate(invalid="ignore", divide="ignore"):
        runs["_c"] = -np.log10(runs["expressibility_fp"].to_numpy(dtype=float) - 1.0)
