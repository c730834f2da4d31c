"""`Architecture`: every factor of a hybrid model (classical pre-net, PQC, classical post-net).

An architecture is pure data: strings and integers that can be written to a dataset row, hashed
into a stable id and turned into circuits. The training configuration and the seed are *not* part
of it (a run is architecture x configuration x seed).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import asdict, dataclass, fields

from etr._validation import check_choice, check_int
from etr.circuits import (
    ENCODINGS,
    ENTANGLERS,
    ROTATIONS,
    TOPOLOGIES,
    Ansatz,
    hardware_efficient,
    sim_circuit,
)
from etr.errors import InputError

__all__ = ["ACTIVATIONS", "NOT_APPLICABLE", "Architecture", "parse_classical"]

ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "sigmoid", "linear")
NOT_APPLICABLE = "n/a"
_CLASSICAL_RE = re.compile(r"^(\d+)(?:-(\d+))*-([a-z]+)$")


def parse_classical(spec: str, name: str = "classical_pre") -> tuple[tuple[int, ...], str]:
    """Parse a classical network spec: ``"none"`` or hidden widths then activation.

    ``"8-tanh"`` is one hidden layer of 8 tanh units; ``"16-8-relu"`` two hidden layers.

    Examples
    --------
    >>> parse_classical("16-8-relu")
    ((16, 8), 'relu')
    >>> parse_classical("none")
    ((), 'linear')
    """
    if not isinstance(spec, str):
        raise InputError(f"`{name}` must be a string such as 'none' or '8-tanh', got {spec!r}")
    if spec == "none":
        return (), "linear"
    parts = spec.split("-")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:-1]):
        raise InputError(
            f"`{name}` must be 'none' or widths then an activation such as '8-tanh' or "
            f"'16-8-relu', got {spec!r}"
        )
    widths = tuple(int(p) for p in parts[:-1])
    if any(w < 1 or w > 4096 for w in widths):
        raise InputError(f"`{name}` widths must be in 1..4096, got {spec!r}")
    act = parts[-1]
    check_choice(name + " activation", act, ACTIVATIONS)
    return widths, act


@dataclass(frozen=True, slots=True)
class Architecture:
    """The factors of one hybrid classical-quantum model.

    Parameters
    ----------
    family : ``"hea"`` (hardware-efficient) or ``"sim"`` (Sim et al. 2019 library).
    circuit : ``"hea"`` or ``"sim1"`` .. ``"sim19"``.
    n_qubits, layers : PQC width and number of layers (>= 1).
    topology, rotations, entangler : HEA factors (``"n/a"`` for library circuits).
    encoding : data encoding (see `etr.circuits.ENCODINGS`).
    reupload : re-upload the encoding before every layer.
    classical_pre, classical_post : ``"none"`` or e.g. ``"8-tanh"`` (see `parse_classical`).
    """

    family: str = "hea"
    circuit: str = "hea"
    n_qubits: int = 4
    layers: int = 2
    topology: str = "linear"
    rotations: str = "RY+RZ"
    entangler: str = "CZ"
    encoding: str = "ry"
    reupload: bool = False
    classical_pre: str = "none"
    classical_post: str = "none"

    def __post_init__(self) -> None:
        check_choice("family", self.family, ("hea", "sim"))
        check_int("n_qubits", self.n_qubits, minimum=1)
        check_int("layers", self.layers, minimum=1)
        check_choice("encoding", self.encoding, ENCODINGS)
        if not isinstance(self.reupload, bool):
            raise InputError(f"`reupload` must be true or false, got {self.reupload!r}")
        parse_classical(self.classical_pre, "classical_pre")
        parse_classical(self.classical_post, "classical_post")
        if self.family == "hea":
            if self.circuit != "hea":
                raise InputError(f"`circuit` must be 'hea' for family 'hea', got {self.circuit!r}")
            check_choice("topology", self.topology, TOPOLOGIES)
            for r in self.rotations.split("+"):
                check_choice("rotations", r, ROTATIONS)
            check_choice("entangler", self.entangler, ENTANGLERS)
        else:
            sim_circuit(self.circuit, n_qubits=max(self.n_qubits, 2), layers=1)  # validates name
            if self.n_qubits < 2:
                raise InputError("`n_qubits` must be >= 2 for library circuits")

    @classmethod
    def from_dict(cls, values: dict) -> Architecture:
        """Build from a mapping; unknown keys raise `InputError` naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"unknown architecture key(s) {unknown}; allowed: {sorted(known)}")
        values = dict(values)
        if values.get("family") == "sim":
            for key in ("topology", "rotations", "entangler"):
                values[key] = NOT_APPLICABLE
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def architecture_id(self) -> str:
        """Stable 12-hex-digit id of the model's content, nested in `pqc_id`.

        A hash of `pqc_id`, the content id of the encoded model circuit (encoding, re-uploading,
        layer blocks) and the classical parts: factor combinations that build the same model
        (e.g. the linear, ring and full topologies at 2 qubits) share it.
        """
        return _ids(self)[1]

    @property
    def pqc_id(self) -> str:
        """Content id of the trainable PQC (`etr.circuits.circuit_id` of `ansatz()`): equal
        circuits share it, whatever factors built them; the unit of the circuit-level metrics."""
        return _ids(self)[0]

    def without_classical(self) -> Architecture:
        """The same PQC with no classical parts (what a `pure_pqc` run uses)."""
        d = self.to_dict()
        d["classical_pre"] = d["classical_post"] = "none"
        return Architecture(**d)

    def layer_block(self) -> Ansatz:
        """One trainable layer of the PQC (slots from 0)."""
        if self.family == "hea":
            return hardware_efficient(
                self.n_qubits, 1, topology=self.topology,
                rotations=tuple(self.rotations.split("+")), entangler=self.entangler,
            )
        return sim_circuit(self.circuit, n_qubits=self.n_qubits, layers=1)

    def ansatz(self) -> Ansatz:
        """The trainable PQC alone (all layers, no encoding): what expressibility is computed on."""
        if self.family == "hea":
            return hardware_efficient(
                self.n_qubits, self.layers, topology=self.topology,
                rotations=tuple(self.rotations.split("+")), entangler=self.entangler,
            )
        return sim_circuit(self.circuit, n_qubits=self.n_qubits, layers=self.layers)

    def label(self) -> str:
        """Short human-readable label for tables and tooltips."""
        if self.family == "hea":
            q = f"hea {self.rotations}/{self.entangler}/{self.topology}"
        else:
            q = self.circuit
        q += f" n={self.n_qubits} L={self.layers} enc={self.encoding}"
        if self.reupload:
            q += "+reupload"
        return f"{self.classical_pre} | {q} | {self.classical_post}"


@functools.lru_cache(maxsize=4096)
def _ids(arch: Architecture) -> tuple[str, str]:
    """(pqc_id, architecture_id) of `arch` (cached: building the circuits is the cost)."""
    from etr.circuits import circuit_id, encoded_circuit

    pqc = circuit_id(arch.ansatz())
    blocks = [arch.layer_block() for _ in range(arch.layers)]
    model, _ = encoded_circuit(blocks, arch.encoding, reupload=arch.reupload)
    return pqc, _hash({"pqc_id": pqc, "model": circuit_id(model),
                       "classical_pre": arch.classical_pre,
                       "classical_post": arch.classical_post})


def _hash(d: dict) -> str:
    text = json.dumps(d, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]
