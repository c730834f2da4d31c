"""Failures measured on the quick dataset of the time (``data/quick_630_runs.parquet`` here) with
the analysis as it was; each test here failed
before the conditional basis, the circuit clusters and the data-quality handling."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from etr.analysis import (
    conditional_correlation,
    mixed_effects,
    planted_dataset,
    stratified_correlation,
    tradeoff_summary,
)
from etr.errors import DegenerateDataWarning

# the quick dataset the failures were measured on (630 runs of 42 circuits, before the frame
# potential, the content ids and the new presets), kept as it was
QUICK = Path(__file__).resolve().parent / "data" / "quick_630_runs.parquet"
X = "expressibility_kl"


@pytest.fixture(scope="module")
def quick() -> pd.DataFrame:
    if not QUICK.exists():
        pytest.fail(f"{QUICK} is missing")
    return pd.read_parquet(QUICK)


def _summary(data: pd.DataFrame, definition: str = "grad_var") -> pd.DataFrame:
    return tradeoff_summary(data, x=X, definitions=[definition], seed=0)


@pytest.mark.parametrize("fill, reason", [
    (0.0, "constant"),          # a total barren plateau
    (-1e-3, "no usable runs"),  # impossible values, all removed explicitly
])
def test_degenerate_trainability_gives_nan_rows_not_a_key_error(quick, fill, reason):
    data = quick.assign(grad_var=fill)
    with pytest.warns(DegenerateDataWarning, match=reason):
        s = _summary(data)
    assert len(s) == 3 and s["estimate"].isna().all()
    assert (s["verdict"] == "not detected").all()
    assert s["sentence"].str.contains("not enough usable data").all()
    if fill < 0:  # every run of every configuration removed, and said so
        sizes = quick["training_config"].value_counts()
        assert (s["n_dropped"].to_numpy() == sizes[s["training_config"]].to_numpy()).all()
        assert f"{len(quick)} impossible grad_var" in s.loc[0, "data_note"]


def test_infinite_expressibility_is_dropped_and_counted(quick):
    data = quick.copy()
    data.loc[data.index[:5], X] = np.inf
    s = _summary(data)
    clean = quick.drop(index=quick.index[:5])
    ref = _summary(clean)
    np.testing.assert_allclose(s["estimate"], ref["estimate"])
    assert s["n_dropped"].sum() == 5
    with pytest.warns(DegenerateDataWarning):
        s_all = _summary(quick.assign(**{X: np.inf}))
    assert s_all["estimate"].isna().all()


def test_duplicated_rows_do_not_double_n(quick):
    pure = quick[quick["training_config"] == "pure_pqc"]
    twice = pd.concat([pure, pure], ignore_index=True)
    a = mixed_effects(pure, y="grad_var", x=X, by=None, lrt=False)
    b = mixed_effects(twice, y="grad_var", x=X, by=None, lrt=False)
    assert b.n == a.n and b.n_dropped == len(pure)
    np.testing.assert_allclose(b.slopes["estimate"], a.slopes["estimate"])
    s = _summary(pd.concat([quick, quick], ignore_index=True))
    np.testing.assert_allclose(s["estimate"], _summary(quick)["estimate"])
    assert "duplicated rows" in s.loc[0, "data_note"]


def test_negative_variances_are_removed_explicitly(quick):
    data = quick.copy()
    rows = data.index[data["training_config"] == "pure_pqc"][:40]
    data.loc[rows, "grad_var"] = -data.loc[rows, "grad_var"]
    s = _summary(data).set_index("training_config")
    ref = _summary(quick.drop(index=rows)).set_index("training_config")
    assert s.loc["pure_pqc", "estimate"] == pytest.approx(ref.loc["pure_pqc", "estimate"])
    assert s.loc["pure_pqc", "n_dropped"] == 40
    assert "40 impossible grad_var" in s.loc["pure_pqc", "data_note"]


def test_nan_rows_are_counted_not_silent(quick):
    data = quick.copy()
    data.loc[data.index[:7], "grad_var"] = np.nan
    s = _summary(data)
    assert s["n_dropped"].sum() == 7
    assert s["n"].sum() == len(quick) - 7 - (quick["training_config"] == "classical_only").sum()


def test_circuits_not_architectures_are_resampled(quick):
    # the two pre-network variants of a PQC share its expressibility: 42 circuits, 84
    # architectures in each hybrid configuration
    s = _summary(quick).set_index("training_config")
    assert s.loc["hybrid_full", "n_clusters"] == quick["pqc_id"].nunique() == 42
    assert quick.loc[quick["training_config"] == "hybrid_full", "architecture_id"].nunique() \
        == 84


def test_three_circuit_cells_get_exact_p_values(quick):
    cells = stratified_correlation(quick, x=X, y="grad_var", by="training_config")
    three = cells[cells["n_clusters"] == 3]
    assert len(three) and (three["p_value"].dropna() >= 1 / 3 - 1e-12).all()
    assert (three["test"] == "exact permutation (3! = 6)").all()
    assert (cells["p_adj"].dropna() > 0).all()


def test_confounding_alone_is_not_a_trade_off():
    # expressibility and trainability independent given width and depth: the marginal
    # association is strong, the verdict does not call it a trade-off
    df = planted_dataset(n_pqcs=240, n_seeds=2, seed=8, conditional={
        "pure_pqc": 0.0, "hybrid_quantum_only": 0.0, "hybrid_full": 0.0})
    s = tradeoff_summary(df, definitions=["grad_var_train"])
    assert (s["estimate_marginal"] > 0.5).all()
    assert s["verdict"].isin(["absent", "not detected"]).all()


def test_not_detected_is_never_read_as_absent(quick):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        s = tradeoff_summary(quick, x=X)
    for row in s.itertuples():
        if row.verdict == "not detected":
            assert "no clear relationship" not in row.sentence
            assert "none is excluded" in row.sentence
        if row.verdict == "absent":
            assert row.ci_low > -0.1 and row.ci_high < 0.1


def test_effective_dimension_confounding_on_quick(quick):
    # measured: marginal rho 0.60 ("strong"), 0.24 within strata, -0.10 as a partial
    # correlation; its conditional association is not a detected trade-off
    res = conditional_correlation(quick[quick["training_config"] == "pure_pqc"], x=X,
                                  y="effective_dimension", by=None).iloc[0]
    assert res["estimate_marginal"] > 0.5
    assert res["ci_low"] < 0 < res["ci_high"]
