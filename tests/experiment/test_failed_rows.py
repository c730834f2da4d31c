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
