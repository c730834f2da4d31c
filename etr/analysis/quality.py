"""Doubtful data, found and handled explicitly: duplicates, non-finite and impossible values.

Realistic datasets hold rows an analysis must not use silently: a run written twice (a resumed
job), ``inf`` from a failed estimate, a negative variance from a numerical accident, an accuracy
outside [0, 1], a circuit with -3 qubits. `data_quality` lists them in a tidy table (which rows,
which column, what the analysis does); `clean` is what every analysis entry point of
`etr.analysis` applies first, and the counts it returns travel with the results (columns
``n_dropped`` and ``data_note``), so a report can say what was used.

Rules
-----
* Duplicates: rows repeating a ``cell_id`` (one run = one cell), or repeating every column when
  there is no ``cell_id``; the first row is kept.
* Non-finite: NaN, +inf, -inf in a numeric measure column; the row is left out of every analysis
  of that column. A value missing by design with its reason recorded (the registry's ``note``
  companion, e.g. ``theory_note`` beside ``predicted_loss_var``) is not doubtful.
* Impossible values: outside the range a column can take whatever the circuit, as the registry
  records it (`etr.contract.ALL_COLUMNS`, `VALID_RANGES`): a negative variance, a frame-potential
  ratio more than its stated number of standard errors below 1, fewer than one qubit, a PQC
  without layers. An impossible *measure* is set to NaN (missing for that column only); an
  impossible *design or run* value (``n_qubits``, ``layers``, parameter counts, ``seed``,
  ``shots``) drops the whole row, because the row cannot be placed in its stratum.
* Failed runs (``status`` other than ``"ok"``) are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from etr.analysis._common import pqc_rows
from etr.contract import ALL_COLUMNS, METRICS, Column, Range, interval_se
from etr.errors import InputError

__all__ = ["VALID_RANGES", "CleanedData", "clean", "data_quality", "removal"]


class _Ranges(Mapping[str, Range]):
    """column -> `etr.contract.Range` of every registered column with a bound (a view of the
    registry)."""

    def _dict(self) -> dict[str, Range]:
        return {k: c.valid for k, c in ALL_COLUMNS.items() if c.valid.bounded}

    def __getitem__(self, key: str) -> Range:
        return self._dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict())

    def __len__(self) -> int:
        return len(self._dict())


#: column -> its valid `etr.contract.Range` (bounded columns only), from the registry.
VALID_RANGES: Mapping[str, Range] = _Ranges()
#: at most this many row identifiers are named per line of the data-quality table.
ROWS_NAMED = 3

_COLUMNS = ["issue", "column", "training_config", "n_rows", "n_affected", "action", "detail",
            "rows"]
_ROW_ACTION, _VALUE_ACTION = "row dropped", "value ignored"


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


def _drops_row(column: Column) -> bool:
    """An impossible design or run value drops the row; an impossible measure only the value."""
    return column.group in ("id", "design", "run")


def _checked(data: pd.DataFrame) -> Iterator[tuple[str, Column, np.ndarray]]:
    """``(name, facts, numeric values)`` of every registered numeric column of `data`."""
    for col in data.columns:
        facts = ALL_COLUMNS.get(col)
        if facts is None or facts.dtype in ("string", "bool", "boolean"):
            continue
        if not pd.api.types.is_numeric_dtype(data[col]) or pd.api.types.is_bool_dtype(data[col]):
            continue
        yield col, facts, _numeric(data, col)


def _impossible(data: pd.DataFrame, col: str, values: np.ndarray) -> np.ndarray:
    """Rows of `data` whose value of `col` is outside its registered range (the control's own
    range on classical-only rows; an estimate's range widened by its standard errors)."""
    rng = ALL_COLUMNS[col].valid
    if not rng.bounded:
        return np.zeros(len(values), dtype=bool)
    bad = rng.bad(values, interval_se(data, col) if rng.se_slack else None)
    if rng.control is not None and "training_config" in data.columns:
        control = ~pqc_rows(data)
        bad = np.where(control, rng.control.bad(values), bad)
    return bad


def _detail(col: str) -> str:
    rng = ALL_COLUMNS[col].valid
    text = f"{rng.why} (valid: {rng.describe()})"
    if rng.control is not None:
        text += f"; classical-only control: {rng.control.describe()}"
    return text


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
    why = removal(data)
    dropped: dict[str, int] = {}
    for reason, label in (("failed run", "failed runs"), ("duplicated", "duplicated rows")):
        if (why == reason).any():
            dropped[label] = int((why == reason).sum())
    for reason, k in why[why.str.startswith("impossible ")].value_counts(sort=False).items():
        dropped[f"rows with {reason}"] = int(k)
    gone = (why != "").to_numpy()
    out = data[~gone].copy()
    for col, facts, values in _checked(out):
        if _drops_row(facts):
            continue
        inf = np.isinf(values)
        bad = _impossible(out, col, values)
        if bad.any():
            dropped[f"impossible {col}"] = int(bad.sum())
        inf |= bad
        if inf.any():
            out[col] = np.where(inf, np.nan, values)
    return CleanedData(data=out, dropped=dropped, removed=data[gone])


def removal(data: pd.DataFrame) -> pd.Series:
    """Why `clean` removes each row entirely: ``"failed run"``, ``"duplicated"``,
    ``"impossible <column>"`` (the first design or run column out of its range) or ``""``
    (kept). Reasons are assigned in that order.

    Examples
    --------
    >>> df = pd.DataFrame({"cell_id": ["a", "a", "b", "c"], "n_qubits": [2, 2, 0, 3],
    ...                    "status": ["ok", "ok", "ok", "failed"]})
    >>> removal(df).tolist()
    ['', 'duplicated', 'impossible n_qubits', 'failed run']
    """
    data = _check(data)
    why = np.full(len(data), "", dtype=object)
    failed = _failed(data).to_numpy(dtype=bool)
    why[failed] = "failed run"
    dup, _ = _duplicates(data[~failed])
    why[np.flatnonzero(~failed)[dup.to_numpy(dtype=bool)]] = "duplicated"
    for col, facts, values in _checked(data):
        if _drops_row(facts):
            why[_impossible(data, col, values) & (why == "")] = f"impossible {col}"
    return pd.Series(why, index=data.index, dtype=object)


def _explained(data: pd.DataFrame, col: str) -> np.ndarray:
    """Rows whose missing `col` is explained by its note column (the registry's ``note``
    companion: e.g. the Ragone et al. prediction where the formula does not apply, the reason
    in ``theory_note``), and rows where the column is not measured at all: a finite-shot
    diagnostic (`etr.contract.Metric.needs_shots`, e.g. ``grad_snr``) on an exact run."""
    m = METRICS.get(col)
    out = np.zeros(len(data), dtype=bool)
    if m is not None and m.needs_shots and "shots" in data.columns:
        out |= pd.to_numeric(data["shots"], errors="coerce").isna().to_numpy()
    note = m.note if m is not None else None
    if note is None or note not in data.columns:
        return out
    text = data[note].astype(object)
    return out | (text.notna() & (text.astype(str).str.strip() != "")).to_numpy(dtype=bool)


def _row_names(data: pd.DataFrame, mask: np.ndarray) -> str:
    """The first `ROWS_NAMED` affected rows by ``cell_id`` (else by row number), and how many
    more."""
    idx = np.flatnonzero(mask)
    if "cell_id" in data.columns and data["cell_id"].notna().any():
        names = [str(v) for v in data["cell_id"].astype(object).to_numpy()[idx[:ROWS_NAMED]]]
    else:
        names = [f"row {i}" for i in idx[:ROWS_NAMED]]
    more = len(idx) - len(names)
    return ", ".join(names) + (f" (+{more} more)" if more > 0 else "")


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
        "value ignored"), ``detail`` (the rule, with the valid range) and ``rows`` (the first
        `ROWS_NAMED` affected rows by ``cell_id``, else by row number, and how many more).
        Only issues that occur are listed; an empty table means nothing doubtful was found.
        Counts of non-finite and impossible measures are taken after failed runs, duplicates
        and rows with an impossible design value are removed; non-finite counts do not
        include impossible values, nor values missing by design with their reason recorded (a
        ``predicted_loss_var`` that is NaN with a ``theory_note``).

    Raises
    ------
    etr.errors.InputError
        `data` is not a DataFrame.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"training_config": ["pure_pqc"] * 3,
    ...                    "n_qubits": [2, -3, 2],
    ...                    "grad_var": [1e-3, 1e-3, np.inf],
    ...                    "test_accuracy": [0.9, 0.7, 1.2]})
    >>> data_quality(df)[["issue", "column", "n_affected", "action", "rows"]]
                  issue         column  n_affected         action   rows
    0  impossible value       n_qubits           1    row dropped  row 1
    1        non-finite       grad_var           1  value ignored  row 2
    2  impossible value  test_accuracy           1  value ignored  row 2
    """
    data = _check(data)
    config = (data["training_config"].astype(object).fillna("").astype(str)
              if "training_config" in data.columns else pd.Series("", index=data.index))
    sizes = config.value_counts()
    rows: list[dict] = []

    def add(issue: str, column: str, mask: pd.Series | np.ndarray, action: str,
            detail: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        for cfg in config[mask].value_counts(sort=False).index:
            hit = mask & (config == cfg).to_numpy()
            rows.append({"issue": issue, "column": column, "training_config": cfg,
                         "n_rows": int(sizes[cfg]), "n_affected": int(hit.sum()),
                         "action": action, "detail": detail, "rows": _row_names(data, hit)})

    why = removal(data)
    add("failed run", "", why == "failed run", _ROW_ACTION, "status is not 'ok'")
    kind = ("duplicated cell_id" if "cell_id" in data.columns and data["cell_id"].notna().any()
            else "duplicated row")
    add(kind, "", why == "duplicated", _ROW_ACTION, "a repeated run; the first row is kept")
    checked = list(_checked(data))
    earlier = why.isin(["failed run", "duplicated"]).to_numpy()
    for col, facts, values in checked:
        if _drops_row(facts):
            add("impossible value", col, _impossible(data, col, values) & ~earlier, _ROW_ACTION,
                _detail(col))
    keep = (why == "").to_numpy()
    for col, facts, values in checked:
        if _drops_row(facts) or facts.group != "measure":
            continue
        finite = np.isfinite(values)
        # a column never finite within a configuration was not measured there (e.g. the
        # expressibility of the classical-only control): not doubtful
        measured = pd.Series(finite & keep, index=data.index).groupby(config).transform("any")
        add("non-finite", col, ~finite & keep & measured.to_numpy() & ~_explained(data, col),
            _VALUE_ACTION, "NaN or infinite in a configuration where the column is measured")
        add("impossible value", col, _impossible(data, col, values) & keep, _VALUE_ACTION,
            _detail(col))
    out = pd.DataFrame(rows, columns=_COLUMNS)
    order = {"failed run": 0, "duplicated cell_id": 1, "duplicated row": 1, "non-finite": 2,
             "impossible value": 3}
    out["_o"] = out["issue"].map(order)
    out["_c"] = out["column"].map({c: i for i, c in enumerate(data.columns)}).fillna(-1)
    out = out.sort_values(["_c", "_o", "training_config"], kind="stable")
    return out.drop(columns=["_o", "_c"]).reset_index(drop=True)
