"""`Architecture`: every factor of a hybrid model (classical pre-net, PQC, classical post-net).

An architecture is pure data: strings and integers that can be written to a dataset row, hashed
into a stable id and turned into circuits (`etr.circuits` is pure Python). The training
configuration and the seed are *not* part of it (a run is architecture x configuration x seed).
It lives in the data layer (`etr.plan`) so that specs, grids and searches can build and count
architectures without importing the simulation stack.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import asdict, dataclass, fields

from etr._hashing import short_hash
from etr._validation import check_choice, check_int, check_label, echo
from etr.circuits import (
    ENCODINGS,
    ENTANGLERS,
    ROTATIONS,
    TOPOLOGIES,
    Ansatz,
    encoding_width,
    hardware_efficient,
    sim_circuit,
)
from etr.errors import InputError

__all__ = ["ACTIVATIONS", "NOT_APPLICABLE", "Architecture", "network_sizes", "parse_classical"]

ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "sigmoid", "linear")
NOT_APPLICABLE = "n/a"
#: largest hidden width of a classical network.
MAX_WIDTH = 4096


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
        raise InputError(f"`{name}` must be a string such as 'none' or '8-tanh', got {echo(spec)}")
    check_label(name, spec)
    if spec == "none":
        return (), "linear"
    parts = spec.split("-")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:-1]):  # ASCII: a checked label
        raise InputError(
            f"`{name}` must be 'none' or widths then an activation such as '8-tanh' or "
            f"'16-8-relu', got {echo(spec)}"
        )
    widths = tuple(int(p) for p in parts[:-1])
    if any(w < 1 or w > MAX_WIDTH or p != str(w) for w, p in zip(widths, parts)):
        raise InputError(f"`{name}` widths must be in 1..{MAX_WIDTH} without leading zeros, "
                         f"got {echo(spec)}")
    act = parts[-1]
    check_choice(name + " activation", act, ACTIVATIONS)
    return widths, act


def network_sizes(spec: str, n_in: int, n_out: int, *,
                  role: str = "classical_pre") -> tuple[int, ...]:
    """Layer widths ``n_in -> hidden widths -> n_out`` of the classical network `spec`.

    ``"none"`` is the identity ``(n_in,)`` for a pre-network and one linear layer
    ``(n_in, n_out)`` for a post-network (the logit needs a readout map). A network of sizes
    ``s`` has ``sum((a + 1) * b for a, b in pairs(s))`` parameters (weights and biases), as
    `etr.hybrid.DenseNet` builds it.

    Examples
    --------
    >>> network_sizes("16-8-relu", 4, 4)
    (4, 16, 8, 4)
    >>> network_sizes("none", 4, 1, role="classical_post")
    (4, 1)
    """
    check_choice("role", role, ("classical_pre", "classical_post"))
    widths, _ = parse_classical(spec, role)
    if not widths:
        return (n_in,) if role == "classical_pre" else (n_in, n_out)
    return (n_in, *widths, n_out)


def _n_params(sizes: tuple[int, ...]) -> int:
    return sum((a + 1) * b for a, b in itertools.pairwise(sizes))


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

    @property
    def control_id(self) -> str:
        """Id of the classical-only control built on this architecture: the control replaces the
        PQC by a fixed map, so only the classical parts, the width and the encoding enter it."""
        return short_hash({"control": "classical_only", "n_qubits": self.n_qubits,
                           "encoding": self.encoding, "classical_pre": self.classical_pre,
                           "classical_post": self.classical_post}, length=12)

    def record(self, training_config: str) -> dict[str, object]:
        """The architecture columns of a dataset row of `training_config`: the factors,
        ``architecture_id`` and ``pqc_id``; the classical-only control records no PQC (family
        ``control``, circuit ``none``, 0 layers, `control_id`, no `pqc_id`)."""
        out: dict[str, object] = dict(self.to_dict())
        if training_config != "classical_only":
            return {**out, "architecture_id": self.architecture_id, "pqc_id": self.pqc_id}
        out.update(family="control", circuit="none", layers=0, topology=NOT_APPLICABLE,
                   rotations=NOT_APPLICABLE, entangler=NOT_APPLICABLE, reupload=False)
        return {**out, "architecture_id": self.control_id, "pqc_id": None}

    def n_classical_params(self, training_config: str, n_features: int) -> int:
        """Classical parameters of the model `training_config` builds on `n_features` inputs.

        0 for ``pure_pqc`` (no classical parts); otherwise the pre-network (``n_features`` ->
        widths -> the encoding's angles) plus the post-network (one readout per qubit ->
        widths -> one logit), both sized by `network_sizes`.

        Examples
        --------
        >>> Architecture(n_qubits=2, classical_pre="8-tanh").n_classical_params("hybrid_full", 2)
        45
        """
        if training_config == "pure_pqc":
            return 0
        angles = encoding_width(self.n_qubits, self.encoding)
        pre = network_sizes(self.classical_pre, n_features, angles, role="classical_pre")
        post = network_sizes(self.classical_post, self.n_qubits, 1, role="classical_post")
        return _n_params(pre) + _n_params(post)

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
    return pqc, short_hash({"pqc_id": pqc, "model": circuit_id(model),
                            "classical_pre": arch.classical_pre,
                            "classical_post": arch.classical_post}, 12)
