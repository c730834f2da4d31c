"""The noise model: validation, and its channel forms against the Kraus operators of the issue."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etr.errors import InputError
from etr.plan.noise import NOISE_CHANNELS
from etr.quantum import NoiseModel

I2 = np.eye(2, dtype=complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]])
Z = np.diag([1.0, -1.0]).astype(complex)

PAULIS = (X, Y, Z)


def kraus_apply(kraus, rho):
    return sum(k @ rho @ k.conj().T for k in kraus)


def issue_channel(p, g, lam, rho):
    """The channel written from the issue's formulas: depolarizing, then AD, then PD."""
    rho = (1 - p) * rho + p * np.trace(rho) * I2 / 2
    rho = kraus_apply([np.array([[1, 0], [0, np.sqrt(1 - g)]]),
                       np.array([[0, np.sqrt(g)], [0, 0]])], rho)
    return kraus_apply([np.array([[1, 0], [0, np.sqrt(1 - lam)]]),
                        np.array([[0, 0], [0, np.sqrt(lam)]])], rho)


def bloch(rho):
    return np.array([np.trace(rho @ s).real for s in PAULIS])


def random_rho(rng):
    z = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    rho = z @ z.conj().T
    return rho / np.trace(rho)


@pytest.mark.parametrize("name", NOISE_CHANNELS)
@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), "0.1", True, None])
def test_each_parameter_is_a_probability(name, bad):
    with pytest.raises(InputError, match=f"^`{name}` must be a probability in \\[0, 1\\]"):
        NoiseModel(**{name: bad})


def test_frozen_hashable_and_recorded():
    noise = NoiseModel(depolarizing=0.01, readout=np.float64(0.02))
    assert noise == NoiseModel(0.01, 0.0, 0.0, 0.02)
    assert hash(noise) == hash(NoiseModel(0.01, 0.0, 0.0, 0.02))
    assert isinstance(noise.readout, float)
    with pytest.raises(AttributeError):
        noise.depolarizing = 0.5
    frame = noise.to_frame()
    assert list(frame.columns) == list(NOISE_CHANNELS)
    pd.testing.assert_frame_equal(frame, pd.DataFrame([noise.as_dict()]))
    assert NoiseModel().noiseless and NoiseModel(readout=0.1).gate_noiseless
    assert not NoiseModel(readout=0.1).noiseless
    assert not NoiseModel(phase_damping=0.1).gate_noiseless


@pytest.mark.parametrize("params", [(0.0, 0.0, 0.0), (0.3, 0.0, 0.0), (0.0, 0.4, 0.0),
                                    (0.0, 0.0, 0.7), (0.2, 0.5, 0.3), (1.0, 1.0, 1.0)])
def test_kraus_transfer_and_bloch_forms_agree_with_the_issue(params):
    rng = np.random.default_rng(7)
    noise = NoiseModel(*params)
    kraus = noise.kraus()
    np.testing.assert_allclose(sum(k.conj().T @ k for k in kraus), I2, atol=1e-14)
    m, c = noise.transfer()
    a, t = noise.bloch_map()
    for _ in range(5):
        rho = random_rho(rng)
        want = issue_channel(*params, rho)
        np.testing.assert_allclose(kraus_apply(kraus, rho), want, atol=1e-14)
        pops = m @ np.array([rho[0, 0], rho[1, 1]])
        got = np.array([[pops[0], c * rho[0, 1]], [c * rho[1, 0], pops[1]]])
        np.testing.assert_allclose(got, want, atol=1e-14)
        np.testing.assert_allclose(a @ bloch(rho) + t, bloch(want), atol=1e-14)
    assert np.allclose(m.sum(axis=0), 1.0)  # trace preserving: columns sum to 1


def test_references_bloch_maps():
    """Nielsen & Chuang sec. 8.3: depolarizing scales r by (1-p); AD (x, y, z) -> (sqrt(1-g) x,
    sqrt(1-g) y, g + (1-g) z); PD (sqrt(1-l) x, sqrt(1-l) y, z)."""
    r = np.array([0.3, -0.5, 0.6])
    a, t = NoiseModel(depolarizing=0.2).bloch_map()
    np.testing.assert_allclose(a @ r + t, 0.8 * r)
    a, t = NoiseModel(amplitude_damping=0.19).bloch_map()
    np.testing.assert_allclose(a @ r + t, [0.9 * 0.3, 0.9 * -0.5, 0.19 + 0.81 * 0.6])
    a, t = NoiseModel(phase_damping=0.36).bloch_map()
    np.testing.assert_allclose(a @ r + t, [0.8 * 0.3, 0.8 * -0.5, 0.6])


def test_readout_factor():
    assert NoiseModel(readout=0.1).readout_factor(3) == pytest.approx(0.8**3)
    assert NoiseModel(readout=0.5).readout_factor(1) == 0.0
    assert NoiseModel(readout=1.0).readout_factor(1) == -1.0
