"""Regime segmentation: continuous piecewise-linear regression with breakpoints chosen by BIC."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import optimize, stats
from threadpoolctl import threadpool_limits

from etr._rng import SeedLike, as_generator
from etr._validation import check_choice, check_int
from etr.analysis._common import (
    Group,
    as_tuple,
    check_confidence,
    check_frame,
    cluster_means,
    degenerate,
    degenerate_reason,
    iter_groups,
    prepare,
    registry_transform,
)
from etr.analysis.quality import clean
from etr.errors import InputError
from etr.parallel import default_workers, open_pool

__all__ = ["RegimeResult", "davies_test", "segment_regimes"]

_GRID = {1: 40, 2: 20}
_N_FIT_POINTS = 60


@dataclass(frozen=True, slots=True)
class RegimeResult:
    """Result of `segment_regimes`.

    Attributes
    ----------
    breakpoints : pandas.DataFrame
        ``<by>, breakpoint_index, estimate, ci_low, ci_high``: breakpoints of the selected
        model (none when no breakpoint is selected), bootstrap percentile intervals.
    segments : pandas.DataFrame
        ``<by>, regime, x_low, x_high, n, n_clusters, slope, slope_ci_low, slope_ci_high, rho,
        p_value``: one row per regime of the selected model; slope of the transformed `y` on
        `x` and its interval (bootstrap percentile, or a t interval given the breakpoints when
        ``n_boot == 0``); Spearman's rho of the cluster means inside the regime and its p-value.
    selection : pandas.DataFrame
        ``<by>, n_breakpoints, bic, selected, davies_p``: BIC of every candidate model, and the
        p-value of Davies' test of "no breakpoint" for the group (`davies_test`; the same on
        every row of a group).
    fits : pandas.DataFrame
        ``<by>, x, y_hat``: the selected fit on a grid, for plotting (transformed scale).
    n_boot, confidence, method : recorded settings.
    n_dropped : rows removed (failed or duplicated runs, impossible or non-finite values, missing
        clusters; `etr.analysis.quality`).
    """

    breakpoints: pd.DataFrame
    segments: pd.DataFrame
    selection: pd.DataFrame
    fits: pd.DataFrame
    n_boot: int
    confidence: float
    method: str
    n_dropped: int = 0

    def to_frame(self) -> pd.DataFrame:
        """The segments table with a ``method`` column."""
        out = self.segments.copy()
        out["method"] = self.method
        return out


def segment_regimes(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    by: str | list[str] | tuple[str, ...] | None = None,
    max_breakpoints: int = 2,
    n_boot: int = 200,
    transform_y: str | None = None,
    transform_x: str | None = None,
    confidence: float = 0.95,
    cluster: str | None = "pqc_id",
    seed: SeedLike = None,
    workers: int | None = 1,
) -> RegimeResult:
    """Find regimes of the `x`-`y` relationship with segmented (piecewise-linear) regression.

    Within each group of `by`, rows are first averaged per cluster (the distinct circuit),
    because expressibility is a property of the circuit and the runs of one circuit (seeds,
    pre-networks) are not independent. Models with 0..`max_breakpoints` breakpoints
    (continuous, hinge basis ``1, x, (x - b1)+, ...``) are fitted by least squares with
    breakpoints found by a grid search refined by bounded one-dimensional minimisation; the
    number of breakpoints minimises BIC = ``G log(RSS / G) + (3 + 2 k) log G`` over the G
    cluster means (each breakpoint counts as a parameter). Breakpoints and regime slopes get
    percentile intervals from a cluster bootstrap that refits the selected number of
    breakpoints.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy data.
    x, y : str
        Numeric columns (typically ``"expressibility_kl"`` and a trainability column).
    by : str or sequence of str, optional
        Grouping columns (e.g. ``"training_config"``), analysed separately.
    max_breakpoints : int
        0, 1 or 2.
    n_boot : int
        Bootstrap replicates for the intervals (0: no bootstrap; breakpoint intervals NaN).
    transform_y : {"log10", "none"} or None
        Transform of `y` (non-positive values are dropped under log10); None reads
        ``log_scale`` from `etr.contract.METRICS`.
    transform_x : {"log10", "none"} or None
        Transform of `x` (None: from the registry); breakpoints, segment bounds and ``fits``
        are on the transformed scale (``10 ** estimate`` gives a breakpoint in x units).
    confidence : float
        Confidence level of the intervals.
    cluster : str or None
        Averaging and resampling unit; ``None``: rows.
    seed : int, numpy.random.Generator or None
        Randomness of the bootstrap.
    workers : int or None
        Processes for the bootstrap refits (`etr.parallel.open_pool`; None: every usable
        core, 1: this process). The resamples are drawn here and refitted in fixed chunks,
        so the intervals are the same whatever the number of workers.

    Returns
    -------
    RegimeResult
        Tables described in `RegimeResult`. A group with fewer than 3 clusters or constant
        data is reported as NaN with a `~etr.errors.DegenerateDataWarning`. A model with
        ``k`` breakpoints is only considered when every segment can hold at least
        ``max(5, 0.15 G)`` distinct x values (short edge segments overfit easily).

    Raises
    ------
    etr.errors.InputError
        Missing columns, non-numeric `x`/`y`, bad options.

    Notes
    -----
    Muggeo (2003), "Estimating regression models with unknown break-points", Stat. Med. 22,
    3055 (R package `segmented`). BIC selection is conservative against spurious breakpoints;
    ``davies_p`` (`davies_test`) tests "no breakpoint" with the right level after the search.
    The relationship segmented here is the marginal one (not conditioned on width and depth);
    the pre-registered test of regime dependence is in `evaluate_claims`.

    Examples
    --------
    >>> from etr.analysis import segment_regimes, synthetic_dataset
    >>> df = synthetic_dataset(n_architectures=150, configs=["pure_pqc"],
    ...                        slopes={"pure_pqc": 2.0}, breakpoint=0.6, intercept_sd=0.1,
    ...                        seed=3)
    >>> res = segment_regimes(df, x="expressibility_kl", y="grad_var", n_boot=100,
    ...                       transform_x="none", seed=1)
    >>> len(res.breakpoints)
    1
    >>> bp = res.breakpoints.iloc[0]
    >>> bool(bp["ci_low"] < 0.6 < bp["ci_high"])
    True
    """
    by = as_tuple(by)
    check_frame(data, (*by, x, y, cluster), (x, y))
    max_breakpoints = check_int("max_breakpoints", max_breakpoints, minimum=0, maximum=2)
    n_boot = check_int("n_boot", n_boot, minimum=0)
    transform_y = registry_transform("transform_y", transform_y, y)
    transform_x = registry_transform("transform_x", transform_x, x)
    confidence = check_confidence(confidence)
    if cluster is not None and cluster in (x, y):
        raise InputError("`cluster` must differ from `x` and `y`")
    rng = as_generator(seed)
    cleaned = clean(data)
    frame = prepare(cleaned.data, (x, y), (*by, cluster), transform_y=(y, transform_y),
                    transform_x=(x, transform_x))
    n_dropped = cleaned.n_removed() + int((~frame["_ok"]).sum())
    frame = frame[frame["_ok"]]
    out: dict[str, list[dict]] = {"breakpoints": [], "segments": [], "selection": [],
                                  "fits": []}
    workers = check_int("workers", default_workers() if workers is None else workers,
                        minimum=1)
    cfg = _Settings(x=x, y=y, cluster=cluster, max_k=max_breakpoints, n_boot=n_boot,
                    confidence=confidence, rng=rng, workers=workers)
    for group in iter_groups(frame, by):
        _segment_group(group, cfg, out)
    cols = {
        "breakpoints": [*by, "breakpoint_index", "estimate", "ci_low", "ci_high"],
        "segments": [*by, "regime", "x_low", "x_high", "n", "n_clusters", "slope",
                     "slope_ci_low", "slope_ci_high", "rho", "p_value"],
        "selection": [*by, "n_breakpoints", "bic", "selected", "davies_p"],
        "fits": [*by, "x", "y_hat"],
    }
    tables = {k: pd.DataFrame(v, columns=cols[k]) for k, v in out.items()}
    y_label = f"log10({y})" if transform_y == "log10" else y
    x_label = f"log10({x})" if transform_x == "log10" else x
    method = (f"segmented regression of {y_label} on {x_label} (cluster means), breakpoints by BIC "
              f"(max {max_breakpoints}), Davies' test of no breakpoint (10 evaluation points), "
              f"{'cluster' if cluster else 'row'} bootstrap "
              f"percentile ({n_boot})")
    return RegimeResult(n_boot=n_boot, confidence=confidence, method=method,
                        n_dropped=n_dropped, **tables)


def davies_test(x: np.ndarray, y: np.ndarray, *, k: int = 10,
                alternative: str = "two-sided") -> tuple[float, float]:
    """Davies' test of "no change in slope" in ``y = b0 + b1 x + b2 (x - psi)_+ + e``.

    For `k` breakpoints psi equally spaced between the 10th and 90th percentiles of `x`, the
    Wald statistic ``s(psi) = b2 / se(b2)`` of the ordinary least-squares fit is computed;
    with ``M = max |s|`` (two-sided) and the total variation ``V = sum |s(psi_j+1) - s(psi_j)|``
    the p-value is Davies' (1987) upper bound ``2 (Phi(-M) + V exp(-M^2/2) / sqrt(8 pi))``
    (one-sided: without the factor 2 and with ``M = max s`` or ``-min s``), as in R's
    ``segmented::davies.test`` (Muggeo 2003). The bound is conservative.

    Parameters
    ----------
    x, y : 1-D arrays of equal length (at least 6 points).
    k : number of evaluation points (>= 2).
    alternative : ``"two-sided"``, ``"greater"`` (slope increases) or ``"less"``.

    Returns
    -------
    (statistic, p_value) : M and the p-value bound (capped at 1).

    References
    ----------
    Davies, R. B. (1987). Hypothesis testing when a nuisance parameter is present only under
    the alternative. Biometrika 74, 33-43. Muggeo, V. M. R. (2003). Stat. Med. 22, 3055-3071.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(0, 1, 80)
    >>> y = x + 3 * np.maximum(x - 0.5, 0) + rng.normal(0, 0.1, 80)
    >>> bool(davies_test(x, y)[1] < 0.001)
    True
    """
    check_choice("alternative", alternative, ("two-sided", "greater", "less"))
    k = check_int("k", k, minimum=2)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 6:
        raise InputError("`x` and `y` must be 1-D arrays of equal length >= 6")
    psis = np.linspace(np.quantile(x, 0.1), np.quantile(x, 0.9), k)
    n = len(x)
    stat = np.full(k, np.nan)
    for j, psi in enumerate(psis):
        design = np.column_stack([np.ones(n), x, np.maximum(x - psi, 0.0)])
        beta, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
        if rank < 3:
            continue
        resid = y - design @ beta
        sigma2 = resid @ resid / (n - 3)
        cov = sigma2 * np.linalg.inv(design.T @ design)
        stat[j] = beta[2] / np.sqrt(cov[2, 2]) if cov[2, 2] > 0 else np.nan
    stat = stat[np.isfinite(stat)]
    if len(stat) == 0:
        return float("nan"), float("nan")
    variation = float(np.sum(np.abs(np.diff(stat))))
    if alternative == "two-sided":
        m = float(np.max(np.abs(stat)))
    elif alternative == "greater":
        m = float(np.max(stat))
    else:
        m = float(-np.min(stat))
    p = stats.norm.sf(m) + variation * np.exp(-m * m / 2) / np.sqrt(8 * np.pi)
    if alternative == "two-sided":
        p *= 2
    return m, float(min(p, 1.0))


def _design(xv: np.ndarray, bps: np.ndarray) -> np.ndarray:
    """Hinge design for every candidate: (C, G, 2 + k)."""
    c = bps.shape[0]
    cols = [np.ones((c, len(xv))), np.broadcast_to(xv, (c, len(xv)))]
    cols += [np.maximum(xv[None, :] - bps[:, j:j + 1], 0.0) for j in range(bps.shape[1])]
    return np.stack(cols, axis=2)


def _fit_batch(xv: np.ndarray, yv: np.ndarray, w: np.ndarray,
               bps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares for every candidate breakpoint row: (rss (C,), beta (C, p))."""
    design = _design(xv, bps)
    xtw = design * w[None, :, None]
    gram = np.einsum("cgp,cgq->cpq", xtw, design)
    rhs = np.einsum("cgp,g->cp", xtw, yv)
    beta = np.einsum("cpq,cq->cp", np.linalg.pinv(gram), rhs)
    resid = yv[None, :] - np.einsum("cgp,cp->cg", design, beta)
    return (w[None, :] * resid**2).sum(axis=1), beta


def _candidates(xv: np.ndarray, k: int, min_seg: int) -> np.ndarray | None:
    """Grid of breakpoint tuples leaving >= `min_seg` distinct x values in every segment."""
    u = np.unique(xv)
    if len(u) < (k + 1) * min_seg:
        return None
    lo, hi = u[min_seg - 1], u[len(u) - min_seg]
    inner = u[(u >= lo) & (u <= hi)]
    grid = np.unique(np.quantile(inner, np.linspace(0.0, 1.0, _GRID[k])))
    if k == 1:
        return grid[:, None]
    pairs = [(a, b) for a, b in combinations(grid, 2)
             if np.sum((u > a) & (u <= b)) >= min_seg]
    return np.array(pairs) if pairs else None


def _fit_k(xv: np.ndarray, yv: np.ndarray, w: np.ndarray, k: int,
           cands: np.ndarray | None) -> tuple[float, np.ndarray, np.ndarray] | None:
    """Best k-breakpoint fit: (rss, breakpoints (k,), beta)."""
    if k == 0:
        rss, beta = _fit_batch(xv, yv, w, np.zeros((1, 0)))
        return float(rss[0]), np.zeros(0), beta[0]
    if cands is None:
        return None
    rss, _ = _fit_batch(xv, yv, w, cands)
    best = cands[int(np.argmin(rss))].copy()
    lo_all, hi_all = cands.min(), cands.max()
    for _ in range(2 if k == 2 else 1):  # coordinate-wise refinement between grid neighbours
        for j in range(k):
            lo = lo_all if j == 0 else best[j - 1]
            hi = hi_all if j == k - 1 else best[j + 1]

            def objective(b: float, j: int = j) -> float:
                trial = best.copy()
                trial[j] = b
                return float(_fit_batch(xv, yv, w, trial[None, :])[0][0])

            if hi > lo:
                res = optimize.minimize_scalar(objective, bounds=(lo, hi), method="bounded",
                                               options={"xatol": 1e-4 * (hi_all - lo_all + 1)})
                if res.fun <= objective(best[j]):
                    best[j] = res.x
    rss, beta = _fit_batch(xv, yv, w, best[None, :])
    return float(rss[0]), best, beta[0]


def _slopes(beta: np.ndarray) -> np.ndarray:
    return np.cumsum(beta[1:])


@dataclass(frozen=True, slots=True)
class _Settings:
    """What every group of one `segment_regimes` call shares."""

    x: str
    y: str
    cluster: str | None
    max_k: int
    n_boot: int
    confidence: float
    rng: np.random.Generator
    workers: int = 1


@dataclass(frozen=True, slots=True)
class _Selected:
    """The BIC-selected model of one group."""

    k: int
    bps: np.ndarray
    beta: np.ndarray
    cands: np.ndarray | None


def _segment_group(group: Group, cfg: _Settings, out: dict[str, list[dict]]) -> None:
    sub, label = group.data, group.values
    means = cluster_means(sub, (cfg.x, cfg.y), cfg.cluster)
    xv, yv = means[cfg.x].to_numpy(dtype=float), means[cfg.y].to_numpy(dtype=float)
    g = len(xv)
    reason = degenerate_reason(xv, yv, g)
    if reason:
        degenerate(group.label, reason)
        out["segments"].append({**label, "regime": 0, "n": len(sub), "n_clusters": g})
        out["selection"].append({**label, "n_breakpoints": 0, "bic": np.nan,
                                 "selected": True, "davies_p": np.nan})
        return
    sel = _select(xv, yv, cfg, label, out)
    slope_ci, bp_ci = _intervals(xv, yv, sel, cfg)
    for j, bp in enumerate(sel.bps):
        out["breakpoints"].append({**label, "breakpoint_index": j, "estimate": float(bp),
                                   "ci_low": float(bp_ci[0][j]), "ci_high": float(bp_ci[1][j])})
    _emit_segments(sub, xv, yv, sel, slope_ci, cfg, label, out)
    grid = np.linspace(xv.min(), xv.max(), _N_FIT_POINTS)
    y_hat = _design(grid, sel.bps[None, :])[0] @ sel.beta
    out["fits"].extend({**label, "x": float(a), "y_hat": float(b)}
                       for a, b in zip(grid, y_hat, strict=True))


def _select(xv: np.ndarray, yv: np.ndarray, cfg: _Settings, label: dict,
            out: dict[str, list[dict]]) -> _Selected:
    """Fit 0..max_k breakpoints, pick the BIC minimum, record the selection table."""
    g = len(xv)
    min_seg = max(5, int(np.ceil(0.15 * g)))
    w1 = np.ones(g)
    fits, cands = {}, {}
    for k in range(cfg.max_k + 1):
        cands[k] = None if k == 0 else _candidates(xv, k, min_seg)
        fit = _fit_k(xv, yv, w1, k, cands[k])
        if fit is not None:
            fits[k] = fit
    bics = {k: g * np.log(max(f[0], 1e-300) / g) + (3 + 2 * k) * np.log(g)
            for k, f in fits.items()}
    k_sel = min(bics, key=bics.get)
    davies_p = davies_test(xv, yv)[1] if g >= 2 * min_seg else np.nan
    for k in range(cfg.max_k + 1):
        out["selection"].append({**label, "n_breakpoints": k, "bic": bics.get(k, np.nan),
                                 "selected": k == k_sel, "davies_p": davies_p})
    _, bps, beta = fits[k_sel]
    return _Selected(k=k_sel, bps=bps, beta=beta, cands=cands[k_sel])


def _intervals(xv: np.ndarray, yv: np.ndarray, sel: _Selected,
               cfg: _Settings) -> tuple[np.ndarray, np.ndarray]:
    """(slope interval (2, k + 1), breakpoint interval (2, k)) by bootstrap or given bps."""
    g = len(xv)
    alpha = (1 - cfg.confidence) / 2
    if cfg.n_boot == 0:
        return (_conditional_slope_ci(xv, yv, sel.bps, sel.beta, cfg.confidence),
                np.full((2, sel.k), np.nan))
    draws = cfg.rng.multinomial(g, np.full(g, 1.0 / g), size=cfg.n_boot).astype(float)
    boot_bps, boot_slopes = _bootstrap(xv, yv, draws, sel, cfg.workers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        slope_ci = np.nanquantile(boot_slopes, [alpha, 1 - alpha], axis=0)
        bp_ci = (np.nanquantile(boot_bps, [alpha, 1 - alpha], axis=0) if sel.k
                 else np.full((2, 0), np.nan))
    return slope_ci, bp_ci


#: bootstrap refits per unit of work (fixed, so that the chunks do not depend on the workers).
_BOOT_CHUNK = 25
#: below this many cluster-refits (clusters x replicates, breakpoint models only) the
#: bootstrap stays in this process: starting workers would cost more than it saves.
_POOL_MIN_WORK = 100_000


def _bootstrap(xv: np.ndarray, yv: np.ndarray, draws: np.ndarray, sel: _Selected,
               workers: int) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoints and slopes refitted on every row of `draws`, on the pool when worth it."""
    chunks = [draws[i:i + _BOOT_CHUNK] for i in range(0, len(draws), _BOOT_CHUNK)]
    args = [(xv, yv, c, sel.k, sel.cands) for c in chunks]
    if workers > 1 and len(chunks) > 1 and sel.k > 0 and draws.size >= _POOL_MIN_WORK:
        with open_pool(workers, n_jobs=len(chunks)) as pool:
            outcomes = pool.map(_refit, args)
        failed = [o.error for o in outcomes if not o.ok]
        if failed:
            raise RuntimeError(f"bootstrap refit failed: {failed[0]}")
        parts = [o.value for o in outcomes]
    else:
        parts = [_refit(*a) for a in args]
    return (np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, sel.k)),
            np.concatenate([p[1] for p in parts]) if parts else np.zeros((0, sel.k + 1)))


def _refit(xv: np.ndarray, yv: np.ndarray, draws: np.ndarray, k: int,
           cands: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(breakpoints (R, k), slopes (R, k + 1)) refitted with the weights of each row of
    `draws`; NaN where a resample cannot hold k breakpoints. One BLAS thread, in this process
    as in a worker, so that a replicate gives the same numbers wherever it runs."""
    bps = np.full((len(draws), k), np.nan)
    slopes = np.full((len(draws), k + 1), np.nan)
    with threadpool_limits(limits=1, user_api="blas"):
        for b, w in enumerate(draws):
            if np.unique(xv[w > 0]).size < (k + 1) * 2:
                continue
            fit = _fit_k(xv, yv, w, k, cands)
            if fit is not None:
                bps[b] = fit[1]
                slopes[b] = _slopes(fit[2])
    return bps, slopes


def _emit_segments(sub: pd.DataFrame, xv: np.ndarray, yv: np.ndarray, sel: _Selected,
                   slope_ci: np.ndarray, cfg: _Settings, label: dict,
                   out: dict[str, list[dict]]) -> None:
    slopes = _slopes(sel.beta)
    edges = np.concatenate([[xv.min()], sel.bps, [xv.max()]])
    # rows are placed by their cluster's mean x, exactly the value the regimes were fitted on
    row_x = (sub.groupby(cfg.cluster, observed=True)[cfg.x].transform("mean")
             if cfg.cluster is not None else sub[cfg.x]).to_numpy(dtype=float)
    for r in range(sel.k + 1):
        lo, hi = edges[r], edges[r + 1]
        in_c = (xv >= lo) & (xv <= hi) if r == 0 else (xv > lo) & (xv <= hi)
        in_r = (row_x >= lo) & (row_x <= hi) if r == 0 else (row_x > lo) & (row_x <= hi)
        rho = p = np.nan
        if in_c.sum() >= 3 and np.ptp(xv[in_c]) > 0 and np.ptp(yv[in_c]) > 0:
            res = stats.spearmanr(xv[in_c], yv[in_c])
            rho, p = float(res.statistic), float(res.pvalue)
        out["segments"].append({
            **label, "regime": r, "x_low": float(lo), "x_high": float(hi),
            "n": int(in_r.sum()), "n_clusters": int(in_c.sum()), "slope": float(slopes[r]),
            "slope_ci_low": float(slope_ci[0][r]), "slope_ci_high": float(slope_ci[1][r]),
            "rho": rho, "p_value": p,
        })


def _conditional_slope_ci(xv: np.ndarray, yv: np.ndarray, bps: np.ndarray, beta: np.ndarray,
                          confidence: float) -> np.ndarray:
    """t intervals of regime slopes given the breakpoints (ignores breakpoint uncertainty)."""
    design = _design(xv, bps[None, :])[0]
    dof = len(xv) - design.shape[1] - len(bps)
    resid = yv - design @ beta
    if dof <= 0:
        return np.full((2, len(bps) + 1), np.nan)
    cov = np.linalg.pinv(design.T @ design) * (resid @ resid) / dof
    t = stats.t.ppf(0.5 + confidence / 2, dof)
    lows, highs = [], []
    for r in range(len(bps) + 1):
        c = np.zeros(design.shape[1])
        c[1:2 + r] = 1.0
        est, se = c @ beta, float(np.sqrt(c @ cov @ c))
        lows.append(est - t * se)
        highs.append(est + t * se)
    return np.array([lows, highs])
