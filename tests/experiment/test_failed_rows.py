"""A failed cell's row holds the architecture's true parameter counts, not a sentinel."""

from __future__ import annotations

from etr_fakes import fake_evaluate, fake_metrics

from etr.circuits import encoding_width
from etr.contract import ARCHITECTURE_COLUMNS
from etr.experiment import load_spec, read_dataset, run_experiment
from etr.hybrid.tasks import TASKS
from etr.plan import Architecture

SPEC = """
seeds = 1
configs = ["hybrid_quantum_only", "hybrid_full"]
[grid]
classical_pre = ["none", "6-relu"]
classical_post = ["4-tanh"]
encoding = ["ry", "ryrz"]
[grid.hea]
n_qubits = [2, 3]
layers = [2]
"""


def test_failed_cells_count_parameters_as_the_model_does(tmp_path):
    from etr.hybrid import HybridModel

    res = run_experiment(load_spec(SPEC), tmp_path / "d.parquet", workers=1, quiet=True,
                         evaluate=fake_evaluate, metrics_fn=fake_metrics)
    df = read_dataset(res.path)
    failed = df[df["status"] == "failed"]  # fake_evaluate fails 3-qubit hybrid_full cells
    assert len(failed) == 4
    for _, row in failed.iterrows():
        arch = Architecture(**{k: (bool(row[k]) if k == "reupload" else int(row[k])
                                   if k in ("n_qubits", "layers") else row[k])
                               for k in ARCHITECTURE_COLUMNS})
        # a pre-network reads the task's own features; without one the encoding width
        n_features = (encoding_width(arch.n_qubits, arch.encoding)
                      if arch.classical_pre == "none" else TASKS["synthetic"].n_features)
        model = HybridModel(arch, row["training_config"], n_features)
        assert row["n_classical_params"] == model.n_classical_params > 0
        assert row["n_quantum_params"] == model.n_quantum_params


def _diverging(arch, training_config, seed, settings, task_seed):
    """fake_evaluate with the loss of every classical-only and pure-PQC run NaN (diverged)."""
    out = fake_evaluate(arch, training_config, seed, settings, task_seed)
    if training_config in ("classical_only", "pure_pqc"):
        out["final_loss"] = float("nan")
    return out


def test_a_run_with_a_nan_loss_is_never_ok(tmp_path):
    spec = load_spec(SPEC.replace('configs = ["hybrid_quantum_only", "hybrid_full"]',
                                  'configs = ["pure_pqc", "hybrid_quantum_only", '
                                  '"classical_only"]'))
    res = run_experiment(spec, tmp_path / "d.parquet", workers=1, quiet=True,
                         evaluate=_diverging, metrics_fn=fake_metrics)
    df = read_dataset(res.path)
    nan = df["final_loss"].isna()
    assert set(df.loc[nan, "training_config"]) == {"classical_only", "pure_pqc"}
    assert (df.loc[nan, "status"] == "failed").all()
    assert df.loc[nan, "error"].str.fullmatch("training diverged: final_loss is nan").all()
    assert (df.loc[~nan, "status"] == "ok").all()


def test_evaluate_run_fails_a_diverged_training_with_a_clear_message(monkeypatch):
    import numpy as np
    import pytest

    import etr.hybrid.run as run
    from etr.plan import RunSettings

    real = run.train

    def diverged(*args, **kwargs):
        result = real(*args, **kwargs)
        result.final_loss[0] = np.nan
        return result

    monkeypatch.setattr(run, "train", diverged)
    settings = RunSettings(n_train=8, n_test=4, n_init=2, steps=2, learning_rate=10.0)
    for config in ("classical_only", "hybrid_full"):
        with pytest.raises(run.DivergedError, match=r"training diverged: the final loss is not "
                           r"finite for 1 of 2 initialisations \(`training.learning_rate` = 10"):
            run.evaluate_run(Architecture(n_qubits=2, layers=1, classical_post="4-tanh"),
                             config, 0, settings)
