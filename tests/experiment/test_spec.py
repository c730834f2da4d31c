from __future__ import annotations

import pytest

from etr.contract import PQC_CONFIGS, TRAINABILITY_DEFINITIONS, TRAINING_CONFIGS
from etr.errors import SpecError
from etr.experiment import MAX_QUBITS, expand_grid, load_spec, preset_spec, preset_text


def test_defaults_and_seed_forms():
    spec = load_spec("root_seed = 5")
    assert spec.seeds == (0, 1, 2)
    assert spec.configs == PQC_CONFIGS
    assert spec.definitions == TRAINABILITY_DEFINITIONS
    assert spec.grid.hea.n_qubits == (2, 4) and spec.grid.sim is None
    assert load_spec("seeds = 4").seeds == (0, 1, 2, 3)
    assert load_spec("seeds = [3, 9]").seeds == (3, 9)


def test_load_from_file(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text("seeds = 1\n[grid.sim]\ncircuits = ['sim9']\n")
    spec = load_spec(p)
    assert spec.grid.hea is None and spec.grid.sim.circuits == ("sim9",)
    assert load_spec(str(p)) == spec


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("rootseed = 1", r"unknown key `rootseed`; allowed keys: root_seed, seeds"),
        ("[grid.hea]\nqubits = [2]", r"unknown key `grid.hea.qubits`.*n_qubits, layers"),
        ("[metrics]\npairs = 3", r"unknown key `metrics.pairs`.*n_pairs"),
        ("[training]\nepochs = 3", r"unknown key `training.epochs`.*steps"),
        ("configs = ['hybrid']", r"`configs` must be one of .*'pure_pqc'"),
        ("definitions = ['grad']", r"`definitions` must be one of"),
        ("[grid.hea]\ntopology = ['mesh']", r"`grid.hea.topology` must be one of"),
        ("[grid.hea]\nrotations = ['RY+RW']", r"`grid.hea.rotations` must be one of"),
        ("[grid.hea]\nlayers = [0]", r"`grid.hea.layers` must be >= 1"),
        ("[grid.hea]\nn_qubits = [2.5]", r"`grid.hea.n_qubits` must be an integer"),
        ("[grid.sim]\nn_qubits = [4]", r"`grid.sim.circuits` is required"),
        ("[grid.sim]\ncircuits = ['sim20']", r"`grid.sim.circuits` must be one of"),
        ("[grid]\nclassical_post = ['8-tan']", r"classical_post"),
        ("[grid]\nreupload = ['yes']", r"`grid.reupload` must hold true/false"),
        ("seeds = 0", r"`seeds` must be >= 1"),
        ("seeds = [1, 1]", r"`seeds` has duplicates"),
        ("[training]\nsteps = 0", r"steps"),
        ("grid = 3", r"`grid` must be a table"),
        ("instances = 1", r"`instances` must be >= 2"),
        ("instances = 'ten'", r"`instances` must be an integer"),
        ("instances_per_circuit = 4", r"`instances_per_circuit` needs `instances`"),
        ("instances = 10\ninstances_per_circuit = 3", r"`instances_per_circuit` = 3 .*is 4"),
        ("instances = 10\ninstances_per_circuit = 12", r"`instances_per_circuit` must be <= 10"),
        ("[training]\nbudget_steps = 0", r"`budget_steps` must be >= 1"),
        ("[training]\ntarget_fraction = 2.0", r"`target_fraction`"),
    ],
)
def test_bad_specs_name_the_key(text, pattern):
    with pytest.raises(SpecError, match=pattern):
        load_spec(text)


def test_malformed_toml_gives_line_and_column():
    with pytest.raises(SpecError, match=r"malformed TOML in spec text: .*line 2, column 22"):
        load_spec("seeds = 3\nconfigs = [\"pure_pqc\"")


def test_missing_file():
    with pytest.raises(SpecError, match="does not exist"):
        load_spec("nowhere.toml")


def test_qubit_bound_states_memory():
    with pytest.raises(SpecError) as info:
        load_spec(f"[grid.hea]\nn_qubits = [{MAX_QUBITS + 1}]")
    msg = str(info.value)
    assert "safe bound of 20 qubits" in msg and "32 MiB at n=21" in msg and "8 GiB" in msg
    assert "\n" not in msg
    load_spec(f"[grid.hea]\nn_qubits = [{MAX_QUBITS}]")


def test_presets_cover_the_study():
    quick, paper = preset_spec("quick"), preset_spec("paper")
    for spec in (quick, paper):
        assert spec.configs == TRAINING_CONFIGS  # the classical-only control included
        assert spec.definitions == TRAINABILITY_DEFINITIONS
        assert len(spec.tasks) == 2 and "synthetic" in spec.tasks
        levels = spec.levels("shots")
        assert levels[0] is None and len(levels) == 2 and levels[1] >= 1  # exact + finite
    # the paper's level is a device-like one; the quick one is where shot noise bites on its
    # small circuits (tests/experiment/test_grid_shots.py measures the SNR)
    assert paper.levels("shots")[1] >= 100
    assert len(quick.seeds) >= 2 and len(paper.seeds) >= 2
    assert len(quick.grid.hea.topology) >= 3
    assert max(paper.grid.hea.n_qubits) == 10 and min(paper.grid.hea.n_qubits) == 2
    assert set(paper.grid.hea.layers) == set(range(1, 11))
    assert set(paper.grid.hea.topology) == {"none", "linear", "ring", "full"}
    assert len(paper.grid.hea.rotations) == 3
    assert len(paper.grid.sim.circuits) == 19
    assert "quick" in preset_text("quick")
    with pytest.raises(SpecError, match="`preset` must be one of"):
        preset_spec("huge")


@pytest.mark.slow
def test_paper_preset_has_the_circuits_an_equivalence_needs_within_budget():
    """The header's promises: >= 1360 distinct circuits (an equivalence at +-0.1 with Holm over
    four claims at 80% power, see etr.analysis.claims) in <= 24 CPU-hours by the cost model."""
    from etr.experiment import circuit_units
    from etr.experiment.size import estimate

    paper = preset_spec("paper")
    cells = expand_grid(paper)
    units = circuit_units(paper, cells)
    assert len(units) >= 1360
    est = estimate(paper, cells, units)
    assert est.cpu_seconds <= 24 * 3600
    assert f"{len(units)} distinct circuits" in preset_text("paper")


def test_to_toml_roundtrip_keeps_hash_and_documents_every_key():
    spec = load_spec("seeds = [1, 4]\n[grid.sim]\ncircuits = ['sim2']\n[training]\nsteps = 7\n")
    text = spec.to_toml()
    back = load_spec(text)
    assert back.spec_hash() == spec.spec_hash()
    assert back.run_settings() == spec.run_settings()
    assert back.run_settings().steps == 7
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if " = " in line and not line.startswith("#"):
            assert lines[i - 1].startswith("# "), line
    assert spec.spec_hash() != load_spec("seeds = [1, 5]\n[grid.sim]\ncircuits = ['sim2']\n"
                                         "[training]\nsteps = 7\n").spec_hash()


def test_instance_keys_roundtrip_and_are_printed():
    spec = load_spec("seeds = 2\ninstances = 13\ninstances_per_circuit = 4\n"
                     "[grid.hea]\nn_qubits = [2]\nlayers = [1]\n")
    assert (spec.instances, spec.instances_per_circuit) == (13, 4)
    assert spec.design.base == (0, 1, 3, 9)
    text = spec.to_toml()
    assert "instances = 13" in text and "instances_per_circuit = 4" in text
    back = load_spec(text)
    assert back.design == spec.design and back.spec_hash() == spec.spec_hash()
    legacy = load_spec("[grid.hea]\nn_qubits = [2]\n")
    assert legacy.design is None and 'instances = "none"' in legacy.to_toml()
    assert load_spec(legacy.to_toml()).spec_hash() == legacy.spec_hash()
    assert spec.spec_hash() != load_spec(text.replace("instances_per_circuit = 4",
                                                      "instances_per_circuit = 5")).spec_hash()


def test_malformed_toml_mid_document():
    with pytest.raises(SpecError, match=r"line 2, column 8"):
        load_spec("seeds = 3\nroot = = 1\n")
