"""Doubtful data, found and handled explicitly: duplicates, non-finite and impossible values.

Realistic datasets hold rows an analysis must not use silently: a run written twice (a resumed
job), ``inf`` from a failed estimate, a negative variance from a numerical accident, an accuracy
outside [0, 1]. `data_quality` lists them in a tidy table; `clean` is what every analysis entry
point of `etr.analysis` applies first, and the counts it returns travel with the results (columns
``n_dropped`` and ``data_note``), so a report can say what was used.

Rules
-----
* Duplicates: rows repeating a ``cell_id`` (one run = one cell), or repeating every column when
  there is no ``cell_id``; the first row is kept.
* Non-finite: NaN, +inf, -inf in a numeric metric column; the row is left out of every analysis
  of that column.
* Impossible values (`VALID_RANGES`): outside the range a measure can take whatever the circuit,
  e.g. a negative variance. They are set to NaN (so they count as missing for that column only).
  The registry (`etr.contract.METRICS`) records direction and scale but not ranges; the table
  here is the one place ranges live.
* Failed runs (``status`` other than ``"ok"``) are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from etr.errors import InputError

__all__ = ["VALID_RANGES", "CleanedData", "clean", "data_quality"]

_V = "a variance cannot be negative"
#: column -> (low, high, why); None = unbounded on that side. Bounds are inclusive.
VALID_RANGES: dict[str, tuple[float | None, float | None, str]] = {
    "grad_var": (0.0, None, _V),
    "grad_var_train": (0.0, None, _V),
    "grad_var_landscape": (0.0, None, _V),
    "grad_var_readout": (0.0, None, _V),
    "loss_var": (0.0, None, _V),
    "predicted_loss_var": (0.0, None, _V),
    "grad_norm": (0.0, None, "an RMS gradient cannot be negative"),
    "expressibility_fp": (0.0, None, "a frame-potential ratio cannot be negative"),
    "expressibility_kl": (0.0, None, "a plug-in KL divergence cannot be negative"),
    "expressibility_eps": (0.0, None, "a norm cannot be negative"),
    "entangling_capability": (0.0, 1.0, "Meyer-Wallach Q lies in [0, 1]"),
    # not <= 1: at finite n, d_eff / d reaches log(1 + kappa) / log(kappa) > 1 for a
    # well-conditioned Fisher (Abbas et al. 2021; see etr.metrics.effective_dimension)
    "effective_dimension": (0.0, None, "an effective dimension cannot be negative"),
    "test_accuracy": (0.0, 1.0, "an accuracy lies in [0, 1]"),
    "loss_decrease": (None, 1.0, "(L0 - LT) / L0 cannot exceed 1 for a non-negative loss"),
    "steps_to_target": (0.0, None, "a step count cannot be negative"),
    "final_loss": (0.0, None, "the training losses are non-negative"),
    "qfim_rank": (0.0, None, "a rank cannot be negative"),
    "dla_dim": (0.0, None, "a dimension cannot be negative"),
}

_COLUMNS = ["issue", "column", "training_config", "n_rows", "n_affected", "action", "detail"]


@dataclass(frozen=True, slots=True)
class CleanedData:
    """Result of `clean`: the rows to analyse and what was done to get them.

    Attributes
    ----------
    data : pandas.DataFrame
        Rows kept (failed runs and duplicates removed), impossible values set to NaN.
    dropped : dict
        ``{"duplicated rows": k, "failed runs": k, "impossible <column>": k, ...}``, only
        non-zero entries.
    removed : pandas.DataFrame
        The rows removed entirely (failed runs, duplicates), to count them per group.
    """

    data: pd.DataFrame
    dropped: dict[str, int] = field(default_factory=dict)
    removed: pd.DataFrame | None = None

    def note(self, columns: Iterable[str] = ()) -> str:
        """One line naming what was removed for an analysis of `columns` ("" if nothing)."""
        cols = set(columns)
        parts = [f"{k} {name}" for name, k in self.dropped.items()
                 if not name.startswith("impossible ") or name.split(" ", 1)[1] in cols]
        return "; ".join(parts)

    def n_removed(self, by: Iterable[str] = (), key: Iterable[object] | None = None) -> int:
        """Rows removed entirely, in total or in the group `key` of the columns `by`.

        Impossible values are not counted here: they are NaN in `data`, and each analysis
        counts the rows it cannot use.
        """
        if self.removed is None or not len(self.removed):
            return 0
        by = list(by)
        if not by or key is None:
            return len(self.removed)
        mask = np.ones(len(self.removed), dtype=bool)
        for col, value in zip(by, key, strict=True):
            if col not in self.removed.columns:
                return 0
            mask &= self.removed[col].astype(str).to_numpy() == str(value)
        return int(mask.sum())


def _check(data: object) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    return data


def _duplicates(data: pd.DataFrame) -> tuple[pd.Series, str]:
    if "cell_id" in data.columns and data["cell_id"].notna().any():
        ids = data["cell_id"].astype(object)
        return ids.notna() & ids.duplicated(keep="first"), "duplicated cell_id"
    hashed = pd.util.hash_pandas_object(data.astype(object).astype(str), index=False)
    return hashed.duplicated(keep="first"), "duplicated row"


def _failed(data: pd.DataFrame) -> pd.Series:
    if "status" not in data.columns:
        return pd.Series(False, index=data.index)
    status = data["status"].astype(object)
    return status.notna() & (status.astype(str) != "ok")


def _numeric(data: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)


def _impossible(values: np.ndarray, col: str) -> np.ndarray:
    low, high, _ = VALID_RANGES[col]
    bad = np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        if low is not None:
            bad |= values < low
        if high is not None:
            bad |= values > high
    return bad & np.isfinite(values)


def clean(data: pd.DataFrame) -> CleanedData:
    """Remove failed runs and duplicates, set impossible values to NaN, and count both.

    Non-finite values are left in place (each analysis drops the rows it cannot use and counts
    them in its own ``n_dropped``); ``inf`` becomes NaN so that no estimate sees it.

    Parameters
    ----------
    data : pandas.DataFrame
        A dataset following `etr.contract`.

    Returns
    -------
    CleanedData
        The rows to analyse and the counts of what was removed.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"cell_id": ["a", "a", "b"], "grad_var": [1e-3, 1e-3, -2e-4]})
    >>> out = clean(df)
    >>> len(out.data), out.dropped
    (2, {'duplicated rows': 1, 'impossible grad_var': 1})
    """
    data = _check(data)
    dropped: dict[str, int] = {}
    failed = _failed(data)
    if failed.any():
        dropped["failed runs"] = int(failed.sum())
    out = data[~failed.to_numpy()]
    dup, _ = _duplicates(out)
    if dup.any():
        dropped["duplicated rows"] = int(dup.sum())
    removed = pd.concat([data[failed.to_numpy()], out[dup.to_numpy()]])
    out = out[~dup.to_numpy()].copy()
    for col in out.columns:
        if col not in VALID_RANGES and not col.startswith("expressibility_"):
            continue
        if not pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col]):
            continue
        values = _numeric(out, col)
        inf = np.isinf(values)
        if col in VALID_RANGES:
            bad = _impossible(values, col)
            if bad.any():
                dropped[f"impossible {col}"] = int(bad.sum())
            inf |= bad
        if inf.any():
            out[col] = np.where(inf, np.nan, values)
    return CleanedData(data=out, dropped=dropped, removed=removed)


#: columns whose missing value is explained by a note column (missing by design, not doubtful).
EXPLAINED_BY: dict[str, str] = {"predicted_loss_var": "theory_note"}


def _explained(data: pd.DataFrame, col: str) -> np.ndarray:
    """Rows whose missing `col` is explained by its note column (e.g. the Ragone et al.
    prediction where the formula does not apply, the reason in ``theory_note``)."""
    note = EXPLAINED_BY.get(col)
    if note is None or note not in data.columns:
        return np.zeros(len(data), dtype=bool)
    text = data[note].astype(object)
    return (text.notna() & (text.astype(str).str.strip() != "")).to_numpy(dtype=bool)


def data_quality(data: pd.DataFrame) -> pd.DataFrame:
    """Tidy table of doubtful rows and values, by issue, column and training configuration.

    Parameters
    ----------
    data : pandas.DataFrame
        A dataset following `etr.contract` (any subset of its columns).

    Returns
    -------
    pandas.DataFrame
        Columns ``issue`` ("failed run", "duplicated cell_id" or "duplicated row",
        "non-finite", "impossible value"), ``column`` (the affected column; "" for row
        issues), ``training_config`` ("" without that column), ``n_rows`` (rows of that
        configuration), ``n_affected``, ``action`` (what the analyses do: "row dropped",
        "value ignored") and ``detail`` (the rule). Only issues that occur are listed; an
        empty table means nothing doubtful was found. Non-finite counts are taken after
        failed runs and duplicates are removed and do not include impossible values, nor
        values missing by design with their reason recorded (`EXPLAINED_BY`: a
        ``predicted_loss_var`` that is NaN with a ``theory_note``).

    Raises
    ------
    etr.errors.InputError
        `data` is not a DataFrame.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"training_config": ["pure_pqc"] * 3,
    ...                    "grad_var": [1e-3, -2e-4, np.inf],
    ...                    "test_accuracy": [0.9, 1.2, 0.8]})
    >>> data_quality(df)[["issue", "column", "n_affected"]]
                  issue         column  n_affected
    0        non-finite       grad_var           1
    1  impossible value       grad_var           1
    2  impossible value  test_accuracy           1
    """
    data = _check(data)
    config = (data["training_config"].astype(object).fillna("").astype(str)
              if "training_config" in data.columns else pd.Series("", index=data.index))
    sizes = config.value_counts()
    rows: list[dict] = []

    def add(issue: str, column: str, mask: pd.Series | np.ndarray, action: str,
            detail: str) -> None:
        mask = pd.Series(np.asarray(mask, dtype=bool), index=data.index)
        for cfg, k in config[mask].value_counts(sort=False).items():
            rows.append({"issue": issue, "column": column, "training_config": cfg,
                         "n_rows": int(sizes[cfg]), "n_affected": int(k), "action": action,
                         "detail": detail})

    failed = _failed(data)
    add("failed run", "", failed, "row dropped", "status is not 'ok'")
    dup, kind = _duplicates(data[~failed])
    add(kind, "", dup.reindex(data.index, fill_value=False), "row dropped",
        "a repeated run; the first row is kept")
    keep = (~(failed | dup.reindex(data.index, fill_value=False))).to_numpy()
    for col in data.columns:
        if not (col in VALID_RANGES or col.startswith("expressibility_")):
            continue
        if not pd.api.types.is_numeric_dtype(data[col]) or pd.api.types.is_bool_dtype(data[col]):
            continue
        values = _numeric(data, col)
        finite = np.isfinite(values)
        # a column never finite within a configuration was not measured there (e.g. the
        # expressibility of the classical-only control): not doubtful
        measured = pd.Series(finite & keep, index=data.index).groupby(config).transform("any")
        add("non-finite", col, ~finite & keep & measured.to_numpy() & ~_explained(data, col),
            "value ignored", "NaN or infinite in a configuration where the column is measured")
        if col in VALID_RANGES:
            add("impossible value", col, _impossible(values, col) & keep, "value ignored",
                VALID_RANGES[col][2])
    out = pd.DataFrame(rows, columns=_COLUMNS)
    order = {"failed run": 0, "duplicated cell_id": 1, "duplicated row": 1, "non-finite": 2,
             "impossible value": 3}
    out["_o"] = out["issue"].map(order)
    out["_c"] = out["column"].map({c: i for i, c in enumerate(data.columns)}).fillna(-1)
    out = out.sort_values(["_c", "_o", "training_config"], kind="stable")
    return out.drop(columns=["_o", "_c"]).reset_index(drop=True)
