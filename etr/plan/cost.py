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
``3`` of a gradient row becomes ``1 + SHIFT_SHARE * T'`` circuits (T' shift terms, 2 per
rotation and 4 per controlled rotation, of the shifted angles: the quantum parameters, plus the
input angles when a pre-network is trained; the readout definition and the shot-noise
diagnostic shift the quantum parameters only; `SHIFT_SHARE` = 0.5 because the shifted circuits
of a row share the state before the shifted gate). The classical-only control
simulates no circuit: ``c_run + c_iter T``. A circuit unit (everything of
`etr.experiment.circuit.circuit_record`, once per distinct PQC) pushes

    S_u = n_states + 2 n_pairs + ec_samples + loss_samples + qfim_samples (P + 1)

states through the PQC alone, sums ``n_states^2 / 2`` pair overlaps of length 2^n (the frame
potential) and closes the dynamical Lie algebra (at most 4^n - 1 elements). Hence

    cell seconds    = c_run + c_amp R G 2^n + c_row R G + c_step T G + c_iter T
    circuit seconds = c_unit + c_amp S_u G_pqc 2^n + c_row S_u G_pqc
                      + c_pair (n_states^2 / 2) 2^n + c_lie D,   D = 3n without entanglers,
                                                                   else 4^n - 1

with the constants of `COST`, all in CPU-seconds of one core.

A noisy run (`RunSettings.noise`) is a density-matrix simulation: a state has 4^n entries and
a gate touches all of them, and the adjoint sweep through the channels stores and re-reads the
intermediate states, so a gradient pass costs a different multiple of a forward pass than on
statevectors. Its rows are split into gradient rows R_g (the adjoint passes: training, the
landscape and the effective dimension; none with finite shots, whose gradients are shifted
forward circuits) and forward rows R_f (losses, accuracy, the purity of the states, shifted
circuits), each with its own constant:

    noisy cell seconds = c_run + c_dgrad R_g G 4^n + c_dfwd R_f G 4^n + c_drow (R_g + R_f) G
                         + c_step T G + c_iter T

Circuit units are noise-free (the circuit-level columns are the noise-free circuit's) and cost
the same at every noise level. They are measured, not derived:
``python benchmarks/calibrate_cost.py`` times real units on a design of widths, depths,
configurations and step counts, fits the constants by non-negative least squares and prints them
with the fit's error; paste its output into `COST` when the simulation code or the machine
changes. ``make bench`` (``benchmarks/bench_cost.py``) times held-out cells of the quick and
study presets against `COST` and flags a ratio outside 0.5-2x as stale constants. The terms a
measure or a definition adds (the ``3 M N``, ``3 K S N`` and bracketed terms of R, every term of
S_u, the pair overlaps and the Lie closure) are declared on its registry entry
(`etr.contract.Metric.cost`), so a new measure brings its own; the training's own terms, the
constants and the formulas are here (`cell_seconds`, `circuit_seconds`, `COST`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from etr.circuits import encoding_circuit
from etr.contract import CAPACITY, CIRCUIT, COST_TERMS, METRICS, RUN, TRAINABILITY, Metric
from etr.plan.architecture import Architecture
from etr.plan.settings import MetricSpec, RunSettings
from etr.plan.tasks import TASKS

__all__ = ["COST", "SHIFT_SHARE", "CostConstants", "cell_bytes", "cell_seconds",
           "circuit_bytes", "circuit_seconds", "model_gates", "run_sizes"]


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
    c_dgrad : per density-matrix entry update of a gradient (adjoint) row (row x gate x 4^n).
    c_dfwd : per density-matrix entry update of a forward row (row x gate x 4^n).
    c_drow : per density-matrix row and gate, independent of the width.
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
    c_dgrad: float
    c_dfwd: float
    c_drow: float
    source: str


#: Measured with ``benchmarks/calibrate_cost.py`` (see its docstring for the design and the fit)
#: on the 2-core development machine (x86_64, Python 3.11.7, one thread per process, the other
#: core busy), 2026-12-06, after the row engine's speed-up (the constants of 2026-11-29 predicted
#: 24 random paper-preset cells at 3.2x their measured CPU time, 10-qubit cells at up to 13x, and
#: 24 study cells at 1.5x): 200 timed units (2-10 qubits, 1-6 layers, pure_pqc, hybrid_full,
#: finite shots, the classical-only control, circuit units at two frame-potential sizes), median
#: relative error 20% (worst 82%, a 10-qubit circuit unit). Held out: 16 random cells of the quick
#: preset predicted at 1.03x of their measured total; the three paper-sized check cells at 0.96x,
#: 0.86x and 0.81x (hybrid_full 6q/4L, hybrid_quantum_only 8q/6L, pure_pqc 10q/2L); 24 random
#: cells each of the paper and study presets at 0.80x and 0.81x (per cell 0.41x-1.84x). The fit
#: sets c_step and c_iter to 0: per-step overhead is within the per-row terms at these sizes. The
#: density-matrix constants (c_dgrad, c_dfwd, c_drow) were fitted apart (``calibrate_cost.py
#: --density``, the same day, every other constant held at the values below): 66 noisy cells
#: (depolarizing 0.01; 2-6 qubits, 1/3/6 layers, pure_pqc and hybrid_full, 5 and 20 steps, finite
#: shots on 2-4 qubits), median relative error of the density part 11% (worst 55%, a shot cell
#: of 2 qubits); held out: 16 noisy cells of the quick-noise preset predicted at 0.87x.
COST = CostConstants(
    c_run=0.00573,
    c_amp=4.368e-11,
    c_row=4.985e-08,
    c_step=0.0,
    c_iter=0.0,
    c_unit=0.02464,
    c_pair=3.602e-11,
    c_lie=1.02e-08,
    c_dgrad=7.558e-09,
    c_dfwd=1.62e-09,
    c_drow=1.001e-07,
    source="benchmarks/calibrate_cost.py, 2026-12-06 (after the row-engine speed-up), 2-core "
           "x86_64, Python 3.11.7",
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
    measured = [METRICS[d] for d in settings.definitions if d in METRICS] + _always()
    terms = _terms(measured, run_sizes(settings))
    grad_rows = k * t * b + terms["grad_rows"]
    trajectory = k * t * n if b < n and terms["trajectory"] > 0 else 0
    forward_rows = 2 * k * n + k * settings.n_test + terms["forward_rows"] + trajectory
    fixed = c.c_run + c.c_step * t * gates + c.c_iter * t
    shifts = theta_shifts = 0.0  # shifted circuits per gradient row with finite shots
    if settings.shots is not None:
        pqc_terms, angle_terms = _shift_terms(arch)
        trains_angles = training_config == "hybrid_full" and arch.classical_pre != "none"
        theta_shifts = float(pqc_terms)
        shifts = float(pqc_terms + (angle_terms if trains_angles else 0))
    if not settings.noise.noiseless:  # density matrices (module notes): no shared prefix
        exact = settings.shots is None
        adjoint = terms["exact_rows"] / 3.0 + (
            grad_rows + terms["theta_grad_rows"] if exact else 0.0)
        forward = forward_rows + (0.0 if exact else grad_rows * (1.0 + shifts)
                                  + terms["theta_grad_rows"] * (1.0 + theta_shifts))
        entries = gates * 4.0**arch.n_qubits
        return (fixed + (c.c_dgrad * adjoint + c.c_dfwd * forward) * entries
                + c.c_drow * (adjoint + forward) * gates)
    per_grad = 3.0 if settings.shots is None else 1.0 + SHIFT_SHARE * shifts
    per_theta = 3.0 if settings.shots is None else 1.0 + SHIFT_SHARE * theta_shifts
    rows = (per_grad * grad_rows + per_theta * terms["theta_grad_rows"] + forward_rows
            + terms["exact_rows"])
    return fixed + c.c_amp * rows * gates * 2.0**arch.n_qubits + c.c_row * rows * gates


def _always() -> list[Metric]:
    """The run-level measures every run computes whatever its definitions (the purity of its
    states)."""
    return [m for m in METRICS.values()
            if m.level == RUN and m.kind not in (TRAINABILITY, CAPACITY)]


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
    """Input angles of one copy of the encoding."""
    return encoding_circuit(arch.n_qubits, arch.encoding).n_params


#: the share of a whole circuit one shifted circuit of a parameter-shift gradient costs: the
#: statevector backend's ``shifted_expectations`` runs only the part of the circuit after the
#: shifted gate (the state before it is shared), half of it on average. Measured with
#: ``etr.hybrid.evaluate_run`` on quick-preset settings (32 shots, 2026-12-06, CPU time, one
#: process): with 2 (a whole circuit per term) the model over-predicted finite-shot cells at
#: 5-6 qubits by 1.8-2.7x (0.37-0.55 measured / predicted); with 0.5 see the test
#: ``tests/plan/test_limits_cost.py``.
SHIFT_SHARE = 0.5


def _shift_terms(arch: Architecture) -> tuple[int, int]:
    """Parameter-shift terms (circuits) of a gradient row: of the PQC's parameters (two per
    rotation, four per controlled rotation) and of the input angles (per encoding gate, every
    copy of a re-uploaded encoding)."""
    pqc = _pqc_terms(arch.family, arch.circuit, arch.n_qubits, arch.layers, arch.topology,
                     arch.rotations, arch.entangler)
    enc = encoding_circuit(arch.n_qubits, arch.encoding)
    angles = sum(_terms_of(g) for g in enc.gates if g.parametric)
    return pqc, angles * (arch.layers if arch.reupload else 1)


def _terms_of(gate: Any) -> int:
    """Shift terms of one parametric gate (`etr.quantum.shift_rule`)."""
    return 4 if gate.kind.controlled else 2


@functools.lru_cache(maxsize=65536)
def _pqc_terms(family: str, circuit: str, n_qubits: int, layers: int, topology: str,
               rotations: str, entangler: str) -> int:
    arch = Architecture(family=family, circuit=circuit, n_qubits=n_qubits, layers=layers,
                        topology=topology, rotations=rotations, entangler=entangler)
    return sum(_terms_of(g) for g in arch.ansatz().gates if g.parametric)


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


# --- memory ------------------------------------------------------------------------------------

#: amplitudes of one chunk of states (`etr.quantum.statevector.default_chunk_size`)
_CHUNK_AMPLITUDES = 2**16
#: shifted rows evaluated at once with finite shots (`etr.quantum.shots.ShotBackend`)
_SHIFT_ROWS = 2**14
#: bytes per element of the Lie closure (key, hash slot, union-find entry, generator index)
_LIE_BYTES = 48
#: most elements the Lie closure holds (`etr.theory.lie_algebra.MAX_DIM`)
_LIE_MAX = 4**11 - 1


def cell_bytes(arch: Architecture, training_config: str, settings: RunSettings) -> int:
    """Peak memory (bytes, an upper estimate) of one run of `arch` with `settings`.

    The arrays that grow with the settings: the task (features of ``n_train + n_test`` points,
    a few copies), the circuit rows of the largest batched pass (``K n_train`` rows for the
    training-set loss and gradient, ``K n_test`` for the test accuracy, ``S n_train`` for the
    landscape, ``K S n_train`` for the readout gradients, ``M n_train`` for the effective
    dimension) with their parameters, gradients and expectation values (and, with finite shots,
    one block of 2**14 shifted rows), the effective dimension's Jacobians and Fisher matrices,
    the training history (``T K P`` gradients) and the chunk of states the simulator holds
    (``max(2**16, 2**n)`` amplitudes in four float64 arrays). Measured peaks (resident memory
    above the interpreter's) stay below it, within a factor of 1.05 to 4
    (`tests/plan/test_limits_cost.py`).

    Examples
    --------
    >>> s = RunSettings(n_train=48, n_test=64, n_init=4, steps=30)
    >>> cell_bytes(Architecture(n_qubits=4, layers=2), "hybrid_full", s) < 50 * 2**20
    True
    >>> cell_bytes(Architecture(n_qubits=4, layers=2), "hybrid_full",
    ...            RunSettings(n_train=10**9)) > 2**40  # a terabyte: refused before any work
    True
    """
    k, n, n_test = settings.n_init, settings.n_train, settings.n_test
    features = settings.n_features or TASKS[settings.task].n_features
    data = 4 * (n + n_test) * max(features, arch.n_qubits)
    if training_config == "classical_only":  # the networks' activations and gradients
        width = max(features, arch.n_qubits, 8)
        return 8 * (data + 8 * k * max(n, n_test) * width + settings.steps * k)
    p_q = _n_params(arch)
    slots = p_q + _n_angles(arch) * (arch.layers if arch.reupload else 1)
    m_w = settings.ed_weight_samples if "effective_dimension" in settings.definitions else 0
    s_l = settings.landscape_samples if "grad_var_landscape" in settings.definitions else 0
    s_r = settings.landscape_samples if "grad_var_readout" in settings.definitions else 0
    rows = max(k * n, k * n_test, s_l * n, m_w * n, k * s_r * n)
    per_row = 2 * slots + 3 * arch.n_qubits + 8  # parameters, gradient, values, network caches
    # finite shots: one block of shifted rows with their exact and estimated values
    shifted = 0 if settings.shots is None else _SHIFT_ROWS * (slots + 3 * arch.n_qubits)
    ed = m_w * n * 5 * p_q + m_w * p_q * p_q
    history = settings.steps * k * (p_q + 2)
    states = 4 * max(_CHUNK_AMPLITUDES, 2**arch.n_qubits)
    return 8 * (data + rows * per_row + shifted + ed + history + states)


def circuit_bytes(arch: Architecture, metrics: MetricSpec) -> int:
    """Peak memory (bytes, an upper estimate) of the circuit-level metrics of ``arch.ansatz()``.

    The largest batch of states held at once (``n_states`` for the frame potential, as complex
    states and their real and imaginary parts: 32 bytes per amplitude; ``2 n_pairs`` for the
    Sim et al. KL; the other samples), and the dynamical Lie algebra's closure (up to
    ``min(4**n - 1, 4**11 - 1)`` Pauli strings).

    Examples
    --------
    >>> circuit_bytes(Architecture(n_qubits=4, layers=2), MetricSpec()) < 20 * 2**20
    True
    >>> circuit_bytes(Architecture(n_qubits=4, layers=2), MetricSpec(n_states=10**8)) > 2**34
    True
    """
    dim = 2**arch.n_qubits
    p_q = _n_params(arch)
    states = max(metrics.n_states, 2 * metrics.n_pairs, metrics.ec_samples,
                 metrics.loss_samples, metrics.qfim_samples * (p_q + 1))
    lie = 0 if arch.family == "hea" and arch.topology == "none" else min(4**arch.n_qubits - 1,
                                                                         _LIE_MAX)
    return 32 * states * dim + _LIE_BYTES * lie + 8 * metrics.n_states * 4
