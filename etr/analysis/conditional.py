"""Association of expressibility with trainability *given* width and depth.

Expressibility and trainability both change with the number of qubits and layers (deeper
circuits are more expressive and have flatter landscapes), so their marginal rank correlation
mostly measures the design grid: on the quick dataset the KL divergence is nearly a function of
depth. A trade-off is a statement about circuits of the *same* width and depth. This module
measures it, and the marginal association beside it, with intervals over distinct circuits.

Estimator: stratified Kendall tau-b between circuits
----------------------------------------------------
Within each (n_qubits, layers) stratum, every pair of runs of two *different* circuits is
concordant or discordant in (x, y); tau-b pools the pairs of every stratum (see
`etr.analysis._pairs`). It is reported on the scale of a Pearson correlation by Greiner's
relation ``r = sin(pi tau / 2)`` (exact for every elliptical copula), so that the thresholds
0.1 / 0.3 / 0.5 and the equivalence margins keep their usual meaning. Why this estimator and
not a partial Spearman correlation on stratum indicators:

* it depends only on orderings *inside* a stratum, so any width- and depth-dependent monotone
  distortion of x or y (a KL bias that falls with width, gradients that shrink exponentially
  with qubits) leaves it unchanged; a partial Spearman correlation of global ranks changes
  when strata shift relative to each other, even when nothing changes inside them;
* tau is a U-statistic, unbiased in every stratum however small (the study grid has 3 to 15
  circuits per cell), while Spearman's rho has an O(1/n) bias per stratum;
* pairs of runs of the same circuit never count (they share x), so seeds and pre-networks of
  one circuit do not pass for independent evidence;
* its variance has an exact unbiased estimator (Hoeffding) computed from the pair kernels.

x is the per-circuit mean over all its runs (expressibility is a property of the circuit); the
marginal association is the same estimator with a single stratum.

Intervals
---------
On Fisher's z = atanh(r) scale: ``z +- t_{df} * se`` with ``df = clusters - strata`` and the
unbiased U-statistic variance (``ci_method="ustat"``, default), floored at the variance the
design gives under independence (Daniels 1944; for Gaussian dependence the z-scale variance of
Kendall's tau is smallest at independence, 1.10/n against 1.21/n as r -> 1), which keeps tiny
designs from reporting a zero-width interval when every pair is concordant.
``ci_method="bootstrap"`` uses a cluster bootstrap of distinct circuits instead; simulation
shows it conservative for this statistic (standard errors 20-50% too large with 3-15 circuits
per stratum) because resampling inflates the degenerate part of a U-statistic (Efron & Stein
1981). Measured on planted data (300 replicates each), the 95% intervals of the default cover
the truth 0.95-0.97 of the time from 40 to 480 circuits (`tests/analysis/test_validation.py`
asserts >= 0.93); the equivalence test at the margin (true r = +-0.1) says "shown inside" 2.8%,
3.8% and 6.1% of the time with 300, 600 and 800 circuits (nominal 5%, Monte-Carlo error about
1%).

References
----------
Kendall, M. G. (1945). The treatment of ties in ranking problems. Biometrika 33, 239.
Hoeffding, W. (1948). A class of statistics with asymptotically normal distribution. Ann. Math.
Stat. 19, 293. Daniels, H. E. (1944). The relation between measures of correlation in the
universe of sample permutations. Biometrika 33, 129. Greiner, R. (1909); Lindskog, McNeil &
Schmock (2003), Kendall's tau for elliptical distributions. Efron, B. & Stein, C. (1981). The
jackknife estimate of variance. Ann. Stat. 9, 586.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from etr._rng import SeedLike, as_generator
from etr._validation import check_choice, check_float, check_int
from etr.analysis import _pairs as kp
from etr.analysis._common import MIN_CLUSTERS, adjust, as_tuple, check_frame
from etr.analysis.quality import CleanedData, clean
from etr.contract import CONFIGS, METRICS, PRIMARY_X, TRAINABILITY_ONLY
from etr.errors import DegenerateDataWarning, InputError

__all__ = ["STRATA", "compare_configurations", "conditional_correlation", "orientation"]

#: the covariates a trade-off is conditioned on.
STRATA: tuple[str, ...] = ("n_qubits", "layers")
CI_METHODS: tuple[str, ...] = ("ustat", "bootstrap")
_EXPRESSIBILITY = "expressibility"
_Y_KINDS = ("trainability", "capacity")
_R_MAX_Z = 1.0 - 1e-9


def orientation(x: str, y: str) -> int:
    """+1 or -1: the sign that makes a positive association read "more expressive -> less
    trainable", from the registry's ``higher_is_more`` of `x` and `y`.

    Examples
    --------
    >>> orientation("expressibility_fp", "grad_var"), orientation("expressibility_fp",
    ...                                                           "steps_to_target")
    (1, -1)
    """
    for name, col, kinds in (("x", x, (_EXPRESSIBILITY,)), ("y", y, _Y_KINDS)):
        m = METRICS.get(col)
        if m is None or m.kind not in kinds:
            allowed = ", ".join(k for k, v in METRICS.items() if v.kind in kinds)
            raise InputError(f"`{name}` = {col!r} is not a registered {' or '.join(kinds)} "
                             f"column; allowed: {allowed}")
    return -METRICS[x].higher_is_more * METRICS[y].higher_is_more


# --- preparing rows -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rows:
    """Rows ready for the pair kernels, with what was removed on the way.

    ``frame`` has columns ``_x`` (per-circuit mean of x), ``_y`` (censored values tied above
    every observed one), ``_s`` (stratum label), ``_c`` (global cluster code), ``_g`` (group
    label) and the `by` and `strata` columns, one row per usable run.
    """

    frame: pd.DataFrame
    n_dropped: dict[object, int]
    note: str
    n_clusters_total: int


def _censored_y(data: pd.DataFrame, y: str) -> np.ndarray:
    """`y` with right-censored values (never reached) tied above every observed value."""
    values = pd.to_numeric(data[y], errors="coerce").to_numpy(dtype=float)
    flag = METRICS[y].censor if y in METRICS else None
    if flag is None or flag not in data.columns:
        return values
    cens = data[flag].astype("boolean").fillna(False).to_numpy(dtype=bool)
    if not cens.any():
        return values
    observed = values[~cens & np.isfinite(values)]
    top = (observed.max() if len(observed) else 0.0) + 1.0
    return np.where(cens, top, values)


def _joined(d: pd.DataFrame, cols: Sequence[str], default: str) -> np.ndarray:
    """One string label per row joining the values of `cols` with "|" (vectorised)."""
    if not cols:
        return np.full(len(d), default, dtype=object)
    out = d[cols[0]].astype(object).astype(str)
    for c in cols[1:]:
        out = out + "|" + d[c].astype(object).astype(str)
    return out.to_numpy(dtype=object)


def prepare_rows(data: pd.DataFrame, *, x: str, y: str, by: Sequence[str],
                 strata: Sequence[str], cluster: str,
                 cleaned: CleanedData | None = None) -> Rows:
    """Clean, drop unusable rows (counted per group), average x per circuit, code strata.

    Configurations without a PQC (the classical-only control) are left out: expressibility is
    not defined for them.
    """
    cleaned = clean(data) if cleaned is None else cleaned
    d = cleaned.data
    if "training_config" in d.columns:
        no_pqc = [c for c, v in CONFIGS.items() if not v.has_pqc]
        d = d[~d["training_config"].astype(object).isin(no_pqc)]
    xs = pd.to_numeric(d[x], errors="coerce").to_numpy(dtype=float)
    ys = _censored_y(d, y)
    ok = np.isfinite(xs) & np.isfinite(ys) & d[cluster].notna().to_numpy()
    for col in (*strata, *by):
        ok &= d[col].notna().to_numpy()
    group = _joined(d, by, "all")
    removed = cleaned.removed
    removed_group = (_joined(removed, by, "all") if removed is not None and len(removed)
                     and all(c in removed.columns for c in by) else np.array([], dtype=object))
    n_dropped = {g: int((removed_group == g).sum()) + int((~ok & (group == g)).sum())
                 for g in pd.unique(np.concatenate([group, removed_group]))}
    keep = d[ok]
    frame = pd.DataFrame({
        "_y": ys[ok],
        "_g": group[ok],
        "_cluster": keep[cluster].astype(str).to_numpy(),
    }, index=keep.index)
    for col in dict.fromkeys((*by, *strata)):
        frame[col] = keep[col].to_numpy()
    # the circuit's expressibility: the mean over every run of it with a finite value (also
    # runs whose y is unusable for this definition)
    has_x = np.isfinite(xs) & d[cluster].notna().to_numpy()
    circuit_x = pd.Series(xs[has_x]).groupby(d[cluster].astype(str).to_numpy()[has_x]).mean()
    frame["_x"] = frame["_cluster"].map(circuit_x).to_numpy(dtype=float)
    frame["_s"] = _joined(keep, strata, "all")
    codes, uniq = pd.factorize(frame["_cluster"], sort=True)
    frame["_c"] = codes
    return Rows(frame=frame, n_dropped=n_dropped, note=cleaned.note((x, y)),
                n_clusters_total=len(uniq))


# --- fitting --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fit:
    """A pooled tau-b over a set of strata, with its variance on the r scale."""

    strata: tuple[kp.Stratum, ...]
    totals: kp.Totals
    var_r: float
    var0_r: float
    df: int
    n_clusters: int
    boot_r: np.ndarray | None = None

    @property
    def tau(self) -> float:
        return self.totals.tau

    @property
    def r(self) -> float:
        return float(kp.to_r(self.tau))

    @property
    def n_pairs(self) -> int:
        return int(sum(s.size * (s.size - 1) // 2 for s in self.strata))

    def z_se(self) -> tuple[float, float]:
        """(z, se) on Fisher's scale; |tau| is held half a pair inside +-1 for the z."""
        cap = 1.0 - 0.5 / max(self.n_pairs, 1)
        t = float(np.clip(self.tau, -cap, cap))
        r = float(np.clip(kp.to_r(t), -_R_MAX_Z, _R_MAX_Z))
        if self.boot_r is not None:
            zb = np.arctanh(np.clip(self.boot_r, -_R_MAX_Z, _R_MAX_Z))
            var_z = float(np.nanvar(zb, ddof=1))
        else:
            var_z = self.var_r / (1.0 - self.r**2) ** 2 if abs(self.r) < 1 else 0.0
        var_z = max(var_z, self.var0_r) if np.isfinite(var_z) else self.var0_r
        return float(np.arctanh(r)), float(np.sqrt(var_z))

    def interval(self, level: float) -> tuple[float, float]:
        """Two-sided interval for r at `level`."""
        z, se = self.z_se()
        q = stats.t.ppf(0.5 + level / 2.0, self.df)
        return float(np.tanh(z - q * se)), float(np.tanh(z + q * se))

    def p_value(self) -> float:
        """Two-sided p-value of "r = 0" (t on the z scale)."""
        z, se = self.z_se()
        if se <= 0:
            return float("nan")
        return float(2.0 * stats.t.sf(abs(z) / se, self.df))

    def p_beyond(self, bound: float, side: str) -> float:
        """One-sided p-value of H0 ``r >= bound`` (side "below") or ``r <= bound`` ("above")."""
        z, se = self.z_se()
        if se <= 0:
            return float("nan")
        stat = (z - np.arctanh(bound)) / se
        return float(stats.t.cdf(stat, self.df) if side == "below"
                     else stats.t.sf(stat, self.df))


def kernels(frame: pd.DataFrame, stratified: bool = True) -> dict[object, kp.Stratum]:
    """Pair kernels of the rows of `frame` (per stratum, or one stratum when not stratified)."""
    s = frame["_s"].to_numpy() if stratified else np.zeros(len(frame), dtype=int)
    return kp.build(frame["_x"].to_numpy(), frame["_y"].to_numpy(), s, frame["_c"].to_numpy())


def problem(frame: pd.DataFrame, strata: dict[object, kp.Stratum] | None) -> str | None:
    """Why these rows cannot give an estimate (None when they can)."""
    g = frame["_c"].nunique()
    if g < MIN_CLUSTERS:
        return f"{g} distinct circuit(s), fewer than {MIN_CLUSTERS}"
    if strata is not None:
        usable = [s for s in strata.values() if s.size >= 2]
        if not usable:
            return "no width-depth stratum holds two distinct circuits"
        if sum(s.bx.sum() for s in usable) == 0:
            return "x does not vary between circuits of the same stratum"
        if sum(s.by.sum() for s in usable) == 0:
            return "y is constant (e.g. all zero) within every stratum"
    return None


def fit(strata: Sequence[kp.Stratum], *, counts: np.ndarray | None = None) -> Fit:
    """Pooled estimate over `strata`; bootstrap variance when `counts` is given.

    Strata that share circuits (e.g. one width-depth cell under two tasks, when the task is a
    stratum too) are not independent: their linearised kernels are summed on the union of
    their circuits before the U-statistic variance is taken (`components`), so a circuit
    counted in several strata counts once as a unit of evidence.
    """
    strata = tuple(s for s in strata if s.size >= 2)
    tot = kp.totals(list(strata))
    d2 = tot.x2 * tot.y2
    slope = kp.dr_dtau(tot.tau) if np.isfinite(tot.tau) else np.nan
    groups = components(strata)
    var_tau = kp.guarded_variance([_embedded([(s, kp.linearised(s, tot)) for s in g])
                                   for g in groups])
    var0 = sum(kp.null_variance(_merged(g)) for g in groups) / d2 * (np.pi / 2.0) ** 2 \
        if d2 > 0 else np.nan
    boot = None
    if counts is not None:
        boot = kp.to_r(kp.tau_of(*kp.quadratic_sums(list(strata), counts)))
    clusters = np.unique(np.concatenate([s.cluster for s in strata])) if strata else []
    return Fit(strata=strata, totals=tot, var_r=float(max(var_tau, 0.0) * slope**2),
               var0_r=float(var0), df=max(len(clusters) - len(groups), 1),
               n_clusters=len(clusters), boot_r=boot)


def components(strata: Sequence[kp.Stratum]) -> list[list[kp.Stratum]]:
    """Strata grouped into sets that share circuits (connected through common clusters).

    Strata of different groups hold disjoint circuits and are independent; a stratum that
    shares no circuit is a group of its own (the usual case: a circuit has one width and one
    depth).
    """
    parent = list(range(len(strata)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[int, int] = {}
    for i, s in enumerate(strata):
        for c in s.cluster.tolist():
            j = owner.setdefault(int(c), i)
            if j != i:
                parent[root(i)] = root(j)
    groups: dict[int, list[kp.Stratum]] = {}
    for i, s in enumerate(strata):
        groups.setdefault(root(i), []).append(s)
    return list(groups.values())


def _merged(group: list[kp.Stratum]) -> kp.Stratum:
    """One stratum standing for a group that shares circuits: x signs on the union of its
    circuits (the same in every stratum, x being a property of the circuit) and y sign sums
    added, for the null variance of the group's summed A kernel."""
    if len(group) == 1:
        return group[0]
    union = np.unique(np.concatenate([s.cluster for s in group]))
    g = len(union)
    mats = {k: np.zeros((g, g)) for k in ("a", "bx", "by", "sx", "dy")}
    for s in group:
        idx = np.ix_(np.searchsorted(union, s.cluster), np.searchsorted(union, s.cluster))
        mats["sx"][idx] = s.sx
        for k in ("a", "bx", "by", "dy"):
            mats[k][idx] += getattr(s, k)
    return kp.Stratum(label="+".join(s.label for s in group), cluster=union, **mats)


@dataclass(frozen=True, slots=True)
class Difference:
    """``r_a - r_b`` with its variance (paired through shared circuits)."""

    estimate: float
    var: float
    df: int

    def interval(self, level: float) -> tuple[float, float]:
        q = stats.t.ppf(0.5 + level / 2.0, self.df)
        se = np.sqrt(self.var)
        return float(self.estimate - q * se), float(self.estimate + q * se)

    def p_greater(self, bound: float = 0.0) -> float:
        """One-sided p-value of H0 ``difference <= bound``."""
        if not self.var > 0:
            return float("nan")
        return float(stats.t.sf((self.estimate - bound) / np.sqrt(self.var), self.df))

    def p_less(self, bound: float = 0.0) -> float:
        """One-sided p-value of H0 ``difference >= bound``."""
        if not self.var > 0:
            return float("nan")
        return float(stats.t.cdf((self.estimate - bound) / np.sqrt(self.var), self.df))

    def p_two_sided(self) -> float:
        return float(min(1.0, 2.0 * min(self.p_greater(), self.p_less())))


def _embedded(parts: list[tuple[kp.Stratum, np.ndarray]]) -> np.ndarray:
    """Sum of kernels of one stratum that may hold different circuits, on their union."""
    union = np.unique(np.concatenate([s.cluster for s, _ in parts]))
    out = np.zeros((len(union), len(union)))
    for s, h in parts:
        idx = np.searchsorted(union, s.cluster)
        out[np.ix_(idx, idx)] += h
    return out


def difference(a: Fit, b: Fit) -> Difference:
    """``r_a - r_b``: paired when the two fits share circuits, else independent.

    The variance is the unbiased U-statistic variance of the difference of the two linearised
    kernels on the union of circuits of each group of strata that share circuits
    (`components`; a circuit present in one fit only has zero kernel entries in the other),
    guarded by the jackknife where it is implausibly small (`etr.analysis._pairs.guarded_variance`),
    or the bootstrap variance when both fits carry replicates drawn with the same cluster
    counts.
    """
    est = a.r - b.r
    clusters = np.unique(np.concatenate([s.cluster for s in (*a.strata, *b.strata)]))
    weighted = [(s, sign * kp.dr_dtau(f.tau) * kp.linearised(s, f.totals))
                for f, sign in ((a, 1.0), (b, -1.0)) for s in f.strata]
    groups = components([s for s, _ in weighted])
    if a.boot_r is not None and b.boot_r is not None:
        var = float(np.nanvar(a.boot_r - b.boot_r, ddof=1))
    else:
        kernel = {id(s): h for s, h in weighted}
        var = kp.guarded_variance([_embedded([(s, kernel[id(s)]) for s in g])
                                   for g in groups])
    return Difference(estimate=float(est), var=max(var, 0.0),
                      df=max(len(clusters) - len(groups), 1))


# --- public ---------------------------------------------------------------------------------

_OUT = ["n", "n_clusters", "n_strata", "n_dropped", "estimate", "ci_low", "ci_high", "p_value",
        "tau", "estimate_marginal", "marginal_ci_low", "marginal_ci_high", "marginal_p_value",
        "orientation", "method", "data_note"]


def conditional_correlation(
    data: pd.DataFrame,
    *,
    y: str,
    x: str = PRIMARY_X,
    by: str | Sequence[str] | None = "training_config",
    strata: str | Sequence[str] = STRATA,
    cluster: str = "pqc_id",
    confidence: float = 0.95,
    ci_method: str = "ustat",
    n_boot: int = 2000,
    seed: SeedLike = None,
) -> pd.DataFrame:
    """Association of `x` with `y` given width and depth, and the marginal one, per group.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy data following `etr.contract`, one row per run.
    y : str
        A trainability definition or the capacity measure of `etr.contract.METRICS`.
        ``steps_to_target`` is right-censored: rows flagged in ``steps_to_target_censored``
        (never reached) tie above every observed value.
    x : str
        An expressibility measure of the registry (default `etr.contract.PRIMARY_X`, the
        frame-potential ratio).
    by : str, sequence of str or None
        Grouping columns, one output row per group; configurations without a PQC (the
        classical-only control) are left out.
    strata : str or sequence of str
        What the association is conditioned on (default ``("n_qubits", "layers")``).
    cluster : str
        The distinct circuit; runs of one circuit share x and are never paired.
    confidence : float
        Level of the two-sided intervals.
    ci_method : {"ustat", "bootstrap"}
        Unbiased U-statistic variance (default) or cluster bootstrap of `cluster`.
    n_boot : int
        Bootstrap replicates (``ci_method="bootstrap"`` only).
    seed : int, numpy.random.Generator or None
        Randomness of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        ``[*by, n, n_clusters, n_strata, n_dropped, estimate, ci_low, ci_high, p_value, tau,
        estimate_marginal, marginal_ci_low, marginal_ci_high, marginal_p_value, orientation,
        method, data_note]``: runs used, distinct circuits, strata holding two or more
        circuits, runs removed (failed, duplicated, impossible or non-finite values, missing
        strata); the *oriented* conditional association on the r scale (positive = "more
        expressive -> less trainable") with its interval and the two-sided p-value of zero;
        Kendall's tau-b itself (not oriented); the marginal association (one stratum) with
        its interval and p-value; the orientation sign applied (`orientation`); a method
        description; what was removed, in words.

    Raises
    ------
    etr.errors.InputError
        Missing columns (named), an `x` or `y` that is not registered, bad options.

    Warns
    -----
    etr.errors.DegenerateDataWarning
        A group with fewer than 3 circuits, no stratum with two circuits, or constant x or y
        within strata: its row is NaN.

    Notes
    -----
    See the module docstring for the estimator, why it was chosen and how its intervals are
    made.

    Examples
    --------
    >>> from etr.analysis import conditional_correlation, planted_dataset
    >>> df = planted_dataset(n_pqcs=120, conditional={"pure_pqc": 0.5}, seed=0)
    >>> res = conditional_correlation(df, y="grad_var_train", by="training_config")
    >>> row = res.set_index("training_config").loc["pure_pqc"]
    >>> bool(row["ci_low"] < 0.5 < row["ci_high"])
    True
    """
    by = as_tuple(by)
    strata = as_tuple(strata)
    check_frame(data, (*by, *strata, x, y, cluster), ())
    sign = orientation(x, y)
    check_choice("ci_method", ci_method, CI_METHODS)
    confidence = check_float("confidence", confidence, low=0.5, high=0.999999)
    n_boot = check_int("n_boot", n_boot, minimum=10)
    rows = prepare_rows(data, x=x, y=y, by=by, strata=strata, cluster=cluster)
    counts = None
    if ci_method == "bootstrap":
        g = rows.n_clusters_total
        counts = as_generator(seed).multinomial(g, np.full(g, 1.0 / g), size=n_boot)
    out = []
    for label, sub in _groups(rows, data, by):
        out.append(_row(sub, label, by, rows, sign, confidence, counts))
    res = pd.DataFrame(out, columns=[*by, *_OUT])
    res["method"] = _method(ci_method, n_boot, strata)
    res["data_note"] = rows.note
    return res


def _groups(rows: Rows, data: pd.DataFrame, by: tuple[str, ...]):
    frame = rows.frame
    if not by:
        yield "all", frame
        return
    levels = data[list(by)].dropna().drop_duplicates()
    if "training_config" in by:
        no_pqc = {c for c, v in CONFIGS.items() if not v.has_pqc}
        levels = levels[~levels["training_config"].astype(str).isin(no_pqc)]
        order = {c: i for i, c in enumerate(CONFIGS)}
        levels = levels.assign(_o=levels["training_config"].astype(str).map(order).fillna(99))
        levels = levels.sort_values(["_o", *by]).drop(columns="_o")
    else:
        levels = levels.sort_values(list(by))
    for key in levels.itertuples(index=False):
        label = "|".join(str(v) for v in key)
        yield label, frame[frame["_g"] == label]


def _row(sub: pd.DataFrame, label: str, by: tuple[str, ...], rows: Rows, sign: int,
         confidence: float, counts: np.ndarray | None) -> dict:
    row: dict = dict(zip(by, label.split("|"), strict=True)) if by else {}
    for col in by:
        if len(sub):
            row[col] = sub[col].iloc[0]
    row.update(n=len(sub), n_clusters=sub["_c"].nunique() if len(sub) else 0,
               n_dropped=rows.n_dropped.get(label, 0), orientation=sign)
    nan = dict(n_strata=0, estimate=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan,
               tau=np.nan, estimate_marginal=np.nan, marginal_ci_low=np.nan,
               marginal_ci_high=np.nan, marginal_p_value=np.nan)
    row.update(nan)
    cond = kernels(sub) if len(sub) else {}
    why = problem(sub, cond) if len(sub) else "no usable runs"
    if why is None:
        f = fit(list(cond.values()), counts=counts)
        low, high = f.interval(confidence)
        row.update(n_strata=len(f.strata), estimate=sign * f.r,
                   ci_low=sign * (low if sign > 0 else high),
                   ci_high=sign * (high if sign > 0 else low), p_value=f.p_value(), tau=f.tau)
    else:
        _warn(label, why)
    marg = kernels(sub, stratified=False) if len(sub) else {}
    if len(sub) and problem(sub, marg) is None:
        m = fit(list(marg.values()), counts=counts)
        low, high = m.interval(confidence)
        row.update(estimate_marginal=sign * m.r,
                   marginal_ci_low=sign * (low if sign > 0 else high),
                   marginal_ci_high=sign * (high if sign > 0 else low),
                   marginal_p_value=m.p_value())
    return row


def _warn(label: str, why: str) -> None:
    warnings.warn(f"{label}: {why}; its row is NaN", DegenerateDataWarning, stacklevel=4)


def _method(ci_method: str, n_boot: int, strata: tuple[str, ...]) -> str:
    given = " x ".join(strata) if strata else "nothing"
    var = ("unbiased U-statistic variance" if ci_method == "ustat"
           else f"cluster bootstrap ({n_boot})")
    return (f"Kendall tau-b between runs of different circuits within {given} strata, "
            f"r = sin(pi tau / 2), oriented (+ = more expressive -> less trainable); "
            f"t interval on atanh(r), {var}, circuits as clusters")


# --- comparisons between configurations -----------------------------------------------------

_CMP = ["definition", "group_a", "group_b", "estimate_a", "estimate_b", "estimate", "ci_low",
        "ci_high", "ci_level", "p_value", "p_adj", "n_clusters", "method"]


def compare_configurations(
    data: pd.DataFrame,
    *,
    x: str = PRIMARY_X,
    definitions: Sequence[str] | None = None,
    configs: Sequence[str] | None = None,
    strata: str | Sequence[str] = STRATA,
    cluster: str = "pqc_id",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Differences of the conditional association between configurations, as one family.

    For every definition and every pair of configurations (contract order), the difference
    ``r_a - r_b`` of the oriented associations given width and depth, paired by circuit (the
    same circuits appear under every configuration), with its two-sided p-value of "equal",
    Holm-adjusted over the whole table.

    Parameters
    ----------
    data : pandas.DataFrame
        A dataset following `etr.contract`.
    x : str
        Expressibility measure of the registry.
    definitions : sequence of str, optional
        Trainability definitions (default: every registered one present with finite values).
    configs : sequence of str, optional
        Configurations to compare (default: every one with a PQC present).
    strata : str or sequence of str
        What the association is conditioned on.
    cluster : str
        The distinct circuit.
    alpha : float
        Family-wise error rate: ``p_adj`` is Holm's; each interval is at the level of its Holm
        step, ``1 - alpha / (m - i)`` for the i-th smallest of m p-values, so that an interval
        excluding 0 and ``p_adj <= alpha`` agree for the leading comparisons.

    Returns
    -------
    pandas.DataFrame
        ``definition, group_a, group_b, estimate_a, estimate_b, estimate, ci_low, ci_high,
        ci_level, p_value, p_adj, n_clusters, method``; NaN rows (with a warning) where a
        configuration is degenerate.

    Raises
    ------
    etr.errors.InputError
        Missing columns, unregistered `x` or definitions, bad options.

    Examples
    --------
    >>> from etr.analysis import compare_configurations, planted_dataset
    >>> df = planted_dataset(n_pqcs=240, seed=0)
    >>> res = compare_configurations(df, definitions=["grad_var_train"])
    >>> res[["group_a", "group_b"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['pure_pqc', 'hybrid_quantum_only'], ['pure_pqc', 'hybrid_full'],
     ['hybrid_quantum_only', 'hybrid_full']]
    >>> bool(res.loc[1, "p_adj"] < 0.05)
    True
    """
    strata = as_tuple(strata)
    check_frame(data, ("training_config", cluster, x, *strata), ())
    orientation(x, "grad_var")
    alpha = check_float("alpha", alpha, low=1e-6, high=0.5)
    if definitions is None:
        definitions = [d for d in TRAINABILITY_ONLY if d in data.columns
                       and np.isfinite(pd.to_numeric(data[d], errors="coerce")).any()]
    definitions = as_tuple(definitions)
    check_frame(data, definitions, ())
    present = set(data["training_config"].dropna().astype(str))
    order = [c for c in (as_tuple(configs) if configs is not None else CONFIGS)
             if c in present and (c not in CONFIGS or CONFIGS[c].has_pqc)]
    cleaned = clean(data)
    records, diffs = [], []
    for d in definitions:
        sign = orientation(x, d)
        rows = prepare_rows(cleaned.data, x=x, y=d, by=("training_config",), strata=strata,
                            cluster=cluster, cleaned=cleaned)
        fits = {c: _config_fit(rows, c, d) for c in order}
        for i, a in enumerate(order):
            for b in order[i + 1:]:
                rec, diff = _pair(d, a, b, fits[a], fits[b], sign)
                records.append(rec)
                diffs.append((diff, sign))
    out = pd.DataFrame(records, columns=_CMP)
    _holm_intervals(out, diffs, alpha)
    out["method"] = ("difference of oriented conditional r (Kendall tau-b within width-depth "
                     "strata), paired by circuit, U-statistic variance; Holm over the table")
    return out


def _config_fit(rows: Rows, config: str, definition: str) -> Fit | None:
    sub = rows.frame[rows.frame["_g"] == config]
    ker = kernels(sub) if len(sub) else {}
    why = problem(sub, ker) if len(sub) else "no usable runs"
    if why is not None:
        _warn(f"{config}, {definition}", why)
        return None
    return fit(list(ker.values()))


def _pair(definition: str, a: str, b: str, fa: Fit | None, fb: Fit | None,
          sign: int) -> tuple[dict, Difference | None]:
    rec: dict = {"definition": definition, "group_a": a, "group_b": b}
    if fa is None or fb is None:
        return rec, None
    diff = difference(fa, fb)  # identical measurements: estimate 0, variance 0, no test
    clusters = np.unique(np.concatenate([s.cluster for s in (*fa.strata, *fb.strata)]))
    rec.update(estimate_a=sign * fa.r, estimate_b=sign * fb.r, estimate=sign * diff.estimate,
               p_value=diff.p_two_sided() if diff.var > 0 else np.nan,
               n_clusters=len(clusters))
    return rec, diff


def _holm_intervals(out: pd.DataFrame, diffs: list, alpha: float) -> None:
    """Holm-adjusted p-values and intervals at each comparison's Holm step, in place."""
    p = out["p_value"].to_numpy(dtype=float)
    out["p_adj"] = adjust(p, "holm")
    finite = np.isfinite(p)
    m = int(finite.sum())
    rank = np.zeros(len(p), dtype=int)
    rank[finite] = stats.rankdata(p[finite], method="min").astype(int) - 1
    for i, (diff, sign) in enumerate(diffs):
        if not finite[i]:
            continue
        level = 1.0 - alpha / (m - rank[i])
        low, high = diff.interval(level)
        low, high = (low, high) if sign > 0 else (-high, -low)
        out.loc[i, ["ci_low", "ci_high", "ci_level"]] = [low, high, level]
