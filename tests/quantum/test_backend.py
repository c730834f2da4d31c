"""The backend seam: the statevector backend equals the module functions; the cotangent callback."""

from __future__ import annotations

import numpy as np
import pytest

from etr.circuits import hardware_efficient, sim_circuit
from etr.errors import InputError
from etr.quantum import (
    STATEVECTOR,
    Backend,
    ShotBackend,
    StatevectorBackend,
    as_backend,
    expectation_vjp,
    expectations,
    statevectors,
)

from .conftest import random_ansatz


def test_backends_satisfy_the_protocol():
    assert isinstance(StatevectorBackend(), Backend)
    assert isinstance(ShotBackend(10, seed=0), Backend)
    assert as_backend(None) is STATEVECTOR
    shots = ShotBackend(5)
    assert as_backend(shots) is shots
    with pytest.raises(InputError, match="`backend`"):
        as_backend("statevector")


@pytest.mark.parametrize("chunk", [1, 3, None])
def test_states_cover_every_row_in_order(chunk, rng):
    a = sim_circuit(11, 3, 2)  # complex circuit
    r = hardware_efficient(3, 2, rotations="RY", topology="ring")  # real circuit: float64 blocks
    for ansatz in (a, r):
        p = rng.uniform(0, 2 * np.pi, size=(7, ansatz.n_params))
        blocks = list(STATEVECTOR.states(ansatz, p, chunk_size=chunk))
        assert [rows.start for rows, _ in blocks] == sorted(rows.start for rows, _ in blocks)
        got = np.concatenate([b for _, b in blocks])
        np.testing.assert_allclose(got, statevectors(ansatz, p), atol=1e-14)


@pytest.mark.parametrize("seed", range(6))
def test_value_dependent_cotangent_equals_the_two_pass_computation(seed):
    """One forward pass with a callback gives what expectations-then-VJP gives (1e-12)."""
    a = random_ansatz(3, 14, seed)
    rng = np.random.default_rng(seed)
    p = rng.uniform(-4, 4, size=(9, a.n_params))
    obs = ["ZII", "IZI", "XIY", "global", "IYY"]
    mix = rng.normal(size=(len(obs), len(obs)))

    def cotangent(values, rows):
        return np.tanh(values @ mix) + rows.start  # depends on the values and on the rows

    exact = expectations(a, p, obs)
    want_w = np.tanh(exact @ mix) + np.arange(9)[:, None] // 2 * 2  # rows of chunks of 2
    _, want_g = expectation_vjp(a, p, obs, want_w)
    values, grads = STATEVECTOR.expectation_vjp(a, p, obs, cotangent, chunk_size=2)
    np.testing.assert_allclose(values, exact, atol=1e-13)
    np.testing.assert_allclose(grads, want_g, atol=1e-12)


def test_cotangent_callback_of_wrong_shape_is_rejected():
    a = hardware_efficient(2, 1)
    p = np.zeros((3, a.n_params))
    with pytest.raises(InputError, match="`cotangent`"):
        STATEVECTOR.expectation_vjp(a, p, ["ZI", "IZ"], lambda v, rows: v[:, :1])
    with pytest.raises(InputError, match="`cotangent`"):
        STATEVECTOR.expectation_vjp(a, p, ["ZI"], np.ones((2, 1)))
