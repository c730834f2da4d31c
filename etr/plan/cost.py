"""How long a run takes: the per-cell cost model behind every run-time estimate.

The expensive step of every unit is statevector simulation: a batch of R circuit rows (one row =
one parameter vector, e.g. one data point of one initialisation) through a circuit of G gates on
n qubits costs about ``R * G * 2**n`` amplitude updates, plus a per-row-per-gate overhead (the
gate matrices built for every row) and a per-step overhead (Python calls per optimiser step).
A run (architecture x configuration x replicate; `etr.hybrid.evaluate_run`) pushes

    R = 3 K T B + 2 K N + K N_test + 3 M N + 3 K S N [+ 3 K S N] [+ K T N] [+ 3 K N]

row-passes through the model circuit: forward and adjoint backward (3 passes) on B points for K
initialisations and T steps; the loss on all N training points before and after training; the
test accuracy; the effective dimension's forward and backward on M weight samples; the
landscape's gradients at S random theta per initialisation; the readout definition's gradients
at as many; with mini-batches, the training-set loss after every step (``steps_to_target``, or
``loss_decrease`` with a budget shorter than the run) and the initial gradient on the training
set (``grad_var``). With finite shots every gradient pass is a parameter-shift evaluation: the
``3`` of a gradient row becomes ``1 + 2 P'`` circuits (P' shifted angles: the quantum
parameters, plus the input angles when the pre-network is trained; the readout definition
shifts the quantum parameters only). The classical-only control
simulates no circuit: ``c_run + c_iter T``. A circuit unit (everything of
`etr.experiment.circuit.circuit_record`, once per distinct PQC) pushes

    S_u = n_states + 2 n_pairs + ec_samples + loss_samples + qfim_samples (P + 1)

states through the PQC alone, sums ``n_states^2 / 2`` pair overlaps of length 2^n (the frame
potential) and closes the dynamical Lie algebra (at most 4^n - 1 elements). Hence

    cell seconds    = c_run + c_amp R G 2^n + c_row R G + c_step T G + c_iter T
    circuit seconds = c_unit + c_amp S_u G_pqc 2^n + c_row S_u G_pqc
                      + c_pair (n_states^2 / 2) 2^n + c_lie D,   D = 3n without entanglers,
                                                                   else 4^n - 1

with the constants of `COST`, all in CPU-seconds of one core. They are measured, not derived:
``python benchmarks/calibrate_cost.py`` times real units on a design of widths, depths,
configurations and step counts, fits the constants by non-negative least squares and prints them
with the fit's error; paste its output into `COST` when the simulation code or the machine
changes. The terms a measure or a definition adds (the ``3 M N``, ``3 K S N`` and bracketed terms
of R, every term of S_u, the pair overlaps and the Lie closure) are declared on its registry entry
(`etr.contract.Metric.cost`), so a new measure brings its own; the training's own terms, the
constants and the formulas are here (`cell_seconds`, `circuit_seconds`, `COST`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from etr.circuits import encoding_circuit
from etr.contract import CIRCUIT, COST_TERMS, METRICS, Metric
from etr.plan.architecture import Architecture
from etr.plan.settings import MetricSpec, RunSettings

__all__ = ["COST", "CostConstants", "cell_seconds", "circuit_seconds", "model_gates",
           "run_sizes"]


@dataclass(frozen=True, slots=True)
class CostConstants:
    """Constants of the cost model (CPU-seconds; see the module notes).

    Attributes
    ----------
    c_run : fixed cost of a run (task, model and result bookkeeping).
    c_amp : per amplitude update (row x gate x 2^n).
    c_row : per row and gate, independent of the width.
    c_step : per optimiser step and gate (Python and kernel-call overhead).
    c_iter : per optimiser step, whatever the circuit (the classical networks, Adam, bookkeeping).
    c_unit : fixed cost of a circuit unit (histograms, bootstrap interval).
    c_pair : per pair overlap and amplitude of the frame potential.
    c_lie : per element of the dynamical Lie algebra's closure.
    source : where and when the constants were measured.
    """

    c_run: float
    c_amp: float
    c_row: float
    c_step: float
    c_iter: float
    c_unit: float
    c_pair: float
    c_lie: float
    source: str


#: Measured with ``benchmarks/calibrate_cost.py`` (see its docstring for the design and the fit)
#: on the 2-core development machine (x86_64, Python 3.11.7, one thread per process, the other
#: core busy), 2026-11-29: 200 timed units (2-10 qubits, 1-6 layers, pure_pqc, hybrid_full,
#: finite shots, the classical-only control, circuit units at two frame-potential sizes), median
#: relative error 13%. Held out: 16 random cells of the quick preset predicted at 0.85x of their
#: measured total; cells of the paper-sized settings (100 steps) at 1.10x, 0.99x and 1.10x
#: (hybrid_full 6q/4L, hybrid_quantum_only 8q/6L, pure_pqc 10q/2L). The fit sets c_step and c_lie
#: to 0: per-step overhead does not grow with the gate count, and the Lie closure is within the
#: circuit unit's other terms at these sizes.
COST = CostConstants(
    c_run=0.01037,
    c_amp=6.385e-10,
    c_row=6.662e-08,
    c_step=0.0,
    c_iter=8.578e-05,
    c_unit=0.03569,
    c_pair=3.982e-11,
    c_lie=0.0,
    source="benchmarks/calibrate_cost.py, 2026-11-29, 2-core x86_64, Python 3.11.7",
)


def model_gates(arch: Architecture) -> tuple[int, int]:
    """``(G, G_pqc)``: gates of the model circuit (the encoding, repeated before every layer
    when re-uploading, plus the PQC) and of the PQC alone.

    Examples
    --------
    >>> model_gates(Architecture(n_qubits=2, layers=1, rotations="RY", topology="linear"))
    (5, 3)
    """
    pqc, _ = _pqc_size(arch.family, arch.circuit, arch.n_qubits, arch.layers, arch.topology,
                       arch.rotations, arch.entangler)
    enc = encoding_circuit(arch.n_qubits, arch.encoding).n_gates
    return pqc + (arch.layers if arch.reupload else 1) * enc, pqc


@functools.lru_cache(maxsize=65536)
def _pqc_size(family: str, circuit: str, n_qubits: int, layers: int, topology: str,
              rotations: str, entangler: str) -> tuple[int, int]:
    """(gates, parameters) of the PQC of these factors (cached: building circuits is the cost)."""
    arch = Architecture(family=family, circuit=circuit, n_qubits=n_qubits, layers=layers,
                        topology=topology, rotations=rotations, entangler=entangler)
    ansatz = arch.ansatz()
    return ansatz.n_gates, ansatz.n_params


def cell_seconds(arch: Architecture, training_config: str, settings: RunSettings, *,
                 constants: CostConstants = COST) -> float:
    """Estimated CPU-seconds of one run of `arch` under `training_config` with `settings`.

    Examples
    --------
    >>> s = RunSettings(n_train=64, n_test=64, n_init=8, steps=30)
    >>> small = cell_seconds(Architecture(n_qubits=2, layers=1), "hybrid_full", s)
    >>> large = cell_seconds(Architecture(n_qubits=8, layers=6), "hybrid_full", s)
    >>> control = cell_seconds(Architecture(n_qubits=8, layers=6), "classical_only", s)
    >>> 0 < control < small < large
    True
    """
    c = constants
    k, t, n = settings.n_init, settings.steps, settings.n_train
    if training_config == "classical_only":
        return c.c_run + c.c_iter * t
    gates, _ = model_gates(arch)
    b = min(settings.batch_size or n, n)
    terms = _terms((METRICS[d] for d in settings.definitions if d in METRICS),
                   run_sizes(settings))
    grad_rows = k * t * b + terms["grad_rows"]
    trajectory = k * t * n if b < n and terms["trajectory"] > 0 else 0
    forward_rows = 2 * k * n + k * settings.n_test + terms["forward_rows"] + trajectory
    per_grad = per_theta = 3.0
    if settings.shots is not None:
        per_theta = 1.0 + 2.0 * _n_params(arch)
        shifted = _n_params(arch) + (
            _n_angles(arch) if training_config == "hybrid_full" else 0)
        per_grad = 1.0 + 2.0 * shifted
    rows = (per_grad * grad_rows + per_theta * terms["theta_grad_rows"] + forward_rows
            + terms["exact_rows"])
    return (c.c_run + c.c_amp * rows * gates * 2.0**arch.n_qubits + c.c_row * rows * gates
            + c.c_step * t * gates + c.c_iter * t)


def run_sizes(settings: RunSettings) -> dict[str, Any]:
    """What a run-level cost function (`etr.contract.Metric.cost`) reads: the `RunSettings`
    fields, ``batch`` (rows of a step), ``mini`` (mini-batch training) and ``budget`` (the
    resolved step budget of ``loss_decrease``, `RunSettings.budget`).

    Examples
    --------
    >>> s = run_sizes(RunSettings(n_train=64, batch_size=16, steps=30, budget_steps=10))
    >>> s["batch"], s["mini"], s["budget"]
    (16, True, 10)
    """
    n = settings.n_train
    b = min(settings.batch_size or n, n)
    return {**settings.to_dict(), "batch": b, "mini": b < n, "budget": settings.budget}


def _terms(metrics: Iterable[Metric], sizes: Mapping[str, Any]) -> dict[str, float]:
    """The cost terms (`etr.contract.COST_TERMS`) the given measures add, summed."""
    out = dict.fromkeys(COST_TERMS, 0.0)
    for m in metrics:
        if m.cost is not None:
            for term, amount in m.cost(sizes).items():
                out[term] += float(amount)
    return out


def _n_params(arch: Architecture) -> int:
    """Trainable circuit parameters of the PQC."""
    return _pqc_size(arch.family, arch.circuit, arch.n_qubits, arch.layers, arch.topology,
                     arch.rotations, arch.entangler)[1]


def _n_angles(arch: Architecture) -> int:
    return encoding_circuit(arch.n_qubits, arch.encoding).n_params


def circuit_seconds(arch: Architecture, metrics: MetricSpec, *,
                    constants: CostConstants = COST) -> float:
    """Estimated CPU-seconds of the circuit-level metrics of ``arch.ansatz()``.

    Examples
    --------
    >>> circuit_seconds(Architecture(n_qubits=4, layers=2), MetricSpec()) > 0
    True
    """
    _, gates = model_gates(arch)
    n = arch.n_qubits
    terms = _terms((m for m in METRICS.values() if m.level == CIRCUIT),
                   {**metrics.to_dict(), "n_params": _n_params(arch)})
    states = terms["states"]
    dla = 3 * n if arch.family == "hea" and arch.topology == "none" else 4.0**n - 1
    c = constants
    return (c.c_unit + c.c_amp * states * gates * 2.0**n + c.c_row * states * gates
            + c.c_pair * terms["pairs"] * 2.0**n + c.c_lie * terms["lie"] * dla)
