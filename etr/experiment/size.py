"""How big a spec is, before anything runs: runs, circuits, limits and the run-time estimate.

`grid_bounds` counts from the factor lists alone (no architecture is built), so a spec of 10^8
runs is sized, and refused by `check_spec_limits`, in microseconds. `estimate` prices every cell
and circuit unit with the cost model of `etr.plan.cost` (CPU time and peak memory);
`check_spec_limits` refuses a spec whose total or longest unit takes too long or whose largest
unit needs too much memory (`etr.plan.limits.LIMITS`). ``etr simulate`` prints the estimate when
it starts and in ``--print-spec``: the same counts, since a grid of up to `EXACT_UP_TO` runs is
expanded for it (larger grids print upper bounds and say so: expanding the ``paper`` grid takes
about a minute, the run does it when it starts and then states the exact counts).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from etr._validation import duration
from etr.experiment.grid import Cell, CircuitUnit, circuit_units, expand_grid, grid_architectures
from etr.experiment.spec import Spec
from etr.plan.architecture import Architecture
from etr.plan.cost import cell_bytes, cell_seconds, circuit_bytes, circuit_seconds
from etr.plan.limits import check_limits
from etr.plan.settings import MetricSpec, RunSettings

__all__ = ["EXACT_UP_TO", "DesignShape", "Estimate", "GridBounds", "check_spec_limits",
           "design_shape", "estimate", "grid_bounds"]

#: grids of at most this many runs (by `grid_bounds`) are expanded for `estimate`: exact
#: counts in well under a second (the ``quick`` preset: 3,336 bounded, 1,832 exact runs).
EXACT_UP_TO = 5_000

#: the factors of the PQC alone (the unit of the circuit-level metrics)
_PQC_FACTORS = ("family", "circuit", "n_qubits", "layers", "topology", "rotations", "entangler")


@dataclass(frozen=True, slots=True)
class GridBounds:
    """Sizes of a spec read off its factor lists.

    Attributes
    ----------
    runs : an upper bound of the runs (factor combinations that build the same model, e.g. the
        topologies at 2 qubits, are one run in the grid); with task instances, each model counts
        once per instance it is trained on.
    seeds : replicates.
    widest : ``(n_qubits, layers)`` of the circuit with the most qubit-layers.
    """

    runs: int
    seeds: int
    widest: tuple[int, int]


def grid_bounds(spec: Spec) -> GridBounds:
    """Runs (an upper bound), replicates and the largest circuit of `spec`, without building it.

    Examples
    --------
    >>> from etr.experiment import load_spec
    >>> grid_bounds(load_spec("seeds = 2\\n[grid.hea]\\nn_qubits = [2, 3]\\nlayers = [1, 9]"))
    GridBounds(runs=24, seeds=2, widest=(3, 9))
    """
    g = spec.grid
    sizes: list[tuple[int, int, int]] = []  # (n_qubits, layers, circuits of that size)
    if g.hea is not None:
        per = len(g.hea.topology) * len(g.hea.rotations) * len(g.hea.entangler)
        sizes += [(n, layers, per) for n in g.hea.n_qubits for layers in g.hea.layers]
    if g.sim is not None:
        sizes += [(n, layers, len(g.sim.circuits)) for n in g.sim.n_qubits
                  for layers in g.sim.layers]
    quantum = len(g.encoding) * len(g.reupload)
    classical = len(g.classical_pre) * len(g.classical_post)
    pure = int("pure_pqc" in spec.configs)
    hybrid = sum(c in spec.configs for c in ("hybrid_quantum_only", "hybrid_full"))
    per_pqc = quantum * (pure + hybrid * classical)
    per_pqc *= spec.instances_of(pqc=True)
    widths = {n for n, _, _ in sizes}
    control = (len(widths) * len(g.encoding) * classical * spec.instances_of(pqc=False)
               if "classical_only" in spec.configs else 0)
    per_level = 0  # runs of one task and replicate over every shot and noise level
    for shots in spec.levels("shots"):
        for noise in spec.noise_levels:
            clean = shots is None and noise.noiseless
            per_level += control if clean else 0
            per_level += per_pqc * sum(
                k for n, layers, k in sizes
                if (shots is None or g.shots.covers(n, layers))
                and (noise.noiseless or g.noise.covers(n, layers)))
    runs = len(spec.tasks) * len(spec.seeds) * per_level
    widest = max(((n, layers) for n, layers, _ in sizes), key=lambda s: (s[0] * s[1], s))
    return GridBounds(runs=runs, seeds=len(spec.seeds), widest=widest)


def check_spec_limits(spec: Spec, *, force: bool = False) -> GridBounds:
    """`grid_bounds` of `spec`, refused (`etr.errors.SpecError`, one line) beyond
    `etr.plan.limits.LIMITS` unless `force`: first the counts (no architecture built), then the
    estimated CPU time (total and longest unit) and the peak memory of the largest unit.

    Examples
    --------
    >>> from etr.experiment import load_spec
    >>> check_spec_limits(load_spec("[metrics]\\nn_states = 100000000"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    etr.errors.SpecError: the circuit metrics of ... needs an estimated 50.7 GB of memory, ...
    """
    bounds = grid_bounds(spec)
    check_limits(runs=bounds.runs, seeds=bounds.seeds, qubit_layers=bounds.widest, force=force)
    if not force:
        est = estimate(spec)
        check_limits(cpu_seconds=est.cpu_seconds, unit_seconds=est.longest,
                     unit_bytes=est.largest)
    return bounds


@dataclass(frozen=True, slots=True)
class Estimate:
    """What a spec will cost.

    Attributes
    ----------
    runs : cells in the grid.
    circuits : distinct circuits (circuit-metric units).
    cpu_seconds : estimated CPU-seconds of every cell and unit (`etr.plan.cost`).
    exact : counted on the expanded grid; False when counted on factor combinations, an upper
        bound (factor combinations that build one model are one run).
    longest : CPU-seconds of the longest single unit, and which unit (naming its settings).
    largest : estimated peak bytes of the largest unit, and which unit.
    """

    runs: int
    circuits: int
    cpu_seconds: float
    exact: bool = True
    longest: tuple[float, str] = (0.0, "")
    largest: tuple[int, str] = (0, "")

    def wall_seconds(self, workers: int) -> float:
        """Wall time on `workers` cores, assuming perfect load balance."""
        return self.cpu_seconds / max(workers, 1)

    def describe(self, workers: int | None) -> str:
        """One line, e.g. ``510 runs, 34 circuits; estimated 2.2 min of CPU, ~67 s on 2
        workers`` (no wall time for ``workers=None``, e.g. on a cluster)."""
        up_to = "" if self.exact else "up to "
        line = (f"{up_to}{self.runs:,} runs, {up_to}{self.circuits:,} circuits; estimated "
                f"{duration(self.cpu_seconds)} of CPU")
        if workers is not None:
            line += (f", ~{duration(self.wall_seconds(workers))} on {workers} "
                     f"worker{'s' if workers != 1 else ''}")
        if self.largest[0]:
            line += f", up to {_megabytes(self.largest[0])} per worker"
        if not self.exact:
            line += (" (upper bounds: factor combinations that build the same model are merged "
                     "when the run starts, which then states the exact counts)")
        return line


def _megabytes(n: int) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{max(n / 2**20, 1):.0f} MB"


def _used(arch: Architecture, config: str) -> Architecture:
    """The model a configuration builds on `arch`, as far as its factors tell: no classical
    parts for ``pure_pqc``; for the control only what `Architecture.control_id` keys on."""
    if config == "pure_pqc":
        return arch.without_classical()
    if config == "classical_only":
        return Architecture(n_qubits=arch.n_qubits, layers=1, encoding=arch.encoding,
                            classical_pre=arch.classical_pre, classical_post=arch.classical_post)
    return arch


def _covered(spec: Spec, arch: Architecture, config: str, v: RunSettings) -> bool:
    """Whether the grid runs `arch` under `config` with the shots and noise of `v`."""
    if v.shots is None and v.noise.noiseless:
        return True
    size = (arch.n_qubits, arch.layers)
    return config != "classical_only" and (
        (v.shots is None or spec.grid.shots.covers(*size))
        and (v.noise.noiseless or spec.grid.noise.covers(*size)))


def estimate(spec: Spec, cells: list[Cell] | None = None,
             units: list[CircuitUnit] | None = None) -> Estimate:
    """Runs, distinct circuits, estimated CPU-seconds and peak memory of `spec`.

    With `cells` and `units` (the expanded grid, or what is left of it after a resume) the
    counts are exact, and so they are for a grid of at most `EXACT_UP_TO` runs (expanded here).
    Larger grids are estimated on the factor combinations, which needs no circuit ids and takes
    a second even for the ``paper`` preset (upper bounds: the runner merges combinations that
    build the same model).

    Examples
    --------
    >>> from etr.experiment import expand_grid, circuit_units, preset_spec
    >>> spec = preset_spec("quick")
    >>> cells = expand_grid(spec)
    >>> est = estimate(spec, cells, circuit_units(spec, cells))
    >>> est.runs, est.circuits
    (1832, 78)
    >>> estimate(spec) == est  # small enough to be expanded
    True
    """
    if cells is None or units is None:
        if grid_bounds(spec).runs > EXACT_UP_TO:
            return _factor_estimate(spec)
        cells = expand_grid(spec)
        units = circuit_units(spec, cells)
    pricer = _Pricer(spec)
    for c in cells:
        pricer.cell(c.arch, c.training_config, spec.run_settings(**c.grid))
    for u in units:
        pricer.circuit(u.arch)
    return pricer.result(len(cells), len(units), exact=True)


class _Pricer:
    """Adds up CPU-seconds and keeps the longest and the largest unit."""

    def __init__(self, spec: Spec) -> None:
        self.metrics: MetricSpec = spec.metrics
        self.seconds = 0.0
        self.longest: tuple[float, str] = (0.0, "")
        self.largest: tuple[int, str] = (0, "")

    def _add(self, seconds: float, size: int, what: str, times: int = 1) -> None:
        self.seconds += seconds * times
        if seconds > self.longest[0]:
            self.longest = (seconds, what)
        if size > self.largest[0]:
            self.largest = (size, what)

    def cell(self, arch: Architecture, config: str, settings: RunSettings,
             times: int = 1) -> None:
        what = (f"one run of {arch.label()} ({config}; `training.n_train` = "
                f"{settings.n_train:,}, `training.n_test` = {settings.n_test:,}, "
                f"`training.n_init` = {settings.n_init:,}, `training.steps` = "
                f"{settings.steps:,})")
        self._add(cell_seconds(arch, config, settings), cell_bytes(arch, config, settings),
                  what, times)

    def circuit(self, arch: Architecture) -> None:
        m = self.metrics
        pqc = arch.label().split(" | ")[1] if " | " in arch.label() else arch.label()
        what = (f"the circuit metrics of {pqc.split(' enc=')[0]} (`metrics.n_states` = "
                f"{m.n_states:,}, `metrics.n_pairs` = {m.n_pairs:,}, ...)")
        self._add(circuit_seconds(arch, m), circuit_bytes(arch, m), what)

    def result(self, runs: int, circuits: int, *, exact: bool) -> Estimate:
        return Estimate(runs=runs, circuits=circuits, cpu_seconds=self.seconds, exact=exact,
                        longest=self.longest, largest=self.largest)


@functools.lru_cache(maxsize=8)
def _factor_estimate(spec: Spec) -> Estimate:
    """`estimate` on the factor combinations (cached: the CLI and the runner both ask)."""
    runs = {(_used(arch, config), config)
            for arch in grid_architectures(spec) for config in spec.configs}
    control = {(a.control_id, c) for a, c in runs if c == "classical_only"}
    runs = {(a, c) for a, c in runs if c != "classical_only"} | {
        next((a, c) for a, c in runs if c == "classical_only" and a.control_id == key)
        for key, _ in control}
    pqcs = {Architecture(**{k: getattr(arch, k) for k in _PQC_FACTORS})
            for arch, c in runs if c != "classical_only"}
    variants = [spec.run_settings(task=t, shots=s, noise=z)
                for t in spec.tasks for s in spec.levels("shots") for z in spec.noise_levels]
    times = {c: len(spec.seeds) * spec.instances_of(pqc=c != "classical_only")
             for c in spec.configs}  # runs of each model: replicates x its task instances
    pricer = _Pricer(spec)
    n_runs = 0
    for a, c in runs:
        for v in variants:
            if _covered(spec, a, c, v):
                pricer.cell(a, c, v, times=times[c])
                n_runs += times[c]
    for a in pqcs:
        pricer.circuit(a)
    return pricer.result(n_runs, len(pqcs), exact=False)


@dataclass(frozen=True, slots=True)
class DesignShape:
    """What a power calculation needs of a spec (`etr.analysis.power.Design` reads it).

    Attributes
    ----------
    cells : distinct circuits (``pqc_id``) per ``(n_qubits, layers)`` cell.
    tasks, instances, instances_per_circuit, seeds : the crossing of each circuit.
    pre_networks : training configuration -> classical variants of one circuit.
    """

    cells: dict[tuple[int, int], int]
    tasks: int
    instances: int
    instances_per_circuit: int
    seeds: int
    pre_networks: dict[str, int]


def design_shape(spec: Spec) -> DesignShape:
    """Distinct circuits per width x depth cell and the crossing of each, from the grid.

    Examples
    --------
    >>> from etr.experiment import load_spec
    >>> s = design_shape(load_spec("seeds = 1\\n[grid.hea]\\nn_qubits = [2, 3]\\nlayers = [1]"))
    >>> s.cells, s.tasks, s.pre_networks["hybrid_full"]
    ({(2, 1): 1, (3, 1): 1}, 1, 1)
    """
    cells: dict[tuple[int, int], set[str]] = {}
    variants: set[str] = set()
    seen: set[tuple] = set()
    for arch in grid_architectures(spec):
        key = tuple(getattr(arch, f) for f in _PQC_FACTORS)
        if arch.family == "control":
            continue
        variants.add(str(arch.classical_pre))
        if key in seen:  # the PQC's id is a content hash: compute it once per PQC
            continue
        seen.add(key)
        if arch.pqc_id is not None:
            cells.setdefault((arch.n_qubits, arch.layers), set()).add(arch.pqc_id)
    # the pure PQC has no classical part: one variant; the hybrids one per pre-network
    pre = {c: (1 if c == "pure_pqc" else max(len(variants), 1)) for c in spec.configs}
    design = spec.design
    return DesignShape(
        cells={k: len(v) for k, v in sorted(cells.items())}, tasks=len(spec.tasks),
        instances=design.instances if design is not None else len(spec.seeds),
        instances_per_circuit=design.per_circuit if design is not None else len(spec.seeds),
        seeds=len(spec.seeds) if design is not None else 1,
        pre_networks=pre)
