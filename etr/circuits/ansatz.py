"""The `Ansatz`: an immutable gate list with parameter slots.

A circuit is described once and evaluated for many parameter vectors: a gate's angle is either a
fixed number or `params[slot]`. Slots may be shared by several gates (data re-uploading);
`n_params` is one more than the highest slot (circuits built by etr use every slot).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real

from etr.circuits.gates import GATES, GateKind, canonical_gate_name
from etr.errors import InputError

__all__ = ["Ansatz", "Gate", "unshared"]


@dataclass(frozen=True, slots=True)
class Gate:
    """One instruction: a gate kind acting on qubits, with an angle source for rotations.

    Parameters
    ----------
    name : canonical gate name (see `etr.circuits.gates.GATES`).
    qubits : qubits acted on; (control, target) for controlled gates.
    slot : parameter slot whose value is the angle (rotations only), or None.
    angle : fixed angle (rotations only) when `slot` is None.
    """

    name: str
    qubits: tuple[int, ...]
    slot: int | None = None
    angle: float | None = None

    @property
    def kind(self) -> GateKind:
        return GATES[self.name]

    @property
    def parametric(self) -> bool:
        """True when the angle comes from a parameter slot."""
        return self.slot is not None

    def label(self) -> str:
        """Short label, e.g. `RY(θ3)`, `RY(0.785)`, `CZ`."""
        if self.slot is not None:
            return f"{self.name}(θ{self.slot})"
        if self.angle is not None:
            return f"{self.name}({self.angle:.3g})"
        return self.name

    def __str__(self) -> str:
        return f"{self.label()} @ {','.join(map(str, self.qubits))}"


def _parse_gate(spec: object, n_qubits: int, next_slot: int) -> tuple[Gate, int]:
    """Turn one user gate spec (tuple or Gate) into a Gate; return it and the next free slot."""
    if isinstance(spec, Gate):
        gate = spec
        _check_gate(gate, n_qubits, spec)
        nxt = max(next_slot, gate.slot + 1) if gate.slot is not None else next_slot
        return gate, nxt
    if not isinstance(spec, Sequence) or isinstance(spec, str) or len(spec) == 0:
        raise InputError(
            f"gate {spec!r}: write a gate as a tuple such as ('RY', 0) or ('CZ', 0, 1)"
        )
    try:
        name = canonical_gate_name(spec[0])
    except InputError as exc:
        raise InputError(f"gate {tuple(spec)!r}: {exc}") from None
    kind = GATES[name]
    rest = list(spec[1:])
    n_expected = kind.n_qubits + (1 if kind.rotation else 0)
    if len(rest) not in (kind.n_qubits, n_expected):
        form = ", ".join(["q"] * kind.n_qubits) + (" [, angle]" if kind.rotation else "")
        raise InputError(f"gate {tuple(spec)!r}: {name} takes ({form})")
    qubits = rest[: kind.n_qubits]
    for q in qubits:
        if isinstance(q, bool) or not isinstance(q, Integral):
            raise InputError(f"gate {tuple(spec)!r}: qubit {q!r} is not an integer")
    qubits_t = tuple(int(q) for q in qubits)
    if len(rest) == n_expected and kind.rotation:
        angle = rest[-1]
        if isinstance(angle, bool) or not isinstance(angle, Real):
            raise InputError(f"gate {tuple(spec)!r}: angle {angle!r} is not a number")
        gate = Gate(name, qubits_t, None, float(angle))
    elif kind.rotation:
        gate = Gate(name, qubits_t, next_slot, None)
        next_slot += 1
    else:
        gate = Gate(name, qubits_t)
    _check_gate(gate, n_qubits, spec)
    return gate, next_slot


def _check_gate(gate: Gate, n_qubits: int, spec: object) -> None:
    try:
        kind = GATES[gate.name]
    except KeyError:
        raise InputError(f"gate {spec!r}: unknown gate {gate.name!r}") from None
    if len(gate.qubits) != kind.n_qubits:
        raise InputError(f"gate {spec!r}: {gate.name} acts on {kind.n_qubits} qubit(s)")
    for q in gate.qubits:
        if not 0 <= q < n_qubits:
            raise InputError(
                f"gate {spec!r}: qubit {q} out of range for {n_qubits} qubits (0..{n_qubits - 1})"
            )
    if len(set(gate.qubits)) != len(gate.qubits):
        raise InputError(f"gate {spec!r}: qubits must be distinct")
    if kind.rotation and (gate.slot is None) == (gate.angle is None):
        raise InputError(f"gate {spec!r}: a rotation needs exactly one of a slot or a fixed angle")
    if not kind.rotation and (gate.slot is not None or gate.angle is not None):
        raise InputError(f"gate {spec!r}: {gate.name} takes no angle")
    if gate.slot is not None and gate.slot < 0:
        raise InputError(f"gate {spec!r}: slot must be >= 0")


@dataclass(frozen=True)
class Ansatz:
    """An immutable parameterized quantum circuit.

    Parameters
    ----------
    n_qubits : number of qubits (>= 1).
    gates : ordered gates; angles come from parameter slots or are fixed.
    name : a short name, e.g. ``"sim11"`` or ``"hea"``.
    meta : architecture factors that built it (family, layers, topology, ...), for records.

    Notes
    -----
    Qubit 0 is the leftmost (most significant) tensor factor, as in QuTiP: basis state
    |b0 b1 ... b(n-1)> has index sum_k b_k 2^(n-1-k).

    Examples
    --------
    >>> a = Ansatz.from_gates(2, [("RY", 0), ("RY", 1, 0.5), ("CZ", 0, 1), ("CRX", 1, 0)])
    >>> a.n_params
    2
    >>> print(a.gates[3])
    CRX(θ1) @ 1,0
    """

    n_qubits: int
    gates: tuple[Gate, ...]
    name: str = "custom"
    meta: tuple[tuple[str, object], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.n_qubits, bool) or not isinstance(self.n_qubits, Integral):
            raise InputError(f"`n_qubits` must be a positive integer, got {self.n_qubits!r}")
        if self.n_qubits < 1:
            raise InputError(f"`n_qubits` must be >= 1, got {self.n_qubits}")
        object.__setattr__(self, "gates", tuple(self.gates))
        for g in self.gates:
            _check_gate(g, self.n_qubits, g)

    @classmethod
    def from_gates(cls, n_qubits: int, gates: Iterable[object], *, name: str = "custom") -> Ansatz:
        """Build an ansatz from gate tuples.

        ``("RY", 0)`` is a parameterised rotation (next free slot), ``("RY", 0, 0.785)`` a fixed
        angle, ``("CZ", 0, 1)`` / ``("CNOT", 0, 1)`` fixed two-qubit gates (control first),
        ``("CRX", 0, 1)`` a parameterised controlled rotation, ``("H", 2)`` a fixed gate. The gate's
        arity decides whether a trailing number is a qubit or a fixed angle.

        Raises
        ------
        etr.errors.InputError
            Unknown gate, wrong arity, qubit out of range; the message names the gate.
        """
        if isinstance(n_qubits, bool) or not isinstance(n_qubits, Integral) or n_qubits < 1:
            raise InputError(f"`n_qubits` must be a positive integer, got {n_qubits!r}")
        parsed: list[Gate] = []
        next_slot = 0
        for spec in gates:
            gate, next_slot = _parse_gate(spec, int(n_qubits), next_slot)
            parsed.append(gate)
        return cls(int(n_qubits), tuple(parsed), name=name)

    @property
    def n_params(self) -> int:
        """One more than the highest parameter slot (0 for a circuit without slots)."""
        slots = [g.slot for g in self.gates if g.slot is not None]
        return max(slots) + 1 if slots else 0

    @property
    def n_gates(self) -> int:
        return len(self.gates)

    @property
    def n_entanglers(self) -> int:
        """Number of two-qubit gates."""
        return sum(1 for g in self.gates if len(g.qubits) == 2)

    @property
    def info(self) -> dict[str, object]:
        """The architecture factors recorded at construction (empty for custom circuits)."""
        return dict(self.meta)

    def shifted(self, offset: int) -> Ansatz:
        """A copy whose parameter slots are shifted by `offset` (for composing circuits)."""
        gates = tuple(
            Gate(g.name, g.qubits, g.slot + offset, None) if g.slot is not None else g
            for g in self.gates
        )
        return Ansatz(self.n_qubits, gates, name=self.name, meta=self.meta)

    def then(self, other: Ansatz, *, shift: bool = True, name: str | None = None) -> Ansatz:
        """This circuit followed by `other`.

        With ``shift=True`` the slots of `other` come after those of `self`; with ``shift=False``
        slots keep their numbers, so equal numbers share a parameter (data re-uploading).
        """
        if other.n_qubits != self.n_qubits:
            raise InputError(
                f"cannot compose circuits on {self.n_qubits} and {other.n_qubits} qubits"
            )
        tail = other.shifted(self.n_params) if shift else other
        gates = self.gates + tail.gates
        return Ansatz(self.n_qubits, gates, name=name or self.name, meta=self.meta)

    def depth(self) -> int:
        """Circuit depth (number of moments when gates on disjoint qubits run in parallel)."""
        return len(self._moments())

    def _moments(self) -> list[list[Gate]]:
        level = [0] * self.n_qubits
        moments: list[list[Gate]] = []
        for g in self.gates:
            lo, hi = min(g.qubits), max(g.qubits)
            span = range(lo, hi + 1)  # vertical wires of a 2-qubit gate block the qubits between
            m = max(level[q] for q in span)
            if m == len(moments):
                moments.append([])
            moments[m].append(g)
            for q in span:
                level[q] = m + 1
        return moments

    def draw(self) -> str:
        """A text drawing, one line per qubit (controls shown as ●)."""
        rows = [f"q{q}: " for q in range(self.n_qubits)]
        width0 = max(len(r) for r in rows)
        rows = [r.ljust(width0) for r in rows]
        for moment in self._moments():
            cells = ["─"] * self.n_qubits
            for g in moment:
                if len(g.qubits) == 1:
                    cells[g.qubits[0]] = g.label()
                    continue
                a, b = g.qubits
                if g.name == "CZ":
                    cells[a], cells[b] = "●", "●"
                elif g.name == "SWAP":
                    cells[a], cells[b] = "x", "x"
                else:
                    cells[a] = "●"
                    cells[b] = "X" if g.name == "CNOT" else g.label()[1:]
                for q in range(min(a, b) + 1, max(a, b)):
                    cells[q] = "│"
            w = max(len(c) for c in cells)
            for q in range(self.n_qubits):
                c = cells[q]
                left = (w - len(c)) // 2
                rows[q] += "─" * (left + 1) + c + "─" * (w - len(c) - left + 1)
        return "\n".join(rows)

    def summary(self) -> str:
        """One paragraph: name, qubits, parameters, gate counts, depth."""
        counts: dict[str, int] = {}
        for g in self.gates:
            counts[g.name] = counts.get(g.name, 0) + 1
        gates = ", ".join(f"{k}×{v}" for k, v in sorted(counts.items()))
        return (
            f"{self.name}: {self.n_qubits} qubits, {self.n_params} parameters, "
            f"{self.n_gates} gates ({gates}), depth {self.depth()}"
        )

    def __repr__(self) -> str:
        return (
            f"Ansatz(name={self.name!r}, n_qubits={self.n_qubits}, n_params={self.n_params}, "
            f"n_gates={self.n_gates})"
        )


def unshared(ansatz: Ansatz) -> tuple[Ansatz, list[int], list[Gate]]:
    """A copy of `ansatz` where parametric gate i has its own slot i.

    Gates that share a slot (data re-uploading) become independent, which is what per-gate
    derivatives (parameter shift, state Jacobians) need; the chain rule then sums them back.

    Returns
    -------
    (circuit, slots, gates)
        The copy, the original slot of every parametric gate and the parametric gates, in gate
        order.

    Examples
    --------
    >>> a = Ansatz.from_gates(1, [("RY", 0), ("RZ", 0)]).then(
    ...     Ansatz.from_gates(1, [("RY", 0)]), shift=False)
    >>> copy, slots, _ = unshared(a)
    >>> a.n_params, copy.n_params, slots
    (2, 3, [0, 1, 0])
    """
    gates: list[Gate] = []
    slots: list[int] = []
    param_gates: list[Gate] = []
    for g in ansatz.gates:
        if g.slot is None:
            gates.append(g)
            continue
        gates.append(Gate(g.name, g.qubits, len(slots), None))
        slots.append(g.slot)
        param_gates.append(g)
    return Ansatz(ansatz.n_qubits, tuple(gates), name=ansatz.name), slots, param_gates
