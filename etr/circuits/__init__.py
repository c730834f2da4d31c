"""What a PQC is: the immutable `Ansatz`, circuit families, topologies, the Sim et al. library and
data encodings."""

from __future__ import annotations

from etr.circuits.ansatz import Ansatz, Gate, unshared
from etr.circuits.canonical import canonical_gates, circuit_id
from etr.circuits.encoding import ENCODINGS, encoded_circuit, encoding_circuit, encoding_width
from etr.circuits.families import ENTANGLERS, ROTATIONS, hardware_efficient
from etr.circuits.gates import GATES
from etr.circuits.library import SIM_CIRCUITS, SIM_PARAMS_4Q, sim_circuit
from etr.circuits.topology import TOPOLOGIES, topology_pairs

FAMILIES: tuple[str, ...] = ("hea", "sim")

__all__ = [
    "ENCODINGS",
    "ENTANGLERS",
    "FAMILIES",
    "GATES",
    "ROTATIONS",
    "SIM_CIRCUITS",
    "SIM_PARAMS_4Q",
    "TOPOLOGIES",
    "Ansatz",
    "Gate",
    "canonical_gates",
    "circuit_id",
    "encoded_circuit",
    "encoding_circuit",
    "encoding_width",
    "hardware_efficient",
    "sim_circuit",
    "topology_pairs",
    "unshared",
]
