"""The gate vocabulary of etr: what a gate *is* (arity, whether it takes an angle, its generator).

Where a gate acts is stored on `etr.circuits.Gate`; this module only describes gate kinds. Rotations
follow the Pauli-rotation convention R_P(theta) = exp(-i theta P / 2); a controlled rotation applies
R_P(theta) to the target when the control is |1>. Two-qubit gates list their qubits as
(control, target).
"""

from __future__ import annotations

from dataclasses import dataclass

from etr._validation import echo
from etr.errors import InputError

__all__ = ["GATES", "GateKind", "canonical_gate_name"]


@dataclass(frozen=True, slots=True)
class GateKind:
    """Static description of a gate kind.

    Attributes
    ----------
    name : canonical upper-case name.
    n_qubits : how many qubits it acts on (controls first).
    pauli : generator of the rotation ("X", "Y", "Z"), or None for fixed gates.
    controlled : True for controlled gates (first qubit is the control).
    diagonal : True if the gate is diagonal in the computational basis.
    rotation : True if it takes an angle (parameter slot or fixed angle).
    """

    name: str
    n_qubits: int
    pauli: str | None
    controlled: bool
    diagonal: bool

    @property
    def rotation(self) -> bool:
        """True if the gate takes an angle: exactly the gates with a generator, so the two facts
        are stored once and cannot disagree."""
        return self.pauli is not None


def _rotations(prefix: str, n_qubits: int) -> tuple[GateKind, ...]:
    """The X, Y, Z rotations ``R_P`` (one qubit) or controlled rotations ``CR_P`` (two).

    A family is written once: its members differ only in the generator, and of the three only
    the Z rotation (controlled or not) is diagonal.

    Examples
    --------
    >>> [(g.name, g.controlled, g.diagonal) for g in _rotations("CR", 2)]
    [('CRX', True, False), ('CRY', True, False), ('CRZ', True, True)]
    """
    return tuple(GateKind(f"{prefix}{p}", n_qubits, p, n_qubits == 2, p == "Z") for p in "XYZ")


GATES: dict[str, GateKind] = {
    g.name: g
    for g in (
        GateKind("H", 1, None, False, False),
        GateKind("X", 1, None, False, False),
        GateKind("Y", 1, None, False, False),
        GateKind("Z", 1, None, False, True),
        GateKind("S", 1, None, False, True),
        GateKind("T", 1, None, False, True),
        *_rotations("R", 1),
        GateKind("CZ", 2, None, True, True),
        GateKind("CNOT", 2, None, True, False),
        GateKind("SWAP", 2, None, False, False),
        *_rotations("CR", 2),
    )
}

_ALIASES = {"CX": "CNOT", "CPHASE": "CZ"}


def canonical_gate_name(name: str) -> str:
    """Canonical name of `name` (case-insensitive, `CX` -> `CNOT`); `InputError` if unknown."""
    if not isinstance(name, str):
        raise InputError(f"gate name must be a string, got {echo(name)}")
    upper = name.upper()
    upper = _ALIASES.get(upper, upper)
    if upper not in GATES:
        allowed = ", ".join(sorted(GATES))
        raise InputError(f"unknown gate {echo(name)}; allowed gates: {allowed}")
    return upper
