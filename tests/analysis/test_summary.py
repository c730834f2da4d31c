from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from etr.analysis import (
    THRESHOLDS,
    VERDICT_RULE,
    rank_correlation,
    synthetic_dataset,
    tradeoff_summary,
    verdict,
)
from etr.errors import DegenerateDataWarning, InputError

COLUMNS = ["training_config", "definition", "n", "n_clusters", "estimate", "ci_low", "ci_high",
           "p_value", "p_adj", "slope", "slope_ci_low", "slope_ci_high", "n_regimes",
           "verdict", "direction", "sentence", "method"]


@pytest.fixture(scope="module")
def df():
    return synthetic_dataset(n_architectures=60, seed=31)


@pytest.fixture(scope="module")
def summary(df):
    # the generator's truth is linear in raw KL, so fit on that scale here
    return tradeoff_summary(df, n_boot=500, seed=1, transform_x="none")


def test_layout(summary):
    assert list(summary.columns)[:len(COLUMNS)] == COLUMNS
    assert len(summary) == 15
    assert summary["training_config"].tolist()[::5] == ["pure_pqc", "hybrid_quantum_only",
                                                        "hybrid_full"]
    assert summary["definition"].tolist()[:5] == ["grad_var", "grad_var_train", "grad_norm",
                                                  "loss_decrease", "effective_dimension"]


def test_verdicts_follow_the_known_truth(df, summary):
    s = summary.set_index(["training_config", "definition"])
    truth = df.attrs["truth"]["slopes"]
    # the null configuration and the null definition are declared "none"
    for definition in ("grad_var", "grad_var_train", "grad_norm", "loss_decrease"):
        assert s.loc[("hybrid_full", definition), "verdict"] == "none"
        assert s.loc[("pure_pqc", definition), "verdict"] in ("moderate", "strong")
        assert s.loc[("pure_pqc", definition), "direction"] == \
            "more expressive -> less trainable"
    for config in truth:
        # a null definition: at most a weak (chance) signal; its false-positive rate is
        # checked over repeated simulations in test_coverage.py
        assert s.loc[(config, "effective_dimension"), "verdict"] in ("none", "weak")
        row = s.loc[(config, "grad_var")]
        assert row["slope_ci_low"] < truth[config] < row["slope_ci_high"]
    assert s.loc[("hybrid_quantum_only", "grad_var"), "verdict"] != "none"
    assert s.loc[("hybrid_full", "grad_var"), "direction"] == "no clear direction"
    assert (summary["n_regimes"] >= 1).all()


def test_correlations_and_adjustment_match_rank_correlation(df, summary):
    direct = rank_correlation(df, x="expressibility_kl", y="grad_var", by="training_config",
                              n_boot=10, seed=0).set_index("training_config")["estimate"]
    s = summary[summary["definition"] == "grad_var"].set_index("training_config")
    np.testing.assert_allclose(s["estimate"], direct[s.index])
    # Holm over all 15 rows
    p = summary["p_value"].to_numpy()
    order = np.argsort(p)
    holm = np.minimum(1, np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order]))
    np.testing.assert_allclose(summary["p_adj"].to_numpy()[order], holm)


def test_verdict_rule_and_sentence(summary):
    for word in ("Holm", "0.1", "0.3", "0.5", "more expressive -> less trainable",
                 "bias-corrected", "robust"):
        assert word in VERDICT_RULE
    assert THRESHOLDS == (0.1, 0.3, 0.5)
    assert verdict(0.05, 1e-6) == ("none", "no clear direction")
    assert verdict(0.2, 0.01) == ("weak", "more expressive -> less trainable")
    assert verdict(-0.55, 0.01) == ("strong", "more expressive -> more trainable")
    assert verdict(0.9, 0.06) == ("none", "no clear direction")
    assert verdict(np.nan, 0.01)[0] == "none"
    row = summary.iloc[0]
    assert row["sentence"].startswith("Under pure_pqc, grad_var shows a")
    assert "rho = " in row["sentence"]


def test_robustness_to_the_kl_floor(df):
    # put a third of the architectures at the floor: their KL differs by sampling noise only
    floor = df.copy()
    archs = floor["architecture_id"].unique()[:20]
    at = floor["architecture_id"].isin(archs)
    rng = np.random.default_rng(0)
    noise = pd.Series(rng.uniform(0, 0.004, len(archs)), index=archs)
    floor.loc[at, "expressibility_kl_corrected"] = floor.loc[at, "architecture_id"].map(noise)
    floor.loc[at, "expressibility_kl"] = floor.loc[at, "expressibility_kl_corrected"] + 0.0074
    floor.loc[at, "expressibility_kl_ci_low"] = 0.0
    s = tradeoff_summary(floor, definitions=["grad_var"], n_boot=300, seed=2)
    assert s["estimate_robust"].notna().all() and s["robust"].notna().all()
    tied = floor["expressibility_kl_corrected"].where(floor["expressibility_kl_ci_low"] > 0, 0.0)
    pure = floor["training_config"] == "pure_pqc"
    expect = rank_correlation(floor[pure].assign(t=tied[pure]), x="t", y="grad_var",
                              n_boot=10, seed=0)["estimate"].iloc[0]
    assert s.loc[0, "estimate_robust"] == pytest.approx(expect)
    no_cols = tradeoff_summary(df.drop(columns=["expressibility_kl_ci_low"]),
                               definitions=["grad_var"], n_boot=100, seed=2)
    assert no_cols["estimate_robust"].isna().all() and no_cols["robust"].isna().all()


def test_configs_definitions_and_bad_input(df):
    s = tradeoff_summary(df, definitions=["grad_var", "nope"], configs=["hybrid_full"],
                         n_boot=100, seed=0)
    assert s[["training_config", "definition"]].values.tolist() == [["hybrid_full", "grad_var"]]
    with pytest.raises(InputError, match="none of the trainability"):
        tradeoff_summary(df, definitions=["nope"])
    with pytest.raises(InputError, match="`configs`"):
        tradeoff_summary(df, configs=["bogus"])
    with pytest.raises(InputError, match="missing column"):
        tradeoff_summary(df.drop(columns="expressibility_kl"))


def test_degenerate_configuration_is_reported_not_fatal(df):
    keep = df["architecture_id"].isin(df["architecture_id"].unique()[:2])
    data = df[(df["training_config"] != "hybrid_full") | keep]
    with pytest.warns(DegenerateDataWarning):
        s = tradeoff_summary(data, definitions=["grad_var"], n_boot=100, seed=0)
    row = s.set_index("training_config").loc["hybrid_full"]
    assert np.isnan(row["estimate"]) and row["verdict"] == "none"
    assert "not enough usable data" in row["sentence"]


@pytest.mark.slow
def test_speed_500_rows():
    data = synthetic_dataset(n_architectures=56, seed=3)  # 504 rows
    start = time.perf_counter()
    tradeoff_summary(data, n_boot=1000, seed=0)
    assert time.perf_counter() - start < 45  # seconds, even on a busy 2-core machine


def test_failed_runs_are_ignored(df):
    failed = df.copy()
    failed["status"] = failed["status"].astype(object)
    failed.loc[failed.index[:30], "status"] = "failed"
    failed.loc[failed.index[:30], "grad_var"] = 1e9  # would distort the result if used
    s = tradeoff_summary(failed, definitions=["grad_var"], n_boot=100, seed=0)
    ok = failed[(failed["status"] == "ok") & (failed["training_config"] == "pure_pqc")]
    expect = rank_correlation(ok, x="expressibility_kl", y="grad_var", n_boot=10, seed=0)
    assert s.loc[0, "estimate"] == pytest.approx(expect.loc[0, "estimate"])
    assert s.loc[0, "n"] == len(ok)


def test_log_scale_fit_recovers_a_slope_per_decade_of_kl():
    rng = np.random.default_rng(5)
    n_arch, slope = 60, 0.7
    kl = 10 ** rng.uniform(-2.5, 0.5, n_arch)  # three decades, as in simulated data
    arch_effect = rng.normal(0, 0.2, n_arch)
    rows = []
    for a in range(n_arch):
        for seed in range(3):
            log_y = -2 + slope * np.log10(kl[a]) + arch_effect[a] + rng.normal(0, 0.1)
            rows.append({"architecture_id": f"a{a}", "training_config": "pure_pqc",
                         "seed": seed, "n_qubits": 2 + a % 3, "layers": 1 + a % 4,
                         "expressibility_kl": kl[a], "grad_var": 10 ** log_y})
    data = pd.DataFrame(rows)
    s = tradeoff_summary(data, definitions=["grad_var"], n_boot=200, seed=0).iloc[0]
    assert s["slope_ci_low"] < slope < s["slope_ci_high"]
    assert "log10(expressibility_kl)" in s["method"]
    with pytest.raises(InputError, match="`transform_x`"):
        tradeoff_summary(data, definitions=["grad_var"], transform_x="sqrt")
