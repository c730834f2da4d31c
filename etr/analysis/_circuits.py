"""From runs to circuit values: the circuit-level data the conditional association is taken on.

The estimand of `etr.analysis.conditional` is an association between a circuit's expressibility
and the circuit's *expected* trainability over the runs the design gives it: replicates, task
instances and classical variants. This module turns the runs of one analysis group (one training
configuration and definition) into one value per (stratum, circuit) and says how noisy each value
is, so that the association of the values can be corrected for that noise (regression dilution).

Steps, per stratum (one width-depth cell, or the whole group for the marginal association):

1. **Normal scores.** y is replaced by the rank-based normal score of each run among the runs of
   the stratum (Blom 1958, ``Phi^-1((rank - 3/8) / (n + 1/4))``; censored runs tie above every
   observed value). Kendall's tau depends only on orderings, so averaging on *any* fixed
   monotone scale would do for the point estimate; on the normal-score scale the attenuation
   formula of a correlation is exact under a Gaussian copula, which is what the Greiner
   relation ``r = sin(pi tau / 2)`` assumes too (see the notes of `etr.analysis.conditional`).
2. **Instance cells.** The runs of a circuit on one replicate unit (the task instance
   ``task_id``; the replicate ``seed`` when a dataset has no instance ids) are averaged: the
   classical variants (pre- and post-networks) of the design are fixed, so a circuit's mean over
   them is part of its expected value, while instances are the random replicates.
3. **Additive adjustment.** The table circuits x instances (complete or incomplete) is fitted by
   least squares with circuit and instance main effects, ``y_kj = a_k + b_j + e_kj``, by
   absorbing the circuit effects (Searle 1971, ch. 7): the instance effects solve the small
   reduced system ``C b = Q``, and ``a_k`` is the circuit mean minus the mean effect of its
   instances. In a complete design this changes no comparison between circuits; in an incomplete
   one (each circuit on a subset of instances) it removes the instance main effects from the
   circuit values. The circuit value is ``a_k``.
4. **Noise.** The residual variance is estimated per circuit without bias from the leverages,
   ``r_kj^2 / (1 - h_kj)``; the noise of a difference of two circuit values is
   ``sigma_k^2 / m_k + sigma_l^2 / m_l + sigma^2 (c_k - c_l)' C^+ (c_k - c_l)`` (m_k instances,
   c_k the instance incidence of circuit k divided by m_k): exact for the least-squares
   estimates under independent errors. Strata without residual degrees of freedom borrow the
   group's pooled residual variance; a group without any has no noise estimate (no correction).

The per-instance values ``y_kj`` (one instance's view of the circuits) are kept too: the spread of
the association between instances is estimated from them (`etr.analysis.conditional`).

References
----------
Blom, G. (1958). Statistical estimates and transformed beta-variables. Wiley.
Searle, S. R. (1971). Linear models. Wiley (absorption of a factor, ch. 7).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.sparse.csgraph import connected_components

__all__ = ["StratumCells", "circuit_cells", "normal_scores"]

#: two-sided 95% quantile: sampling intervals of x are 95% normal intervals.
Z95 = float(stats.norm.ppf(0.975))


def normal_scores(values: np.ndarray) -> np.ndarray:
    """Blom normal scores of `values` (mid-ranks for ties).

    Examples
    --------
    >>> normal_scores(np.array([3.0, 1.0, 2.0])).round(3).tolist()
    [0.869, -0.869, 0.0]
    """
    n = len(values)
    if n == 0:
        return np.zeros(0)
    ranks = stats.rankdata(values)
    return stats.norm.ppf((ranks - 0.375) / (n + 0.25))


@dataclass(frozen=True, slots=True)
class StratumCells:
    """Circuit values of one stratum and their noise.

    Attributes
    ----------
    label : the stratum.
    cluster : (G,) global cluster code of each circuit.
    x : (G,) the circuit's expressibility (ranks are taken on it).
    xr : (G,) x on the scale of its reliability (log10 where the registry says so).
    xq : (G,) sampling variance of ``xr`` (0 without a sampling interval).
    y : (G,) circuit values (least-squares circuit effects on the normal-score scale).
    noise : (G, G) half the noise variance of ``y_k - y_l`` (the regression-dilution kernel),
        zero diagonal; NaN when the noise is not estimable.
    sigma2 : (G,) residual variance of one instance cell of each circuit (NaN: unknown).
    runs : (G,) runs of each circuit.
    instances : (J,) instance labels of the stratum.
    table : (G, J) per-instance circuit values (NaN where a circuit has no run on an instance).
    resid_df : residual degrees of freedom of the stratum's additive fit.
    """

    label: str
    cluster: np.ndarray
    x: np.ndarray
    xr: np.ndarray
    xq: np.ndarray
    y: np.ndarray
    noise: np.ndarray
    sigma2: np.ndarray
    runs: np.ndarray
    instances: np.ndarray
    table: np.ndarray
    resid_df: int

    @property
    def size(self) -> int:
        return len(self.cluster)


@dataclass(frozen=True, slots=True)
class _Fit:
    a: np.ndarray          # (G,) circuit effects
    sigma2: np.ndarray     # (G,) per-circuit residual variance (NaN when not estimable)
    pooled: float          # RSS / df of the stratum (NaN when df = 0)
    quad: np.ndarray       # (G, G) (c_k - c_l)' C^+ (c_k - c_l)
    rss: float
    df: int


def _additive(table: np.ndarray) -> _Fit:
    """Least squares of a circuits x instances table (NaN = missing) with both main effects."""
    g, j = table.shape
    present = np.isfinite(table)
    n = present.astype(float)
    m = n.sum(axis=1)
    ybar = np.where(present, table, 0.0).sum(axis=1) / m
    if j < 2 or not _connected(present):
        return _oneway(table, present, m, ybar)
    s = n.sum(axis=0)
    c_inc = n / m[:, None]                                   # (G, J) c_k
    info = np.diag(s) - n.T @ c_inc                          # reduced information matrix
    q = np.where(present, table, 0.0).sum(axis=0) - n.T @ ybar
    pinv = np.linalg.pinv(info, hermitian=True)
    b = pinv @ q
    a = ybar - c_inc @ b
    resid = np.where(present, table - a[:, None] - b[None, :], 0.0)
    rank = int(np.linalg.matrix_rank(info, hermitian=True))
    df = int(present.sum()) - g - rank
    cp = c_inc @ pinv                                        # (G, J)
    cpc = np.einsum("kj,kj->k", cp, c_inc)
    quad = cpc[:, None] + cpc[None, :] - 2.0 * (cp @ c_inc.T)
    # leverage of cell (k, j): 1/m_k + (e_j - c_k)' C^+ (e_j - c_k)
    lev = (1.0 / m)[:, None] + np.diag(pinv)[None, :] - 2.0 * cp + cpc[:, None]
    sigma2 = _per_circuit(resid, present, lev)
    rss = float((resid**2).sum())
    return _Fit(a=a, sigma2=sigma2, pooled=rss / df if df > 0 else np.nan,
                quad=np.maximum(quad, 0.0), rss=rss, df=max(df, 0))


def _oneway(table: np.ndarray, present: np.ndarray, m: np.ndarray, ybar: np.ndarray) -> _Fit:
    """Circuit means when instance effects cannot be separated (one instance, or circuits on
    disjoint sets of instances): the instance effects stay in the noise."""
    g = len(m)
    resid = np.where(present, table - ybar[:, None], 0.0)
    lev = np.where(present, (1.0 / m)[:, None], 1.0)
    sigma2 = _per_circuit(resid, present, lev)
    df = int(present.sum()) - g
    rss = float((resid**2).sum())
    return _Fit(a=ybar, sigma2=sigma2, pooled=rss / df if df > 0 else np.nan,
                quad=np.zeros((g, g)), rss=rss, df=max(df, 0))


def _per_circuit(resid: np.ndarray, present: np.ndarray, lev: np.ndarray) -> np.ndarray:
    ok = present & (lev < 1.0 - 1e-9)
    with np.errstate(divide="ignore", invalid="ignore"):
        unbiased = np.where(ok, resid**2 / np.where(ok, 1.0 - lev, 1.0), 0.0)
        count = ok.sum(axis=1)
        return np.where(count > 0, unbiased.sum(axis=1) / np.maximum(count, 1), np.nan)


def _connected(present: np.ndarray) -> bool:
    """Whether the bipartite graph circuits - instances is connected."""
    if present.all():
        return True
    g, j = present.shape
    rows, cols = np.nonzero(present)
    adj = sparse.coo_matrix((np.ones(len(rows)), (rows, g + cols)), shape=(g + j, g + j))
    used = np.concatenate([np.ones(g, dtype=bool), present.any(axis=0)])
    _, labels = connected_components(adj, directed=False)
    return len(np.unique(labels[used])) == 1


def circuit_cells(frame: pd.DataFrame, stratum: np.ndarray) -> tuple[dict[str, StratumCells],
                                                                      float]:
    """Circuit values of every stratum of one group's rows, and the group's pooled residual
    variance (NaN when no stratum has residual degrees of freedom).

    `frame` holds the prepared rows of `etr.analysis.conditional.prepare_rows` (``_t``, the
    values on the averaging scale, ``_x``, ``_xr``, ``_xq``, ``_c``, ``_i``); `stratum` one
    label per row.
    """
    s_codes, s_labels = pd.factorize(pd.Series(stratum, dtype=object))
    i_codes, i_labels = pd.factorize(frame["_i"].to_numpy(dtype=object), sort=True)
    arrays = {k: frame[k].to_numpy(dtype=float) for k in ("_t", "_x", "_xr", "_xq")}
    clusters = frame["_c"].to_numpy(dtype=int)
    order = np.argsort(s_codes, kind="stable")
    bounds = np.searchsorted(s_codes[order], np.arange(len(s_labels) + 1))
    fits = {}
    for k, label in enumerate(s_labels):
        idx = order[bounds[k]:bounds[k + 1]]
        fits[str(label)] = _stratum(clusters[idx], i_codes[idx],
                                    {key: v[idx] for key, v in arrays.items()})
        fits[str(label)][0]["instances"] = np.asarray(i_labels)[fits[str(label)][0][
            "instances"]].astype(str)
    total_rss = sum(f[1].rss for f in fits.values() if f[1].df > 0)
    total_df = sum(f[1].df for f in fits.values())
    pooled = total_rss / total_df if total_df > 0 else float("nan")
    out = {label: _finish(label, meta, fit, pooled) for label, (meta, fit) in fits.items()}
    return out, pooled


def _stratum(cluster: np.ndarray, inst: np.ndarray, v: dict[str, np.ndarray]
             ) -> tuple[dict, _Fit]:
    clusters, codes = np.unique(cluster, return_inverse=True)
    instances, inst_codes = np.unique(inst, return_inverse=True)
    g, j = len(clusters), len(instances)
    flat = codes * j + inst_codes
    sums = np.bincount(flat, weights=v["_t"], minlength=g * j).reshape(g, j)
    counts = np.bincount(flat, minlength=g * j).reshape(g, j).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = np.where(counts > 0, sums / np.where(counts > 0, counts, 1.0), np.nan)
    first = np.zeros(g, dtype=int)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    meta = {"cluster": clusters.astype(int), "x": v["_x"][first], "xr": v["_xr"][first],
            "xq": v["_xq"][first], "runs": counts.sum(axis=1), "instances": instances,
            "table": table}
    return meta, _additive(table)


def _finish(label: str, meta: dict, fit: _Fit, pooled: float) -> StratumCells:
    present = np.isfinite(meta["table"])
    m = present.sum(axis=1).astype(float)
    own = fit.pooled if fit.df > 0 else pooled
    sigma2 = np.where(np.isfinite(fit.sigma2), fit.sigma2, own)
    if not np.isfinite(own):
        noise = np.full((len(m), len(m)), np.nan)
    else:
        per = sigma2 / m
        noise = 0.5 * (per[:, None] + per[None, :] + own * fit.quad)
    np.fill_diagonal(noise, 0.0)
    return StratumCells(label=label, cluster=meta["cluster"], x=meta["x"], xr=meta["xr"],
                        xq=np.where(np.isfinite(meta["xq"]), meta["xq"], 0.0), y=fit.a,
                        noise=noise, sigma2=sigma2, runs=meta["runs"],
                        instances=meta["instances"], table=meta["table"], resid_df=fit.df)
