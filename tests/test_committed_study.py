"""The committed study is what the code computes: a sample of data/study.parquet's runs and
circuits, recomputed here from the `study` preset, equal the stored values bit for bit.

Why a sample: the whole study is 2.2 hours on 2 cores; one run per configuration and task and a
few circuits (every value a run or a circuit unit writes) take a minute, and any change to the
numerics moves some bit of them. Columns the dataset contract gained after the study was run are
named here and are the only ones allowed to be absent from the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from etr.contract import CIRCUIT_COLUMNS
from etr.experiment import expand_grid, preset_spec
from etr.experiment.circuit import circuit_metrics
from etr.experiment.grid import circuit_units
from etr.hybrid.run import evaluate_run

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]
#: columns added to the contract after data/study.parquet was written (finite-shot runs only:
#: NaN on every exact run of the study)
ADDED_SINCE = {"grad_snr"}


def _same_bits(a: object, b: object) -> bool:
    if isinstance(a, float | np.floating) or isinstance(b, float | np.floating):
        fa, fb = float(a), float(b)
        return (np.isnan(fa) and np.isnan(fb)) or fa.hex() == fb.hex()
    return a == b or (pd.isna(a) and pd.isna(b))


@pytest.fixture(scope="module")
def study():
    spec = preset_spec("study")
    stored = pd.read_parquet(ROOT / "data" / "study.parquet").set_index("cell_id")
    cells = expand_grid(spec)
    assert sorted(c.cell_id for c in cells) == sorted(stored.index)  # the same grid
    return spec, stored, cells


def test_runs_recompute_to_the_stored_bits(study):
    spec, stored, cells = study
    rng = np.random.default_rng(2026)
    picked = []
    for key in sorted({(c.training_config, c.task) for c in cells}):
        small = [c for c in cells if (c.training_config, c.task) == key
                 and c.arch.n_qubits <= 4 and c.arch.layers <= 3]
        picked.append(small[int(rng.integers(len(small)))])
    assert len(picked) == 16
    for c in picked:
        rec = evaluate_run(c.arch, c.training_config, c.seed,
                           spec.run_settings(**c.grid), c.task_seed)
        row = stored.loc[c.cell_id]
        assert set(rec) - set(row.index) <= ADDED_SINCE, c.cell_id
        # the dataset's `seed` is the replicate, not the run's derived seed (runner._row)
        differ = [k for k in rec if k in row.index and k != "seed"
                  and not _same_bits(rec[k], row[k])]
        assert not differ, (c.cell_id, {k: (rec[k], row[k]) for k in differ})
        assert row["seed"] == c.replicate


def test_circuits_recompute_to_the_stored_bits(study):
    spec, stored, cells = study
    units = {u.key: u for u in circuit_units(spec, cells)}
    by_size = {}
    for c in cells:  # the first circuit of three sizes, 6 qubits included
        if c.circuit_key is not None and (c.arch.n_qubits, c.arch.layers) in (
                (2, 1), (4, 3), (6, 2)):
            by_size.setdefault((c.arch.n_qubits, c.arch.layers), c)
    assert len(by_size) == 3
    for c in by_size.values():
        u = units[c.circuit_key]
        rec = circuit_metrics(u.arch, spec.metrics, u.seed)
        row = stored.loc[c.cell_id]
        differ = [k for k in CIRCUIT_COLUMNS if not _same_bits(rec.get(k, np.nan), row[k])]
        assert not differ, (c.cell_id, {k: (rec.get(k), row[k]) for k in differ})


def test_noisy_runs_recompute_to_the_stored_bits():
    """data/study-noise.parquet: a run of each noise level (one circuit, so the three are twins)
    recomputes from the `study-noise` preset bit for bit, the density-matrix path included."""
    spec = preset_spec("study-noise")
    stored = pd.read_parquet(ROOT / "data" / "study-noise.parquet").set_index("cell_id")
    cells = expand_grid(spec)
    assert sorted(c.cell_id for c in cells) == sorted(stored.index)
    small = sorted((c for c in cells if c.arch.n_qubits == 3 and c.arch.layers == 2),
                   key=lambda c: c.cell_id)
    first = small[0]
    twins = [c for c in small if (c.arch.architecture_id, c.instance)
             == (first.arch.architecture_id, first.instance)]
    assert len(twins) == 3 and len({c.noise.label for c in twins}) == 3
    for c in twins:
        settings = spec.run_settings(task=c.task, shots=c.shots, noise=c.noise)
        rec = evaluate_run(c.arch, c.training_config, c.seed, settings, c.task_seed)
        row = stored.loc[c.cell_id]
        assert set(rec) <= set(row.index), c.cell_id
        differ = [k for k in rec if k != "seed" and not _same_bits(rec[k], row[k])]
        assert not differ, (c.cell_id, {k: (rec[k], row[k]) for k in differ})
