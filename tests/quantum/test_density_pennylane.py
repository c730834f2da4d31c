"""The density-matrix backend against an independent simulator: PennyLane ``default.mixed``
(its own channels and backprop gradients). Needs the ``bench`` extra."""

from __future__ import annotations

import numpy as np
import pytest

from etr.circuits import hardware_efficient
from etr.quantum import DensityMatrixBackend, NoiseModel

from .conftest import random_ansatz

pytestmark = pytest.mark.slow
qml = pytest.importorskip("pennylane")
pnp = pytest.importorskip("pennylane.numpy")

FIXED = {"H": "Hadamard", "X": "PauliX", "Y": "PauliY", "Z": "PauliZ", "S": "S", "T": "T",
         "CZ": "CZ", "CNOT": "CNOT", "SWAP": "SWAP"}


def pennylane_circuit(ansatz, noise: NoiseModel, observables: list[str]):
    """A default.mixed QNode of `ansatz` with etr's noise placement; depolarizing(p) is
    PennyLane's DepolarizingChannel(3p/4) (Pauli-error probability); readout as a BitFlip(q)
    on each measured wire (Z strings only)."""
    n = ansatz.n_qubits
    dev = qml.device("default.mixed", wires=n)

    @qml.qnode(dev, diff_method="backprop", interface="autograd")
    def circuit(theta):
        for g in ansatz.gates:
            wires = list(g.qubits)
            if g.kind.rotation:
                angle = theta[g.slot] if g.slot is not None else g.angle
                getattr(qml, g.name)(angle, wires=wires)
            else:
                getattr(qml, FIXED[g.name])(wires=wires)
            for w in wires:
                qml.DepolarizingChannel(0.75 * noise.depolarizing, wires=w)
                qml.AmplitudeDamping(noise.amplitude_damping, wires=w)
                qml.PhaseDamping(noise.phase_damping, wires=w)
        # a flip of a wire outside a Z string leaves that string's expectation unchanged, so
        # one BitFlip on every measured wire serves all observables
        for w in sorted({k for label in observables for k, c in enumerate(label) if c == "Z"}):
            qml.BitFlip(noise.readout, wires=w)
        out = []
        for label in observables:
            assert set(label) <= {"I", "Z"}
            measured = [k for k, c in enumerate(label) if c == "Z"]
            op = qml.PauliZ(measured[0])
            for w in measured[1:]:
                op = op @ qml.PauliZ(w)
            out.append(qml.expval(op))
        return out

    return circuit


@pytest.mark.parametrize("noise", [NoiseModel(0.05, 0.1, 0.08), NoiseModel(0.2, 0.0, 0.0, 0.1),
                                   NoiseModel(0.0, 0.3, 0.0, 0.05)])
@pytest.mark.parametrize("seed", range(3))
def test_values_and_gradients_match_pennylane_default_mixed(noise, seed):
    a = random_ansatz(3, 18, seed)
    obs = ["ZII", "IZZ", "ZIZ"]
    circuit = pennylane_circuit(a, noise, obs)
    rng = np.random.default_rng(seed)
    w = rng.normal(size=len(obs))
    fast = DensityMatrixBackend(noise)
    for theta in rng.uniform(-4, 4, size=(2, a.n_params)):
        want_v = np.array(circuit(pnp.array(theta, requires_grad=False)), dtype=float)
        want_g = qml.grad(lambda t: pnp.dot(pnp.stack(circuit(t)), w))(
            pnp.array(theta, requires_grad=True))
        v, g = fast.expectation_vjp(a, theta, obs, w[None, :])
        np.testing.assert_allclose(v[0], want_v, atol=1e-10)
        np.testing.assert_allclose(g[0], np.asarray(want_g), atol=1e-10)


def test_hardware_efficient_six_qubits_matches_pennylane():
    a = hardware_efficient(6, 2, rotations="RY+RZ", topology="ring")
    noise = NoiseModel(0.01, 0.02, 0.01, 0.02)
    obs = ["ZIIIII", "IIIZZI"]
    circuit = pennylane_circuit(a, noise, obs)
    theta = np.random.default_rng(0).uniform(0, 2 * np.pi, a.n_params)
    want_g = qml.grad(lambda t: pnp.sum(pnp.stack(circuit(t))))(pnp.array(theta,
                                                                         requires_grad=True))
    v, g = DensityMatrixBackend(noise).expectation_vjp(a, theta, obs, np.ones((1, 2)))
    np.testing.assert_allclose(v[0], np.array(circuit(theta), dtype=float), atol=1e-10)
    np.testing.assert_allclose(g[0], np.asarray(want_g), atol=1e-10)
