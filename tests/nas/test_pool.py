"""The common pool: fronts recomputed by brute force from fresh evaluations; the control."""

from __future__ import annotations

import numpy as np
import pytest

from etr.contract import ARCHITECTURE_COLUMNS
from etr.experiment.grid import derive_seed, task_seed
from etr.nas import synthetic_evaluator
from etr.nas.evaluate import replicate_block
from etr.nas.run import run_nas
from etr.nas.spec import parse_nas_spec
from etr.plan import Architecture

SETTINGS = ["hybrid_quantum_only/grad_var", "hybrid_full/grad_var", "hybrid_full/loss_decrease"]


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b) and np.any(a < b))


def _arch(row) -> Architecture:
    return Architecture(**{k: (bool(row[k]) if k == "reupload" else
                               int(row[k]) if k in ("n_qubits", "layers") else row[k])
                           for k in ARCHITECTURE_COLUMNS})


@pytest.fixture(scope="module")
def result():
    spec = parse_nas_spec({"root_seed": 3, "nas": {
        "n_trials": 10, "population_size": 5, "compare": SETTINGS}})
    return spec, run_nas(spec, evaluator=synthetic_evaluator)


def test_pool_fronts_are_the_non_dominated_pool_under_each_search(result) -> None:
    spec, res = result
    comp = res.comparison
    archs = {}
    for r in res.results:
        for _, row in r.trials[r.trials["state"] == "COMPLETE"].iterrows():
            archs.setdefault(row["architecture_id"], _arch(row))
    assert len(res.results) == 3 * 2
    for r in res.results:
        points = {}
        for aid, arch in archs.items():
            # fresh evaluations with the seeds of `etr simulate`, averaged by hand
            recs = [synthetic_evaluator(arch, r.setting.training_config,
                                        derive_seed(3, aid, rep), spec.evaluation.at(rep))
                    for rep in replicate_block(r.search_seed, 2)]
            signs = [1.0 if o.direction == "minimize" else -1.0 for o in r.objectives]
            points[aid] = np.array([s * np.mean([rec[o.column] for rec in recs])
                                    for s, o in zip(signs, r.objectives, strict=True)])
        expected = {a for a in points
                    if not any(_dominates(points[b], points[a]) for b in points if b != a)}
        got = set(comp.pool_fronts.loc[comp.pool_fronts["search"] == r.label,
                                       "architecture_id"])
        assert got == expected


def test_pool_distances_are_one_minus_jaccard_of_the_pool_fronts(result) -> None:
    _, res = result
    comp = res.comparison
    fronts = {s: set(g["architecture_id"]) for s, g in comp.pool_fronts.groupby("search")}
    pool = comp.distances[comp.distances["scope"] == "pool"]
    # 6 searches: 15 pairs; within rows of a setting are repeated per claim it bears on
    assert len(pool.drop_duplicates(["search_a", "search_b"])) == 15
    for row in pool.itertuples():
        a, b = fronts.get(row.search_a, set()), fronts.get(row.search_b, set())
        assert row.distance == pytest.approx(1 - len(a & b) / len(a | b))
        assert row.kind == ("within" if row.setting_a == row.setting_b else "between")


def test_claims_table_has_the_contract_shape(result) -> None:
    from etr.analysis.claims import NAS_SEED_COLUMNS
    from etr.nas import NAS_COLUMNS

    _, res = result
    claims = res.claims
    assert NAS_COLUMNS == ("claim", "kind", "setting_a", "setting_b", "distance")
    assert tuple(claims.columns) == (*NAS_COLUMNS, *NAS_SEED_COLUMNS)
    assert set(claims["kind"]) == {"between", "within"}
    assert set(claims["claim"]) == {"nas_fronts_differ_by_training",
                                    "nas_fronts_differ_by_definition"}
    assert claims["distance"].between(0, 1).all()
    # training: qo/grad_var vs full/grad_var, seeds (0, 1) and (1, 0); within: both settings
    t = claims[claims["claim"] == "nas_fronts_differ_by_training"]
    assert sorted(t["kind"]) == ["between", "between", "within", "within"]
    between = t[t["kind"] == "between"]
    assert all(a.endswith("seed0") != b.endswith("seed0")
               for a, b in zip(between["setting_a"], between["setting_b"], strict=True))
    assert set(t["setting_a"]) | set(t["setting_b"]) == {
        f"{s}/seed{k}" for s in SETTINGS[:2] for k in (0, 1)}
    d = claims[claims["claim"] == "nas_fronts_differ_by_definition"]
    assert set(d["setting_a"]) | set(d["setting_b"]) == {
        f"{s}/seed{k}" for s in SETTINGS[1:] for k in (0, 1)}
    # the pair that differs in both factors bears on no claim
    assert not ((claims["setting_a"].str.startswith(SETTINGS[0]))
                & (claims["setting_b"].str.startswith(SETTINGS[2]))).any()


def test_control_is_paired_with_the_hybrids_and_never_on_a_front(result) -> None:
    spec, res = result
    c = res.control
    assert len(c) and c["gap"].to_numpy() == pytest.approx(
        (c["test_accuracy"] - c["control_accuracy"]).to_numpy())
    controls = set(c["control_id"])
    for r in res.results:
        assert not controls & set(r.trials["architecture_id"].dropna())
    assert not controls & set(res.comparison.pool_fronts["architecture_id"])
    row = c.iloc[0]
    arch = _arch(res.runs.loc[res.runs["architecture_id"] == row["architecture_id"]].iloc[0])
    block = replicate_block(int(row["search_seed"]), 2)
    accs = [synthetic_evaluator(arch, "classical_only", derive_seed(3, arch.control_id, rep),
                                spec.evaluation.at(rep))["test_accuracy"] for rep in block]
    assert row["control_accuracy"] == pytest.approx(np.mean(accs))
    runs = res.runs
    ctrl = runs[runs["training_config"] == "classical_only"]
    assert ctrl["pqc_id"].isna().all() and ctrl["architecture_id"].isin(controls).all()
    # one control run per (control id, replicate), on the shared task instances
    assert not ctrl.duplicated(["architecture_id", "seed"]).any()
    assert set(ctrl["seed"]) == {0, 1, 2, 3}
    assert ctrl["task_id"].tolist() == [f"synthetic-{task_seed(3, 'synthetic', int(s)) % 10**6}"
                                        for s in ctrl["seed"]]


def test_dataset_rows_are_runs_with_replicate_seeds(result) -> None:
    _, res = result
    runs = res.runs
    hyb = runs[runs["training_config"] != "classical_only"]
    assert not hyb.duplicated(["architecture_id", "training_config", "seed"]).any()
    # every pool architecture under every searched configuration and all four replicates
    n_arch = hyb["architecture_id"].nunique()
    assert len(hyb) == n_arch * 2 * 4
    assert runs["cell_id"].is_unique


def test_single_setting_single_seed_has_no_distances() -> None:
    spec = parse_nas_spec({"nas": {"n_trials": 4, "population_size": 2, "search_seeds": 1}})
    res = run_nas(spec, evaluator=synthetic_evaluator)
    assert res.comparison.distances.empty and res.claims.empty
    assert list(res.claims.columns) == ["claim", "kind", "setting_a", "setting_b", "distance",
                                        "seed_a", "seed_b"]
