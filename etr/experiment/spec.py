"""Experiment specs: TOML in, a validated immutable `Spec` out, and back to commented TOML.

Layout of a spec (every key optional; defaults below and in `FIELD_DOCS`)::

    root_seed = 2026                 # all randomness derives from it
    seeds = 3                        # replicate count (0, 1, 2) or a list of replicate numbers
    instances = 10                   # task instances per task, crossed with the replicates
    instances_per_circuit = 4        # ... of which each distinct circuit is trained on 4
    configs = ["pure_pqc", "hybrid_quantum_only", "hybrid_full"]
    definitions = ["grad_var", ...]  # trainability definitions to compute

    [grid]                           # shared by every family
    encoding = ["ry"]
    reupload = [false]
    classical_pre = ["none"]
    classical_post = ["8-tanh"]

    [grid.hea]                       # hardware-efficient family (omit the table to skip it)
    n_qubits = [2, 4]
    layers = [1, 2]
    topology = ["linear", "ring"]
    rotations = ["RY+RZ"]
    entangler = ["CZ"]

    [grid.sim]                       # Sim et al. 2019 library circuits (omit to skip)
    circuits = ["sim2", "sim11"]
    n_qubits = [4]
    layers = [1]

    [metrics]                        # circuit-level metric sample sizes
    n_pairs = 1000
    bins = 75
    ec_samples = 200

    [training]                       # fields of etr.plan.RunSettings (task, steps, ...)
    steps = 30

    [noise]                          # gate and readout noise; a list crosses the grid
    depolarizing = [0, 0.001, 0.01]

    [grid.noise]                     # noisy levels only on circuits within these bounds
    max_qubits = 4

``root_seed``, ``definitions``, ``[metrics]``, ``[training]`` and ``[noise]`` are the run
sections every etr spec shares (`etr.plan.settings`; ``etr nas`` reads the same keys). This
module is pure data: it imports no simulation code.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from etr._hashing import short_hash
from etr._validation import check_choice
from etr.circuits import ENCODINGS, ENTANGLERS, ROTATIONS, SIM_CIRCUITS, TOPOLOGIES
from etr.contract import PQC_CONFIGS, TRAINING_CONFIGS
from etr.errors import SpecError
from etr.plan.architecture import parse_classical
from etr.plan.instances import MAX_INSTANCES, InstanceDesign
from etr.plan.noise import MAX_DENSITY_QUBITS
from etr.plan.settings import RUN_FIELD_DOCS, RunSpec, read_run_sections
from etr.plan.tables import Table, commented_toml, preset_names, read_toml

__all__ = [
    "FIELD_DOCS",
    "MAX_QUBITS",
    "MAX_SEEDS",
    "PRESETS",
    "GridSpec",
    "HeaGrid",
    "NoiseGrid",
    "ShotsGrid",
    "SimGrid",
    "Spec",
    "check_qubits",
    "load_spec",
    "preset_spec",
    "preset_text",
]

#: the embedded presets: the files in etr/experiment/presets/, quick first.
PRESETS: tuple[str, ...] = preset_names("etr.experiment")

#: Largest qubit count accepted. A statevector takes 16 * 2**n bytes (16 MiB at n = 20) and the
#: circuit metrics evaluate batches of a few hundred states (256 states at n = 20: 4 GiB).
MAX_QUBITS = 20
_BATCH = 256
#: Most replicates a spec may hold, even with ``--force`` (the seed list is kept in memory; the
#: softer limit of `etr.plan.limits` applies first).
MAX_SEEDS = 1_000_000

_TOP_KEYS = ("root_seed", "seeds", "instances", "instances_per_circuit", "configs", "definitions",
             "grid", "metrics", "training", "noise")
_GRID_KEYS = ("encoding", "reupload", "classical_pre", "classical_post", "hea", "sim", "shots",
              "noise")
_SHOTS_KEYS = ("min_qubits", "max_qubits", "min_layers", "max_layers")
_HEA_KEYS = ("n_qubits", "layers", "topology", "rotations", "entangler")
_SIM_KEYS = ("circuits", "n_qubits", "layers")

FIELD_DOCS: dict[str, str] = {
    "root_seed": RUN_FIELD_DOCS["root_seed"],
    "seeds": "replicates: a count n (replicates 0..n-1) or a list of replicate numbers; default 3",
    "instances": "task instances (data draws and splits) per task, numbered 0..I-1 and crossed "
    f"with the replicates (2..{MAX_INSTANCES}); 'none' (default) = one instance per replicate",
    "instances_per_circuit": "task instances each distinct circuit is trained on (an incomplete "
    "crossing: translates of a difference cover, so every two circuits of a (n_qubits, layers) "
    "stratum share an instance and the instances are used equally; the classical-only control "
    "runs on all); 'none' (default) = all of them",
    "configs": f"training configurations, subset of {list(TRAINING_CONFIGS)}; default all",
    "definitions": RUN_FIELD_DOCS["definitions"],
    "grid.encoding": f"data encodings, subset of {list(ENCODINGS)}; default ['ry']",
    "grid.reupload": "re-upload the encoding before every layer: [false], [true] or both",
    "grid.classical_pre": "classical pre-networks: 'none' or widths-activation e.g. '8-tanh'; "
    "default ['none']",
    "grid.classical_post": "classical post-networks (same syntax); default ['8-tanh']",
    "grid.hea.n_qubits": f"qubit counts (1..{MAX_QUBITS}); default [2, 4]",
    "grid.hea.layers": "layer counts (>= 1); default [1, 2]",
    "grid.hea.topology": f"entangler topologies, subset of {list(TOPOLOGIES)}; default ['linear']",
    "grid.hea.rotations": f"rotation sets, '+'-joined subsets of {list(ROTATIONS)}; "
    "default ['RY+RZ']",
    "grid.hea.entangler": f"two-qubit gates, subset of {list(ENTANGLERS)}; default ['CZ']",
    "grid.sim.circuits": "Sim et al. 2019 circuits 'sim1'..'sim19'; no default (required)",
    "grid.sim.n_qubits": f"qubit counts (2..{MAX_QUBITS}); default [4]",
    "grid.sim.layers": "layer counts (>= 1); default [1]",
    "grid.shots.min_qubits": "finite-shot runs (levels of training.shots other than 'none') only "
    "on circuits with at least this many qubits (where gradients are small enough for shot "
    "noise to matter); default: every circuit",
    "grid.shots.max_qubits": "... and at most this many qubits (parameter-shift gradients cost "
    "2P+1 circuits per data point); default: every circuit",
    "grid.shots.min_layers": "... and at least this many layers; default: every circuit",
    "grid.shots.max_layers": "... and at most this many layers; default: every circuit",
    "grid.noise.max_qubits": "noisy runs (levels of [noise] other than all-zero) only on "
    f"circuits with at most this many qubits (density matrices, at most {MAX_DENSITY_QUBITS}); "
    "default: every circuit",
    "grid.noise.max_layers": "... and at most this many layers; default: every circuit",
    "grid.noise.min_qubits": "... and at least this many qubits; default: every circuit",
    "grid.noise.min_layers": "... and at least this many layers; default: every circuit",
    **{k: v for k, v in RUN_FIELD_DOCS.items() if "." in k},
}


def check_qubits(key: str, n_qubits: int) -> None:
    """Refuse qubit counts above `MAX_QUBITS`, stating the memory a state and a batch need."""
    if n_qubits > MAX_QUBITS:
        per_state = 16 * 2**n_qubits
        raise SpecError(
            f"`{key}` value {n_qubits} exceeds the safe bound of {MAX_QUBITS} qubits: a "
            f"statevector takes 16*2^n bytes ({_fmt_bytes(per_state)} at n={n_qubits}) and "
            f"metrics use batches of {_BATCH} states ({_fmt_bytes(per_state * _BATCH)}); at "
            "the bound: 16 MiB per state, 4 GiB per batch"
        )


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def _qubit_counts(t: Table, default: tuple[int, ...], low: int) -> tuple[int, ...]:
    counts = t.ints("n_qubits", default, low=low)
    for n in counts:
        check_qubits(t.name("n_qubits"), n)
    return counts


def _rotation_set(value: str, key: str) -> None:
    for part in value.split("+"):
        check_choice(key, part, ROTATIONS)


@dataclass(frozen=True, slots=True)
class HeaGrid:
    """Hardware-efficient factors (see `FIELD_DOCS`, keys ``grid.hea.*``)."""

    n_qubits: tuple[int, ...] = (2, 4)
    layers: tuple[int, ...] = (1, 2)
    topology: tuple[str, ...] = ("linear",)
    rotations: tuple[str, ...] = ("RY+RZ",)
    entangler: tuple[str, ...] = ("CZ",)

    @classmethod
    def from_table(cls, t: Table) -> HeaGrid:
        d = {f.name: f.default for f in dataclasses.fields(cls)}
        return cls(
            n_qubits=_qubit_counts(t, d["n_qubits"], 1),
            layers=t.ints("layers", d["layers"], low=1),
            topology=t.choices("topology", d["topology"], TOPOLOGIES),
            rotations=t.labels("rotations", d["rotations"], _rotation_set),
            entangler=t.choices("entangler", d["entangler"], ENTANGLERS),
        )


@dataclass(frozen=True, slots=True)
class SimGrid:
    """Sim et al. 2019 library circuits (see `FIELD_DOCS`, keys ``grid.sim.*``)."""

    circuits: tuple[str, ...]
    n_qubits: tuple[int, ...] = (4,)
    layers: tuple[int, ...] = (1,)

    @classmethod
    def from_table(cls, t: Table) -> SimGrid:
        if "circuits" not in t:
            raise t.error("circuits", "is required when [grid.sim] is present")
        return cls(
            circuits=t.choices("circuits", None, tuple(f"sim{i}" for i in SIM_CIRCUITS)),
            n_qubits=_qubit_counts(t, (4,), 2),
            layers=t.ints("layers", (1,), low=1),
        )


@dataclass(frozen=True, slots=True)
class ShotsGrid:
    """Where the finite-shot levels of ``[training] shots`` run (keys ``grid.shots.*``): exact
    runs cover the whole grid, finite-shot runs the circuits within these bounds (None: no
    bound on that side).

    Why bounds on both sides: parameter-shift gradients cost 2P + 1 circuits per data point, so
    wide deep circuits are expensive (the upper bounds), while on narrow shallow circuits the
    gradients are so large that a few hundred shots change nothing (the lower bounds select
    the circuits where shot noise is comparable to the gradient: `etr.contract` ``grad_snr``).

    Examples
    --------
    >>> g = ShotsGrid(min_qubits=6, max_layers=3)
    >>> g.covers(6, 2), g.covers(4, 2), g.covers(8, 5)
    (True, False, False)
    """

    max_qubits: int | None = None
    max_layers: int | None = None
    min_qubits: int | None = None
    min_layers: int | None = None

    @classmethod
    def from_table(cls, t: Table) -> ShotsGrid:
        out = cls(max_qubits=t.int("max_qubits", None, low=1),
                  max_layers=t.int("max_layers", None, low=1),
                  min_qubits=t.int("min_qubits", None, low=1, high=MAX_QUBITS),
                  min_layers=t.int("min_layers", None, low=1))
        for what in ("qubits", "layers"):
            low, high = getattr(out, f"min_{what}"), getattr(out, f"max_{what}")
            if low is not None and high is not None and low > high:
                raise t.error(f"min_{what}", f"must be <= `{t.name(f'max_{what}')}` "
                              f"({high}), got {low}: no circuit would have finite-shot runs")
        return out

    def covers(self, n_qubits: int, layers: int) -> bool:
        """Whether finite-shot runs of a circuit of this size are in the grid."""
        return ((self.max_qubits is None or n_qubits <= self.max_qubits)
                and (self.max_layers is None or layers <= self.max_layers)
                and (self.min_qubits is None or n_qubits >= self.min_qubits)
                and (self.min_layers is None or layers >= self.min_layers))


@dataclass(frozen=True, slots=True)
class NoiseGrid(ShotsGrid):
    """Where the noisy levels of ``[noise]`` run (keys ``grid.noise.*``): noiseless runs cover the
    whole grid, noisy runs the circuits within these bounds (None: all; a noisy run is a
    density-matrix simulation, 4**n entries per state, so the widest circuits are usually left
    out)."""


@dataclass(frozen=True, slots=True)
class GridSpec:
    """The architecture grid: families and the factors they share (keys ``grid.*``)."""

    hea: HeaGrid | None = field(default_factory=HeaGrid)
    sim: SimGrid | None = None
    encoding: tuple[str, ...] = ("ry",)
    reupload: tuple[bool, ...] = (False,)
    classical_pre: tuple[str, ...] = ("none",)
    classical_post: tuple[str, ...] = ("8-tanh",)
    shots: ShotsGrid = field(default_factory=ShotsGrid)
    noise: NoiseGrid = field(default_factory=NoiseGrid)

    @classmethod
    def from_table(cls, t: Table) -> GridSpec:
        kw: dict[str, Any] = {}
        if "hea" in t or "sim" in t:
            kw["hea"] = HeaGrid.from_table(t.table("hea", _HEA_KEYS)) if "hea" in t else None
            kw["sim"] = SimGrid.from_table(t.table("sim", _SIM_KEYS)) if "sim" in t else None
        if "shots" in t:
            kw["shots"] = ShotsGrid.from_table(t.table("shots", _SHOTS_KEYS))
        if "noise" in t:
            kw["noise"] = NoiseGrid.from_table(t.table("noise", _SHOTS_KEYS))
        return cls(
            **kw,
            encoding=t.choices("encoding", ("ry",), ENCODINGS),
            reupload=t.bools("reupload", (False,)),
            classical_pre=t.labels("classical_pre", ("none",), parse_classical),
            classical_post=t.labels("classical_post", ("8-tanh",), parse_classical),
        )


@dataclass(frozen=True, slots=True)
class Spec(RunSpec):
    """A validated experiment spec: grid x training configurations x seeds.

    Parameters
    ----------
    root_seed : root of all seeds (default 2026).
    definitions : trainability definitions (default all of
        `etr.contract.TRAINABILITY_DEFINITIONS`).
    metrics : `etr.plan.MetricSpec` (expressibility pairs and bins, entangling-capability
        samples).
    training : overrides of `etr.plan.RunSettings` fields, as sorted ``(key, value)`` pairs;
        unspecified fields keep the `RunSettings` defaults.
    seeds : replicate numbers (default ``(0, 1, 2)``; a count ``n`` in TOML means ``0..n-1``).
    instances : task instances per task, or None (default): one instance per replicate
        (instance r is replicate r's). With I, instances 0..I-1 are crossed with the replicates
        (`etr.plan.instances`).
    instances_per_circuit : with `instances`, how many of them each distinct circuit is trained
        on (None = all): an incomplete crossing in which every two circuits of a stratum share an
        instance (`etr.plan.instances.InstanceDesign`).
    configs : training configurations (default the three with a PQC,
        `etr.contract.PQC_CONFIGS`).
    grid : `GridSpec` (families and shared factors).

    Every key, its default and allowed values are listed in `FIELD_DOCS` and in the comments
    of ``etr simulate --preset quick --print-spec``.

    Examples
    --------
    >>> spec = load_spec('seeds = [4, 7]\\n[grid.hea]\\nn_qubits = 2\\nlayers = [1, 2]')
    >>> spec.seeds, spec.grid.hea.layers
    ((4, 7), (1, 2))
    """

    seeds: tuple[int, ...] = (0, 1, 2)
    configs: tuple[str, ...] = PQC_CONFIGS
    grid: GridSpec = field(default_factory=GridSpec)
    instances: int | None = None
    instances_per_circuit: int | None = None

    @property
    def design(self) -> InstanceDesign | None:
        """The task-instance design, or None for one instance per replicate."""
        if self.instances is None:
            return None
        return _instance_design(self.instances, self.instances_per_circuit)

    def instances_of(self, pqc: bool) -> int:
        """Task instances a model is trained on per replicate: 1 without `instances`; else
        `instances_per_circuit` for a model with a PQC and every instance for the control."""
        design = self.design
        if design is None:
            return 1
        return design.per_circuit if pqc else design.instances

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Spec:
        """Validate a parsed TOML mapping (unknown keys and bad values raise `SpecError`)."""
        t = Table(d, "", _TOP_KEYS)
        seeds = t.get("seeds", 3)
        if isinstance(seeds, int) and not isinstance(seeds, bool):
            seeds = tuple(range(t.int("seeds", 3, low=1, high=MAX_SEEDS)))
        else:
            seeds = t.ints("seeds", (0, 1, 2), low=0)
            if len(seeds) > MAX_SEEDS:
                raise t.error("seeds", f"must hold at most {MAX_SEEDS} replicates")
        instances = _optional_int(t, "instances", 2, MAX_INSTANCES)
        per_circuit = _optional_int(t, "instances_per_circuit", 1, instances or MAX_INSTANCES)
        if per_circuit is not None and instances is None:
            raise t.error("instances_per_circuit", "needs `instances` (the instances to choose "
                          "from)")
        spec = cls(**read_run_sections(t), seeds=seeds,
                   configs=t.choices("configs", PQC_CONFIGS, TRAINING_CONFIGS),
                   grid=GridSpec.from_table(t.table("grid", _GRID_KEYS)),
                   instances=instances, instances_per_circuit=per_circuit)
        if spec.grid.hea is None and spec.grid.sim is None:
            raise t.error("grid", "needs at least one family table: [grid.hea] or [grid.sim]")
        spec.design  # noqa: B018  (validates the design: a cover of that size exists)
        _check_shot_bounds(spec)
        _check_noise_width(spec)
        return spec

    def to_dict(self, *, full: bool = True) -> dict[str, Any]:
        """Plain TOML-ready mapping; with `full`, training lists every `RunSettings` field."""
        grid: dict[str, Any] = {
            k: list(getattr(self.grid, k))
            for k in ("encoding", "reupload", "classical_pre", "classical_post")
        }
        if self.grid.hea is not None:
            grid["hea"] = {k: list(v) for k, v in dataclasses.asdict(self.grid.hea).items()}
        if self.grid.sim is not None:
            grid["sim"] = {k: list(v) for k, v in dataclasses.asdict(self.grid.sim).items()}
        for key in ("shots", "noise"):
            bounds = {k: v for k, v in dataclasses.asdict(getattr(self.grid, key)).items()
                      if v is not None}
            if bounds:
                grid[key] = bounds
        run = self.run_sections(full=full)
        design = {k: "none" if getattr(self, k) is None else getattr(self, k)
                  for k in ("instances", "instances_per_circuit")}
        if self.instances is None and not full:
            design = {}
        out = {"root_seed": run["root_seed"], "seeds": list(self.seeds), **design,
               "configs": list(self.configs), "definitions": run["definitions"], "grid": grid,
               "metrics": run["metrics"], "training": run["training"]}
        if "noise" in run:  # only a noisy spec has the table: a noiseless spec keeps its hash
            out["noise"] = run["noise"]
        return out

    def spec_hash(self) -> str:
        """16-hex-digit hash of the canonical full spec (recorded in journals and datasets)."""
        return short_hash(self.to_dict())

    def to_toml(self, header: tuple[str, ...] = ()) -> str:
        """The full spec as TOML, every key preceded by a comment with its meaning and default;
        `header` lines (comments) go first.

        ``load_spec(spec.to_toml()) == spec`` up to `training` holding every field explicitly.
        """
        head = ("# etr experiment spec (etr simulate SPEC.toml --out data/NAME.parquet)",
                *header, "")
        return commented_toml(self.to_dict(), FIELD_DOCS, head)


def _check_shot_bounds(spec: Spec) -> None:
    """Refuse ``[grid.shots]`` bounds that leave a finite ``training.shots`` level no circuit."""
    if all(level is None for level in spec.levels("shots")):
        return
    g = spec.grid
    sizes = set()
    if g.hea is not None:
        sizes |= {(n, layers) for n in g.hea.n_qubits for layers in g.hea.layers}
    if g.sim is not None:
        sizes |= {(n, layers) for n in g.sim.n_qubits for layers in g.sim.layers}
    if not any(g.shots.covers(n, layers) for n, layers in sizes):
        bounds = {k: v for k, v in dataclasses.asdict(g.shots).items() if v is not None}
        raise SpecError(f"`grid.shots` bounds {bounds} select no circuit of the grid (sizes "
                        f"(n_qubits, layers) {sorted(sizes)}): the finite `training.shots` "
                        "level would have no run")


@functools.lru_cache(maxsize=64)
def _instance_design(instances: int, per_circuit: int | None) -> InstanceDesign:
    """The (immutable) design, built once: finding a difference cover is a search."""
    return InstanceDesign(instances, per_circuit)


def _optional_int(t: Table, key: str, low: int, high: int) -> int | None:
    """An integer in [low, high], or None when absent or ``"none"``."""
    if t.get(key, "none") == "none":
        return None
    return t.int(key, None, low=low, high=high)
def _widths(grid: GridSpec) -> set[int]:
    widths: set[int] = set()
    for family in (grid.hea, grid.sim):
        if family is not None:
            widths |= set(family.n_qubits)
    return widths


def _check_noise_width(spec: Spec) -> None:
    """Refuse noisy levels on circuits wider than `MAX_DENSITY_QUBITS` (one line)."""
    if all(level.noiseless for level in spec.noise_levels):
        return
    bound = spec.grid.noise.max_qubits
    widest = max((n for n in _widths(spec.grid) if bound is None or n <= bound), default=0)
    if widest > MAX_DENSITY_QUBITS:
        raise SpecError(
            f"`noise` needs density matrices (16*4^n bytes each) on at most "
            f"{MAX_DENSITY_QUBITS} qubits, but noisy runs would reach {widest} qubits; set "
            f"[grid.noise] max_qubits = {MAX_DENSITY_QUBITS} (or fewer) to run the noise levels "
            "on the narrower circuits only")


def load_spec(source: str | os.PathLike[str]) -> Spec:
    """Parse and validate a spec from a TOML file path or TOML text.

    Parameters
    ----------
    source : a path to a ``.toml`` file, or the TOML text itself (anything containing a newline
        or ``=`` that is not an existing file).

    Raises
    ------
    etr.errors.SpecError
        Missing file, malformed TOML (with line and column), unknown keys (named, with the
        allowed keys), bad values (named, with what is allowed).

    Examples
    --------
    >>> load_spec("root_seed = 1").root_seed
    1
    >>> load_spec("seeds = [1, 1]")
    Traceback (most recent call last):
    ...
    etr.errors.SpecError: `seeds` has duplicates: [1, 1]
    """
    data, _ = read_toml(source)
    return Spec.from_dict(data)


def preset_text(name: str) -> str:
    """The TOML text (with comments) of an embedded preset."""
    check_choice("preset", name, PRESETS, error=SpecError)
    return importlib.resources.files("etr.experiment").joinpath(
        f"presets/{name}.toml"
    ).read_text(encoding="utf-8")


def preset_spec(name: str) -> Spec:
    """An embedded preset: ``"quick"`` (demo, minutes on 2 cores) or ``"paper"`` (full study).

    Examples
    --------
    >>> preset_spec("quick").configs
    ('pure_pqc', 'hybrid_quantum_only', 'hybrid_full', 'classical_only')
    """
    return load_spec(preset_text(name))
