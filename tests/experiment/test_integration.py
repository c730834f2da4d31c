"""The runner with the real circuit metrics and `etr.hybrid.evaluate_run` on a tiny spec."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etr.experiment import circuit_units, expand_grid, load_spec, read_dataset, run_experiment
from etr.experiment.runner import circuit_metrics
from etr.hybrid.run import evaluate_run

TINY = """
seeds = 1
configs = ["pure_pqc", "hybrid_quantum_only", "hybrid_full", "classical_only"]
[grid]
classical_post = ["4-tanh"]
[grid.hea]
n_qubits = [2]
layers = [1]
topology = ["linear"]
[metrics]
n_states = 200
loss_samples = 50
n_pairs = 100
bins = 20
ec_samples = 20
[training]
n_train = 16
n_test = 8
n_init = 2
steps = 2
ed_weight_samples = 2
"""


def test_tiny_real_run_matches_direct_calls(tmp_path):
    spec = load_spec(TINY)
    res = run_experiment(spec, tmp_path / "d.parquet", workers=1, quiet=True)
    assert res.n_failed == 0 and res.n_cells == 4
    df = read_dataset(res.path)
    assert (df["status"] == "ok").all()
    cells = expand_grid(spec)
    unit = circuit_units(spec, cells)[0]
    metrics = circuit_metrics(unit.arch, spec.metrics, unit.seed)
    for cell, row in zip(cells, df.to_dict("records"), strict=True):
        rec = evaluate_run(cell.arch, cell.training_config, cell.seed, spec.run_settings(),
                           cell.task_seed)
        for key in ("grad_var", "grad_norm", "loss_decrease", "final_loss", "test_accuracy",
                    "n_quantum_params", "n_classical_params"):
            assert row[key] == rec[key] or (np.isnan(row[key]) and np.isnan(rec[key]))
        if cell.training_config == "classical_only":  # no PQC: no circuit-level columns
            assert np.isnan(row["expressibility_fp"]) and pd.isna(row["pqc_id"])
            assert row["family"] == "control" and row["architecture_id"] == cell.arch.control_id
            continue
        for key in ("expressibility_fp", "expressibility_kl", "dla_dim", "loss_var"):
            assert row[key] == metrics[key]
        assert 0 <= row["entangling_capability"] <= 1
    assert df["task_id"].nunique() == 1  # one task instance per replicate
    # paired design: the two hybrid configurations share initialisations, so grad_var agrees
    hyb = df[df["training_config"].isin(["hybrid_quantum_only", "hybrid_full"])]
    assert hyb["grad_var"].nunique() == 1
    assert res.to_frame()["n_cells"].item() == 4


@pytest.mark.slow
def test_real_run_two_workers_equals_one(tmp_path):
    spec = load_spec(TINY.replace("seeds = 1", "seeds = 2"))
    one = read_dataset(run_experiment(spec, tmp_path / "a.parquet", workers=1, quiet=True).path)
    two = read_dataset(run_experiment(spec, tmp_path / "b.parquet", workers=2, quiet=True).path)
    pd.testing.assert_frame_equal(one.drop(columns="wall_time_s"),
                                  two.drop(columns="wall_time_s"))
