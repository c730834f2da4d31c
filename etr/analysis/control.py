"""Hybrid minus classical-only control: does the PQC matter on a task?

The control (training configuration ``classical_only``, `etr.hybrid.control`) is the hybrid
network with its PQC replaced by a fixed classical map. It depends on the classical parts, the
width and the encoding, not on the circuit, so one control run serves every circuit that shares
them. `control_gap` pairs each hybrid run with the control trained on the same task instance
(``task_id``, replicate ``seed``) with the same classical parts and width, and averages the
differences.

Which unit is independent
-------------------------
Every run of one replicate trains on the same task instance, and within a (task instance,
classical parts, width) stratum every hybrid run is compared with the *same* control run: the
paired differences of one instance share its draw (an easy or a hard teacher, a lucky control
initialisation), so they are not independent. Different task instances are drawn independently
(their own seeds for data, initialisations and mini-batches), so the instance is the independent
unit and the bootstrap resamples whole instances with every row they hold (Field & Welsh 2007;
Ren et al. 2010: resample the highest level of a hierarchy). The circuits of a study grid are a
designed, fixed set, not a sample, so they are not resampled: the estimand is the mean gap over
the grid's circuits. (A benchmark that samples circuits afresh for every instance makes the
estimand the mean over the sampled population; the same resampling then covers both.)

A study has few instances per task (a handful of replicates), and the percentile bootstrap of a
mean over G clusters undercovers badly when G is small. The default interval (``ci_method="t"``)
therefore uses the cluster-bootstrap standard error, inflated by sqrt(G / (G - 1)) (the bootstrap
variance of a mean of G values is (G - 1) / G times the usual estimate; Hesterberg 2015) with t
quantiles on G - 1 degrees of freedom (Cameron & Miller 2015, few clusters). With equal-sized
instances it equals the t interval on instance means, which is exact for normal instance means at
any G >= 2; with unequal sizes the bootstrap handles the ratio estimator.
``ci_method="percentile"`` is the plain percentile interval, adequate from a few dozen instances
on. Coverage of nominal 95% intervals on planted-gap studies
(``benchmarks/coverage_control_gap.py``, 200 studies each, binomial SE 0.015):

=========  =====  ==========  =========================
instances  t      percentile  t, runs resampled instead
=========  =====  ==========  =========================
3          0.90   0.72        0.56
5          0.975  0.835       0.58
10         0.965  0.935       0.64
20         0.945  0.915       0.56
=========  =====  ==========  =========================

(the slow tests hold the t interval to [0.92, 0.98] at 3, 5 and 10 instances over 600 studies).

References
----------
Field & Welsh 2007, "Bootstrapping clustered data", JRSS B 69, 369.
Ren, Lai, Wang et al. 2010, "Nonparametric bootstrapping for hierarchical data", J. Appl. Stat.
37, 1487.
Hesterberg 2015, "What teachers should know about the bootstrap", Am. Stat. 69, 371.
Cameron & Miller 2015, "A practitioner's guide to cluster-robust inference", J. Hum. Resour.
50, 317.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from etr._rng import SeedLike, as_generator
from etr._validation import check_choice, check_int
from etr.analysis._common import (
    P_ADJUST,
    adjust,
    as_tuple,
    check_confidence,
    check_frame,
    degenerate,
    group_label,
    iter_groups,
)
from etr.contract import CONFIGS, PQC_CONFIGS
from etr.errors import InputError

__all__ = ["GAP_CI_METHODS", "PAIR_KEYS", "control_gap"]

#: columns a hybrid run and its control share (besides ``task``).
PAIR_KEYS: tuple[str, ...] = ("task_id", "seed", "classical_pre", "classical_post", "n_qubits",
                              "encoding")
#: interval methods of `control_gap`.
GAP_CI_METHODS: tuple[str, ...] = ("t", "percentile")
_CONTROL = next(c for c, v in CONFIGS.items() if not v.has_pqc)
_HYBRIDS = tuple(c for c, v in CONFIGS.items() if v.has_pqc and c != "pure_pqc")


def control_gap(
    data: pd.DataFrame,
    *,
    value: str = "test_accuracy",
    configs: str | Sequence[str] = _HYBRIDS,
    by: str | Sequence[str] | None = None,
    pair_on: Sequence[str] = PAIR_KEYS,
    cluster: str = "task_id",
    n_boot: int = 2000,
    confidence: float = 0.95,
    ci_method: str = "t",
    p_adjust: str = "holm",
    seed: SeedLike = None,
) -> pd.DataFrame:
    """Mean hybrid `value` minus the classical-only control's, per task and configuration.

    Parameters
    ----------
    data : pandas.DataFrame
        Contract-shaped runs, including ``training_config == "classical_only"`` rows (the
        controls) and the columns ``task``, `value`, `pair_on` and `cluster`.
    value : str
        Numeric column compared (default ``"test_accuracy"``); the gap is hybrid - control.
    configs : str or sequence of str
        Hybrid configurations compared with the control (default ``hybrid_quantum_only`` and
        ``hybrid_full``).
    by : str or sequence of str, optional
        Extra grouping columns (e.g. ``"n_qubits"``, ``"classical_pre"``); the output always
        has one row per ``task`` x ``training_config`` x `by`.
    pair_on : sequence of str
        Columns a hybrid run and its control must share: the task instance, the replicate, the
        classical parts, the width and the encoding. When several control runs share a key
        their mean is used.
    cluster : str
        The independent unit resampled by the bootstrap (default the task instance; see the
        module notes).
    n_boot : int
        Bootstrap replicates.
    confidence : float
        Confidence level of the interval.
    ci_method : {"t", "percentile"}
        ``"t"``: cluster-bootstrap SE x sqrt(G / (G - 1)), t quantiles with G - 1 degrees of
        freedom; ``"percentile"``: percentile interval of the cluster bootstrap.
    p_adjust : {"holm", "bh", "none"}
        Multiplicity adjustment of the p-values across output rows.
    seed : int, numpy.random.Generator or None
        Randomness of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        Columns ``task, training_config, *by, n, n_clusters, n_pqc, n_unpaired, hybrid_mean,
        control_mean, estimate, ci_low, ci_high, p_value, p_adj, method``: paired hybrid runs,
        task instances, distinct circuits (``pqc_id``, when present), hybrid runs with no
        matching control or a NaN `value` (left out), the mean of the paired hybrid runs, the
        mean of their matched controls (each control weighted by the hybrid runs it serves),
        the gap (their difference: the mean over paired runs of hybrid - control), its
        interval, the two-sided p-value of "gap = 0" (t on G - 1 degrees of freedom with the
        bootstrap SE for ``"t"``, interval inversion for ``"percentile"``), its adjusted value
        and a description of the method.

    Raises
    ------
    etr.errors.InputError
        Not a DataFrame, missing columns (named), a non-numeric `value`, bad options, no
        control rows, or a `configs` entry that is not a hybrid configuration.

    Warns
    -----
    etr.errors.DegenerateDataWarning
        A group with fewer than 2 task instances: its interval and p-value are NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = []
    >>> for inst, (hyb, ctrl) in enumerate([(0.90, 0.80), (0.85, 0.80), (0.95, 0.82)]):
    ...     base = dict(task="teacher", task_id=f"t{inst}", seed=inst, classical_pre="none",
    ...                 classical_post="8-tanh", n_qubits=4, encoding="ry")
    ...     rows.append({**base, "training_config": "hybrid_full", "pqc_id": "a",
    ...                  "test_accuracy": hyb})
    ...     rows.append({**base, "training_config": "classical_only", "pqc_id": None,
    ...                  "test_accuracy": ctrl})
    >>> res = control_gap(pd.DataFrame(rows), configs="hybrid_full", seed=0)
    >>> round(float(res.loc[0, "estimate"]), 4), int(res.loc[0, "n_clusters"])
    (0.0933, 3)
    """
    configs = as_tuple(configs)
    by = as_tuple(by)
    pair_on = tuple(pair_on)
    for c in configs:
        check_choice("configs", c, PQC_CONFIGS)
    check_frame(data, ("training_config", "task", value, cluster, *pair_on, *by), (value,))
    n_boot = check_int("n_boot", n_boot, minimum=10)
    confidence = check_confidence(confidence)
    check_choice("ci_method", ci_method, GAP_CI_METHODS)
    check_choice("p_adjust", p_adjust, P_ADJUST)
    rng = as_generator(seed)
    paired, unpaired = _pair(data, value, configs, ("task", *pair_on), cluster, by)
    group = ("task", "training_config", *by)
    rows, seen = [], set()
    for g in iter_groups(paired, group):
        seen.add(g.key)
        row = g.values
        row.update(_gap_row(g.data, value, cluster, n_boot, confidence, ci_method, rng, g.label))
        row["n_unpaired"] = int(unpaired.get(g.key, 0))
        rows.append(row)
    for key, n_out in unpaired.items():  # groups with no pair at all
        if key not in seen:
            row = dict(zip(group, key, strict=True))
            row.update(n=0, n_clusters=0, n_pqc=0, n_unpaired=int(n_out), hybrid_mean=np.nan,
                       control_mean=np.nan, estimate=np.nan, ci_low=np.nan, ci_high=np.nan,
                       p_value=np.nan)
            degenerate(group_label(group, key), "no paired runs")
            rows.append(row)
    cols = ["task", "training_config", *by, "n", "n_clusters", "n_pqc", "n_unpaired",
            "hybrid_mean", "control_mean", "estimate", "ci_low", "ci_high", "p_value"]
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values(["task", "training_config", *by], kind="stable").reset_index(drop=True)
    out["p_adj"] = adjust(out["p_value"].to_numpy(), p_adjust)
    ci = ("bootstrap SE x sqrt(G/(G-1)), t(G-1)" if ci_method == "t"
          else "bootstrap percentile")
    out["method"] = (f"{value}: hybrid - {_CONTROL} paired on {', '.join(pair_on)}; "
                     f"{cluster} bootstrap ({n_boot}), {ci}")
    return out


def _pair(data: pd.DataFrame, value: str, configs: tuple[str, ...], keys: tuple[str, ...],
          cluster: str, by: tuple[str, ...]) -> tuple[pd.DataFrame, dict]:
    """Hybrid rows of `configs` with their control's mean `value` (``_control``) and ``_diff``;
    and the count of left-out hybrid rows per (task, config, *by)."""
    tc = data["training_config"].astype("string")
    controls = data.loc[tc == _CONTROL, [*keys, value]].copy()
    controls[value] = controls[value].astype(float)
    controls = controls[np.isfinite(controls[value].to_numpy())]
    if controls.empty:
        raise InputError(f"`data` has no usable `{_CONTROL}` rows (column `training_config`) "
                         f"with a finite `{value}`")
    for k in keys:  # join on strings so that 4 and 4.0, or 'a' and pd.NA, compare sanely
        controls[k] = controls[k].astype("string")
    ctrl = controls.groupby(list(keys), dropna=False, observed=True)[value].mean()
    ctrl = ctrl.rename("_control").reset_index()
    extra = [c for c in dict.fromkeys((cluster, "pqc_id", *by)) if c in data.columns
             and c not in keys]
    hyb = data.loc[tc.isin(configs), ["training_config", *keys, *extra, value]].copy()
    hyb = hyb.reset_index(drop=True)
    join = hyb[list(keys)].astype("string")
    merged = join.merge(ctrl, on=list(keys), how="left")
    hyb["_control"] = merged["_control"].to_numpy()
    hyb[value] = hyb[value].astype(float)
    hyb["_diff"] = hyb[value] - hyb["_control"]
    ok = np.isfinite(hyb["_diff"].to_numpy()) & hyb[cluster].notna().to_numpy()
    for b in by:
        ok &= hyb[b].notna().to_numpy()
    left = hyb.loc[~ok]
    unpaired: dict = {}
    for key, sub in left.groupby(["task", "training_config", *by], dropna=True, observed=True):
        unpaired[key if isinstance(key, tuple) else (key,)] = len(sub)
    return hyb.loc[ok].reset_index(drop=True), unpaired


def _gap_row(sub: pd.DataFrame, value: str, cluster: str, n_boot: int, confidence: float,
             ci_method: str, rng: np.random.Generator, label: str) -> dict:
    diff = sub["_diff"].to_numpy()
    hyb = sub[value].to_numpy(dtype=float)
    _, codes = np.unique(sub[cluster].astype(str).to_numpy(), return_inverse=True)
    codes = codes.ravel()
    g = int(codes.max()) + 1
    sums = np.bincount(codes, weights=diff, minlength=g)
    sizes = np.bincount(codes, minlength=g).astype(float)
    est = float(sums.sum() / sizes.sum())
    row = {"n": len(diff), "n_clusters": g,
           "n_pqc": int(sub["pqc_id"].nunique()) if "pqc_id" in sub.columns else np.nan,
           "hybrid_mean": float(hyb.mean()), "control_mean": float(sub["_control"].mean()),
           "estimate": est, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan}
    if g < 2:
        degenerate(label, f"{g} task instance(s), fewer than 2")
        return row
    counts = rng.multinomial(g, np.full(g, 1.0 / g), size=n_boot).astype(float)
    boot = (counts @ sums) / (counts @ sizes)
    alpha = 1.0 - confidence
    if ci_method == "t":
        se = float(np.std(boot, ddof=1)) * np.sqrt(g / (g - 1.0))
        q = float(stats.t.ppf(1.0 - alpha / 2.0, g - 1))
        row.update(ci_low=est - q * se, ci_high=est + q * se)
        if se > 0:
            row["p_value"] = float(2.0 * stats.t.sf(abs(est) / se, g - 1))
        else:
            row["p_value"] = 0.0 if est != 0 else 1.0
    else:
        low, high = np.quantile(boot, [alpha / 2.0, 1.0 - alpha / 2.0])
        q0 = (np.sum(boot < 0) + np.sum(boot <= 0)) / (2.0 * n_boot)
        row.update(ci_low=float(low), ci_high=float(high),
                   p_value=float(min(1.0, 2.0 * min(q0, 1.0 - q0))))
    return row
