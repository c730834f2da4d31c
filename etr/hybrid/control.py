"""`ClassicalControl`: the hybrid network with its PQC replaced by a fixed classical map.

The control answers "does the PQC matter, or do the classical parts solve the task?". It keeps
everything of a hybrid architecture except the circuit:

1. angles = pre(x): the same pre-network (`etr.hybrid.build_network`) from the task features to
   the encoding's input angles (``encoding_width(n_qubits, encoding)`` of them);
2. z = phi(angles): a *fixed* map (no parameters) to ``n_qubits`` values in [-1, 1], where the
   hybrid has the PQC readouts ``<Z_q>``;
3. logit = post(z): the same post-network from ``n_qubits`` values to one logit;
4. loss = mean binary cross-entropy, trained end to end with the same optimiser
   (`etr.hybrid.train` works unchanged: the ``quantum`` block is empty).

The fixed map phi (`CONTROL_MAPS`)
----------------------------------
``"tanh"`` (default)
    ``z_q = tanh(mean of the angles the encoding routes to qubit q)``: ``tanh(a_q)`` for the
    one-angle-per-qubit encodings (``rx``, ``ry``, ``hrz``) and ``tanh((a_2q + a_2q+1) / 2)`` for
    ``ryrz``. It is the neutral choice: monotone and injective on each qubit's angle, so it
    destroys no information the PQC could have used (with ``classical_pre = "none"`` the
    post-network sees the task features themselves, squashed), it has no periodic structure of
    its own, and its output range is that of a Pauli readout. Every fixed linear mixing before
    the tanh is absorbed by the last linear layer of a trained pre-network, so a random
    projection would only matter for ``classical_pre = "none"``, where it would mix features the
    post-network can mix itself.
``"cos"``
    ``z_q = cos(a_q)`` (``cos(a_2q)`` for ``ryrz``): the ``<Z_q>`` readout of the ``ry`` / ``rx``
    encoding alone, i.e. the PQC with its trainable unitary removed (for ``hrz``, whose
    ``<Z>`` readout is identically 0, the ``<X>`` readout). A control for "does the *trainable
    unitary* matter beyond the encoding's nonlinearity"; note that cos is even, so with
    ``classical_pre = "none"`` it cannot see the sign of a feature (a trainable rotation after
    the encoding can), which handicaps it on tasks such as ``synthetic``.

Parameters live in one flat vector with blocks ``pre``, ``quantum`` (empty) and ``post``, like
`etr.hybrid.HybridModel`; every method is batched over K independent models. All parameters
are trainable (the control is the end-to-end-trained network; a frozen-classical control would
train nothing).

References
----------
Kashif & Shafique 2026, arXiv 2605.25768 (hybrid networks whose classical parts may solve the
task without the PQC).
"""

from __future__ import annotations

import numpy as np

from etr._rng import SeedLike, as_generator
from etr._validation import check_choice, check_int
from etr.circuits import encoding_width
from etr.errors import InputError
from etr.hybrid.classical import build_network
from etr.hybrid.model import BinaryClassifier, _bce, _check_y, _sigmoid
from etr.plan.architecture import Architecture

__all__ = ["CONTROL_CONFIG", "CONTROL_MAPS", "ClassicalControl", "routing_matrix"]

#: the training configuration of the control in `etr.contract.CONFIGS`.
CONTROL_CONFIG = "classical_only"
#: the fixed maps that can stand in for the PQC (see the module notes).
CONTROL_MAPS: tuple[str, ...] = ("tanh", "cos")


def routing_matrix(n_qubits: int, encoding: str) -> np.ndarray:
    """(n_qubits, n_angles) matrix averaging the angles an encoding puts on each qubit.

    Examples
    --------
    >>> routing_matrix(2, "ryrz")
    array([[0.5, 0.5, 0. , 0. ],
           [0. , 0. , 0.5, 0.5]])
    """
    n = check_int("n_qubits", n_qubits, minimum=1)
    m = encoding_width(n, encoding)
    per = m // n
    r = np.zeros((n, m))
    for q in range(n):
        r[q, q * per:(q + 1) * per] = 1.0 / per
    return r


def _first_angle_matrix(n_qubits: int, encoding: str) -> np.ndarray:
    """(n_qubits, n_angles) selector of the first angle on each qubit (the RY/RX/RZ angle)."""
    m = encoding_width(n_qubits, encoding)
    per = m // n_qubits
    r = np.zeros((n_qubits, m))
    r[np.arange(n_qubits), np.arange(n_qubits) * per] = 1.0
    return r


class ClassicalControl(BinaryClassifier):
    """The classical-only control of a hybrid architecture (training config ``classical_only``).

    Parameters
    ----------
    arch : Architecture
        Its ``classical_pre``, ``classical_post``, ``n_qubits`` and ``encoding`` are used; the
        PQC factors (family, layers, topology, ...) are not: every architecture that shares
        these four factors has the same control.
    n_features : int
        Task features per input (with ``classical_pre = "none"`` it must equal the encoding
        width, as for `HybridModel`).
    fixed_map : ``"tanh"`` (default) or ``"cos"``; see the module notes.

    Attributes
    ----------
    training_config : ``"classical_only"``.
    blocks : dict name -> slice of the flat parameter vector: ``pre``, ``quantum`` (empty),
        ``post``.
    trainable : bool array (n_params,), all True.
    n_quantum_params : 0.

    Examples
    --------
    >>> arch = Architecture(n_qubits=4, layers=3, classical_pre="8-tanh",
    ...                     classical_post="8-tanh")
    >>> model = ClassicalControl(arch, n_features=8)
    >>> model.n_quantum_params, model.n_classical_params, model.blocks["quantum"]
    (0, 157, slice(108, 108, None))
    >>> params = model.init_params(3, seed=0)
    >>> loss, grad = model.loss_and_grad(params, np.zeros((5, 8)), np.array([0, 1, 0, 1, 1]))
    >>> loss.shape, grad.shape
    ((3,), (3, 157))
    """

    def __init__(self, arch: Architecture, n_features: int, *, fixed_map: str = "tanh") -> None:
        if not isinstance(arch, Architecture):
            raise InputError(f"`arch` must be an Architecture, got {type(arch).__name__}")
        check_choice("fixed_map", fixed_map, CONTROL_MAPS)
        self.training_config = CONTROL_CONFIG
        self.pure = False
        self.arch = arch
        self.fixed_map = fixed_map
        self.n_features = check_int("n_features", n_features, minimum=1)
        n_q = arch.n_qubits
        self.n_angles = encoding_width(n_q, arch.encoding)
        if fixed_map == "tanh":
            self.routing = routing_matrix(n_q, arch.encoding)
        else:
            self.routing = _first_angle_matrix(n_q, arch.encoding)
        self.pre = build_network(arch.classical_pre, self.n_features, self.n_angles,
                                 role="classical_pre")
        self.post = build_network(arch.classical_post, n_q, 1, role="classical_post")
        n_pre, n_post = self.pre.n_params, self.post.n_params
        self.blocks: dict[str, slice] = {"pre": slice(0, n_pre), "quantum": slice(n_pre, n_pre),
                                         "post": slice(n_pre, n_pre + n_post)}
        self.n_params = n_pre + n_post
        self.n_quantum_params = 0
        self.n_classical_params = self.n_params
        self.trainable = np.ones(self.n_params, dtype=bool)

    def __repr__(self) -> str:
        return (f"ClassicalControl({self.arch.label()!r}, fixed_map={self.fixed_map!r}, "
                f"n_params={self.n_params})")

    # ------------------------------------------------------------------ parameters
    def init_params(self, n_models: int, seed: SeedLike = None) -> np.ndarray:
        """K initial parameter vectors (K, n_params): Glorot-uniform weights, zero biases."""
        k = check_int("n_models", n_models, minimum=1)
        rng = as_generator(seed)
        out = np.zeros((k, self.n_params))
        out[:, self.blocks["pre"]] = self.pre.init(k, rng)
        out[:, self.blocks["post"]] = self.post.init(k, rng)
        return out

    # ------------------------------------------------------------------ forward / backward
    def _map(self, angles: np.ndarray) -> np.ndarray:
        u = angles @ self.routing.T
        return np.tanh(u) if self.fixed_map == "tanh" else np.cos(u)

    def _map_vjp(self, angles: np.ndarray, z: np.ndarray, g_z: np.ndarray) -> np.ndarray:
        if self.fixed_map == "tanh":
            g_u = g_z * (1.0 - z * z)
        else:
            g_u = -g_z * np.sin(angles @ self.routing.T)
        return g_u @ self.routing

    def _forward(self, p: np.ndarray, x: np.ndarray):
        k = p.shape[0]
        xb = np.broadcast_to(x, (k, *x.shape))
        angles, pre_cache = self.pre.forward(p[:, self.blocks["pre"]], xb)
        z = self._map(angles)
        out, post_cache = self.post.forward(p[:, self.blocks["post"]], z)
        return out[:, :, 0], (angles, z, pre_cache, post_cache)

    def features(self, params: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The fixed map's outputs z (K, N, n_qubits), where the hybrid has ``<Z_q>``."""
        p, _ = self._as_batch(params)
        _, (_, z, _, _) = self._forward(p, self._check_x(x))
        return z

    def logits(self, params: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Logits (K, N) (or (N,) for one parameter vector)."""
        p, single = self._as_batch(params)
        logit, _ = self._forward(p, self._check_x(x))
        return logit[0] if single else logit

    def loss_and_grad(
        self, params: np.ndarray, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Loss (K,) and its exact gradient w.r.t. every parameter (K, n_params)."""
        p, single = self._as_batch(params)
        x = self._check_x(x)
        n = x.shape[0]
        yv = _check_y(y, n)
        logit, (angles, z, pre_cache, post_cache) = self._forward(p, x)
        loss = _bce(logit, yv).mean(axis=1)
        g_logit = (_sigmoid(logit) - yv) / n
        grad = np.zeros_like(p)
        g_post, g_z = self.post.backward(p[:, self.blocks["post"]], post_cache,
                                         g_logit[:, :, None])
        grad[:, self.blocks["post"]] = g_post
        g_angles = self._map_vjp(angles, z, g_z) if self.pre.n_params else None
        return self._finish_grad(p, pre_cache, g_angles, grad, loss, single)

    def logit_quantum_jacobian(
        self, params: np.ndarray, x: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Logits (K, N) and an empty Jacobian (K, N, 0): the control has no quantum parameters.

        Definitions taken with respect to the quantum parameters (gradient variances, RMS
        gradient, effective dimension) are undefined for the control; the run records them as
        NaN rather than computing them from this empty array.
        """
        p, _ = self._as_batch(params)
        logit, _ = self._forward(p, self._check_x(x))
        return logit, np.zeros((*logit.shape, 0))
