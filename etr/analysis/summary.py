"""One table answering "how strong is the trade-off, where, and how sure are we?".

Verdicts rest on the association *given* width and depth (`etr.analysis.conditional`), with the
marginal association beside it, intervals at the level the verdicts use (Bonferroni over the
rows of the table), and a distinction between a relationship *shown absent* (equivalence) and
one merely *not detected*.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from etr._rng import SeedLike, as_generator
from etr._validation import check_choice, check_int
from etr.analysis import conditional as cond
from etr.analysis._common import TRANSFORMS, as_tuple, check_confidence, check_frame
from etr.analysis.mixed import mixed_effects_by_definition
from etr.analysis.quality import CleanedData, clean
from etr.analysis.regimes import segment_regimes
from etr.contract import CONFIGS, METRICS, PRIMARY_X, TRAINABILITY_DEFINITIONS, TRAINING_CONFIGS
from etr.errors import DegenerateDataWarning, InputError

__all__ = ["THRESHOLDS", "VERDICT_RULE", "tradeoff_summary", "verdict"]

#: |r| thresholds of "weak", "moderate", "strong" (Cohen's conventions for correlations); the
#: first is also the equivalence margin of "shown absent".
THRESHOLDS: tuple[float, float, float] = (0.1, 0.3, 0.5)

_W, _M, _S = THRESHOLDS
VERDICT_RULE: str = (
    "For each training configuration and trainability definition, r is the association of a "
    "circuit's expressibility with the circuit's expected trainability given width and depth, "
    "i.e. among circuits of the same width and depth: each circuit's value is its mean normal "
    "score over its runs (task instances' main effects removed), Kendall's tau-b between the "
    "circuits (pqc_id) of each (n_qubits, layers) stratum is pooled over strata, reported as "
    "r = sin(pi tau / 2) on the scale of a Pearson correlation and corrected for the dilution "
    "by run noise (divided by the square root of the reliabilities). It is oriented with the "
    "registry's directions so that r > 0 always reads 'more expressive -> less trainable' (the "
    "classic trade-off) and r < 0 'more expressive -> more trainable'. The marginal r (one "
    "stratum, not conditioned on width and depth) is shown beside it and never enters the "
    "verdict. Every interval is Fieller's for the corrected ratio on Fisher's z scale, with the "
    "variance over distinct circuits (unbiased U-statistic) and task instances, at the level "
    "1 - alpha/m, where m is the number of rows with an "
    "estimate (Bonferroni), so that reading a verdict off an interval controls the chance of "
    "any false verdict in the table at alpha (= 1 - confidence). Verdict: "
    f"'absent' (shown absent) if the interval lies inside (-{_W:g}, {_W:g}), two one-sided "
    "tests of equivalence; otherwise, when the interval excludes 0 (p_adj < alpha), "
    f"'negligible' if |r| < {_W:g}, 'weak' if |r| < {_M:g}, 'moderate' if |r| < {_S:g}, "
    f"'strong' if |r| >= {_S:g}; otherwise 'not detected' (the interval includes 0 and reaches "
    f"|r| >= {_W:g}: a relationship is neither shown nor excluded). p_adj is the Bonferroni "
    "adjusted p-value of r = 0, consistent with the intervals. slope is the mixed-model slope "
    "of the trainability column on the expressibility measure, both on log10 scale where the "
    "registry marks them log-scaled (per decade), given layers and width as factors per "
    "configuration; n_regimes the number of regimes of a BIC-selected segmented regression; "
    "neither enters the verdict. Expressibility near its Haar value: circuits whose sampling "
    "interval reaches the 2-design value cannot be ordered against each other, so "
    "estimate_robust repeats the conditional estimate with those circuits tied at that value "
    "(the bias-corrected KL elsewhere), and robust says whether estimate_robust lies inside the "
    "interval of the estimate."
)

_COLUMNS = [
    "training_config", "definition", "n", "n_clusters", "estimate", "ci_low", "ci_high",
    "p_value", "p_adj", "slope", "slope_ci_low", "slope_ci_high", "n_regimes", "verdict",
    "direction", "sentence", "method", "estimate_robust", "robust", "estimate_marginal",
    "marginal_ci_low", "marginal_ci_high", "ci_level", "n_strata", "n_dropped", "data_note",
]


def verdict(estimate: float, ci_low: float, ci_high: float) -> tuple[str, str]:
    """(verdict, direction) of one oriented association and its interval, under `VERDICT_RULE`.

    Examples
    --------
    >>> from etr.analysis import verdict
    >>> verdict(0.42, 0.21, 0.60)
    ('moderate', 'more expressive -> less trainable')
    >>> verdict(0.01, -0.06, 0.08)
    ('absent', 'no trade-off (shown absent)')
    >>> verdict(0.2, -0.1, 0.45)
    ('not detected', 'no clear direction')
    """
    if not (np.isfinite(estimate) and np.isfinite(ci_low) and np.isfinite(ci_high)):
        return "not detected", "no clear direction"
    if -THRESHOLDS[0] < ci_low and ci_high < THRESHOLDS[0]:
        return "absent", "no trade-off (shown absent)"
    if ci_low <= 0 <= ci_high:
        return "not detected", "no clear direction"
    size = abs(estimate)
    label = ("negligible" if size < THRESHOLDS[0] else "weak" if size < THRESHOLDS[1]
             else "moderate" if size < THRESHOLDS[2] else "strong")
    direction = ("more expressive -> less trainable" if estimate > 0
                 else "more expressive -> more trainable")
    return label, direction


def tradeoff_summary(
    data: pd.DataFrame,
    *,
    x: str = PRIMARY_X,
    definitions: Sequence[str] = TRAINABILITY_DEFINITIONS,
    configs: Sequence[str] | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    cluster: str = "pqc_id",
    strata: Sequence[str] = cond.STRATA,
    ci_method: str = "ustat",
    transform_x: str | None = None,
    seed: SeedLike = None,
) -> pd.DataFrame:
    """Strength, direction and uncertainty of the trade-off per configuration and definition.

    Parameters
    ----------
    data : pandas.DataFrame
        A dataset following `etr.contract` (at least `x`, ``training_config``, `cluster`,
        the `strata` columns and one trainability column).
    x : str
        An expressibility measure of `etr.contract.METRICS` (default the frame-potential
        ratio).
    definitions : sequence of str
        Trainability columns to analyse; those absent from `data` are skipped (at least one
        must be present).
    configs : sequence of str, optional
        Training configurations to include; default every one with a PQC present, in contract
        order (the classical-only control has no expressibility and is left out).
    n_boot : int
        Bootstrap replicates of the breakpoint search and of the association when
        ``ci_method="bootstrap"``.
    confidence : float
        ``1 - alpha``: the table as a whole errs with probability at most alpha; each interval
        is at level ``1 - alpha / m`` (``ci_level``).
    cluster : str
        The distinct circuit (pair unit, random-effect group).
    strata : sequence of str
        What the association is conditioned on.
    ci_method : {"ustat", "bootstrap"}
        Variance of the association (see `conditional_correlation`).
    transform_x : {"log10", "none"} or None
        Scale of `x` in the mixed model and the segmentation; None reads ``log_scale`` from the
        registry.
    seed : int, numpy.random.Generator or None
        Randomness of the bootstraps.

    Returns
    -------
    pandas.DataFrame
        One row per (training_config, definition) present, columns ``training_config,
        definition, n, n_clusters, estimate, ci_low, ci_high, p_value, p_adj`` (conditional,
        oriented r with its interval, p-value of r = 0 and its Bonferroni adjustment),
        ``slope, slope_ci_low, slope_ci_high`` (mixed-model slope, see `mixed_effects`),
        ``n_regimes`` (1 + selected breakpoints, see `segment_regimes`), ``verdict`` ("absent",
        "not detected", "negligible", "weak", "moderate", "strong"), ``direction``,
        ``sentence`` (plain English), ``method``, ``estimate_robust``, ``robust`` (see
        `VERDICT_RULE`; NA without a sampling interval of `x`), ``estimate_marginal,
        marginal_ci_low, marginal_ci_high`` (not conditioned), ``ci_level``, ``n_strata``,
        ``n_dropped`` (runs removed) and ``data_note`` (why).

    Raises
    ------
    etr.errors.InputError
        Missing columns, an unregistered `x`, no trainability definition present, bad options.

    Notes
    -----
    Failed runs, duplicated runs and impossible values are removed first
    (`etr.analysis.quality.clean`) and counted in ``n_dropped`` / ``data_note``. Degenerate
    cells (fewer than 3 circuits, no stratum with two circuits, constant data) give NaN
    statistics, verdict "not detected" and a `~etr.errors.DegenerateDataWarning`.

    Examples
    --------
    >>> from etr.analysis import planted_dataset, tradeoff_summary
    >>> df = planted_dataset(n_pqcs=240, conditional={"pure_pqc": 0.6, "hybrid_full": 0.0},
    ...                      configs=["pure_pqc", "hybrid_full"], seed=1)
    >>> s = tradeoff_summary(df, definitions=["grad_var_train"], n_boot=100, seed=1)
    >>> s[["training_config", "verdict"]].values.tolist()
    [['pure_pqc', 'strong'], ['hybrid_full', 'not detected']]
    >>> bool(s.loc[1, "estimate_marginal"] > 0.5)  # confounded by width and depth
    True
    """
    definitions = as_tuple(definitions)
    strata = as_tuple(strata)
    check_frame(data, (x, "training_config", cluster, *strata), ())
    cond.orientation(x, TRAINABILITY_DEFINITIONS[0])
    if transform_x is not None:
        check_choice("transform_x", transform_x, TRANSFORMS)
    check_choice("ci_method", ci_method, cond.CI_METHODS)
    n_boot = check_int("n_boot", n_boot, minimum=10)
    confidence = check_confidence(confidence)
    present = _present(data, definitions)
    order = _config_order(data, configs)
    cleaned = clean(data[data["training_config"].astype(str).isin(order)])
    rng = as_generator(seed)
    slopes = _mixed_slopes(cleaned.data, x, present, cluster, transform_x)
    parts = []
    for definition, child in zip(present, rng.spawn(len(present)), strict=True):
        parts.append(_one_definition(cleaned, x, definition, order, cluster, strata,
                                     ci_method, n_boot, child, transform_x,
                                     slopes[definition]))
    rows = [r for part in parts for r in part]
    out = pd.DataFrame(rows)
    return _finalise(out, order, present, 1.0 - confidence, ci_method, n_boot)


def _present(data: pd.DataFrame, definitions: tuple[str, ...]) -> list[str]:
    present = [d for d in definitions if d in data.columns
               and pd.to_numeric(data[d], errors="coerce").notna().any()]
    if not present:
        raise InputError(
            "`data` has none of the trainability column(s) " + ", ".join(definitions)
        )
    check_frame(data, present, present)
    for d in present:
        cond.orientation(PRIMARY_X, d)
    return present


def _config_order(data: pd.DataFrame, configs: Sequence[str] | None) -> list[str]:
    levels = list(dict.fromkeys(data["training_config"].dropna().astype(str)))
    if configs is None:
        return ([c for c in TRAINING_CONFIGS if c in levels and CONFIGS[c].has_pqc]
                + sorted(c for c in levels if c not in TRAINING_CONFIGS))
    order = list(as_tuple(configs))
    absent = [c for c in order if c not in levels]
    if absent:
        raise InputError(f"`configs` value(s) {absent} not in column `training_config`; "
                         f"present: {', '.join(levels)}")
    return [c for c in order if c not in CONFIGS or CONFIGS[c].has_pqc]


# --- one definition -------------------------------------------------------------------------


def _one_definition(cleaned: CleanedData, x: str, definition: str, order: list[str],
                    cluster: str, strata: tuple[str, ...], ci_method: str, n_boot: int,
                    rng: np.random.Generator, transform_x: str | None,
                    slopes: dict[str, dict]) -> list[dict]:
    rows = cond.prepare_rows(cleaned.data, x=x, y=definition, by=("training_config",),
                             strata=strata, cluster=cluster, cleaned=cleaned)
    counts = _counts(rows, ci_method, n_boot, rng)
    robust_rows = _robust_rows(cleaned, x, definition, strata, cluster)
    sign = cond.orientation(x, definition)
    regimes = _regimes(cleaned.data, x, definition, cluster, transform_x)
    out = []
    for config in order:
        sub = rows.frame[rows.frame["_g"] == config]
        rec = {"training_config": config, "definition": definition, "n": len(sub),
               "n_clusters": int(sub["_c"].nunique()),
               "n_dropped": rows.n_dropped.get(config, 0),
               "data_note": rows.note, "_sign": sign}
        rec.update(_fits(sub, counts, f"{config}, {definition}", strata))
        rec["_robust"] = _robust_fit(robust_rows, config)
        rec.update(slopes.get(config, {}))
        rec["n_regimes"] = regimes.get(config, np.nan)
        out.append(rec)
    return out


def _counts(rows: cond.Rows, ci_method: str, n_boot: int,
            rng: np.random.Generator) -> np.ndarray | None:
    if ci_method != "bootstrap":
        return None
    g = rows.n_clusters_total
    return rng.multinomial(g, np.full(g, 1.0 / g), size=n_boot)


def _fits(sub: pd.DataFrame, counts: np.ndarray | None, label: str,
          strata: tuple[str, ...]) -> dict:
    """Conditional and marginal fits of one cell (None when degenerate, with a warning)."""
    out: dict = {"_fit": None, "_marginal": None, "n_strata": 0}
    f = cond.fit_or_warn(sub, strata, label, counts=counts, stacklevel=5)
    if f is not None:
        out["_fit"] = f
        out["n_strata"] = len(f.strata)
    m = cond.group_fit(sub, strata, stratified=False, counts=counts)
    if not isinstance(m, str):
        out["_marginal"] = m
    return out


def _robust_rows(cleaned: CleanedData, x: str, definition: str, strata: tuple[str, ...],
                 cluster: str) -> cond.Rows | None:
    """Rows with x tied at its 2-design value where its interval reaches it (None if unknown)."""
    meta = METRICS[x]  # its 2-design value and the bias-corrected column to use near it
    if meta.haar is None or meta.ci is None or meta.ci[0] not in cleaned.data.columns:
        return None
    haar, corrected = meta.haar, meta.corrected
    d = cleaned.data
    values = pd.to_numeric(d[corrected if corrected and corrected in d.columns else x],
                           errors="coerce")
    low = pd.to_numeric(d[meta.ci[0]], errors="coerce")
    if values.isna().all() or low.isna().all():
        return None
    tied = np.where(low.to_numpy(dtype=float) <= haar, haar, values.to_numpy(dtype=float))
    data = d.assign(**{x: tied})
    return cond.prepare_rows(data, x=x, y=definition, by=("training_config",), strata=strata,
                             cluster=cluster, cleaned=CleanedData(data=data))


def _robust_fit(rows: cond.Rows | None, config: str) -> cond.Fit | None:
    if rows is None:
        return None
    f = cond.group_fit(rows.frame[rows.frame["_g"] == config], rows.strata)
    return None if isinstance(f, str) else f


def _scales(x: str, definition: str, transform_x: str | None) -> tuple[str, str]:
    tx = transform_x or ("log10" if METRICS[x].log_scale else "none")
    return tx, "log10" if METRICS[definition].log_scale else "none"


def _mixed_slopes(data: pd.DataFrame, x: str, definitions: list[str], cluster: str,
                  transform_x: str | None) -> dict[str, dict[str, dict]]:
    """Mixed-model slope per definition and configuration (quietly).

    All definitions are fitted in one call, so that those with the same usable runs share the
    model's design (see `etr.analysis.mixed.mixed_effects_by_definition`).
    """
    tx = _scales(x, definitions[0], transform_x)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)  # reported by the association
        fits = mixed_effects_by_definition(
            data, ys=definitions, x=x, groups=cluster, transform_x=tx,
            transform_ys=[_scales(x, d, transform_x)[1] for d in definitions], lrt=False)
    out: dict[str, dict[str, dict]] = {}
    for definition, me in fits.items():
        slopes: dict[str, dict] = {}
        if "training_config" in me.slopes.columns:
            for r in me.slopes.itertuples(index=False):
                slopes[str(r.training_config)] = {
                    "slope": r.estimate, "slope_ci_low": r.ci_low, "slope_ci_high": r.ci_high}
        elif len(me.slopes) == 1 and data["training_config"].nunique() == 1:
            r = me.slopes.iloc[0]
            slopes[str(data["training_config"].iloc[0])] = {
                "slope": r["estimate"], "slope_ci_low": r["ci_low"],
                "slope_ci_high": r["ci_high"]}
        out[definition] = slopes
    return out


def _regimes(data: pd.DataFrame, x: str, definition: str, cluster: str,
             transform_x: str | None) -> dict[str, float]:
    """The number of regimes per configuration (quietly)."""
    regimes: dict[str, float] = {}
    tx, ty = _scales(x, definition, transform_x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)  # reported by the association
        seg = segment_regimes(data, x=x, y=definition, by="training_config", n_boot=0,
                              transform_x=tx, transform_y=ty, cluster=cluster)
    sel = seg.selection
    if len(sel) and "training_config" in sel.columns:
        for r in sel[sel["selected"]].itertuples(index=False):
            if np.isfinite(r.bic):
                regimes[str(r.training_config)] = r.n_breakpoints + 1
    return regimes


# --- the table ------------------------------------------------------------------------------


def _finalise(out: pd.DataFrame, order: list[str], present: list[str], alpha: float,
              ci_method: str, n_boot: int) -> pd.DataFrame:
    out["_o"] = out["training_config"].map({c: i for i, c in enumerate(order)})
    out["_d"] = out["definition"].map({d: i for i, d in enumerate(present)})
    out = out.sort_values(["_o", "_d"]).reset_index(drop=True)
    m = max(int(sum(f is not None for f in out["_fit"])), 1)
    level = 1.0 - alpha / m
    for col in ("estimate", "ci_low", "ci_high", "p_value", "estimate_marginal",
                "marginal_ci_low", "marginal_ci_high", "estimate_robust"):
        out[col] = np.nan
    for i, r in out.iterrows():
        _fill(out, i, r, level)
    out["p_adj"] = np.minimum(1.0, out["p_value"] * m)
    judged = [verdict(e, lo, hi) for e, lo, hi in zip(out["estimate"], out["ci_low"],
                                                      out["ci_high"], strict=True)]
    out["verdict"] = [v for v, _ in judged]
    out["direction"] = [d for _, d in judged]
    robust = [pd.NA if not np.isfinite(e) or not np.isfinite(lo) else bool(lo <= e <= hi)
              for e, lo, hi in zip(out["estimate_robust"], out["ci_low"], out["ci_high"],
                                   strict=True)]
    out["robust"] = pd.array(robust, dtype="boolean")
    out["ci_level"] = level
    for c in ("slope", "slope_ci_low", "slope_ci_high"):
        if c not in out.columns:
            out[c] = np.nan
    out["n_regimes"] = pd.array([pd.NA if not np.isfinite(v) else int(v)
                                 for v in out["n_regimes"].astype(float)], dtype="Int64")
    out["method"] = _method(ci_method, n_boot, m)
    out["sentence"] = [_sentence(r) for r in out.itertuples(index=False)]
    return out[_COLUMNS]


def _oriented(fit: cond.Fit, sign: int, level: float) -> tuple[float, float, float]:
    low, high = fit.interval(level)
    if sign < 0:
        low, high = -high, -low
    return sign * fit.r, low, high


def _fill(out: pd.DataFrame, i: int, r: pd.Series, level: float) -> None:
    sign = r["_sign"]
    if r["_fit"] is not None:
        est, low, high = _oriented(r["_fit"], sign, level)
        out.loc[i, ["estimate", "ci_low", "ci_high", "p_value"]] = [est, low, high,
                                                                    r["_fit"].p_value()]
    if r["_marginal"] is not None:
        est, low, high = _oriented(r["_marginal"], sign, level)
        out.loc[i, ["estimate_marginal", "marginal_ci_low", "marginal_ci_high"]] = [est, low,
                                                                                   high]
    if r["_robust"] is not None:
        out.loc[i, "estimate_robust"] = sign * r["_robust"].r


def _method(ci_method: str, n_boot: int, m: int) -> str:
    var = ("unbiased U-statistic variance" if ci_method == "ustat"
           else f"cluster bootstrap ({n_boot})")
    return (f"Kendall tau-b between circuit values within (n_qubits, layers) strata, "
            f"r = sin(pi tau / 2) corrected for regression dilution, oriented; Fieller "
            f"intervals on atanh(r) ({var}, plus task instances) at level "
            f"1 - alpha/{m} (Bonferroni); mixed-model slope (per decade where log-scaled); "
            f"regimes by BIC segmented regression")


def _sentence(row) -> str:
    where = f"Under {row.training_config}, {row.definition}"
    if not np.isfinite(row.estimate):
        return f"{where}: not enough usable data to judge the relationship."
    level = f"{100 * row.ci_level:.4g}%"
    stats_text = (f"conditional r = {row.estimate:.2f}, {level} CI {row.ci_low:.2f} to "
                  f"{row.ci_high:.2f}")
    if np.isfinite(row.estimate_marginal):
        stats_text += f"; marginal r = {row.estimate_marginal:.2f}"
    given = "given width and depth"
    if row.verdict == "absent":
        return (f"{where} shows no trade-off {given}: shown absent, |r| < {THRESHOLDS[0]:g} "
                f"by equivalence ({stats_text}).")
    if row.verdict == "not detected":
        return (f"{where} shows no detectable association {given}, but none is excluded: the "
                f"interval includes 0 and reaches |r| >= {THRESHOLDS[0]:g} ({stats_text}).")
    regimes = ("" if pd.isna(row.n_regimes) or row.n_regimes == 1
               else f", in {int(row.n_regimes)} regimes")
    if row.verdict == "negligible":
        return (f"{where} shows a negligible association {given}: nonzero but below "
                f"|r| = {THRESHOLDS[0]:g} ({stats_text}){regimes}.")
    kind = ("trade-off" if row.direction.endswith("less trainable")
            else "relationship opposite to a trade-off")
    return (f"{where} shows a {row.verdict} {kind} {given}: {row.direction} "
            f"({stats_text}){regimes}.")
