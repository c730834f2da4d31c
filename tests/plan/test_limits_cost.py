"""Limits refuse oversized specs before work; the cost model is one function of stated inputs."""

from __future__ import annotations

import dataclasses

import pytest

from etr.errors import SpecError
from etr.plan import Architecture, MetricSpec, RunSettings
from etr.plan.cost import COST, CostConstants, cell_seconds, circuit_seconds, model_gates
from etr.plan.limits import LIMITS, check_limits


@pytest.mark.parametrize(("kw", "match"), [
    ({"runs": LIMITS.runs + 1}, "runs, above the limit"),
    ({"seeds": LIMITS.seeds + 1}, "replicates"),
    ({"trials": LIMITS.trials + 1}, "trials per setting"),
    ({"qubit_layers": (1, 100_000)}, "1 qubits x 100,000 layers"),
])
def test_limits_refuse_with_one_line_unless_forced(kw, match):
    with pytest.raises(SpecError, match=match) as info:
        check_limits(**kw)
    assert "--force" in str(info.value) and "\n" not in str(info.value)
    check_limits(**kw, force=True)


def test_limits_accept_the_presets_sizes():
    check_limits(runs=11_375, seeds=5, qubit_layers=(10, 10), trials=80)
    check_limits(runs=LIMITS.runs, seeds=LIMITS.seeds, trials=LIMITS.trials,
                 qubit_layers=(16, 16))


def _brute_force_gates(arch: Architecture) -> int:
    from etr.circuits import encoded_circuit

    blocks = [arch.layer_block() for _ in range(arch.layers)]
    return encoded_circuit(blocks, arch.encoding, reupload=arch.reupload)[0].n_gates


@pytest.mark.parametrize("arch", [
    Architecture(n_qubits=3, layers=2, encoding="hrz", reupload=True),
    Architecture(family="sim", circuit="sim11", n_qubits=4, layers=3, encoding="ryrz"),
    Architecture(n_qubits=5, layers=1, topology="full", rotations="RX+RY+RZ"),
])
def test_model_gates_count_the_model_circuit(arch):
    assert model_gates(arch) == (_brute_force_gates(arch), arch.ansatz().n_gates)


def test_cell_cost_is_the_stated_formula():
    arch = Architecture(n_qubits=4, layers=2)
    s = RunSettings(n_train=32, n_test=16, n_init=4, steps=10, ed_weight_samples=2,
                    landscape_samples=3)
    c = CostConstants(c_run=1.0, c_amp=2.0, c_row=3.0, c_step=5.0, c_iter=17.0, c_unit=7.0,
                      c_pair=11.0, c_lie=13.0, source="test")
    g = model_gates(arch)[0]
    # full batch: training, initial/final loss, test, effective dimension, landscape, readout
    rows = 3 * 4 * 10 * 32 + 2 * 4 * 32 + 4 * 16 + 3 * 2 * 32 + 2 * 3 * 4 * 3 * 32
    expected = 1.0 + 2.0 * rows * g * 16 + 3.0 * rows * g + 5.0 * 10 * g + 17.0 * 10
    assert cell_seconds(arch, "hybrid_full", s, constants=c) == pytest.approx(expected)
    no_ed = dataclasses.replace(s, definitions=("grad_var",))
    assert cell_seconds(arch, "hybrid_full", no_ed, constants=c) < expected
    # mini-batches: the training-set loss after every step and the initial gradient
    mb = dataclasses.replace(s, batch_size=8)
    rows_mb = (3 * 4 * 10 * 8 + 2 * 4 * 32 + 4 * 16 + 3 * 2 * 32 + 2 * 3 * 4 * 3 * 32
               + 4 * 10 * 32 + 3 * 4 * 32)
    assert cell_seconds(arch, "hybrid_full", mb, constants=c) == pytest.approx(
        1.0 + 2.0 * rows_mb * g * 16 + 3.0 * rows_mb * g + 5.0 * 10 * g + 17.0 * 10)
    # ... and with loss_decrease alone only when its budget is shorter than the run
    for budget, extra in ((10, 0), (4, 4 * 10 * 32)):
        ld = dataclasses.replace(mb, definitions=("loss_decrease",), budget_steps=budget)
        rows_ld = 3 * 4 * 10 * 8 + 2 * 4 * 32 + 4 * 16 + extra
        assert cell_seconds(arch, "hybrid_full", ld, constants=c) == pytest.approx(
            1.0 + 2.0 * rows_ld * g * 16 + 3.0 * rows_ld * g + 5.0 * 10 * g + 17.0 * 10)
    # finite shots: a gradient row is 1 + 2 P' circuits (P' = 16 parameters + 4 angles; the
    # readout definition shifts the 16 parameters only)
    shots = dataclasses.replace(s, shots=100)
    grad_rows = 4 * 10 * 32 + 4 * 3 * 32
    rows_s = 41 * grad_rows + 33 * 4 * 3 * 32 + 2 * 4 * 32 + 4 * 16 + 3 * 2 * 32
    assert cell_seconds(arch, "hybrid_full", shots, constants=c) == pytest.approx(
        1.0 + 2.0 * rows_s * g * 16 + 3.0 * rows_s * g + 5.0 * 10 * g + 17.0 * 10)
    assert cell_seconds(arch, "classical_only", s, constants=c) == pytest.approx(1.0 + 17.0 * 10)
    m = MetricSpec(n_states=50, n_pairs=100, ec_samples=10, loss_samples=20, qfim_samples=2)
    gp = model_gates(arch)[1]
    states = 50 + 200 + 10 + 20 + 2 * (16 + 1)
    assert circuit_seconds(arch, m, constants=c) == pytest.approx(
        7.0 + 2.0 * states * gp * 16 + 3.0 * states * gp + 11.0 * 50**2 / 2 * 16
        + 13.0 * (4**4 - 1))


def test_cost_grows_with_every_size_factor():
    s = RunSettings(n_train=64, n_test=64, n_init=8, steps=30)
    base = cell_seconds(Architecture(n_qubits=4, layers=2), "hybrid_full", s)
    assert cell_seconds(Architecture(n_qubits=6, layers=2), "hybrid_full", s) > base
    assert cell_seconds(Architecture(n_qubits=4, layers=4), "hybrid_full", s) > base
    for field, value in (("steps", 60), ("n_init", 16), ("n_train", 128)):
        assert cell_seconds(Architecture(n_qubits=4, layers=2), "hybrid_full",
                            dataclasses.replace(s, **{field: value})) > base


def test_constants_are_measured_and_say_where():
    assert all(getattr(COST, f.name) >= 0 for f in dataclasses.fields(COST)
               if f.name != "source")
    assert "calibrate_cost.py" in COST.source
