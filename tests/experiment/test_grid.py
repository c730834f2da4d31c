from __future__ import annotations

import numpy as np
import pytest

from etr.experiment import circuit_units, derive_seed, expand_grid, load_spec

SPEC = """
seeds = [0, 1]
[grid]
classical_post = ["4-tanh", "8-tanh"]
[grid.hea]
n_qubits = [2, 3]
layers = [1]
[grid.sim]
circuits = ["sim9"]
n_qubits = [2]
"""


def test_grid_counts_and_pure_pqc_dedupe():
    cells = expand_grid(load_spec(SPEC))
    # 3 PQCs x 2 seeds x (1 pure_pqc + 2 classical variants x 2 hybrid configs)
    assert len(cells) == 3 * 2 * (1 + 2 * 2)
    assert len({c.cell_id for c in cells}) == len(cells)
    pure = [c for c in cells if c.training_config == "pure_pqc"]
    assert all(c.arch.classical_post == "none" for c in pure)
    sims = [c for c in cells if c.arch.family == "sim"]
    assert {c.arch.topology for c in sims} == {"n/a"}


def test_seeds_pair_hybrid_configs_and_ignore_config_order():
    spec = load_spec(SPEC)
    cells = expand_grid(spec)
    by = {(c.arch.architecture_id, c.training_config, c.replicate): c for c in cells}
    for (aid, cfg, rep), c in by.items():
        if cfg == "hybrid_full":
            assert by[(aid, "hybrid_quantum_only", rep)].seed == c.seed
        assert c.seed == derive_seed(spec.root_seed, aid, rep)
    assert len({c.seed for c in cells}) == len({(c.arch.architecture_id, c.replicate)
                                                  for c in cells})
    reordered = load_spec(SPEC.replace("seeds = [0, 1]",
                                       'seeds = [0, 1]\nconfigs = ["hybrid_full", "pure_pqc"]'))
    ids = {c.cell_id: c.seed for c in cells}
    for c in expand_grid(reordered):
        assert ids[c.cell_id] == c.seed


def test_derive_seed_is_a_seedsequence_child():
    aid = "00000001ffffffff"
    expected = np.random.SeedSequence(7, spawn_key=(0, 3, 0xFFFFFFFF, 1)).generate_state(
        1, dtype=np.uint64)[0] >> np.uint64(1)
    assert derive_seed(7, aid, 3) == int(expected)
    assert derive_seed(8, aid, 3) != derive_seed(7, aid, 3)
    assert 0 <= derive_seed(7, aid, 3) < 2**63


def test_circuit_units_shared_across_encodings_and_classical_parts():
    spec = load_spec(SPEC.replace('classical_post = ["4-tanh", "8-tanh"]',
                                  'classical_post = ["4-tanh", "8-tanh"]\nencoding = ["ry", "rx"]'))
    cells = expand_grid(spec)
    units = circuit_units(spec, cells)
    assert len(units) == 3  # one per distinct PQC, whatever the replicate
    keys = {c.arch.pqc_id: c.circuit_key for c in cells}
    assert len(set(keys.values())) == len(units)
    for c in cells:
        assert c.circuit_key == keys[c.arch.pqc_id]


def test_equal_circuits_are_one_architecture():
    """At 2 qubits linear, ring, full and star build one circuit: one architecture, one unit."""
    spec = load_spec("""seeds = 2
[grid]
classical_post = ["4-tanh"]
[grid.hea]
n_qubits = [2, 3]
layers = 1
topology = ["linear", "ring", "full", "star"]""")
    cells = expand_grid(spec)
    units = circuit_units(spec, cells)
    two = [c for c in cells if c.arch.n_qubits == 2]
    assert {c.arch.topology for c in two} == {"linear"}  # the first in grid order is kept
    assert len(two) == 3 * 2  # configurations x replicates, once
    # at 3 qubits the pairs differ: linear (0,1),(1,2); star (0,1),(0,2); ring = full (all three
    # pairs, CZ gates commute) -> ring and full are one circuit
    three = {c.arch.topology for c in cells if c.arch.n_qubits == 3}
    assert three == {"linear", "ring", "star"}
    assert len(units) == 1 + 3
    assert len({c.cell_id for c in cells}) == len(cells)


def test_cell_ids_change_with_settings_that_change_numbers():
    base = {c.cell_id for c in expand_grid(load_spec(SPEC))}
    for extra in ("root_seed = 1\n", "[training]\nsteps = 3\n", "[metrics]\nbins = 10\n"):
        other = {c.cell_id for c in expand_grid(load_spec(extra + SPEC if extra.startswith(
            "root") else SPEC + extra))}
        assert not base & other


def test_tasks_cross_the_grid_and_share_one_instance_per_replicate():
    spec = load_spec("""seeds = 2
configs = ["pure_pqc", "hybrid_full", "classical_only"]
[grid]
classical_pre = ["none", "4-tanh"]
classical_post = ["4-tanh"]
[grid.hea]
n_qubits = [2, 3]
layers = [1, 2]
[training]
task = ["synthetic", "teacher"]""")
    assert spec.tasks == ("synthetic", "teacher")
    cells = expand_grid(spec)
    assert {c.task for c in cells} == {"synthetic", "teacher"}
    seeds = {(c.task, c.replicate): set() for c in cells}
    for c in cells:
        seeds[(c.task, c.replicate)].add(c.task_seed)
    assert all(len(v) == 1 for v in seeds.values())  # one instance per (task, replicate)
    assert len({next(iter(v)) for v in seeds.values()}) == 4
    control = [c for c in cells if c.training_config == "classical_only"]
    # once per (task, replicate, pre, post, width): the layers do not matter to the control
    assert len(control) == 2 * 2 * 2 * 2
    assert all(c.circuit_key is None for c in control)
    assert len({(c.task, c.replicate, c.arch.control_id) for c in control}) == len(control)
    units = circuit_units(spec, cells)
    assert len(units) == 4  # circuits do not depend on the task
    # the printed spec reads back to the same spec
    assert load_spec(spec.to_toml()).spec_hash() == spec.spec_hash()


def test_a_search_takes_one_task():
    from importlib import resources

    from etr.errors import SpecError
    from etr.nas.spec import load_nas_spec

    text = resources.files("etr.nas").joinpath("presets", "quick.toml").read_text("utf-8")
    (task,) = load_nas_spec(text).tasks
    assert f'task = "{task}"' in text
    with pytest.raises(SpecError, match=r"`training\.task` must hold one value"):
        load_nas_spec(text.replace(f'task = "{task}"', f'task = ["synthetic", "{task}"]'))


def test_shot_levels_cross_the_grid_with_paired_seeds():
    spec = load_spec("""seeds = 1
configs = ["pure_pqc", "classical_only"]
[grid]
classical_post = ["4-tanh"]
[grid.hea]
n_qubits = [2]
layers = [1, 2]
[training]
shots = ["none", 500]""")
    assert spec.levels("shots") == (None, 500)
    cells = expand_grid(spec)
    pure = [c for c in cells if c.training_config == "pure_pqc"]
    assert sorted(c.shots or 0 for c in pure) == [0, 0, 500, 500]
    exact = {c.arch.architecture_id: c.seed for c in pure if c.shots is None}
    for c in pure:  # exact and finite-shot runs of one cell start from the same seed
        assert exact[c.arch.architecture_id] == c.seed
    assert len({c.task_seed for c in cells}) == 1
    control = [c for c in cells if c.training_config == "classical_only"]
    assert len(control) == 1 and control[0].shots is None  # shots do not apply
    assert spec.run_settings(shots=500).shots == 500 and spec.run_settings().shots is None
    assert load_spec(spec.to_toml()).spec_hash() == spec.spec_hash()


def test_finite_shots_only_within_their_bounds():
    spec = load_spec("""seeds = 1
configs = ["pure_pqc"]
[grid.hea]
n_qubits = [2, 4]
layers = [1, 3]
[grid.shots]
max_qubits = 2
max_layers = 1
[training]
shots = ["none", 200]""")
    cells = expand_grid(spec)
    finite = [(c.arch.n_qubits, c.arch.layers) for c in cells if c.shots is not None]
    assert finite == [(2, 1)]
    assert sum(c.shots is None for c in cells) == 4
    again = load_spec(spec.to_toml())
    assert again.grid.shots.max_qubits == 2 and again.spec_hash() == spec.spec_hash()


def test_tasks_and_shot_levels_together():
    spec = load_spec("""[grid.hea]
n_qubits = [2]
layers = [1]
[training]
task = ["synthetic", "parity"]
shots = ["none", 64]""")
    assert spec.tasks == ("synthetic", "parity") and spec.levels("shots") == (None, 64)
    from etr.errors import SpecError

    with pytest.raises(SpecError, match="`shots`"):
        load_spec('[grid.hea]\nn_qubits = [2]\n[training]\ntask = ["synthetic", "parity"]\n'
                  'shots = ["none", 0]')
    with pytest.raises(SpecError, match="`task`"):
        load_spec('[grid.hea]\nn_qubits = [2]\n[training]\ntask = ["synthetic", "mnist"]\n'
                  'shots = ["none", 10]')


# ---------------------------------------------------------------------- task instances
DESIGN = """
seeds = [0, 1]
instances = 10
instances_per_circuit = 4
configs = ["pure_pqc", "hybrid_quantum_only", "hybrid_full", "classical_only"]
[grid]
classical_pre = ["none", "8-tanh"]
[grid.hea]
n_qubits = [3, 4]
layers = [1, 2]
topology = ["linear", "ring"]
rotations = ["RY", "RY+RZ", "RX+RY+RZ"]
[training]
task = ["parity", "wine"]
"""


def test_instances_are_crossed_with_replicates_in_a_balanced_incomplete_design():
    import itertools
    from collections import Counter, defaultdict

    from etr.experiment.grid import run_seed, task_seed

    spec = load_spec(DESIGN)
    cells = expand_grid(spec)
    pqc = [c for c in cells if c.training_config != "classical_only"]
    per_circuit = defaultdict(set)
    for c in pqc:
        per_circuit[(c.task, c.arch.n_qubits, c.arch.layers, c.arch.pqc_id)].add(c.instance)
    assert {len(v) for v in per_circuit.values()} == {4}
    # every configuration and classical variant of one circuit uses the same instances
    by_pqc = defaultdict(set)
    for c in pqc:
        by_pqc[c.arch.pqc_id].add(tuple(sorted(per_circuit[(c.task, c.arch.n_qubits,
                                                            c.arch.layers, c.arch.pqc_id)])))
    assert {len(v) for v in by_pqc.values()} == {1}
    strata = defaultdict(list)
    for (task, n, layers, _), inst in per_circuit.items():
        strata[(task, n, layers)].append(inst)
    for blocks in strata.values():
        assert all(a & b for a, b in itertools.combinations(blocks, 2))
    for task in ("parity", "wine"):  # within k = 4 uses of each other
        uses = Counter(i for key, v in per_circuit.items() if key[0] == task for i in v)
        assert max(uses.values()) - min(uses.values()) <= 4 and len(uses) == 10
    # each assigned instance crossed with each replicate: 4 x 2 cells per model and config
    runs = Counter((c.arch.architecture_id, c.training_config, c.task) for c in pqc)
    assert set(runs.values()) == {8}
    # the control on every instance and replicate
    control = Counter((c.arch.control_id, c.task) for c in cells
                      if c.training_config == "classical_only")
    assert set(control.values()) == {20}
    # seeds: the instance's data from (root, task, instance); own initialisations per instance
    for c in cells:
        assert c.task_seed == task_seed(spec.root_seed, c.task, c.instance)
        model = (c.arch.control_id if c.training_config == "classical_only"
                 else c.arch.architecture_id)
        assert c.seed == run_seed(spec.root_seed, model, c.replicate, c.instance)
    full = {(c.arch.architecture_id, c.instance, c.replicate): c.seed for c in pqc
            if c.training_config == "hybrid_full"}
    for c in pqc:
        if c.training_config == "hybrid_quantum_only":  # paired with hybrid_full
            assert full[(c.arch.architecture_id, c.instance, c.replicate)] == c.seed
    assert len({c.cell_id for c in cells}) == len(cells)


def test_without_instances_the_replicate_is_the_instance():
    cells = expand_grid(load_spec(SPEC))
    for c in cells:
        assert c.instance == c.replicate
        assert c.seed == derive_seed(2026, c.arch.architecture_id, c.replicate)


def test_a_complete_crossing_and_its_size():
    from etr.experiment.size import estimate, grid_bounds

    text = DESIGN.replace("instances_per_circuit = 4\n", "")
    spec = load_spec(text)
    cells = expand_grid(spec)
    assert {c.instance for c in cells} == set(range(10))
    incomplete = load_spec(DESIGN)
    small = expand_grid(incomplete)
    pqc = sum(c.training_config != "classical_only" for c in cells)
    assert sum(c.training_config != "classical_only" for c in small) * 10 == pqc * 4
    for s, cs in ((spec, cells), (incomplete, small)):
        units = circuit_units(s, cs)
        exact = estimate(s, cs, units)
        assert exact.runs == len(cs)
        assert grid_bounds(s).runs >= len(cs) and estimate(s).runs == grid_bounds(s).runs
        assert estimate(s).cpu_seconds >= exact.cpu_seconds * (1 - 1e-12)
