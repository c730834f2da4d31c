"""The paper's claims on planted truths, multiplicity, NAS tables and incomplete data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from etr.analysis import CLAIMS, NAS_COLUMNS, evaluate_claims, planted_dataset
from etr.errors import InputError

COLUMNS = ["claim", "definition", "verdict", "estimate", "ci_low", "ci_high", "confidence",
           "p_value", "p_adj", "test", "sentence", "n", "n_clusters", "margin", "x",
           "data_note"]
Y = ["grad_var_train"]


def _verdicts(res: pd.DataFrame) -> dict[str, str]:
    return res.set_index("claim")["verdict"].to_dict()


@pytest.fixture(scope="module")
def scenario_b():
    # a conditional trade-off, strong in pure PQCs, weaker under quantum-only, none end-to-end
    df = planted_dataset(n_pqcs=1000, n_seeds=2, seed=11, conditional={
        "pure_pqc": 0.6, "hybrid_quantum_only": 0.3, "hybrid_full": 0.0})
    return df, evaluate_claims(df, definitions=Y)


def test_layout_and_order(scenario_b):
    _, res = scenario_b
    assert list(res.columns) == COLUMNS
    assert res["claim"].tolist() == list(CLAIMS)
    assert set(res["verdict"]) <= {"supported", "contradicted", "inconclusive"}
    assert (res["x"] == "expressibility_fp").all() and (res["margin"] == 0.1).all()


def test_scenario_b_planted_conditional_trade_off(scenario_b):
    _, res = scenario_b
    v = _verdicts(res)
    assert v["pure_weak"] == "contradicted"
    assert v["quantum_only_disrupted"] == "supported"
    assert v["full_eliminated"] == "supported"
    assert v["pure_regime_dependent"] != "supported"  # the same r in every regime
    r = res.set_index("claim")
    assert r.loc["pure_weak", "ci_low"] > 0.3
    assert r.loc["quantum_only_disrupted", "ci_low"] < 0.3 < r.loc["quantum_only_disrupted",
                                                                  "ci_high"]
    assert -0.1 < r.loc["full_eliminated", "ci_low"] < r.loc["full_eliminated", "ci_high"] < 0.1
    assert "shown inside +-0.1 by equivalence" in r.loc["full_eliminated", "sentence"]


def test_scenario_a_confounding_only():
    # expressibility and trainability independent given width and depth: strong marginal
    # association, no conditional trade-off; with 1000 circuits the absence is shown
    df = planted_dataset(n_pqcs=1000, n_seeds=2, seed=12, conditional={
        "pure_pqc": 0.0, "hybrid_quantum_only": 0.0, "hybrid_full": 0.0})
    v = _verdicts(evaluate_claims(df, definitions=Y))
    assert v["full_eliminated"] == "supported"
    assert v["pure_weak"] == "supported"
    assert v["quantum_only_disrupted"] != "supported"


def test_scenario_c_moderate_trade_off_under_full_training():
    df = planted_dataset(n_pqcs=1000, n_seeds=2, seed=13, conditional={
        "pure_pqc": 0.6, "hybrid_quantum_only": 0.3, "hybrid_full": 0.35})
    res = evaluate_claims(df, definitions=Y)
    assert _verdicts(res)["full_eliminated"] == "contradicted"
    row = res.set_index("claim").loc["full_eliminated"]
    assert row["ci_low"] > 0.1 and "a trade-off beyond +-0.1 is shown" in row["sentence"]


def test_regime_dependence_is_detected_when_planted():
    df = planted_dataset(n_pqcs=600, n_seeds=2, seed=14, configs=["pure_pqc"],
                         conditional={"pure_pqc": (0.0, 0.6)})
    res = evaluate_claims(df, definitions=Y).set_index("claim")
    assert res.loc["pure_regime_dependent", "verdict"] == "supported"
    assert "layers 1, 2 minus 4, 6" in res.loc["pure_regime_dependent", "sentence"]
    assert res.loc["pure_regime_dependent", "estimate"] < -0.3


def test_holm_over_the_family_and_interval_levels(scenario_b):
    df, _ = scenario_b
    res = evaluate_claims(df, definitions=["grad_var", "grad_var_train"], alpha=0.05)
    ok = res["p_value"].notna()
    m = int(ok.sum())
    assert m == 8
    np.testing.assert_allclose(res.loc[ok, "p_adj"],
                               multipletests(res.loc[ok, "p_value"], method="holm")[1])
    # each interval is at the level of its Holm step (tied p-values share the earliest)
    rank = res.loc[ok, "p_value"].rank(method="min").astype(int) - 1
    alpha_i = 0.05 / (m - rank)
    regime = res.loc[ok, "claim"] == "pure_regime_dependent"
    k = 2  # width and depth splits
    expect = np.where(regime, 1 - alpha_i / k, 1 - 2 * alpha_i)
    np.testing.assert_allclose(res.loc[ok, "confidence"], expect)
    supported = res["verdict"] == "supported"
    assert (res.loc[supported, "p_adj"] <= 0.05).all()


def test_shared_initialisation_measurement_is_said(scenario_b):
    df, _ = scenario_b
    res = evaluate_claims(df, definitions=["grad_var"]).set_index("claim")
    assert "same model" in res.loc["full_eliminated", "sentence"]
    assert "same model" not in res.loc["pure_weak", "sentence"]


def test_steps_to_target_reads_a_trade_off_as_positive(scenario_b):
    df, _ = scenario_b
    res = evaluate_claims(df, definitions=["steps_to_target"]).set_index("claim")
    assert res.loc["quantum_only_disrupted", "estimate"] > 0
    assert res.loc["pure_weak", "estimate"] > 0


def test_absent_configurations_give_inconclusive_rows():
    df = planted_dataset(n_pqcs=120, n_seeds=1, seed=1, configs=["pure_pqc"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = evaluate_claims(df, definitions=Y).set_index("claim")
    for claim in ("quantum_only_disrupted", "full_eliminated"):
        assert res.loc[claim, "verdict"] == "inconclusive"
        assert "no usable hybrid" in res.loc[claim, "sentence"]
        assert np.isnan(res.loc[claim, "p_value"])
    assert res.loc["pure_weak", "verdict"] in ("supported", "contradicted", "inconclusive")


def test_classical_only_control_is_ignored(scenario_b):
    df, base = scenario_b
    control = planted_dataset(n_pqcs=1000, n_seeds=2, seed=11, configs=["classical_only"])
    res = evaluate_claims(pd.concat([df, control], ignore_index=True), definitions=Y)
    pd.testing.assert_frame_equal(res.drop(columns="data_note"),
                                  base.drop(columns="data_note"))


def test_nas_table():
    def table(between, within, claim="nas_fronts_differ_by_training"):
        rows = [(claim, "between", "quantum_only", "full", d) for d in between]
        rows += [(claim, "within", "s0", "s1", d) for d in within]
        return pd.DataFrame(rows, columns=list(NAS_COLUMNS))

    separated = table([0.7, 0.8, 0.75, 0.9, 0.85], [0.1, 0.2, 0.15, 0.05, 0.12, 0.3])
    res = evaluate_claims(_tiny(), definitions=Y, nas=separated).set_index("claim")
    row = res.loc["nas_fronts_differ_by_training"]
    assert row["verdict"] == "supported" and row["estimate"] == 1.0
    assert row["p_value"] == pytest.approx(1 / 462)  # 1 / C(11, 5), exact rank test
    assert res.loc["nas_fronts_differ_by_definition", "verdict"] == "inconclusive"
    # separated but too few distances to tell from chance
    few = evaluate_claims(_tiny(), definitions=Y, nas=table([0.8], [0.1, 0.2]))
    row = few.set_index("claim").loc["nas_fronts_differ_by_training"]
    assert row["verdict"] == "inconclusive" and "more seeds" in row["sentence"]
    same = evaluate_claims(_tiny(), definitions=Y, nas=table([0.2, 0.25], [0.1, 0.3, 0.2]))
    assert _verdicts(same)["nas_fronts_differ_by_training"] == "contradicted"
    none = evaluate_claims(_tiny(), definitions=Y)
    assert "not evaluated" in none.set_index("claim").loc["nas_fronts_differ_by_training",
                                                          "sentence"]


def test_bad_input():
    df = _tiny()
    with pytest.raises(InputError, match=r"^`x` column 'expressibility_eps' is not in `data`"):
        evaluate_claims(df.drop(columns="expressibility_eps"), x="expressibility_eps")
    with pytest.raises(InputError, match="`margin`"):
        evaluate_claims(df, margin=0)
    with pytest.raises(InputError, match="`alpha`"):
        evaluate_claims(df, alpha=0.7)
    with pytest.raises(InputError, match="`definitions`"):
        evaluate_claims(df.drop(columns="grad_norm"), definitions=["grad_norm"])
    with pytest.raises(InputError, match="`nas` is missing column"):
        evaluate_claims(df, nas=pd.DataFrame({"claim": []}))
    bad = pd.DataFrame([("nas_fronts_differ_by_training", "between", "a", "b", 1.5)],
                       columns=list(NAS_COLUMNS))
    with pytest.raises(InputError, match="`distance`"):
        evaluate_claims(df, nas=bad)


def _tiny() -> pd.DataFrame:
    return planted_dataset(n_pqcs=48, n_seeds=1, seed=2)


@pytest.mark.parametrize("change", ["zero", "negative", "inf_x", "two_circuits"])
def test_degenerate_data_give_inconclusive_rows_not_errors(change):
    df = planted_dataset(n_pqcs=120, n_seeds=1, seed=4)
    if change == "zero":
        df["grad_var_train"] = 0.0
    elif change == "negative":
        df["grad_var_train"] = -1e-3
    elif change == "inf_x":
        df["expressibility_fp"] = np.inf
    else:
        df = df[df["pqc_id"].isin(df["pqc_id"].unique()[:2])]
    res = evaluate_claims(df, definitions=Y)
    data_rows = res[~res["claim"].str.startswith("nas_")]
    assert (data_rows["verdict"] == "inconclusive").all()
    assert data_rows["sentence"].str.contains("not tested").all()
    if change == "negative":
        assert "impossible grad_var_train" in data_rows["data_note"].iloc[0]


@pytest.mark.slow
def test_regime_claim_keeps_its_level_with_few_circuits_per_stratum():
    # the same conditional r in every regime, 30 circuits (a few per width-depth cell): the
    # unbiased U-statistic variance of a half is often ~0 there; without the jackknife guard
    # the false "supported" rate measured 0.07 (200 datasets), with it 0.025
    n, false = 150, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in range(n):
            df = planted_dataset(n_pqcs=30, n_seeds=1, seed=1000 + s, configs=["pure_pqc"],
                                 conditional={"pure_pqc": 0.4})
            res = evaluate_claims(df, definitions=Y, seed=s).set_index("claim")
            false += res.loc["pure_regime_dependent", "verdict"] == "supported"
    assert false / n <= 0.06
