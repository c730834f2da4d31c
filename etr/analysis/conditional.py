"""Association of a circuit's expressibility with its expected trainability, given width and depth.

Expressibility and trainability both change with the number of qubits and layers (deeper
circuits are more expressive and have flatter landscapes), so their marginal rank correlation
mostly measures the design grid. A trade-off is a statement about circuits of the *same* width
and depth, and about *circuits*: expressibility is a property of the circuit, so the association
is between the circuit's expressibility and the circuit's expected trainability over the runs the
design gives it (replicates, task instances, classical variants). This module estimates that
circuit-level association, and the marginal one beside it, with intervals over distinct circuits
*and* task instances.

Estimand and estimator
----------------------
Per stratum (one (n_qubits, layers) cell, or task x width x depth), every circuit gets a value:
its mean trainability on the normal-score scale with the instances' main effects removed
(`etr.analysis._circuits`). Kendall's tau-b between the circuits' x and these values, pooled over
strata (`etr.analysis._pairs`), is reported on the scale of a Pearson correlation by Greiner's
relation ``r = sin(pi tau / 2)`` (exact for every elliptical copula), so that the thresholds
0.1 / 0.3 / 0.5 and the equivalence margins keep their usual meaning. Why tau within strata:

* it depends only on orderings *inside* a stratum, so any width- and depth-dependent monotone
  distortion of x or y (a KL bias that falls with width, gradients that shrink exponentially
  with qubits) leaves it unchanged;
* tau is a U-statistic, unbiased in every stratum however small (the study grids have 2 to 40
  circuits per cell), while Spearman's rho has an O(1/n) bias per stratum;
* its variance has an unbiased estimator (Hoeffding) from the pair kernels.

Regression dilution
-------------------
A circuit value averages a few noisy runs, so its correlation with x is attenuated by
``sqrt(rel_x rel_y)``, ``rel = var(true) / var(observed)`` (Spearman 1904; Fuller 1987; Frost &
Thompson 2000). Averaging reduces the attenuation but does not remove it: with run noise 1.7
times the circuit spread and two instances, ``rel_y`` is about 0.4 and a true 0.6 reads 0.38 on
circuit means (0.30 on single runs). ``estimate`` is corrected, ``r / sqrt(rel_x rel_y)``, with
the uncorrected circuit-mean estimate beside it (``estimate_uncorrected``):

* ``rel_y`` is estimated on the normal-score scale from the within-circuit spread over
  instances: ``1 - N / S`` with ``S = sum 1/2 (y_k - y_l)^2`` and ``N = sum 1/2 Var(y_k - y_l)``
  over the pairs of circuits of each stratum (a pair-weighted pooled reliability, matching the
  pair weights of the pooled tau); ``rel_x`` the same from the sampling intervals of x (its
  ``_ci_low`` / ``_ci_high`` columns, 95% normal intervals, on the registry's log scale), 1
  without them.
* With a rank statistic the correction belongs on the Pearson scale Greiner's relation maps tau
  to: for circuit values that are Gaussian on the normal-score scale plus independent Gaussian
  noise, ``sin(pi tau_obs / 2) = r_true sqrt(rel_x rel_y)`` exactly, so dividing the Greiner r is
  the correction (not dividing tau, which is not attenuated proportionally).
* Below a reliability of `RELIABILITY_MIN` the circuits barely differ in expected trainability
  beyond run noise: the reliability is used as `RELIABILITY_MIN` and the row says the corrected
  estimate is unstable (``note``); its interval is wide, never falsely certain.
* The correction's uncertainty enters the variance: the estimate is linearised in the tau kernels
  and in the reliability kernels together (all are U-statistics over circuits).

Circuits x task instances
-------------------------
Circuits are not the only sampled units: the task instances are too, and the association may
differ between instances (a random slope). The circuit part of the variance is the unbiased
U-statistic variance over circuits (guarded by the jackknife where implausibly small,
`etr.analysis._pairs.guarded_variance`); the instance part is ``tau_I^2 * sum_b w_b^2 / J_b``,
with ``tau_I^2`` the spread of the association between instances (``instance_sd``), estimated
by moments from the per-instance associations (each instance's view of the circuits, corrected
by the single-instance reliability) of every pair of instances of one block (one task when the
task is a stratum), net of the pair's own circuit-sampling variance (the paired U-statistic
variance of their difference, so instance noise is not counted twice, unlike a naive two-way
jackknife or the pigeonhole bootstrap, Owen 2007), ``J_b`` the instances of block b and ``w_b``
its share of the pooled pairs. The interval is ``z +- t_df se`` on Fisher's z, ``df`` from
Welch-Satterthwaite between the circuit part (``clusters - strata groups`` df) and the instance
part (``instances - blocks`` df): few instances give few degrees of freedom only when the
instances disagree.

Validation on planted data
--------------------------
Measured with `etr.analysis.planted.planted_study` and `plant_on_design`
(``tests/analysis/test_validation.py``, slow; 95% intervals, Monte-Carlo SE about 0.012 at 300
replicates). Truths: pure_pqc 0.6, hybrid_quantum_only 0.3, hybrid_full 0; run noise 1.7 times
the circuit spread. Coverage of the corrected 95% interval, in brackets that of the uncorrected
circuit-mean interval::

    design                                     reps  pure_pqc       quantum-only   hybrid_full
    quick (data/quick.parquet runs; strata      400  0.973 (0.593)  0.983 (0.945)  0.975 (0.975)
      task x n_qubits x layers)
    paper preset (1620 circuits, 80 cells)      300  0.967 (0.017)  0.937 (0.357)  0.970 (0.970)
    10 task instances, association SD 0.3       200  0.990 (0.890)  --             0.960 (0.960)
      between them (mean: the truth), 240 circ.
    10 instances, each circuit on a balanced    200  0.975 (0.205)  --             0.985 (0.985)
      subset of 4, instance main effect SD 1

Uncorrected, the circuit means keep the dilution: they cover a true 0.6 in 59% of the quick
designs and 2% of the paper ones (more circuits, a narrower interval around the diluted value).
A truth of 0 is not diluted, so both intervals cover it alike. Measured 2026-12-06 with the
seeds fixed in the tests.

References
----------
Kendall, M. G. (1945). The treatment of ties in ranking problems. Biometrika 33, 239.
Hoeffding, W. (1948). A class of statistics with asymptotically normal distribution. Ann. Math.
Stat. 19, 293. Daniels, H. E. (1944). The relation between measures of correlation in the
universe of sample permutations. Biometrika 33, 129. Greiner, R. (1909); Lindskog, McNeil &
Schmock (2003), Kendall's tau for elliptical distributions. Spearman, C. (1904). The proof and
measurement of association between two things. Am. J. Psychol. 15, 72. Fuller, W. A. (1987).
Measurement error models. Wiley. Frost, C. & Thompson, S. G. (2000). Correcting for regression
dilution bias. J. R. Stat. Soc. A 163, 173. Owen, A. B. (2007). The pigeonhole bootstrap. Ann.
Appl. Stat. 1, 386. Satterthwaite, F. E. (1946). Biometrics Bull. 2, 110. Efron, B. & Stein, C.
(1981). The jackknife estimate of variance. Ann. Stat. 9, 586.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from etr._rng import SeedLike, as_generator
from etr._validation import check_choice, check_int
from etr.analysis import _pairs as kp
from etr.analysis._circuits import Z95, StratumCells, circuit_cells, normal_scores
from etr.analysis._common import (
    MIN_CLUSTERS,
    adjust,
    as_tuple,
    check_alpha,
    check_confidence,
    check_frame,
    degenerate,
    finite_columns,
    pqc_configs,
)
from etr.analysis.quality import CleanedData, clean
from etr.contract import CONFIGS, METRICS, PRIMARY_X, TRAINABILITY_ONLY
from etr.errors import InputError

__all__ = ["RELIABILITY_MIN", "STRATA", "compare_configurations", "conditional_correlation",
           "orientation"]

#: the covariates a trade-off is conditioned on.
STRATA: tuple[str, ...] = ("n_qubits", "layers")
CI_METHODS: tuple[str, ...] = ("ustat", "bootstrap")
#: replicate units, in order of preference: the task instance, else the replicate seed.
INSTANCE_COLUMNS: tuple[str, ...] = ("task_id", "seed")
#: reliabilities below this are used as this value (and said so): the correction of noisier
#: circuit values would be unstable.
RELIABILITY_MIN = 0.1
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
    """Rows of one definition, cleaned, with what was removed on the way.

    ``frame`` has one row per usable run and columns ``_y`` (censored values tied above every
    observed one), ``_x`` (the circuit's mean x), ``_xr`` / ``_xq`` (x on its reliability scale
    and its sampling variance), ``_s`` (stratum label), ``_c`` (global cluster code), ``_i``
    (replicate unit: the task instance), ``_g`` (group label) and the `by` and `strata`
    columns.
    """

    frame: pd.DataFrame
    n_dropped: dict[object, int]
    note: str
    n_clusters_total: int
    strata: tuple[str, ...] = ()
    instance: str = ""


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


def instance_column(data: pd.DataFrame) -> str | None:
    """The replicate unit of `data`: ``task_id`` when present, else ``seed`` (None: neither).

    Examples
    --------
    >>> instance_column(pd.DataFrame({"seed": [0, 1], "task_id": [None, None]}))
    'seed'
    """
    for col in INSTANCE_COLUMNS:
        if col in data.columns and data[col].notna().any():
            return col
    return None


def _x_scale(d: pd.DataFrame, x: str, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x on its reliability scale (log10 where registered) and its sampling variance there,
    from the 95% interval columns (0 without them)."""
    meta = METRICS.get(x)
    log = bool(meta and meta.log_scale) and bool(np.all(xs[np.isfinite(xs)] > 0))
    scale = (lambda v: np.log10(np.where(v > 0, v, np.nan))) if log else (lambda v: v)
    xr = scale(xs)
    q = np.zeros(len(xs))
    if meta is not None and meta.ci is not None and all(c in d.columns for c in meta.ci):
        lo = pd.to_numeric(d[meta.ci[0]], errors="coerce").to_numpy(dtype=float)
        hi = pd.to_numeric(d[meta.ci[1]], errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = (scale(hi) - scale(lo)) / (2.0 * Z95)
        q = np.where(np.isfinite(se), se**2, 0.0)
    return xr, q


def prepare_rows(data: pd.DataFrame, *, x: str, y: str, by: Sequence[str],
                 strata: Sequence[str], cluster: str,
                 cleaned: CleanedData | None = None) -> Rows:
    """Clean, drop unusable rows (counted per group), attach circuit x, code strata and
    instances.

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
    # runs whose y is unusable for this definition); its sampling variance the same way
    xr, xq = _x_scale(d, x, xs)
    has_x = np.isfinite(xs) & d[cluster].notna().to_numpy()
    key = d[cluster].astype(str).to_numpy()[has_x]
    for col, values in (("_x", xs), ("_xr", xr), ("_xq", xq)):
        per = pd.Series(values[has_x]).groupby(key).mean()
        frame[col] = frame["_cluster"].map(per).to_numpy(dtype=float)
    frame["_s"] = _joined(keep, strata, "all")
    codes, uniq = pd.factorize(frame["_cluster"], sort=True)
    frame["_c"] = codes
    inst = instance_column(keep)
    frame["_i"] = (keep[inst].astype(object).astype(str).to_numpy() if inst is not None
                   else np.full(len(keep), "all", dtype=object))
    return Rows(frame=frame, n_dropped=n_dropped, note=cleaned.note((x, y)),
                n_clusters_total=len(uniq), strata=tuple(strata), instance=inst or "")


# --- circuit-level data of one group ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Part:
    """One stratum of a fit: tau kernels and regression-dilution kernels on its circuits."""

    tau: kp.Stratum
    ks_y: np.ndarray     # 1/2 (y_k - y_l)^2
    kn_y: np.ndarray     # 1/2 Var(y_k - y_l), NaN when unknown
    ks_x: np.ndarray     # 1/2 (x_k - x_l)^2 on the reliability scale
    kn_x: np.ndarray     # 1/2 (q_k + q_l)

    @property
    def cluster(self) -> np.ndarray:
        return self.tau.cluster

    @property
    def size(self) -> int:
        return self.tau.size


@dataclass(frozen=True, slots=True)
class View:
    """One task instance's view of the circuits: tau kernels of its per-instance values."""

    instance: str
    block: str
    parts: tuple[kp.Stratum, ...]
    ks: float    # sum of 1/2 (y_kj - y_lj)^2 over the pairs
    kn: float    # sum of their noise (residual variances)


@dataclass(frozen=True, slots=True)
class Level:
    """The circuit-level data of one group (stratified or not) that a `Fit` is made from."""

    parts: tuple[Part, ...]
    views: tuple[View, ...]
    n_runs: int
    noise_known: bool

    def values(self) -> dict[object, kp.Stratum]:
        """The tau kernels by stratum label (the shape `problem` reads)."""
        return {p.tau.label: p.tau for p in self.parts}


def _half_sq(v: np.ndarray) -> np.ndarray:
    d = v[:, None] - v[None, :]
    return 0.5 * d * d


def _part(c: StratumCells) -> Part:
    tau = kp.stratum_kernels(c.x, c.y, np.arange(c.size), c.cluster, label=c.label)
    kn_x = 0.5 * (c.xq[:, None] + c.xq[None, :])
    np.fill_diagonal(kn_x, 0.0)
    return Part(tau=tau, ks_y=_half_sq(c.y), kn_y=c.noise, ks_x=_half_sq(c.xr), kn_x=kn_x)


def _blocks(frame: pd.DataFrame, strata: Sequence[str]) -> dict[str, str]:
    """Instance -> block: the values of the strata columns constant within every instance (the
    task, when it is a stratum); instances of different blocks are never compared."""
    cols = [c for c in strata if c in frame.columns
            and frame.groupby("_i", sort=False)[c].nunique().max() <= 1]
    if not cols:
        return dict.fromkeys(pd.unique(frame["_i"]).tolist(), "all")
    first = frame.groupby("_i", sort=False)[cols].first()
    return {str(i): "|".join(str(v) for v in row) for i, row in zip(
        first.index, first.itertuples(index=False), strict=True)}


def _views(cells: dict[str, StratumCells], blocks: dict[str, str]) -> tuple[View, ...]:
    by_inst: dict[str, list] = {}
    for c in cells.values():
        for j, inst in enumerate(c.instances.tolist()):
            idx = np.flatnonzero(np.isfinite(c.table[:, j]))
            if len(idx) < 2:
                continue
            vals = c.table[idx, j]
            st = kp.stratum_kernels(c.x[idx], vals, np.arange(len(idx)), c.cluster[idx],
                                    label=c.label)
            ks = float(_half_sq(vals).sum())
            s2 = c.sigma2[idx]
            kn = float((0.5 * (s2[:, None] + s2[None, :])).sum() - s2.sum())
            by_inst.setdefault(str(inst), []).append((st, ks, kn))
    out = []
    for inst, items in by_inst.items():
        out.append(View(instance=inst, block=blocks.get(inst, "all"),
                        parts=tuple(i[0] for i in items), ks=sum(i[1] for i in items),
                        kn=sum(i[2] for i in items)))
    return tuple(out)


def kernels(frame: pd.DataFrame, stratified: bool = True,
            strata: Sequence[str] = ()) -> Level:
    """The circuit-level data of one group's rows (per stratum, or one stratum when not
    stratified); see `etr.analysis._circuits`."""
    labels = (frame["_s"].to_numpy() if stratified
              else np.full(len(frame), "all", dtype=object)).astype(str)
    # y on the normal-score scale of the group's runs (one monotone transform for all strata)
    frame = frame.assign(_t=normal_scores(frame["_y"].to_numpy(dtype=float)))
    cells, pooled = circuit_cells(frame, labels)
    parts = tuple(_part(c) for c in cells.values())
    blocks = _blocks(frame, strata if stratified else ())
    return Level(parts=parts, views=_views(cells, blocks), n_runs=len(frame),
                 noise_known=bool(np.isfinite(pooled)))


def problem(frame: pd.DataFrame, level: Level | dict | None) -> str | None:
    """Why these rows cannot give an estimate (None when they can)."""
    g = frame["_c"].nunique()
    if g < MIN_CLUSTERS:
        return f"{g} distinct circuit(s), fewer than {MIN_CLUSTERS}"
    if level is not None:
        strata = level.values() if isinstance(level, Level) else level
        usable = [s for s in strata.values() if s.size >= 2]
        if not usable:
            return "no width-depth stratum holds two distinct circuits"
        if sum(s.bx.sum() for s in usable) == 0:
            return "x does not vary between circuits of the same stratum"
        if sum(s.by.sum() for s in usable) == 0:
            return "y is constant (e.g. all zero) within every stratum"
    return None


# --- estimates ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Estimate:
    """A linear combination of circuit-level associations, with what its variance needs.

    ``terms`` are linearised pair kernels on clusters (their sum's U-statistic variance is the
    circuit part); ``views`` maps an instance to ``(block, value, terms)``, the same combination
    on that instance alone (their spread gives the instance part).
    """

    value: float
    terms: tuple[tuple[np.ndarray, np.ndarray], ...]
    views: dict[str, tuple[str, float, tuple[tuple[np.ndarray, np.ndarray], ...]]]
    weights: dict[str, float]
    var0: float = 0.0
    boot: np.ndarray | None = None

    def circuit_part(self) -> tuple[float, float]:
        """(variance over circuits, its Welch-Satterthwaite degrees of freedom over the
        independent blocks of circuits)."""
        groups = _components([t[0] for t in self.terms])
        var, df = kp.guarded_variance_df([_embedded([self.terms[i] for i in g])
                                          for g in groups])
        if self.boot is not None:
            var = float(np.nanvar(self.boot, ddof=1))
        return max(var, 0.0), df

    def instance_part(self) -> tuple[float, float, int]:
        """(variance from the instances, the spread tau_I^2 of the association between
        instances, its degrees of freedom); zeros without two instances in a block."""
        by_block: dict[str, list[str]] = {}
        for inst, (block, value, _) in self.views.items():
            if np.isfinite(value):
                by_block.setdefault(block, []).append(inst)
        terms, df = [], 0
        for members in by_block.values():
            df += max(len(members) - 1, 0)
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    _, va, ta = self.views[a]
                    _, vb, tb = self.views[b]
                    diff = (*ta, *((c, -h) for c, h in tb))
                    groups = _components([t[0] for t in diff])
                    v = kp.guarded_variance([_embedded([diff[k] for k in g]) for g in groups])
                    terms.append((va - vb) ** 2 - v)
        if not terms or df == 0:
            return 0.0, 0.0, 0
        spread = max(float(np.mean(terms)) / 2.0, 0.0)
        factor = sum(self.weights.get(b, 0.0) ** 2 / len(m) for b, m in by_block.items())
        return spread * factor, spread, df

    def variance(self) -> tuple[float, float]:
        """(total variance, Welch-Satterthwaite degrees of freedom)."""
        vc, dfc = self.circuit_part()
        vi, _, dfi = self.instance_part()
        total = vc + vi
        if vi <= 0 or dfi == 0:
            return total, float(dfc)
        return total, _combined_df(vc, dfc, vi, dfi)

    def combine(self, other: Estimate, sign: float = -1.0) -> Estimate:
        """``self + sign * other``, paired through shared circuits and instances."""
        terms = (*self.terms, *((c, sign * h) for c, h in other.terms))
        views = {}
        # in self's order, not a set's: a set of strings iterates in an order that depends on
        # the process's hash seed, and the sums below would move in the last bits with it
        for inst in [k for k in self.views if k in other.views]:
            ba, va, ta = self.views[inst]
            _, vb, tb = other.views[inst]
            views[inst] = (ba, va + sign * vb, (*ta, *((c, sign * h) for c, h in tb)))
        boot = (self.boot + sign * other.boot if self.boot is not None
                and other.boot is not None else None)
        return Estimate(value=self.value + sign * other.value, terms=terms, views=views,
                        weights=dict(self.weights), boot=boot)


@dataclass(frozen=True, slots=True)
class Fit:
    """A pooled circuit-level association over a set of strata, corrected for dilution.

    The corrected estimate is the ratio ``r = a / s`` of the uncorrected circuit-mean
    association ``a`` (Greiner's r of the pooled tau) and ``s = sqrt(rel_x rel_y)``; its
    interval is Fieller's (1954) for a ratio (see the module notes), its tests those of
    ``a - r0 s``. ``r`` is NaN, with ``why``, when it cannot be reported.
    """

    strata: tuple[kp.Stratum, ...]
    totals: kp.Totals
    estimate: Estimate
    reliability_x: float
    reliability_y: float
    n_clusters: int
    n_runs: int
    scale: float
    cov: np.ndarray
    df: float
    instance_var: float
    instance_sd: float
    why: str | None = None
    raw: Estimate | None = None
    n_instances: int = 0
    var0: float = 0.0
    note: str = ""

    @property
    def tau(self) -> float:
        return self.totals.tau

    @property
    def r(self) -> float:
        return self.estimate.value if self.why is None else float("nan")

    @property
    def r_raw(self) -> float:
        return float(kp.to_r(self.tau))

    @property
    def boot_r(self) -> np.ndarray | None:
        return self.estimate.boot

    @property
    def n_pairs(self) -> int:
        return int(sum(s.size * (s.size - 1) // 2 for s in self.strata))

    def _stat(self, r0: float) -> float:
        """The t statistic of H0 ``r = r0``: ``atanh(a) - atanh(r0 s)`` over its standard error
        (delta method; the numerator's variance floored at the null variance of the design)."""
        cap = 1.0 - 0.5 / max(self.n_pairs, 1)
        a = float(kp.to_r(np.clip(self.tau, -cap, cap)))
        b = float(np.clip(r0 * self.scale, -_R_MAX_Z, _R_MAX_Z))
        ga, gb = 1.0 / (1.0 - a * a), 1.0 / (1.0 - b * b)
        c = self.cov
        va = max(ga * ga * (c[0, 0] + self.instance_var), self.var0)
        v = va - 2.0 * ga * gb * r0 * c[0, 1] + (gb * r0) ** 2 * c[1, 1]
        if not v > 0:
            return float("nan")
        return float((np.arctanh(a) - np.arctanh(b)) / np.sqrt(v))

    def interval(self, level: float) -> tuple[float, float]:
        """The values r0 in [-1, 1] that the two-sided test at ``1 - level`` does not reject
        (inverting the test of ``a = r0 s`` on Fisher's z scale: Fieller's construction for a
        ratio)."""
        if self.why is not None or not np.isfinite(self.r):
            return float("nan"), float("nan")
        q = float(stats.t.ppf(0.5 + level / 2.0, self.df))
        centre = float(np.clip(self.r, -1.0, 1.0))
        low = _root(lambda r0: self._stat(r0) - q, -1.0, centre)
        high = _root(lambda r0: self._stat(r0) + q, centre, 1.0)
        return low, high

    def p_value(self) -> float:
        """Two-sided p-value of "r = 0"."""
        if self.why is not None:
            return float("nan")
        t = self._stat(0.0)
        return float(2.0 * stats.t.sf(abs(t), self.df)) if np.isfinite(t) else float("nan")

    def p_beyond(self, bound: float, side: str) -> float:
        """One-sided p-value of H0 ``r >= bound`` (side "below") or ``r <= bound`` ("above")."""
        if self.why is not None:
            return float("nan")
        t = self._stat(bound)
        if not np.isfinite(t):
            return float("nan")
        return float(stats.t.cdf(t, self.df) if side == "below" else stats.t.sf(t, self.df))

    def raw_interval(self, level: float) -> tuple[float, float]:
        """Interval of the uncorrected circuit-mean estimate (t on Fisher's z scale)."""
        if self.raw is None or not np.isfinite(self.tau):
            return float("nan"), float("nan")
        cap = 1.0 - 0.5 / max(self.n_pairs, 1)
        a = float(kp.to_r(np.clip(self.tau, -cap, cap)))
        se = np.sqrt(max((self.cov[0, 0] + self.instance_var) / (1.0 - a * a) ** 2,
                         self.var0))
        q = float(stats.t.ppf(0.5 + level / 2.0, self.df))
        return float(np.tanh(np.arctanh(a) - q * se)), float(np.tanh(np.arctanh(a) + q * se))


def _root(fn: Callable[[float], float], lo: float, hi: float) -> float:
    """Where the decreasing `fn` crosses 0 in [lo, hi] (an end when it does not)."""
    f_lo, f_hi = fn(lo), fn(hi)
    if not np.isfinite(f_lo) or f_lo <= 0:
        return lo
    if not np.isfinite(f_hi) or f_hi >= 0:
        return hi
    return float(optimize.brentq(fn, lo, hi, xtol=1e-10))


def _combined_df(vc: float, dfc: float, vi: float, dfi: float) -> float:
    """Welch-Satterthwaite df of the circuit part plus the instance part."""
    vc, vi = max(vc, 0.0), max(vi, 0.0)
    denom = vc**2 / max(dfc, 1.0) + vi**2 / max(dfi, 1.0)
    return float((vc + vi) ** 2 / denom) if denom > 0 else float(max(dfc, 1.0))


def _reliability(s: float, n: float) -> float:
    if not (np.isfinite(n) and s > 0):
        return 1.0
    return float(1.0 - n / s)


def _cov2(terms_a: Sequence[tuple[np.ndarray, np.ndarray]],
          terms_s: Sequence[tuple[np.ndarray, np.ndarray]],
          r0: float) -> tuple[np.ndarray, float]:
    """2 x 2 covariance of (sum H_a, sum H_s) over circuits: the unbiased U-statistic
    (co)variances, or the jackknife's when the variance of ``a - r0 s`` is implausibly small
    next to it (the guard of `etr.analysis._pairs.guarded_variance`)."""
    groups = _components([c for c, _ in terms_a])
    w = np.array([1.0, -r0])
    mats: dict[str, list[np.ndarray]] = {"u": [], "j": []}
    sizes = []
    for g in groups:
        ha = _embedded([terms_a[i] for i in g])
        hs = _embedded([terms_s[i] for i in g])
        sizes.append(ha.shape[0])
        for key, fn in (("u", kp.ustat_variance), ("j", kp.jackknife_variance)):
            vaa, vss, vsum = fn(ha), fn(hs), fn(ha + hs)
            cross = 0.5 * (vsum - vaa - vss)
            mats[key].append(np.array([[vaa, cross], [cross, vss]]))
    u, j = sum(mats["u"], np.zeros((2, 2))), sum(mats["j"], np.zeros((2, 2)))
    use = "j" if w @ u @ w < kp.JACKKNIFE_GUARD * (w @ j @ w) else "u"
    df = kp.satterthwaite_df([float(w @ m @ w) for m in mats[use]], sizes)
    return (j if use == "j" else u), df


def fit(level: Level, *, counts: np.ndarray | None = None) -> Fit:
    """The corrected pooled association over the strata of `level` (see the module notes);
    bootstrap replicates of the circuit part when `counts` (cluster counts per replicate) is
    given."""
    parts = tuple(p for p in level.parts if p.size >= 2)
    strata = tuple(p.tau for p in parts)
    tot = kp.totals(list(strata))
    sy = sum(float(p.ks_y.sum()) for p in parts)
    ny = sum(float(p.kn_y.sum()) for p in parts) if level.noise_known else np.nan
    sx = sum(float(p.ks_x.sum()) for p in parts)
    nx = sum(float(p.kn_x.sum()) for p in parts)
    rel_y, rel_x = _reliability(sy, ny), _reliability(sx, nx)
    note = ""
    if min(rel_x, rel_y) < RELIABILITY_MIN:
        which = "y" if rel_y < RELIABILITY_MIN else "x"
        note = (f"the circuits barely differ in expected {which} beyond run noise (reliability "
                f"{min(rel_x, rel_y):.2f}, used as {RELIABILITY_MIN:g}): the corrected estimate "
                "is unstable")
    rx, ry = max(rel_x, RELIABILITY_MIN), max(rel_y, RELIABILITY_MIN)
    scale = float(np.sqrt(rx * ry))
    tau = tot.tau
    raw_r = float(kp.to_r(tau)) if np.isfinite(tau) else np.nan
    theta = float(np.clip(raw_r / scale, -1.0, 1.0)) if np.isfinite(raw_r) else np.nan
    slope = kp.dr_dtau(tau) if np.isfinite(tau) else np.nan
    terms, raw_terms, den_terms = [], [], []
    for p in parts:
        lin = kp.linearised(p.tau, tot) * slope
        ds = np.zeros_like(lin)
        if rel_y < 1.0 and np.isfinite(ny) and sy > 0:
            ds += scale / (2.0 * ry) * (-p.kn_y + (1.0 - ry) * p.ks_y) / sy
        if rel_x < 1.0 and sx > 0:
            ds += scale / (2.0 * rx) * (-p.kn_x + (1.0 - rx) * p.ks_x) / sx
        raw_terms.append((p.cluster, lin))
        den_terms.append((p.cluster, ds))
        terms.append((p.cluster, (lin - theta * ds) / scale))
    d2 = tot.x2 * tot.y2
    groups = _components([p.cluster for p in parts])
    null = (sum(kp.null_variance(_merged([strata[i] for i in g])) for g in groups) / d2
            * (np.pi / 2.0) ** 2 if d2 > 0 else np.nan)
    null = float(null) if np.isfinite(null) else 0.0
    views, weights, n_inst = _instance_views(level, rx, parts)
    boot_a = boot_s = boot = None
    if counts is not None:
        boot_a, boot_s = _boot(parts, counts, rel_noise=level.noise_known)
        boot = np.clip(boot_a / boot_s, -1.0, 1.0)
    est = Estimate(value=theta, terms=tuple(terms), views=views, weights=weights,
                   var0=null / scale**2, boot=boot)
    raw = Estimate(value=raw_r, terms=tuple(raw_terms), views={}, weights={}, var0=null)
    cov, dfc = _cov2(raw_terms, den_terms, theta) if parts else (np.zeros((2, 2)), 1.0)
    if boot_a is not None:  # the circuit part from the bootstrap replicates instead
        ok = np.isfinite(boot_a) & np.isfinite(boot_s)
        cov = np.cov(np.vstack([boot_a[ok], boot_s[ok]]), ddof=1)
    vi, spread, dfi = est.instance_part()
    inst_a = vi * scale**2
    vc = float(np.array([1.0, -theta]) @ cov @ np.array([1.0, -theta]))
    clusters = np.unique(np.concatenate([p.cluster for p in parts])) if parts else []
    df = float(dfc)
    if inst_a > 0 and dfi > 0:
        df = _combined_df(vc, dfc, inst_a, dfi)
    return Fit(strata=strata, totals=tot, estimate=est, reliability_x=rel_x,
               reliability_y=rel_y if level.noise_known else np.nan, n_clusters=len(clusters),
               n_runs=level.n_runs, scale=scale, cov=cov, df=df, instance_var=inst_a,
               instance_sd=float(np.sqrt(spread)), raw=raw, n_instances=n_inst, var0=null,
               note=note)


def _instance_views(level: Level, rx: float, parts: tuple[Part, ...]
                    ) -> tuple[dict, dict[str, float], int]:
    """Per-instance corrected associations and their kernels; block weights (shares of the
    pooled pairs)."""
    views = [v for v in level.views if v.parts]
    ks = sum(v.ks for v in views)
    kn = sum(v.kn for v in views)
    r1 = max(_reliability(ks, kn) if level.noise_known else 1.0, RELIABILITY_MIN)
    scale = 1.0 / np.sqrt(rx * r1)
    out = {}
    pairs: dict[str, float] = {}
    for v in views:
        st = [s for s in v.parts if s.size >= 2]
        tot = kp.totals(st)
        if not np.isfinite(tot.tau):
            continue
        slope = kp.dr_dtau(tot.tau) * scale
        terms = tuple((s.cluster, kp.linearised(s, tot) * slope) for s in st)
        out[v.instance] = (v.block, float(kp.to_r(tot.tau)) * scale, terms)
    n_inst = len({v.instance for v in views})
    blocks = {v.block for v in views}
    for b in blocks:
        labels = {s.label for v in views if v.block == b for s in v.parts}
        pairs[b] = float(sum(p.size * (p.size - 1) for p in parts if p.tau.label in labels))
    total = sum(pairs.values())
    weights = {b: (w / total if total > 0 else 1.0 / len(pairs)) for b, w in pairs.items()}
    return out, weights, n_inst


def _boot(parts: tuple[Part, ...], counts: np.ndarray,
          rel_noise: bool) -> tuple[np.ndarray, np.ndarray]:
    """(uncorrected r, sqrt(rel_x rel_y)) of each bootstrap replicate of circuits, from the
    quadratic forms ``c' M c`` of the kernels."""
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    sums = {k: np.zeros(counts.shape[0]) for k in ("a", "bx", "by", "sy", "ny", "sx", "nx")}
    for p in parts:
        c = counts[:, p.cluster]
        for key, m in (("a", p.tau.a), ("bx", p.tau.bx), ("by", p.tau.by), ("sy", p.ks_y),
                       ("ny", np.nan_to_num(p.kn_y)), ("sx", p.ks_x), ("nx", p.kn_x)):
            sums[key] += np.einsum("rk,rk->r", c @ m, c)
    tau = kp.tau_of(sums["a"], sums["bx"], sums["by"])
    with np.errstate(divide="ignore", invalid="ignore"):
        ry = np.where(sums["sy"] > 0, 1.0 - sums["ny"] / sums["sy"], 1.0) if rel_noise \
            else np.ones_like(tau)
        rx = np.where(sums["sx"] > 0, 1.0 - sums["nx"] / sums["sx"], 1.0)
    ry, rx = np.maximum(ry, RELIABILITY_MIN), np.maximum(rx, RELIABILITY_MIN)
    return kp.to_r(tau), np.sqrt(rx * ry)


def _components(clusters: Sequence[np.ndarray]) -> list[list[int]]:
    """Indices of `clusters` grouped into sets that share a cluster (connected components)."""
    parent = list(range(len(clusters)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[int, int] = {}
    for i, c in enumerate(clusters):
        for k in np.asarray(c).tolist():
            j = owner.setdefault(int(k), i)
            if j != i:
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(clusters)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def components(strata: Sequence[kp.Stratum]) -> list[list[kp.Stratum]]:
    """Strata grouped into sets that share circuits (connected through common clusters).

    Strata of different groups hold disjoint circuits and are independent; a stratum that
    shares no circuit is a group of its own (the usual case: a circuit has one width and one
    depth).
    """
    return [[strata[i] for i in g] for g in _components([s.cluster for s in strata])]


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


def _embedded(parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Sum of kernels that may hold different circuits, on the union of their circuits."""
    union = np.unique(np.concatenate([c for c, _ in parts]))
    out = np.zeros((len(union), len(union)))
    for c, h in parts:
        idx = np.searchsorted(union, c)
        out[np.ix_(idx, idx)] += h
    return out


@dataclass(frozen=True, slots=True)
class Difference:
    """``r_a - r_b`` with its variance (paired through shared circuits and instances)."""

    estimate: float
    var: float
    df: float
    instance_sd: float = 0.0

    def interval(self, level: float) -> tuple[float, float]:
        """t interval, clipped to [-2, 2] (a difference of two correlations)."""
        q = stats.t.ppf(0.5 + level / 2.0, self.df)
        se = np.sqrt(self.var)
        return (float(np.clip(self.estimate - q * se, -2.0, 2.0)),
                float(np.clip(self.estimate + q * se, -2.0, 2.0)))

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


def difference(a: Fit, b: Fit) -> Difference:
    """``r_a - r_b`` of two corrected fits: paired when they share circuits (and instances),
    else independent.

    The circuit part is the unbiased U-statistic variance of the difference of the two
    linearised kernels on the union of circuits of each group of strata that share circuits
    (a circuit present in one fit only has zero kernel entries in the other), guarded by the
    jackknife where implausibly small (`etr.analysis._pairs.guarded_variance`), or the bootstrap
    variance when both fits carry replicates drawn with the same cluster counts; the instance
    part is the spread of the per-instance differences (module notes).
    """
    if a.why is not None or b.why is not None:
        return Difference(estimate=float("nan"), var=float("nan"), df=1.0)
    est = a.estimate.combine(b.estimate, -1.0)
    var, df = est.variance()
    spread = est.instance_part()[1]
    return Difference(estimate=float(est.value), var=max(var, 0.0), df=df,
                      instance_sd=float(np.sqrt(spread)))


# --- public ---------------------------------------------------------------------------------

_OUT = ["n", "n_clusters", "n_strata", "n_dropped", "estimate", "ci_low", "ci_high", "p_value",
        "tau", "estimate_uncorrected", "uncorrected_ci_low", "uncorrected_ci_high",
        "reliability_x", "reliability_y", "n_instances", "instance_sd", "df",
        "estimate_marginal", "marginal_ci_low", "marginal_ci_high", "marginal_p_value",
        "orientation", "note", "method", "data_note"]


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
    """Circuit-level association of `x` with `y` given width and depth, and the marginal one.

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
        The distinct circuit: the unit whose expected trainability is correlated with its x.
    confidence : float
        Level of the two-sided intervals.
    ci_method : {"ustat", "bootstrap"}
        Circuit part of the variance: the unbiased U-statistic variance (default) or a cluster
        bootstrap of `cluster`; the instance part is the same for both.
    n_boot : int
        Bootstrap replicates (``ci_method="bootstrap"`` only).
    seed : int, numpy.random.Generator or None
        Randomness of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        ``[*by, n, n_clusters, n_strata, n_dropped, estimate, ci_low, ci_high, p_value, tau,
        estimate_uncorrected, uncorrected_ci_low, uncorrected_ci_high, reliability_x,
        reliability_y, n_instances, instance_sd, df, estimate_marginal, marginal_ci_low,
        marginal_ci_high, marginal_p_value, orientation, method, data_note]``: runs used,
        distinct circuits, strata holding two or more circuits, runs removed; the *oriented*
        circuit-level association corrected for regression dilution (positive = "more
        expressive -> less trainable") with its interval and the two-sided p-value of zero;
        Kendall's tau-b of the circuit values (not oriented); the uncorrected circuit-mean
        estimate and its interval; the reliabilities of x and of the circuit values (NaN: no
        replicate to estimate it, no correction); task instances and the spread (SD) of the
        association between them; the interval's degrees of freedom; the marginal association
        (one stratum, corrected the same way); the orientation sign applied; a method
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
    See the module docstring for the estimand, the correction, the variance and its
    validation.

    Examples
    --------
    >>> from etr.analysis import conditional_correlation, planted_dataset
    >>> df = planted_dataset(n_pqcs=120, conditional={"pure_pqc": 0.5}, seed=0)
    >>> res = conditional_correlation(df, y="grad_var_train", by="training_config")
    >>> row = res.set_index("training_config").loc["pure_pqc"]
    >>> bool(row["ci_low"] < 0.5 < row["ci_high"])
    True
    >>> bool(row["estimate"] > row["estimate_uncorrected"])  # the dilution corrected
    True
    """
    by = as_tuple(by)
    strata = as_tuple(strata)
    check_frame(data, (*by, *strata, x, y, cluster), ())
    sign = orientation(x, y)
    check_choice("ci_method", ci_method, CI_METHODS)
    confidence = check_confidence(confidence)
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
    res["method"] = _method(ci_method, n_boot, strata, rows.instance)
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


def group_fit(sub: pd.DataFrame, strata: Sequence[str], *, stratified: bool = True,
              counts: np.ndarray | None = None) -> Fit | str:
    """The corrected fit of one group's rows, or why there is none (a sentence)."""
    if not len(sub):
        return "no usable runs"
    level = kernels(sub, stratified=stratified, strata=strata)
    why = problem(sub, level)
    if why is not None:
        return why
    f = fit(level, counts=counts)
    return f.why if f.why is not None else f


def fit_or_warn(sub: pd.DataFrame, strata: Sequence[str], label: str, *,
                counts: np.ndarray | None = None, stacklevel: int = 4) -> Fit | None:
    """`group_fit` of a table's cell, or None with a `DegenerateDataWarning` saying why.

    Every table of conditional associations (per configuration, per pair of configurations,
    per noise level, the summary) turns a degenerate cell into a NaN row the same way; the
    warning names the cell (`label`) and the reason. `stacklevel` as for `warnings.warn`,
    counted from here: the default names the caller of the public function two calls up.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     got = fit_or_warn(pd.DataFrame(), ("n_qubits",), "pure_pqc, grad_var")
    >>> got, str(caught[0].message)
    (None, 'pure_pqc, grad_var: no usable runs; its row is NaN')
    """
    f = group_fit(sub, strata, counts=counts)
    if isinstance(f, str):
        degenerate(label, f, stacklevel=stacklevel + 1)
        return None
    return f


def comparison_inputs(data: pd.DataFrame, x: str, definitions: Sequence[str] | None,
                      strata: str | Sequence[str],
                      cluster: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Checked `strata` and `definitions` of a table of conditional associations compared
    across configurations or noise levels.

    Both comparisons need the same columns, a registered `x` and, by default, every registered
    trainability definition with finite values; one check keeps their errors the same.

    Raises
    ------
    etr.errors.InputError
        Missing columns, unregistered `x` or definitions.
    """
    strata = as_tuple(strata)
    check_frame(data, ("training_config", cluster, x, *strata), ())
    orientation(x, "grad_var")
    definitions = as_tuple(finite_columns(data, TRAINABILITY_ONLY) if definitions is None
                           else definitions)
    check_frame(data, definitions, ())
    return strata, definitions


def _oriented_interval(f: Fit, sign: int, level: float,
                       raw: bool = False) -> tuple[float, float]:
    low, high = f.raw_interval(level) if raw else f.interval(level)
    return (low, high) if sign > 0 else (-high, -low)


def _row(sub: pd.DataFrame, label: str, by: tuple[str, ...], rows: Rows, sign: int,
         confidence: float, counts: np.ndarray | None) -> dict:
    row: dict = dict(zip(by, label.split("|"), strict=True)) if by else {}
    for col in by:
        if len(sub):
            row[col] = sub[col].iloc[0]
    row.update(n=len(sub), n_clusters=sub["_c"].nunique() if len(sub) else 0,
               n_dropped=rows.n_dropped.get(label, 0), orientation=sign)
    nan_cols = [c for c in _OUT if c not in ("n", "n_clusters", "n_dropped", "orientation",
                                             "note", "method", "data_note")]
    row.update(dict.fromkeys(nan_cols, np.nan))
    row["note"] = ""
    row["n_strata"] = 0
    f = fit_or_warn(sub, rows.strata, label, counts=counts)
    if f is not None:
        low, high = _oriented_interval(f, sign, confidence)
        rlow, rhigh = _oriented_interval(f, sign, confidence, raw=True)
        row.update(n_strata=len(f.strata), estimate=sign * f.r, ci_low=low, ci_high=high,
                   p_value=f.p_value(), tau=f.tau, estimate_uncorrected=sign * f.r_raw,
                   uncorrected_ci_low=rlow, uncorrected_ci_high=rhigh,
                   reliability_x=f.reliability_x, reliability_y=f.reliability_y,
                   n_instances=f.n_instances, instance_sd=f.instance_sd, df=f.df, note=f.note)
    m = group_fit(sub, rows.strata, stratified=False, counts=counts)
    if not isinstance(m, str):
        low, high = _oriented_interval(m, sign, confidence)
        row.update(estimate_marginal=sign * m.r, marginal_ci_low=low, marginal_ci_high=high,
                   marginal_p_value=m.p_value())
    return row


def _method(ci_method: str, n_boot: int, strata: tuple[str, ...], instance: str = "") -> str:
    given = " x ".join(strata) if strata else "nothing"
    var = ("unbiased U-statistic variance" if ci_method == "ustat"
           else f"cluster bootstrap ({n_boot})")
    unit = f"instances = {instance}" if instance else "one instance"
    return (f"circuit values (normal scores averaged over instances, instance effects removed), "
            f"Kendall tau-b between circuits within {given} strata, r = sin(pi tau / 2) divided "
            f"by sqrt(reliability of x and of the circuit values) (regression dilution), "
            f"oriented (+ = more expressive -> less trainable); t interval on atanh(r): "
            f"circuits ({var}) + task instances ({unit}, spread by moments), "
            f"Welch-Satterthwaite df")


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
        Missing columns, unregistered `x` or definitions (`comparison_inputs`), `alpha`
        outside `etr.analysis._common.ALPHA_RANGE`.

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
    strata, definitions = comparison_inputs(data, x, definitions, strata, cluster)
    alpha = check_alpha(alpha)
    order = pqc_configs(data, configs)
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
    return fit_or_warn(rows.frame[rows.frame["_g"] == config], rows.strata,
                       f"{config}, {definition}")


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
