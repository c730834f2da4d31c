from __future__ import annotations

import itertools

import numpy as np
import pytest
from etr_checks import loss_fd_gradient

from etr.circuits import encoding_width
from etr.errors import InputError
from etr.hybrid import HybridModel, train
from etr.hybrid.control import ClassicalControl, routing_matrix
from etr.plan import Architecture

CASES = [
    ({"n_qubits": 3, "classical_pre": "none", "classical_post": "8-tanh"}, "tanh"),
    ({"n_qubits": 3, "classical_pre": "4-tanh", "classical_post": "none"}, "tanh"),
    ({"n_qubits": 2, "encoding": "ryrz", "classical_pre": "3-2-relu",
      "classical_post": "3-sigmoid"}, "tanh"),
    ({"n_qubits": 2, "encoding": "hrz", "classical_pre": "5-tanh",
      "classical_post": "4-tanh"}, "cos"),
    ({"n_qubits": 3, "encoding": "ryrz", "classical_pre": "none",
      "classical_post": "8-tanh"}, "cos"),
]


def _n_features(arch: Architecture) -> int:
    return encoding_width(arch.n_qubits, arch.encoding) if arch.classical_pre == "none" else 5


@pytest.mark.parametrize(("factors", "fixed_map"), CASES)
def test_gradient_matches_central_differences(factors, fixed_map):
    arch = Architecture(**factors)
    d = _n_features(arch)
    model = ClassicalControl(arch, d, fixed_map=fixed_map)
    rng = np.random.default_rng(0)
    params = model.init_params(2, rng) + 0.1 * rng.normal(size=(2, model.n_params))
    x = rng.uniform(-2, 2, size=(6, d))
    y = np.array([0, 1, 1, 0, 1, 0])
    loss, grad = model.loss_and_grad(params, x, y)
    np.testing.assert_allclose(loss, model.loss(params, x, y), rtol=1e-12)
    fd = loss_fd_gradient(model, params, x, y)
    np.testing.assert_allclose(grad, fd, atol=1e-9, rtol=1e-6)


def _mlp_by_hand(flat: np.ndarray, sizes: list[int], act, x: np.ndarray) -> np.ndarray:
    """Dense layers from the documented flat layout (W row-major n_in x n_out, then bias)."""
    pos, h = 0, x
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        w = flat[pos:pos + a * b].reshape(a, b)
        bias = flat[pos + a * b:pos + a * b + b]
        pos += a * b + b
        h = h @ w + bias
        if i < len(sizes) - 2:
            h = act(h)
    return h


def test_forward_is_pre_then_routed_tanh_then_post():
    arch = Architecture(n_qubits=2, encoding="ryrz", classical_pre="3-tanh",
                        classical_post="4-tanh")
    model = ClassicalControl(arch, 5)
    p = model.init_params(1, seed=3)[0] + 0.05
    x = np.random.default_rng(1).normal(size=(7, 5))
    angles = _mlp_by_hand(p[model.blocks["pre"]], [5, 3, 4], np.tanh, x)
    z = np.tanh(np.stack([(angles[:, 0] + angles[:, 1]) / 2,
                          (angles[:, 2] + angles[:, 3]) / 2], axis=1))
    logit = _mlp_by_hand(p[model.blocks["post"]], [2, 4, 1], np.tanh, z)[:, 0]
    np.testing.assert_allclose(model.logits(p, x), logit, atol=1e-12)
    np.testing.assert_allclose(model.features(p, x)[0], z, atol=1e-12)


@pytest.mark.parametrize("encoding", ["ry", "rx", "ryrz"])
def test_cos_map_is_the_readout_of_the_encoding_alone(encoding):
    """A hybrid whose trainable circuit is the identity (RY(0), no entangler) computes exactly
    the cos control: the quantum simulation is the independent truth."""
    factors = {"n_qubits": 3, "layers": 1, "topology": "none", "rotations": "RY",
               "encoding": encoding, "classical_pre": "4-tanh", "classical_post": "3-tanh"}
    arch = Architecture(**factors)
    control = ClassicalControl(arch, 4, fixed_map="cos")
    hybrid = HybridModel(arch, "hybrid_full", 4)
    assert control.n_classical_params == hybrid.n_classical_params
    assert control.blocks["pre"] == hybrid.blocks["pre"]
    pc = control.init_params(2, seed=5)
    ph = np.zeros((2, hybrid.n_params))
    ph[:, hybrid.blocks["pre"]] = pc[:, control.blocks["pre"]]
    ph[:, hybrid.blocks["post"]] = pc[:, control.blocks["post"]]  # theta = 0: identity
    x = np.random.default_rng(2).normal(size=(5, 4))
    np.testing.assert_allclose(control.logits(pc, x), hybrid.logits(ph, x), atol=1e-10)


def test_interface_the_training_loop_uses():
    arch = Architecture(n_qubits=4, layers=6, classical_pre="8-tanh", classical_post="8-tanh")
    model = ClassicalControl(arch, 8)
    hybrid = HybridModel(arch, "hybrid_full", 8)
    assert model.training_config == "classical_only"
    assert model.n_quantum_params == 0 and model.n_classical_params == model.n_params
    assert model.n_classical_params == hybrid.n_classical_params
    assert model.blocks["quantum"].start == model.blocks["quantum"].stop
    assert model.trainable.all() and model.trainable.shape == (model.n_params,)
    np.testing.assert_array_equal(model.init_params(3, seed=1), model.init_params(3, seed=1))
    rng = np.random.default_rng(0)
    x = rng.uniform(-np.pi, np.pi, size=(40, 8))
    y = (x[:, 0] * x[:, 1] > 0).astype(int)
    p0 = model.init_params(3, seed=1)
    res = train(model, p0, x, y, steps=60, learning_rate=0.05, seed=0)
    assert res.quantum_grads.shape == (60, 3, 0)
    assert np.all(res.final_loss < res.initial_loss)
    assert (~np.isclose(res.final_params, p0)).all(axis=0).mean() > 0.9  # everything trains
    acc = model.accuracy(res.final_params, x, y)
    assert acc.shape == (3,) and np.all((acc >= 0) & (acc <= 1))
    logit, jac = model.logit_quantum_jacobian(res.final_params, x)
    assert logit.shape == (3, 40) and jac.shape == (3, 40, 0)


def test_control_does_not_depend_on_the_circuit():
    a = Architecture(n_qubits=4, layers=1, topology="none", classical_pre="8-tanh",
                     classical_post="8-tanh")
    b = Architecture(n_qubits=4, layers=9, topology="full", rotations="RX+RY+RZ",
                     classical_pre="8-tanh", classical_post="8-tanh")
    x = np.random.default_rng(0).normal(size=(5, 8))
    ma, mb = ClassicalControl(a, 8), ClassicalControl(b, 8)
    p = ma.init_params(2, seed=0)
    np.testing.assert_array_equal(p, mb.init_params(2, seed=0))
    np.testing.assert_array_equal(ma.logits(p, x), mb.logits(p, x))


def test_routing_matrix_averages_each_qubits_angles():
    np.testing.assert_array_equal(routing_matrix(3, "ry"), np.eye(3))
    r = routing_matrix(2, "ryrz")
    np.testing.assert_array_equal(r @ np.array([1.0, 3.0, -2.0, 4.0]), [2.0, 1.0])


def test_bad_input():
    arch = Architecture(n_qubits=2)
    with pytest.raises(InputError, match="`fixed_map`"):
        ClassicalControl(arch, 2, fixed_map="sin")
    with pytest.raises(InputError, match="`arch`"):
        ClassicalControl("hea", 2)
    with pytest.raises(InputError, match="`n_features`"):
        ClassicalControl(arch, 3)  # 'none' pre-network needs the encoding width
    model = ClassicalControl(arch, 2)
    with pytest.raises(InputError, match="`x`"):
        model.logits(model.init_params(1, seed=0), np.zeros((3, 5)))
    with pytest.raises(InputError, match="`params`"):
        model.logits(np.zeros(model.n_params + 1), np.zeros((3, 2)))

