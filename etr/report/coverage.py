"""What the dataset held and what the analysis used, per training configuration.

A dataset can hold failed runs, runs written twice (a resumed job), runs with an impossible
design value (e.g. fewer than one qubit; `etr.analysis.data_quality`) and finite-shot runs that
only a secondary analysis uses; the coverage table counts each, so that a reader sees how many
runs the verdicts rest on, not only how many the file held.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etr.analysis._common import pqc_rows
from etr.analysis.quality import removal
from etr.contract import CONFIGS, PRIMARY_X

__all__ = ["coverage_table", "failed_cells", "status"]

_COLUMNS = ["training_config", "runs", "failed", "duplicated", "impossible", "finite_shot",
            "primary", "used", "circuits", "tasks", "seeds", "qubits", "layers"]


def status(data: pd.DataFrame) -> pd.Series:
    """The run status, ``"ok"`` where the column is absent or empty."""
    if "status" not in data:
        return pd.Series("ok", index=data.index)
    return data["status"].astype(object).fillna("ok").astype(str)


def _span(g: pd.DataFrame, col: str) -> str:
    if col not in g or g[col].dropna().empty:
        return ""
    lo, hi = int(g[col].min()), int(g[col].max())
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _usable(primary: pd.DataFrame, x: str) -> np.ndarray:
    """Primary runs a verdict can use: a finite `x` for configurations with a PQC (the
    control has none and is used by the control gap as it is)."""
    if primary.empty:
        return np.zeros(0, dtype=bool)
    pqc = pqc_rows(primary)
    xs = (pd.to_numeric(primary[x], errors="coerce").to_numpy(dtype=float)
          if x in primary.columns else np.full(len(primary), np.nan))
    return ~pqc | np.isfinite(xs)


def coverage_table(runs: pd.DataFrame, cleaned: pd.DataFrame, primary: pd.DataFrame, *,
                   x: str = PRIMARY_X) -> pd.DataFrame:
    """Runs per configuration: held, failed, duplicated, finite-shot, primary, used.

    Parameters
    ----------
    runs : pandas.DataFrame
        Every run of the selected configurations, as read.
    cleaned : pandas.DataFrame
        The runs kept after removing failed, duplicated and impossible ones
        (`etr.analysis.quality.clean`).
    primary : pandas.DataFrame
        The runs of the primary analysis (a subset of `cleaned`).
    x : str
        The expressibility column the verdicts use.

    Returns
    -------
    pandas.DataFrame
        ``training_config, runs, failed, duplicated`` (dropped, the first copy kept),
        ``impossible`` (dropped: a design or run value outside its range), ``finite_shot``
        (kept runs used only by the finite-shot secondary analysis),
        ``primary`` (kept exact runs), ``used`` (primary runs with a finite `x`; the control
        has no x and counts whole), ``circuits`` (distinct ``pqc_id`` among the used runs),
        ``tasks, seeds, qubits, layers``; a last row ``total``.

    Examples
    --------
    >>> runs = pd.DataFrame({"training_config": "pure_pqc", "cell_id": ["a", "a", "b", "c"],
    ...                      "pqc_id": ["p", "p", "q", "r"], "status": ["ok"] * 3 + ["failed"],
    ...                      "shots": [None, None, 100, None], "seed": 0,
    ...                      "expressibility_fp": 1.5})
    >>> kept = runs.iloc[[0, 2]]
    >>> coverage_table(runs, kept, kept.iloc[[0]]).iloc[0, 1:9].tolist()
    [4, 1, 1, 0, 1, 1, 1, 1]
    """
    why = removal(runs).to_numpy()
    kept_index = set(cleaned.index)
    prim_index = set(primary.index)
    used_mask = pd.Series(_usable(primary, x), index=primary.index)
    used_index = set(used_mask[used_mask].index)
    frame = runs.assign(_failed=why == "failed run", _dup=why == "duplicated",
                        _bad=np.char.startswith(why.astype(str), "impossible "),
                        _kept=runs.index.isin(list(kept_index)),
                        _primary=runs.index.isin(list(prim_index)),
                        _used=runs.index.isin(list(used_index)))
    order = {c: i for i, c in enumerate(CONFIGS)}
    groups = sorted(((str(c), g) for c, g in frame.groupby(
        frame["training_config"].astype(str), sort=False)),
        key=lambda t: order.get(t[0], len(order)))
    rows = [_row(name, g) for name, g in [*groups, ("total", frame)]]
    return pd.DataFrame(rows, columns=_COLUMNS)


def _row(name: str, g: pd.DataFrame) -> dict[str, object]:
    used = g[g["_used"]]
    return {
        "training_config": name,
        "runs": len(g),
        "failed": int(g["_failed"].sum()),
        "duplicated": int(g["_dup"].sum()),
        "impossible": int(g["_bad"].sum()),
        "finite_shot": int((g["_kept"] & ~g["_primary"]).sum()),
        "primary": int(g["_primary"].sum()),
        "used": len(used),
        "circuits": int(used["pqc_id"].nunique()) if "pqc_id" in used else 0,
        "tasks": int(used["task"].nunique()) if "task" in used else 0,
        "seeds": int(used["seed"].nunique()) if "seed" in used else 0,
        "qubits": _span(used, "n_qubits"),
        "layers": _span(used, "layers"),
    }


def failed_cells(data: pd.DataFrame) -> pd.DataFrame:
    """The runs with ``status != "ok"``: architecture, seed, configuration and error text."""
    bad = data[status(data).ne("ok")]
    cols = [c for c in ("architecture_id", "circuit", "n_qubits", "layers", "seed",
                        "training_config", "task", "shots", "status", "error")
            if c in data.columns]
    return bad[cols].reset_index(drop=True)
