"""Sizing a spec before it runs: bounds without building the grid, exact counts, the estimate."""

from __future__ import annotations

import time

import pytest

from etr.errors import SpecError
from etr.experiment import (
    check_spec_limits,
    circuit_units,
    estimate,
    expand_grid,
    grid_bounds,
    load_spec,
    preset_spec,
    size,
)
from etr.plan.cost import cell_seconds, circuit_seconds

SPEC = """
seeds = 2
configs = ["pure_pqc", "hybrid_full"]
[grid]
classical_pre = ["none", "8-tanh"]
encoding = ["ry", "hrz"]
[grid.hea]
n_qubits = [3, 4]
layers = [1, 2]
topology = ["linear", "ring"]
[grid.sim]
circuits = ["sim2"]
n_qubits = [4]
"""


def test_bounds_equal_the_grid_when_no_two_factor_sets_build_one_model():
    spec = load_spec(SPEC)
    cells = expand_grid(spec)
    assert grid_bounds(spec).runs == len(cells)
    assert grid_bounds(spec).widest == (4, 2)
    # at 2 qubits the topologies coincide: the bound stays an upper bound
    two = load_spec(SPEC.replace("n_qubits = [3, 4]", "n_qubits = [2, 4]"))
    assert grid_bounds(two).runs > len(expand_grid(two))


def test_estimate_is_the_sum_of_the_cost_model(monkeypatch):
    spec = load_spec(SPEC)
    cells = expand_grid(spec)
    units = circuit_units(spec, cells)
    est = estimate(spec, cells, units)
    settings = spec.run_settings()
    total = sum(cell_seconds(c.arch, c.training_config, settings) for c in cells)
    total += sum(circuit_seconds(u.arch, spec.metrics) for u in units)
    assert (est.runs, est.circuits, est.exact) == (len(cells), len(units), True)
    assert est.cpu_seconds == pytest.approx(total)
    assert estimate(spec) == est  # a small grid is expanded: the counts the run states
    monkeypatch.setattr(size, "EXACT_UP_TO", 0)
    rough = estimate(spec)
    assert not rough.exact and rough.runs == len(cells)
    assert "upper bounds" in rough.describe(2)
    assert rough.cpu_seconds == pytest.approx(total)
    assert "runs" in est.describe(2) and "2 workers" in est.describe(2)


def test_huge_grids_are_sized_and_refused_without_being_built():
    text = ("seeds = 100\n[grid]\nclassical_pre = " + str([f"{w}-tanh" for w in range(1, 101)])
            + "\n[grid.hea]\nn_qubits = " + str(list(range(1, 21)))
            + "\nlayers = " + str(list(range(1, 13))) + "\n")
    spec = load_spec(text)
    t0 = time.perf_counter()
    with pytest.raises(SpecError, match=r"runs, above the limit of 500,000; pass --force"):
        check_spec_limits(spec)
    assert time.perf_counter() - t0 < 1.0  # a bound, not an expansion (~10^6 runs here)
    assert grid_bounds(spec).runs == 100 * 20 * 12 * (1 + 2 * 100)


@pytest.mark.parametrize(("text", "match"), [
    ("[grid.hea]\nn_qubits = 2\nlayers = [100000]\n", "qubit-layers"),
    ("seeds = 101\n", "replicates"),
])
def test_specs_beyond_the_limits(text, match):
    with pytest.raises(SpecError, match=match):
        check_spec_limits(load_spec(text))
    check_spec_limits(load_spec(text), force=True)


def test_absurd_seed_counts_are_refused_while_parsing():
    with pytest.raises(SpecError, match=r"`seeds` must be <= 1000000"):
        load_spec("seeds = 100000000000")


def test_presets_are_within_the_limits():
    for name in ("quick", "paper"):
        check_spec_limits(preset_spec(name))
