from __future__ import annotations

import numpy as np
import pytest

from etr.errors import InputError
from etr.hybrid.classical import DenseNet, build_network


def _fd_check(net: DenseNet, seed: int) -> None:
    rng = np.random.default_rng(seed)
    k, n = 2, 5
    params = net.init(k, rng) + 0.1 * rng.normal(size=(k, net.n_params))  # non-zero biases
    x = rng.normal(size=(k, n, net.n_in))
    w = rng.normal(size=(k, n, net.n_out))

    def f(p, xx):
        out, _ = net.forward(p, xx)
        return (out * w).sum(axis=(1, 2))

    _, cache = net.forward(params, x)
    gp, gx = net.backward(params, cache, w)
    h = 1e-6
    for i in range(net.n_params):
        e = np.zeros(net.n_params)
        e[i] = h
        np.testing.assert_allclose(gp[:, i], (f(params + e, x) - f(params - e, x)) / (2 * h),
                                   atol=1e-7, rtol=1e-6)
    for j in range(net.n_in):
        e = np.zeros(net.n_in)
        e[j] = h
        np.testing.assert_allclose(gx[:, :, j].sum(1), ((f(params, x + e) - f(params, x - e))
                                                        / (2 * h)), atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("act", ["tanh", "relu", "sigmoid", "linear"])
def test_backward_matches_finite_differences(act):
    _fd_check(DenseNet((3, 4, 5, 2), act), seed=1)


def test_identity_network():
    net = DenseNet((3,), "linear")
    x = np.arange(6.0).reshape(1, 2, 3)
    out, cache = net.forward(np.zeros((1, 0)), x)
    np.testing.assert_array_equal(out, x)
    gp, gx = net.backward(np.zeros((1, 0)), cache, np.ones_like(x))
    assert gp.shape == (1, 0)
    np.testing.assert_array_equal(gx, np.ones_like(x))


def test_forward_matches_explicit_formula():
    net = DenseNet((2, 3, 1), "tanh")
    p = np.arange(net.n_params, dtype=float)[None] / 10
    x = np.array([[[0.3, -0.2]]])
    w1 = p[0, :6].reshape(2, 3)
    b1 = p[0, 6:9]
    w2 = p[0, 9:12].reshape(3, 1)
    b2 = p[0, 12]
    expected = np.tanh(x[0, 0] @ w1 + b1) @ w2 + b2
    out, _ = net.forward(p, x)
    np.testing.assert_allclose(out[0, 0], expected)


def test_glorot_bounds_and_zero_bias():
    net = DenseNet((4, 8, 1), "relu")
    p = net.init(200, seed=0)
    limit1 = np.sqrt(6 / 12)
    w1 = p[:, :32]
    assert np.abs(w1).max() <= limit1 and np.abs(w1).max() > 0.9 * limit1
    np.testing.assert_allclose(w1.var(), limit1**2 / 3, rtol=0.05)  # uniform variance
    np.testing.assert_array_equal(p[:, 32:40], 0)
    np.testing.assert_array_equal(net.init(3, seed=5), net.init(3, seed=5))


def test_build_network_roles():
    assert build_network("none", 4, 4).n_params == 0
    assert build_network("none", 4, 1, role="classical_post").sizes == (4, 1)
    assert build_network("8-tanh", 6, 4).sizes == (6, 8, 4)
    with pytest.raises(InputError, match="`n_features`"):
        build_network("none", 5, 4)
    with pytest.raises(InputError, match="`classical_pre"):
        build_network("8-swish", 4, 4)
