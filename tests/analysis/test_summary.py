from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest

from etr.analysis import (
    THRESHOLDS,
    VERDICT_RULE,
    conditional_correlation,
    planted_dataset,
    planted_study,
    synthetic_dataset,
    tradeoff_summary,
    verdict,
)
from etr.errors import DegenerateDataWarning, InputError

COLUMNS = ["training_config", "definition", "n", "n_clusters", "estimate", "ci_low", "ci_high",
           "p_value", "p_adj", "slope", "slope_ci_low", "slope_ci_high", "n_regimes",
           "verdict", "direction", "sentence", "method", "estimate_robust", "robust",
           "estimate_marginal", "marginal_ci_low", "marginal_ci_high", "ci_level", "n_strata",
           "n_dropped", "data_note"]
DEFS = ["grad_var", "grad_var_train", "loss_decrease"]


@pytest.fixture(scope="module")
def planted():
    # a planted circuit-level truth (the estimand of the verdicts)
    return planted_study(n_pqcs=240, n_instances=2, run_noise=0.5, seed=31,
                         circuit_r={"pure_pqc": 0.75, "hybrid_quantum_only": 0.3,
                                    "hybrid_full": 0.0})


@pytest.fixture(scope="module")
def summary(planted):
    return tradeoff_summary(planted, definitions=DEFS, seed=1)


def test_layout(summary):
    assert list(summary.columns) == COLUMNS
    assert len(summary) == 9
    assert summary["training_config"].tolist()[::3] == ["pure_pqc", "hybrid_quantum_only",
                                                        "hybrid_full"]
    assert summary["definition"].tolist()[:3] == DEFS
    assert (summary["ci_level"] == 1 - 0.05 / 9).all()


def test_verdicts_use_the_conditional_association(planted, summary):
    s = summary.set_index(["training_config", "definition"])
    assert s.loc[("pure_pqc", "grad_var_train"), "verdict"] == "strong"
    assert s.loc[("pure_pqc", "grad_var_train"), "direction"] == \
        "more expressive -> less trainable"
    assert s.loc[("hybrid_quantum_only", "grad_var_train"), "verdict"] in ("weak", "moderate")
    full = s.loc[("hybrid_full", "grad_var_train")]
    # no trade-off given width and depth, yet a strong marginal association through them
    assert full["verdict"] in ("absent", "not detected")
    assert full["marginal_ci_low"] > THRESHOLDS[2]
    # grad_var is measured at initialisation: the two hybrid rows are one measurement
    gv = s.xs("grad_var", level="definition")
    assert gv.loc["hybrid_full", "estimate"] == gv.loc["hybrid_quantum_only", "estimate"]
    assert (summary["n_regimes"].dropna() >= 1).all()
    truth = planted.attrs["truth"]["circuit_r"]
    for config, value in truth.items():
        row = s.loc[(config, "grad_var_train")]
        assert row["ci_low"] < value < row["ci_high"]


def test_estimates_and_bonferroni_match_conditional_correlation(planted, summary):
    m = len(summary)
    direct = conditional_correlation(planted, y="grad_var_train",
                                     confidence=1 - 0.05 / m).set_index("training_config")
    s = summary[summary["definition"] == "grad_var_train"].set_index("training_config")
    for col in ("estimate", "ci_low", "ci_high", "p_value", "estimate_marginal"):
        np.testing.assert_allclose(s[col], direct.loc[s.index, col])
    np.testing.assert_allclose(summary["p_adj"], np.minimum(1, m * summary["p_value"]))
    # a verdict is read off its interval, consistently with p_adj
    detected = ~summary["verdict"].isin(["absent", "not detected"])
    assert (detected == (summary["p_adj"] < 0.05)).all()


def test_verdict_rule_and_function():
    for text in (f"{t:g}" for t in THRESHOLDS):
        assert text in VERDICT_RULE
    for word in ("Bonferroni", "shown absent", "not detected", "given width",
                 "more expressive -> less trainable", "robust", "per decade"):
        assert word in VERDICT_RULE
    assert verdict(0.05, 0.01, 0.09) == ("absent", "no trade-off (shown absent)")
    assert verdict(0.05, 0.01, 0.15) == ("negligible", "more expressive -> less trainable")
    assert verdict(0.2, 0.05, 0.35) == ("weak", "more expressive -> less trainable")
    assert verdict(-0.55, -0.7, -0.4) == ("strong", "more expressive -> more trainable")
    assert verdict(0.9, -0.01, 0.99) == ("not detected", "no clear direction")
    assert verdict(np.nan, 0, 1)[0] == "not detected"


def test_sentences_distinguish_absent_from_not_detected(summary):
    sent = summary.set_index(["training_config", "definition"])["sentence"]
    assert sent[("pure_pqc", "grad_var_train")].startswith(
        "Under pure_pqc, grad_var_train shows a strong trade-off given width and depth")
    for (cfg, d), text in sent.items():
        v = summary.set_index(["training_config", "definition"]).loc[(cfg, d), "verdict"]
        if v == "absent":
            assert "shown absent" in text and "equivalence" in text
        if v == "not detected":
            assert "none is excluded" in text
        assert "marginal r" in text


def test_robust_compares_estimates_with_intervals():
    df = synthetic_dataset(n_architectures=120, seed=2)
    # put a third of the circuits at the floor: their KL differs by sampling noise only
    floor = df.copy()
    ids = floor["pqc_id"].unique()[:40]
    at = floor["pqc_id"].isin(ids)
    noise = pd.Series(np.random.default_rng(0).uniform(0, 0.004, len(ids)), index=ids)
    floor.loc[at, "expressibility_kl_corrected"] = floor.loc[at, "pqc_id"].map(noise)
    floor.loc[at, "expressibility_kl"] = floor.loc[at, "expressibility_kl_corrected"] + 0.0074
    floor.loc[at, "expressibility_kl_ci_low"] = 0.0
    s = tradeoff_summary(floor, x="expressibility_kl", definitions=["grad_var"])
    tied = floor["expressibility_kl_corrected"].where(floor["expressibility_kl_ci_low"] > 0,
                                                      0.0)
    pure = floor["training_config"] == "pure_pqc"
    expect = conditional_correlation(floor[pure].assign(expressibility_kl=tied[pure]),
                                     x="expressibility_kl", y="grad_var", by=None)
    assert s.loc[0, "estimate_robust"] == pytest.approx(expect.loc[0, "estimate"])
    inside = (s["ci_low"] <= s["estimate_robust"]) & (s["estimate_robust"] <= s["ci_high"])
    assert (s["robust"].astype(bool) == inside).all()
    # a robustness estimate outside the interval is not robust whatever the labels say
    moved = floor.copy()
    moved.loc[pure & at, "expressibility_kl_ci_low"] = 0.0
    no_ci = tradeoff_summary(df.drop(columns=["expressibility_kl_ci_low"]),
                             x="expressibility_kl", definitions=["grad_var"])
    assert no_ci["estimate_robust"].isna().all() and no_ci["robust"].isna().all()


def test_configs_definitions_and_bad_input(planted):
    s = tradeoff_summary(planted, definitions=["grad_var", "nope"], configs=["hybrid_full"])
    assert s[["training_config", "definition"]].values.tolist() == [["hybrid_full", "grad_var"]]
    with pytest.raises(InputError, match="none of the trainability"):
        tradeoff_summary(planted, definitions=["nope"])
    with pytest.raises(InputError, match="`configs`"):
        tradeoff_summary(planted, configs=["bogus"])
    with pytest.raises(InputError, match=r"missing column.*expressibility_fp"):
        tradeoff_summary(planted.drop(columns="expressibility_fp"))
    with pytest.raises(InputError, match="not a registered expressibility"):
        tradeoff_summary(planted, x="grad_norm")


def test_classical_only_control_is_left_out():
    df = planted_dataset(n_pqcs=48, n_seeds=1, seed=3,
                         configs=["pure_pqc", "hybrid_full", "classical_only"])
    s = tradeoff_summary(df, definitions=["grad_var_train"])
    assert s["training_config"].tolist() == ["pure_pqc", "hybrid_full"]


def test_degenerate_configuration_is_reported_not_fatal(planted):
    keep = planted["pqc_id"].isin(planted["pqc_id"].unique()[:2])
    data = planted[(planted["training_config"] != "hybrid_full") | keep]
    with pytest.warns(DegenerateDataWarning):
        s = tradeoff_summary(data, definitions=["grad_var_train"])
    row = s.set_index("training_config").loc["hybrid_full"]
    assert np.isnan(row["estimate"]) and row["verdict"] == "not detected"
    assert "not enough usable data" in row["sentence"]


def test_failed_runs_are_ignored_and_counted(planted):
    failed = planted.copy()
    failed["status"] = failed["status"].astype(object)
    pure = failed.index[failed["training_config"] == "pure_pqc"][:30]
    failed.loc[pure, "status"] = "failed"
    failed.loc[pure, "grad_var_train"] = 1e9  # would distort the result if used
    s = tradeoff_summary(failed, definitions=["grad_var_train"])
    ok = failed[(failed["status"] == "ok") & (failed["training_config"] == "pure_pqc")]
    expect = conditional_correlation(ok, y="grad_var_train", by=None)
    assert s.loc[0, "estimate"] == pytest.approx(expect.loc[0, "estimate"])
    assert s.loc[0, "n"] == len(ok)
    assert s["n_dropped"].tolist() == [30, 0, 0]  # the failed runs were pure_pqc runs
    assert "30 failed runs" in s.loc[0, "data_note"]


def test_slope_is_per_decade_of_a_log_scaled_x():
    # log10(grad_var) = -2 + 0.7 log10(KL) + circuit effect + noise, given width and depth
    rng = np.random.default_rng(5)
    n_pqc, slope = 90, 0.7
    kl = 10 ** rng.uniform(-2.5, 0.5, n_pqc)
    effect = rng.normal(0, 0.2, n_pqc)
    rows = []
    for a in range(n_pqc):
        for seed in range(3):
            log_y = -2 + slope * np.log10(kl[a]) + effect[a] + rng.normal(0, 0.1)
            rows.append({"architecture_id": f"a{a}", "pqc_id": f"p{a}", "seed": seed,
                         "training_config": "pure_pqc", "n_qubits": 2 + a % 3,
                         "layers": 1 + a % 2, "expressibility_kl": kl[a],
                         "grad_var": 10 ** log_y})
    s = tradeoff_summary(pd.DataFrame(rows), x="expressibility_kl", definitions=["grad_var"])
    s = s.iloc[0]
    assert s["slope_ci_low"] < slope < s["slope_ci_high"]
    assert "per decade" in s["method"]
    with pytest.raises(InputError, match="`transform_x`"):
        tradeoff_summary(pd.DataFrame(rows), x="expressibility_kl", definitions=["grad_var"],
                         transform_x="sqrt")


def test_legacy_synthetic_dataset_still_works():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        s = tradeoff_summary(synthetic_dataset(n_architectures=60, seed=31),
                             definitions=["grad_var"])
    row = s.set_index("training_config").loc["pure_pqc"]
    assert row["verdict"] in ("moderate", "strong")
    assert row["slope_ci_low"] > 0


@pytest.mark.slow
def test_speed_paper_sized():
    data = planted_dataset(n_pqcs=455, n_seeds=5, seed=3)  # the paper preset: 11375 runs
    start = time.perf_counter()
    tradeoff_summary(data, definitions=["grad_var", "grad_var_train"])
    assert time.perf_counter() - start < 120  # seconds, even on a busy 2-core machine
