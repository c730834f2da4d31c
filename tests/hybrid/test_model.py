from __future__ import annotations

import numpy as np
import pytest

from etr.errors import InputError
from etr.hybrid import Architecture
from etr.hybrid.model import HybridModel
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
    h = 1e-5
    fd = np.empty_like(grad)
    for i in range(model.n_params):
        e = np.zeros(model.n_params)
        e[i] = h
        fd[:, i] = (model.loss(params + e, x, y) - model.loss(params - e, x, y)) / (2 * h)
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
