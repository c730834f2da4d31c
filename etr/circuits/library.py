"""The circuit library of Sim, Johnson and Aspuru-Guzik 2019 (arXiv 1905.10876, Fig. 2).

Each circuit is one layer; `layers` repeats it with fresh parameters. The figure draws 4 qubits; the
patterns generalise to any n >= 2 as below (for n = 4 they are gate for gate the figure's, with
qubit 0 the top wire). "CR(c->t)" is a controlled rotation with control c and target t.

====  ====================================================================================  =====
 #    one layer                                                                             4q #θ
====  ====================================================================================  =====
 1    RX, RZ on every qubit                                                                   8
 2    RX, RZ on every qubit; CNOT ladder (i+1 -> i) for i = n-2 .. 0                          8
 3    as 2 with CRZ instead of CNOT                                                          11
 4    as 2 with CRX                                                                          11
 5    RX, RZ; CRZ from every qubit to every other (controls n-1 .. 0); RX, RZ                28
 6    as 5 with CRX                                                                          28
 7    RX, RZ; CRZ (1->0), (3->2), ...; RX, RZ; CRZ (2->1), (4->3), ...                       19
 8    as 7 with CRX                                                                          19
 9    H on every qubit; CZ ladder (i+1, i) for i = n-2 .. 0; RX on every qubit                4
10    RY; CZ ring (i+1, i) for i = n-2 .. 0 and (n-1, 0); RY                                  8
11    RY, RZ; CNOT (1->0), (3->2), ...; RY, RZ on qubits 1..n-2; CNOT (2->1), (4->3), ...    12
12    as 11 with CZ                                                                          12
13    RY; CRZ ring (i -> i+1 mod n) for i = n-1 .. 0; RY; CRZ ring (i -> i-1 mod n) for
      i = n-1, 0, 1, .., n-2                                                                 16
14    as 13 with CRX                                                                         16
15    as 13 with CNOT (no parameters in the entanglers)                                        8
16    RX, RZ; CRZ (1->0), (3->2), ...; CRZ (2->1), (4->3), ...                               11
17    as 16 with CRX                                                                         11
18    RX, RZ; CRZ ring (i -> i+1 mod n) for i = n-1 .. 0                                     12
19    as 18 with CRX                                                                         12
====  ====================================================================================  =====

References
----------
Sim, S., Johnson, P. D., Aspuru-Guzik, A. (2019). Expressibility and entangling capability of
parameterized quantum circuits for hybrid quantum-classical algorithms. Adv. Quantum Technol. 2,
1900070. arXiv:1905.10876.
"""

from __future__ import annotations

from collections.abc import Callable

from etr._validation import check_int, echo
from etr.circuits.ansatz import Ansatz
from etr.errors import InputError

__all__ = ["SIM_CIRCUITS", "SIM_PARAMS_4Q", "sim_circuit"]

Gates = list[tuple]


def _rot(names: tuple[str, ...], qubits: range | list[int]) -> Gates:
    return [(r, q) for q in qubits for r in names]


def _ladder(gate: str, n: int) -> Gates:
    return [(gate, i + 1, i) for i in reversed(range(n - 1))]


def _all_to_all(gate: str, n: int) -> Gates:
    return [(gate, c, t) for c in reversed(range(n)) for t in reversed(range(n)) if t != c]


def _pairs_even(gate: str, n: int) -> Gates:
    return [(gate, i + 1, i) for i in range(0, n - 1, 2)]


def _pairs_odd(gate: str, n: int) -> Gates:
    return [(gate, i + 1, i) for i in range(1, n - 1, 2)]


def _ring_forward(gate: str, n: int) -> Gates:
    return [(gate, i, (i + 1) % n) for i in reversed(range(n))] if n > 2 else [(gate, 1, 0)]


def _ring_backward(gate: str, n: int) -> Gates:
    order = [n - 1, *range(n - 1)]
    return [(gate, i, (i - 1) % n) for i in order] if n > 2 else [(gate, 0, 1)]


def _cz_ring(n: int) -> Gates:
    return _ladder("CZ", n) + ([("CZ", n - 1, 0)] if n > 2 else [])


XZ = ("RX", "RZ")
YZ = ("RY", "RZ")


def _layer(index: int, n: int) -> Gates:
    q = range(n)
    inner = range(1, n - 1)
    builders: dict[int, Callable[[], Gates]] = {
        1: lambda: _rot(XZ, q),
        2: lambda: _rot(XZ, q) + _ladder("CNOT", n),
        3: lambda: _rot(XZ, q) + _ladder("CRZ", n),
        4: lambda: _rot(XZ, q) + _ladder("CRX", n),
        5: lambda: _rot(XZ, q) + _all_to_all("CRZ", n) + _rot(XZ, q),
        6: lambda: _rot(XZ, q) + _all_to_all("CRX", n) + _rot(XZ, q),
        7: lambda: _rot(XZ, q) + _pairs_even("CRZ", n) + _rot(XZ, q) + _pairs_odd("CRZ", n),
        8: lambda: _rot(XZ, q) + _pairs_even("CRX", n) + _rot(XZ, q) + _pairs_odd("CRX", n),
        9: lambda: [("H", i) for i in q] + _ladder("CZ", n) + _rot(("RX",), q),
        10: lambda: _rot(("RY",), q) + _cz_ring(n) + _rot(("RY",), q),
        11: lambda: _rot(YZ, q) + _pairs_even("CNOT", n) + _rot(YZ, inner) + _pairs_odd("CNOT", n),
        12: lambda: _rot(YZ, q) + _pairs_even("CZ", n) + _rot(YZ, inner) + _pairs_odd("CZ", n),
        13: lambda: _rot(("RY",), q) + _ring_forward("CRZ", n) + _rot(("RY",), q)
        + _ring_backward("CRZ", n),
        14: lambda: _rot(("RY",), q) + _ring_forward("CRX", n) + _rot(("RY",), q)
        + _ring_backward("CRX", n),
        15: lambda: _rot(("RY",), q) + _ring_forward("CNOT", n) + _rot(("RY",), q)
        + _ring_backward("CNOT", n),
        16: lambda: _rot(XZ, q) + _pairs_even("CRZ", n) + _pairs_odd("CRZ", n),
        17: lambda: _rot(XZ, q) + _pairs_even("CRX", n) + _pairs_odd("CRX", n),
        18: lambda: _rot(XZ, q) + _ring_forward("CRZ", n),
        19: lambda: _rot(XZ, q) + _ring_forward("CRX", n),
    }
    return builders[index]()


SIM_CIRCUITS: tuple[int, ...] = tuple(range(1, 20))
SIM_PARAMS_4Q: dict[int, int] = {
    1: 8, 2: 8, 3: 11, 4: 11, 5: 28, 6: 28, 7: 19, 8: 19, 9: 4, 10: 8,
    11: 12, 12: 12, 13: 16, 14: 16, 15: 8, 16: 11, 17: 11, 18: 12, 19: 12,
}


def _parse_index(index: int | str) -> int:
    if isinstance(index, str):
        text = index.lower().removeprefix("sim")
        if not (text.isascii() and text.isdigit()):
            raise InputError(f"`index` must be 1..19 or 'sim1'..'sim19', got {echo(index)}")
        index = int(text)
    return check_int("index", index, minimum=1, maximum=19)


def sim_circuit(index: int | str, n_qubits: int = 4, layers: int = 1) -> Ansatz:
    """Circuit `index` (1-19) of Sim et al. 2019, repeated `layers` times.

    Parameters
    ----------
    index : 1..19, or a name ``"sim1"`` .. ``"sim19"``.
    n_qubits : number of qubits (>= 2; the paper draws 4).
    layers : number of repetitions L (>= 1), each with fresh parameters.

    Returns
    -------
    Ansatz
        Named ``sim{index}``; its `info` records family, circuit, n_qubits and layers.

    Examples
    --------
    >>> sim_circuit(11).n_params
    12
    >>> sim_circuit("sim9", n_qubits=4, layers=2).n_params
    8
    """
    idx = _parse_index(index)
    n = check_int("n_qubits", n_qubits, minimum=2)
    n_layers = check_int("layers", layers, minimum=1)
    gates = _layer(idx, n) * n_layers
    a = Ansatz.from_gates(n, gates, name=f"sim{idx}")
    meta = (("family", "sim"), ("circuit", f"sim{idx}"), ("n_qubits", n), ("layers", n_layers))
    return Ansatz(a.n_qubits, a.gates, name=f"sim{idx}", meta=meta)
