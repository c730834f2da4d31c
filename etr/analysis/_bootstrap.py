"""Vectorised cluster bootstrap of rank correlations.

A cluster bootstrap replicate draws clusters with replacement; a cluster drawn ``k`` times
contributes its rows ``k`` times. Every statistic here is computed from integer *row weights*
``W`` (replicates x rows), which is exactly the statistic of the expanded sample, so thousands
of replicates cost a few matrix operations instead of thousands of scipy calls.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

CI_METHODS: tuple[str, ...] = ("bca", "percentile")
CORR_METHODS: tuple[str, ...] = ("spearman", "kendall")
_CHUNK = 512


def cluster_codes(labels: np.ndarray | None, n: int) -> tuple[np.ndarray, int]:
    """Integer cluster code per row (each row its own cluster when `labels` is None)."""
    if labels is None:
        return np.arange(n), n
    _, codes = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
    return codes.ravel(), int(codes.max()) + 1 if n else 0


def resample_counts(n_clusters: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, n_clusters) counts of how often each cluster is drawn."""
    return rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=n_boot)


def jackknife_counts(n_clusters: int) -> np.ndarray:
    """(n_clusters, n_clusters) counts leaving one cluster out in turn."""
    return 1.0 - np.eye(n_clusters)


def _tie_sums(values: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights summed over tied values: (W per distinct value sorted, inverse index)."""
    uniq, inv = np.unique(values, return_inverse=True)
    order = np.argsort(inv, kind="stable")
    starts = np.searchsorted(inv[order], np.arange(len(uniq)))
    return np.add.reduceat(w[:, order], starts, axis=1), inv.ravel()


def _midranks(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Mid-ranks of every row within the weighted (expanded) sample, shape like `w`."""
    wu, inv = _tie_sums(values, w)
    mid = np.cumsum(wu, axis=1) - (wu - 1.0) / 2.0
    return mid[:, inv]


def _wpearson(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    tot = w.sum(axis=1)
    ma = (w * a).sum(axis=1) / tot
    mb = (w * b).sum(axis=1) / tot
    da = a - ma[:, None]
    db = b - mb[:, None]
    sab = (w * da * db).sum(axis=1)
    saa = (w * da * da).sum(axis=1)
    sbb = (w * db * db).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = sab / np.sqrt(saa * sbb)
    # constant resamples (zero variance up to rounding) have no correlation
    tiny = 1e-12 * tot
    r[(saa <= tiny * np.max(a * a, axis=1)) | (sbb <= tiny * np.max(b * b, axis=1))] = np.nan
    return np.clip(r, -1.0, 1.0)


def spearman_w(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Spearman's rho (Pearson on mid-ranks) of the sample expanded by each row of `w`."""
    return _wpearson(_midranks(x, w), _midranks(y, w), w)


def kendall_w(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Kendall's tau-b of the sample expanded by each row of `w` (ties handled as scipy)."""
    m = np.sign(x[:, None] - x[None, :]) * np.sign(y[:, None] - y[None, :])
    s = np.einsum("bi,bi->b", w @ m, w) / 2.0
    tot = w.sum(axis=1)
    n0 = tot * (tot - 1) / 2
    tx, _ = _tie_sums(x, w)
    ty, _ = _tie_sums(y, w)
    n1 = (tx * (tx - 1) / 2).sum(axis=1)
    n2 = (ty * (ty - 1) / 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = s / np.sqrt((n0 - n1) * (n0 - n2))
    tau[(n0 - n1 <= 0) | (n0 - n2 <= 0)] = np.nan
    return np.clip(tau, -1.0, 1.0)


def corr_w(x: np.ndarray, y: np.ndarray, w: np.ndarray, method: str) -> np.ndarray:
    """Rank correlation for every row of weights, in chunks to bound memory."""
    fn = spearman_w if method == "spearman" else kendall_w
    w = np.atleast_2d(np.asarray(w, dtype=float))
    return np.concatenate([fn(x, y, w[i:i + _CHUNK]) for i in range(0, len(w), _CHUNK)])


def bca_params(theta: float, boot: np.ndarray, jack: np.ndarray) -> tuple[float, float]:
    """Bias correction z0 and acceleration a of Efron's BCa interval (as scipy.stats.bootstrap)."""
    n = len(boot)
    prop = (np.sum(boot < theta) + np.sum(boot <= theta)) / (2.0 * n)
    z0 = float(ndtri(np.clip(prop, 0.5 / n, 1 - 0.5 / n)))
    jack = jack[np.isfinite(jack)]
    d = jack.mean() - jack if len(jack) else np.zeros(1)
    den = 6.0 * np.sum(d**2) ** 1.5
    a = float(np.sum(d**3) / den) if den > 0 else 0.0
    return z0, a


def interval(theta: float, boot: np.ndarray, jack: np.ndarray | None, confidence: float,
             ci_method: str) -> tuple[float, float, float]:
    """(ci_low, ci_high, p_value) from bootstrap replicates; NaN replicates are ignored.

    The p-value inverts the interval: the smallest ``1 - confidence`` at which the interval
    (BCa or percentile, as chosen) excludes 0. When every replicate lies on one side of 0 (the
    resolution limit) it is the normal approximation ``2 Phi(-|estimate| / SE_boot)``, capped at
    ``1 / n_boot``, so that strong effects keep distinct p-values for multiplicity adjustment.
    """
    boot = boot[np.isfinite(boot)]
    if not np.isfinite(theta) or len(boot) < 10:
        return np.nan, np.nan, np.nan
    n = len(boot)
    if ci_method == "bca" and jack is not None:
        z0, a = bca_params(theta, boot, jack)
    else:
        z0, a = 0.0, 0.0
    alpha = (1.0 - confidence) / 2.0
    z = ndtri(np.array([alpha, 1.0 - alpha]))
    levels = ndtr(z0 + (z0 + z) / (1.0 - a * (z0 + z)))
    low, high = np.quantile(boot, levels)
    q0 = (np.sum(boot < 0) + np.sum(boot <= 0)) / (2.0 * n)
    if q0 in (0.0, 1.0):  # every replicate on one side of 0: beyond the resolution limit
        se = float(np.std(boot, ddof=1))
        p_normal = float(2 * ndtr(-abs(theta) / se)) if se > 0 else 0.0
        return float(low), float(high), min(1.0 / n, p_normal)
    wz = ndtri(np.clip(q0, 0.5 / n, 1 - 0.5 / n)) - z0
    tail = float(ndtr(wz / (1.0 + a * wz) - z0))
    return float(low), float(high), float(min(1.0, 2.0 * min(tail, 1.0 - tail)))
