"""Every metric that simulates goes through the backend seam.

* A proxy backend that hands the statevector backend's states on, but is not the statevector
  backend (so the metrics take their generic path), gives every metric bit for bit the numbers
  of the default path: the seam changes nothing under the default settings.
* The QuTiP reference (an independent simulator, `etr.quantum.backend_for(reference=True)`)
  agrees with the fast path to rounding on the same random draws.
* Noise: closed forms (one-qubit depolarizing and amplitude damping), the noiseless limit of the
  density-matrix backend, and the refusals where a metric is a pure-state quantity.
"""

from __future__ import annotations

import numpy as np
import pytest

from etr.circuits import Ansatz, hardware_efficient, sim_circuit
from etr.errors import InputError
from etr.metrics import (
    entangling_capability,
    expressibility,
    frame_potential,
    gradient_variance,
    state_purity,
)
from etr.metrics.expressibility import pair_fidelities
from etr.quantum import (
    STATEVECTOR,
    DensityMatrixBackend,
    NoiseModel,
    backend_for,
)
from etr.theory import measured_loss_variance, qfim_rank


class Proxy:
    """The statevector backend's numbers behind another class (the generic path)."""

    name = "proxy"
    exact = True

    def states(self, ansatz, params, *, chunk_size=None):
        return STATEVECTOR.states(ansatz, params, chunk_size=chunk_size)

    def expectations(self, ansatz, params, observables, *, chunk_size=None):
        return STATEVECTOR.expectations(ansatz, params, observables, chunk_size=chunk_size)

    def expectation_vjp(self, ansatz, params, observables, cotangent, *, wrt=None,
                        chunk_size=None):
        return STATEVECTOR.expectation_vjp(ansatz, params, observables, cotangent,
                                           chunk_size=chunk_size)


CIRCUITS = [hardware_efficient(3, 2, topology="ring"),  # complex states
            hardware_efficient(3, 2, rotations="RY", topology="linear"),  # real states
            sim_circuit(11, 4, 1)]


@pytest.mark.parametrize("ansatz", CIRCUITS, ids=["hea-ring", "hea-real", "sim11"])
def test_the_generic_path_is_bit_identical_to_the_default(ansatz):
    proxy = Proxy()
    a = frame_potential(ansatz, n_states=300, seed=3)
    b = frame_potential(ansatz, n_states=300, seed=3, backend=proxy)
    assert (a.estimate, a.se, a.ratio) == (b.estimate, b.se, b.ratio)
    ka = expressibility(ansatz, n_pairs=200, seed=4, n_boot=10)
    kb = expressibility(ansatz, n_pairs=200, seed=4, n_boot=10, backend=proxy)
    assert ka == kb
    assert entangling_capability(ansatz, n_samples=40, seed=5) == entangling_capability(
        ansatz, n_samples=40, seed=5, backend=proxy)
    obs = [(1.0 / ansatz.n_qubits, "Z" + "I" * (ansatz.n_qubits - 1))]
    la = measured_loss_variance(ansatz, obs, n_samples=100, seed=6)
    lb = measured_loss_variance(ansatz, obs, n_samples=100, seed=6, backend=proxy)
    assert (la.value, la.se, la.mean) == (lb.value, lb.se, lb.mean)
    qa = qfim_rank(ansatz, n_samples=2, seed=7)
    qb = qfim_rank(ansatz, n_samples=2, seed=7, backend=proxy)
    assert qa.ranks == qb.ranks
    ga = gradient_variance(ansatz, n_samples=30, seed=8)
    gb = gradient_variance(ansatz, n_samples=30, seed=8, backend=proxy)
    np.testing.assert_array_equal(ga.variance, gb.variance)


def _assert_overlaps_agree(a: Ansatz, backend, *, draws: int, seed: int, ec_samples: int,
                           ec_seed: int) -> np.ndarray:
    """`backend` and the default path give the same pair fidelities on the same `draws` random
    parameter pairs and the same entangling capability, to rounding; returns the first
    parameters of the pairs."""
    rng = np.random.default_rng(seed)
    theta, phi = rng.uniform(0, 2 * np.pi, size=(2, draws, a.n_params))
    np.testing.assert_allclose(pair_fidelities(a, theta, phi, backend=backend),
                               pair_fidelities(a, theta, phi), atol=1e-12)
    assert entangling_capability(a, n_samples=ec_samples, seed=ec_seed,
                                 backend=backend) == pytest.approx(
        entangling_capability(a, n_samples=ec_samples, seed=ec_seed), abs=1e-12)
    return theta


def test_the_qutip_reference_agrees_with_the_fast_path():
    ref = backend_for(reference=True)
    a = hardware_efficient(3, 2, topology="ring", rotations="RX+RY+RZ")
    fast = frame_potential(a, n_states=60, seed=1)
    slow = frame_potential(a, n_states=60, seed=1, backend=ref)
    assert slow.estimate == pytest.approx(fast.estimate, rel=1e-10)
    _assert_overlaps_agree(a, ref, draws=30, seed=2, ec_samples=20, ec_seed=3)
    obs = [(1 / 3, "ZII"), (1 / 3, "IZI"), (1 / 3, "IIZ")]
    assert measured_loss_variance(a, obs, n_samples=40, seed=4, backend=ref).value == \
        pytest.approx(measured_loss_variance(a, obs, n_samples=40, seed=4).value, rel=1e-9)
    assert qfim_rank(a, n_samples=1, seed=5, backend=ref).rank == qfim_rank(
        a, n_samples=1, seed=5).rank


def test_a_noiseless_density_backend_is_the_statevector_one():
    a = hardware_efficient(2, 2, topology="linear")
    dens = DensityMatrixBackend()
    pure = frame_potential(a, n_states=80, seed=1)
    mixed = frame_potential(a, n_states=80, seed=1, backend=dens)
    assert mixed.estimate == pytest.approx(pure.estimate, rel=1e-12)
    assert "tr(rho sigma)" in mixed.method and "tr(rho sigma)" not in pure.method
    theta = _assert_overlaps_agree(a, dens, draws=25, seed=0, ec_samples=30, ec_seed=2)
    np.testing.assert_allclose(state_purity(a, theta, backend=dens), 1.0, atol=1e-12)
    np.testing.assert_allclose(state_purity(a, theta), 1.0, atol=1e-12)


@pytest.mark.parametrize("p", [0.05, 0.3])
def test_one_qubit_depolarizing_closed_forms(p):
    """RY(t) then depolarizing(p): <Z> = (1 - p) cos t, so on the same draws the loss variance
    is exactly (1 - p)^2 times the noiseless one; purity (1 + (1 - p)^2) / 2; and the ensemble's
    frame potential E tr(rho sigma)^2 = E[((1 + (1 - p)^2 cos(t - s)) / 2)^2] =
    1/4 + (1 - p)^4 / 8 (t, s uniform)."""
    a = Ansatz.from_gates(1, [("RY", 0)])
    noisy = DensityMatrixBackend(NoiseModel(depolarizing=p))
    clean = measured_loss_variance(a, "Z", n_samples=500, seed=1)
    loud = measured_loss_variance(a, "Z", n_samples=500, seed=1, backend=noisy)
    assert loud.value == pytest.approx((1 - p) ** 2 * clean.value, rel=1e-12)
    theta = np.random.default_rng(0).uniform(0, 2 * np.pi, size=(20, 1))
    np.testing.assert_allclose(state_purity(a, theta, backend=noisy), (1 + (1 - p) ** 2) / 2,
                               atol=1e-12)
    fp = frame_potential(a, n_states=3000, seed=2, backend=noisy)
    assert abs(fp.estimate - (0.25 + (1 - p) ** 4 / 8)) < 4 * fp.se
    grads = gradient_variance(a, observable="Z", n_samples=300, seed=3, backend=noisy)
    pure = gradient_variance(a, observable="Z", n_samples=300, seed=3)
    assert grads.mean_variance == pytest.approx((1 - p) ** 2 * pure.mean_variance, rel=1e-12)


def test_amplitude_damping_purity_closed_form():
    """RY(t)|0> has Bloch vector (sin t, 0, cos t); amplitude damping(g) maps it to
    (sqrt(1-g) sin t, 0, g + (1-g) cos t), purity (1 + |r|^2) / 2."""
    g = 0.3
    a = Ansatz.from_gates(1, [("RY", 0)])
    t = np.linspace(0, 2 * np.pi, 9)[:, None]
    expected = (1 + (1 - g) * np.sin(t[:, 0]) ** 2 + (g + (1 - g) * np.cos(t[:, 0])) ** 2) / 2
    got = state_purity(a, t, backend=DensityMatrixBackend(NoiseModel(amplitude_damping=g)))
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_pure_state_quantities_refuse_mixed_states():
    a = hardware_efficient(2, 1)
    noisy = DensityMatrixBackend(NoiseModel(depolarizing=0.1))
    with pytest.raises(InputError, match="pure states"):
        entangling_capability(a, n_samples=5, seed=0, backend=noisy)
    with pytest.raises(InputError, match="SLD"):
        qfim_rank(a, n_samples=1, seed=0, backend=noisy)
    with pytest.raises(InputError, match="pure states"):
        qfim_rank(a, n_samples=1, seed=0, backend=DensityMatrixBackend())
    with pytest.raises(InputError, match="no states"):
        frame_potential(a, n_states=5, seed=0, backend=backend_for(shots=10))


def test_a_noisy_ensemble_moves_towards_the_maximally_mixed_state():
    a = hardware_efficient(2, 3, topology="linear")
    fps = [frame_potential(a, n_states=200, seed=1,
                           backend=backend_for(noise=NoiseModel(depolarizing=p)))
           for p in (0.0, 0.05, 0.2)]
    assert fps[0].estimate > fps[1].estimate > fps[2].estimate
    # E tr(rho sigma)^2 >= (E tr(rho sigma))^2 = tr(mean rho^2)^2 >= d^-2 (I/4 alone)
    assert fps[2].estimate > 1 / 16 - 3 * fps[2].se
    kls = [expressibility(a, n_pairs=300, seed=2, n_boot=0,
                          backend=backend_for(noise=NoiseModel(depolarizing=p))).kl
           for p in (0.0, 0.3)]
    assert kls[1] > kls[0]  # mixedness is far from the pure Haar law
