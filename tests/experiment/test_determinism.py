"""A cell's numbers are a function of its spec and seeds alone, not of what ran before it.

Each history runs in a fresh interpreter (after one run that fills numba's on-disk cache):
the effect found on main lived in which machine-code copy of a kernel a process had linked,
fixed by whatever the process computed first. The histories below are those that changed the
bits there (`test_a_cell_has_the_same_bits_after_any_history`): the circuit metrics of a
two-layer circuit before a one-layer cell (1630 of the quick preset's 1832 cells then
differed in `grad_var`, `grad_var_train`, `loss_decrease`, `final_loss_std`, ... by about
1e-16 relative between a process that ran its circuit metrics first and one that did not),
another cell first, and the same cell twice in one process.
"""

from __future__ import annotations

import json
import subprocess
import sys

_CELL = """
import json, sys
from etr.circuits import hardware_efficient
from etr.experiment.circuit import circuit_record
from etr.hybrid.run import evaluate_run
from etr.plan.architecture import Architecture
from etr.plan.settings import MetricSpec, RunSettings

settings = RunSettings(n_train=24, n_test=8, n_init=3, steps=4, ed_data_size=50,
                       ed_weight_samples=2, landscape_samples=2, early_steps=3)
cell = (Architecture(n_qubits=2, layers=1, rotations="RY+RZ", classical_post="4-tanh"),
        "{config}", 7, settings, 11)
history = sys.argv[1]
if history == "metrics-first":
    circuit_record(hardware_efficient(2, 2, rotations="RY+RZ"),
                   MetricSpec(n_states=60, n_pairs=40, ec_samples=10, loss_samples=20), seed=1)
elif history == "other-cell-first":
    evaluate_run(Architecture(n_qubits=3, layers=2, rotations="RX+RY+RZ",
                              classical_post="4-tanh"), "hybrid_full", 3, settings, 11)
records = [evaluate_run(*cell) for _ in range(2)]  # and the same cell again
print(json.dumps([{{k: repr(v) for k, v in r.items()}} for r in records]))
"""


def _cell(history: str, config: str = "pure_pqc") -> list[dict[str, str]]:
    out = subprocess.run([sys.executable, "-c", _CELL.format(config=config), history],
                         capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout)


def test_a_cell_has_the_same_bits_after_any_history():
    compiled = _cell("fresh")  # compiles the kernels and fills numba's on-disk cache
    fresh = _cell("fresh")[0]
    measured = ("grad_var", "grad_var_train", "loss_decrease", "final_loss", "final_loss_std")
    assert all(fresh[k] != "nan" for k in measured)
    runs = {"compiling process": compiled, **{h: _cell(h) for h in ("metrics-first",
                                                                     "other-cell-first")}}
    for history, records in runs.items():
        for rec in records:
            assert rec == fresh, history  # the repr of every value: bit for bit
