"""A planted study for report tests: several tasks, the classical-only control, finite shots."""

from __future__ import annotations

import numpy as np
import pandas as pd

from etr.analysis import planted_dataset

ALL_CONFIGS = ("pure_pqc", "hybrid_quantum_only", "hybrid_full", "classical_only")


def make_study(*, n_pqcs: int = 48, n_seeds: int = 3, tasks: tuple[str, ...] = ("a", "b"),
               shots: int | None = None, shot_pqcs: int = 0, seed: int = 0,
               conditional: dict | None = None) -> pd.DataFrame:
    """A planted study (`planted_dataset`) trained on every task in `tasks`.

    Every task sees the same circuits (same ``pqc_id`` and expressibility); trainability of a
    later task is the first task's times log-normal noise (so circuits span task strata with
    correlated y). ``task_id`` is one instance per (task, replicate). With `shots`, the runs of
    the first `shot_pqcs` circuits of the first task are repeated at that shot level, with
    extra noise on every trainability column.
    """
    base = planted_dataset(n_pqcs=n_pqcs, n_seeds=n_seeds, configs=ALL_CONFIGS, seed=seed,
                           conditional=conditional)
    rng = np.random.default_rng(seed + 100)
    trainability = ["grad_var", "grad_var_train", "grad_var_landscape", "grad_norm"]
    parts = []
    for i, task in enumerate(tasks):
        part = base.copy()
        if i:
            for col in trainability:
                part[col] = part[col] * np.exp(rng.normal(0, 0.3, len(part)))
            part["test_accuracy"] = np.clip(part["test_accuracy"] + rng.normal(0, 0.02,
                                                                               len(part)), 0, 1)
        part["task"] = task
        part["task_id"] = task + "-" + part["seed"].astype(str)
        part["cell_id"] = task + "-" + part["cell_id"].astype(str)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    if shots is not None and shot_pqcs:
        pqcs = out.loc[out["pqc_id"].notna(), "pqc_id"].drop_duplicates().head(shot_pqcs)
        extra = out[(out["task"] == tasks[0]) & out["pqc_id"].isin(pqcs)].copy()
        for col in trainability:
            extra[col] = extra[col] * np.exp(rng.normal(0, 0.2, len(extra)))
        extra["shots"] = shots
        extra["cell_id"] = extra["cell_id"] + f"-s{shots}"
        out = pd.concat([out, extra], ignore_index=True)
    out["shots"] = out["shots"].astype("Int64")
    out.attrs = base.attrs
    return out
