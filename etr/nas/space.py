"""The joint classical-quantum design space and how a trial samples an `Architecture` from it."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from etr._validation import check_choice, check_int
from etr.circuits import ENCODINGS, ENTANGLERS, ROTATIONS, SIM_CIRCUITS, TOPOLOGIES
from etr.errors import SpecError
from etr.plan.architecture import ACTIVATIONS, Architecture

__all__ = ["SearchSpace"]

_CIRCUITS = ("hea", *(f"sim{i}" for i in SIM_CIRCUITS))
_RANGES = ("n_qubits", "layers", "pre_depth", "post_depth")


@dataclass(frozen=True, slots=True)
class SearchSpace:
    """Choices for every architecture factor; integer factors are inclusive ``(min, max)`` ranges.

    Parameters
    ----------
    circuits : ``"hea"`` and/or library circuits ``"sim1"`` .. ``"sim19"``.
    n_qubits, layers : PQC width and depth ranges.
    topologies, rotations, entanglers : hardware-efficient factors (ignored by library circuits).
    encodings, reupload : data encoding and whether it is re-uploaded before every layer.
    pre_depth, post_depth : number of hidden layers of the classical pre-/post-network (0 = none).
    widths, activations : hidden width and activation of the classical networks.

    Examples
    --------
    >>> space = SearchSpace(n_qubits=(2, 2), layers=(1, 2), topologies=("linear",),
    ...                     rotations=("RY",), entanglers=("CZ",), encodings=("ry",),
    ...                     reupload=(False,), pre_depth=(0, 1), post_depth=(0, 0),
    ...                     widths=(4,), activations=("tanh",))
    >>> space.size()
    4
    """

    circuits: tuple[str, ...] = ("hea",)
    n_qubits: tuple[int, int] = (2, 4)
    layers: tuple[int, int] = (1, 4)
    topologies: tuple[str, ...] = ("linear", "ring", "full")
    rotations: tuple[str, ...] = ("RY", "RX+RY", "RY+RZ")
    entanglers: tuple[str, ...] = ("CZ", "CNOT")
    encodings: tuple[str, ...] = ("ry", "hrz")
    reupload: tuple[bool, ...] = (False, True)
    pre_depth: tuple[int, int] = (0, 1)
    post_depth: tuple[int, int] = (0, 1)
    widths: tuple[int, ...] = (4, 8)
    activations: tuple[str, ...] = ("tanh", "relu")

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, tuple):
                raise SpecError(f"`nas.space.{f.name}` must be a list, got {value!r}")
            if len(value) == 0:
                raise SpecError(f"`nas.space.{f.name}` is empty: the design space has no choice")
            if f.name not in _RANGES and len(set(value)) != len(value):
                raise SpecError(f"`nas.space.{f.name}` repeats a value: {list(value)}")
        for name in _RANGES:
            lo_hi = getattr(self, name)
            if len(lo_hi) != 2:
                raise SpecError(f"`nas.space.{name}` must be [min, max], got {list(lo_hi)}")
            minimum = 1 if name in ("n_qubits", "layers") else 0
            lo = check_int(f"nas.space.{name}[0]", lo_hi[0], minimum=minimum, maximum=16)
            hi = check_int(f"nas.space.{name}[1]", lo_hi[1], minimum=minimum, maximum=16)
            if lo > hi:
                raise SpecError(f"`nas.space.{name}` has min {lo} > max {hi}")
        for c in self.circuits:
            check_choice("nas.space.circuits", c, _CIRCUITS)
        if any(c != "hea" for c in self.circuits) and self.n_qubits[0] < 2:
            raise SpecError("`nas.space.n_qubits` must start at >= 2 when library circuits are "
                            "in `nas.space.circuits`")
        for t in self.topologies:
            check_choice("nas.space.topologies", t, TOPOLOGIES)
        for r in self.rotations:
            for part in str(r).split("+"):
                check_choice("nas.space.rotations", part, ROTATIONS)
        for e in self.entanglers:
            check_choice("nas.space.entanglers", e, ENTANGLERS)
        for e in self.encodings:
            check_choice("nas.space.encodings", e, ENCODINGS)
        for r in self.reupload:
            if not isinstance(r, bool):
                raise SpecError(f"`nas.space.reupload` must hold true/false, got {r!r}")
        for w in self.widths:
            check_int("nas.space.widths", w, minimum=1, maximum=4096)
        for a in self.activations:
            check_choice("nas.space.activations", a, ACTIVATIONS)

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """The keys of a ``[nas.space]`` table (the field names)."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> SearchSpace:
        """Build from a ``[nas.space]`` table; unknown keys raise `SpecError` naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise SpecError(f"unknown key `nas.space.{unknown[0]}`; allowed: {sorted(known)}")
        out = {}
        for key, value in values.items():
            if isinstance(value, str | bool | int):
                value = [value]
            if not isinstance(value, list | tuple):
                raise SpecError(f"`nas.space.{key}` must be a list, got {value!r}")
            out[key] = tuple(value)
        return cls(**out)

    def to_dict(self) -> dict[str, list]:
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    def _choices(self) -> dict[str, tuple]:
        """Every sampled parameter and its choices (ranges expanded), in a fixed order."""
        out: dict[str, tuple] = {"circuit": self.circuits}
        for name in ("n_qubits", "layers"):
            lo, hi = getattr(self, name)
            out[name] = tuple(range(lo, hi + 1))
        out.update(topology=self.topologies, rotations=self.rotations,
                   entangler=self.entanglers, encoding=self.encodings, reupload=self.reupload)
        for name in ("pre_depth", "post_depth"):
            lo, hi = getattr(self, name)
            out[name] = tuple(range(lo, hi + 1))
        out.update(pre_width=self.widths, pre_activation=self.activations,
                   post_width=self.widths, post_activation=self.activations)
        return out

    def suggest(self, trial: Any) -> Architecture:
        """Sample one architecture through an Optuna trial (every parameter is always suggested,
        so the search space is fixed; factors a choice does not use are ignored)."""
        params: dict[str, Any] = {}
        for name, choices in self._choices().items():
            if name in ("n_qubits", "layers", "pre_depth", "post_depth"):
                params[name] = trial.suggest_int(name, choices[0], choices[-1])
            else:
                params[name] = trial.suggest_categorical(name, list(choices))
        return self.architecture(params)

    @staticmethod
    def architecture(params: Mapping[str, Any]) -> Architecture:
        """The `Architecture` a parameter dict (as suggested by `suggest`) describes."""
        def classical(prefix: str) -> str:
            depth = int(params[f"{prefix}_depth"])
            if depth == 0:
                return "none"
            width = int(params[f"{prefix}_width"])
            return "-".join([str(width)] * depth) + "-" + str(params[f"{prefix}_activation"])

        circuit = str(params["circuit"])
        values = {
            "family": "hea" if circuit == "hea" else "sim",
            "circuit": circuit,
            "n_qubits": int(params["n_qubits"]),
            "layers": int(params["layers"]),
            "topology": str(params["topology"]),
            "rotations": str(params["rotations"]),
            "entangler": str(params["entangler"]),
            "encoding": str(params["encoding"]),
            "reupload": bool(params["reupload"]),
            "classical_pre": classical("pre"),
            "classical_post": classical("post"),
        }
        return Architecture.from_dict(values)

    def size(self) -> int:
        """Number of distinct architectures in the space."""
        seen = set()
        choices = self._choices()
        for combo in itertools.product(*choices.values()):
            seen.add(self.architecture(dict(zip(choices, combo))).architecture_id)
        return len(seen)
