from __future__ import annotations

import numpy as np

from etr.hybrid import Architecture
from etr.nas import synthetic_evaluator
from etr.nas.evaluate import run_seed
from etr.nas.run import run_nas
from etr.nas.spec import parse_nas_spec


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b) and np.any(a < b))


def test_pool_fronts_compare_every_setting_on_the_same_architectures() -> None:
    spec = parse_nas_spec({"root_seed": 3, "nas": {
        "n_trials": 10, "population_size": 5,
        "compare": ["hybrid_quantum_only/grad_var", "hybrid_full/grad_var",
                    "hybrid_full/loss_decrease"]}})
    res = run_nas(spec, evaluator=synthetic_evaluator)
    comp = res.comparison
    pool = set()
    for r in res.results:
        pool |= set(r.trials.loc[r.trials["state"] == "COMPLETE", "architecture_id"])
    assert len(comp.pool_overlap) == 3
    # brute force: the front of each setting over the whole pool, from fresh evaluations
    for r in res.results:
        archs = {}
        for rr in res.results:
            for _, row in rr.trials[rr.trials["state"] == "COMPLETE"].iterrows():
                archs[row["architecture_id"]] = row
        points = {}
        for aid in pool:
            row = archs[aid]
            arch = Architecture(**{k: (bool(row[k]) if k == "reupload" else
                                       int(row[k]) if k in ("n_qubits", "layers") else row[k])
                                   for k in ("family", "circuit", "n_qubits", "layers",
                                             "topology", "rotations", "entangler", "encoding",
                                             "reupload", "classical_pre", "classical_post")})
            rec = synthetic_evaluator(arch, r.setting.training_config, run_seed(3, aid),
                                      spec.evaluation)
            signs = [1.0 if o.direction == "minimize" else -1.0 for o in r.objectives]
            points[aid] = np.array([s * rec[o.column] for s, o in zip(signs, r.objectives)])
        expected = {a for a in points
                    if not any(_dominates(points[b], points[a]) for b in points if b != a)}
        got = set(comp.pool_fronts.loc[comp.pool_fronts["setting"] == r.setting.label,
                                       "architecture_id"])
        assert got == expected
    row = comp.pool_overlap.iloc[0]
    a = set(comp.pool_fronts.loc[comp.pool_fronts["setting"] == row["setting_a"],
                                 "architecture_id"])
    b = set(comp.pool_fronts.loc[comp.pool_fronts["setting"] == row["setting_b"],
                                 "architecture_id"])
    assert row["n_common"] == len(a & b)
    assert np.isclose(row["jaccard"], len(a & b) / len(a | b))


def test_single_setting_has_no_pool_comparison() -> None:
    spec = parse_nas_spec({"nas": {"n_trials": 4, "population_size": 2}})
    res = run_nas(spec, evaluator=synthetic_evaluator)
    assert res.comparison.pool_overlap is None
