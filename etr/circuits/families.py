"""Hardware-efficient ansatz family: layers of single-qubit rotations and an entangling layer."""

from __future__ import annotations

from collections.abc import Sequence

from etr._validation import check_choice, check_int
from etr.circuits.ansatz import Ansatz
from etr.circuits.topology import TOPOLOGIES, topology_pairs
from etr.errors import InputError

__all__ = ["ENTANGLERS", "ROTATIONS", "hardware_efficient"]

ROTATIONS: tuple[str, ...] = ("RX", "RY", "RZ")
ENTANGLERS: tuple[str, ...] = ("CZ", "CNOT", "CRX", "CRY", "CRZ")


def _check_rotations(rotations: Sequence[str] | str) -> tuple[str, ...]:
    if isinstance(rotations, str):
        rotations = tuple(r for r in rotations.replace("+", ",").split(",") if r)
    rots = tuple(str(r).upper() for r in rotations)
    if not rots:
        raise InputError(f"`rotations` must be a non-empty subset of {set(ROTATIONS)}")
    for r in rots:
        check_choice("rotations", r, ROTATIONS)
    return rots


def hardware_efficient(
    n_qubits: int,
    layers: int,
    *,
    topology: str = "linear",
    rotations: Sequence[str] | str = ("RY", "RZ"),
    entangler: str = "CZ",
) -> Ansatz:
    """Hardware-efficient ansatz (Kandala et al. 2017 style).

    Each of `layers` layers applies every rotation of `rotations` to every qubit (each with its own
    parameter), then `entangler` on every pair of `topology`.

    Parameters
    ----------
    n_qubits : number of qubits (>= 1).
    layers : number of layers (>= 1).
    topology : one of ``none``, ``linear``, ``ring``, ``full``, ``star``.
    rotations : a sequence (or ``"RY+RZ"`` string) of ``RX``, ``RY``, ``RZ``.
    entangler : ``CZ``, ``CNOT`` or a parameterised ``CRX`` / ``CRY`` / ``CRZ``.

    Raises
    ------
    etr.errors.InputError
        Non-positive qubits or layers, unknown topology, rotation or entangler.

    Examples
    --------
    >>> a = hardware_efficient(3, 2, topology="ring", rotations=("RY",), entangler="CZ")
    >>> a.n_params, a.n_entanglers
    (6, 6)
    """
    n = check_int("n_qubits", n_qubits, minimum=1)
    n_layers = check_int("layers", layers, minimum=1)
    check_choice("topology", topology, TOPOLOGIES)
    rots = _check_rotations(rotations)
    ent = str(entangler).upper()
    ent = "CNOT" if ent == "CX" else ent
    check_choice("entangler", ent, ENTANGLERS)
    pairs = topology_pairs(n, topology)
    gates: list[tuple] = []
    for _ in range(n_layers):
        for q in range(n):
            gates.extend((r, q) for r in rots)
        gates.extend((ent, a, b) for a, b in pairs)
    a = Ansatz.from_gates(n, gates, name="hea")
    meta = (
        ("family", "hea"),
        ("circuit", "hea"),
        ("n_qubits", n),
        ("layers", n_layers),
        ("topology", topology),
        ("rotations", "+".join(rots)),
        ("entangler", ent),
    )
    return Ansatz(a.n_qubits, a.gates, name="hea", meta=meta)
