"""Random circuits for the quantum tests: every gate kind, fixed angles and shared slots."""

from __future__ import annotations

import numpy as np
import pytest

from etr.circuits import GATES, Ansatz, Gate


def random_ansatz(n_qubits: int, n_gates: int, seed: int, *, n_slots: int = 4,
                  kinds: tuple[str, ...] | None = None) -> Ansatz:
    """A random circuit; slots are drawn from `n_slots` values so several gates share a slot."""
    rng = np.random.default_rng(seed)
    names = sorted(kinds or GATES)
    if n_qubits == 1:
        names = [k for k in names if GATES[k].n_qubits == 1]
    gates: list[Gate] = []
    any_fixed = False
    for _ in range(n_gates):
        kind = GATES[names[rng.integers(len(names))]]
        qubits = tuple(int(q) for q in rng.choice(n_qubits, size=kind.n_qubits, replace=False))
        if not kind.rotation:
            gates.append(Gate(kind.name, qubits))
        elif rng.random() < 0.25 or not any_fixed:
            gates.append(Gate(kind.name, qubits, None, float(rng.uniform(-4, 4))))
            any_fixed = True
        else:
            gates.append(Gate(kind.name, qubits, int(rng.integers(n_slots)), None))
    return Ansatz(n_qubits, tuple(gates), name=f"random{seed}")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def uniform_params(ansatz: Ansatz, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` parameter vectors uniform on [0, 2pi)."""
    return rng.uniform(0, 2 * np.pi, size=(n, ansatz.n_params))


@pytest.fixture(name="random_ansatz")
def _random_ansatz_fixture():
    return random_ansatz


@pytest.fixture(name="uniform_params")
def _uniform_params_fixture():
    return uniform_params


@pytest.fixture(params=["ops", "rows"])
def engine(request, monkeypatch) -> str:
    """Run the test on both simulation engines: the fused operations one by one over a chunk
    (`ops`) and the row-by-row kernels (`rows`, `etr.quantum._kernels_rows`), whatever the
    width (`etr.quantum.statevector.ROW_ENGINE_QUBITS`)."""
    import etr.quantum.statevector as statevector

    monkeypatch.setattr(statevector, "ROW_ENGINE_QUBITS", 99 if request.param == "ops" else 0)
    return request.param
