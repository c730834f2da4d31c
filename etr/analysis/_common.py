"""Shared helpers of `etr.analysis`: column and option checks, cleaning, transforms, p-value
adjustment."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from etr._validation import check_choice, check_float
from etr.contract import CONFIGS, METRICS
from etr.errors import DegenerateDataWarning, InputError

P_ADJUST: tuple[str, ...] = ("holm", "bh", "none")
TRANSFORMS: tuple[str, ...] = ("log10", "none")
MIN_CLUSTERS = 3
#: confidence levels every analysis function accepts (below 0.5 a two-sided interval would
#: cover less than its complement).
CONFIDENCE_RANGE: tuple[float, float] = (0.5, 0.999999)
#: allowed family-wise error rates (a claim's, a registry's, a table's Holm adjustment).
ALPHA_RANGE: tuple[float, float] = (1e-6, 0.5)


def as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """`None` -> (), a string -> (string,), a sequence -> tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def check_frame(data: object, columns: Iterable[str | None], numeric: Iterable[str]) -> None:
    """Raise `InputError` if `data` is not a DataFrame, misses columns (named) or a numeric one."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    wanted = [c for c in dict.fromkeys(columns) if c is not None]
    missing = [c for c in wanted if c not in data.columns]
    if missing:
        raise InputError(f"`data` is missing column(s): {', '.join(missing)}")
    for col in numeric:
        series = data[col]
        if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
            raise InputError(f"column `{col}` must be numeric, got dtype {series.dtype}")


def check_confidence(value: object) -> float:
    """`value` as a float within `CONFIDENCE_RANGE`; `InputError` naming `confidence` otherwise.

    One bound for every analysis function: a level one of them accepts, all of them accept.

    Examples
    --------
    >>> check_confidence(0.95)
    0.95
    >>> check_confidence(2)
    Traceback (most recent call last):
    ...
    etr.errors.InputError: `confidence` must be <= 0.999999, got 2.0
    """
    low, high = CONFIDENCE_RANGE
    return check_float("confidence", value, low=low, high=high)


def check_alpha(value: object, name: str = "alpha",
                error: type[InputError] = InputError) -> float:
    """`value` as a float within `ALPHA_RANGE`; `error` naming `name` otherwise (`SpecError`
    for a claims registry).

    Examples
    --------
    >>> check_alpha(0.05)
    0.05
    """
    low, high = ALPHA_RANGE
    return check_float(name, value, low=low, high=high, error=error)


def finite_columns(data: pd.DataFrame, names: Iterable[str]) -> list[str]:
    """The `names` that are columns of `data` with at least one finite value, in order: the
    definitions an analysis can estimate when none are named.

    Examples
    --------
    >>> finite_columns(pd.DataFrame({"a": [np.nan, 1.0], "b": [np.nan, np.inf]}), ["b", "a", "c"])
    ['a']
    """
    return [c for c in names if c in data.columns
            and np.isfinite(pd.to_numeric(data[c], errors="coerce")).any()]


def pqc_rows(data: pd.DataFrame) -> np.ndarray:
    """Boolean mask of the rows of `data` whose ``training_config`` trains a PQC.

    Only a registered configuration without one (`etr.contract.CONFIGS`: the classical-only
    control) is left out; an unregistered or missing configuration counts as one with a PQC,
    so that no quantum run is dropped for a name the registry does not know.

    Examples
    --------
    >>> pqc_rows(pd.DataFrame({"training_config": ["pure_pqc", "classical_only", "new"]}))
    array([ True, False,  True])
    """
    return data["training_config"].astype(str).map(
        lambda c: CONFIGS[c].has_pqc if c in CONFIGS else True).to_numpy(dtype=bool)


def pqc_configs(data: pd.DataFrame, configs: Sequence[str] | str | None) -> list[str]:
    """The configurations of `configs` (default: the registry's, in its order) that train a PQC
    and hold runs in `data`; an unregistered one present counts as one with a PQC.

    Examples
    --------
    >>> d = pd.DataFrame({"training_config": ["hybrid_full", "pure_pqc", "classical_only"]})
    >>> pqc_configs(d, None)
    ['pure_pqc', 'hybrid_full']
    """
    present = set(data["training_config"].dropna().astype(str))
    order = as_tuple(configs) if configs is not None else tuple(CONFIGS)
    return [c for c in order if c in present and (c not in CONFIGS or CONFIGS[c].has_pqc)]


def registry_transform(name: str, value: str | None, column: str) -> str:
    """`value` checked against `TRANSFORMS`; None reads ``log_scale`` of `column` from
    `etr.contract.METRICS` ("none" for an unregistered column)."""
    if value is None:
        return "log10" if column in METRICS and METRICS[column].log_scale else "none"
    check_choice(name, value, TRANSFORMS)
    return value


def transform(values: np.ndarray, how: str) -> np.ndarray:
    """Apply `how` ('log10' or 'none'); non-positive values become NaN under log10."""
    values = np.asarray(values, dtype=float)
    if how == "log10":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)), np.nan)
    return values


def prepare(data: pd.DataFrame, numeric: Sequence[str], keep: Sequence[str | None],
            transform_y: tuple[str, str] | None = None,
            transform_x: tuple[str, str] | None = None) -> pd.DataFrame:
    """Copy of the used columns, numeric ones as float (optionally transformed), plus ``_ok``.

    ``_ok`` is False for rows with NaN/inf in a numeric column or a missing value in a `keep`
    column; callers drop those rows and count them (``n_dropped``). `transform_y` and
    `transform_x` are ``(column, how)``.
    """
    cols = list(dict.fromkeys([c for c in (*keep, *numeric) if c is not None]))
    out = data[cols].copy().reset_index(drop=True)
    for col in numeric:
        out[col] = out[col].astype("float64")
    for spec in (transform_y, transform_x):
        if spec is not None:
            col, how = spec
            out[col] = transform(out[col].to_numpy(), how)
    ok = np.ones(len(out), dtype=bool)
    for col in numeric:
        ok &= np.isfinite(out[col].to_numpy())
    for col in keep:
        if col is not None and col not in numeric:
            ok &= out[col].notna().to_numpy()
    out["_ok"] = ok
    return out


def adjust(p: Sequence[float], how: str) -> np.ndarray:
    """Holm / Benjamini-Hochberg adjusted p-values (NaN entries stay NaN and are not counted)."""
    check_choice("p_adjust", how, P_ADJUST)
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if how == "none":
        out[ok] = p[ok]
    elif ok.any():
        out[ok] = multipletests(p[ok], method="holm" if how == "holm" else "fdr_bh")[1]
    return out


def degenerate(label: str, reason: str, *, stacklevel: int = 3) -> None:
    """Warn that a group's row is NaN.

    `stacklevel` as for `warnings.warn`: the default names the line that called the function
    calling `degenerate`, i.e. the user's call of a public analysis function.
    """
    warnings.warn(f"{label}: {reason}; its row is NaN", DegenerateDataWarning,
                  stacklevel=stacklevel)


def group_label(by: Sequence[str], key: tuple) -> str:
    if not by:
        return "all data"
    return "group " + ", ".join(f"{b}={k}" for b, k in zip(by, key, strict=True))


class Group(NamedTuple):
    """One group of `iter_groups`: its key, the key as ``{column: value}`` (the first cells of
    the group's output row, a new dict per group), its name in a warning, and its rows."""

    key: tuple
    values: dict
    label: str
    data: pd.DataFrame


def iter_groups(data: pd.DataFrame, by: Sequence[str]) -> Iterator[Group]:
    """Yield the groups of `data` by the columns `by` in sorted order; one group (key ``()``,
    "all data") when `by` is empty.

    Every table of `etr.analysis` is built one group at a time, starts each row with the
    group's values and names a degenerate group in its warning; the group brings both, so a
    table and its warnings name groups one way.

    Examples
    --------
    >>> df = pd.DataFrame({"g": ["b", "a", "b"], "v": [1, 2, 3]})
    >>> [(g.values, g.label, len(g.data)) for g in iter_groups(df, ("g",))]
    [({'g': 'a'}, 'group g=a', 1), ({'g': 'b'}, 'group g=b', 2)]
    """
    if not by:
        yield Group((), {}, group_label(by, ()), data)
        return
    for key, sub in data.groupby(list(by), sort=True, observed=True, dropna=True):
        key = key if isinstance(key, tuple) else (key,)
        yield Group(key, dict(zip(by, key, strict=True)), group_label(by, key), sub)


def cluster_means(data: pd.DataFrame, columns: Sequence[str],
                  cluster: str | None) -> pd.DataFrame:
    """The mean of `columns` per level of `cluster` (sorted), or the rows themselves when
    `cluster` is None.

    A circuit's runs share its x and are not independent; a test or a fit that needs
    independent points takes one point per circuit.

    Examples
    --------
    >>> df = pd.DataFrame({"c": ["b", "a", "b"], "x": [1.0, 2.0, 3.0]})
    >>> cluster_means(df, ["x"], "c")["x"].tolist()
    [2.0, 2.0]
    """
    if cluster is None:
        return data[list(columns)]
    return data.groupby(cluster, observed=True)[list(columns)].mean()


def degenerate_reason(x: np.ndarray, y: np.ndarray, n_clusters: int,
                      min_clusters: int = MIN_CLUSTERS) -> str | None:
    """Why `x` and `y` support no rank correlation or fit, or None: fewer than `min_clusters`
    clusters or 3 rows, or a constant column.

    Examples
    --------
    >>> degenerate_reason(np.arange(4.0), np.ones(4), 4)
    'y is constant'
    >>> degenerate_reason(np.arange(4.0), np.arange(4.0), 2)
    '2 cluster(s), fewer than 3'
    """
    if n_clusters < min_clusters:
        return f"{n_clusters} cluster(s), fewer than {min_clusters}"
    if len(x) < 3:
        return f"{len(x)} usable row(s), fewer than 3"
    if np.ptp(x) == 0:
        return "x is constant"
    if np.ptp(y) == 0:
        return "y is constant"
    return None


#: columns that identify "the same run" across training configurations: the architecture and
#: the replicate, on one task instance at one shot level (a (architecture_id, seed) pair repeats
#: across tasks and shot levels).
RUN_KEYS: tuple[str, ...] = ("architecture_id", "seed", "task", "task_id", "shots")


def shared_levels(data: pd.DataFrame, y: str, by: str = "training_config") -> dict[str, str]:
    """Levels of `by` whose `y` repeats another level's `y` on every matched run.

    Runs are matched on the `RUN_KEYS` present (at least ``architecture_id`` and ``seed``); a
    level whose every run equals the run of an earlier level (contract order for
    configurations) is one measurement taken twice, e.g. ``grad_var`` at initialisation under
    the two hybrid configurations. Returns level -> the level it repeats (empty without those
    key columns or when nothing repeats).

    Examples
    --------
    >>> d = pd.DataFrame({"architecture_id": ["a", "b", "c"] * 4, "seed": 0,
    ...                   "task": ["s"] * 6 + ["t"] * 6,
    ...                   "training_config": (["hybrid_quantum_only"] * 3
    ...                                       + ["hybrid_full"] * 3) * 2,
    ...                   "grad_var": [1.0, 2.0, 3.0] * 2 + [4.0, 5.0, 6.0] * 2})
    >>> shared_levels(d, "grad_var")
    {'hybrid_full': 'hybrid_quantum_only'}
    """
    keys = [c for c in RUN_KEYS if c in data.columns]
    if not {"architecture_id", "seed"} <= set(keys) or by not in data.columns \
            or y not in data.columns:
        return {}
    table = pd.DataFrame({"_by": data[by].astype(str).to_numpy(),
                          "_y": pd.to_numeric(data[y], errors="coerce").to_numpy(dtype=float),
                          **{k: data[k].astype(str).to_numpy() for k in keys}})
    table = table[np.isfinite(table["_y"])]
    order = {c: i for i, c in enumerate(CONFIGS)}
    levels = sorted(table["_by"].unique(), key=lambda v: (order.get(v, len(order)), v))
    series = {lv: table[table["_by"] == lv].set_index(keys)["_y"] for lv in levels}
    shared: dict[str, str] = {}
    for i, a in enumerate(levels):
        if a in shared or not series[a].index.is_unique:
            continue
        for b in levels[i + 1:]:
            yb = series[b]
            if b in shared or not yb.index.is_unique:
                continue
            common = series[a].index.intersection(yb.index)
            if (len(common) >= 3 and len(common) == len(yb)
                    and np.allclose(series[a][common], yb[common], rtol=1e-12, atol=0.0)):
                shared[b] = a
    return shared
