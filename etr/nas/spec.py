"""The ``[nas]`` spec table: design space, objectives, settings, search and evaluation options.

A NAS spec is a TOML file with one ``[nas]`` table (other top-level tables belong to other etr
commands and are ignored)::

    [nas]
    n_trials = 40                  # per setting; a resumed study continues to this total
    seed = 0
    sampler = "nsga2"              # or "tpe", "random"
    population_size = 10           # NSGA-II population; also the default batch size
    objectives = ["expressibility", "trainability", "accuracy"]   # + "n_params", "n_gates"...
    training_config = "hybrid_full"
    trainability = "grad_var"
    compare = ["hybrid_quantum_only/grad_var", "hybrid_full/grad_var"]  # optional

    [nas.space]                    # see `etr.nas.SearchSpace`; integer factors are [min, max]
    n_qubits = [2, 3]
    layers = [1, 3]

    [nas.evaluation]               # `etr.hybrid.RunSettings` fields + expr_pairs, expr_bins
    n_train = 40

Unknown keys are rejected naming the key; malformed TOML reports line and column.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from etr._validation import check_choice, check_int
from etr.errors import SpecError
from etr.nas.evaluate import EXPRESSIBILITY_OPTIONS
from etr.nas.objectives import DEFAULT_OBJECTIVES, Setting, resolve_objectives
from etr.nas.search import SAMPLERS
from etr.nas.space import SearchSpace

__all__ = ["PRESETS", "NasSpec", "load_nas_spec", "nas_preset", "parse_nas_spec"]

PRESETS: tuple[str, ...] = ("quick",)
_TOP_KEYS = ("n_trials", "seed", "sampler", "population_size", "batch_size", "objectives",
             "training_config", "trainability", "compare", "storage", "space", "evaluation")


@dataclass(frozen=True, slots=True)
class NasSpec:
    """A validated NAS spec. `settings` lists the searches to run (one, or the ``compare`` list).

    Examples
    --------
    >>> spec = parse_nas_spec({"nas": {"n_trials": 10, "compare": ["hybrid_full/grad_var",
    ...                                                             "hybrid_full/loss_decrease"]}})
    >>> [s.label for s in spec.settings]
    ['hybrid_full/grad_var', 'hybrid_full/loss_decrease']
    """

    space: SearchSpace = field(default_factory=SearchSpace)
    objectives: tuple[str, ...] = DEFAULT_OBJECTIVES
    settings: tuple[Setting, ...] = (Setting(),)
    n_trials: int = 40
    seed: int = 0
    sampler: str = "nsga2"
    population_size: int = 10
    batch_size: int | None = None
    storage: str | None = None
    evaluation: Mapping[str, Any] = field(default_factory=dict)
    source: Mapping[str, Any] = field(default_factory=dict)

    def replace(self, **changes: Any) -> NasSpec:
        """A copy with some fields changed (validated again)."""
        return _validated(dataclasses.replace(self, **changes))


def _validated(spec: NasSpec) -> NasSpec:
    check_int("nas.n_trials", spec.n_trials, minimum=1)
    check_int("nas.seed", spec.seed, minimum=0)
    check_choice("nas.sampler", spec.sampler, SAMPLERS)
    check_int("nas.population_size", spec.population_size, minimum=2)
    if spec.batch_size is not None:
        check_int("nas.batch_size", spec.batch_size, minimum=1)
    if not spec.settings:
        raise SpecError("`nas.compare` is empty: give at least one setting")
    labels = [s.label for s in spec.settings]
    if len(set(labels)) != len(labels):
        raise SpecError(f"`nas.compare` repeats a setting: {labels}")
    for s in spec.settings:
        resolve_objectives(spec.objectives, s.trainability)
    if spec.storage is not None and not isinstance(spec.storage, str):
        raise SpecError(f"`nas.storage` must be a URL string, got {spec.storage!r}")
    _check_evaluation(spec.evaluation)
    return spec


def _check_evaluation(options: Mapping[str, Any]) -> None:
    try:
        from etr.hybrid import RunSettings
    except ImportError:  # the simulation core validates its own options when it runs
        return
    known = {f.name for f in dataclasses.fields(RunSettings)} | set(EXPRESSIBILITY_OPTIONS)
    for key in options:
        if key not in known:
            raise SpecError(f"unknown key `nas.evaluation.{key}`; allowed: {sorted(known)}")
    run = {k: v for k, v in options.items() if k not in EXPRESSIBILITY_OPTIONS}
    if "definitions" in run:
        run["definitions"] = tuple(run["definitions"])
    try:
        RunSettings(**run)
    except TypeError as exc:
        raise SpecError(f"bad `nas.evaluation`: {exc}") from None
    for key in EXPRESSIBILITY_OPTIONS:
        if key in options:
            check_int(f"nas.evaluation.{key}", options[key], minimum=2)


def parse_nas_spec(data: Mapping[str, Any]) -> NasSpec:
    """Validate a parsed TOML document (a mapping with a ``nas`` table) into a `NasSpec`."""
    if "nas" not in data or not isinstance(data["nas"], Mapping):
        raise SpecError("the spec has no `[nas]` table")
    nas = dict(data["nas"])
    for key in nas:
        if key not in _TOP_KEYS:
            raise SpecError(f"unknown key `nas.{key}`; allowed: {sorted(_TOP_KEYS)}")
    space_t = nas.get("space", {})
    eval_t = nas.get("evaluation", {})
    for name, table in (("space", space_t), ("evaluation", eval_t)):
        if not isinstance(table, Mapping):
            raise SpecError(f"`nas.{name}` must be a table")
    if "compare" in nas:
        comp = nas["compare"]
        if not isinstance(comp, list):
            raise SpecError(f"`nas.compare` must be a list of 'config/definition' strings, got "
                            f"{comp!r}")
        settings = tuple(Setting.parse(s) for s in comp)
    else:
        settings = (Setting(nas.get("training_config", "hybrid_full"),
                            nas.get("trainability", "grad_var")),)
    objectives = nas.get("objectives", list(DEFAULT_OBJECTIVES))
    if isinstance(objectives, str) or not isinstance(objectives, list):
        raise SpecError(f"`nas.objectives` must be a list, got {objectives!r}")
    evaluation = dict(eval_t)
    if "definitions" in evaluation:
        evaluation["definitions"] = list(evaluation["definitions"])
    spec = NasSpec(
        space=SearchSpace.from_dict(space_t),
        objectives=tuple(objectives),
        settings=settings,
        n_trials=nas.get("n_trials", 40),
        seed=nas.get("seed", 0),
        sampler=nas.get("sampler", "nsga2"),
        population_size=nas.get("population_size", 10),
        batch_size=nas.get("batch_size"),
        storage=nas.get("storage"),
        evaluation=evaluation,
        source={"nas": nas},
    )
    return _validated(spec)


def load_nas_spec(path: str | Path) -> NasSpec:
    """Read and validate a NAS spec file.

    Raises
    ------
    etr.errors.SpecError
        Missing file, malformed TOML (with line and column), or a bad value (named).
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"spec file `{path}` does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"spec `{path}` is not valid TOML: {exc}") from None
    return parse_nas_spec(data)


def nas_preset(name: str) -> NasSpec:
    """The built-in spec `name` (``"quick"``: a small space, ~40 trials per setting, three
    settings compared, under 5 minutes on 2 cores).

    Examples
    --------
    >>> len(nas_preset("quick").settings)
    3
    """
    check_choice("preset", name, PRESETS)
    text = resources.files("etr.nas").joinpath("presets", f"{name}.toml").read_text("utf-8")
    return parse_nas_spec(tomllib.loads(text))
