"""The frame potential of density matrices F_t = E tr(rho sigma)^t."""

from __future__ import annotations

import numpy as np
import pytest

from etr.circuits import hardware_efficient, sim_circuit
from etr.errors import InputError
from etr.metrics import (
    density_frame_potential,
    density_frame_potential_from_states,
    frame_potential,
    frame_potential_from_states,
)
from etr.quantum import NoiseModel


def haar_states(m: int, d: int, rng: np.random.Generator) -> np.ndarray:
    z = rng.normal(size=(m, d)) + 1j * rng.normal(size=(m, d))
    return z / np.linalg.norm(z, axis=1, keepdims=True)


@pytest.mark.parametrize("t", [1, 2, 3])
def test_pure_ensembles_equal_the_state_frame_potential(t):
    """Same states as kets and as |psi><psi|: the same estimate and SE (rounding)."""
    rng = np.random.default_rng(t)
    psi = haar_states(300, 8, rng)
    a = frame_potential_from_states(psi, t=t)
    b = density_frame_potential_from_states(np.einsum("bi,bj->bij", psi, psi.conj()), t=t)
    assert b.estimate == pytest.approx(a.estimate, rel=1e-12)
    assert b.se == pytest.approx(a.se, rel=1e-9)
    assert b.haar == a.haar and b.n_states == 300 and "tr(rho sigma)" in b.method


def test_pure_circuit_ensemble_equals_the_state_one():
    """A noiseless circuit through the density-matrix backend: the state frame potential from
    the same seed (the same parameter draws)."""
    a = sim_circuit(11, 3, 2)
    want = frame_potential(a, n_states=400, seed=5)
    got = density_frame_potential(a, n_states=400, seed=5)
    assert got.estimate == pytest.approx(want.estimate, rel=1e-10)
    assert got.seed == 5


def test_maximally_mixed_and_depolarized_haar_closed_forms():
    """I/d alone: d^-t. One-qubit Haar states depolarized to Bloch length s: tr(rho sigma) =
    (1 + s^2 cos w) / 2 with cos w uniform on [-1, 1], so F_2 = (1 + s^4 / 3) / 4; the
    interval covers it."""
    mixed = np.tile(np.eye(8) / 8, (20, 1, 1))
    assert density_frame_potential_from_states(mixed, t=3).estimate == pytest.approx(8.0**-3)
    rng = np.random.default_rng(11)
    s = 0.6
    psi = haar_states(4000, 2, rng)
    rho = s * np.einsum("bi,bj->bij", psi, psi.conj()) + (1 - s) * np.eye(2) / 2
    r = density_frame_potential_from_states(rho)
    want = (1 + s**4 / 3) / 4
    assert r.ci_low < want < r.ci_high
    assert r.ratio < 1  # mixed: below the pure Haar value 1/3


def test_noise_lowers_the_frame_potential_towards_its_mixed_limit():
    a = hardware_efficient(2, 2)
    f = [density_frame_potential(a, NoiseModel(depolarizing=p), n_states=300, seed=2).estimate
         for p in (0.0, 0.02, 1.0)]
    assert f[0] > f[1] > f[2]
    assert f[2] == pytest.approx(0.25**2, abs=1e-12)  # every state I/4 after full depolarizing


def test_bad_states():
    with pytest.raises(InputError, match="`states`"):
        density_frame_potential_from_states(np.zeros((3, 4)))
    with pytest.raises(InputError, match="Hermitian"):
        density_frame_potential_from_states(np.tile([[1, 1], [0, 0]], (3, 1, 1)))
    with pytest.raises(InputError, match="unit trace"):
        density_frame_potential_from_states(np.tile(np.eye(2), (3, 1, 1)))
    with pytest.raises(InputError, match="at least 2"):
        density_frame_potential_from_states(np.eye(2)[None] / 2)
    with pytest.raises(InputError, match="`t`"):
        density_frame_potential_from_states(np.tile(np.eye(2) / 2, (3, 1, 1)), t=0)
