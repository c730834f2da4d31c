"""Where the finite-shot runs go (``[grid.shots]``): bounds on both sides, their validation, and
specs without the lower bounds keep every cell, id and number they had."""

from __future__ import annotations

import pytest

from etr._hashing import short_hash
from etr.errors import SpecError
from etr.experiment import expand_grid, load_spec, preset_spec, preset_text
from etr.experiment.size import estimate, grid_bounds
from etr.hybrid.run import evaluate_run

_GRID = """seeds = 1
configs = ["pure_pqc", "hybrid_full"]
[grid.hea]
n_qubits = [2, 6]
layers = [1, 2, 3]
[training]
shots = ["none", 64]
"""


def _finite(spec):
    return sorted({(c.arch.n_qubits, c.arch.layers) for c in expand_grid(spec)
                   if c.shots is not None})


def test_lower_bounds_select_the_wide_deep_circuits():
    spec = load_spec(_GRID + "[grid.shots]\nmin_qubits = 6\nmin_layers = 2\n")
    assert _finite(spec) == [(6, 2), (6, 3)]
    exact = [c for c in expand_grid(spec) if c.shots is None]
    assert len(exact) == 2 * 3 * 2  # exact runs keep the whole grid
    both = load_spec(_GRID + "[grid.shots]\nmin_qubits = 6\nmax_layers = 2\n")
    assert _finite(both) == [(6, 1), (6, 2)]
    # the size check and the cost model count the same runs as the grid
    assert grid_bounds(spec).runs == len(expand_grid(spec))
    assert estimate(spec).runs == len(expand_grid(spec))


def test_bounds_round_trip_through_toml():
    spec = load_spec(_GRID + "[grid.shots]\nmin_qubits = 6\nmin_layers = 2\n")
    again = load_spec(spec.to_toml())
    assert again.grid == spec.grid and again.spec_hash() == spec.spec_hash()
    assert "min_qubits = 6" in spec.to_toml()


@pytest.mark.parametrize(("table", "field"), [
    ("min_qubits = 0", "grid.shots.min_qubits"),
    ("min_qubits = 21", "grid.shots.min_qubits"),
    ("min_layers = 'deep'", "grid.shots.min_layers"),
    ("min_qubits = 6\nmax_qubits = 4", "grid.shots.min_qubits"),
    ("min_layers = 3\nmax_layers = 2", "grid.shots.min_layers"),
    ("min_qubit = 6", "grid.shots.min_qubit"),
    ("min_qubits = 8", "grid.shots"),  # selects no circuit of this grid
])
def test_bad_bounds_name_the_field(table, field):
    with pytest.raises(SpecError, match=f"`{field}`") as info:
        load_spec(_GRID + "[grid.shots]\n" + table + "\n")
    assert "\n" not in str(info.value)


def test_bounds_without_a_finite_level_are_harmless():
    spec = load_spec(_GRID.replace('["none", 64]', '"none"') + "[grid.shots]\nmin_qubits = 8\n")
    assert _finite(spec) == []


#: the quick preset's grid and three of its cells as the code before the lower bounds made
#: them: (cell_id, run seed, task seed, shots, training_config, architecture_id) and four
#: numbers of each run, as float.hex.
_QUICK_GRID = (1832, "b5fc9f575e6e31a2", "b05fa3886566f7f1")
_PAPER_GRID = (38944, "7f59875e30bc3ab8", "e941d703b142a5c0")
_QUICK_CELLS = {
    "f7223681216554d4": (1958701371106893433, 8228233949636356078, 512, "pure_pqc",
                         "137e69521034", {"grad_var": "0x1.16f3e6bfd2579p-5",
                                          "grad_var_train": "0x1.83f612f06bb3bp-6",
                                          "final_loss": "0x1.41ba065bed6a6p-2",
                                          "test_accuracy": "0x1.8e00000000000p-1"}),
    "8072fa7858f16ca4": (2133256110309875551, 8228233949636356078, 512, "hybrid_full",
                         "3436c2969563", {"grad_var": "0x1.3c7a2e7e2cbe5p-6",
                                          "grad_var_train": "0x1.5986b9f759391p-6",
                                          "final_loss": "0x1.b83e9da387102p-4",
                                          "test_accuracy": "0x1.d600000000000p-1"}),
    "237db597f0a6d923": (1819143524900763727, 8228233949636356078, None,
                         "hybrid_quantum_only", "733379fe161d",
                         {"grad_var": "0x1.39195591bd991p-10",
                          "grad_var_train": "0x1.2e4df32cb4fe1p-10",
                          "final_loss": "0x1.0a06fba49ea90p-1",
                          "test_accuracy": "0x1.7800000000000p-1"}),
}


def _grid_key(cells):
    return short_hash([(c.cell_id, c.seed, c.task_seed, c.shots, c.instance) for c in cells])


def _quick_before():
    """The quick preset as it was before its shot level went from 512 to 16 shots."""
    text = preset_text("quick")
    assert 'shots = ["none", 16]' in text
    return load_spec(text.replace('shots = ["none", 16]', 'shots = ["none", 512]'))


@pytest.mark.parametrize(("name", "expected"), [
    ("quick", _QUICK_GRID),
    pytest.param("paper", _PAPER_GRID, marks=pytest.mark.slow),  # 38,944 cells: a minute
])
def test_presets_keep_their_cells_and_ids(name, expected):
    spec = _quick_before() if name == "quick" else preset_spec(name)
    cells = expand_grid(spec)
    assert (len(cells), _grid_key(cells), spec.spec_hash()) == expected


def test_lower_bounds_that_exclude_nothing_change_no_cell():
    text = preset_text("quick").replace("max_layers = 2\n", "max_layers = 2\nmin_qubits = 1\n"
                                        "min_layers = 1\n")
    spec = load_spec(text)
    assert spec.grid.shots.min_qubits == 1
    assert expand_grid(spec) == expand_grid(preset_spec("quick"))


def test_quick_keeps_its_circuits_at_fewer_shots():
    now, before = expand_grid(preset_spec("quick")), expand_grid(_quick_before())
    assert [(c.arch, c.training_config, c.seed, c.shots and 16) for c in now] == [
        (c.arch, c.training_config, c.seed, c.shots and 16) for c in before]


def test_quick_cells_keep_their_numbers():
    spec = _quick_before()
    cells = {c.cell_id: c for c in expand_grid(spec)}
    for cid, (seed, task_seed, shots, config, arch_id, values) in _QUICK_CELLS.items():
        c = cells[cid]
        assert (c.seed, c.task_seed, c.shots, c.training_config,
                c.arch.architecture_id) == (seed, task_seed, shots, config, arch_id)
        rec = evaluate_run(c.arch, c.training_config, c.seed, spec.run_settings(**c.grid),
                           c.task_seed)
        # to 1e-12, not bit for bit: the exact path's last bit varies between processes
        # (seen on grad_var_train of the third cell: ...e1 vs ...e2), a determinism matter of
        # its own; anything the shot bounds could change would move these by far more
        got = {k: float(rec[k]) for k in values}
        assert got == pytest.approx({k: float.fromhex(v) for k, v in values.items()},
                                    rel=1e-12, abs=0)


def test_quick_shot_level_bites_on_its_circuits():
    """Why quick runs 16 shots: the gradient at initialisation stands only a few shot-noise
    standard deviations above the noise there (grad_snr, computed exactly), where 512 shots
    left it 7-37 deviations above (the finite-shot grad_var equalled the exact one)."""
    import numpy as np

    from etr.hybrid.model import HybridModel
    from etr.hybrid.run import model_task
    from etr.hybrid.tasks import load_task
    from etr.metrics.trainability import grad_snr

    spec = preset_spec("quick")
    cells = [c for c in expand_grid(spec) if c.shots is not None][::12]
    snr = []
    for c in cells:
        s = spec.run_settings(**c.grid)
        task = model_task(load_task(s.task, n_train=s.n_train, n_test=s.n_test,
                                    seed=c.task_seed), c.arch)
        model = HybridModel(c.arch, c.training_config, task.n_features)
        params = model.init_params(s.n_init, np.random.default_rng(c.seed))
        g, var = model.quantum_grad_noise(params, task.x_train, task.y_train, c.shots)
        snr.append(grad_snr(g, var))
    assert len(snr) == 20 and 1.0 < float(np.median(snr)) < 8.0


def test_study_shots_pairs_every_finite_run_with_its_exact_twin():
    """The study-shots preset: every run twice, exact and at 32 shots, on the same data and
    initial parameters (the claims are compared on twins), all at 6 qubits; its header states
    the cost model's estimate."""
    from pathlib import Path

    spec = preset_spec("study-shots")
    cells = expand_grid(spec)
    finite = [c for c in cells if c.shots is not None]
    exact = {(c.arch.architecture_id, c.training_config, c.instance): (c.seed, c.task_seed)
             for c in cells if c.shots is None}
    assert finite and {c.shots for c in finite} == {32}
    assert {c.arch.n_qubits for c in cells} == {6}
    assert {(c.arch.architecture_id, c.training_config, c.instance): (c.seed, c.task_seed)
            for c in finite} == exact
    est = estimate(spec)
    header = (Path(__file__).parents[2] / "etr" / "experiment" / "presets"
              / "study-shots.toml").read_text()
    assert f"~{est.cpu_seconds / 60:.0f} CPU-min by the cost model, " \
           f"~{est.cpu_seconds / 120:.0f} min on 2 workers" in header
