"""A stored search interrupted anywhere and resumed equals an uninterrupted one (same seed)."""

from __future__ import annotations

import optuna
import pandas as pd
import pytest

from etr.nas import run_search, synthetic_evaluator

#: bookkeeping that legitimately differs: measured time, whether a record was reused
_VOLATILE = ["wall_time_s", "cached"]


class InterruptAfter:
    """An evaluator that raises KeyboardInterrupt (Ctrl-C) after `n` evaluations."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, arch, training_config, seed, evaluation):
        if self.n == 0:
            raise KeyboardInterrupt
        self.n -= 1
        return synthetic_evaluator(arch, training_config, seed, evaluation)


def _frame(res) -> pd.DataFrame:
    return res.trials.drop(columns=_VOLATILE)


@pytest.mark.parametrize("sampler", [pytest.param("nsga2", marks=pytest.mark.slow),
                                     pytest.param("tpe", marks=pytest.mark.slow), "random"])
def test_interrupted_during_evaluation_at_several_points(small_space, tmp_path, sampler):
    kw = dict(n_trials=22 if sampler != "random" else 10, population_size=4, seed=8,
              sampler=sampler)
    base = run_search(small_space, evaluator=synthetic_evaluator, **kw)
    url = f"sqlite:///{tmp_path / 's.db'}"
    for n in (2, 3, 1, 2) if sampler != "random" else (2, 3):
        with pytest.raises(KeyboardInterrupt):
            run_search(small_space, evaluator=InterruptAfter(n), storage=url, **kw)
    res = run_search(small_space, evaluator=synthetic_evaluator, storage=url, **kw)
    assert res.n_resumed > 0
    pd.testing.assert_frame_equal(_frame(res), _frame(base), check_exact=True)
    assert res.pareto_ids == base.pareto_ids


@pytest.mark.slow
def test_interrupted_while_a_batch_is_being_written(small_space, tmp_path, monkeypatch):
    kw = dict(n_trials=16, population_size=4, seed=3)
    base = run_search(small_space, evaluator=synthetic_evaluator, **kw)
    url = f"sqlite:///{tmp_path / 'w.db'}"
    real = optuna.Study.add_trial
    for allowed in (6, 2):  # cut after the 6th, then the 2nd, stored trial of a run
        calls = []

        def add_trial(self, trial, calls=calls, allowed=allowed):
            if len(calls) == allowed:
                raise KeyboardInterrupt
            calls.append(1)
            return real(self, trial)

        monkeypatch.setattr(optuna.Study, "add_trial", add_trial)
        with pytest.raises(KeyboardInterrupt):
            run_search(small_space, evaluator=synthetic_evaluator, storage=url, **kw)
    monkeypatch.setattr(optuna.Study, "add_trial", real)
    stored = optuna.load_study(study_name="nas-hybrid_full-grad_var-seed0", storage=url)
    assert 0 < len(stored.trials) < 16
    res = run_search(small_space, evaluator=synthetic_evaluator, storage=url, **kw)
    pd.testing.assert_frame_equal(_frame(res), _frame(base), check_exact=True)


@pytest.mark.slow
def test_proposals_do_not_depend_on_workers_or_storage(small_space, tmp_path):
    kw = dict(n_trials=12, population_size=4, seed=5, evaluator=synthetic_evaluator)
    a = run_search(small_space, **kw)
    b = run_search(small_space, storage=f"sqlite:///{tmp_path / 'x.db'}", workers=2, **kw)
    pd.testing.assert_frame_equal(_frame(a), _frame(b), check_exact=True)


@pytest.mark.slow
def test_run_nas_numbers_do_not_depend_on_workers() -> None:
    from etr.nas.run import run_nas, trials_dataset
    from etr.nas.spec import parse_nas_spec

    spec = parse_nas_spec({"root_seed": 4, "nas": {
        "n_trials": 8, "population_size": 4,
        "compare": ["hybrid_quantum_only/grad_var", "hybrid_full/grad_var"]}})
    a = run_nas(spec, evaluator=synthetic_evaluator, workers=1)
    b = run_nas(spec, evaluator=synthetic_evaluator, workers=2)
    da, pa = trials_dataset(a)
    db, pb = trials_dataset(b)
    pd.testing.assert_frame_equal(da.drop(columns="wall_time_s"), db.drop(columns="wall_time_s"),
                                  check_exact=True)
    assert pa["nas_trials"] == pb["nas_trials"] and pa["nas_claims"] == pb["nas_claims"]
    pd.testing.assert_frame_equal(a.control, b.control, check_exact=True)
