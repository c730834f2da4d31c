"""The registered claims: the registry file, primary definitions and gatekeeping, family-level
verdicts in both directions, robustness to the adjustment sets, NAS permutation tests."""

from __future__ import annotations

import hashlib
import itertools
import re
import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from etr.analysis import (
    CLAIMS,
    NAS_COLUMNS,
    REGISTRY,
    evaluate_claims,
    load_claims,
    planted_dataset,
    planted_study,
)
from etr.analysis.claims import ADJUSTED_COLUMNS, RULES, adjusted_table
from etr.errors import InputError, SpecError

COLUMNS = ["claim", "definition", "role", "verdict", "estimate", "ci_low", "ci_high",
           "confidence", "p_value", "p_adj", "p_contra", "p_adj_contra", "robust", "test",
           "sentence", "n", "n_clusters", "estimate_uncorrected", "instance_sd", "margin", "x",
           "family", "kind", "p_min", "data_note"]
DEFS = ["grad_var", "grad_var_landscape", "grad_var_train"]


def _primary(res: pd.DataFrame) -> dict[str, str]:
    return res[res["role"] == "primary"].set_index("claim")["verdict"].to_dict()


@pytest.fixture(scope="module")
def scenario_b():
    # a circuit-level trade-off, strong in pure PQCs, weaker under quantum-only training, none
    # end to end; little run noise, and an equivalence margin of 0.2 (showing +-0.1 takes a
    # few thousand circuits), so the verdicts are clear
    df = planted_study(n_pqcs=960, n_instances=2, run_noise=0.4, seed=11, circuit_r={
        "pure_pqc": 0.6, "hybrid_quantum_only": 0.3, "hybrid_full": 0.0})
    return df, evaluate_claims(df, definitions=DEFS, margin=0.2)


def test_the_registry_is_the_packaged_file_with_its_hash():
    raw = resources.files("etr.analysis").joinpath("claims.toml").read_bytes()
    assert REGISTRY.sha256 == hashlib.sha256(raw).hexdigest()
    assert list(CLAIMS) == ["pure_weak", "pure_regime_dependent", "quantum_only_disrupted",
                            "full_eliminated", "nas_fronts_differ_by_training",
                            "nas_fronts_differ_by_definition", "noise_changes_tradeoff"]
    for c in CLAIMS.values():
        assert c.rule in RULES and RULES[c.rule].kind == c.kind and c.reason
    # the hybrid claims are decided on the landscape with the trained classical parts: at
    # initialisation the two hybrid configurations are one model
    assert CLAIMS["full_eliminated"].primary == "grad_var_landscape"
    assert CLAIMS["quantum_only_disrupted"].primary == "grad_var_landscape"
    assert "one model" in CLAIMS["quantum_only_disrupted"].reason
    assert CLAIMS["pure_weak"].primary == "grad_var" and CLAIMS["pure_weak"].bound == 0.3
    assert ("rotations",) in CLAIMS["pure_weak"].adjustments
    assert REGISTRY.families == {"association": "holm", "nas": "sequence", "noise": "holm"}


def test_layout_order_and_registry_record(scenario_b):
    _, res = scenario_b
    assert list(res.columns) == COLUMNS
    assert res.drop_duplicates("claim")["claim"].tolist() == list(CLAIMS)
    assert set(res["verdict"]) <= {"supported", "contradicted", "inconclusive", "not tested"}
    prim = res[res["role"] == "primary"].set_index("claim")["definition"]
    assert prim["full_eliminated"] == "grad_var_landscape" and prim["pure_weak"] == "grad_var"
    assert res.attrs["registry"]["sha256"] == REGISTRY.sha256
    assert list(adjusted_table(res).columns) == list(ADJUSTED_COLUMNS)
    assert len(adjusted_table(res)) == 3 * 4  # four association claims, three sets each


def test_scenario_b_planted_circuit_level_trade_off(scenario_b):
    _, res = scenario_b
    v = _primary(res)
    assert v["pure_weak"] == "contradicted"
    assert v["quantum_only_disrupted"] == "supported"
    assert v["full_eliminated"] == "supported"
    assert v["pure_regime_dependent"] != "supported"  # the same r in every regime
    r = res[res["role"] == "primary"].set_index("claim")
    assert r.loc["pure_weak", "ci_low"] > 0.3
    assert -0.2 < r.loc["full_eliminated", "ci_low"] < r.loc["full_eliminated", "ci_high"] < 0.2
    assert "shown inside +-0.2 by equivalence" in r.loc["full_eliminated", "sentence"]
    assert (res["margin"] == 0.2).all()
    assert "overridden: margin = 0.2" in res.attrs["registry"]["source"]
    # nothing but the circuit-level truth: robust to every adjustment set
    assert r.loc[["pure_weak", "full_eliminated"], "robust"].all()
    assert "Robust: the same verdict given rotations" in r.loc["pure_weak", "sentence"]


def test_holm_in_both_directions_and_intervals_at_the_decision_level(scenario_b):
    _, res = scenario_b
    prim = res[(res["role"] == "primary") & (res["kind"] == "association")]
    for p, p_adj in (("p_value", "p_adj"), ("p_contra", "p_adj_contra")):
        ok = prim[p].notna()
        np.testing.assert_allclose(prim.loc[ok, p_adj],
                                   multipletests(prim.loc[ok, p], method="holm")[1])
    for _, row in prim.iterrows():
        if row["verdict"] == "supported":
            assert row["p_adj"] <= 0.05
        if row["verdict"] == "contradicted":
            # the contradiction is judged at its own Holm step, not at the level of the
            # supporting p-value's rank
            assert row["p_adj_contra"] <= 0.05
            m = int(prim["p_contra"].notna().sum())
            rank = int(prim["p_contra"].rank(method="min")[_]) - 1
            alpha_i = 0.05 / (m - rank)
            want = 1 - alpha_i / 2 if row["claim"] == "pure_regime_dependent" else 1 - 2 * alpha_i
            assert row["confidence"] == pytest.approx(want)


def test_secondaries_follow_the_gate_of_their_primary(scenario_b):
    _, res = scenario_b
    pure = res[res["claim"] == "pure_weak"]
    assert pure["definition"].tolist() == ["grad_var", "grad_var_landscape", "grad_var_train"]
    # the primary is contradicted, so the secondaries are decided in that direction, at its
    # level; a secondary is never "supported" when the primary is contradicted
    assert set(pure["verdict"]) <= {"contradicted", "inconclusive", "not tested"}
    assert (pure["confidence"].iloc[1:] == pure["confidence"].iloc[0]).all()
    regime = res[(res["claim"] == "pure_regime_dependent") & (res["role"] == "secondary")]
    if res.set_index(["claim", "role"]).loc[("pure_regime_dependent", "primary"),
                                            "verdict"] == "inconclusive":
        assert (regime["verdict"] == "not tested").all()
        assert regime["sentence"].str.contains("gate closed").all()


def test_once_the_gate_closes_the_rest_is_not_tested():
    # a primary with a trade-off, secondaries in which it is absent: the first secondary is not
    # decided, and the next is not tested at all
    df = planted_study(n_pqcs=600, n_instances=2, run_noise=0.4, seed=3, configs=["pure_pqc"],
                       circuit_r={"pure_pqc": 0.7})
    df["grad_var_landscape"] = np.random.default_rng(0).permutation(
        df["grad_var_landscape"].to_numpy())
    res = evaluate_claims(df, definitions=DEFS, adjust_sets=False)
    pure = res[res["claim"] == "pure_weak"].set_index("definition")["verdict"]
    assert pure["grad_var"] == "contradicted"
    assert pure["grad_var_landscape"] == "inconclusive"
    assert pure["grad_var_train"] == "not tested"


def test_shared_initialisation_measurement_is_said(scenario_b):
    _, res = scenario_b
    rows = res.set_index(["claim", "definition"])
    assert "same model" in rows.loc[("full_eliminated", "grad_var"), "sentence"]
    assert "same model" not in rows.loc[("pure_weak", "grad_var"), "sentence"]


def test_a_verdict_resting_on_the_rotation_set_is_not_robust():
    # x and trainability both follow the rotation set, with no association within a rotation
    # set: given width and depth the trade-off looks strong, given the rotation set it is gone
    df = planted_study(n_pqcs=720, n_instances=2, run_noise=0.4, rotation_shift=1.5, seed=5,
                       configs=["pure_pqc"], circuit_r={"pure_pqc": 0.0})
    res = evaluate_claims(df, definitions=["grad_var"])
    row = res[res["role"] == "primary"].set_index("claim").loc["pure_weak"]
    assert row["verdict"] == "contradicted" and row["estimate"] > 0.5
    assert not row["robust"]
    assert "Not robust to the adjustment set" in row["sentence"]
    adj = adjusted_table(res).set_index(["claim", "adjustment"])
    rot = adj.loc[("pure_weak", "+ rotations")]
    assert rot["changed"] and rot["verdict"] != "contradicted"
    assert rot["ci_low"] < 0 < rot["ci_high"]


def test_a_users_claims_file(tmp_path):
    text = resources.files("etr.analysis").joinpath("claims.toml").read_text()
    mine = tmp_path / "mine.toml"
    mine.write_text(text.replace('primary = "grad_var_landscape"', 'primary = "grad_var_train"')
                    .replace('secondary = ["grad_var_train", "grad_norm"',
                             'secondary = ["grad_var_landscape", "grad_norm"'))
    reg = load_claims(mine)
    assert reg.sha256 != REGISTRY.sha256 and reg.source == str(mine)
    assert reg.claims["full_eliminated"].primary == "grad_var_train"
    df = planted_study(n_pqcs=120, n_instances=2, seed=1)
    res = evaluate_claims(df, claims=mine, adjust_sets=False)
    prim = res[res["role"] == "primary"].set_index("claim")["definition"]
    assert prim["full_eliminated"] == "grad_var_train"
    assert res.attrs["registry"]["sha256"] == reg.sha256
    assert REGISTRY.with_primary("grad_var_train").claims["pure_weak"].primary == \
        "grad_var_train"


@pytest.mark.parametrize("edit, field", [
    (('rule = "equivalence"', 'rule = "bogus"'), "claims[0].rule"),
    (('bound = 0.3', 'bound = 0.3\ncolour = "red"'), "claims[0]"),
    (('primary = "grad_var"', 'primary = "test_accuracy"'), "claims[0].primary"),
    (('config = "pure_pqc"\nbound', 'bound'), "claims[0].config"),
    (('alpha = 0.05', 'alpha = 2'), "registry.alpha"),
    (('association = "holm"', 'association = "bonferroni"'), "families.association"),
])
def test_bad_claims_files_name_the_field(tmp_path, edit, field):
    text = resources.files("etr.analysis").joinpath("claims.toml").read_text()
    assert edit[0] in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(SpecError, match="`" + re.escape(field)):
        load_claims(bad)
    with pytest.raises(SpecError, match="cannot be read"):
        load_claims(tmp_path / "missing.toml")
    (tmp_path / "broken.toml").write_text("[registry\n")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_claims(tmp_path / "broken.toml")


def test_absent_configurations_give_inconclusive_rows():
    df = planted_study(n_pqcs=120, n_instances=2, seed=1, configs=["pure_pqc"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = evaluate_claims(df, definitions=DEFS, adjust_sets=False)
    prim = res[res["role"] == "primary"].set_index("claim")
    for claim in ("quantum_only_disrupted", "full_eliminated"):
        assert prim.loc[claim, "verdict"] == "inconclusive"
        assert "no usable hybrid" in prim.loc[claim, "sentence"]
        assert np.isnan(prim.loc[claim, "p_value"])


def test_classical_only_control_is_ignored(scenario_b):
    df, base = scenario_b
    control = planted_dataset(n_pqcs=100, n_seeds=2, seed=11, configs=["classical_only"])
    res = evaluate_claims(pd.concat([df, control], ignore_index=True), definitions=DEFS,
                          margin=0.2)
    pd.testing.assert_frame_equal(res.drop(columns="data_note"),
                                  base.drop(columns="data_note"))


# --- NAS --------------------------------------------------------------------------------------


def _nas_table(settings: list[str], seeds: int, between: float, within: float,
               claim: str = "nas_fronts_differ_by_training", legacy: bool = False,
               rng: np.random.Generator | None = None) -> pd.DataFrame:
    """Distances of every pair of searches of different seeds: `between` across settings,
    `within` inside one (plus a little noise)."""
    rng = rng or np.random.default_rng(0)
    rows = []
    searches = [(s, k) for s in settings for k in range(seeds)]
    for (sa, ka), (sb, kb) in itertools.combinations(searches, 2):
        if ka == kb:
            continue
        kind = "within" if sa == sb else "between"
        d = (within if kind == "within" else between) + rng.uniform(0, 0.01)
        rows.append({"claim": claim, "kind": kind, "setting_a": f"{sa}/seed{ka}",
                     "setting_b": f"{sb}/seed{kb}", "distance": d, "seed_a": ka, "seed_b": kb})
    out = pd.DataFrame(rows)
    return out[list(NAS_COLUMNS)] if legacy else out


def _tiny() -> pd.DataFrame:
    return planted_study(n_pqcs=48, n_instances=2, seed=2)


def _brute_permutation_p(table: pd.DataFrame) -> float:
    """Relabel the settings within every seed, by brute force."""
    searches = sorted(set(table["setting_a"]) | set(table["setting_b"]))
    setting = {s: s.rsplit("/seed", 1)[0] for s in searches}
    seed = {s: s.rsplit("/seed", 1)[1] for s in searches}
    blocks = sorted(set(seed.values()))

    def stat(lab: dict) -> float:
        same = [lab[a] == lab[b] for a, b in zip(table["setting_a"], table["setting_b"],
                                                 strict=True)]
        d = table["distance"].to_numpy()
        same = np.array(same)
        return d[~same].mean() - d[same].mean()

    obs = stat(setting)
    per_block = [[s for s in searches if seed[s] == b] for b in blocks]
    count = hits = 0
    for choice in itertools.product(*[list(itertools.permutations(m)) for m in per_block]):
        lab = {}
        for members, perm in zip(per_block, choice, strict=True):
            for s, t in zip(members, perm, strict=True):
                lab[s] = setting[t]
        count += 1
        hits += stat(lab) >= obs - 1e-12
    return hits / count


def test_nas_claims_by_a_permutation_test_within_search_seeds():
    settings = ["hybrid_quantum_only/grad_var_train", "hybrid_full/grad_var_train"]
    six = _nas_table(settings, 6, between=0.8, within=0.2)
    res = evaluate_claims(_tiny(), nas=six, adjust_sets=False).set_index("claim")
    row = res.loc["nas_fronts_differ_by_training"]
    # 2 settings x 6 seeds: 2^6 / 2 = 32 distinct relabellings, the smallest p is 1/32
    assert row["p_value"] == pytest.approx(1 / 32) == pytest.approx(row["p_min"])
    assert row["p_value"] == pytest.approx(_brute_permutation_p(six))
    assert row["verdict"] == "supported" and "smallest attainable p is 0.0312" in row["sentence"]
    # the NAS family is a fixed sequence: the second claim is decided only after the first
    assert res.loc["nas_fronts_differ_by_definition", "verdict"] == "inconclusive"
    # with three seeds per setting no front difference can be supported at 0.05
    three = _nas_table(settings, 3, between=0.8, within=0.2)
    row = evaluate_claims(_tiny(), nas=three, adjust_sets=False).set_index("claim").loc[
        "nas_fronts_differ_by_training"]
    assert row["p_min"] == pytest.approx(0.25) and row["verdict"] == "inconclusive"
    assert "more seeds are needed" in row["sentence"]
    # an old table without seed columns reads the seeds from the labels
    legacy = _nas_table(settings, 6, between=0.8, within=0.2, legacy=True)
    again = evaluate_claims(_tiny(), nas=legacy, adjust_sets=False).set_index("claim")
    assert again.loc["nas_fronts_differ_by_training", "p_value"] == pytest.approx(1 / 32)


def test_nas_p_value_on_overlapping_distances_equals_brute_force():
    rng = np.random.default_rng(4)
    settings = ["hybrid_full/grad_var_train", "hybrid_full/loss_decrease"]
    t = _nas_table(settings, 5, between=0.5, within=0.45, claim="nas_fronts_differ_by_definition",
                   rng=rng)
    t["distance"] = np.clip(t["distance"] + rng.normal(0, 0.05, len(t)), 0, 1)
    first = _nas_table(["hybrid_quantum_only/grad_var_train", "hybrid_full/grad_var_train"], 6,
                       between=0.8, within=0.2)
    res = evaluate_claims(_tiny(), nas=pd.concat([first, t]), adjust_sets=False).set_index(
        "claim")
    assert res.loc["nas_fronts_differ_by_definition", "p_value"] == pytest.approx(
        _brute_permutation_p(t))
    assert res.loc["nas_fronts_differ_by_definition", "p_min"] == pytest.approx(1 / 16)
    none = evaluate_claims(_tiny(), adjust_sets=False).set_index("claim")
    assert "not evaluated" in none.loc["nas_fronts_differ_by_training", "sentence"]


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
    with pytest.raises(InputError, match="`claims`"):
        evaluate_claims(df, claims=3)


@pytest.mark.parametrize("change", ["zero", "negative", "inf_x", "two_circuits"])
def test_degenerate_data_give_inconclusive_rows_not_errors(change):
    df = planted_study(n_pqcs=120, n_instances=2, seed=4)
    if change == "zero":
        df["grad_var"] = 0.0
    elif change == "negative":
        df["grad_var"] = -1e-3
    elif change == "inf_x":
        df["expressibility_fp"] = np.inf
    else:
        df = df[df["pqc_id"].isin(df["pqc_id"].unique()[:2])]
    res = evaluate_claims(df, definitions=["grad_var"])
    rows = res[(res["kind"] == "association") & (res["definition"] == "grad_var")]
    assert rows["verdict"].isin(["inconclusive", "not tested"]).all()
    assert (rows.loc[rows["role"] == "primary", "verdict"] == "inconclusive").all()
    assert rows["sentence"].str.contains("not tested").all()
    if change == "negative":
        assert "impossible grad_var" in rows["data_note"].iloc[0]
