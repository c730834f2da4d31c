"""How big a spec is, before anything runs: runs, circuits, limits and the run-time estimate.

`grid_bounds` counts from the factor lists alone (no architecture is built), so a spec of 10^8
runs is sized, and refused by `check_spec_limits`, in microseconds. `estimate` expands the grid
and prices every cell and circuit unit with the cost model of `etr.plan.cost`; ``etr simulate``
prints it when it starts and in ``--print-spec``.
"""

from __future__ import annotations

from dataclasses import dataclass

from etr.experiment.grid import Cell, CircuitUnit, grid_architectures
from etr.experiment.spec import Spec
from etr.plan.architecture import Architecture
from etr.plan.cost import cell_seconds, circuit_seconds
from etr.plan.limits import check_limits

__all__ = ["DesignShape", "Estimate", "GridBounds", "check_spec_limits", "design_shape", "estimate",
           "grid_bounds"]

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
    levels = spec.levels("shots")
    exact = sum(s is None for s in levels)
    finite = len(levels) - exact
    per_pqc *= spec.instances_of(pqc=True)
    pqc_runs = sum(k for _, _, k in sizes) * per_pqc
    shot_runs = sum(k for n, layers, k in sizes if g.shots.covers(n, layers)) * per_pqc
    widths = {n for n, _, _ in sizes}
    control = (len(widths) * len(g.encoding) * classical * spec.instances_of(pqc=False)
               if "classical_only" in spec.configs else 0)
    runs = len(spec.tasks) * len(spec.seeds) * (exact * (pqc_runs + control)
                                                + finite * shot_runs)
    widest = max(((n, layers) for n, layers, _ in sizes), key=lambda s: (s[0] * s[1], s))
    return GridBounds(runs=runs, seeds=len(spec.seeds), widest=widest)


def check_spec_limits(spec: Spec, *, force: bool = False) -> GridBounds:
    """`grid_bounds` of `spec`, refused (`etr.errors.SpecError`, one line) beyond
    `etr.plan.limits.LIMITS` unless `force`."""
    bounds = grid_bounds(spec)
    check_limits(runs=bounds.runs, seeds=bounds.seeds, qubit_layers=bounds.widest, force=force)
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
    """

    runs: int
    circuits: int
    cpu_seconds: float
    exact: bool = True

    def wall_seconds(self, workers: int) -> float:
        """Wall time on `workers` cores, assuming perfect load balance."""
        return self.cpu_seconds / max(workers, 1)

    def describe(self, workers: int | None) -> str:
        """One line, e.g. ``510 runs, 34 circuits; estimated 2.2 min of CPU, ~67 s on 2
        workers`` (no wall time for ``workers=None``, e.g. on a cluster)."""
        up_to = "" if self.exact else "up to "
        line = (f"{up_to}{self.runs:,} runs, {up_to}{self.circuits:,} circuits; estimated "
                f"{_duration(self.cpu_seconds)} of CPU")
        if workers is None:
            return line
        return (f"{line}, ~{_duration(self.wall_seconds(workers))} on {workers} "
                f"worker{'s' if workers != 1 else ''}")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _used(arch: Architecture, config: str) -> Architecture:
    """The model a configuration builds on `arch`, as far as its factors tell: no classical
    parts for ``pure_pqc``; for the control only what `Architecture.control_id` keys on."""
    if config == "pure_pqc":
        return arch.without_classical()
    if config == "classical_only":
        return Architecture(n_qubits=arch.n_qubits, layers=1, encoding=arch.encoding,
                            classical_pre=arch.classical_pre, classical_post=arch.classical_post)
    return arch


def estimate(spec: Spec, cells: list[Cell] | None = None,
             units: list[CircuitUnit] | None = None) -> Estimate:
    """Runs, distinct circuits and estimated CPU-seconds of `spec`.

    With `cells` and `units` (the expanded grid, or what is left of it after a resume) the
    counts are exact. Without, the estimate is made on the factor combinations, which needs no
    circuit ids and takes milliseconds even for the ``paper`` preset (an upper bound: the
    runner merges combinations that build the same model).

    Examples
    --------
    >>> from etr.experiment import expand_grid, circuit_units, preset_spec
    >>> spec = preset_spec("quick")
    >>> cells = expand_grid(spec)
    >>> est = estimate(spec, cells, circuit_units(spec, cells))
    >>> est.runs, est.circuits
    (1832, 78)
    >>> estimate(spec).runs >= 1832
    True
    """
    if cells is not None and units is not None:
        seconds = sum(cell_seconds(c.arch, c.training_config, spec.run_settings(**c.grid))
                      for c in cells)
        seconds += sum(circuit_seconds(u.arch, spec.metrics) for u in units)
        return Estimate(runs=len(cells), circuits=len(units), cpu_seconds=seconds)
    runs = {(_used(arch, config), config)
            for arch in grid_architectures(spec) for config in spec.configs}
    pqcs = {Architecture(**{k: getattr(arch, k) for k in _PQC_FACTORS})
            for arch, config in runs if config != "classical_only"}
    variants = [spec.run_settings(task=t, shots=s)
                for t in spec.tasks for s in spec.levels("shots")]
    pairs = [(a, c, v) for a, c in runs for v in variants
             if v.shots is None or (c != "classical_only"
                                    and spec.grid.shots.covers(a.n_qubits, a.layers))]
    times = {c: len(spec.seeds) * spec.instances_of(pqc=c != "classical_only")
             for c in spec.configs}  # runs of each model: replicates x its task instances
    seconds = sum(times[c] * cell_seconds(a, c, v) for a, c, v in pairs)
    seconds += sum(circuit_seconds(a, spec.metrics) for a in pqcs)
    return Estimate(runs=sum(times[c] for _, c, _ in pairs), circuits=len(pqcs),
                    cpu_seconds=seconds, exact=False)


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
