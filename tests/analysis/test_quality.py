"""Doubtful data are found, counted and handled explicitly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from etr.analysis import VALID_RANGES, data_quality, synthetic_dataset
from etr.analysis.quality import clean
from etr.errors import InputError


@pytest.fixture(scope="module")
def df():
    return synthetic_dataset(n_architectures=20, n_seeds=2, seed=5)


def test_clean_data_has_no_issues(df):
    assert data_quality(df).empty
    out = clean(df)
    assert out.dropped == {} and len(out.data) == len(df)


def test_counts_by_issue_column_and_configuration(df):
    bad = pd.concat([df, df.iloc[:4]], ignore_index=True)  # 4 runs written twice
    bad["status"] = bad["status"].astype(object)
    pure = np.flatnonzero(bad["training_config"] == "pure_pqc")
    full = np.flatnonzero(bad["training_config"] == "hybrid_full")
    bad.loc[pure[10], "status"] = "failed"
    bad.loc[pure[:3], "grad_var"] = -1e-4
    bad.loc[full[:2], "expressibility_kl"] = np.inf
    bad.loc[full[2:3], "grad_var"] = np.nan
    bad.loc[pure[5:7], "test_accuracy"] = 1.5
    q = data_quality(bad)
    assert list(q.columns) == ["issue", "column", "training_config", "n_rows", "n_affected",
                               "action", "detail", "rows"]
    got = {(r.issue, r.column, r.training_config): r.n_affected for r in q.itertuples()}
    assert got[("failed run", "", "pure_pqc")] == 1
    dup_cfg = df.iloc[:4]["training_config"].value_counts()
    for cfg, k in dup_cfg.items():
        assert got[("duplicated cell_id", "", cfg)] == k
    assert got[("impossible value", "grad_var", "pure_pqc")] == 3
    assert got[("non-finite", "expressibility_kl", "hybrid_full")] == 2
    assert got[("non-finite", "grad_var", "hybrid_full")] == 1
    assert got[("impossible value", "test_accuracy", "pure_pqc")] == 2
    row = q[q["issue"] == "impossible value"].iloc[0]
    assert row["detail"] == f"{VALID_RANGES['grad_var'].why} (valid: [0, inf))"
    named = bad.loc[pure[:3], "cell_id"].tolist()
    assert row["rows"] == ", ".join(named)
    out = clean(bad)
    assert out.dropped["duplicated rows"] == 4 and out.dropped["failed runs"] == 1
    assert out.dropped["impossible grad_var"] == 3
    assert len(out.data) == len(df) - 1
    assert np.isnan(out.data["expressibility_kl"]).sum() == 2  # inf -> NaN
    assert "impossible grad_var" in out.note(["grad_var"])
    assert "impossible grad_var" not in out.note(["loss_decrease"])
    assert out.n_removed() == 4 + 1
    assert out.n_removed(["training_config"], ["pure_pqc"]) == 1 + int(
        (df.iloc[:4]["training_config"] == "pure_pqc").sum())


def test_duplicates_without_cell_id_are_whole_rows():
    df = pd.DataFrame({"training_config": ["pure_pqc"] * 3, "grad_var": [1.0, 1.5, 2.0]})
    q = data_quality(pd.concat([df, df.iloc[[2]]]))
    assert q[["issue", "n_affected"]].values.tolist() == [["duplicated row", 1]]


def test_unmeasured_columns_are_not_doubtful():
    # the classical-only control has no expressibility; a column absent in a configuration
    # was not measured there
    df = pd.DataFrame({"training_config": ["pure_pqc", "pure_pqc", "classical_only"],
                       "expressibility_fp": [1.2, 1.5, np.nan], "grad_var": [1e-3, 2e-3, 1e-3]})
    assert data_quality(df).empty


def test_bad_input():
    with pytest.raises(InputError, match="`data` must be a pandas DataFrame"):
        data_quality([1, 2])


def test_missing_prediction_with_its_reason_is_not_doubtful():
    df = pd.DataFrame({"training_config": ["pure_pqc"] * 3,
                       "predicted_loss_var": [0.1, np.nan, np.nan],
                       "theory_note": [None, "not applicable: O not in ig", None]})
    q = data_quality(df)
    # the row without a reason is doubtful, the one with a reason is not
    assert q[["issue", "column", "n_affected"]].values.tolist() == [
        ["non-finite", "predicted_loss_var", 1]]


def test_effective_dimension_above_one_is_possible_not_doubtful():
    import numpy as np

    from etr.metrics.trainability import effective_dimension

    # a well-conditioned Fisher at finite n: d_eff / d = log(1 + kappa) / log(kappa) > 1
    value = effective_dimension(np.ones((4, 1, 1)), n_data=1000)
    assert value > 1
    df = pd.DataFrame({"training_config": ["pure_pqc"] * 2, "effective_dimension": [value, -0.1]})
    q = data_quality(df)
    assert q[["issue", "column", "n_affected"]].values.tolist() == [
        ["impossible value", "effective_dimension", 1]]


# --- impossible values in the committed quick dataset ----------------------------------------

QUICK = Path(__file__).parents[2] / "data" / "quick.parquet"


@pytest.fixture(scope="module")
def quick():
    from etr.dataset import read_dataset

    return read_dataset(QUICK)


def _spoil(data: pd.DataFrame, column: str, value: object, k: int, seed: int) -> pd.DataFrame:
    """`data` with `value` in `column` of k rows of configurations with a PQC."""
    out = data.copy()
    pqc = np.flatnonzero(out["training_config"].astype(str) != "classical_only")
    rows = np.random.default_rng(seed).choice(pqc, k, replace=False)
    out.loc[out.index[rows], column] = value
    return out


def test_the_committed_dataset_has_nothing_doubtful(quick):
    # the control's 0 layers and near-2-design ratios a little below 1 are possible values
    assert (quick["layers"] == 0).any() and (quick["expressibility_fp"] < 1).any()
    assert data_quality(quick).empty
    assert clean(quick).dropped == {}


@pytest.mark.parametrize("column, value, k, action", [
    ("expressibility_fp", 0.5, 30, "value ignored"),  # the ratio is >= 1 by construction
    ("n_qubits", -3, 20, "row dropped"),
    ("layers", 0, 10, "row dropped"),  # a PQC has at least one layer
])
def test_impossible_values_are_named_and_left_out(quick, column, value, k, action):
    bad = _spoil(quick, column, value, k, seed=k)
    spoiled = bad[bad[column] != quick[column]]
    q = data_quality(bad)
    assert set(q["column"]) == {column} and set(q["issue"]) == {"impossible value"}
    assert int(q["n_affected"].sum()) == k and set(q["action"]) == {action}
    named = [c for r in q["rows"] for c in r.split(" (+")[0].split(", ")]
    assert set(named) <= set(spoiled["cell_id"])
    out = clean(bad)
    if action == "row dropped":
        assert out.dropped == {f"rows with impossible {column}": k}
        assert len(out.data) == len(quick) - k
        assert not out.data["cell_id"].isin(spoiled["cell_id"]).any()
    else:
        assert out.dropped == {f"impossible {column}": k}
        assert out.data.loc[spoiled.index, column].isna().all()
        assert len(out.data) == len(quick)


def test_a_ratio_just_below_one_within_its_standard_errors_is_possible(quick):
    bad = quick.copy()
    se = (bad["expressibility_fp_ci_high"] - bad["expressibility_fp_ci_low"]) / (2 * 1.959964)
    bad["expressibility_fp"] = 1.0 - 4.9 * se  # inside the 5-SE tolerance
    assert data_quality(bad).empty
    bad["expressibility_fp"] = 1.0 - 5.1 * se
    q = data_quality(bad)
    assert q["n_affected"].sum() == bad["expressibility_fp"].notna().sum()


def test_a_finite_shot_diagnostic_is_missing_on_exact_runs_by_design():
    """grad_snr (needs_shots) is not measured on exact runs: NaN there is not doubtful, NaN on
    a finite-shot run is."""
    df = pd.DataFrame({"cell_id": ["a", "b", "c"], "training_config": "pure_pqc",
                       "status": "ok", "shots": [None, 32, 32],
                       "grad_snr": [np.nan, 1.5, np.nan]})
    t = data_quality(df)
    nan = t[(t["issue"] == "non-finite") & (t["column"] == "grad_snr")]
    assert len(nan) == 1 and int(nan["n_affected"].iloc[0]) == 1 and nan["rows"].iloc[0] == "c"
