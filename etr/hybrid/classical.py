"""Small dense networks in numpy, batched over independent models.

A `DenseNet` is described once (layer sizes and hidden activation) and evaluated for a stack of K
parameter vectors at once: parameters have shape (K, n_params), inputs (K, N, n_in). Hidden layers
use the activation; the output layer is linear. A network with no layers (``sizes=(d,)``) is the
identity map. Weights use Glorot-uniform initialisation (Glorot & Bengio 2010), biases start at 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from etr._rng import SeedLike, as_generator
from etr.plan.architecture import parse_classical

__all__ = ["DenseNet", "build_network"]


@dataclass(frozen=True, slots=True)
class DenseNet:
    """A dense network ``sizes[0] -> ... -> sizes[-1]``, hidden activation, linear output.

    Parameters
    ----------
    sizes : layer widths including input and output; ``(d,)`` is the identity on d features.
    activation : ``"tanh"``, ``"relu"``, ``"sigmoid"`` or ``"linear"`` (hidden layers only).

    Notes
    -----
    The flat parameter vector holds, layer by layer, the weight matrix (n_in x n_out, row-major)
    then the bias.

    Examples
    --------
    >>> net = DenseNet((3, 8, 2), "tanh")
    >>> net.n_params
    50
    >>> params = net.init(5, seed=0)
    >>> out, _ = net.forward(params, np.zeros((5, 7, 3)))
    >>> out.shape
    (5, 7, 2)
    """

    sizes: tuple[int, ...]
    activation: str = "tanh"

    @property
    def n_in(self) -> int:
        return self.sizes[0]

    @property
    def n_out(self) -> int:
        return self.sizes[-1]

    @property
    def shapes(self) -> list[tuple[int, int]]:
        return list(zip(self.sizes[:-1], self.sizes[1:]))

    @property
    def n_params(self) -> int:
        return sum(a * b + b for a, b in self.shapes)

    def init(self, n_models: int, seed: SeedLike = None) -> np.ndarray:
        """Glorot-uniform weights, zero biases: array (n_models, n_params)."""
        rng = as_generator(seed)
        out = np.zeros((n_models, self.n_params))
        pos = 0
        for a, b in self.shapes:
            limit = np.sqrt(6.0 / (a + b))
            out[:, pos:pos + a * b] = rng.uniform(-limit, limit, size=(n_models, a * b))
            pos += a * b + b
        return out

    def _unpack(self, params: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        k = params.shape[0]
        layers, pos = [], 0
        for a, b in self.shapes:
            w = params[:, pos:pos + a * b].reshape(k, a, b)
            bias = params[:, pos + a * b:pos + a * b + b]
            layers.append((w, bias))
            pos += a * b + b
        return layers

    def forward(self, params: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, list]:
        """Outputs (K, N, n_out) and a cache for `backward`; `x` is (K, N, n_in)."""
        cache = [x]
        h = x
        layers = self._unpack(params)
        for i, (w, b) in enumerate(layers):
            h = np.matmul(h, w) + b[:, None, :]
            if i < len(layers) - 1:
                h = _ACT[self.activation](h)
            cache.append(h)
        return h, cache

    def backward(
        self, params: np.ndarray, cache: list, grad_out: np.ndarray, *, wrt_params: bool = True
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """Gradients w.r.t. parameters (K, n_params; None unless `wrt_params`) and inputs
        (K, N, n_in). Without `wrt_params` only the input gradient is computed (the same
        operations, so the same bits): what a cotangent for the layer below needs."""
        layers = self._unpack(params)
        grads = np.zeros_like(params) if wrt_params else None
        g = grad_out
        pos = self.n_params
        for i in range(len(layers) - 1, -1, -1):
            w, _ = layers[i]
            a, b = w.shape[1], w.shape[2]
            if i < len(layers) - 1:
                g = g * _DACT[self.activation](cache[i + 1])
            pos -= a * b + b
            if wrt_params:
                grads[:, pos:pos + a * b] = np.matmul(cache[i].transpose(0, 2, 1),
                                                      g).reshape(-1, a * b)
                grads[:, pos + a * b:pos + a * b + b] = g.sum(axis=1)
            g = np.matmul(g, w.transpose(0, 2, 1))
        return grads, g


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


_ACT = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": _sigmoid,
    "linear": lambda z: z,
}
# derivatives expressed through the activation's output a = act(z)
_DACT = {
    "tanh": lambda a: 1.0 - a * a,
    "relu": lambda a: (a > 0).astype(a.dtype),
    "sigmoid": lambda a: a * (1.0 - a),
    "linear": lambda a: np.ones_like(a),
}


def build_network(spec: str, n_in: int, n_out: int, *, role: str = "classical_pre") -> DenseNet:
    """The network for a classical spec such as ``"8-tanh"``.

    For ``role="classical_pre"``, ``"none"`` is the identity (needs ``n_in == n_out``); for
    ``role="classical_post"``, ``"none"`` is a single linear layer ``n_in -> n_out``.

    Examples
    --------
    >>> build_network("16-8-relu", 4, 4).sizes
    (4, 16, 8, 4)
    >>> build_network("none", 4, 1, role="classical_post").n_params
    5
    """
    from etr.errors import InputError

    widths, act = parse_classical(spec, role)
    if spec == "none":
        if role == "classical_post":
            return DenseNet((n_in, n_out), "linear")
        if n_in != n_out:
            raise InputError(
                f"`n_features` = {n_in} cannot be mapped to {n_out} encoding angles without a "
                f"pre-network (`classical_pre` = 'none'); use n_features = {n_out} or e.g. "
                "'8-tanh'"
            )
        return DenseNet((n_in,), "linear")
    return DenseNet((n_in, *widths, n_out), act)
