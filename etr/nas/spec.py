"""NAS specs: the shared run sections plus a ``[nas]`` table (search options and design space).

A NAS spec has the run sections every etr spec has (``root_seed``, ``definitions``,
``[metrics]``, ``[training]``: the same keys, defaults and validation as ``etr simulate``; see
`etr.plan.settings`) and one ``[nas]`` table::

    root_seed = 2026
    definitions = ["grad_var", "loss_decrease"]   # what each run computes

    [nas]
    n_trials = 40                  # per search; a resumed study continues to this total
    sampler = "nsga2"              # or "tpe", "random"
    population_size = 12           # NSGA-II population; also the default batch size
    objectives = ["expressibility", "trainability", "accuracy"]   # + "n_params", "n_gates"...
    training_config = "hybrid_full"
    trainability = "grad_var"
    compare = ["hybrid_quantum_only/grad_var", "hybrid_full/grad_var"]  # optional
    replicates = 2                 # runs (task instance x inits) per architecture, >= 2
    search_seeds = 2               # independent searches per setting (the noise reference)
    control = true                 # evaluate the classical-only control beside the fronts
    storage = "sqlite:///nas.db"   # optional: keep the study to resume it

    [nas.space]                    # see `etr.nas.SearchSpace`; integer factors are [min, max]
    n_qubits = [2, 3]
    layers = [1, 3]

    [metrics]                      # circuit-level sample sizes (n_states, n_pairs, bins, ...)
    n_states = 1000

    [training]                     # `etr.plan.RunSettings` fields
    n_train = 40

Unknown keys are rejected naming the key; malformed TOML reports line and column; every problem
is a `etr.errors.SpecError`. The defaults of the search options are those of
`etr.nas.run_search` (`DEFAULT_TRIALS`, `DEFAULT_SAMPLER`, `DEFAULT_POPULATION`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from etr._validation import check_choice
from etr.errors import SpecError
from etr.nas.evaluate import Evaluation
from etr.nas.objectives import DEFAULT_OBJECTIVES, OBJECTIVES, Setting, resolve_objectives
from etr.nas.search import (
    DEFAULT_POPULATION,
    DEFAULT_REPLICATES,
    DEFAULT_SAMPLER,
    DEFAULT_TRIALS,
    SAMPLERS,
    check_storage,
)
from etr.nas.space import SearchSpace
from etr.plan.noise import check_density_width
from etr.plan.settings import GRID_KEYS, RUN_KEYS, RunSpec, read_run_sections
from etr.plan.tables import Table, preset_names, read_toml

__all__ = ["PRESETS", "NasSpec", "load_nas_spec", "nas_preset", "parse_nas_spec"]

#: the embedded NAS presets: the files in etr/nas/presets/, quick first.
PRESETS: tuple[str, ...] = preset_names("etr.nas")
_TOP_KEYS = (*RUN_KEYS, "nas")
_NAS_KEYS = ("n_trials", "sampler", "population_size", "batch_size", "objectives",
             "training_config", "trainability", "compare", "replicates", "search_seeds",
             "control", "storage", "space")
#: independent searches per setting unless the spec says otherwise.
DEFAULT_SEARCH_SEEDS = 2


@dataclass(frozen=True, slots=True)
class NasSpec(RunSpec):
    """A validated NAS spec. `settings` lists the settings to search (one, or the ``compare``
    list); each is searched `search_seeds` times, every architecture trained `replicates` times.

    The run sections (`root_seed`, `definitions`, `metrics`, `training`, `noise`) are those of
    every etr spec (`etr.plan.RunSpec`; a search runs at one noise level); `evaluation` bundles
    them for the evaluator.

    Examples
    --------
    >>> spec = parse_nas_spec({"nas": {"n_trials": 10, "compare": ["hybrid_full/grad_var",
    ...                                                             "hybrid_full/loss_decrease"]}})
    >>> [s.label for s in spec.settings], spec.root_seed
    (['hybrid_full/grad_var', 'hybrid_full/loss_decrease'], 2026)
    """

    space: SearchSpace = field(default_factory=SearchSpace)
    objectives: tuple[str, ...] = DEFAULT_OBJECTIVES
    settings: tuple[Setting, ...] = (Setting(),)
    n_trials: int = DEFAULT_TRIALS
    sampler: str = DEFAULT_SAMPLER
    population_size: int = DEFAULT_POPULATION
    batch_size: int | None = None
    replicates: int = DEFAULT_REPLICATES
    search_seeds: int = DEFAULT_SEARCH_SEEDS
    control: bool = True
    storage: str | None = None
    source: Mapping[str, Any] = field(default_factory=dict)

    @property
    def evaluation(self) -> Evaluation:
        """The `Evaluation` every run of the search uses."""
        return Evaluation(self.run_settings(), self.metrics, self.root_seed)

    def replace(self, **changes: Any) -> NasSpec:
        """A copy with some fields changed, validated again as a spec (`parse_nas_spec`).

        Raises
        ------
        etr.errors.SpecError
            A changed value is not valid (named as its spec key).
        """
        return parse_nas_spec(dataclasses.replace(self, **changes).to_dict())

    def to_dict(self) -> dict[str, Any]:
        """The spec as a TOML-ready document (``parse_nas_spec(spec.to_dict())`` equals it)."""
        nas: dict[str, Any] = {
            "n_trials": self.n_trials, "sampler": self.sampler,
            "population_size": self.population_size, "objectives": list(self.objectives),
            "compare": [s.label for s in self.settings], "replicates": self.replicates,
            "search_seeds": self.search_seeds, "control": self.control,
            "space": self.space.to_dict()}
        if self.batch_size is not None:
            nas["batch_size"] = self.batch_size
        if self.storage is not None:
            nas["storage"] = self.storage
        return {**self.run_sections(full=False), "nas": nas}


def _read_search(nas: Table) -> dict[str, Any]:
    """The search options of a ``[nas]`` table."""
    storage = check_storage(nas.get("storage", None))  # opened by the search
    return {
        "n_trials": nas.int("n_trials", DEFAULT_TRIALS, low=1),
        "sampler": nas.choice("sampler", DEFAULT_SAMPLER, SAMPLERS),
        "population_size": nas.int("population_size", DEFAULT_POPULATION, low=2),
        "batch_size": nas.int("batch_size", None, low=1),
        "objectives": nas.choices("objectives", DEFAULT_OBJECTIVES, OBJECTIVES),
        "replicates": nas.int("replicates", DEFAULT_REPLICATES, low=2),
        "search_seeds": nas.int("search_seeds", DEFAULT_SEARCH_SEEDS, low=1),
        "control": _flag(nas, "control", True),
        "storage": storage,
    }


def _flag(table: Table, key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise table.error(key, f"must be true or false, got {value!r}")
    return value


def _read_settings(nas: Table) -> tuple[Setting, ...]:
    if "compare" in nas:
        comp = nas.get("compare")
        if not isinstance(comp, list):
            raise nas.error("compare", "must be a list of 'config/definition' strings, got "
                            f"{comp!r}")
        labels = nas.labels("compare")
        return tuple(nas.build(Setting.parse, label) for label in labels)
    return (nas.build(Setting, nas.get("training_config", "hybrid_full"),
                      nas.get("trainability", "grad_var")),)


def _check_settings(nas: Table, settings: tuple[Setting, ...], objectives: tuple[str, ...],
                    definitions: tuple[str, ...]) -> None:
    if not settings:
        raise nas.error("compare", "is empty: give at least one setting")
    labels = [s.label for s in settings]
    if len(set(labels)) != len(labels):
        raise nas.error("compare", f"repeats a setting: {labels}")
    for s in settings:
        nas.build(resolve_objectives, objectives, s.trainability)
        if s.trainability not in definitions:
            raise SpecError(f"`definitions` {list(definitions)} must include "
                            f"{s.trainability!r}, the trainability setting {s.label} maximises")


def parse_nas_spec(data: Mapping[str, Any]) -> NasSpec:
    """Validate a parsed TOML document (a mapping with a ``nas`` table) into a `NasSpec`."""
    if "nas" not in data or not isinstance(data["nas"], Mapping):
        raise SpecError("the spec has no `[nas]` table")
    top = Table(data, "", _TOP_KEYS)
    nas = top.table("nas", _NAS_KEYS)
    space_t = nas.table("space", SearchSpace.keys())
    spec = NasSpec(
        **read_run_sections(top),
        space=nas.build(SearchSpace.from_dict, space_t.data),
        settings=_read_settings(nas),
        source={k: data[k] for k in data},
        **_read_search(nas),
    )
    _check_settings(nas, spec.settings, spec.objectives, spec.definitions)
    for key in GRID_KEYS:
        if len(spec.levels(key)) > 1:
            raise SpecError(f"`training.{key}` must hold one value for a search, got "
                            f"{list(spec.levels(key))}")
    if len(spec.noise_levels) > 1:
        raise SpecError("`noise` must hold one level for a search (one value per channel), got "
                        f"{[m.label for m in spec.noise_levels]}")
    if not spec.noise_levels[0].noiseless:
        check_density_width(spec.space.n_qubits[1], key="nas.space.n_qubits", error=SpecError)
    return spec


def load_nas_spec(source: str | os.PathLike[str]) -> NasSpec:
    """Read and validate a NAS spec from a TOML file path or TOML text (as `load_spec`).

    Raises
    ------
    etr.errors.SpecError
        Missing file, malformed TOML (with line and column), or a bad value (named).
    """
    data, _ = read_toml(source)
    return parse_nas_spec(data)


def nas_preset(name: str) -> NasSpec:
    """The built-in spec `name` (``"quick"``: a small space on the ``parity`` task, three
    settings compared, each searched with 6 search seeds x 36 trials, 2 replicates per
    architecture, the classical-only control; about 8 minutes on 2 cores). Six seeds because the
    NAS claims' permutation test relabels settings within seeds: with fewer its smallest
    attainable p exceeds 0.05.

    Examples
    --------
    >>> spec = nas_preset("quick")
    >>> len(spec.settings), spec.search_seeds, spec.replicates
    (3, 6, 2)
    """
    check_choice("preset", name, PRESETS, error=SpecError)
    text = resources.files("etr.nas").joinpath("presets", f"{name}.toml").read_text("utf-8")
    return load_nas_spec(text)
