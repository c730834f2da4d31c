"""Slow: the real simulation core as evaluator, a hard kill and resume, Dask workers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import numpy as np
import optuna
import pytest

from etr.experiment import read_dataset, write_dataset
from etr.nas import SearchSpace, Setting, non_dominated, run_search, synthetic_evaluator
from etr.nas.run import run_nas, trials_dataset
from etr.nas.spec import parse_nas_spec

pytestmark = pytest.mark.slow

TINY = {"root_seed": 1, "definitions": ["grad_var"], "metrics": {"n_pairs": 100},
        "training": {"n_train": 16, "n_test": 16, "n_init": 2, "steps": 3}}


def test_real_evaluator_end_to_end(tmp_path) -> None:
    spec = parse_nas_spec({**TINY, "nas": {
        "n_trials": 6, "population_size": 3,
        "compare": ["hybrid_quantum_only/grad_var", "hybrid_full/grad_var"],
        "space": {"n_qubits": [2, 2], "layers": [1, 2], "pre_depth": [0, 1],
                  "post_depth": [0, 0], "widths": [4], "activations": ["tanh"]},
    }})
    res = run_nas(spec)
    for r in res.results:
        done = r.trials[r.trials["state"] == "COMPLETE"]
        assert len(done) == 6
        assert np.isfinite(done[["expressibility_kl", "grad_var", "test_accuracy"]]).all().all()
        assert done["test_accuracy"].between(0, 1).all()
        assert (done["expressibility_kl"] > 0).all()
        pts = np.column_stack([done["expressibility_kl"], -done["grad_var"],
                               -done["test_accuracy"]])
        assert done["pareto"].tolist() == non_dominated(pts).tolist()
    # expressibility depends only on the PQC: equal across training configurations
    a, b = (r.trials.set_index("architecture_id") for r in res.results)
    common = a.index.intersection(b.index).unique()
    for aid in common:
        assert a.loc[[aid], "expressibility_kl"].iloc[0] == b.loc[[aid],
                                                                  "expressibility_kl"].iloc[0]
    data, prov = trials_dataset(res)
    back = read_dataset(write_dataset(data, tmp_path / "d.parquet", provenance=prov))
    assert len(back) == len(data) > 0


SCRIPT = """
import sys, time
from etr.nas import SearchSpace, run_search, synthetic_evaluator

def slow(arch, config, seed, options):
    time.sleep(0.15)
    return synthetic_evaluator(arch, config, seed, options)

space = SearchSpace(n_qubits=(2, 3), layers=(1, 3))
run_search(space, n_trials=int(sys.argv[2]), population_size=4, seed=5, evaluator=slow,
           storage=sys.argv[1])
"""


def test_killed_search_resumes_where_it_stopped(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    script = tmp_path / "search.py"
    script.write_text(textwrap.dedent(SCRIPT))
    proc = subprocess.Popen([sys.executable, str(script), url, "40"])
    name = "nas-hybrid_full-grad_var"
    deadline = time.time() + 120
    n_done = 0
    while time.time() < deadline and n_done < 8:
        time.sleep(0.5)
        try:
            study = optuna.load_study(study_name=name, storage=url)
            n_done = len(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)))
        except Exception:
            continue
    proc.kill()
    proc.wait()
    assert n_done >= 8
    study = optuna.load_study(study_name=name, storage=url)
    before = {t.number: t.params for t in study.trials
              if t.state == optuna.trial.TrialState.COMPLETE}
    assert len(before) < 40
    res = run_search(SearchSpace(n_qubits=(2, 3), layers=(1, 3)), n_trials=40,
                     population_size=4, seed=5, evaluator=synthetic_evaluator, storage=url)
    assert res.n_resumed >= len(before)
    assert res.trials["trial"].tolist() == list(range(40))
    bad = res.trials[res.trials["state"] != "COMPLETE"]
    assert bad.empty, bad[["trial", "state", "error", "n_qubits"]].to_string()
    study = optuna.load_study(study_name=name, storage=url)
    after = {t.number: t.params for t in study.trials}
    assert all(after[k] == v for k, v in before.items())


def test_dask_workers_give_the_same_trials(small_space) -> None:
    from dask.distributed import LocalCluster

    kw = dict(n_trials=8, population_size=4, seed=2, evaluator=synthetic_evaluator,
              setting=Setting("hybrid_quantum_only", "grad_var"))
    local = run_search(small_space, **kw)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        remote = run_search(small_space, scheduler=cluster.scheduler_address, **kw)
    assert local.trials["architecture_id"].tolist() == remote.trials["architecture_id"].tolist()
    np.testing.assert_allclose(local.trials["grad_var"], remote.trials["grad_var"])


def test_trial_cut_short_while_sampling_is_completed(small_space, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    kw = dict(population_size=4, seed=1, evaluator=synthetic_evaluator, storage=url)
    run_search(small_space, n_trials=4, **kw)
    study = optuna.load_study(study_name="nas-hybrid_full-grad_var", storage=url)
    t = study.ask()  # as if killed after sampling two of the parameters
    t.suggest_categorical("circuit", ["hea"])
    n_qubits = t.suggest_int("n_qubits", 2, 3)
    res = run_search(small_space, n_trials=8, **kw)
    assert res.trials["trial"].tolist() == list(range(8))
    assert (res.trials["state"] == "COMPLETE").all()
    assert res.trials.loc[4, "n_qubits"] == n_qubits
