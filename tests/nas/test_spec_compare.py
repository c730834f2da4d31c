"""Spec parsing, bad input, the settings comparison and the trials dataset."""

from __future__ import annotations

import pytest

from etr.errors import InputError, SpecError
from etr.experiment import read_dataset, write_dataset
from etr.nas import SearchSpace, Setting, run_search, synthetic_evaluator
from etr.nas.compare import compare_settings, jaccard
from etr.nas.run import run_nas, trials_dataset
from etr.nas.spec import load_nas_spec, nas_preset, parse_nas_spec


def test_quick_preset_loads() -> None:
    spec = nas_preset("quick")
    assert [s.label for s in spec.settings] == [
        "hybrid_quantum_only/grad_var_train", "hybrid_full/grad_var_train",
        "hybrid_full/loss_decrease"]
    assert spec.space.size() > spec.n_trials
    assert spec.replicates >= 2 and spec.search_seeds >= 2 and spec.control
    assert spec.tasks == ("parity",)


def test_spec_round_trip_keeps_the_seed_design() -> None:
    spec = parse_nas_spec({"nas": {"replicates": 3, "search_seeds": 4, "control": False}})
    back = parse_nas_spec(spec.to_dict())
    assert (back.replicates, back.search_seeds, back.control) == (3, 4, False)
    assert (spec.replicates, spec.search_seeds) == (3, 4)
    default = parse_nas_spec({"nas": {}})
    assert (default.replicates, default.search_seeds, default.control) == (2, 2, True)


@pytest.mark.parametrize(("nas", "match"), [
    ({"space": {"topologies": []}}, "topologies` is empty"),
    ({"space": {"layers": [3, 1]}}, "min 3 > max 1"),
    ({"space": {"colour": ["red"]}}, "unknown key `nas.space.colour`"),
    ({"objectives": ["expressibility", "beauty"]}, "objectives"),
    ({"trainability": "vibes"}, "trainability"),
    ({"training_config": "half"}, "training_config"),
    ({"compare": ["hybrid_full"]}, "setting"),
    ({"n_trials": 0}, "n_trials"),
    ({"flavour": 1}, "unknown key `nas.flavour`"),
    ({"replicates": 1}, "replicates"),
    ({"search_seeds": 0}, "search_seeds"),
    ({"control": "yes"}, "nas.control` must be true or false"),
    ({"compare": ["classical_only/grad_var"]}, "training_config"),
])
def test_bad_specs_name_the_field(nas: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        parse_nas_spec({"nas": nas})


def test_malformed_toml_reports_line_and_column(tmp_path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text("[nas]\nn_trials = = 3\n")
    with pytest.raises(SpecError, match=r"line 2, column"):
        load_nas_spec(p)
    with pytest.raises(SpecError, match="no `\\[nas\\]` table"):
        parse_nas_spec({"simulate": {}})


def test_jaccard_and_search_distances(small_space) -> None:
    assert jaccard(frozenset(), frozenset()) == 1.0
    assert jaccard(frozenset("ab"), frozenset("abcd")) == 0.5
    kw = dict(n_trials=16, population_size=4, evaluator=synthetic_evaluator, seed=6)
    rs = [run_search(small_space, setting=Setting(c, d), search_seed=k, **kw)
          for c, d in (("hybrid_quantum_only", "grad_var"), ("hybrid_full", "grad_var"))
          for k in (0, 1)]
    comp = compare_settings(rs)
    d = comp.distances
    assert len(d) == 6 and (d["scope"] == "search").all()
    for row in d.itertuples():
        a = next(r for r in rs if r.label == row.search_a).pareto_ids
        b = next(r for r in rs if r.label == row.search_b).pareto_ids
        assert row.n_common == len(a & b)
        assert row.distance == pytest.approx(1 - jaccard(a, b))
        assert row.claim == "nas_fronts_differ_by_training"
    assert (comp.hypervolume["hypervolume"] > 0).all()
    assert compare_settings(rs[:1]).distances.empty
    with pytest.raises(InputError, match="differ"):
        compare_settings([rs[0], rs[0]])


def test_claims_table_keeps_different_seed_pairs(small_space) -> None:
    from etr.nas.compare import claims_table, front_distances

    a, b, c = (Setting("hybrid_quantum_only", "grad_var"), Setting("hybrid_full", "grad_var"),
               Setting("hybrid_quantum_only", "loss_decrease"))
    fronts = {(s, k): frozenset({f"{s.label}{k}", "shared"}) for s in (a, b, c) for k in (0, 1)}
    d = front_distances(fronts, "pool")
    t = claims_table(d)
    # by training: a-b; by definition: a-c; b-c differs in both and bears on neither
    assert set(t["claim"]) == {"nas_fronts_differ_by_training",
                               "nas_fronts_differ_by_definition"}
    tr = t[t["claim"] == "nas_fronts_differ_by_training"]
    assert sorted(tr["kind"]) == ["between"] * 2 + ["within"] * 2
    assert tr["distance"].to_numpy() == pytest.approx([2 / 3] * 4)
    pairs = {frozenset((x.rsplit("/", 1)[0], y.rsplit("/", 1)[0]))
             for x, y in zip(t["setting_a"], t["setting_b"], strict=True)}
    assert frozenset((b.label, c.label)) not in pairs
    assert claims_table(d, scope="search").empty


def test_common_scale_hypervolume_is_bounded(small_space) -> None:
    kw = dict(n_trials=12, population_size=4, evaluator=synthetic_evaluator)
    rs = [run_search(small_space, setting=Setting(c, "grad_var"), **kw)
          for c in ("hybrid_quantum_only", "hybrid_full")]
    hv = compare_settings(rs).hypervolume["hypervolume"]
    assert ((hv > 0) & (hv <= 1.1 ** 3)).all()
    curves = compare_settings(rs).curves
    for _, g in curves.groupby("setting"):
        assert g["hypervolume"].is_monotonic_increasing
        assert g["hypervolume"].iloc[-1] == pytest.approx(
            hv[compare_settings(rs).hypervolume["setting"] == g["setting"].iloc[0]].iloc[0])


def test_trials_dataset_is_a_contract_dataset(tmp_path) -> None:
    spec = parse_nas_spec({"nas": {"n_trials": 8, "population_size": 4, "compare": [
        "hybrid_full/grad_var", "hybrid_full/loss_decrease"]}})
    res = run_nas(spec, evaluator=synthetic_evaluator)
    data, prov = trials_dataset(res)
    path = write_dataset(data, tmp_path / "t.parquet", provenance=prov)
    back = read_dataset(path)
    hyb = back[back["training_config"] != "classical_only"]
    # one row per run: (architecture, training config, replicate)
    assert not hyb.duplicated(["architecture_id", "training_config", "seed"]).any()
    assert set(hyb["seed"]) == {0, 1, 2, 3}
    assert len(prov["nas_trials"]) == 8 * 4  # 2 settings x 2 search seeds
    ids = {r["architecture_id"] for r in prov["nas_trials"] if r["state"] == "COMPLETE"}
    assert ids == set(hyb["architecture_id"])
    assert {"grad_var_se", "test_accuracy_se"} <= set(prov["nas_trials"][0])
    assert [tuple(r) for r in prov["nas_claims"][0]] and prov["nas_claims"][0].keys() == {
        "claim", "kind", "setting_a", "setting_b", "distance", "seed_a", "seed_b"}


def test_space_suggest_round_trip() -> None:
    import optuna

    space = SearchSpace(pre_depth=(2, 2), widths=(8,), activations=("relu",))
    params = {"circuit": "hea", "n_qubits": 3, "layers": 2, "topology": "ring",
              "rotations": "RY+RZ", "entangler": "CZ", "encoding": "hrz", "reupload": True,
              "pre_depth": 2, "post_depth": 0, "pre_width": 8, "pre_activation": "relu",
              "post_width": 8, "post_activation": "relu"}
    arch = space.suggest(optuna.trial.FixedTrial(params))
    assert arch.classical_pre == "8-8-relu" and arch.classical_post == "none"
    assert arch.n_qubits == 3 and arch.reupload is True
