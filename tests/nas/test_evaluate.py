"""Replicated objectives: seeds as `etr simulate` derives them, means and standard errors,
circuit-level columns once per distinct circuit, censored values ranked as slowest."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from etr.experiment.grid import derive_seed, expand_grid, task_seed
from etr.experiment.spec import load_spec
from etr.nas import Evaluation, Setting, run_search, synthetic_evaluator
from etr.nas.evaluate import aggregate, objective_value, replicate_block, run_seed

CALLS: list[tuple] = []


class Recording:
    """Records every run and circuit unit it is asked for (workers=1: same process)."""

    def __call__(self, arch, training_config, seed, evaluation):
        CALLS.append(("run", arch.architecture_id, training_config, seed, evaluation.replicate,
                      evaluation.task_seed))
        rec = synthetic_evaluator(arch, training_config, seed, evaluation)
        for k in ("expressibility_fp", "expressibility_kl"):
            rec.pop(k, None)  # these come from the circuit unit
        return rec

    def circuit_metrics(self, arch, seed, evaluation):
        CALLS.append(("circuit", arch.pqc_id, seed))
        return {"expressibility_fp": 1.0 + arch.layers / 10, "expressibility_kl": 0.1}


def test_seeds_are_those_of_etr_simulate(small_space) -> None:
    CALLS.clear()
    res = run_search(small_space, n_trials=8, population_size=4, seed=5, search_seed=1,
                     replicates=2, evaluator=Recording())
    assert res.replicates == (2, 3)
    runs = [c for c in CALLS if c[0] == "run"]
    assert {c[4] for c in runs} == {2, 3}
    for _, aid, config, seed, rep, tseed in runs:
        assert config == "hybrid_full"
        assert seed == derive_seed(5, aid, rep) == run_seed(5, aid, rep)
        assert tseed == task_seed(5, "synthetic", rep)
    # the same derivation as the simulate grid: one architecture, replicates 0..3
    spec = load_spec("root_seed = 5\nseeds = 4\nconfigs = ['hybrid_full']\n[grid.hea]\n"
                     "n_qubits = 2\nlayers = 1")
    cells = expand_grid(spec)
    aid = cells[0].arch.architecture_id
    assert [c.seed for c in cells] == [run_seed(5, aid, r) for r in range(4)]
    assert [c.task_seed for c in cells] == [Evaluation(root_seed=5).at(r).task_seed
                                            for r in range(4)]


def test_circuit_units_once_per_distinct_circuit(small_space) -> None:
    CALLS.clear()
    res = run_search(small_space, n_trials=16, population_size=8, seed=2, evaluator=Recording(),
                     sampler="random")
    circuits = [c[1] for c in CALLS if c[0] == "circuit"]
    assert len(circuits) == len(set(circuits))
    done = res.trials[res.trials["state"] == "COMPLETE"]
    assert set(circuits) == set(done["pqc_id"])
    np.testing.assert_allclose(done["expressibility_fp"], 1.0 + done["layers"] / 10)
    runs = [c for c in CALLS if c[0] == "run"]
    assert len(runs) == 2 * done["architecture_id"].nunique()


def test_objective_is_the_replicate_mean_with_its_standard_error(small_space) -> None:
    res = run_search(small_space, n_trials=6, population_size=3, seed=4, replicates=3,
                     setting=Setting("hybrid_quantum_only", "grad_var_train"),
                     evaluator=synthetic_evaluator)
    ev = Evaluation(root_seed=4)
    for _, row in res.trials.iterrows():
        arch = small_space.architecture(dict(_params(row)))
        vals = [synthetic_evaluator(arch, "hybrid_quantum_only",
                                    run_seed(4, row["architecture_id"], r), ev.at(r))
                for r in (0, 1, 2)]
        for col in ("test_accuracy", "grad_var_train", "expressibility_fp"):
            x = [v[col] for v in vals]
            assert row[col] == pytest.approx(statistics.fmean(x))
            assert row[f"{col}_se"] == pytest.approx(statistics.stdev(x) / np.sqrt(3))
        assert row["n_replicates"] == 3 and row["replicates"] == "0,1,2"


def _params(row):
    out = {"circuit": row["circuit"], "n_qubits": int(row["n_qubits"]),
           "layers": int(row["layers"]), "topology": row["topology"],
           "rotations": row["rotations"], "entangler": row["entangler"],
           "encoding": row["encoding"], "reupload": bool(row["reupload"])}
    for part in ("pre", "post"):
        spec = row[f"classical_{part}"]
        if spec == "none":
            out.update({f"{part}_depth": 0, f"{part}_width": 4, f"{part}_activation": "tanh"})
        else:
            *widths, act = spec.split("-")
            out.update({f"{part}_depth": len(widths), f"{part}_width": int(widths[0]),
                        f"{part}_activation": act})
    return out


def test_censored_steps_rank_as_slowest() -> None:
    assert objective_value("steps_to_target", {"steps_to_target": 30.0,
                                               "steps_to_target_censored": True}) == 31.0
    assert objective_value("steps_to_target", {"steps_to_target": 30.0,
                                               "steps_to_target_censored": False}) == 30.0
    agg = aggregate([{"steps_to_target": 30.0, "steps_to_target_censored": True},
                     {"steps_to_target": 30.0, "steps_to_target_censored": False}])
    assert agg["steps_to_target"] == 30.5 and agg["steps_to_target_censored_n"] == 1
    assert agg["steps_to_target_se"] == pytest.approx(0.5)


def test_steps_to_target_search_minimises(small_space) -> None:
    res = run_search(small_space, n_trials=12, population_size=4, evaluator=synthetic_evaluator,
                     setting=Setting("hybrid_full", "steps_to_target"))
    ob = res.objectives[1]
    assert ob.column == "steps_to_target" and ob.direction == "minimize"
    done = res.trials[res.trials["state"] == "COMPLETE"]
    best = done["steps_to_target"].min()
    # the architecture with the fewest steps (ties broken by the other objectives) is on the front
    assert done.loc[done["steps_to_target"] == best, "pareto"].any()


def test_replicate_blocks_are_disjoint() -> None:
    blocks = [set(replicate_block(k, 3)) for k in range(4)]
    assert set().union(*blocks) == set(range(12))
    assert sum(len(b) for b in blocks) == 12


def test_one_replicate_is_refused(small_space) -> None:
    from etr.errors import InputError

    with pytest.raises(InputError, match="replicates"):
        run_search(small_space, n_trials=2, replicates=1, evaluator=synthetic_evaluator)


def test_aggregate_keeps_equal_labels_and_drops_per_run_columns() -> None:
    agg = aggregate([{"task": "teacher", "task_id": "a", "seed": 1, "n_quantum_params": 4},
                     {"task": "teacher", "task_id": "b", "seed": 2, "n_quantum_params": 4}])
    assert agg == {"task": "teacher", "n_quantum_params": 4, "n_replicates": 2}
