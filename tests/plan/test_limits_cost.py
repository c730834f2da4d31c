"""Limits refuse oversized specs before work; the cost model is one function of stated inputs."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from etr.errors import SpecError
from etr.plan import Architecture, MetricSpec, RunSettings
from etr.plan.cost import (
    COST,
    SHIFT_SHARE,
    CostConstants,
    cell_bytes,
    cell_seconds,
    circuit_bytes,
    circuit_seconds,
    model_gates,
)
from etr.plan.limits import LIMITS, check_limits
from etr.plan.noise import NoiseModel


@pytest.mark.parametrize(("kw", "match"), [
    ({"runs": LIMITS.runs + 1}, "runs, above the limit"),
    ({"seeds": LIMITS.seeds + 1}, "replicates"),
    ({"trials": LIMITS.trials + 1}, "trials per setting"),
    ({"qubit_layers": (1, 100_000)}, "1 qubits x 100,000 layers"),
    ({"cpu_seconds": 3600 * LIMITS.cpu_hours + 1}, "CPU-hours, above the limit of 500;"),
    ({"unit_seconds": (3600 * 221.2, "the circuit metrics of X")},
     "the circuit metrics of X needs an estimated 221.2 CPU-hours, above the limit of 4 per"),
    ({"unit_bytes": (50 * 2**30, "one run of Y")},
     "one run of Y needs an estimated 50.0 GB of memory, above the limit of 4.0 GB per unit"),
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
                      c_pair=11.0, c_lie=13.0, c_dgrad=19.0, c_dfwd=23.0, c_drow=29.0,
                      source="test")
    g = model_gates(arch)[0]
    # full batch: training, initial/final loss, test, effective dimension, landscape, readout,
    # purity
    rows = 3 * 4 * 10 * 32 + 2 * 4 * 32 + 4 * 16 + 3 * 2 * 32 + 2 * 3 * 4 * 3 * 32 + 4 * 32
    expected = 1.0 + 2.0 * rows * g * 16 + 3.0 * rows * g + 5.0 * 10 * g + 17.0 * 10
    assert cell_seconds(arch, "hybrid_full", s, constants=c) == pytest.approx(expected)
    no_ed = dataclasses.replace(s, definitions=("grad_var",))
    assert cell_seconds(arch, "hybrid_full", no_ed, constants=c) < expected
    # mini-batches: the training-set loss after every step and the initial gradient
    mb = dataclasses.replace(s, batch_size=8)
    rows_mb = (3 * 4 * 10 * 8 + 2 * 4 * 32 + 4 * 16 + 3 * 2 * 32 + 2 * 3 * 4 * 3 * 32
               + 4 * 10 * 32 + 3 * 4 * 32 + 4 * 32)
    assert cell_seconds(arch, "hybrid_full", mb, constants=c) == pytest.approx(
        1.0 + 2.0 * rows_mb * g * 16 + 3.0 * rows_mb * g + 5.0 * 10 * g + 17.0 * 10)
    # ... and with loss_decrease alone only when its budget is shorter than the run
    for budget, extra in ((10, 0), (4, 4 * 10 * 32)):
        ld = dataclasses.replace(mb, definitions=("loss_decrease",), budget_steps=budget)
        rows_ld = 3 * 4 * 10 * 8 + 2 * 4 * 32 + 4 * 16 + 4 * 32 + extra
        assert cell_seconds(arch, "hybrid_full", ld, constants=c) == pytest.approx(
            1.0 + 2.0 * rows_ld * g * 16 + 3.0 * rows_ld * g + 5.0 * 10 * g + 17.0 * 10)
    # finite shots: a gradient row is 1 + SHIFT_SHARE * T' circuits (T' = 32 shift terms of
    # the 16 parameters; without a pre-network no input angle is shifted); the readout
    # definition and the grad_snr diagnostic (K x N rows) shift the 16 parameters only
    shots = dataclasses.replace(s, shots=100)
    grad_rows = 4 * 10 * 32 + 4 * 3 * 32
    per = 1 + SHIFT_SHARE * 32
    rows_s = (per * grad_rows + per * (4 * 3 * 32 + 4 * 32) + 2 * 4 * 32 + 4 * 16
              + 3 * 2 * 32 + 4 * 32)
    assert cell_seconds(arch, "hybrid_full", shots, constants=c) == pytest.approx(
        1.0 + 2.0 * rows_s * g * 16 + 3.0 * rows_s * g + 5.0 * 10 * g + 17.0 * 10)
    # ... with a trained pre-network the 4 input angles are shifted too (8 more terms)
    pre = Architecture(n_qubits=4, layers=2, classical_pre="4-tanh")
    rows_p = rows_s + SHIFT_SHARE * 8 * grad_rows
    assert cell_seconds(pre, "hybrid_full", shots, constants=c) == pytest.approx(
        1.0 + 2.0 * rows_p * g * 16 + 3.0 * rows_p * g + 5.0 * 10 * g + 17.0 * 10)
    # noise: density matrices (4^n entries); adjoint rows (training, landscape, the effective
    # dimension's 2 x 32) and forward rows (losses, test, purity) priced apart
    noisy = dataclasses.replace(s, noise=NoiseModel(depolarizing=0.01))
    adjoint = 4 * 10 * 32 + 4 * 3 * 32 + 4 * 3 * 32 + 2 * 32  # ... and the readout's
    forward = 2 * 4 * 32 + 4 * 16 + 4 * 32
    assert cell_seconds(arch, "hybrid_full", noisy, constants=c) == pytest.approx(
        1.0 + (19.0 * adjoint + 23.0 * forward) * g * 256 + 29.0 * (adjoint + forward) * g
        + 5.0 * 10 * g + 17.0 * 10)
    # noise and shots: every shifted circuit is a whole forward row (33 per gradient row: no
    # shared prefix on density matrices), the readout's and grad_snr's rows shift the 16
    # parameters
    both = dataclasses.replace(noisy, shots=100)
    adjoint_b = 2 * 32
    forward_b = forward + 33 * grad_rows + 33 * (4 * 3 * 32 + 4 * 32)
    assert cell_seconds(arch, "hybrid_full", both, constants=c) == pytest.approx(
        1.0 + (19.0 * adjoint_b + 23.0 * forward_b) * g * 256
        + 29.0 * (adjoint_b + forward_b) * g + 5.0 * 10 * g + 17.0 * 10)
    assert cell_seconds(arch, "classical_only", s, constants=c) == pytest.approx(1.0 + 17.0 * 10)
    m = MetricSpec(n_states=50, n_pairs=100, ec_samples=10, loss_samples=20, qfim_samples=2)
    gp = model_gates(arch)[1]
    states = 50 + 200 + 10 + 20 + 2 * (16 + 1)
    assert circuit_seconds(arch, m, constants=c) == pytest.approx(
        7.0 + 2.0 * states * gp * 16 + 3.0 * states * gp + 11.0 * 50**2 / 2 * 16
        + 13.0 * (4**4 - 1))


@pytest.mark.parametrize(("arch", "config"), [
    (Architecture(n_qubits=3, layers=2, encoding="hrz", reupload=True, classical_pre="4-tanh"),
     "hybrid_full"),
    (Architecture(n_qubits=3, layers=2, encoding="hrz", reupload=True), "hybrid_full"),
    (Architecture(family="sim", circuit="sim11", n_qubits=4, layers=2), "pure_pqc"),
    (Architecture(family="sim", circuit="sim8", n_qubits=3, layers=1,
                  classical_pre="4-tanh"), "hybrid_quantum_only"),
])
def test_shift_terms_are_the_ones_the_model_runs(arch, config):
    """The cost model's shifted circuits per gradient row against the shift rule of the
    model's own circuit and gradient slots (`etr.hybrid.HybridModel`)."""
    from etr.circuits import encoding_width
    from etr.hybrid.model import HybridModel
    from etr.quantum import shift_rule

    width = encoding_width(arch.n_qubits, arch.encoding)
    model = HybridModel(arch, config, 5 if arch.classical_pre != "none" else width)
    s = RunSettings(n_train=8, n_test=4, n_init=2, steps=1, definitions=("grad_var",))
    c = CostConstants(c_run=0.0, c_amp=0.0, c_row=1.0, c_step=0.0, c_iter=0.0, c_unit=0.0,
                      c_pair=0.0, c_lie=0.0, c_dgrad=0.0, c_dfwd=0.0, c_drow=0.0,
                      source="test")
    g = model_gates(arch)[0]
    exact = cell_seconds(arch, config, s, constants=c) / g
    shot = cell_seconds(arch, config, dataclasses.replace(s, shots=10), constants=c) / g
    grad_rows = 2 * 1 * 8
    terms = shift_rule(model.circuit, model._grad_slots).n_terms
    snr_terms = shift_rule(model.circuit, model._quantum_slots).n_terms
    snr_rows = 2 * 8
    assert shot - exact == pytest.approx(
        (1 + SHIFT_SHARE * terms - 3) * grad_rows + (1 + SHIFT_SHARE * snr_terms) * snr_rows)


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


# peak resident memory of one unit above that of the interpreter after a warm-up unit: the
# kernel's high-water mark (VmHWM) is reset after the warm-up by writing 5 to clear_refs, so
# compilation and import peaks do not count (ru_maxrss cannot be reset)
_PEAK = """
import json, sys
from etr.experiment.circuit import circuit_record
from etr.hybrid.run import evaluate_run
from etr.plan import Architecture, MetricSpec, RunSettings

def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

kind, arch, kw = json.loads(sys.argv[1])
# warm-up: the same unit at a tiny size compiles every kernel the measured unit uses
if kind == "cell":
    evaluate_run(Architecture(**arch), kw["config"], 0,
                 RunSettings(n_train=8, n_test=4, n_init=2, steps=2, ed_weight_samples=2,
                             landscape_samples=2, ed_data_size=20, shots=kw.get("shots")))
else:
    circuit_record(Architecture(**arch).ansatz(),
                   MetricSpec(n_states=20, n_pairs=10, ec_samples=4, loss_samples=4), seed=0)
base = rss()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
if kind == "cell":
    config = kw.pop("config")
    evaluate_run(Architecture(**arch), config, 0, RunSettings(**kw))
else:
    circuit_record(Architecture(**arch).ansatz(), MetricSpec(**kw), seed=0)
print(hwm() - base)
"""


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(("kind", "arch", "kw"), [
    ("cell", {"n_qubits": 4, "layers": 2, "classical_pre": "8-tanh", "classical_post": "8-tanh"},
     {"config": "hybrid_full", "n_train": 5000, "n_test": 200, "n_init": 8, "steps": 5}),
    ("cell", {"n_qubits": 8, "layers": 3},
     {"config": "pure_pqc", "n_train": 2000, "n_test": 2000, "n_init": 16, "steps": 3,
      "ed_weight_samples": 16}),
    ("cell", {"n_qubits": 3, "layers": 2, "classical_post": "8-tanh"},
     {"config": "hybrid_quantum_only", "n_train": 2000, "n_test": 100, "n_init": 4, "steps": 3,
      "shots": 100}),
    ("cell", {"n_qubits": 4, "layers": 2, "classical_pre": "8-tanh", "classical_post": "8-tanh"},
     {"config": "classical_only", "n_train": 50000, "n_test": 200, "n_init": 8, "steps": 5}),
    ("circuit", {"n_qubits": 6, "layers": 2}, {"n_states": 20000, "n_pairs": 1000}),
    ("circuit", {"n_qubits": 10, "layers": 2},
     {"n_states": 5000, "n_pairs": 5000, "loss_samples": 2000}),
])
def test_memory_estimates_bound_the_measured_peak(kind, arch, kw):
    """The estimate is an upper bound of the measured peak (and not wildly above it: it refuses
    specs at 4 GB per unit)."""
    out = subprocess.run([sys.executable, "-c", _PEAK, json.dumps([kind, arch, dict(kw)])],
                         capture_output=True, text=True, check=True, timeout=900)
    measured = int(out.stdout.split()[-1])
    kw = dict(kw)
    if kind == "cell":
        estimated = cell_bytes(Architecture(**arch), kw.pop("config"), RunSettings(**kw))
    else:
        estimated = circuit_bytes(Architecture(**arch), MetricSpec(**kw))
    assert 10 * 2**20 < measured <= estimated < 8 * measured
