"""The search: front = non-dominated trials, reproducibility, caching, resume, failures."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from etr.errors import InputError, SpecError
from etr.nas import Setting, non_dominated, run_search, synthetic_evaluator, to_minimisation

CALLS: list[str] = []


def counting_evaluator(arch, training_config, seed, options):
    CALLS.append((arch.architecture_id, options.replicate))
    return synthetic_evaluator(arch, training_config, seed, options)


def test_front_in_memory_is_the_non_dominated_subset(small_space) -> None:
    res = run_search(small_space, n_trials=30, population_size=6, seed=2,
                     objectives=["expressibility", "trainability", "accuracy", "n_gates"],
                     evaluator=synthetic_evaluator)
    done = res.trials[res.trials["state"] == "COMPLETE"]
    pts = to_minimisation(done[[o.column for o in res.objectives]].to_numpy(float),
                          [o.direction for o in res.objectives])
    brute = [not any((q <= p).all() and (q < p).any() for q in pts) for p in pts]
    assert done["pareto"].tolist() == brute
    assert set(res.front()["architecture_id"]) == res.pareto_ids


@pytest.mark.slow
def test_front_is_exactly_the_non_dominated_completed_trials(small_space, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    res = run_search(small_space, n_trials=24, population_size=6, seed=4,
                     evaluator=synthetic_evaluator, storage=url)
    done = res.trials[res.trials["state"] == "COMPLETE"]
    cols = [o.column for o in res.objectives]
    pts = to_minimisation(done[cols].to_numpy(float), [o.direction for o in res.objectives])
    brute = [not any((q <= p).all() and (q < p).any() for q in pts) for p in pts]
    assert done["pareto"].tolist() == brute
    assert done["pareto"].tolist() == non_dominated(pts).tolist()
    study = optuna.load_study(study_name=res.study_name, storage=url)
    assert {t.number for t in study.best_trials} == set(done.loc[done["pareto"], "trial"])


def test_same_seed_same_trials_independent_of_workers(small_space) -> None:
    kw = dict(n_trials=16, population_size=4, evaluator=synthetic_evaluator, seed=11)
    a = run_search(small_space, **kw)
    b = run_search(small_space, **kw)
    c = run_search(small_space, **{**kw, "seed": 12})
    assert a.trials["architecture_id"].tolist() == b.trials["architecture_id"].tolist()
    assert a.trials["architecture_id"].tolist() != c.trials["architecture_id"].tolist()
    np.testing.assert_array_equal(a.trials["grad_var"], b.trials["grad_var"])


def test_parallel_workers_give_the_same_sequence(small_space) -> None:
    kw = dict(n_trials=12, population_size=4, evaluator=synthetic_evaluator, seed=5)
    a = run_search(small_space, **kw)
    b = run_search(small_space, workers=2, **kw)
    assert a.trials["architecture_id"].tolist() == b.trials["architecture_id"].tolist()


def test_repeated_architectures_are_evaluated_once(small_space) -> None:
    CALLS.clear()
    res = run_search(small_space, n_trials=40, population_size=8, seed=1,
                     evaluator=counting_evaluator, sampler="random")
    ids = res.trials["architecture_id"]
    assert ids.nunique() < len(ids)  # the space is small: repeats happen
    assert len(CALLS) == len(set(CALLS)) == 2 * ids.nunique()  # two replicates each
    assert {r for _, r in CALLS} == {0, 1}
    assert res.trials["cached"].sum() == len(ids) - ids.nunique()
    # the same architecture always has the same record
    for _, g in res.trials.groupby("architecture_id"):
        assert g["grad_var"].nunique() == 1 and g["grad_var_se"].nunique() == 1


@pytest.mark.slow
def test_resume_continues_to_the_total(small_space, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    kw = dict(population_size=4, evaluator=synthetic_evaluator, seed=3, storage=url)
    first = run_search(small_space, n_trials=8, **kw)
    second = run_search(small_space, n_trials=16, **kw)
    assert second.n_resumed == 8
    assert second.trials["trial"].tolist() == list(range(16))
    assert (second.trials.iloc[:8]["architecture_id"].tolist()
            == first.trials["architecture_id"].tolist())
    again = run_search(small_space, n_trials=16, **kw)  # nothing left to do
    assert len(again.trials) == 16 and again.n_resumed == 16


class Interrupt:
    def __init__(self, after: int) -> None:
        self.after, self.n = after, 0

    def __call__(self, arch, training_config, seed, options):
        self.n += 1
        if self.n > self.after:
            raise KeyboardInterrupt
        return synthetic_evaluator(arch, training_config, seed, options)


@pytest.mark.slow
def test_interrupted_search_resumes_and_keeps_finished_trials(small_space, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'i.db'}"
    kw = dict(population_size=4, seed=8, storage=url, sampler="nsga2")
    with pytest.raises(KeyboardInterrupt):
        run_search(small_space, n_trials=20, evaluator=Interrupt(12), **kw)  # 2 runs a trial
    study = optuna.load_study(study_name="nas-hybrid_full-grad_var-seed0", storage=url)
    before = {t.number: t.params for t in study.trials
              if t.state == optuna.trial.TrialState.COMPLETE}
    running = [t.number for t in study.trials if t.state == optuna.trial.TrialState.RUNNING]
    assert before and running
    res = run_search(small_space, n_trials=20, evaluator=synthetic_evaluator, **kw)
    assert res.trials["trial"].tolist() == list(range(20))
    assert (res.trials["state"] == "COMPLETE").all()
    after = {int(r.trial): r for r in res.trials.itertuples()}
    for number, params in before.items():
        assert after[number].n_qubits == params["n_qubits"]
        assert after[number].layers == params["layers"]


@pytest.mark.slow
def test_stored_study_with_other_configuration_is_refused(small_space, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    run_search(small_space, n_trials=4, population_size=4, evaluator=synthetic_evaluator,
               storage=url)
    with pytest.raises(SpecError, match="another configuration"):
        run_search(small_space, n_trials=4, population_size=4, evaluator=synthetic_evaluator,
                   storage=url, seed=99)


def test_storage_that_cannot_be_opened(small_space, tmp_path) -> None:
    with pytest.raises(SpecError, match="cannot be opened"):
        run_search(small_space, n_trials=2, evaluator=synthetic_evaluator,
                   storage=f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")
    with pytest.raises(SpecError, match="cannot be opened"):
        run_search(small_space, n_trials=2, evaluator=synthetic_evaluator, storage="nosuch://x")


def failing_for_three_qubits(arch, training_config, seed, options):
    if arch.n_qubits == 3:
        raise RuntimeError("simulation blew up")
    return synthetic_evaluator(arch, training_config, seed, options)


def test_failed_evaluations_are_failed_trials(small_space) -> None:
    res = run_search(small_space, n_trials=12, population_size=4, sampler="random",
                     evaluator=failing_for_three_qubits)
    failed = res.trials[res.trials["n_qubits"] == 3]
    assert len(failed) and (failed["state"] == "FAIL").all()
    assert failed["error"].str.contains("blew up").all()
    assert not failed["pareto"].any()


def test_bad_arguments(small_space) -> None:
    with pytest.raises(InputError, match="objectives"):
        run_search(small_space, objectives=["expressibility", "beauty"],
                   evaluator=synthetic_evaluator)
    with pytest.raises(InputError, match="trainability"):
        run_search(small_space, setting=Setting("hybrid_full", "vibes"),
                   evaluator=synthetic_evaluator)
    with pytest.raises(InputError, match="sampler"):
        run_search(small_space, sampler="cmaes", evaluator=synthetic_evaluator)


def test_cost_objective(small_space) -> None:
    res = run_search(small_space, objectives=["accuracy", "n_params"], n_trials=8,
                     population_size=4, evaluator=synthetic_evaluator)
    rec = res.trials.iloc[0]
    assert rec["n_params"] == rec["n_quantum_params"] + rec["n_classical_params"]


@pytest.mark.parametrize("sampler", ["tpe", "random"])
def test_other_samplers_are_seeded(small_space, sampler) -> None:
    kw = dict(n_trials=10, population_size=4, evaluator=synthetic_evaluator, seed=7,
              sampler=sampler)
    a, b = run_search(small_space, **kw), run_search(small_space, **kw)
    assert a.trials["architecture_id"].tolist() == b.trials["architecture_id"].tolist()
