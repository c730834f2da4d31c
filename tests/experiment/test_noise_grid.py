"""Noise as a study axis: the [noise] table, the cells it adds, their identity and their size."""

from __future__ import annotations

import pytest

from etr.errors import SpecError
from etr.experiment import expand_grid, load_spec, preset_spec
from etr.experiment.grid import circuit_units
from etr.experiment.size import estimate, grid_bounds
from etr.plan.noise import MAX_DENSITY_QUBITS, NoiseModel

BASE = """seeds = 2
configs = ["pure_pqc", "hybrid_full", "classical_only"]
[grid.hea]
n_qubits = [2, 3, 4]
layers = [1, 3]
"""
NOISY = BASE + """[grid.noise]
max_qubits = 3
[noise]
depolarizing = [0, 0.01]
readout = [0, 0.02]
"""


def test_a_noiseless_table_is_the_noiseless_spec():
    plain = load_spec(BASE)
    for table in ("[noise]\n", "[noise]\ndepolarizing = 0\n", "[noise]\nreadout = [0]\n"):
        spec = load_spec(BASE + table)
        assert spec.spec_hash() == plain.spec_hash()
        assert [c.cell_id for c in expand_grid(spec)] == [c.cell_id for c in expand_grid(plain)]
        assert "noise" not in spec.to_dict()


def test_levels_cross_the_grid_and_share_seeds():
    spec = load_spec(NOISY)
    assert [m.label for m in spec.noise_levels] == [
        "noiseless", "readout=0.02", "depolarizing=0.01", "depolarizing=0.01, readout=0.02"]
    cells = expand_grid(spec)
    clean = [c for c in cells if c.noise.noiseless]
    noisy = [c for c in cells if not c.noise.noiseless]
    assert len(clean) == len(expand_grid(load_spec(BASE)))
    # noisy runs: the circuits within [grid.noise] bounds, never the control
    assert all(c.arch.n_qubits <= 3 and c.training_config != "classical_only" for c in noisy)
    per_level = 2 * 2 * 2 * 2  # widths 2-3 x depths x (pure, hybrid) x replicates
    assert len(noisy) == 3 * per_level
    assert len({c.cell_id for c in cells}) == len(cells)
    # a paired design: the same seeds, task instance and circuit unit at every level
    key = {(c.arch, c.training_config, c.replicate): c for c in clean}
    for c in noisy:
        twin = key[c.arch, c.training_config, c.replicate]
        assert (c.seed, c.task_seed, c.circuit_key) == (twin.seed, twin.task_seed,
                                                         twin.circuit_key)
    assert len(circuit_units(spec, cells)) == len(circuit_units(spec, clean))
    settings = spec.run_settings(**noisy[0].grid)
    assert settings.noise == noisy[0].noise and not settings.noise.noiseless


def test_the_spec_round_trips_and_documents_its_keys():
    spec = load_spec(NOISY)
    text = spec.to_toml()
    assert "[noise]" in text and "[grid.noise]" in text and "crosses the grid" in text
    again = load_spec(text)
    assert again.spec_hash() == spec.spec_hash() and again.noise_levels == spec.noise_levels


@pytest.mark.parametrize("text, match", [
    ("[noise]\ndepolarizing = 1.5\n", "`noise.depolarizing` must be a probability"),
    ("[noise]\nreadout = [0.1, 0.1]\n", "`noise.readout` has duplicates"),
    ("[noise]\ndepolarising = 0.1\n", "unknown key `noise.depolarising`"),
    ("[noise]\nphase_damping = 'high'\n", "`noise.phase_damping` must be a probability"),
    ("[grid.noise]\nmax_qubits = 0\n", "`grid.noise.max_qubits`"),
])
def test_bad_noise_tables_are_one_line(text, match):
    with pytest.raises(SpecError, match=match) as err:
        load_spec(BASE + text)
    assert "\n" not in str(err.value)


def test_density_matrices_above_the_width_limit_are_refused():
    wide = BASE.replace("[2, 3, 4]", f"[2, {MAX_DENSITY_QUBITS + 2}]")
    with pytest.raises(SpecError, match=r"\[grid.noise\] max_qubits"):
        load_spec(wide + "[noise]\ndepolarizing = [0, 0.01]\n")
    ok = load_spec(wide + "[grid.noise]\nmax_qubits = 4\n[noise]\ndepolarizing = [0, 0.01]\n")
    assert max(c.arch.n_qubits for c in expand_grid(ok) if not c.noise.noiseless) == 2
    assert load_spec(wide).grid.noise.max_qubits is None  # noiseless: no density matrices


def test_the_size_counts_noisy_runs_and_prices_them_as_density_matrices():
    plain, spec = load_spec(BASE), load_spec(NOISY)
    cells = expand_grid(spec)
    assert grid_bounds(spec).runs == len(cells)
    exact = estimate(spec, cells, circuit_units(spec, cells))
    base = estimate(plain, expand_grid(plain), circuit_units(plain, expand_grid(plain)))
    assert exact.runs == len(cells) and exact.circuits == base.circuits
    assert exact.cpu_seconds > base.cpu_seconds
    assert estimate(spec).runs >= len(cells)


def test_the_noise_preset_is_a_study_with_and_without_noise():
    spec = preset_spec("quick-noise")
    levels = spec.noise_levels
    assert levels[0] == NoiseModel() and len(levels) >= 3
    cells = expand_grid(spec)
    depths = {c.arch.layers for c in cells if not c.noise.noiseless}
    assert len(depths) >= 3  # several depths, so the noise-induced decay shows


TINY = """seeds = 1
configs = ["pure_pqc", "classical_only"]
[grid.hea]
n_qubits = 2
layers = [1, 2]
[metrics]
n_states = 30
n_pairs = 30
ec_samples = 5
loss_samples = 10
qfim_samples = 1
[training]
n_train = 8
n_test = 4
n_init = 2
steps = 2
ed_weight_samples = 2
landscape_samples = 2
"""


def test_a_noisy_study_runs_end_to_end(tmp_path):
    """The dataset holds the noise columns; the noiseless level of a noisy spec repeats the
    noiseless spec's numbers (the same seeds: a number is a function of the spec's settings,
    the root seed and the run's identity, and the noise level only adds to that identity)."""
    from etr.contract import COLUMNS
    from etr.experiment import read_dataset, run_experiment

    plain = read_dataset(run_experiment(load_spec(TINY), tmp_path / "a.parquet", workers=1,
                                        quiet=True).path)
    noisy = read_dataset(run_experiment(load_spec(TINY + "[noise]\ndepolarizing = [0, 0.05]\n"),
                                        tmp_path / "b.parquet", workers=1, quiet=True).path)
    assert list(noisy.columns) == list(COLUMNS) and (noisy["status"] == "ok").all()
    assert sorted(noisy["depolarizing"].unique()) == [0.0, 0.05]
    assert (noisy.loc[noisy["training_config"] == "classical_only", "depolarizing"] == 0).all()
    assert (plain[["amplitude_damping", "phase_damping", "readout", "depolarizing"]] == 0).all(
        axis=None)
    values = [c for c in COLUMNS if c not in ("cell_id", "wall_time_s")]
    clean = noisy[noisy["depolarizing"] == 0].reset_index(drop=True)
    pd_testing = __import__("pandas").testing
    pd_testing.assert_frame_equal(clean[values], plain[values])
    pqc = noisy[noisy["training_config"] == "pure_pqc"]
    loud, quiet = pqc[pqc["depolarizing"] > 0], pqc[pqc["depolarizing"] == 0]
    assert (loud["purity"].to_numpy() < 1.0).all() and (quiet["purity"] > 1 - 1e-12).all()
    # circuit-level columns are the noise-free circuit's: equal at every level
    assert (loud["expressibility_fp"].to_numpy() == quiet["expressibility_fp"].to_numpy()).all()


def test_study_noise_pairs_every_noisy_run_with_its_noiseless_twin():
    """The study-noise preset: every pure-PQC run at each depolarizing level on the same data
    and initial parameters as its noiseless twin (the noise claim compares twins), on circuits
    of 2-5 qubits and several depths; its header states the cost model's estimate."""
    from pathlib import Path

    spec = preset_spec("study-noise")
    cells = expand_grid(spec)
    twins: dict[str, dict] = {}
    for c in cells:
        key = (c.arch.architecture_id, c.training_config, c.instance)
        twins.setdefault(c.noise.label, {})[key] = (c.seed, c.task_seed)
    assert len(twins) == 3 and len({len(t) for t in twins.values()}) == 1
    first, *others = twins.values()
    assert all(t == first for t in others)
    assert {c.arch.n_qubits for c in cells} == {2, 3, 4, 5}
    assert len({c.arch.layers for c in cells if not c.noise.noiseless}) >= 4
    est = estimate(spec)
    header = (Path(__file__).parents[2] / "etr" / "experiment" / "presets"
              / "study-noise.toml").read_text()
    assert f"~{est.cpu_seconds / 60:.0f} CPU-min by the cost model, " \
           f"~{est.cpu_seconds / 120:.0f} min on 2 workers" in header
    assert f"{est.runs:,} factor combinations, of which {len(cells):,} runs" in header
