"""Canonical form and content id of a circuit: equal circuits share one id.

Two gate lists build the same circuit when they differ only by

* the order of gates that commute because they act on disjoint qubits, or because both are
  diagonal in the computational basis (CZ, CRZ, RZ, Z, S, T commute with each other);
* the qubit order of a symmetric two-qubit gate (CZ, SWAP);
* the numbering of parameter slots (slots are renumbered in order of first use);
* the names and factor labels that built them (at 2 qubits the linear, ring, full and star
  topologies give one gate list; a "hea" and a library circuit may coincide).

`canonical_gates` returns the lexicographically least linear extension of the gates' dependency
order (the Foata-style normal form of a trace: at each step the smallest gate whose predecessors
are placed is emitted), which is the same for every gate list in one commutation class, with
slots renumbered. `circuit_id` hashes it with the qubit count. Nothing here simulates: the id is a
syntactic fact about the gate list; circuits that are equal only as unitaries (e.g. CZ CZ = I) keep
different ids.

Examples
--------
>>> from etr.circuits import Ansatz, hardware_efficient
>>> a = Ansatz.from_gates(3, [("RY", 0), ("RY", 2), ("CZ", 1, 0)])
>>> b = Ansatz.from_gates(3, [("RY", 2), ("RY", 0), ("CZ", 0, 1)])
>>> circuit_id(a) == circuit_id(b)
True
>>> circuit_id(hardware_efficient(2, 3, topology="ring")) == circuit_id(
...     hardware_efficient(2, 3, topology="full"))
True
"""

from __future__ import annotations

import heapq

from etr._hashing import short_hash
from etr.circuits.ansatz import Ansatz, Gate
from etr.circuits.gates import GATES
from etr.errors import InputError

__all__ = ["canonical_gates", "circuit_id"]

_SYMMETRIC = frozenset({"CZ", "SWAP"})
#: digits kept of a fixed angle, so that float noise in how an angle was computed does not split
#: one circuit into two ids.
_ANGLE_DIGITS = 12
ID_LENGTH = 12


def _normalised(gate: Gate) -> Gate:
    qubits = tuple(sorted(gate.qubits)) if gate.name in _SYMMETRIC else gate.qubits
    angle = None if gate.angle is None else round(float(gate.angle), _ANGLE_DIGITS) + 0.0
    return Gate(gate.name, qubits, gate.slot, angle)


def _commute(a: Gate, b: Gate) -> bool:
    return not (set(a.qubits) & set(b.qubits)) or (GATES[a.name].diagonal
                                                   and GATES[b.name].diagonal)


def _key(gate: Gate) -> tuple:
    """Order of gates that are free at the same step (slot numbers never enter)."""
    return (gate.qubits, gate.name, gate.slot is None, -1.0 if gate.angle is None else gate.angle)


def canonical_gates(ansatz: Ansatz) -> tuple[tuple, ...]:
    """The canonical gate list of `ansatz`: ``(name, qubits, slot, angle)`` per gate.

    Parameters
    ----------
    ansatz : the circuit.

    Returns
    -------
    tuple of tuple
        Gates in canonical order, symmetric gates with sorted qubits, slots renumbered 0, 1, ...
        in order of first use, fixed angles rounded to 12 digits.

    Raises
    ------
    etr.errors.InputError
        `ansatz` is not an `Ansatz`.
    """
    if not isinstance(ansatz, Ansatz):
        raise InputError(f"`ansatz` must be an Ansatz, got {type(ansatz).__name__}")
    gates = [_normalised(g) for g in ansatz.gates]
    n = len(gates)
    # dependency edges: an earlier gate precedes a later one it does not commute with
    succ: list[list[int]] = [[] for _ in range(n)]
    indegree = [0] * n
    last_on: dict[int, list[int]] = {}
    for j, g in enumerate(gates):
        preds: set[int] = set()
        for q in g.qubits:
            for i in last_on.get(q, ()):
                if not _commute(gates[i], g):
                    preds.add(i)
        for i in preds:
            succ[i].append(j)
            indegree[j] += 1
        for q in g.qubits:
            # gates on q that a later gate could still have to follow: keep the diagonal run
            # since the last non-diagonal gate, or just this gate
            if GATES[g.name].diagonal:
                kept = [i for i in last_on.get(q, ()) if GATES[gates[i].name].diagonal]
                non_diag = [i for i in last_on.get(q, ()) if not GATES[gates[i].name].diagonal]
                last_on[q] = [*non_diag, *kept, j]
            else:
                last_on[q] = [j]
    heap = [(_key(gates[j]), j) for j in range(n) if indegree[j] == 0]
    heapq.heapify(heap)
    order: list[int] = []
    while heap:
        _, i = heapq.heappop(heap)
        order.append(i)
        for j in succ[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                heapq.heappush(heap, (_key(gates[j]), j))
    slots: dict[int, int] = {}
    out = []
    for i in order:
        g = gates[i]
        slot = None if g.slot is None else slots.setdefault(g.slot, len(slots))
        out.append((g.name, g.qubits, slot, g.angle))
    return tuple(out)


def circuit_id(ansatz: Ansatz) -> str:
    """A 12-hex-digit id of the circuit's content: equal circuits share it (see the module notes).

    Examples
    --------
    >>> from etr.circuits import hardware_efficient
    >>> circuit_id(hardware_efficient(2, 1, topology="star")) == circuit_id(
    ...     hardware_efficient(2, 1, topology="linear"))
    True
    >>> circuit_id(hardware_efficient(3, 1, topology="star")) == circuit_id(
    ...     hardware_efficient(3, 1, topology="linear"))
    False
    """
    gates = canonical_gates(ansatz)
    payload = {"n_qubits": ansatz.n_qubits,
               "gates": [[g[0], list(g[1]), g[2], g[3]] for g in gates]}
    return short_hash(payload, ID_LENGTH)
