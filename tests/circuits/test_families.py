from __future__ import annotations

import pytest

from etr.circuits import (
    SIM_CIRCUITS,
    SIM_PARAMS_4Q,
    encoded_circuit,
    encoding_circuit,
    encoding_width,
    hardware_efficient,
    sim_circuit,
    topology_pairs,
)
from etr.errors import InputError


@pytest.mark.parametrize(
    ("topology", "pairs"),
    [
        ("none", []),
        ("linear", [(0, 1), (1, 2), (2, 3)]),
        ("ring", [(0, 1), (1, 2), (2, 3), (3, 0)]),
        ("full", [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]),
        ("star", [(0, 1), (0, 2), (0, 3)]),
    ],
)
def test_topology_pairs(topology, pairs):
    assert topology_pairs(4, topology) == pairs


def test_ring_on_two_qubits_has_no_duplicate_pair():
    assert topology_pairs(2, "ring") == [(0, 1)]


@pytest.mark.parametrize("entangler", ["CZ", "CNOT", "CRX"])
@pytest.mark.parametrize("topology", ["none", "linear", "ring", "full", "star"])
def test_hardware_efficient_counts(topology, entangler):
    n, layers = 5, 3
    a = hardware_efficient(
        n, layers, topology=topology, rotations=("RX", "RY"), entangler=entangler
    )
    n_pairs = len(topology_pairs(n, topology))
    assert a.n_entanglers == layers * n_pairs
    expected_params = layers * (2 * n + (n_pairs if entangler == "CRX" else 0))
    assert a.n_params == expected_params
    assert a.info["topology"] == topology and a.info["layers"] == layers


def test_hardware_efficient_accepts_plus_string():
    assert hardware_efficient(2, 1, rotations="RY+RZ") == hardware_efficient(2, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_qubits": 0, "layers": 1}, "`n_qubits` must be >= 1"),
        ({"n_qubits": -2, "layers": 1}, "`n_qubits` must be >= 1"),
        ({"n_qubits": 2, "layers": 0}, "`layers` must be >= 1"),
        ({"n_qubits": 2, "layers": 1, "topology": "mesh"}, "`topology` must be one of"),
        ({"n_qubits": 2, "layers": 1, "rotations": ("RW",)}, "`rotations` must be one of"),
        ({"n_qubits": 2, "layers": 1, "entangler": "iSWAP"}, "`entangler` must be one of"),
        ({"n_qubits": 2.5, "layers": 1}, "`n_qubits` must be an integer"),
    ],
)
def test_hardware_efficient_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        hardware_efficient(**kwargs)


@pytest.mark.parametrize("index", SIM_CIRCUITS)
def test_sim_circuit_parameter_counts_match_the_paper(index):
    assert sim_circuit(index).n_params == SIM_PARAMS_4Q[index]
    assert sim_circuit(index, layers=3).n_params == 3 * SIM_PARAMS_4Q[index]


def test_sim_circuit_gate_structure_of_selected_circuits():
    c9 = sim_circuit(9)
    assert [g.name for g in c9.gates] == ["H"] * 4 + ["CZ"] * 3 + ["RX"] * 4
    assert [g.qubits for g in c9.gates[4:7]] == [(3, 2), (2, 1), (1, 0)]
    c1 = sim_circuit(1)
    assert c1.n_entanglers == 0
    c13 = sim_circuit(13)
    crz = [g.qubits for g in c13.gates if g.name == "CRZ"]
    assert crz == [(3, 0), (2, 3), (1, 2), (0, 1), (3, 2), (0, 3), (1, 0), (2, 1)]
    c11 = sim_circuit(11)
    assert [g.qubits for g in c11.gates if g.name == "CNOT"] == [(1, 0), (3, 2), (2, 1)]
    c6 = sim_circuit(6)
    assert sum(1 for g in c6.gates if g.name == "CRX") == 12


def test_sim_circuit_names_and_bad_input():
    assert sim_circuit("sim11").name == "sim11"
    assert sim_circuit("11", n_qubits=6).n_qubits == 6
    with pytest.raises(InputError, match="`index` must be <= 19"):
        sim_circuit(20)
    with pytest.raises(ValueError, match="`index`"):
        sim_circuit("simx")
    with pytest.raises(InputError, match="`n_qubits` must be >= 2"):
        sim_circuit(2, n_qubits=1)


def test_encodings_and_reuploading():
    assert encoding_width(3, "ryrz") == 6 and encoding_width(3, "rx") == 3
    assert encoding_circuit(3, "hrz").n_params == 3
    blocks = [hardware_efficient(2, 1), hardware_efficient(2, 1)]
    plain, n_in = encoded_circuit(blocks, "ry")
    again, n_in2 = encoded_circuit(blocks, "ry", reupload=True)
    assert n_in == n_in2 == 2
    assert plain.n_params == again.n_params == 2 + 8
    input_uses = [g.slot for g in again.gates if g.slot is not None and g.slot < 2]
    assert input_uses == [0, 1, 0, 1]
    with pytest.raises(InputError, match="`encoding`"):
        encoding_circuit(2, "amplitude")
