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


def test_jaccard_and_exclusive_architectures(small_space) -> None:
    assert jaccard(frozenset(), frozenset()) == 1.0
    assert jaccard(frozenset("ab"), frozenset("abcd")) == 0.5
    kw = dict(n_trials=16, population_size=4, evaluator=synthetic_evaluator, seed=6)
    a = run_search(small_space, setting=Setting("hybrid_quantum_only", "grad_var"), **kw)
    b = run_search(small_space, setting=Setting("hybrid_full", "loss_decrease"), **kw)
    comp = compare_settings([a, b])
    row = comp.overlap.iloc[0]
    assert row["n_common"] == len(a.pareto_ids & b.pareto_ids)
    assert row["jaccard"] == pytest.approx(jaccard(a.pareto_ids, b.pareto_ids))
    ex = comp.exclusive
    assert set(ex.loc[ex["setting"] == a.setting.label, "architecture_id"]) == (
        a.pareto_ids - b.pareto_ids)
    assert (comp.hypervolume["hypervolume"] > 0).all()
    self_comp = compare_settings([a])
    assert self_comp.overlap.empty
    with pytest.raises(InputError, match="differ"):
        compare_settings([a, a])


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
    assert back["architecture_id"].is_unique  # one run per (architecture, training config)
    assert len(prov["nas_trials"]) == 16
    ids = {r["architecture_id"] for r in prov["nas_trials"] if r["state"] == "COMPLETE"}
    assert ids == set(back["architecture_id"])


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
