"""The QuTiP reference: conversion of an `Ansatz` to a qutip-qip `QubitCircuit` and its simulation.

This is the only module that imports ``qutip_qip``. qutip-qip changed how gates are created between
0.3, 0.4 and 0.5; with 0.4 every gate is added by name through `QubitCircuit.add_gate`, with
``controls=`` / ``targets=`` for controlled gates (``CRX``, ``CRY``, ``CRZ`` exist in 0.4 as
one-controlled gates). QuTiP's ``RX(t)`` is exp(-i t X / 2), the etr convention; the tests check
every gate kind against etr's own matrices.
"""

from __future__ import annotations

import numpy as np
import qutip
from qutip_qip.circuit import QubitCircuit

from etr.circuits.ansatz import Ansatz
from etr.quantum._params import check_params

__all__ = ["qutip_statevector", "qutip_statevectors", "to_qubit_circuit"]

# etr gate name -> qutip-qip 0.4 gate name
_QUTIP_NAMES: dict[str, str] = {
    "H": "SNOT", "X": "X", "Y": "Y", "Z": "Z", "S": "S", "T": "T",
    "RX": "RX", "RY": "RY", "RZ": "RZ",
    "CZ": "CSIGN", "CNOT": "CNOT", "SWAP": "SWAP",
    "CRX": "CRX", "CRY": "CRY", "CRZ": "CRZ",
}


def to_qubit_circuit(ansatz: Ansatz, params: np.ndarray) -> QubitCircuit:
    """Build the qutip-qip circuit of `ansatz` at one parameter vector.

    Parameters
    ----------
    ansatz : the circuit.
    params : array of shape ``(ansatz.n_params,)``.

    Returns
    -------
    qutip_qip.circuit.QubitCircuit

    Raises
    ------
    etr.errors.InputError
        `params` does not have shape ``(n_params,)``.

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(2, [("RY", 0), ("CRX", 0, 1)])
    >>> [g.name for g in to_qubit_circuit(a, [0.1, 0.2]).gates]
    ['RY', 'CRX']
    """
    theta = check_params(ansatz, params, single=True)[0]
    qc = QubitCircuit(ansatz.n_qubits)
    for gate in ansatz.gates:
        name = _QUTIP_NAMES[gate.name]
        kind = gate.kind
        kwargs: dict[str, object] = {}
        if kind.rotation:
            kwargs["arg_value"] = float(theta[gate.slot] if gate.slot is not None else gate.angle)
        if kind.controlled:
            kwargs["controls"] = [gate.qubits[0]]
            kwargs["targets"] = [gate.qubits[1]]
        else:
            kwargs["targets"] = list(gate.qubits)
        qc.add_gate(name, **kwargs)
    return qc


def qutip_statevector(ansatz: Ansatz, params: np.ndarray) -> qutip.Qobj:
    """Simulate `ansatz` with QuTiP (`QubitCircuit.run` on |0...0>); the reference path.

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(1, [("RY", 0)])
    >>> round(float(abs(qutip_statevector(a, [np.pi]).full()[1, 0])), 6)
    1.0
    """
    qc = to_qubit_circuit(ansatz, params)
    n = ansatz.n_qubits
    return qc.run(qutip.basis([2] * n, [0] * n))


def qutip_statevectors(ansatz: Ansatz, params: np.ndarray) -> np.ndarray:
    """`qutip_statevector` for each row of `params` (shape ``(B, P)``), stacked to ``(B, 2**n)``."""
    theta = check_params(ansatz, params)
    out = np.empty((theta.shape[0], 2**ansatz.n_qubits), dtype=np.complex128)
    for b, row in enumerate(theta):
        out[b] = qutip_statevector(ansatz, row).full().ravel()
    return out
