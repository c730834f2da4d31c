"""Search objectives and settings: what is optimised, in which direction, under which training.

A *setting* is a (training configuration, trainability definition) pair; the NAS comparison runs
its searches per setting. Objectives name columns of an evaluation record: the measures of the
registry `etr.contract.METRICS` plus the cost columns ``n_params`` and ``n_gates``.

Direction, log scale and labels come from the registry, never from a table here: an objective
is *maximised* when a higher value means more of what its kind names (``higher_is_more = +1``:
more trainable, better accuracy) and *minimised* otherwise (every expressibility measure: lower
= more expressive; ``steps_to_target``: fewer steps = more trainable; ``final_loss``). Theory
columns (``higher_is_more = 0``) have no direction and cannot be objectives.

Objective names
---------------
``expressibility``
    the primary expressibility measure `etr.contract.PRIMARY_X` (the frame-potential ratio
    ``expressibility_fp``), minimised;
``trainability``
    the setting's trainability definition, in its registry direction;
``accuracy``, ``loss``
    ``test_accuracy`` (max) and ``final_loss`` (min);
``n_params``, ``n_gates``
    model size (min);
any registered measure with a direction, by its column name
    e.g. ``expressibility_kl`` (the Sim et al. KL, min) or ``entangling_capability`` (max).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from etr._validation import check_choice
from etr.contract import (
    METRICS,
    PQC_CONFIGS,
    PRIMARY_X,
    TRAINABILITY_DEFINITIONS,
    registry_view,
)
from etr.errors import InputError

__all__ = [
    "COST_COLUMNS",
    "DEFAULT_OBJECTIVES",
    "OBJECTIVES",
    "Objective",
    "Setting",
    "objective",
    "resolve_objectives",
]

#: the cost objectives (not measures of the registry): column -> label.
COST_COLUMNS: dict[str, str] = {"n_params": "parameter count", "n_gates": "gate count"}
#: objective name -> the record column it reads (None: the setting's trainability definition);
#: every measure of the registry with a direction, read when used (`etr.contract.registry_view`).
OBJECTIVES: Mapping[str, str | None] = registry_view("nas_objectives", lambda: {
    "expressibility": PRIMARY_X,
    "trainability": None,
    "accuracy": "test_accuracy",
    "loss": "final_loss",
    "n_params": "n_params",
    "n_gates": "n_gates",
    **{name: name for name, m in METRICS.items() if m.higher_is_more != 0},
})
DEFAULT_OBJECTIVES: tuple[str, ...] = ("expressibility", "trainability", "accuracy")


@dataclass(frozen=True, slots=True)
class Objective:
    """One objective: the record column it reads, its direction and how it is normalised.

    Attributes
    ----------
    name : the objective name (a key of `OBJECTIVES`).
    column : the record column.
    direction : ``"minimize"`` or ``"maximize"`` (from the registry's ``higher_is_more``).
    log_scale : normalised on a log10 scale (the registry's ``log_scale``).

    Examples
    --------
    >>> resolve_objectives(["expressibility", "trainability"], "grad_var")[1]
    Objective(name='trainability', column='grad_var', direction='maximize', log_scale=True)
    >>> resolve_objectives(["expressibility", "trainability"], "steps_to_target")[1].direction
    'minimize'
    """

    name: str
    column: str
    direction: str
    log_scale: bool = False

    @property
    def label(self) -> str:
        """Short label with the direction, e.g. ``'test accuracy, max'``."""
        base = METRICS[self.column].label if self.column in METRICS else COST_COLUMNS.get(
            self.column, self.column)
        arrow = "min" if self.direction == "minimize" else "max"
        return f"{base}, {arrow}"

    @property
    def axis_title(self) -> str:
        """Axis title with units and the direction convention (the registry's ``axis_title``)."""
        if self.column in METRICS:
            return METRICS[self.column].axis_title
        return f"{COST_COLUMNS.get(self.column, self.column)}; lower = cheaper"


def objective(name: str, column: str) -> Objective:
    """The `Objective` reading `column` under the name `name` (direction from the registry)."""
    if column in COST_COLUMNS:
        return Objective(name, column, "minimize", False)
    m = METRICS[column]
    if m.higher_is_more == 0:
        raise InputError(f"`objectives`: {column!r} has no direction and cannot be optimised")
    return Objective(name, column, "maximize" if m.higher_is_more > 0 else "minimize",
                     m.log_scale)


@dataclass(frozen=True, slots=True)
class Setting:
    """A training configuration and the trainability definition the search optimises.

    The configuration must hold a PQC (`etr.contract.PQC_CONFIGS`; the classical-only control
    is evaluated beside the searches, never searched); the definition is any registered
    trainability definition (`etr.contract.TRAINABILITY_DEFINITIONS`).

    Examples
    --------
    >>> Setting("hybrid_full", "loss_decrease").label
    'hybrid_full/loss_decrease'
    >>> Setting.parse("hybrid_quantum_only/grad_var").training_config
    'hybrid_quantum_only'
    """

    training_config: str = "hybrid_full"
    trainability: str = "grad_var"

    def __post_init__(self) -> None:
        check_choice("training_config", self.training_config, PQC_CONFIGS)
        check_choice("trainability", self.trainability, TRAINABILITY_DEFINITIONS)

    @property
    def label(self) -> str:
        return f"{self.training_config}/{self.trainability}"

    @classmethod
    def parse(cls, text: str) -> Setting:
        """Parse ``"training_config/trainability"`` (``":"`` also separates)."""
        if not isinstance(text, str):
            raise InputError(f"a setting must be a string such as 'hybrid_full/grad_var', got "
                             f"{text!r}")
        parts = text.replace(":", "/").split("/")
        if len(parts) != 2:
            raise InputError(
                f"a setting must look like 'hybrid_full/grad_var' (training config/trainability"
                f" definition), got {text!r}"
            )
        return cls(parts[0].strip(), parts[1].strip())


def resolve_objectives(names: Sequence[str], trainability: str) -> tuple[Objective, ...]:
    """Turn objective names into `Objective` records for one trainability definition.

    Raises
    ------
    etr.errors.InputError
        Unknown or repeated objective (or two names reading one column), fewer than two
        objectives, unknown trainability definition.

    Examples
    --------
    >>> [o.column for o in resolve_objectives(["expressibility_kl", "accuracy"], "grad_var")]
    ['expressibility_kl', 'test_accuracy']
    """
    check_choice("trainability", trainability, TRAINABILITY_DEFINITIONS)
    if isinstance(names, str):
        names = [names]
    names = list(names)
    for n in names:
        check_choice("objectives", n, OBJECTIVES)
    if len(set(names)) != len(names):
        raise InputError(f"`objectives` must not repeat an objective, got {names}")
    if len(names) < 2:
        raise InputError(f"`objectives` needs at least two objectives, got {names}")
    out = [objective(n, trainability if OBJECTIVES[n] is None else OBJECTIVES[n])
           for n in names]
    cols = [o.column for o in out]
    if len(set(cols)) != len(cols):
        raise InputError(f"`objectives` {names} read the same column twice ({cols})")
    return tuple(out)
