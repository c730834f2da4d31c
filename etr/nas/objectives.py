"""Search objectives and settings: what is optimised, in which direction, under which training.

A *setting* is a (training configuration, trainability definition) pair; the NAS comparison runs
one search per setting. Objectives name columns of an evaluation record (the dataset contract's
metric columns plus the cost columns ``n_params`` and ``n_gates``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from etr._validation import check_choice
from etr.contract import TRAINABILITY_DEFINITIONS, TRAINING_CONFIGS
from etr.errors import InputError

__all__ = [
    "DEFAULT_OBJECTIVES",
    "OBJECTIVES",
    "Objective",
    "Setting",
    "resolve_objectives",
]

#: objective name -> (record column or None for the trainability definition, direction, label)
OBJECTIVES: dict[str, tuple[str | None, str, str]] = {
    "expressibility": ("expressibility_kl", "minimize", "expressibility KL (lower = more expr.)"),
    "trainability": (None, "maximize", "trainability"),
    "accuracy": ("test_accuracy", "maximize", "test accuracy"),
    "loss": ("final_loss", "minimize", "final loss"),
    "n_params": ("n_params", "minimize", "parameter count"),
    "n_gates": ("n_gates", "minimize", "gate count"),
}
DEFAULT_OBJECTIVES: tuple[str, ...] = ("expressibility", "trainability", "accuracy")
#: definitions spanning orders of magnitude: normalised on a log10 scale for hypervolumes
_LOG_SCALE = frozenset({"grad_var", "grad_var_train", "grad_norm"})


@dataclass(frozen=True, slots=True)
class Objective:
    """One objective: the record column it reads, its direction and how it is normalised.

    Examples
    --------
    >>> resolve_objectives(["expressibility", "trainability"], "grad_var")[1]
    Objective(name='trainability', column='grad_var', direction='maximize', log_scale=True)
    """

    name: str
    column: str
    direction: str
    log_scale: bool = False

    @property
    def label(self) -> str:
        base = OBJECTIVES[self.name][2]
        arrow = "min" if self.direction == "minimize" else "max"
        col = f" ({self.column})" if self.name == "trainability" else ""
        return f"{base}{col}, {arrow}"


@dataclass(frozen=True, slots=True)
class Setting:
    """A training configuration and the trainability definition the search maximises.

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
        check_choice("training_config", self.training_config, TRAINING_CONFIGS)
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
        Unknown or repeated objective, fewer than two objectives, unknown trainability definition.
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
    out = []
    for n in names:
        col, direction, _ = OBJECTIVES[n]
        col = trainability if col is None else col
        out.append(Objective(n, col, direction, col in _LOG_SCALE))
    return tuple(out)
