"""Shared helpers of `etr.analysis`: column checks, cleaning, transforms, p-value adjustment."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from etr._validation import check_choice
from etr.errors import DegenerateDataWarning, InputError

P_ADJUST: tuple[str, ...] = ("holm", "bh", "none")
TRANSFORMS: tuple[str, ...] = ("log10", "none")
MIN_CLUSTERS = 3


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


def degenerate(label: str, reason: str) -> None:
    """Warn that a group's row is NaN."""
    warnings.warn(f"{label}: {reason}; its row is NaN", DegenerateDataWarning, stacklevel=3)


def group_label(by: Sequence[str], key: tuple) -> str:
    if not by:
        return "all data"
    return "group " + ", ".join(f"{b}={k}" for b, k in zip(by, key, strict=True))


def iter_groups(data: pd.DataFrame, by: Sequence[str]):
    """Yield (key tuple, sub-frame) in sorted order; one group (``()``) when `by` is empty."""
    if not by:
        yield (), data
        return
    for key, sub in data.groupby(list(by), sort=True, observed=True, dropna=True):
        yield (key if isinstance(key, tuple) else (key,)), sub
