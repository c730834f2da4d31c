from __future__ import annotations

import numpy as np
import pytest
from etr_checks import loss_fd_gradient

from etr.errors import InputError
from etr.hybrid.model import HybridModel
from etr.plan import Architecture
from etr.quantum import qutip_statevector

CASES = [
    # (architecture factors, training config)
    ({"n_qubits": 2, "layers": 2}, "pure_pqc"),
    ({"n_qubits": 2, "layers": 2, "reupload": True, "encoding": "ryrz"}, "pure_pqc"),
    ({"n_qubits": 2, "layers": 1, "classical_pre": "3-tanh"}, "hybrid_quantum_only"),
    ({"n_qubits": 2, "layers": 2, "reupload": True, "encoding": "rx",
      "classical_pre": "3-relu", "classical_post": "2-sigmoid"}, "hybrid_quantum_only"),
    ({"n_qubits": 2, "layers": 2, "classical_pre": "3-tanh", "classical_post": "4-relu"},
     "hybrid_full"),
    ({"n_qubits": 2, "layers": 2, "reupload": True, "classical_pre": "4-sigmoid",
      "classical_post": "3-tanh"}, "hybrid_full"),
    ({"n_qubits": 3, "layers": 1, "reupload": True, "encoding": "hrz",
      "classical_pre": "2-3-linear"}, "hybrid_full"),
    ({"family": "sim", "circuit": "sim11", "topology": "n/a", "rotations": "n/a",
      "entangler": "n/a", "n_qubits": 2, "layers": 2, "reupload": True}, "hybrid_full"),
    ({"n_qubits": 2, "layers": 1, "rotations": "RX+RZ", "entangler": "CRZ"}, "hybrid_full"),
]


@pytest.mark.parametrize(("factors", "config"), CASES)
def test_every_gradient_block_matches_central_differences(factors, config):
    arch = Architecture(**factors)
    n_features = 3
    if config == "pure_pqc" or arch.classical_pre == "none":
        from etr.circuits import encoding_width

        n_features = encoding_width(arch.n_qubits, arch.encoding)
    model = HybridModel(arch, config, n_features)
    rng = np.random.default_rng(0)
    params = model.init_params(2, rng)
    params += 0.1 * rng.normal(size=params.shape)  # non-zero biases, generic point
    x = rng.uniform(-2, 2, size=(5, n_features))
    y = np.array([0, 1, 1, 0, 1])
    loss, grad = model.loss_and_grad(params, x, y)
    np.testing.assert_allclose(loss, model.loss(params, x, y), rtol=1e-12)
    fd = loss_fd_gradient(model, params, x, y)
    for name, block in model.blocks.items():
        np.testing.assert_allclose(grad[:, block], fd[:, block], atol=1e-8, rtol=1e-6,
                                   err_msg=f"block {name}")
    assert model.blocks["quantum"].stop - model.blocks["quantum"].start > 0


def test_pure_pqc_readout_matches_qutip_reference():
    arch = Architecture(n_qubits=3, layers=2, encoding="ry", reupload=True,
                        classical_pre="8-tanh")  # ignored for pure_pqc
    model = HybridModel(arch, "pure_pqc", 3)
    assert model.n_classical_params == 0 and model.blocks["pre"] == slice(0, 0)
    params = model.init_params(1, seed=3)[0]
    x = np.array([[0.3, -1.2, 2.0], [1.0, 0.0, -0.5]])
    theta = params[model.blocks["quantum"]]
    expected = []
    for row in x:
        psi = qutip_statevector(model.circuit, np.concatenate([row, theta])).full().ravel()
        probs = np.abs(psi) ** 2
        bits = (np.arange(8)[:, None] >> (2 - np.arange(3))) & 1  # qubit 0 = most significant
        z = (probs[:, None] * (1 - 2 * bits)).sum(axis=0)
        expected.append(model.readout_scale * z.mean())
    np.testing.assert_allclose(model.logits(params, x), expected, atol=1e-10)


def test_batched_models_equal_single_models():
    arch = Architecture(n_qubits=2, layers=1, classical_pre="3-tanh", classical_post="2-relu")
    model = HybridModel(arch, "hybrid_full", 4)
    params = model.init_params(3, seed=1)
    x = np.random.default_rng(2).normal(size=(6, 4))
    y = np.array([0, 1, 0, 1, 1, 0])
    loss, grad = model.loss_and_grad(params, x, y)
    for k in range(3):
        lk, gk = model.loss_and_grad(params[k], x, y)
        assert lk == pytest.approx(loss[k], rel=1e-12)
        np.testing.assert_allclose(gk, grad[k], rtol=1e-10, atol=1e-14)


def test_same_seed_same_initialisation_for_both_hybrid_configs():
    arch = Architecture(n_qubits=2, layers=2, classical_pre="4-tanh", classical_post="3-tanh")
    a = HybridModel(arch, "hybrid_quantum_only", 2)
    b = HybridModel(arch, "hybrid_full", 2)
    np.testing.assert_array_equal(a.init_params(4, seed=9), b.init_params(4, seed=9))
    assert a.trainable.sum() == a.n_quantum_params
    assert b.trainable.all()
    assert a.n_classical_params == b.n_classical_params == (2 * 4 + 4 + 4 * 2 + 2) + (
        2 * 3 + 3 + 3 + 1)


def test_bad_input():
    arch = Architecture(n_qubits=2, layers=1)
    with pytest.raises(InputError, match="`training_config`"):
        HybridModel(arch, "quantum", 2)
    with pytest.raises(InputError, match="`n_features`"):
        HybridModel(arch, "pure_pqc", 3)
    with pytest.raises(InputError, match="`n_features`"):
        HybridModel(arch, "hybrid_full", 3)  # pre-network 'none' cannot map 3 -> 2
    model = HybridModel(arch, "hybrid_full", 2)
    with pytest.raises(InputError, match="`params`"):
        model.loss(np.zeros(3), np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(InputError, match="`x`"):
        model.logits(model.init_params(1, seed=0), np.zeros((2, 3)))


def _two_pass_loss_and_grad(model, params, x, y):
    """The step as it was: `expectations`, then a VJP with the cotangent from those values."""
    from etr.hybrid.model import _bce, _sigmoid
    from etr.quantum import expectation_vjp, expectations

    k, n, m = params.shape[0], x.shape[0], len(model.observables)
    rows, pre_cache = model._rows(params, x)
    z = expectations(model.circuit, rows, model.observables).reshape(k, n, m)
    logit, post_cache = model._post_forward(params, z)
    loss = _bce(logit, y).mean(axis=1)
    grad = np.zeros_like(params)
    g_post, g_z = model._post_backward(params, post_cache, (_sigmoid(logit) - y) / n, m)
    if g_post is not None:
        grad[:, model.blocks["post"]] = g_post
    _, g_rows = expectation_vjp(model.circuit, rows, model.observables, g_z.reshape(k * n, m))
    g_rows = g_rows.reshape(k, n, -1)
    grad[:, model.blocks["quantum"]] = g_rows[:, :, model.n_inputs:].sum(axis=1)
    if model.pre.n_params:
        grad[:, model.blocks["pre"]], _ = model.pre.backward(
            params[:, model.blocks["pre"]], pre_cache, g_rows[:, :, :model.n_inputs])
    return loss, grad


@pytest.mark.parametrize(("factors", "config"), [
    *CASES,
    # 8 qubits: 256 rows per chunk, so the 3 x 100 rows span chunks that split models
    ({"n_qubits": 8, "layers": 1, "classical_pre": "3-tanh", "classical_post": "2-tanh"},
     "hybrid_full"),
])
def test_one_forward_pass_step_equals_the_two_pass_step(factors, config):
    arch = Architecture(**factors)
    from etr.circuits import encoding_width

    n_features = (encoding_width(arch.n_qubits, arch.encoding)
                  if config == "pure_pqc" or arch.classical_pre == "none" else 3)
    model = HybridModel(arch, config, n_features)
    rng = np.random.default_rng(1)
    params = model.init_params(3, rng) + 0.1 * rng.normal(size=(3, model.n_params))
    x = rng.uniform(-2, 2, size=(100, n_features))
    y = rng.integers(0, 2, size=100).astype(float)
    loss, grad = model.loss_and_grad(params, x, y)
    want_loss, want_grad = _two_pass_loss_and_grad(model, params, x, y)
    np.testing.assert_allclose(loss, want_loss, rtol=0, atol=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=0, atol=1e-12)


def test_logit_jacobian_matches_central_differences():
    arch = Architecture(n_qubits=2, layers=2, classical_pre="3-tanh", classical_post="4-relu")
    model = HybridModel(arch, "hybrid_full", 3)
    rng = np.random.default_rng(4)
    params = model.init_params(2, rng) + 0.1 * rng.normal(size=(2, model.n_params))
    x = rng.uniform(-2, 2, size=(6, 3))
    logit, jac = model.logit_quantum_jacobian(params, x)
    np.testing.assert_allclose(logit, model.logits(params, x), atol=1e-13)
    q = model.blocks["quantum"]
    for j in range(model.n_quantum_params):
        e = np.zeros(model.n_params)
        e[q.start + j] = 1e-5
        fd = (model.logits(params + e, x) - model.logits(params - e, x)) / 2e-5
        np.testing.assert_allclose(jac[:, :, j], fd, atol=1e-8)


def test_finite_shot_gradients_converge_to_the_exact_step():
    """Many identical models: shot gradients scatter around the exact gradient with a mean
    squared error that falls like 1/S (the cotangent's O(1/S) bias is negligible here)."""
    from etr.quantum import ShotBackend

    arch = Architecture(n_qubits=2, layers=1, classical_pre="3-tanh", classical_post="2-tanh")
    rng = np.random.default_rng(5)
    x = rng.uniform(-2, 2, size=(4, 3))
    y = np.array([0.0, 1.0, 1.0, 0.0])
    for config in ("hybrid_full", "hybrid_quantum_only"):
        exact_model = HybridModel(arch, config, 3)
        p = np.repeat(exact_model.init_params(1, seed=3), 300, axis=0)
        loss0, g0 = exact_model.loss_and_grad(p[:1], x, y)
        mse = []
        for shots in (100, 10_000):
            model = exact_model.with_backend(ShotBackend(shots, seed=shots))
            loss, g = model.loss_and_grad(p, x, y)
            assert abs(loss.mean() - loss0[0]) < 10 / np.sqrt(shots * 300 * 4)
            if config == "hybrid_quantum_only":  # frozen pre-network: input angles not shifted
                assert np.all(g[:, model.blocks["pre"]] == 0)
                g = g[:, model.trainable]
                want = g0[0, model.trainable]
            else:
                want = g0[0]
            mse.append(np.mean((g - want) ** 2))
        assert mse[0] / mse[1] == pytest.approx(100, rel=0.35)
        assert exact_model.backend.exact and not model.backend.exact
