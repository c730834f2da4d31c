"""The one backend factory: run settings (exact / shots / noise) -> backend, and the reference."""

from __future__ import annotations

import numpy as np
import pytest

from etr.circuits import hardware_efficient
from etr.errors import InputError
from etr.plan import RunSettings
from etr.quantum import (
    STATEVECTOR,
    DensityMatrixBackend,
    NoiseModel,
    QutipBackend,
    QutipDensityBackend,
    ShotBackend,
    backend_for,
    noise_of,
)

NOISY = NoiseModel(depolarizing=0.02, amplitude_damping=0.01, readout=0.03)


def test_the_table_of_the_module_notes():
    assert backend_for() is STATEVECTOR
    assert backend_for(RunSettings()) is STATEVECTOR
    shots = backend_for(RunSettings(shots=64), seed=1)
    assert isinstance(shots, ShotBackend) and shots.base is STATEVECTOR and shots.shots == 64
    dens = backend_for(RunSettings(noise=NOISY))
    assert isinstance(dens, DensityMatrixBackend) and dens.noise == NOISY
    both = backend_for(RunSettings(noise=NOISY, shots=32), seed=2)
    assert isinstance(both, ShotBackend) and isinstance(both.base, DensityMatrixBackend)
    assert backend_for(RunSettings(noise=NoiseModel(readout=0.1))).name == "density"


def test_exact_drops_the_shots_and_keeps_the_noise():
    assert backend_for(RunSettings(shots=10), exact=True) is STATEVECTOR
    kept = backend_for(RunSettings(shots=10, noise=NOISY), exact=True)
    assert isinstance(kept, DensityMatrixBackend) and kept.noise == NOISY


def test_reference_is_qutip():
    assert isinstance(backend_for(reference=True), QutipBackend)
    ref = backend_for(noise=NOISY, reference=True)
    assert isinstance(ref, QutipDensityBackend) and ref.noise == NOISY
    wrapped = backend_for(noise=NOISY, shots=5, reference=True)
    assert isinstance(wrapped.base, QutipDensityBackend)


def test_the_seed_is_the_shot_stream():
    a = hardware_efficient(2, 1)
    p = np.full((50, a.n_params), 0.4)
    draws = [backend_for(RunSettings(shots=20), seed=np.random.default_rng(7)).expectations(
        a, p, ["ZI"]) for _ in range(2)]
    np.testing.assert_array_equal(*draws)
    direct = ShotBackend(20, np.random.default_rng(7)).expectations(a, p, ["ZI"])
    np.testing.assert_array_equal(draws[0], direct)


def test_noise_of_follows_the_wrapper():
    assert noise_of(STATEVECTOR).noiseless
    assert noise_of(backend_for(noise=NOISY, shots=3)) == NOISY
    assert noise_of(backend_for(noise=NOISY, reference=True)) == NOISY


def test_bad_arguments_are_one_line():
    with pytest.raises(InputError, match="not both"):
        backend_for(RunSettings(), shots=3)
    with pytest.raises(InputError, match="`noise`"):
        backend_for(noise={"depolarizing": 0.1})
    with pytest.raises(InputError, match="`shots`"):
        backend_for(shots=0)
    with pytest.raises(InputError, match="`noise`"):
        RunSettings(noise=0.1)
