"""The QuTiP reference of the density-matrix backend: Kraus maps on `qutip.Qobj` density matrices.

Per parameter row: rho = |0...0><0...0| (``qutip.ket2dm``); for every gate, in order, the
gate's full-register unitary from qutip-qip (``QubitCircuit.propagators``) as rho -> U rho U^dag,
then on each qubit the gate acts on the Kraus maps of depolarizing, amplitude damping and phase
damping, each rho -> sum_k K_k rho K_k^dag with the operators written here from their
definitions (depolarizing(p) with Pauli Kraus operators sqrt(1 - 3p/4) I, sqrt(p/4) X, Y, Z)
and expanded to the register with ``qutip.expand_operator``. Readout is modelled as a device
does it: a Pauli string is measured by rotating each non-identity qubit to the Z basis (H for
X, H S^dag for Y), flipping each measured bit with probability q (the bit-flip Kraus map), and
reading the Z string; the global projector by flipping every bit and reading |0...0><0...0|.
Gradients by the parameter-shift rule (exact here, the channels do not depend on parameters).

Nothing is shared with the fast backend (`etr.quantum.density`) but the gate list, the
qutip-qip conversion and the shift rule: it is the reference the fast path is tested against
(1e-10), and it is slow (one `Qobj` per row and gate).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

import numpy as np
import qutip

from etr.circuits.ansatz import Ansatz
from etr.errors import InputError
from etr.plan.noise import NoiseModel, check_density_width
from etr.quantum._params import check_params
from etr.quantum.observables import Observable
from etr.quantum.qutip_backend import ShiftGradients, qutip_observable, to_qubit_circuit
from etr.quantum.statevector import as_observables, chunks

__all__ = ["QutipDensityBackend", "qutip_density_matrix", "qutip_kraus"]


def qutip_kraus(noise: NoiseModel) -> list[list[qutip.Qobj]]:
    """The single-qubit Kraus sets in the order applied: depolarizing, amplitude damping, phase
    damping (channels with parameter 0 left out)."""
    p, g, lam = noise.depolarizing, noise.amplitude_damping, noise.phase_damping
    sets = []
    if p:
        sets.append([np.sqrt(1 - 3 * p / 4) * qutip.qeye(2), np.sqrt(p / 4) * qutip.sigmax(),
                     np.sqrt(p / 4) * qutip.sigmay(), np.sqrt(p / 4) * qutip.sigmaz()])
    if g:
        sets.append([qutip.Qobj([[1, 0], [0, np.sqrt(1 - g)]]),
                     qutip.Qobj([[0, np.sqrt(g)], [0, 0]])])
    if lam:
        sets.append([qutip.Qobj([[1, 0], [0, np.sqrt(1 - lam)]]),
                     qutip.Qobj([[0, 0], [0, np.sqrt(lam)]])])
    return sets


@lru_cache(maxsize=512)
def _expanded(noise: NoiseModel, n_qubits: int, qubit: int) -> tuple[tuple[qutip.Qobj, ...], ...]:
    return tuple(tuple(qutip.expand_operator(k, [2] * n_qubits, qubit) for k in kset)
                 for kset in qutip_kraus(noise))


def _kraus_map(rho: qutip.Qobj, kraus: tuple[qutip.Qobj, ...]) -> qutip.Qobj:
    return sum((k * rho * k.dag() for k in kraus[1:]), kraus[0] * rho * kraus[0].dag())


def qutip_density_matrix(ansatz: Ansatz, params: np.ndarray, noise: NoiseModel) -> qutip.Qobj:
    """The final density matrix of `ansatz` at one parameter vector under `noise` (module notes).

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(1, [("X", 0)])
    >>> qutip_density_matrix(a, [], NoiseModel(amplitude_damping=0.3)).full().real
    array([[0.3, 0. ],
           [0. , 0.7]])
    """
    n = ansatz.n_qubits
    qc = to_qubit_circuit(ansatz, params)
    rho = qutip.ket2dm(qutip.basis([2] * n, [0] * n))
    for gate, u in zip(ansatz.gates, qc.propagators(), strict=True):
        rho = u * rho * u.dag()
        for q in gate.qubits:
            for kraus in _expanded(noise, n, q):
                rho = _kraus_map(rho, kraus)
    return rho


_TO_Z = {"X": qutip.Qobj(np.array([[1, 1], [1, -1]]) / np.sqrt(2)),
         "Y": qutip.Qobj(np.array([[1, 1], [1, -1]]) / np.sqrt(2))
         * qutip.Qobj(np.diag([1, -1j]))}


def _readout_value(rho: qutip.Qobj, obs: Observable, q: float) -> float:
    """<O> as read out with bit flips of probability q (module notes)."""
    n = obs.n_qubits
    if obs.kind == "matrix":
        if q:
            raise InputError("`observables` must be Pauli strings or 'global' with readout noise")
        return float(qutip.expect(qutip_observable(obs), rho))
    if obs.kind == "global":
        measured = list(range(n))
        op = qutip_observable(obs)
    else:
        measured = [k for k, letter in enumerate(obs.label) if letter != "I"]
        for k in measured:
            letter = obs.label[k]
            if letter in _TO_Z:
                v = qutip.expand_operator(_TO_Z[letter], [2] * n, k)
                rho = v * rho * v.dag()
        op = qutip.tensor([qutip.sigmaz() if letter != "I" else qutip.qeye(2)
                           for letter in obs.label])
    if q:
        for k in measured:
            flip = (qutip.expand_operator(np.sqrt(1 - q) * qutip.qeye(2), [2] * n, k),
                    qutip.expand_operator(np.sqrt(q) * qutip.sigmax(), [2] * n, k))
            rho = _kraus_map(rho, flip)
    return float(qutip.expect(op, rho))


@dataclass(frozen=True, slots=True)
class QutipDensityBackend(ShiftGradients):
    """The QuTiP reference of `etr.quantum.DensityMatrixBackend` (module notes; slow).

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> b = QutipDensityBackend(NoiseModel(depolarizing=0.1, readout=0.1))
    >>> v = b.expectations(Ansatz.from_gates(1, [("RY", 0)]), [[0.3]], ["Z"])
    >>> bool(np.isclose(v[0, 0], 0.8 * 0.9 * np.cos(0.3)))
    True
    """

    noise: NoiseModel = field(default_factory=NoiseModel)
    name: ClassVar[str] = "qutip-density"
    exact: ClassVar[bool] = True

    def _rows(self, ansatz: Ansatz, params: np.ndarray) -> np.ndarray:
        if not isinstance(self.noise, NoiseModel):
            raise InputError("`noise` must be an etr.quantum.NoiseModel")
        check_density_width(ansatz.n_qubits)
        return check_params(ansatz, params)

    def states(self, ansatz: Ansatz, params: np.ndarray, *, chunk_size: int | None = None
               ) -> Iterator[tuple[slice, np.ndarray]]:
        """``(rows, density matrices (b, 2**n, 2**n))`` per chunk."""
        theta = self._rows(ansatz, params)
        for rows in chunks(theta.shape[0], 2 * ansatz.n_qubits, chunk_size):
            yield rows, np.stack([qutip_density_matrix(ansatz, row, self.noise).full()
                                  for row in theta[rows]])

    def expectations(self, ansatz: Ansatz, params: np.ndarray, observables: object, *,
                     chunk_size: int | None = None) -> np.ndarray:
        """Read-out expectation values ``(B, M)``."""
        theta = self._rows(ansatz, params)
        obs = as_observables(observables, ansatz.n_qubits)
        out = np.empty((theta.shape[0], len(obs)))
        for b, row in enumerate(theta):
            rho = qutip_density_matrix(ansatz, row, self.noise)
            out[b] = [_readout_value(rho, o, self.noise.readout) for o in obs]
        return out
