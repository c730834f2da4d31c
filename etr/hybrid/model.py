"""`HybridModel`: classical pre-network -> PQC -> classical post-network, in three configurations.

Data flow for one input x (task features):

1. angles = pre(x): the pre-network maps the task features to the encoding's input angles
   (``classical_pre = "none"``: the identity, so the task must have exactly as many features as
   the encoding takes angles);
2. the PQC = encoding (re-uploaded before every layer if ``arch.reupload``) then the trainable
   layers, evaluated on the parameter row ``[angles, theta]``; readout z_q = <Z_q> on every qubit q;
3. logit = post(z): the post-network maps the n_qubits expectations to one logit
   (``classical_post = "none"``: one linear layer n_qubits -> 1);
4. loss = mean binary cross-entropy of sigmoid(logit) against the labels (computed stably from
   logits).

Training configurations (`etr.contract.TRAINING_CONFIGS`):

``pure_pqc``
    No classical parts: the features are the angles and the readout is the *fixed* affine map
    ``logit = s * mean_q <Z_q>`` with ``s = readout_scale`` (default 3.0, so the predicted
    probability spans sigmoid(-3) .. sigmoid(3) = 0.047 .. 0.953). Only theta is trained and
    ``n_classical_params = 0``.
``hybrid_quantum_only``
    Pre- and post-network initialised from the seed and frozen; only theta is trained.
``hybrid_full``
    Everything trained end to end: gradients flow from the post-network through the PQC (the
    input-slot gradients of the backend's ``expectation_vjp``) into the pre-network.

Simulation goes through a backend (`etr.quantum.Backend`, default the exact statevector one): one
``expectation_vjp`` call per gradient evaluation over all K x N circuit rows, whose cotangent is a
function of the expectation values (the post-network's backward pass, row by row), so each step
simulates every circuit row once forward and once backward. With `etr.quantum.ShotBackend` every
expectation is a finite-shot estimate and every gradient a parameter-shift estimate.

Parameters live in one flat vector with named blocks ``pre``, ``quantum``, ``post`` (see
`HybridModel.blocks`). Every method is batched over K independent models: parameters (K, P), and
one quantum call evaluates all K x N circuit rows at once.
"""

from __future__ import annotations

import copy

import numpy as np

from etr._rng import SeedLike, as_generator
from etr._validation import check_choice, check_float, check_int
from etr.circuits import encoded_circuit, encoding_width
from etr.contract import PQC_CONFIGS
from etr.errors import InputError
from etr.hybrid.classical import DenseNet, build_network
from etr.plan.architecture import Architecture
from etr.plan.settings import PURE_PQC_READOUT_SCALE
from etr.quantum import Backend, as_backend, shot_gradient_noise

__all__ = ["PURE_PQC_READOUT_SCALE", "BinaryClassifier", "HybridModel"]


class BinaryClassifier:
    """What every model of a run shares: K stacked parameter vectors, a binary cross-entropy
    loss of ``logits`` and the accuracy of ``logit > 0`` (`HybridModel`,
    `etr.hybrid.ClassicalControl`). Subclasses set ``n_params``, ``n_features``, the pre-network
    ``pre`` and the parameter ``blocks``, and define ``logits``."""

    n_params: int
    n_features: int

    def logits(self, params: np.ndarray, x: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _as_batch(self, params: np.ndarray) -> tuple[np.ndarray, bool]:
        p = np.asarray(params, dtype=float)
        single = p.ndim == 1
        p = np.atleast_2d(p)
        if p.ndim != 2 or p.shape[1] != self.n_params:
            raise InputError(f"`params` must have shape (K, {self.n_params}) or "
                             f"({self.n_params},), got {np.shape(params)}")
        return p, single

    def _check_x(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise InputError(f"`x` must have shape (N, {self.n_features}), got {x.shape}")
        return x

    def _finish_grad(self, p: np.ndarray, pre_cache: object, g_pre_out: np.ndarray,
                     grad: np.ndarray, loss: np.ndarray, single: bool) -> tuple:
        """Backpropagate `g_pre_out` (the gradient w.r.t. the pre-network's outputs) into
        ``grad``'s pre-network block, and return ``(loss, grad)`` in the caller's shape."""
        if self.pre.n_params:
            g_pre, _ = self.pre.backward(p[:, self.blocks["pre"]], pre_cache, g_pre_out)
            grad[:, self.blocks["pre"]] = g_pre
        if single:
            return float(loss[0]), grad[0]
        return loss, grad

    def loss(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Mean binary cross-entropy per model (K,) (a float for one parameter vector)."""
        p, single = self._as_batch(params)
        logit = np.atleast_2d(self.logits(p, x))
        loss = _bce(logit, _check_y(y, logit.shape[1])).mean(axis=1)
        return float(loss[0]) if single else loss

    def accuracy(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Fraction of correctly classified points (predict 1 when logit > 0), per model."""
        p, single = self._as_batch(params)
        logit = np.atleast_2d(self.logits(p, x))
        acc = ((logit > 0) == (_check_y(y, logit.shape[1]) > 0.5)).mean(axis=1)
        return float(acc[0]) if single else acc


class HybridModel(BinaryClassifier):
    """A hybrid classical-quantum binary classifier for one training configuration.

    Parameters
    ----------
    arch : Architecture
        For ``pure_pqc`` the classical factors are ignored.
    training_config : ``"pure_pqc"``, ``"hybrid_quantum_only"`` or ``"hybrid_full"``.
    n_features : int
        Task features per input; for ``pure_pqc`` (and a ``"none"`` pre-network) it must equal
        the encoding width.
    readout_scale : float
        The fixed s of the ``pure_pqc`` readout ``logit = s * mean_q <Z_q>``.
    backend : etr.quantum.Backend, default the exact statevector backend
        The simulator every expectation and gradient goes through.

    Attributes
    ----------
    circuit : the encoded PQC; slots ``0 .. n_inputs-1`` are angles, then the trainable slots.
    blocks : dict name -> slice of the flat parameter vector (``pre``, ``quantum``, ``post``).
    trainable : bool array (n_params,), the parameters the optimiser updates.

    Examples
    --------
    >>> arch = Architecture(n_qubits=2, layers=1, classical_pre="3-tanh")
    >>> model = HybridModel(arch, "hybrid_full", n_features=2)
    >>> model.n_quantum_params, model.n_classical_params
    (4, 20)
    >>> params = model.init_params(3, seed=0)
    >>> loss, grad = model.loss_and_grad(params, np.zeros((5, 2)), np.array([0, 1, 0, 1, 1]))
    >>> loss.shape, grad.shape
    ((3,), (3, 24))
    """

    def __init__(
        self,
        arch: Architecture,
        training_config: str,
        n_features: int,
        *,
        readout_scale: float = PURE_PQC_READOUT_SCALE,
        backend: Backend | None = None,
    ) -> None:
        check_choice("training_config", training_config, PQC_CONFIGS)
        if not isinstance(arch, Architecture):
            raise InputError(f"`arch` must be an Architecture, got {type(arch).__name__}")
        self.training_config = training_config
        self.pure = training_config == "pure_pqc"
        self.arch = arch.without_classical() if self.pure else arch
        self.n_features = check_int("n_features", n_features, minimum=1)
        self.readout_scale = check_float("readout_scale", readout_scale, positive=True)
        self.backend = as_backend(backend)
        n_q = arch.n_qubits
        self.n_angles = encoding_width(n_q, arch.encoding)
        blocks = [arch.layer_block().shifted(0) for _ in range(arch.layers)]
        self.circuit, self.n_inputs = encoded_circuit(blocks, arch.encoding,
                                                      reupload=arch.reupload)
        self.n_quantum_params = self.circuit.n_params - self.n_inputs
        self.observables = ["I" * q + "Z" + "I" * (n_q - q - 1) for q in range(n_q)]
        if self.pure:
            if self.n_features != self.n_angles:
                raise InputError(
                    f"`n_features` must equal the encoding width {self.n_angles} for pure_pqc, "
                    f"got {self.n_features}"
                )
            self.pre = DenseNet((self.n_features,), "linear")
            self.post = None
        else:
            self.pre = build_network(self.arch.classical_pre, self.n_features, self.n_angles,
                                     role="classical_pre")
            self.post = build_network(self.arch.classical_post, n_q, 1, role="classical_post")
        sizes = {"pre": self.pre.n_params, "quantum": self.n_quantum_params,
                 "post": 0 if self.post is None else self.post.n_params}
        self.blocks: dict[str, slice] = {}
        pos = 0
        for name, size in sizes.items():
            self.blocks[name] = slice(pos, pos + size)
            pos += size
        self.n_params = pos
        self.n_classical_params = sizes["pre"] + sizes["post"]
        self.trainable = np.zeros(self.n_params, dtype=bool)
        self.trainable[self.blocks["quantum"]] = True
        if training_config == "hybrid_full":
            self.trainable[:] = True
        n_slots = self.circuit.n_params
        self._quantum_slots = np.arange(self.n_inputs, n_slots)
        # circuit slots whose gradient training needs: the input angles only when a trainable
        # pre-network consumes them (a finite-shot backend skips the others)
        self._grad_slots = (np.arange(n_slots) if self.trainable[self.blocks["pre"]].any()
                            else self._quantum_slots)

    def with_backend(self, backend: Backend | None) -> HybridModel:
        """The same model (same parameter layout) simulated by another backend."""
        other = copy.copy(self)
        other.backend = as_backend(backend)
        return other

    def __repr__(self) -> str:
        return (f"HybridModel({self.arch.label()!r}, {self.training_config!r}, "
                f"n_params={self.n_params})")

    # ------------------------------------------------------------------ parameters
    def init_params(self, n_models: int, seed: SeedLike = None) -> np.ndarray:
        """K initial parameter vectors (K, n_params).

        theta uniform in [0, 2 pi); classical weights Glorot-uniform, biases 0. The draw depends
        only on the model's structure and the seed, not on the training configuration, so
        ``hybrid_quantum_only`` and ``hybrid_full`` start from identical parameters.
        """
        k = check_int("n_models", n_models, minimum=1)
        rng = as_generator(seed)
        out = np.zeros((k, self.n_params))
        out[:, self.blocks["quantum"]] = rng.uniform(0.0, 2.0 * np.pi,
                                                     size=(k, self.n_quantum_params))
        out[:, self.blocks["pre"]] = self.pre.init(k, rng)
        if self.post is not None:
            out[:, self.blocks["post"]] = self.post.init(k, rng)
        return out

    # ------------------------------------------------------------------ forward / backward
    def _rows(self, p: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, list]:
        """Circuit parameter rows (K*N, n_inputs + n_quantum) and the pre-network cache."""
        k, n = p.shape[0], x.shape[0]
        xb = np.broadcast_to(x, (k, *x.shape))
        angles, pre_cache = self.pre.forward(p[:, self.blocks["pre"]], xb)
        theta = p[:, self.blocks["quantum"]]
        rows = np.empty((k, n, self.n_inputs + self.n_quantum_params))
        rows[:, :, :self.n_inputs] = angles
        rows[:, :, self.n_inputs:] = theta[:, None, :]
        return rows.reshape(k * n, -1), pre_cache

    def circuit_rows(self, params: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The circuit's parameter rows ``(K*N, n_inputs + n_quantum)`` for K parameter vectors
        and N inputs (row ``k*N + i``: input i through model k's pre-network, then model k's
        theta): what the backend simulates."""
        p, _ = self._as_batch(params)
        return self._rows(p, self._check_x(x))[0]

    def _post_forward(self, p: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, list | None]:
        """Logits (K, N) from expectations z (K, N, M)."""
        if self.post is None:
            return self.readout_scale * z.mean(axis=2), None
        out, cache = self.post.forward(p[:, self.blocks["post"]], z)
        return out[:, :, 0], cache

    def _post_backward(self, p: np.ndarray, cache: list | None, g_logit: np.ndarray,
                       m: int, *, wrt_params: bool = True
                       ) -> tuple[np.ndarray | None, np.ndarray]:
        """(grad of post params (K, P_post) or None, grad w.r.t. z (K, N, M)); without
        `wrt_params` the first is None (a cotangent needs only the second)."""
        if self.post is None:
            g_z = np.repeat(g_logit[:, :, None] * (self.readout_scale / m), m, axis=2)
            return None, g_z
        return self.post.backward(p[:, self.blocks["post"]], cache, g_logit[:, :, None],
                                  wrt_params=wrt_params)

    def _row_cotangent(self, p: np.ndarray, n: int, y: np.ndarray | None):
        """Cotangent function for the backend: d(output)/dz of circuit rows from their values.

        Row r of the (K*N) circuit rows is point ``r % N`` of model ``r // N``; every row gets its
        own copy of its model's post-network parameters, so the post-network runs on any subset
        of rows (a backend's chunk). With labels `y` the output is the mean loss (dL/dz);
        without, the logit (d logit/dz).
        """
        k_of = np.repeat(np.arange(p.shape[0]), n)
        i_of = np.tile(np.arange(n), p.shape[0])
        m = len(self.observables)

        def cotangent(values: np.ndarray, rows: slice) -> np.ndarray:
            pr = p[k_of[rows]]
            logit, cache = self._post_forward(pr, values[:, None, :])
            if y is None:
                g_logit = np.ones_like(logit)
            else:
                g_logit = (_sigmoid(logit) - y[i_of[rows], None]) / n
            _, g_z = self._post_backward(pr, cache, g_logit, m, wrt_params=False)
            return g_z[:, 0, :]

        return cotangent

    def logits(self, params: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Logits (K, N) (or (N,) for one parameter vector)."""
        p, single = self._as_batch(params)
        x = self._check_x(x)
        rows, _ = self._rows(p, x)
        z = self.backend.expectations(self.circuit, rows, self.observables)
        logit, _ = self._post_forward(p, z.reshape(p.shape[0], x.shape[0], -1))
        return logit[0] if single else logit

    def loss_and_grad(
        self, params: np.ndarray, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Loss (K,) and its gradient w.r.t. every parameter (K, n_params).

        One backend call (``expectation_vjp``) over all K x N rows: the forward values feed the
        post-network's backward pass row by row (the cotangent dLoss/dz), which drives the
        backward sweep of the same simulation. Frozen parameters get their gradient too, except
        that a finite-shot backend does not estimate the input-angle gradients when the
        pre-network is frozen (those entries are 0).
        """
        p, single = self._as_batch(params)
        x = self._check_x(x)
        k, n = p.shape[0], x.shape[0]
        m = len(self.observables)
        yv = _check_y(y, n)
        rows, pre_cache = self._rows(p, x)
        values, g_rows = self.backend.expectation_vjp(
            self.circuit, rows, self.observables, self._row_cotangent(p, n, yv),
            wrt=self._grad_slots)
        logit, post_cache = self._post_forward(p, values.reshape(k, n, m))
        loss = _bce(logit, yv).mean(axis=1)
        grad = np.zeros_like(p)
        g_post, _ = self._post_backward(p, post_cache, (_sigmoid(logit) - yv) / n, m)
        if g_post is not None:
            grad[:, self.blocks["post"]] = g_post
        g_rows = g_rows.reshape(k, n, -1)
        grad[:, self.blocks["quantum"]] = g_rows[:, :, self.n_inputs:].sum(axis=1)
        return self._finish_grad(p, pre_cache, g_rows[:, :, :self.n_inputs], grad, loss, single)

    def quantum_grad_noise(
        self, params: np.ndarray, x: np.ndarray, y: np.ndarray, shots: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact dLoss/dtheta (K, n_quantum_params) and the variance of its `shots`-shot
        parameter-shift estimate (what `loss_and_grad` returns under `etr.quantum.ShotBackend`)
        at the same parameters, from exact simulation (`etr.quantum.shot_gradient_noise`).

        The loss gradient sums the rows (points) of a model and their shot noise is drawn
        independently, so the per-row variances add. The model's own backend must be exact.
        """
        p, _ = self._as_batch(params)
        x = self._check_x(x)
        k, n = p.shape[0], x.shape[0]
        rows, _ = self._rows(p, x)
        g_rows, v_rows = shot_gradient_noise(
            self.circuit, rows, self.observables, self._row_cotangent(p, n, _check_y(y, n)),
            shots, wrt=self._quantum_slots, exact=self.backend)
        q = slice(self.n_inputs, None)
        return (g_rows.reshape(k, n, -1)[:, :, q].sum(axis=1),
                v_rows.reshape(k, n, -1)[:, :, q].sum(axis=1))

    def logit_quantum_jacobian(
        self, params: np.ndarray, x: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Logits (K, N) and d logit(x_i) / d theta for every point: (K, N, n_quantum_params).

        One ``expectation_vjp`` whose cotangent is d logit / dz row by row: since every circuit
        row is one data point, the per-row gradients are the per-point Jacobian rows.
        """
        p, _ = self._as_batch(params)
        x = self._check_x(x)
        k, n = p.shape[0], x.shape[0]
        rows, _ = self._rows(p, x)
        values, g_rows = self.backend.expectation_vjp(
            self.circuit, rows, self.observables, self._row_cotangent(p, n, None),
            wrt=self._quantum_slots)
        logit, _ = self._post_forward(p, values.reshape(k, n, -1))
        return logit, g_rows.reshape(k, n, -1)[:, :, self.n_inputs:]


def _check_y(y: np.ndarray, n: int) -> np.ndarray:
    yv = np.asarray(y, dtype=float)
    if yv.shape != (n,):
        raise InputError(f"`y` must have shape ({n},), got {yv.shape}")
    return yv


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _bce(logit: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Binary cross-entropy of sigmoid(logit) vs y, stable for large |logit|."""
    return np.maximum(logit, 0.0) - logit * y + np.log1p(np.exp(-np.abs(logit)))
