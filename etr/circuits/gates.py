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
    rotation : True if it takes an angle (parameter slot or fixed angle).
    pauli : generator of the rotation ("X", "Y", "Z"), or None for fixed gates.
    controlled : True for controlled gates (first qubit is the control).
    diagonal : True if the gate is diagonal in the computational basis.
    """

    name: str
    n_qubits: int
    rotation: bool
    pauli: str | None
    controlled: bool
    diagonal: bool


GATES: dict[str, GateKind] = {
    g.name: g
    for g in (
        GateKind("H", 1, False, None, False, False),
        GateKind("X", 1, False, None, False, False),
        GateKind("Y", 1, False, None, False, False),
        GateKind("Z", 1, False, None, False, True),
        GateKind("S", 1, False, None, False, True),
        GateKind("T", 1, False, None, False, True),
        GateKind("RX", 1, True, "X", False, False),
        GateKind("RY", 1, True, "Y", False, False),
        GateKind("RZ", 1, True, "Z", False, True),
        GateKind("CZ", 2, False, None, True, True),
        GateKind("CNOT", 2, False, None, True, False),
        GateKind("SWAP", 2, False, None, False, False),
        GateKind("CRX", 2, True, "X", True, False),
        GateKind("CRY", 2, True, "Y", True, False),
        GateKind("CRZ", 2, True, "Z", True, True),
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
