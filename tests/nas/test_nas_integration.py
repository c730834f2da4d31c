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

TINY = {"root_seed": 1, "definitions": ["grad_var"],
        "metrics": {"n_states": 100, "n_pairs": 100, "ec_samples": 10, "loss_samples": 20},
        "training": {"task": "teacher", "n_train": 16, "n_test": 16, "n_init": 2, "steps": 3}}


def test_real_evaluator_end_to_end(tmp_path) -> None:
    from etr.experiment.circuit import circuit_record
    from etr.hybrid.run import evaluate_run
    from etr.nas.evaluate import circuit_seed, run_seed
    from etr.plan import MetricSpec

    spec = parse_nas_spec({**TINY, "nas": {
        "n_trials": 4, "population_size": 2,
        "compare": ["hybrid_quantum_only/grad_var", "hybrid_full/grad_var"],
        "space": {"n_qubits": [2, 2], "layers": [1, 2], "pre_depth": [0, 1],
                  "post_depth": [0, 0], "widths": [4], "activations": ["tanh"]},
    }})
    res = run_nas(spec)
    for r in res.results:
        done = r.trials[r.trials["state"] == "COMPLETE"]
        assert len(done) == 4
        cols = ["expressibility_fp", "grad_var", "test_accuracy"]
        assert np.isfinite(done[cols]).all().all()
        assert done["test_accuracy"].between(0, 1).all()
        assert (done["expressibility_fp"] >= 1 - 0.05).all()
        pts = np.column_stack([done["expressibility_fp"], -done["grad_var"],
                               -done["test_accuracy"]])
        assert done["pareto"].tolist() == non_dominated(pts).tolist()
    # a trial's objectives, recomputed outside the search from the simulate seeds
    r = res.results[-1]
    row = r.trials[r.trials["state"] == "COMPLETE"].iloc[0]
    arch = next(a for a in _archs(res) if a.architecture_id == row["architecture_id"])
    ev = spec.evaluation
    accs = [evaluate_run(arch, "hybrid_full", run_seed(1, arch.architecture_id, rep),
                         ev.settings, ev.at(rep).task_seed)["test_accuracy"]
            for rep in r.replicates]
    assert row["test_accuracy"] == pytest.approx(np.mean(accs))
    circ = circuit_record(arch.ansatz(), MetricSpec(n_states=100, n_pairs=100, ec_samples=10,
                                                    loss_samples=20),
                          seed=circuit_seed(1, arch.pqc_id))
    assert row["expressibility_fp"] == pytest.approx(circ["expressibility_fp"])
    assert row["expressibility_kl"] == pytest.approx(circ["expressibility_kl"])
    # the control ran, and the dataset is a contract dataset
    assert len(res.control) and res.control["control_accuracy"].between(0, 1).all()
    data, prov = trials_dataset(res)
    back = read_dataset(write_dataset(data, tmp_path / "d.parquet", provenance=prov))
    assert len(back) == len(data) > 0
    assert set(back["training_config"]) == {"hybrid_quantum_only", "hybrid_full",
                                            "classical_only"}
    # expressibility depends only on the PQC: equal across configurations and replicates
    hyb = back[back["training_config"] != "classical_only"]
    assert (hyb.groupby("pqc_id")["expressibility_fp"].nunique() == 1).all()


def _archs(res):
    from etr.nas.run import _pool

    return list(_pool(res.results).values())


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
    name = "nas-hybrid_full-grad_var-seed0"
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
    study = optuna.load_study(study_name="nas-hybrid_full-grad_var-seed0", storage=url)
    t = study.ask()  # as if killed after sampling two of the parameters
    t.suggest_categorical("circuit", ["hea"])
    n_qubits = t.suggest_int("n_qubits", 2, 3)
    res = run_search(small_space, n_trials=8, **kw)
    assert res.trials["trial"].tolist() == list(range(8))
    assert (res.trials["state"] == "COMPLETE").all()
    assert res.trials.loc[4, "n_qubits"] == n_qubits
