"""Kendall's tau-b over pairs of runs of *different* circuits in the *same* stratum.

The engine of `etr.analysis.conditional`. Rows are runs; each row belongs to a stratum (one
(n_qubits, layers) cell, or one stratum holding everything for the marginal association) and a
cluster (a distinct circuit, ``pqc_id``); x is constant within a cluster (the circuit's
expressibility). Within a stratum, cluster pairs (k, l), k != l, carry three kernels:

    A[k, l]  = sum_{i in k, j in l} sign(x_k - x_l) sign(y_i - y_j)
    Bx[k, l] = n_k n_l [x_k != x_l]
    By[k, l] = sum_{i in k, j in l} [y_i != y_j]

and tau_b = sum A / sqrt(sum Bx * sum By), every sum over ordered pairs and over the strata
pooled. Pairs of runs of one circuit never count (they tie in x).

Uncertainty
-----------
Every sum is a U-statistic over the clusters of a stratum, so the variance of the (linearised)
ratio has an unbiased estimator built from the kernel matrices (Hoeffding 1948): for a
symmetric kernel H over n clusters, ``Var(sum_{k != l} H) = 4 T3 + 2 F - (4 n - 6) T4 /
((n - 2) (n - 3))`` with ``F = sum H^2``, ``T3 = sum_k (sum_l H_kl)^2 - F`` and ``T4 = (sum H)^2
- 4 T3 - 2 F`` (for n <= 3 the last term, an estimate of the squared stratum mean, is left out:
conservative). The cluster bootstrap is available too: with cluster counts c (a draw with
replacement) each sum is the quadratic form ``c' M c`` per stratum, so replicates cost a few
matrix products; it is conservative here because resampling inflates the degenerate part of
a U-statistic (Efron & Stein 1981).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

#: elements of one block of running counts (rows x cells) in `_sign_sums`.
_CHUNK_ELEMENTS = 1 << 22
#: rows x cells from which `_sign_sums` sums with a sparse product (measured crossover).
_SPARSE_MIN_WORK = 200_000


@dataclass(frozen=True, slots=True)
class Stratum:
    """Kernels of one stratum, cells indexed locally 0..G_s-1."""

    label: str               # the stratum it belongs to (pairs two fits of one stratum)
    cluster: np.ndarray      # (G_s,) global cluster index of each cell
    a: np.ndarray            # (G_s, G_s) A kernel (zero diagonal)
    bx: np.ndarray           # (G_s, G_s) Bx kernel
    by: np.ndarray           # (G_s, G_s) By kernel
    sx: np.ndarray           # (G_s, G_s) sign(x_k - x_l)
    dy: np.ndarray           # (G_s, G_s) sum_{i in k, j in l} sign(y_i - y_j)

    @property
    def size(self) -> int:
        return len(self.cluster)


def _sign_sums(y: np.ndarray, cell: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    """(D, E): D[k, l] = sum sign(y_i - y_j), E[k, l] = number of tied pairs, i in k, j in l.

    Rows sorted by y; for a block of cells l, the running count of rows of l up to each
    position (a cumulative sum over the sorted rows) gives, for row i, the rows of l below y_i
    and up to y_i, and the sums over the rows i of each cell k give D and E. Small strata sum
    them per cell with ``np.add.reduceat`` (rows sorted by cell); large ones (the marginal
    association of thousands of circuits) as a product with a sparse matrix counting, per cell
    k, its rows at each position, which is 2-4x faster there and slower on small strata (its
    set-up costs a millisecond). Every number is an integer count: both ways are exact and
    equal to scattering each row (``np.add.at``, 5x slower on 2,000 circuits).
    """
    n = len(y)
    order = np.argsort(y, kind="stable")
    ys, cs = y[order], cell[order]
    uniq, start = np.unique(ys, return_index=True)
    end = np.append(start[1:], n)
    group = np.searchsorted(uniq, ys)
    below_at, upto_at = start[group], end[group]   # rows before y_i, rows up to y_i (sorted)
    by_cell = np.argsort(cs, kind="stable")
    rows_of = np.bincount(cs, minlength=g)
    chunk = max(1, min(g, _CHUNK_ELEMENTS // max(n, 1)))
    d, e = np.zeros((g, g)), np.zeros((g, g))
    if n * g >= _SPARSE_MIN_WORK:
        indptr = np.zeros(g + 1, dtype=np.int64)
        np.cumsum(rows_of, out=indptr[1:])
        ones = np.ones(n)
        h_below = sparse.csr_matrix((ones, below_at[by_cell], indptr), shape=(g, n + 1))
        h_upto = sparse.csr_matrix((ones, upto_at[by_cell], indptr), shape=(g, n + 1))
        positions = np.arange(1, n + 1)
        for lo in range(0, g, chunk):
            hi = min(g, lo + chunk)
            cum = np.zeros((n + 1, hi - lo))
            inside = (cs >= lo) & (cs < hi)
            cum[positions[inside], cs[inside] - lo] = 1.0
            np.cumsum(cum, axis=0, out=cum)
            below, upto = h_below @ cum, h_upto @ cum
            d[:, lo:hi] = below + upto - np.outer(rows_of, cum[-1])
            e[:, lo:hi] = upto - below
        return d, e
    sorted_cells = cs[by_cell]
    cuts = np.flatnonzero(np.r_[True, sorted_cells[1:] != sorted_cells[:-1]])
    present = sorted_cells[cuts]
    below_at, upto_at = below_at[by_cell], upto_at[by_cell]
    for lo in range(0, g, chunk):
        hi = min(g, lo + chunk)
        cum = np.zeros((n + 1, hi - lo), dtype=np.int64)
        np.cumsum(cs[:, None] == np.arange(lo, hi)[None, :], axis=0, out=cum[1:])
        below, upto = cum[below_at], cum[upto_at]
        d[present, lo:hi] = (np.add.reduceat(below + upto, cuts, axis=0)
                             - rows_of[present, None] * cum[-1])
        e[present, lo:hi] = np.add.reduceat(upto - below, cuts, axis=0)
    return d, e


def stratum_kernels(x_cell: np.ndarray, y: np.ndarray, cell: np.ndarray,
                    cluster_of_cell: np.ndarray, label: str = "") -> Stratum:
    """Kernels of one stratum from its rows (`cell` indexes `x_cell` and `cluster_of_cell`)."""
    g = len(x_cell)
    n = np.bincount(cell, minlength=g).astype(float)
    dy, ties = _sign_sums(y.astype(float), cell, g)
    sx = np.sign(x_cell[:, None] - x_cell[None, :])
    a = sx * dy
    bx = np.abs(sx) * np.outer(n, n)
    by = np.outer(n, n) - ties
    for m in (a, bx, by):
        np.fill_diagonal(m, 0.0)
    return Stratum(label=label, cluster=np.asarray(cluster_of_cell), a=a, bx=bx, by=by, sx=sx,
                   dy=dy)


def build(x: np.ndarray, y: np.ndarray, stratum: np.ndarray,
          cluster: np.ndarray) -> dict[object, Stratum]:
    """Kernels of every stratum (keyed by stratum code) from row arrays.

    `x` must be constant within a (stratum, cluster) cell; `cluster` holds global integer codes.
    """
    out = {}
    for s in np.unique(stratum):
        rows = np.flatnonzero(stratum == s)
        cells, cell = np.unique(cluster[rows], return_inverse=True)
        cell = cell.ravel()
        x_cell = np.zeros(len(cells))
        x_cell[cell] = x[rows]
        key = s.item() if hasattr(s, "item") else s
        out[key] = stratum_kernels(x_cell, y[rows], cell, cells, label=str(key))
    return out


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums of the three kernels over a set of strata, and the pooled tau-b."""

    num: float
    x2: float
    y2: float

    @property
    def tau(self) -> float:
        if self.x2 <= 0 or self.y2 <= 0:
            return float("nan")
        return float(np.clip(self.num / np.sqrt(self.x2 * self.y2), -1.0, 1.0))


def totals(strata: list[Stratum]) -> Totals:
    return Totals(num=float(sum(s.a.sum() for s in strata)),
                  x2=float(sum(s.bx.sum() for s in strata)),
                  y2=float(sum(s.by.sum() for s in strata)))


def linearised(st: Stratum, tot: Totals) -> np.ndarray:
    """Kernel of the first-order expansion of tau-b around the pooled totals `tot`."""
    d = np.sqrt(tot.x2 * tot.y2)
    return st.a / d - 0.5 * tot.tau * (st.bx / tot.x2 + st.by / tot.y2)


def ustat_variance(h: np.ndarray) -> float:
    """Unbiased variance of ``sum_{k != l} H[k, l]`` over n clusters drawn at random.

    Hoeffding's decomposition, ``n (n - 1) [4 (n - 2) zeta_1 + 2 zeta_2]`` with zeta_1, zeta_2
    and the squared mean estimated without bias from the pairs, triples and disjoint pairs of
    the sample; for n <= 3 the squared mean cannot be estimated and is taken as 0
    (conservative).
    """
    n = h.shape[0]
    if n < 2:
        return 0.0
    f = float((h * h).sum())
    r = h.sum(axis=1)
    t3 = float(r @ r) - f
    v = 4.0 * t3 + 2.0 * f
    if n >= 4:
        t4 = float(h.sum()) ** 2 - 4.0 * t3 - 2.0 * f
        v -= (4.0 * n - 6.0) * t4 / ((n - 2.0) * (n - 3.0))
    return v


def jackknife_variance(h: np.ndarray) -> float:
    """Delete-one-cluster jackknife variance of ``sum_{k != l} H[k, l]`` (0 for n < 3).

    Never negative and biased upward for a U-statistic (Efron & Stein 1981): the guard of
    `guarded_variance`, not an estimate of its own.
    """
    n = h.shape[0]
    if n < 3:
        return 0.0
    total = float(h.sum())
    trace = np.diag(h)
    left_out = total - h.sum(axis=1) - h.sum(axis=0) + trace  # the sum without cluster i
    u = left_out / ((n - 1.0) * (n - 2.0))
    var_u = (n - 1.0) / n * float(((u - u.mean()) ** 2).sum())
    return var_u * (n * (n - 1.0)) ** 2


#: `guarded_variance` uses the jackknife when the unbiased estimate is below this share of it.
JACKKNIFE_GUARD = 0.25


def guarded_variance(kernels: list[np.ndarray]) -> float:
    """Variance of the sum of independent blocks' kernel sums: the unbiased `ustat_variance`
    summed over the blocks, or the jackknife when that falls below `JACKKNIFE_GUARD` of it.

    The unbiased estimator subtracts an estimate of the squared mean; with a handful of circuits
    per stratum it is often negative in a block, and a sum over few blocks can come out at or
    near zero: an interval of zero width and a spurious "shown". The jackknife is never negative
    and errs on the large side, so the guard only widens intervals, and only where the unbiased
    estimate is implausibly small next to it.
    """
    unbiased = float(sum(ustat_variance(h) for h in kernels))
    jack = float(sum(jackknife_variance(h) for h in kernels))
    return unbiased if unbiased >= JACKKNIFE_GUARD * jack else jack


def block_df(size: float) -> float:
    """Degrees of freedom of the variance of one block of `size` circuits: ``(size - 1) / 2``,
    at least 1.

    The projections a U-statistic's variance is built from are estimated from the block's own
    pairs, so with a handful of circuits they carry the kernel's degenerate part and the
    variance has fewer degrees of freedom than a sample variance of ``size`` values. Measured on
    null simulations of the quick design (the regime test, 300 datasets, nominal 0.05): with
    ``size - 1`` per block it rejected 0.067, with one per block 0.027, with this rule 0.050
    (and 0.030 at r = 0.6 with less run noise).

    Examples
    --------
    >>> block_df(2), block_df(9)
    (1.0, 4.0)
    """
    return max((float(size) - 1.0) / 2.0, 1.0)


def satterthwaite_df(parts: list[float], sizes: list[float]) -> float:
    """Welch-Satterthwaite degrees of freedom of a sum of independent variance estimates, the
    one of block b with `block_df` ``(sizes[b])`` degrees of freedom.

    A sum dominated by a few small blocks has few degrees of freedom even when the design has
    many circuits. Negative (unbiased) block estimates count as 0.

    Examples
    --------
    >>> satterthwaite_df([1.0, 1.0], [9, 9]), round(satterthwaite_df([1.0, 0.0], [9, 99]), 6)
    (8.0, 4.0)
    """
    v = np.maximum(np.asarray(parts, dtype=float), 0.0)
    dfs = np.array([block_df(n) for n in sizes], dtype=float)
    denom = float((v**2 / dfs).sum())
    if not v.sum() > 0 or denom <= 0:
        return float(max(dfs.sum(), 1.0))
    return float(max(v.sum() ** 2 / denom, 1.0))


def guarded_variance_df(kernels: list[np.ndarray]) -> tuple[float, float]:
    """`guarded_variance` and its `satterthwaite_df` over the blocks."""
    unbiased = [ustat_variance(h) for h in kernels]
    jack = [jackknife_variance(h) for h in kernels]
    use = unbiased if sum(unbiased) >= JACKKNIFE_GUARD * sum(jack) else jack
    return float(sum(use)), satterthwaite_df(use, [h.shape[0] for h in kernels])


def null_variance(st: Stratum) -> float:
    """Variance of ``sum A`` when x is independent of y given the stratum (Daniels 1944).

    With ``A = a * b``, ``a = sign(x_k - x_l)`` and ``b`` the y sign sums, independence gives
    ``zeta_1 = E[a12 a13] E[b12 b13]`` and ``zeta_2 = E[a12^2] E[b12^2]``, each factor estimated
    without bias from its own pairs and triples. For Kendall's tau with one run per circuit it is
    the exact permutation variance ``2 (2n + 5) / (9 n (n - 1))`` of tau.
    """
    n = st.size
    if n < 2:
        return 0.0

    def moments(m: np.ndarray) -> tuple[float, float]:
        f = float((m * m).sum())
        r = m.sum(axis=1)
        return f, float(r @ r) - f

    fa, ta = moments(st.sx)
    fb, tb = moments(st.dy)
    v = 2.0 * fa * fb / (n * (n - 1.0))
    if n >= 3:
        v += 4.0 * ta * tb / (n * (n - 1.0) * (n - 2.0))
    return v


def quadratic_sums(strata: list[Stratum], counts: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(num, X2, Y2) per replicate (rows of `counts`, one count per global cluster)."""
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    out = [np.zeros(counts.shape[0]) for _ in range(3)]
    for st in strata:
        c = counts[:, st.cluster]
        for acc, m in zip(out, (st.a, st.bx, st.by), strict=True):
            acc += np.einsum("rk,rk->r", c @ m, c)
    return out[0], out[1], out[2]


def tau_of(num: np.ndarray, x2: np.ndarray, y2: np.ndarray) -> np.ndarray:
    """Elementwise tau-b from summed kernels; NaN where a denominator vanishes."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = num / np.sqrt(x2 * y2)
    t = np.where((x2 > 0) & (y2 > 0), t, np.nan)
    return np.clip(t, -1.0, 1.0)


def to_r(t: np.ndarray | float) -> np.ndarray | float:
    """Greiner's relation r = sin(pi tau / 2): tau on the scale of a Pearson correlation."""
    return np.sin(np.pi * np.asarray(t, dtype=float) / 2.0)


def dr_dtau(t: float) -> float:
    """Derivative of `to_r`."""
    return float(np.pi / 2.0 * np.cos(np.pi * t / 2.0))
