"""The trade-off under noise: the association at each noise level against the noiseless one.

A dataset with ``[noise]`` levels holds, for every circuit in the noisy part of the grid, runs at
each level that share their initialisations and task instances with the noiseless run (a paired
design; `etr.experiment.grid`). Expressibility (x) is the noise-free circuit's and the same at
every level; trainability (y) is measured under the run's noise. Two questions:

* Does the trade-off change under noise? `compare_noise_levels`: for every configuration,
  definition and noisy level, the conditional association of `etr.analysis.conditional` (Kendall
  tau-b between circuits of the same width and depth, on the r scale, oriented so that + reads
  "more expressive -> less trainable") at that level, and its difference from the noiseless
  association *on the same circuits*, paired by circuit (the U-statistic variance of the
  difference of the two linearised kernels, `etr.analysis.conditional.difference`), Holm over
  the table. Noise-induced barren plateaus (Wang et al. 2021) shrink every gradient whatever
  the circuit's expressibility, so a noise level can weaken the association even where the
  noiseless one is strong; a rank association is unchanged by a common factor, so a difference
  means that noise reorders the circuits' trainability, not merely that it shrinks it.
* How fast does trainability fall with depth under noise? `noise_decay`: per configuration and
  level, the slope over depth of ln(y_level / y_noiseless), the paired ratio of each run to its
  own noiseless run, against the rate a global depolarizing channel of strength p after every
  layer would give exactly, 2 ln(1 - p) per layer for a variance (REFERENCES: the Bloch vector
  shrinks by 1 - p per channel, every gradient by (1 - p)^L, its variance by (1 - p)^(2L)).
  etr's noise acts after every gate on each qubit it touches, k >= 1 channels per qubit and
  layer, so the measured slope is steeper, near 2 k ln(1 - p); ``k_effective`` = slope /
  (2 ln(1 - p)) reads it as a number of depolarizing channels per qubit and layer.

Rows without noise columns (datasets written before noise existed) are noiseless. Finite-shot
runs are left out (the association under shot noise is a separate analysis).

References
----------
Wang, S. et al. (2021). Noise-induced barren plateaus in variational quantum algorithms. Nat.
Commun. 12, 6961. Mele, A. A. et al. (2024). Noise-induced shallow circuits and absence of
barren plateaus. arXiv:2403.13927.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from etr.analysis import conditional as cond
from etr.analysis._common import (
    check_alpha,
    check_confidence,
    check_frame,
    pqc_configs,
)
from etr.analysis.quality import clean
from etr.contract import NOISE_COLUMNS, PRIMARY_X

__all__ = ["NOISELESS_LABEL", "compare_noise_levels", "noise_decay", "noise_label",
           "noise_levels", "noiseless_runs"]

#: the label of the noiseless level.
NOISELESS_LABEL = "noiseless"
_LEVEL = "_noise"

_CMP = ["definition", "training_config", "noise", *NOISE_COLUMNS, "n", "n_clusters", "estimate",
        "ci_low", "ci_high", "estimate_noiseless", "difference", "difference_se",
        "difference_df", "difference_ci_low", "difference_ci_high", "difference_ci_level",
        "p_value", "p_adj", "method"]


def _levels_frame(data: pd.DataFrame) -> pd.DataFrame:
    """The four noise columns of `data` as floats (absent or missing = 0)."""
    out = pd.DataFrame(index=data.index)
    for c in NOISE_COLUMNS:
        values = (pd.to_numeric(data[c], errors="coerce") if c in data.columns
                  else pd.Series(0.0, index=data.index))
        out[c] = values.fillna(0.0).astype(float)
    return out


def noise_label(data: pd.DataFrame) -> pd.Series:
    """One label per row naming its noise level, e.g. ``"depolarizing=0.01"``, or
    `NOISELESS_LABEL`.

    Examples
    --------
    >>> noise_label(pd.DataFrame({"depolarizing": [0.0, 0.01], "readout": [0.0, 0.02]})).tolist()
    ['noiseless', 'depolarizing=0.01, readout=0.02']
    """
    levels = _levels_frame(data)
    parts = [np.where(levels[c] > 0, c + "=" + levels[c].map("{:g}".format), "")
             for c in NOISE_COLUMNS]
    labels = [", ".join(p for p in row if p) or NOISELESS_LABEL for row in zip(*parts)]
    return pd.Series(labels, index=data.index, dtype=object)


def noise_levels(data: pd.DataFrame) -> pd.DataFrame:
    """The distinct noise levels of `data`, the noiseless one first, then by total strength.

    Parameters
    ----------
    data : pandas.DataFrame
        Runs with noise columns (`etr.contract.NOISE_COLUMNS`; absent or missing = 0).

    Returns
    -------
    pandas.DataFrame
        ``noise`` (label), the four noise columns, ``n`` (rows at that level).

    Examples
    --------
    >>> df = pd.DataFrame({"depolarizing": [0.01, 0.0, 0.001, 0.01]})
    >>> noise_levels(df)[["noise", "n"]].values.tolist()
    [['noiseless', 1], ['depolarizing=0.001', 1], ['depolarizing=0.01', 2]]
    """
    levels = _levels_frame(data).assign(noise=noise_label(data))
    out = levels.groupby("noise", sort=False).agg(
        **{c: (c, "first") for c in NOISE_COLUMNS}, n=("noise", "size")).reset_index()
    out["_total"] = out[list(NOISE_COLUMNS)].sum(axis=1)
    out = out.sort_values(["_total", *NOISE_COLUMNS], kind="stable").drop(columns="_total")
    return out[["noise", *NOISE_COLUMNS, "n"]].reset_index(drop=True)


def noiseless_runs(data: pd.DataFrame) -> pd.DataFrame:
    """The rows of `data` without noise (every noise column 0 or absent): the primary analysis.

    Parameters
    ----------
    data : pandas.DataFrame
        Runs with noise columns (`etr.contract.NOISE_COLUMNS`; absent or missing = 0).

    Returns
    -------
    pandas.DataFrame
        The noiseless rows, index kept.

    Examples
    --------
    >>> len(noiseless_runs(pd.DataFrame({"depolarizing": [0.0, 0.01], "readout": 0.0})))
    1
    """
    return data[(_levels_frame(data) == 0).all(axis=1).to_numpy()]


def _exact(data: pd.DataFrame) -> pd.DataFrame:
    if "shots" not in data.columns:
        return data
    return data[pd.to_numeric(data["shots"], errors="coerce").isna().to_numpy()]


def compare_noise_levels(
    data: pd.DataFrame,
    *,
    x: str = PRIMARY_X,
    definitions: Sequence[str] | None = None,
    configs: Sequence[str] | None = None,
    strata: str | Sequence[str] = cond.STRATA,
    cluster: str = "pqc_id",
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The conditional association at every noise level and its difference from the noiseless
    one on the same circuits, paired by circuit (module notes).

    Parameters
    ----------
    data : pandas.DataFrame
        A dataset following `etr.contract` with noise levels (columns ``depolarizing``,
        ``amplitude_damping``, ``phase_damping``, ``readout``; absent = 0). Exact runs only
        (rows with a shot count are left out).
    x : str
        Expressibility measure of the registry (the noise-free circuit's).
    definitions : sequence of str, optional
        Trainability definitions (default: every registered one with finite values).
    configs : sequence of str, optional
        Configurations (default: every one with a PQC present).
    strata : str or sequence of str
        What the association is conditioned on (add ``"task"`` when the data hold several).
    cluster : str
        The distinct circuit.
    confidence : float
        Level of the interval of each level's association.
    alpha : float
        Family-wise error rate of the differences: ``p_adj`` is Holm's over the table, and each
        difference's interval is at the level of its Holm step, ``1 - alpha / (m - i)``.

    Returns
    -------
    pandas.DataFrame
        One row per (definition, configuration, level), the noiseless level first: the level
        (``noise`` label and the four noise columns), runs ``n`` and distinct circuits
        ``n_clusters`` at that level, the oriented conditional association ``estimate`` with its
        interval ``ci_low, ci_high``; for noisy levels ``estimate_noiseless`` (the noiseless
        association on the same circuits), ``difference`` (level minus noiseless), its standard
        error ``difference_se`` and degrees of freedom ``difference_df`` (t on the difference),
        its interval at its Holm step (``difference_ci_low, difference_ci_high,
        difference_ci_level``), the two-sided ``p_value`` of "no difference" and ``p_adj``
        (Holm); ``method``. Degenerate cells are NaN with a warning
        (`etr.errors.DegenerateDataWarning`).

    Raises
    ------
    etr.errors.InputError
        As `etr.analysis.compare_configurations` (the same column, `x` and definition checks),
        and `confidence` outside `etr.analysis._common.CONFIDENCE_RANGE`.

    Examples
    --------
    >>> from etr.analysis import planted_dataset
    >>> clean_runs = planted_dataset(n_pqcs=90, conditional={"pure_pqc": 0.5}, seed=0,
    ...                              configs=("pure_pqc",))
    >>> rng = np.random.default_rng(1)  # noise erases the planted association:
    >>> noisy = clean_runs.assign(depolarizing=0.01, cell_id=clean_runs["cell_id"] + "-noisy",
    ...                           grad_var_train=1.0 + rng.random(len(clean_runs)))
    >>> res = compare_noise_levels(pd.concat([clean_runs.assign(depolarizing=0.0), noisy]),
    ...                            definitions=["grad_var_train"])
    >>> (res["estimate"].round(1) + 0.0).tolist()  # r planted on runs: 0.6 at circuit level
    [0.6, 0.0]

    (With two task instances the difference's interval is a t on one degree of freedom: too
    wide to call; `tests/analysis/test_noise_analysis.py` shows it detected with eight.)
    """
    exact = _exact(data)
    strata, definitions = cond.comparison_inputs(exact, x, definitions, strata, cluster)
    confidence = check_confidence(confidence)
    alpha = check_alpha(alpha)
    labelled = exact.assign(**{_LEVEL: noise_label(exact)})
    levels = noise_levels(exact)
    order = pqc_configs(exact, configs)
    cleaned = clean(labelled)
    records, diffs = [], []
    for d in definitions:
        sign = cond.orientation(x, d)
        rows = cond.prepare_rows(cleaned.data, x=x, y=d, by=("training_config", _LEVEL),
                                 strata=strata, cluster=cluster, cleaned=cleaned)
        for config in order:
            base = rows.frame[rows.frame["_g"] == f"{config}|{NOISELESS_LABEL}"]
            for level in levels.itertuples(index=False):
                rec, diff = _level_row(rows, base, d, config, level, sign, confidence)
                records.append(rec)
                diffs.append((diff, sign))
    out = pd.DataFrame(records, columns=_CMP)
    _holm(out, diffs, alpha)
    out["method"] = ("oriented conditional r (Kendall tau-b within " + " x ".join(strata)
                     + " strata) at each noise level; difference from the noiseless r on the "
                     "same circuits, paired by circuit, U-statistic variance, t on the "
                     "difference; Holm over the table")
    return out


def _level_row(rows: cond.Rows, base: pd.DataFrame, definition: str, config: str, level,
               sign: int, confidence: float) -> tuple[dict, cond.Difference | None]:
    label = level.noise
    sub = rows.frame[rows.frame["_g"] == f"{config}|{label}"]
    rec: dict = {"definition": definition, "training_config": config, "noise": label,
                 **{c: getattr(level, c) for c in NOISE_COLUMNS}, "n": len(sub),
                 "n_clusters": int(sub["_c"].nunique()) if len(sub) else 0}
    fit = cond.fit_or_warn(sub, rows.strata, f"{config}, {definition}, {label}")
    if fit is None:
        return rec, None
    rec["estimate"] = sign * fit.r
    rec["ci_low"], rec["ci_high"] = cond._oriented_interval(fit, sign, confidence)
    if label == NOISELESS_LABEL:
        return rec, None
    # the noiseless runs of the circuits that have runs at this level: a paired comparison
    paired = base[base["_cluster"].isin(set(sub["_cluster"]))]
    ref = cond.fit_or_warn(paired, rows.strata,
                           f"{config}, {definition}, noiseless runs of the {label} circuits")
    if ref is None:
        return rec, None
    diff = cond.difference(fit, ref)
    if not diff.var > 0:
        return rec, None
    rec.update(estimate_noiseless=sign * ref.r, difference=sign * diff.estimate,
               difference_se=float(np.sqrt(diff.var)), difference_df=diff.df,
               p_value=diff.p_two_sided())
    return rec, diff


def _holm(out: pd.DataFrame, diffs: list, alpha: float) -> None:
    """Holm over the table's p-values, each difference's interval at its Holm step."""
    tmp = pd.DataFrame({"p_value": out["p_value"].to_numpy(dtype=float),
                        "ci_low": np.nan, "ci_high": np.nan, "ci_level": np.nan})
    cond._holm_intervals(tmp, diffs, alpha)
    out["p_adj"] = tmp["p_adj"].to_numpy()
    out["difference_ci_low"] = tmp["ci_low"].to_numpy()
    out["difference_ci_high"] = tmp["ci_high"].to_numpy()
    out["difference_ci_level"] = tmp["ci_level"].to_numpy()


def noise_decay(
    data: pd.DataFrame,
    *,
    y: str = "grad_var",
    configs: Sequence[str] | None = None,
    depth: str = "layers",
    cluster: str = "pqc_id",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """How fast `y` falls with depth at each noise level, relative to the same runs without
    noise, beside the global-depolarizing rate (module notes).

    Every noisy run is paired with the noiseless run of the same circuit, configuration, task,
    replicate and classical parts (the same initialisations), and ln(y_noisy / y_noiseless) is
    averaged per circuit; the slope of that mean over `depth` (least squares over circuits,
    with intercept: the encoding's gates add a depth-independent factor) is the measured rate per
    layer.

    Parameters
    ----------
    data : pandas.DataFrame
        A dataset with noise levels (exact runs are used).
    y : str
        A positive trainability column (default ``grad_var``).
    configs : sequence of str, optional
        Configurations (default: every one with a PQC present).
    depth : str
        The depth column.
    cluster : str
        The distinct circuit.
    confidence : float
        Level of the slope's interval (t over circuits).

    Returns
    -------
    pandas.DataFrame
        One row per (configuration, noisy level): ``training_config, noise``, the four noise
        columns, ``n_pairs`` (paired runs), ``n_clusters``, ``slope`` (per layer, natural log),
        ``slope_ci_low, slope_ci_high``, ``reference_slope`` = 2 ln(1 - p) for the depolarizing
        p of the level (NaN without depolarizing noise: non-unital and dephasing channels have
        no such rate), ``k_effective`` = slope / reference_slope, ``method``.

    Raises
    ------
    etr.errors.InputError
        Missing columns.

    Examples
    --------
    >>> rows = []
    >>> for c, layers in enumerate([1, 2, 3, 4] * 3):
    ...     for p in (0.0, 0.05):
    ...         v = 0.1 * (1 - p) ** (2 * 3 * layers)  # three channels per qubit and layer
    ...         rows.append({"pqc_id": f"c{c}", "layers": layers, "depolarizing": p,
    ...                      "training_config": "pure_pqc", "seed": 0, "grad_var": v})
    >>> res = noise_decay(pd.DataFrame(rows))
    >>> round(float(res["k_effective"].iloc[0]), 6)
    3.0
    """
    check_frame(data, ("training_config", cluster, depth, y), ())
    confidence = check_confidence(confidence)
    exact = _exact(data)
    ok = exact if "status" not in exact.columns else exact[exact["status"].astype(str) == "ok"]
    keys = [c for c in ("training_config", "task", "seed", "architecture_id", cluster)
            if c in ok.columns]
    frame = ok.assign(_noise=noise_label(ok), _y=pd.to_numeric(ok[y], errors="coerce"))
    frame = frame[np.isfinite(frame["_y"]) & (frame["_y"] > 0)]
    base = frame[frame["_noise"] == NOISELESS_LABEL][[*keys, "_y"]].rename(
        columns={"_y": "_y0"}).drop_duplicates(keys)
    levels = noise_levels(frame)
    out = []
    for config in pqc_configs(frame, configs):
        for level in levels.itertuples(index=False):
            if level.noise == NOISELESS_LABEL:
                continue
            sub = frame[(frame["training_config"].astype(str) == config)
                        & (frame["_noise"] == level.noise)]
            pairs = sub.merge(base, on=keys, how="inner")
            out.append(_decay_row(pairs, config, level, depth, cluster, confidence))
    cols = ["training_config", "noise", *NOISE_COLUMNS, "n_pairs", "n_clusters", "slope",
            "slope_ci_low", "slope_ci_high", "reference_slope", "k_effective"]
    res = pd.DataFrame(out, columns=cols)
    res["method"] = (f"least-squares slope over {depth} of the per-circuit mean of "
                     f"ln({y} / {y} of the same run without noise); reference 2 ln(1 - p) "
                     "per layer: one global depolarizing channel of strength p per layer")
    return res


def _decay_row(pairs: pd.DataFrame, config: str, level, depth: str, cluster: str,
               confidence: float) -> dict:
    p = float(level.depolarizing)
    ref = 2.0 * np.log1p(-p) if 0 < p < 1 else np.nan
    row = {"training_config": config, "noise": level.noise,
           **{c: getattr(level, c) for c in NOISE_COLUMNS}, "n_pairs": len(pairs),
           "n_clusters": 0, "slope": np.nan, "slope_ci_low": np.nan, "slope_ci_high": np.nan,
           "reference_slope": ref, "k_effective": np.nan}
    if pairs.empty:
        return row
    ratio = np.log(pairs["_y"].to_numpy() / pairs["_y0"].to_numpy())
    per = pd.DataFrame({"c": pairs[cluster].astype(str).to_numpy(), "r": ratio,
                        "d": pd.to_numeric(pairs[depth], errors="coerce").to_numpy()})
    per = per.groupby("c").agg(r=("r", "mean"), d=("d", "first"))
    row["n_clusters"] = len(per)
    if len(per) < 3 or per["d"].nunique() < 2:
        return row
    fit = stats.linregress(per["d"].to_numpy(dtype=float), per["r"].to_numpy())
    q = stats.t.ppf(0.5 + confidence / 2.0, len(per) - 2)
    row.update(slope=float(fit.slope), slope_ci_low=float(fit.slope - q * fit.stderr),
               slope_ci_high=float(fit.slope + q * fit.stderr))
    if np.isfinite(ref) and ref != 0:
        row["k_effective"] = float(fit.slope / ref)
    return row

