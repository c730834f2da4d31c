"""How often a convergence definition sits at the end of its scale, per task and configuration.

A convergence definition can only rank circuits when its values spread: ``loss_decrease``
cannot exceed 1 (the loss gone entirely), and ``steps_to_target`` is right-censored at the run's
length when the target is never reached and cannot be smaller than 1. If most runs of a
(task, configuration) sit at such an end, their association with expressibility is that of a
mostly constant variable: ties decide it, and an estimate near 0 says nothing about a trade-off.
`saturation` reports, for each group and definition, the fraction of runs at the *ceiling* (the
end that means "as trainable as the definition can say": decrease >= 1 - `tol`; for steps, the
target reached after the first step) and at the *floor* (the end that means "not trainable by
this measure": no decrease at all; for steps, censored), so a report can flag the definitions
that cannot decide and a study can choose targets and budgets that keep both fractions small
(``benchmarks/pilot_design.py``).

The ends, per definition (`SATURATION_RULES`):

=================  ==========================  ===================================
definition         ceiling (most trainable)    floor (least trainable)
=================  ==========================  ===================================
loss_decrease      value >= 1 - tol            value <= 0
steps_to_target    value <= 1 (first step)     ``steps_to_target_censored`` true
=================  ==========================  ===================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from etr._validation import check_choice, check_float
from etr.analysis._common import as_tuple, check_frame, iter_groups
from etr.contract import METRICS
from etr.errors import InputError

__all__ = ["SATURATION_COLUMNS", "SATURATION_RULES", "SaturationRule", "saturation"]


@dataclass(frozen=True, slots=True)
class SaturationRule:
    """Where a convergence definition's scale ends.

    Attributes
    ----------
    ceiling : in words, the end that means "as trainable as the definition can say".
    floor : in words, the end that means "not trainable by this measure".
    censor : the column flagging right-censored values (they are at the floor), or None.
    """

    ceiling: str
    floor: str
    censor: str | None = None

    def ends(self, sub: pd.DataFrame, column: str, tol: float) -> tuple[np.ndarray, np.ndarray]:
        """Boolean arrays (at ceiling, at floor) of the rows of `sub`."""
        v = sub[column].to_numpy(dtype=float)
        if column == "steps_to_target":
            cens = sub[self.censor].fillna(False).to_numpy(dtype=bool)
            return (v <= 1.0) & ~cens, cens
        return v >= 1.0 - tol, v <= 0.0


#: the convergence definitions and the ends of their scales.
SATURATION_RULES: dict[str, SaturationRule] = {
    "loss_decrease": SaturationRule("decrease >= 1 - tol (the loss gone)",
                                    "decrease <= 0 (no decrease)"),
    "steps_to_target": SaturationRule("target reached after the first step",
                                      "censored (never reached)",
                                      censor=METRICS["steps_to_target"].censor),
}

#: output columns of `saturation`, in order (after the `by` columns).
SATURATION_COLUMNS: tuple[str, ...] = (
    "definition", "n", "n_ceiling", "n_floor", "fraction_ceiling", "fraction_floor",
    "fraction_saturated", "median", "method",
)


def saturation(
    data: pd.DataFrame,
    *,
    definitions: str | Sequence[str] | None = None,
    by: str | Sequence[str] | None = ("task", "training_config"),
    tol: float = 0.01,
) -> pd.DataFrame:
    """Fraction of runs at the ceiling or floor of each convergence definition, per group.

    Parameters
    ----------
    data : pandas.DataFrame
        Contract-shaped runs with the definitions' columns (``steps_to_target`` also needs
        ``steps_to_target_censored``). Rows with ``status`` other than ``"ok"`` (when the
        column exists) and NaN values are left out.
    definitions : str or sequence of str, optional
        Keys of `SATURATION_RULES`; default every one present in `data`.
    by : str or sequence of str, optional
        Grouping columns (default task and training configuration); None for one group.
    tol : float in [0, 1)
        ``loss_decrease`` counts as at its ceiling from ``1 - tol`` on.

    Returns
    -------
    pandas.DataFrame
        One row per group and definition: the `by` columns, then `SATURATION_COLUMNS`:
        runs counted, runs at the ceiling and at the floor, their fractions and their sum,
        the median value, and the rule in words.

    Raises
    ------
    etr.errors.InputError
        Not a DataFrame, a missing column (named), an unknown definition, `tol` out of range.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"task": "synthetic", "training_config": "hybrid_full",
    ...                      "loss_decrease": [1.0, 0.995, 0.7, 0.4],
    ...                      "steps_to_target": [1.0, 3.0, 30.0, 30.0],
    ...                      "steps_to_target_censored": [False, False, False, True]})
    >>> out = saturation(runs)
    >>> print(out[["definition", "n", "fraction_ceiling", "fraction_floor"]].to_string(
    ...     index=False))
         definition  n  fraction_ceiling  fraction_floor
      loss_decrease  4              0.50            0.00
    steps_to_target  4              0.25            0.25
    """
    by = as_tuple(by)
    tol = check_float("tol", tol, low=0.0, high=0.999999)
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    if definitions is None:
        definitions = tuple(d for d in SATURATION_RULES if d in data.columns)
        if not definitions:
            raise InputError("`data` has no convergence definition column; expected one of "
                             + ", ".join(SATURATION_RULES))
    definitions = as_tuple(definitions)
    for d in definitions:
        check_choice("definitions", d, SATURATION_RULES)
    needed = [c for d in definitions for c in (d, SATURATION_RULES[d].censor) if c]
    check_frame(data, (*by, *needed), definitions)
    rows = data if "status" not in data.columns else data[data["status"].fillna("ok") == "ok"]
    out = []
    for group in iter_groups(rows, by):
        for d in definitions:
            rule = SATURATION_RULES[d]
            used = group.data[np.isfinite(group.data[d].to_numpy(dtype=float))]
            top, bottom = rule.ends(used, d, tol)
            n = len(used)
            out.append({
                **group.values, "definition": d, "n": n,
                "n_ceiling": int(top.sum()), "n_floor": int(bottom.sum()),
                "fraction_ceiling": top.mean() if n else np.nan,
                "fraction_floor": bottom.mean() if n else np.nan,
                "fraction_saturated": (top | bottom).mean() if n else np.nan,
                "median": float(used[d].median()) if n else np.nan,
                "method": f"ceiling: {rule.ceiling}; floor: {rule.floor}"
                + (f"; tol = {tol:g}" if d == "loss_decrease" else ""),
            })
    return pd.DataFrame(out, columns=[*by, *SATURATION_COLUMNS])
