"""The density-matrix backend against the QuTiP reference, an independent numpy simulation, the
statevector backend (noiseless limit) and closed forms derived here."""

from __future__ import annotations

import numpy as np
import pytest

from etr.circuits import Ansatz, hardware_efficient, sim_circuit
from etr.errors import InputError
from etr.quantum import (
    MAX_DENSITY_QUBITS,
    STATEVECTOR,
    Backend,
    DensityMatrixBackend,
    NoiseModel,
    QutipDensityBackend,
    ShotBackend,
    density_matrices,
    purity,
    qutip_density_matrix,
    statevectors,
)
from etr.quantum import density as D

from . import numpy_density as npd
from .conftest import random_ansatz

OBS3 = ["ZII", "IXY", "global", "YYZ", "XZI"]
NOISES = [NoiseModel(0.1, 0.2, 0.15, 0.05), NoiseModel(0.0, 1.0, 0.0, 0.3),
          NoiseModel(1.0, 0.0, 0.0, 0.0), NoiseModel(0.02, 0.0, 0.5, 0.0)]


def central_differences(backend, ansatz, params, obs, weights, h=1e-5):
    fd = np.zeros(params.shape)
    for j in range(ansatz.n_params):
        e = np.zeros(ansatz.n_params)
        e[j] = h
        diff = backend.expectations(ansatz, params + e, obs) - backend.expectations(
            ansatz, params - e, obs)
        fd[:, j] = (diff * weights).sum(axis=1) / (2 * h)
    return fd


def test_backends_satisfy_the_protocol():
    for b in (DensityMatrixBackend(), DensityMatrixBackend(NoiseModel(0.1)),
              QutipDensityBackend(NoiseModel(0.1))):
        assert isinstance(b, Backend) and b.exact
    assert DensityMatrixBackend().noise == NoiseModel()
    with pytest.raises(InputError, match="`noise`"):
        DensityMatrixBackend(0.1)
    a = hardware_efficient(2, 1)
    p = np.random.default_rng(0).uniform(0, 6, (2, a.n_params))
    _, full = DensityMatrixBackend(NoiseModel(0.1)).expectation_vjp(a, p, "ZI", np.ones((2, 1)))
    _, some = DensityMatrixBackend(NoiseModel(0.1)).expectation_vjp(a, p, "ZI", np.ones((2, 1)),
                                                                   wrt=np.array([0]))
    np.testing.assert_array_equal(some, full)  # `wrt` accepted; every slot is computed anyway


# ------------------------------------------------------------------- references and limits
@pytest.mark.parametrize("noise", NOISES)
@pytest.mark.parametrize("seed", range(2))
def test_agrees_with_the_qutip_reference(noise, seed):
    """States, read-out values and gradients of random circuits (every gate kind, fixed angles,
    shared slots) against QuTiP Kraus maps and parameter shift: 1e-10."""
    a = random_ansatz(3, 18, seed)
    rng = np.random.default_rng(seed)
    p = rng.uniform(-4, 4, size=(2, a.n_params))
    w = rng.normal(size=(2, len(OBS3)))
    ref = QutipDensityBackend(noise)
    fast = DensityMatrixBackend(noise)
    want_states = np.stack([qutip_density_matrix(a, row, noise).full() for row in p])
    np.testing.assert_allclose(density_matrices(a, p, noise), want_states, atol=1e-10)
    v0, g0 = ref.expectation_vjp(a, p, OBS3, w)
    v1, g1 = fast.expectation_vjp(a, p, OBS3, w)
    np.testing.assert_allclose(v1, v0, atol=1e-10)
    np.testing.assert_allclose(g1, g0, atol=1e-10)
    np.testing.assert_allclose(fast.expectations(a, p, OBS3), v0, atol=1e-10)


def test_swap_and_controlled_gates_under_noise_agree_with_qutip():
    """SWAP runs as three CNOT passes with the channels after the last; controlled rotations
    use the control-1 sub-blocks: both against the reference, values and gradients."""
    a = Ansatz.from_gates(3, [("RY", 0), ("RX", 1), ("SWAP", 0, 1), ("CRX", 1, 2), ("SWAP", 2, 0),
                              ("CRY", 0, 2), ("CRZ", 2, 1), ("H", 2), ("SWAP", 1, 2)])
    noise = NoiseModel(0.1, 0.2, 0.3, 0.05)
    p = np.random.default_rng(9).uniform(-4, 4, (2, a.n_params))
    w = np.ones((2, len(OBS3)))
    v0, g0 = QutipDensityBackend(noise).expectation_vjp(a, p, OBS3, w)
    v1, g1 = DensityMatrixBackend(noise).expectation_vjp(a, p, OBS3, w)
    np.testing.assert_allclose(v1, v0, atol=1e-12)
    np.testing.assert_allclose(g1, g0, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_an_independent_numpy_simulation(seed):
    """A third implementation (dense kron matrices, depolarizing from its definition)."""
    a = random_ansatz(3, 16, seed + 10)
    rng = np.random.default_rng(seed)
    p = rng.uniform(-4, 4, size=(3, a.n_params))
    noise = NoiseModel(0.07, 0.11, 0.05)
    chans = npd.local_kraus(0.07, 0.11, 0.05)
    want = np.stack([npd.simulate(a, row, channels=chans) for row in p])
    np.testing.assert_allclose(density_matrices(a, p, noise), want, atol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_noiseless_limit_equals_the_statevector_backend(seed):
    """Zero noise: states |psi><psi|, values and gradients of the statevector backend, 1e-12."""
    a = random_ansatz(3, 20, seed)
    rng = np.random.default_rng(seed)
    p = rng.uniform(-4, 4, size=(5, a.n_params))
    psi = statevectors(a, p)
    np.testing.assert_allclose(density_matrices(a, p),
                               np.einsum("bi,bj->bij", psi, psi.conj()), atol=1e-12)
    w = rng.normal(size=(5, len(OBS3)))
    v0, g0 = STATEVECTOR.expectation_vjp(a, p, OBS3, w)
    v1, g1 = DensityMatrixBackend().expectation_vjp(a, p, OBS3, w)
    np.testing.assert_allclose(v1, v0, atol=1e-12)
    np.testing.assert_allclose(g1, g0, atol=1e-12)


def test_noiseless_limit_on_library_circuits():
    for a in (sim_circuit(11, 4, 2), sim_circuit(6, 3, 1),
              hardware_efficient(4, 3, rotations="RX+RY+RZ", topology="ring", entangler="CNOT")):
        p = np.random.default_rng(0).uniform(0, 2 * np.pi, (4, a.n_params))
        obs = ["Z" + "I" * (a.n_qubits - 1), "global"]
        w = np.ones((4, 2))
        v0, g0 = STATEVECTOR.expectation_vjp(a, p, obs, w)
        v1, g1 = DensityMatrixBackend().expectation_vjp(a, p, obs, w)
        np.testing.assert_allclose(v1, v0, atol=1e-12)
        np.testing.assert_allclose(g1, g0, atol=1e-12)


@pytest.mark.parametrize("noise", NOISES[:2])
def test_gradients_equal_central_differences(noise):
    a = random_ansatz(3, 22, 5)
    rng = np.random.default_rng(5)
    p = rng.uniform(-4, 4, size=(3, a.n_params))
    w = rng.normal(size=(3, len(OBS3)))
    b = DensityMatrixBackend(noise)
    _, g = b.expectation_vjp(a, p, OBS3, w)
    np.testing.assert_allclose(g, central_differences(b, a, p, OBS3, w), atol=1e-8)


def test_checkpointed_sweep_equals_the_stored_one(monkeypatch):
    """With room for only the bisection's minimum of stored states the gradients are the same
    numbers, bit for bit (the forward states are recomputed, not approximated)."""
    a = random_ansatz(3, 40, 3)
    p = np.random.default_rng(3).uniform(-4, 4, size=(4, a.n_params))
    b = DensityMatrixBackend(NoiseModel(0.05, 0.1, 0.02, 0.01))
    want = b.expectation_vjp(a, p, OBS3[:2], np.ones((4, 2)))
    monkeypatch.setattr(D, "CHECKPOINT_BYTES", 1)
    assert D._pool_size(40, 4, 3) == D._need(40) + 2 < 41
    got = b.expectation_vjp(a, p, OBS3[:2], np.ones((4, 2)))
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_results_do_not_depend_on_chunking_or_call_history():
    a = sim_circuit(11, 3, 2)
    p = np.random.default_rng(1).uniform(0, 2 * np.pi, (7, a.n_params))
    b = DensityMatrixBackend(NoiseModel(0.03, 0.05))
    want = b.expectation_vjp(a, p, OBS3, lambda v, rows: np.tanh(v))
    for chunk in (1, 3, None):
        got = b.expectation_vjp(a, p, OBS3, lambda v, rows: np.tanh(v), chunk_size=chunk)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        blocks = list(b.states(a, p, chunk_size=chunk))
        assert [r.start for r, _ in blocks] == sorted(r.start for r, _ in blocks)
        assert all(block.shape[1:] == (8, 8) for _, block in blocks)
        np.testing.assert_array_equal(np.concatenate([x for _, x in blocks]),
                                      density_matrices(a, p, b.noise))


# --------------------------------------------------------------------- closed forms (1 qubit)
def _bloch_after(noise, r):
    a, t = noise.bloch_map()
    return a @ r + t


def _rz(r, b):
    return np.array([r[0] * np.cos(b) - r[1] * np.sin(b), r[0] * np.sin(b) + r[1] * np.cos(b),
                     r[2]])


@pytest.mark.parametrize("noise", [NoiseModel(depolarizing=0.3), NoiseModel(amplitude_damping=0.4),
                                   NoiseModel(phase_damping=0.6), NoiseModel(0.1, 0.2, 0.3)])
def test_single_qubit_bloch_vectors(noise):
    """RY(a) then RZ(b) on |0>, the channel after each: r = N(R_z(b) N((sin a, 0, cos a)))."""
    a_ang, b_ang = 1.1, 0.7
    circuit = Ansatz.from_gates(1, [("RY", 0), ("RZ", 0)])
    got = DensityMatrixBackend(noise).expectations(circuit, [a_ang, b_ang], ["X", "Y", "Z"])[0]
    r = _bloch_after(noise, np.array([np.sin(a_ang), 0.0, np.cos(a_ang)]))
    want = _bloch_after(noise, _rz(r, b_ang))
    np.testing.assert_allclose(got, want, atol=1e-14)


def test_single_qubit_bloch_vectors_by_hand():
    """The Bloch maps of the channels (Nielsen & Chuang sec. 8.3), written out for
    r = (sin a, 0, cos a) after RY(a)."""
    a = 0.9
    one = Ansatz.from_gates(1, [("RY", 0)])
    xyz = ["X", "Y", "Z"]
    p, g, lam = 0.25, 0.36, 0.19
    np.testing.assert_allclose(
        DensityMatrixBackend(NoiseModel(depolarizing=p)).expectations(one, [a], xyz)[0],
        [(1 - p) * np.sin(a), 0.0, (1 - p) * np.cos(a)], atol=1e-14)
    np.testing.assert_allclose(
        DensityMatrixBackend(NoiseModel(amplitude_damping=g)).expectations(one, [a], xyz)[0],
        [0.8 * np.sin(a), 0.0, g + (1 - g) * np.cos(a)], atol=1e-14)
    np.testing.assert_allclose(
        DensityMatrixBackend(NoiseModel(phase_damping=lam)).expectations(one, [a], xyz)[0],
        [0.9 * np.sin(a), 0.0, np.cos(a)], atol=1e-14)


@pytest.mark.parametrize("a", [0.0, 0.4, np.pi / 2, 2.5, np.pi])
@pytest.mark.parametrize("strength", [0.0, 0.1, 0.5, 1.0])
def test_purity_of_a_one_qubit_pure_state(a, strength):
    """Depolarizing: (1 + (1 - p)^2) / 2 whatever the state. Amplitude damping of
    r = (sin a, 0, cos a): |r'|^2 = (1 - g) sin^2 a + (g + (1 - g) cos a)^2, purity
    (1 + |r'|^2) / 2 (for |1>: g^2 + (1 - g)^2)."""
    one = Ansatz.from_gates(1, [("RY", 0)])
    p = g = strength
    rho = density_matrices(one, [a], NoiseModel(depolarizing=p))
    assert purity(rho)[0] == pytest.approx((1 + (1 - p) ** 2) / 2, abs=1e-14)
    rho = density_matrices(one, [a], NoiseModel(amplitude_damping=g))
    r2 = (1 - g) * np.sin(a) ** 2 + (g + (1 - g) * np.cos(a)) ** 2
    assert purity(rho)[0] == pytest.approx((1 + r2) / 2, abs=1e-14)


@pytest.mark.parametrize("p", [0.05, 0.3])
def test_one_qubit_local_depolarizing_scales_every_gradient_by_the_gate_count(p):
    """On one qubit the channel after each gate is global and commutes with the gates: after K
    gates <P> and every gradient are (1 - p)^K times their noiseless values."""
    a = Ansatz.from_gates(1, [("RY", 0), ("RZ", 0), ("H", 0), ("RX", 0), ("RY", 0), ("S", 0)])
    k = len(a.gates)
    rng = np.random.default_rng(0)
    params = rng.uniform(0, 2 * np.pi, (20, a.n_params))
    w = np.ones((20, 3))
    v0, g0 = STATEVECTOR.expectation_vjp(a, params, ["X", "Y", "Z"], w)
    v1, g1 = DensityMatrixBackend(NoiseModel(depolarizing=p)).expectation_vjp(
        a, params, ["X", "Y", "Z"], w)
    np.testing.assert_allclose(v1, (1 - p) ** k * v0, atol=1e-14)
    np.testing.assert_allclose(g1, (1 - p) ** k * g0, atol=1e-14)


# ------------------------------------------------------------------- global depolarizing
def _layered(n: int, layers: int) -> tuple[Ansatz, list[int]]:
    """RY on every qubit then a CZ chain, per layer; the index of each layer's last gate."""
    gates: list[tuple] = []
    ends = []
    for _ in range(layers):
        gates += [("RY", q) for q in range(n)] + [("CZ", q, q + 1) for q in range(n - 1)]
        ends.append(len(gates) - 1)
    return Ansatz.from_gates(n, gates), ends


@pytest.mark.parametrize(("layers", "p"), [(1, 0.2), (2, 0.1), (4, 0.3)])
def test_global_depolarizing_after_each_layer_scales_gradients_by_1_minus_p_to_the_L(layers, p):
    """rho -> (1 - p) rho + p I/d after each of L layers commutes with the unitaries (they fix
    I/d), so rho_out = (1 - p)^L rho_pure + (1 - (1 - p)^L) I/d: <O> - tr(O)/d and every
    gradient scale by (1 - p)^L exactly, the variance over parameters by (1 - p)^(2L). The noisy
    side is the independent numpy simulation with an explicit global channel and parameter
    shift; the noiseless side is etr's statevector backend."""
    n = 3
    a, ends = _layered(n, layers)
    d = 2**n

    def glob(rho):
        return (1 - p) * rho + p * np.eye(d) / d

    after = dict.fromkeys(ends, glob)
    obs = {"ZII": npd.pauli_matrix("ZII"), "global": np.diag(np.eye(d)[0]).astype(complex)}
    rng = np.random.default_rng(layers)
    params = rng.uniform(0, 2 * np.pi, (8, a.n_params))
    scale = (1 - p) ** layers
    for label, o in obs.items():
        def value(theta, o=o):
            return float(np.trace(o @ npd.simulate(a, theta, after=after)).real)

        noisy_v = np.array([value(row) for row in params])
        noisy_g = np.array([npd.shift_gradient(value, row) for row in params])
        v0, g0 = STATEVECTOR.expectation_vjp(a, params, [label], np.ones((8, 1)))
        shift = np.trace(o).real / d
        np.testing.assert_allclose(noisy_v - shift, scale * (v0[:, 0] - shift), atol=1e-13)
        np.testing.assert_allclose(noisy_g, scale * g0, atol=1e-13)
        np.testing.assert_allclose(noisy_g.var(axis=0), scale**2 * g0.var(axis=0),
                                   rtol=1e-9, atol=1e-15)


# --------------------------------------------------------------------------------- readout
def test_readout_scales_a_pauli_string_by_1_minus_2q_to_its_weight():
    a = random_ansatz(3, 15, 2)
    p = np.random.default_rng(2).uniform(-4, 4, (4, a.n_params))
    labels = ["ZII", "IXY", "YYZ", "III"]
    q = 0.07
    noise = NoiseModel(0.05, 0.02, readout=q)
    exact = DensityMatrixBackend(NoiseModel(0.05, 0.02)).expectations(a, p, labels)
    read = DensityMatrixBackend(noise).expectations(a, p, labels)
    weights = np.array([1, 2, 3, 0])
    np.testing.assert_allclose(read, exact * (1 - 2 * q) ** weights, atol=1e-14)


def test_readout_of_the_global_projector_on_a_product_state():
    """RY(a_k) on each qubit: P(read 0...0) = prod_k [(1 - q) cos^2(a_k/2) + q sin^2(a_k/2)]."""
    a = Ansatz.from_gates(3, [("RY", 0), ("RY", 1), ("RY", 2)])
    angles = np.array([0.3, 1.7, 2.9])
    q = 0.12
    got = DensityMatrixBackend(NoiseModel(readout=q)).expectations(a, angles, ["global"])[0, 0]
    c, s = np.cos(angles / 2) ** 2, np.sin(angles / 2) ** 2
    assert got == pytest.approx(np.prod((1 - q) * c + q * s), abs=1e-14)


def test_readout_refuses_matrix_observables():
    import qutip

    a = hardware_efficient(2, 1)
    op = qutip.tensor(qutip.sigmaz(), qutip.qeye(2))
    p = np.zeros((1, a.n_params))
    assert DensityMatrixBackend().expectations(a, p, op)[0, 0] == pytest.approx(1.0)
    for b in (DensityMatrixBackend(NoiseModel(readout=0.1)),
              QutipDensityBackend(NoiseModel(readout=0.1))):
        with pytest.raises(InputError, match="`observables`"):
            b.expectations(a, p, op)


def test_states_exclude_readout():
    a = hardware_efficient(2, 1)
    p = np.random.default_rng(0).uniform(0, 6, (2, a.n_params))
    np.testing.assert_array_equal(density_matrices(a, p, NoiseModel(0.1, readout=0.3)),
                                  density_matrices(a, p, NoiseModel(0.1)))


# ------------------------------------------------------------------------- encoding, shots
def test_encoding_gates_are_noisy_too():
    """A data-encoding gate is a gate: its channel follows it (one RY encoding + one RY)."""
    from etr.circuits.encoding import encoded_circuit

    block = Ansatz.from_gates(1, [("RY", 0)])
    circuit, n_inputs = encoded_circuit([block], "ry")
    assert n_inputs == 1 and len(circuit.gates) == 2
    p = 0.2
    v = DensityMatrixBackend(NoiseModel(depolarizing=p)).expectations(circuit, [0.4, 0.5], "Z")
    assert v[0, 0] == pytest.approx((1 - p) ** 2 * np.cos(0.9), abs=1e-14)


def test_finite_shots_on_top_of_the_density_backend():
    a = Ansatz.from_gates(1, [("RY", 0)])
    p = 0.1
    b = ShotBackend(200, seed=3, exact=DensityMatrixBackend(NoiseModel(depolarizing=p)))
    v, g = b.expectation_vjp(a, np.full((3000, 1), 0.5), ["Z"], np.ones((3000, 1)))
    assert abs(v.mean() - (1 - p) * np.cos(0.5)) < 4 * np.sqrt(1 / 200 / 3000)
    assert abs(g.mean() + (1 - p) * np.sin(0.5)) < 0.01


def test_a_hybrid_model_runs_on_the_density_backend():
    """The seam: a hybrid model (pre-network, encoding, PQC, post-network) takes the backend
    unchanged; its loss gradient equals central differences of its loss under noise."""
    from etr_checks import loss_fd_gradient

    from etr.hybrid import HybridModel
    from etr.plan import Architecture

    arch = Architecture(n_qubits=2, layers=2, classical_pre="3-tanh", classical_post="3-tanh")
    backend = DensityMatrixBackend(NoiseModel(0.05, 0.1, 0.02, 0.03))
    model = HybridModel(arch, "hybrid_full", n_features=2, backend=backend)
    rng = np.random.default_rng(0)
    params = model.init_params(2, seed=1)
    x = rng.normal(size=(6, 2))
    y = np.array([0, 1, 1, 0, 1, 0])
    loss, grad = model.loss_and_grad(params, x, y)
    np.testing.assert_allclose(loss, model.loss(params, x, y), atol=1e-13)
    np.testing.assert_allclose(grad, loss_fd_gradient(model, params, x, y), atol=1e-7)
    noiseless = model.with_backend(None).loss(params, x, y)
    assert not np.allclose(loss, noiseless)


# ------------------------------------------------------------------------------ bad input
def test_width_limit_is_one_line_naming_the_field():
    wide = hardware_efficient(MAX_DENSITY_QUBITS + 1, 1)
    p = np.zeros((1, wide.n_params))
    for call in (lambda: density_matrices(wide, p),
                 lambda: DensityMatrixBackend().expectations(wide, p, "global"),
                 lambda: list(DensityMatrixBackend().states(wide, p)),
                 lambda: QutipDensityBackend().expectations(wide, p, "global")):
        with pytest.raises(InputError, match=r"^`n_qubits` = 11 is above the density-matrix "
                                             r"limit of 10 qubits: .*4\^n bytes \(64 MiB") as e:
            call()
        assert "\n" not in str(e.value)


def test_bad_arguments():
    a = hardware_efficient(2, 1)
    b = DensityMatrixBackend()
    with pytest.raises(InputError, match="`params`"):
        b.expectations(a, np.zeros((2, a.n_params + 1)), "global")
    with pytest.raises(InputError, match="`chunk_size`"):
        b.expectations(a, np.zeros((2, a.n_params)), "global", chunk_size=0)
    with pytest.raises(InputError, match="`cotangent`"):
        b.expectation_vjp(a, np.zeros((2, a.n_params)), ["ZI"], np.ones((3, 1)))
    with pytest.raises(InputError, match="`observable`"):
        b.expectations(a, np.zeros((2, a.n_params)), "ZZZ")
    with pytest.raises(InputError, match="`ansatz`"):
        density_matrices("sim11", np.zeros(3))
    with pytest.raises(InputError, match="`states`"):
        purity(np.zeros((2, 2)))
