"""Which runs answer which question."""

from __future__ import annotations

import pandas as pd

from etr.report.design import design_for, exact_runs, shot_subsets, task_runs


def test_one_task_exact_only():
    df = pd.DataFrame({"task": ["a"] * 3, "shots": pd.array([None] * 3, dtype="Int64")})
    d = design_for(df)
    assert d.strata == ("n_qubits", "layers") and d.shot_levels == () and d.primary_is_exact
    assert len(exact_runs(df, d)) == 3
    assert not any("Finite-shot" in s for s in d.describe())


def test_no_shots_column_means_exact():
    d = design_for(pd.DataFrame({"task": ["a", "b"]}))
    assert d.n_exact == 2 and d.strata == ("task", "n_qubits", "layers")
    assert any("The task is a stratum" in s for s in d.describe())


def test_shot_subsets_match_circuit_task_and_configuration():
    df = pd.DataFrame({
        "pqc_id": ["p", "p", "p", "q", "p", "p"],
        "task": ["a", "a", "b", "a", "a", "a"],
        "training_config": ["pure_pqc"] * 4 + ["hybrid_full", "hybrid_full"],
        "shots": pd.array([None, 100, None, None, None, 1000], dtype="Int64"),
    })
    finite, exact = shot_subsets(df, 100)
    assert finite.index.tolist() == [1]
    # the exact pure run of p on task a only: not task b, not circuit q, not hybrid_full
    assert exact.index.tolist() == [0]
    finite, exact = shot_subsets(df, 1000)
    assert finite.index.tolist() == [5] and exact.index.tolist() == [4]
    d = design_for(df)
    assert d.shot_levels == (100, 1000) and d.n_finite == 2
    assert task_runs(exact_runs(df, d), "b").index.tolist() == [2]
