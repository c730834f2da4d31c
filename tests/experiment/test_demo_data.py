"""``make demo`` reproduces the committed ``data/quick.parquet`` bit for bit (a slice of it).

The slice is every run of the 2- and 3-qubit circuits of the ``quick`` preset and their circuit
metrics (the cheap half of the grid), computed here in this process and compared with ``==``
(NaN equal to NaN) on every column but ``wall_time_s``. The committed file must be regenerated
with ``make demo`` whenever a change moves a number; until then this test fails, by design.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from etr.contract import CIRCUIT_COLUMNS
from etr.experiment import circuit_units, expand_grid, preset_spec, read_dataset
from etr.experiment.runner import _evaluate_run, circuit_metrics

COMMITTED = Path(__file__).resolve().parents[2] / "data" / "quick.parquet"


@pytest.mark.slow
def test_a_slice_of_the_demo_dataset_is_reproduced_bit_for_bit():
    spec = preset_spec("quick")
    committed = read_dataset(COMMITTED).set_index("cell_id")
    assert committed.attrs["provenance"]["spec_hash"] == spec.spec_hash()
    cells = [c for c in expand_grid(spec) if c.arch.n_qubits <= 3]
    units = {u.key: u for u in circuit_units(spec, cells)}
    circuits = {key: circuit_metrics(u.arch, spec.metrics, u.seed) for key, u in units.items()}
    mismatches = []
    for cell in cells:
        row = committed.loc[cell.cell_id]
        got = _evaluate_run(cell.arch, cell.training_config, cell.seed,
                            spec.run_settings(**cell.grid), cell.task_seed)
        if cell.circuit_key is not None:
            got.update({k: circuits[cell.circuit_key].get(k, np.nan) for k in CIRCUIT_COLUMNS})
        for column, value in got.items():
            if column in ("seed", "wall_time_s") or column not in committed.columns:
                continue  # `seed` is the replicate in the dataset, the run seed here
            want = row[column]
            same = _missing(value) and _missing(want)
            if not same and not (_missing(value) or _missing(want)):
                same = bool(value == want)
            if not same:
                mismatches.append((cell.cell_id, column, value, want))
    assert len(cells) == 736 and mismatches == [], (len(mismatches), mismatches[:5])


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA
