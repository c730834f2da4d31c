from __future__ import annotations

import pytest

from etr.errors import InputError
from etr.plan import Architecture, parse_classical


def test_ids_are_stable_and_sensitive_to_every_factor():
    a = Architecture()
    assert a.architecture_id == Architecture().architecture_id
    assert len(a.architecture_id) == 12
    changed = Architecture(classical_pre="8-tanh")
    assert changed.architecture_id != a.architecture_id
    assert changed.pqc_id == a.pqc_id  # the quantum part is the same
    assert Architecture(layers=3).pqc_id != a.pqc_id


def test_library_circuit_and_without_classical():
    a = Architecture.from_dict(
        {"family": "sim", "circuit": "sim11", "n_qubits": 4, "layers": 2, "classical_pre": "8-tanh"}
    )
    assert a.topology == "n/a" and a.ansatz().n_params == 24
    assert a.without_classical().classical_pre == "none"
    assert "sim11" in a.label()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"colour": "red"}, "unknown architecture key"),
        ({"family": "qcnn"}, "`family` must be one of"),
        ({"topology": "mesh"}, "`topology`"),
        ({"classical_pre": "eight-tanh"}, "`classical_pre`"),
        ({"classical_post": "8-swish"}, "activation"),
        ({"n_qubits": 0}, "`n_qubits` must be >= 1"),
        ({"family": "sim", "circuit": "sim42"}, "`index` must be <= 19"),
    ],
)
def test_bad_architectures(values, message):
    with pytest.raises(InputError, match=message):
        Architecture.from_dict(values)


def test_parse_classical():
    assert parse_classical("16-8-relu") == ((16, 8), "relu")
    assert parse_classical("none") == ((), "linear")
    with pytest.raises(InputError):
        parse_classical("0-tanh")
