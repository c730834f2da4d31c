"""One table answering "how strong is the trade-off, where, and how sure are we?"."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from etr._rng import SeedLike, as_generator
from etr._validation import check_choice, check_float, check_int
from etr.analysis._common import TRANSFORMS, adjust, as_tuple, check_frame
from etr.analysis.correlation import rank_correlation
from etr.analysis.mixed import mixed_effects
from etr.analysis.regimes import segment_regimes
from etr.contract import TRAINABILITY_DEFINITIONS, TRAINING_CONFIGS
from etr.errors import DegenerateDataWarning, InputError

__all__ = ["DEFINITION_TRANSFORMS", "THRESHOLDS", "VERDICT_RULE", "tradeoff_summary", "verdict"]

#: |rho| thresholds of "weak", "moderate", "strong" (Cohen's conventions for correlations).
THRESHOLDS: tuple[float, float, float] = (0.1, 0.3, 0.5)

#: scale on which each trainability definition enters the mixed model and the segmentation.
DEFINITION_TRANSFORMS: dict[str, str] = {
    "grad_var": "log10", "grad_var_train": "log10", "grad_norm": "log10",
    "loss_decrease": "none", "effective_dimension": "none",
}

VERDICT_RULE: str = (
    "For each training configuration and trainability definition, rho is Spearman's rank "
    "correlation between expressibility_kl and the trainability column over all runs, with a "
    "cluster-bootstrap BCa confidence interval (architectures resampled) and a p-value by "
    "interval inversion, Holm-adjusted over all rows of the summary. Verdict: 'none' if the "
    "adjusted p-value is at least 1 - confidence (0.05) or |rho| < 0.1; otherwise 'weak' if "
    "|rho| < 0.3, 'moderate' if |rho| < 0.5 and 'strong' if |rho| >= 0.5. Direction: a lower "
    "KL divergence means a more expressive circuit and every trainability column is higher "
    "for more trainable models, so rho > 0 reads 'more expressive -> less trainable' (the "
    "classic trade-off) and rho < 0 reads 'more expressive -> more trainable'; a 'none' "
    "verdict has 'no clear direction'. Expressibility near the KL floor: the plug-in KL is "
    "biased upward by a constant for a fixed protocol (Miller-Madow), which leaves ranks "
    "unchanged, so the verdict uses expressibility_kl as measured; circuits whose "
    "bias-corrected expressibility interval reaches 0 (expressibility_kl_ci_low <= 0) cannot be "
    "ordered against each other, so estimate_robust repeats the correlation with those "
    "circuits tied at 0 (and the corrected value elsewhere) and robust says whether the "
    "verdict is unchanged. slope is the mixed-model slope of the trainability column (log10 "
    "scale for gradient-based definitions) per unit KL, and n_regimes the number of regimes "
    "of a BIC-selected segmented regression; neither enters the verdict."
)

_COLUMNS = [
    "training_config", "definition", "n", "n_clusters", "estimate", "ci_low", "ci_high",
    "p_value", "p_adj", "slope", "slope_ci_low", "slope_ci_high", "n_regimes", "verdict",
    "direction", "sentence", "method", "estimate_robust", "robust",
]


def verdict(estimate: float, p_adj: float, *, alpha: float = 0.05) -> tuple[str, str]:
    """(verdict, direction) of one correlation under `VERDICT_RULE`.

    Examples
    --------
    >>> from etr.analysis import verdict
    >>> verdict(0.42, 0.001)
    ('moderate', 'more expressive -> less trainable')
    >>> verdict(-0.6, 0.2)
    ('none', 'no clear direction')
    """
    if not (np.isfinite(estimate) and np.isfinite(p_adj)):
        return "none", "no clear direction"
    size = abs(estimate)
    if p_adj >= alpha or size < THRESHOLDS[0]:
        return "none", "no clear direction"
    label = "weak" if size < THRESHOLDS[1] else "moderate" if size < THRESHOLDS[2] else "strong"
    direction = ("more expressive -> less trainable" if estimate > 0
                 else "more expressive -> more trainable")
    return label, direction


def tradeoff_summary(
    data: pd.DataFrame,
    *,
    x: str = "expressibility_kl",
    definitions: Sequence[str] = TRAINABILITY_DEFINITIONS,
    configs: Sequence[str] | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    cluster: str = "architecture_id",
    transform_x: str = "log10",
    seed: SeedLike = None,
) -> pd.DataFrame:
    """Strength, direction and uncertainty of the trade-off per configuration and definition.

    Parameters
    ----------
    data : pandas.DataFrame
        A dataset following `etr.contract` (at least `x`, ``training_config``, `cluster` and
        one trainability column; ``n_qubits``/``layers`` are used as mixed-model covariates
        when present).
    x : str
        Expressibility column (lower = more expressive).
    definitions : sequence of str
        Trainability columns to analyse; those absent from `data` are skipped (at least one
        must be present).
    configs : sequence of str, optional
        Training configurations to include; default all present, in contract order.
    n_boot : int
        Bootstrap replicates of the rank correlations.
    confidence : float
        Confidence level of every interval; ``1 - confidence`` is the verdict's level.
    cluster : str
        Architecture column (random-effect group and bootstrap unit).
    transform_x : {"log10", "none"}
        Scale of `x` in the mixed model and the regime segmentation (rank correlations do not
        depend on it). KL spans several decades, so the default fits per decade of KL.
    seed : int, numpy.random.Generator or None
        Randomness of the bootstraps.

    Returns
    -------
    pandas.DataFrame
        One row per (training_config, definition) present, columns ``training_config,
        definition, n, n_clusters, estimate, ci_low, ci_high, p_value, p_adj`` (Spearman rho,
        cluster-bootstrap BCa interval, p-value, Holm over all rows), ``slope, slope_ci_low,
        slope_ci_high`` (mixed-model slope, see `mixed_effects`), ``n_regimes`` (1 + selected
        breakpoints, see `segment_regimes`), ``verdict`` ("none", "weak", "moderate",
        "strong"), ``direction``, ``sentence`` (plain English), ``method``, then
        ``estimate_robust`` and ``robust`` (see `VERDICT_RULE`; NaN / NA without the
        ``expressibility_kl_corrected`` and ``expressibility_kl_ci_low`` columns).

    Raises
    ------
    etr.errors.InputError
        Missing columns, no trainability definition present, bad options.

    Notes
    -----
    Only runs with ``status == "ok"`` are used when a ``status`` column exists. Rows with
    NaN/inf in `x` or a definition are dropped per analysis (see the individual functions for
    counts). The rule is `VERDICT_RULE`. Degenerate cells (fewer than 3 architectures,
    constant data) give NaN statistics, verdict "none" and a
    `~etr.errors.DegenerateDataWarning`.

    Examples
    --------
    >>> from etr.analysis import synthetic_dataset, tradeoff_summary
    >>> df = synthetic_dataset(n_architectures=40, seed=0)
    >>> s = tradeoff_summary(df, definitions=["grad_var"], n_boot=300, seed=1)
    >>> s[["training_config", "verdict"]].values.tolist()
    [['pure_pqc', 'strong'], ['hybrid_quantum_only', 'moderate'], ['hybrid_full', 'none']]
    >>> s.loc[0, "direction"]
    'more expressive -> less trainable'
    """
    definitions = as_tuple(definitions)
    check_frame(data, (x, "training_config", cluster), (x,))
    check_choice("transform_x", transform_x, TRANSFORMS)
    n_boot = check_int("n_boot", n_boot, minimum=10)
    confidence = check_float("confidence", confidence, low=0.5, high=0.999999)
    present = [d for d in definitions if d in data.columns
               and pd.to_numeric(data[d], errors="coerce").notna().any()]
    if not present:
        raise InputError(
            "`data` has none of the trainability column(s) " + ", ".join(definitions)
        )
    check_frame(data, present, present)
    levels = list(dict.fromkeys(data["training_config"].dropna().astype(str)))
    if configs is None:
        order = [c for c in TRAINING_CONFIGS if c in levels] + sorted(
            c for c in levels if c not in TRAINING_CONFIGS)
    else:
        order = list(as_tuple(configs))
        absent = [c for c in order if c not in levels]
        if absent:
            raise InputError(f"`configs` value(s) {absent} not in column `training_config`; "
                             f"present: {', '.join(levels)}")
    keep = data["training_config"].astype(str).isin(order)
    if "status" in data.columns:
        keep &= data["status"].astype(str) == "ok"
    frame = data[keep].copy()
    frame["training_config"] = frame["training_config"].astype(str)
    covariates = tuple(c for c in ("n_qubits", "layers") if c in frame.columns
                       and pd.api.types.is_numeric_dtype(frame[c]))
    x_robust = _robust_x(frame, x)
    if x_robust is not None:
        frame["_x_robust"] = x_robust

    rng = as_generator(seed)
    children = rng.spawn(len(present))
    parts = []
    for definition, child in zip(present, children, strict=True):
        parts.append(_one_definition(frame, x, definition, covariates, cluster, n_boot,
                                     confidence, child, x_robust is not None, transform_x))
    out = pd.concat(parts, ignore_index=True)
    out["_order"] = out["training_config"].map({c: i for i, c in enumerate(order)})
    out["_dorder"] = out["definition"].map({d: i for i, d in enumerate(present)})
    out = out.sort_values(["_order", "_dorder"]).reset_index(drop=True)
    alpha = 1.0 - confidence
    out["p_adj"] = adjust(out["p_value"].to_numpy(), "holm")
    p_adj_robust = adjust(out["_p_robust"].to_numpy(), "holm")
    judged = [verdict(e, p, alpha=alpha) for e, p in zip(out["estimate"], out["p_adj"],
                                                          strict=True)]
    out["verdict"] = [v for v, _ in judged]
    out["direction"] = [d for _, d in judged]
    robust = []
    for v, e, p in zip(out["verdict"], out["estimate_robust"], p_adj_robust, strict=True):
        robust.append(pd.NA if not np.isfinite(e) else verdict(e, p, alpha=alpha)[0] == v)
    out["robust"] = pd.array(robust, dtype="boolean")
    out["sentence"] = [_sentence(r, confidence) for r in out.itertuples(index=False)]
    return out[_COLUMNS]


def _robust_x(frame: pd.DataFrame, x: str) -> np.ndarray | None:
    """Bias-corrected KL with circuits whose interval reaches 0 tied at 0 (None if unknown)."""
    if x != "expressibility_kl" or not {"expressibility_kl_corrected",
                                        "expressibility_kl_ci_low"} <= set(frame.columns):
        return None
    corrected = pd.to_numeric(frame["expressibility_kl_corrected"], errors="coerce")
    low = pd.to_numeric(frame["expressibility_kl_ci_low"], errors="coerce")
    if corrected.isna().all():
        return None
    return np.where(low.to_numpy(dtype=float) <= 0, 0.0, corrected.to_numpy(dtype=float))


def _one_definition(frame: pd.DataFrame, x: str, definition: str, covariates: tuple[str, ...],
                    cluster: str, n_boot: int, confidence: float, rng: np.random.Generator,
                    with_robust: bool, transform_x: str = "none") -> pd.DataFrame:
    transform = DEFINITION_TRANSFORMS.get(definition, "none")
    seeds = rng.spawn(2)
    rc = rank_correlation(frame, x=x, y=definition, by="training_config", cluster=cluster,
                          n_boot=n_boot, confidence=confidence, p_adjust="none", seed=seeds[0])
    if with_robust:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)  # already reported above
            rob = rank_correlation(frame, x="_x_robust", y=definition, by="training_config",
                                   cluster=cluster, n_boot=n_boot, confidence=confidence,
                                   p_adjust="none", seed=seeds[1])
        rc["estimate_robust"] = rob["estimate"].to_numpy()
        rc["_p_robust"] = rob["p_value"].to_numpy()
    else:
        rc["estimate_robust"] = np.nan
        rc["_p_robust"] = np.nan
    me = mixed_effects(frame, y=definition, x=x, groups=cluster, by="training_config",
                       covariates=covariates, transform_y=transform, transform_x=transform_x,
                       confidence=confidence,
                       lrt=False)
    slopes = me.slopes.rename(columns={"estimate": "slope", "ci_low": "slope_ci_low",
                                       "ci_high": "slope_ci_high"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)  # already reported above
        seg = segment_regimes(frame, x=x, y=definition, by="training_config", n_boot=0,
                              transform_y=transform, transform_x=transform_x, cluster=cluster)
    sel = seg.selection[seg.selection["selected"]].copy()
    sel["n_regimes"] = np.where(sel["bic"].notna(), sel["n_breakpoints"] + 1, np.nan)
    out = rc.merge(slopes[["training_config", "slope", "slope_ci_low", "slope_ci_high"]],
                   on="training_config", how="left")
    out = out.merge(sel[["training_config", "n_regimes"]], on="training_config", how="left")
    out["n_regimes"] = out["n_regimes"].astype("Int64")
    out.insert(1, "definition", definition)
    y_label = f"log10({definition})" if transform == "log10" else definition
    x_label = f"log10({x})" if transform_x == "log10" else x
    out["method"] = (f"Spearman, cluster bootstrap BCa ({n_boot}), Holm; MixedLM slope of "
                     f"{y_label} per unit {x_label}; regimes by BIC segmented regression")
    return out


def _sentence(row, confidence: float) -> str:
    where = f"Under {row.training_config}, {row.definition}"
    if not np.isfinite(row.estimate):
        return f"{where}: not enough usable data to judge the relationship."
    p_text = "< 0.001" if row.p_adj < 0.001 else f"= {row.p_adj:.3f}"
    stats_text = (f"Spearman rho = {row.estimate:.2f}, {confidence:.0%} CI "
                  f"{row.ci_low:.2f} to {row.ci_high:.2f}, adjusted p {p_text}")
    if row.verdict == "none":
        return f"{where} shows no clear relationship with expressibility ({stats_text})."
    regimes = ("" if pd.isna(row.n_regimes) or row.n_regimes == 1
               else f", in {int(row.n_regimes)} regimes")
    kind = ("trade-off" if row.direction.endswith("less trainable")
            else "relationship opposite to a trade-off")
    return f"{where} shows a {row.verdict} {kind}: {row.direction} ({stats_text}){regimes}."
