"""Pareto fronts and hypervolume: exact, dependency-free, tested against brute force.

Everything here works in *minimisation* space: a point ``a`` dominates ``b`` when ``a <= b`` in
every objective and ``a < b`` in at least one. Objectives to maximise are negated first
(`to_minimisation`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from etr.errors import InputError

__all__ = [
    "hypervolume",
    "hypervolume_curve",
    "non_dominated",
    "to_minimisation",
]


def _as_points(values: object, name: str = "values") -> np.ndarray:
    pts = np.asarray(values, dtype=float)
    if pts.ndim == 1:
        pts = pts[:, None] if pts.size else pts.reshape(0, 1)
    if pts.ndim != 2:
        raise InputError(f"`{name}` must be a 2-D array (points x objectives), got {pts.ndim}-D")
    return pts


def to_minimisation(values: object, directions: Sequence[str]) -> np.ndarray:
    """Negate the columns whose direction is ``"maximize"``.

    Examples
    --------
    >>> to_minimisation([[1.0, 2.0]], ["minimize", "maximize"]).tolist()
    [[1.0, -2.0]]
    """
    pts = _as_points(values).copy()
    if pts.shape[1] != len(directions):
        raise InputError(
            f"`directions` has {len(directions)} entries for {pts.shape[1]} objective columns"
        )
    for j, d in enumerate(directions):
        if d not in ("minimize", "maximize"):
            raise InputError(f"`directions` must hold 'minimize' or 'maximize', got {d!r}")
        if d == "maximize":
            pts[:, j] = -pts[:, j]
    return pts


def non_dominated(values: object) -> np.ndarray:
    """Boolean mask of the non-dominated rows of `values` (minimisation).

    Exact O(n^2 m). Rows holding NaN are never on the front and never dominate. Duplicate rows do
    not dominate each other, so all copies of a non-dominated point are kept.

    Examples
    --------
    >>> non_dominated([[1, 2], [2, 1], [2, 2], [1, 2]]).tolist()
    [True, True, False, True]
    """
    pts = _as_points(values)
    ok = ~np.isnan(pts).any(axis=1)
    mask = ok.copy()
    valid = pts[ok]
    idx = np.flatnonzero(ok)
    for k, i in enumerate(idx):
        le = (valid <= valid[k]).all(axis=1)
        lt = (valid < valid[k]).any(axis=1)
        if (le & lt).any():
            mask[i] = False
    return mask


def hypervolume(values: object, reference: Sequence[float]) -> float:
    """Exact hypervolume dominated by `values` and bounded by `reference` (minimisation).

    The volume of the union of boxes ``[p, reference]`` over points ``p`` strictly better than the
    reference in every objective. Computed by slicing along the last objective (HSO; While et al.
    2006) down to an O(n log n) sweep in two dimensions; exact for any number of objectives and
    fast enough for the few hundred points of an architecture search.

    Examples
    --------
    >>> hypervolume([[1, 2], [2, 1]], [3, 3])
    3.0
    >>> hypervolume(np.empty((0, 2)), [1, 1])
    0.0
    """
    pts = _as_points(values)
    ref = np.asarray(reference, dtype=float)
    if ref.shape != (pts.shape[1],):
        raise InputError(
            f"`reference` must have {pts.shape[1]} entries (one per objective), got {ref.size}"
        )
    if not np.isfinite(ref).all():
        raise InputError("`reference` must be finite")
    pts = pts[~np.isnan(pts).any(axis=1)]
    pts = pts[(pts < ref).all(axis=1)]
    if len(pts) == 0:
        return 0.0
    return float(_hv(np.unique(pts, axis=0), ref))


def _hv(pts: np.ndarray, ref: np.ndarray) -> float:
    m = pts.shape[1]
    if m == 1:
        return float(ref[0] - pts[:, 0].min())
    pts = pts[non_dominated(pts)]
    if m == 2:
        order = np.argsort(pts[:, 0], kind="stable")
        p = pts[order]
        # non-dominated in 2-D sorted by x ascending -> y strictly descending
        xs = np.append(p[1:, 0], ref[0])
        return float(np.sum((xs - p[:, 0]) * (ref[1] - p[:, 1])))
    order = np.argsort(pts[:, -1], kind="stable")
    p = pts[order]
    total = 0.0
    for i in range(len(p)):
        upper = p[i + 1, -1] if i + 1 < len(p) else ref[-1]
        depth = upper - p[i, -1]
        if depth > 0:
            total += _hv(p[: i + 1, :-1], ref[:-1]) * depth
    return total


def hypervolume_curve(values: object, reference: Sequence[float]) -> np.ndarray:
    """Hypervolume of the first k points for k = 1..n (rows in evaluation order).

    Examples
    --------
    >>> hypervolume_curve([[2, 2], [1, 1], [3, 0]], [4, 4]).tolist()
    [4.0, 9.0, 10.0]
    """
    pts = _as_points(values)
    out = np.zeros(len(pts))
    front = np.empty((0, pts.shape[1]))
    current = 0.0
    for k in range(len(pts)):
        row = pts[k : k + 1]
        if not np.isnan(row).any():
            cand = np.vstack([front, row])
            front = cand[non_dominated(cand)]
            current = hypervolume(front, reference)
        out[k] = current
    return out
