"""How long a run takes: the per-cell cost model behind every run-time estimate.

The expensive step of every unit is statevector simulation: a batch of R circuit rows (one row =
one parameter vector, e.g. one data point of one initialisation) through a circuit of G gates on
n qubits costs about ``R * G * 2**n`` amplitude updates, plus a per-row-per-gate overhead (the
gate matrices built for every row) and a per-step overhead (Python calls per optimiser step).
A run (architecture x configuration x replicate; `etr.hybrid.evaluate_run`) pushes

    R = 3 K T B + 2 K N + K N_test + 3 M N

row-passes through the model circuit (forward and adjoint backward on B points for K
initialisations and T steps; the loss on all N training points before and after training; the
test accuracy; the effective dimension's forward and backward on M weight samples). A circuit
unit (expressibility and entangling capability, once per distinct PQC) pushes
``2 n_pairs + ec_samples`` states through the PQC alone. Hence

    cell seconds    = c_run + c_amp R G 2^n + c_row R G + c_step T G
    circuit seconds = c_unit + c_amp S G_pqc 2^n + c_row S G_pqc,   S = 2 n_pairs + ec_samples

with the constants of `COST`, all in CPU-seconds of one core. They are measured, not derived:
``python benchmarks/calibrate_cost.py`` times real units on a design of widths, depths,
configurations and step counts, fits the constants by non-negative least squares and prints them
with the fit's error; paste its output into `COST` when the simulation code or the machine
changes. Everything about the model is in this module: `cell_seconds`, `circuit_seconds` and
`COST`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from etr.circuits import encoding_circuit
from etr.plan.architecture import Architecture
from etr.plan.settings import MetricSpec, RunSettings

__all__ = ["COST", "CostConstants", "cell_seconds", "circuit_seconds", "model_gates"]


@dataclass(frozen=True, slots=True)
class CostConstants:
    """Constants of the cost model (CPU-seconds; see the module notes).

    Attributes
    ----------
    c_run : fixed cost of a run (task, model and result bookkeeping).
    c_amp : per amplitude update (row x gate x 2^n).
    c_row : per row and gate, independent of the width.
    c_step : per optimiser step and gate (Python and kernel-call overhead).
    c_unit : fixed cost of a circuit unit (histograms, bootstrap interval).
    source : where and when the constants were measured.
    """

    c_run: float
    c_amp: float
    c_row: float
    c_step: float
    c_unit: float
    source: str


#: Measured with ``benchmarks/calibrate_cost.py`` (see its docstring for the design and the fit)
#: on the 2-core development machine (x86_64, Python 3.11.7, one thread per process), 2026-11-29:
#: 164 timed units (2-10 qubits, 1-6 layers, pure_pqc and hybrid_full, quick- and paper-sized
#: runs), median relative error 14%. Held out: cells of the paper preset at full size
#: (100 steps) predicted at 1.01x, 0.96x and 0.86x of their measured CPU time (hybrid_full 6q/4L,
#: hybrid_quantum_only 8q/6L, pure_pqc 10q/2L); random quick-preset cells at 0.73x-1.09x in
#: total (the machine is shared: repeated measurements of the same cells differ by ~40%).
COST = CostConstants(
    c_run=6.305e-3,
    c_amp=1.052e-9,
    c_row=5.097e-8,
    c_step=2.201e-5,
    c_unit=5.72e-3,
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
    pqc = _pqc_gates(arch.family, arch.circuit, arch.n_qubits, arch.layers, arch.topology,
                     arch.rotations, arch.entangler)
    enc = encoding_circuit(arch.n_qubits, arch.encoding).n_gates
    return pqc + (arch.layers if arch.reupload else 1) * enc, pqc


@functools.lru_cache(maxsize=65536)
def _pqc_gates(family: str, circuit: str, n_qubits: int, layers: int, topology: str,
               rotations: str, entangler: str) -> int:
    arch = Architecture(family=family, circuit=circuit, n_qubits=n_qubits, layers=layers,
                        topology=topology, rotations=rotations, entangler=entangler)
    return arch.ansatz().n_gates


def cell_seconds(arch: Architecture, training_config: str, settings: RunSettings, *,
                 constants: CostConstants = COST) -> float:
    """Estimated CPU-seconds of one run of `arch` under `training_config` with `settings`.

    Examples
    --------
    >>> s = RunSettings(n_train=64, n_test=64, n_init=8, steps=30)
    >>> small = cell_seconds(Architecture(n_qubits=2, layers=1), "hybrid_full", s)
    >>> large = cell_seconds(Architecture(n_qubits=8, layers=6), "hybrid_full", s)
    >>> 0 < small < large
    True
    """
    gates, _ = model_gates(arch)
    k, t, n = settings.n_init, settings.steps, settings.n_train
    b = settings.batch_size or n
    m = settings.ed_weight_samples if "effective_dimension" in settings.definitions else 0
    rows = 3 * k * t * b + 2 * k * n + k * settings.n_test + 3 * m * n
    c = constants
    return (c.c_run + c.c_amp * rows * gates * 2.0**arch.n_qubits + c.c_row * rows * gates
            + c.c_step * t * gates)


def circuit_seconds(arch: Architecture, metrics: MetricSpec, *,
                    constants: CostConstants = COST) -> float:
    """Estimated CPU-seconds of the circuit-level metrics of ``arch.ansatz()``.

    Examples
    --------
    >>> circuit_seconds(Architecture(n_qubits=4, layers=2), MetricSpec()) > 0
    True
    """
    _, gates = model_gates(arch)
    states = 2 * metrics.n_pairs + metrics.ec_samples
    c = constants
    return c.c_unit + c.c_amp * states * gates * 2.0**arch.n_qubits + c.c_row * states * gates
