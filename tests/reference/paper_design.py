"""Write tests/analysis/data/paper_design.parquet: the exact runs of the `paper` preset's grid
(design columns only, no simulation), the layout the coverage of the circuit-level association
is measured on (tests/analysis/test_validation.py).

Expanding the grid builds every architecture and its content id (about 1.5 CPU-minutes), so
the table is kept; `test_paper_design_table_is_the_preset` (slow) checks it is still the
preset's grid. Run: .venv/bin/python tests/reference/paper_design.py
"""

from __future__ import annotations

import importlib.resources as resources
from pathlib import Path

import pandas as pd

from etr.experiment.grid import expand_grid
from etr.experiment.spec import load_spec

OUT = Path(__file__).resolve().parents[1] / "analysis" / "data" / "paper_design.parquet"


def paper_design() -> pd.DataFrame:
    spec = load_spec(str(resources.files("etr.experiment") / "presets" / "paper.toml"))
    rows = []
    for c in expand_grid(spec):
        if c.shots is not None:
            continue
        a = c.arch
        control = c.training_config == "classical_only"
        rows.append(dict(pqc_id=None if control else a.pqc_id,
                         architecture_id=a.control_id if control else a.architecture_id,
                         family=a.family, circuit=a.circuit, n_qubits=a.n_qubits,
                         layers=a.layers, topology=a.topology, rotations=a.rotations,
                         entangler=a.entangler, classical_pre=a.classical_pre,
                         classical_post=a.classical_post, training_config=c.training_config,
                         task=c.task, seed=c.replicate, task_seed=c.task_seed))
    return pd.DataFrame(rows)


if __name__ == "__main__":
    d = paper_design()
    d.to_parquet(OUT)
    print(f"wrote {OUT}: {len(d)} runs of {d['pqc_id'].nunique()} circuits")
