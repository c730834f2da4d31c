"""Which runs answer which question: the primary analysis and the secondary ones.

Primary analysis
----------------
The paper's claims are tested once, on the **exact runs** (``shots`` missing: exact
expectations and gradients). Finite-shot runs add estimation noise to every trainability
column and, by design (``[grid.shots]`` bounds), cover only the small circuits of the grid;
pooling them with exact runs would mix two measurement processes and weight the small circuits
twice. When the dataset holds several tasks, the association is conditioned on the task too
(strata ``task x n_qubits x layers``): trainability levels differ between tasks, and a
comparison of two circuits is only meaningful on the same task. A circuit then sits in one
stratum per task; `etr.analysis.conditional_correlation` pools the kernels of strata that share
circuits before taking the variance, so a circuit still counts once as a unit of evidence.

Secondary analyses (clearly labelled, never mixed into the primary verdicts)
---------------------------------------------------------------------------
* **per task**: the claims on each task's exact runs, conditioned on width and depth, each task
  its own Holm family (so they are not a correction of the primary one, only a breakdown);
* **finite shots**: for each shot level, the claims on its runs, beside the claims on the exact
  runs *of the same circuits, tasks and configurations* (the part of the grid that has that
  level), so that the only difference between the two columns is the shot noise.

Noise levels (a spec's ``[noise]`` table) are not pooled either: the primary and secondary
analyses above use the **noiseless** runs, and the noisy ones are the report's Noise section
(`etr.report.noise`), which compares each level with the noiseless runs of the same circuits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from etr.analysis import STRATA
from etr.analysis.noise import noise_label, noiseless_runs

__all__ = ["Design", "design_for", "exact_runs", "noisy_exact_runs", "shot_subsets",
           "task_runs"]

#: the label of the primary analysis in every table.
PRIMARY = "primary: exact runs"


@dataclass(frozen=True, slots=True)
class Design:
    """The analysis design of one dataset.

    Attributes
    ----------
    strata : what the primary association is conditioned on.
    tasks : the tasks of the exact runs, sorted.
    shot_levels : the finite-shot levels present, ascending.
    n_exact, n_finite : usable noiseless runs (after cleaning) that are exact / finite-shot.
    primary_is_exact : False only when the data hold no exact run (then the primary analysis
        uses the runs of the largest shot level and says so).
    """

    strata: tuple[str, ...]
    tasks: tuple[str, ...]
    shot_levels: tuple[int, ...]
    n_exact: int
    n_finite: int
    primary_is_exact: bool = True
    noise_levels: tuple[str, ...] = ()
    n_noisy: int = 0

    @property
    def primary_label(self) -> str:
        if self.primary_is_exact:
            return PRIMARY
        return f"primary: {self.shot_levels[-1]}-shot runs (no exact run in the data)"

    def describe(self) -> list[str]:
        """The design in sentences, for the methods section."""
        given = " x ".join(self.strata)
        out = [f"Primary analysis: the {self.n_exact} exact runs (shots = none) of "
               f"{len(self.tasks)} task(s) ({', '.join(self.tasks) or 'none'}), association "
               f"conditioned on {given}."]
        if not self.primary_is_exact:
            out[0] = (f"Primary analysis: the data hold no exact run; the {self.shot_levels[-1]}"
                      f"-shot runs are used instead, association conditioned on {given}.")
        if len(self.tasks) > 1:
            out.append("The task is a stratum because trainability levels differ between "
                       "tasks; a circuit sits in one stratum per task and still counts once "
                       "(kernels of strata that share circuits are pooled before the "
                       "variance).")
        if self.shot_levels and self.primary_is_exact:
            out.append(f"Finite-shot runs ({self.n_finite}, levels "
                       f"{', '.join(map(str, self.shot_levels))}) are a secondary analysis on "
                       "the part of the grid that has them, beside the exact runs of the same "
                       "circuits; they never enter the primary verdicts.")
        if len(self.tasks) > 1:
            out.append("Per-task claims are a secondary breakdown, each task its own Holm "
                       "family.")
        if self.n_noisy:
            out.append(f"Noisy runs ({self.n_noisy}, levels {'; '.join(self.noise_levels)}) "
                       "are analysed in the Noise section beside the noiseless runs of the "
                       "same circuits; they never enter the primary verdicts.")
        return out

    def to_dict(self) -> dict[str, object]:
        return {"strata": list(self.strata), "tasks": list(self.tasks),
                "shot_levels": list(self.shot_levels), "n_exact": self.n_exact,
                "n_finite": self.n_finite, "primary": self.primary_label,
                "noise_levels": list(self.noise_levels), "n_noisy": self.n_noisy}


def _shots(data: pd.DataFrame) -> pd.Series:
    if "shots" not in data.columns:
        return pd.Series(np.nan, index=data.index, dtype=float)
    return pd.to_numeric(data["shots"], errors="coerce").astype(float)


def _tasks(data: pd.DataFrame) -> tuple[str, ...]:
    if "task" not in data.columns:
        return ()
    return tuple(sorted(data["task"].dropna().astype(str).unique()))


def design_for(data: pd.DataFrame) -> Design:
    """The design of a cleaned dataset (see the module notes).

    Examples
    --------
    >>> df = pd.DataFrame({"task": ["a", "b", "a"], "shots": [None, None, 100]})
    >>> d = design_for(df)
    >>> d.strata, d.tasks, d.shot_levels, d.n_exact
    (('task', 'n_qubits', 'layers'), ('a', 'b'), (100,), 2)
    """
    labels = noise_label(data)
    noisy = sorted(set(labels) - {"noiseless"})
    n_noisy = int((labels != "noiseless").sum())
    data = noiseless_runs(data)
    shots = _shots(data)
    exact = shots.isna()
    levels = tuple(sorted(int(v) for v in shots.dropna().unique()))
    has_exact = bool(exact.any()) or not levels
    primary = data[exact] if has_exact else data[shots == levels[-1]]
    tasks = _tasks(primary)
    strata = ("task", *STRATA) if len(tasks) > 1 else STRATA
    return Design(strata=strata, tasks=tasks, shot_levels=levels, n_exact=int(exact.sum()),
                  n_finite=int((~exact).sum()), primary_is_exact=has_exact,
                  noise_levels=tuple(noisy), n_noisy=n_noisy)


def exact_runs(data: pd.DataFrame, design: Design) -> pd.DataFrame:
    """The runs of the primary analysis (noiseless)."""
    data = noiseless_runs(data)
    shots = _shots(data)
    if design.primary_is_exact:
        return data[shots.isna().to_numpy()]
    return data[(shots == design.shot_levels[-1]).to_numpy()]


def noisy_exact_runs(data: pd.DataFrame) -> pd.DataFrame:
    """The exact runs of every noise level (the Noise section's data)."""
    return data[_shots(data).isna().to_numpy()]


def task_runs(primary: pd.DataFrame, task: str) -> pd.DataFrame:
    """The primary runs of one task."""
    return primary[primary["task"].astype(str).to_numpy() == task]


#: columns that identify "the same circuit, task and configuration" across shot levels.
_SAME = ("pqc_id", "task", "training_config")


def shot_subsets(data: pd.DataFrame, level: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(runs at `level` shots, exact runs of the same circuits, tasks and configurations).

    Examples
    --------
    >>> df = pd.DataFrame({"pqc_id": ["a", "a", "b"], "task": "t",
    ...                    "training_config": "pure_pqc", "shots": [None, 100, None]})
    >>> finite, exact = shot_subsets(df, 100)
    >>> len(finite), exact["pqc_id"].tolist()
    (1, ['a'])
    """
    data = noiseless_runs(data)
    shots = _shots(data)
    finite = data[(shots == level).to_numpy()]
    keys = [c for c in _SAME if c in data.columns]
    exact = data[shots.isna().to_numpy()]
    if not keys or finite.empty:
        return finite, exact.iloc[:0]
    covered = finite[keys].astype(str).drop_duplicates()
    match = exact[keys].astype(str).merge(covered.assign(_hit=True), on=keys, how="left")
    return finite, exact[match["_hit"].fillna(False).to_numpy(dtype=bool)]
