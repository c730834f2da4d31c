"""The cell grid: architectures x training configurations x replicates, with ids and seeds.

Seeds
-----
A cell's run seed derives from ``(root_seed, architecture_id, replicate)`` with
`numpy.random.SeedSequence`, *not* from the training configuration: the `hybrid_quantum_only`
and `hybrid_full` cells of one architecture and replicate start from the same initialisations
(a paired design). Circuit-level metrics (expressibility, entangling capability, theory) are
properties of the distinct circuit: they are computed once per `pqc_id`, seeded from
``(root_seed, pqc_id)``, and shared by every architecture and replicate built on that circuit.

Tasks and task instances
------------------------
A task instance (features, labels, split) is seeded from ``(root_seed, task, instance)`` alone
(`task_seed`, ``Cell.task_seed``), so every architecture and configuration trained on instance i
of a task sees the same data (the dataset's ``task_id`` makes this checkable and
``task_instance`` records i).

* Without ``instances`` in the spec, instance r is the one of replicate r: every cell of a
  (task, replicate) trains on it, and the run seed is that of (model, replicate).
* With ``instances = I``, the instances 0 .. I - 1 are a factor crossed with the replicates:
  a cell is (task, model, configuration, instance, replicate), its run seed is derived from
  (root seed, model, instance, replicate) (`run_seed`: each instance gets its own
  initialisations), and each distinct circuit is trained on the instances
  `etr.plan.instances.InstanceDesign` assigns it (all of them, or an incomplete crossing in
  which every two circuits of a (n_qubits, layers) stratum share one). The classical-only
  control is trained on every instance.

Noise levels
------------
A ``[noise]`` level is part of a run's identity (its cell id) but not of its seeds: the runs of
one architecture and replicate at every noise level start from the same initialisations on the
same task instance, so a noise level is compared with the noiseless one circuit by circuit (a
paired design, like the shot levels). A noiseless level adds nothing to the cell id, so a
noiseless spec keeps the ids it had before noise existed. The circuit-level metrics are the
noise-free circuit's and are shared by every noise level.

The classical-only control
--------------------------
``classical_only`` does not depend on the PQC: its cells exist once per (task, replicate,
classical parts, width, encoding), keyed by `Architecture.control_id`, with no circuit-level
unit, exact and noiseless only (it simulates no circuit).

Distinct circuits
-----------------
Ids come from content (`etr.circuits.circuit_id`): factor combinations that build the same model
(at 2 qubits the linear, ring, full and star topologies) share one `architecture_id`, and the grid
keeps the first of them in grid order (its factor labels are the ones recorded), so no circuit is
counted twice.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from etr._hashing import short_hash
from etr.experiment.spec import Spec
from etr.plan.architecture import NOT_APPLICABLE, Architecture
from etr.plan.noise import NOISELESS, NoiseModel

__all__ = ["Cell", "CircuitUnit", "circuit_seed", "circuit_units", "derive_seed", "expand_grid",
           "grid_architectures", "instance_plan", "run_seed", "task_seed"]

_RUN, _CIRCUIT, _TASK = 0, 1, 2
_CONTROL = "classical_only"


def derive_seed(root_seed: int, hex_id: str, replicate: int, *, domain: int = _RUN) -> int:
    """A 63-bit seed from the root seed, a hex id and a replicate, via `SeedSequence`.

    Examples
    --------
    >>> derive_seed(1, "abcdef012345", 0) == derive_seed(1, "abcdef012345", 0)
    True
    >>> derive_seed(1, "abcdef012345", 0) != derive_seed(1, "abcdef012345", 1)
    True
    """
    value = int(hex_id, 16)
    words = []
    while True:
        words.append(value % 2**32)
        value //= 2**32
        if value == 0:
            break
    ss = np.random.SeedSequence(entropy=root_seed, spawn_key=(domain, replicate, *words))
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


@dataclass(frozen=True, slots=True)
class CircuitUnit:
    """Circuit-level metrics of one distinct PQC (shared by all its cells and replicates)."""

    key: str
    arch: Architecture
    seed: int


@dataclass(frozen=True, slots=True)
class Cell:
    """One run: task x architecture x training configuration x task instance x replicate.

    `cell_id` hashes the task, architecture, configuration, replicate, task instance (when the
    spec crosses instances), root seed, noise level (when not noiseless) and every setting that
    affects the numbers (training settings, metric sample sizes); `seed` is the run seed,
    `instance` the task instance number and `task_seed` its seed, `circuit_key` the
    circuit-level unit (None for the classical-only control).
    """

    cell_id: str
    arch: Architecture
    training_config: str
    replicate: int
    seed: int
    circuit_key: str | None
    task: str = "synthetic"
    task_seed: int = 0
    shots: int | None = None
    instance: int = 0
    noise: NoiseModel = NOISELESS

    @property
    def grid(self) -> dict[str, object]:
        """The values of the grid keys (`etr.plan.settings.GRID_KEYS` and the noise level): the
        keyword arguments of `etr.plan.RunSpec.run_settings`."""
        return {"task": self.task, "shots": self.shots, "noise": self.noise}


def circuit_seed(root_seed: int, pqc_id: str) -> int:
    """The seed of the circuit-level columns of a distinct circuit (shared by every run on it).

    Examples
    --------
    >>> circuit_seed(1, "abc") != derive_seed(1, "abc", 0)
    True
    """
    return derive_seed(root_seed, pqc_id, 0, domain=_CIRCUIT)


def task_seed(root_seed: int, task: str, instance: int) -> int:
    """The seed of task instance number `instance` of `task` (the data draw and split).

    Without ``instances`` in the spec, instance number r is the one of replicate r; with them,
    the instances are numbered 0 .. instances - 1 and crossed with the replicates.

    Examples
    --------
    >>> task_seed(1, "teacher", 0) == task_seed(1, "teacher", 0) != task_seed(1, "teacher", 1)
    True
    """
    return derive_seed(root_seed, short_hash({"task": task}), instance, domain=_TASK)


def run_seed(root_seed: int, model_id: str, replicate: int, instance: int | None = None) -> int:
    """The seed of a run (initialisations, batches, samples, shots) of a model and replicate.

    Not a function of the training configuration (the hybrid configurations of one architecture
    start from the same parameters) nor of the task. Without task instances as a factor
    (`instance` None) it is the seed of (model, replicate); with them, each (instance,
    replicate) of a model gets its own initialisations, so the initialisation noise of one
    instance is independent of another's.

    Examples
    --------
    >>> run_seed(1, "abc", 0) == derive_seed(1, "abc", 0)
    True
    >>> len({run_seed(1, "abc", 0, 0), run_seed(1, "abc", 0, 1), run_seed(1, "abc", 1, 0)})
    3
    """
    if instance is None:
        return derive_seed(root_seed, model_id, replicate)
    key = short_hash({"model": model_id, "task_instance": instance})
    return derive_seed(root_seed, key, replicate)


def grid_architectures(spec: Spec) -> list[Architecture]:
    """Every factor combination of the grid as an `Architecture`, in grid order (before equal
    models are merged: no content id is computed here)."""
    g = spec.grid
    shared = list(itertools.product(g.encoding, g.reupload, g.classical_pre, g.classical_post))
    pqcs: list[dict[str, Any]] = []
    if g.hea is not None:
        for n, layers, top, rot, ent in itertools.product(
            g.hea.n_qubits, g.hea.layers, g.hea.topology, g.hea.rotations, g.hea.entangler
        ):
            pqcs.append(dict(family="hea", circuit="hea", n_qubits=n, layers=layers,
                             topology=top, rotations=rot, entangler=ent))
    if g.sim is not None:
        for circ, n, layers in itertools.product(g.sim.circuits, g.sim.n_qubits, g.sim.layers):
            pqcs.append(dict(family="sim", circuit=circ, n_qubits=n, layers=layers,
                             topology=NOT_APPLICABLE, rotations=NOT_APPLICABLE,
                             entangler=NOT_APPLICABLE))
    return [
        Architecture.from_dict({**p, "encoding": enc, "reupload": re, "classical_pre": pre,
                                "classical_post": post})
        for p in pqcs
        for enc, re, pre, post in shared
    ]


def _settings_key(spec: Spec) -> dict[str, Any]:
    d = spec.to_dict()
    return {"root_seed": spec.root_seed, "metrics": d["metrics"], "training": d["training"],
            "definitions": d["definitions"]}


def _circuit_key(root_seed: int, metrics: dict[str, Any], pqc_id: str) -> str:
    return short_hash({"pqc": pqc_id, "root_seed": root_seed, "metrics": metrics})


def instance_plan(spec: Spec, archs: list[Architecture] | None = None
                  ) -> dict[str, tuple[int, ...]] | None:
    """pqc_id -> the task instances its cells use (`etr.plan.instances.InstanceDesign.assign`
    over the grid's distinct circuits), or None without ``instances`` in the spec."""
    design = spec.design
    if design is None:
        return None
    archs = grid_architectures(spec) if archs is None else archs
    return design.assign([(a.n_qubits, a.layers, a.pqc_id) for a in archs])


def expand_grid(spec: Spec) -> list[Cell]:
    """All cells of `spec` in canonical order (task, shots, noise level, architecture,
    configuration, task instance, replicate).

    `pure_pqc` cells use ``arch.without_classical()`` and exist once per PQC/encoding, not once
    per classical variant; `classical_only` cells once per `Architecture.control_id`. Task
    instances: see the module notes.

    Examples
    --------
    >>> from etr.experiment.spec import load_spec
    >>> spec = load_spec('''seeds = 2
    ... configs = ["pure_pqc", "hybrid_full"]
    ... [grid]
    ... classical_post = ["4-tanh", "8-tanh"]
    ... [grid.hea]
    ... n_qubits = 2
    ... layers = 1''')
    >>> len(expand_grid(spec))  # 2 pure_pqc (deduplicated) + 2 x 2 hybrid_full
    6
    """
    settings = _settings_key(spec)
    metrics = dataclasses.asdict(spec.metrics)
    cells: list[Cell] = []
    seen: set[str] = set()
    archs = grid_architectures(spec)
    plan = instance_plan(spec, archs)
    every = None if plan is None else tuple(range(spec.design.instances))
    for task, shots, noise in itertools.product(spec.tasks, spec.levels("shots"),
                                                spec.noise_levels):
        # a noisy level enters the id; the noiseless one adds nothing (ids of noiseless specs)
        level = {} if noise.noiseless else {"noise": noise.as_dict()}
        for arch in archs:
            for config in spec.configs:
                used = arch.without_classical() if config == "pure_pqc" else arch
                if config == _CONTROL:
                    used_id, circuit, instances = used.control_id, None, every
                else:
                    used_id = used.architecture_id
                    circuit = _circuit_key(spec.root_seed, metrics, used.pqc_id)
                    instances = None if plan is None else plan[used.pqc_id]
                if not _covered(spec, config, used, shots, noise):
                    continue  # no circuit (the control), or beyond the shot/noise bounds
                for inst, rep in _units(instances, spec.seeds):
                    key = {"architecture_id": used_id, "config": config, "replicate": rep,
                           "task": task, "shots": shots, **level, **settings}
                    if instances is not None:
                        key["task_instance"] = inst
                    cid = short_hash(key)
                    if cid in seen:
                        continue
                    seen.add(cid)
                    cells.append(Cell(
                        cell_id=cid, arch=used, training_config=config, replicate=rep,
                        seed=run_seed(spec.root_seed, used_id, rep,
                                      None if instances is None else inst),
                        circuit_key=circuit, task=task,
                        task_seed=task_seed(spec.root_seed, task, inst), shots=shots,
                        instance=inst, noise=noise,
                    ))
    return cells


def _units(instances: tuple[int, ...] | None, seeds: tuple[int, ...]):
    """(task instance, replicate) pairs: the replicate's own instance without an instance
    design, else every assigned instance crossed with every replicate."""
    if instances is None:
        return [(rep, rep) for rep in seeds]
    return [(inst, rep) for inst in instances for rep in seeds]


def _covered(spec: Spec, config: str, used: Architecture, shots: int | None,
             noise: NoiseModel) -> bool:
    """Whether the grid holds this run: finite shots and noise need a circuit (not the control)
    within the bounds of ``[grid.shots]`` and ``[grid.noise]``."""
    if shots is None and noise.noiseless:
        return True
    if config == _CONTROL:
        return False
    size = (used.n_qubits, used.layers)
    return ((shots is None or spec.grid.shots.covers(*size))
            and (noise.noiseless or spec.grid.noise.covers(*size)))


def circuit_units(spec: Spec, cells: list[Cell]) -> list[CircuitUnit]:
    """The distinct circuit-level metric units the `cells` need (one per `pqc_id`), in first-use
    order."""
    units: dict[str, CircuitUnit] = {}
    for c in cells:
        if c.circuit_key is not None and c.circuit_key not in units:
            units[c.circuit_key] = CircuitUnit(
                key=c.circuit_key, arch=c.arch,
                seed=circuit_seed(spec.root_seed, c.arch.pqc_id),
            )
    return list(units.values())
