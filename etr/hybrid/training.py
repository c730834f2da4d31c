"""Adam training of K independent initialisations at once (one quantum call per step for all K).

The K models of a run share the data and, with mini-batches, the batch drawn at each step; their
parameters are stacked into a (K, P) array and every step evaluates all K x N circuit rows in one
batched call (one forward and one backward simulation). Frozen parameters
(`HybridModel.trainable` False) are never updated.

The training-set loss after every step (`TrainingResult.train_loss`, what `steps_to_target`
reads) is free with full-batch training (the batch *is* the training set, and the loss of step t
is computed anyway); with mini-batches it costs one extra forward pass over the training set per
step, so it is recorded only on request.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from etr._rng import SeedLike, as_generator
from etr._validation import check_float, check_int
from etr.hybrid.model import HybridModel

__all__ = ["Adam", "TrainingResult", "train"]


@dataclass(frozen=True, slots=True)
class Adam:
    """Adam (Kingma & Ba 2015) with bias correction, applied to stacked parameter vectors.

    Examples
    --------
    >>> opt = Adam(learning_rate=0.1)
    >>> state = opt.init(np.zeros((1, 2)))
    >>> p, state = opt.step(np.zeros((1, 2)), np.array([[1.0, -2.0]]), state)
    >>> p
    array([[-0.1,  0.1]])
    """

    learning_rate: float = 0.05
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def init(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        return np.zeros_like(params), np.zeros_like(params), 0

    def step(
        self, params: np.ndarray, grad: np.ndarray, state: tuple[np.ndarray, np.ndarray, int],
        mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, int]]:
        """One update; `mask` (P,) selects the parameters that move."""
        m, v, t = state
        t += 1
        m = self.beta1 * m + (1 - self.beta1) * grad
        v = self.beta2 * v + (1 - self.beta2) * grad * grad
        m_hat = m / (1 - self.beta1**t)
        v_hat = v / (1 - self.beta2**t)
        update = self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)
        if mask is not None:
            update = update * mask
        return params - update, (m, v, t)


@dataclass(frozen=True, slots=True)
class TrainingResult:
    """What training K initialisations recorded.

    Attributes
    ----------
    initial_params, final_params : (K, P).
    initial_loss, final_loss : (K,) loss on the whole training set before / after training.
    batch_loss : (T, K) loss of the batch used at step t, before the update.
    quantum_grads : (T, K, P_q) dLoss/dtheta on that batch, before the update.
    train_loss : (T + 1, K) loss on the whole training set after t = 0 .. T steps, or None when
        not recorded (mini-batch training without ``record_train_loss``).
    steps, learning_rate, batch_size : the optimiser settings (batch_size None = full batch).
    """

    initial_params: np.ndarray
    final_params: np.ndarray
    initial_loss: np.ndarray
    final_loss: np.ndarray
    batch_loss: np.ndarray
    quantum_grads: np.ndarray
    train_loss: np.ndarray | None
    steps: int
    learning_rate: float
    batch_size: int | None

    def to_frame(self) -> pd.DataFrame:
        """Tidy trajectory: columns ``init, step, loss, grad_rms`` (one row per init and step)."""
        t, k = self.batch_loss.shape
        rms = np.sqrt(np.mean(self.quantum_grads**2, axis=2))
        return pd.DataFrame({
            "init": np.tile(np.arange(k), t),
            "step": np.repeat(np.arange(t), k),
            "loss": self.batch_loss.ravel(),
            "grad_rms": rms.ravel(),
        })


def train(
    model: HybridModel,
    params: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    *,
    steps: int = 100,
    learning_rate: float = 0.05,
    batch_size: int | None = None,
    seed: SeedLike = None,
    record_train_loss: bool = False,
) -> TrainingResult:
    """Train K stacked initialisations with Adam on binary cross-entropy.

    Parameters
    ----------
    model : HybridModel
    params : (K, P) initial parameters (e.g. `HybridModel.init_params`).
    x, y : training features (N, n_features) and labels (N,).
    steps : number of optimiser steps T (>= 1).
    learning_rate : Adam step size (> 0).
    batch_size : None for full-batch training; otherwise mini-batches drawn without replacement
        from a fresh permutation each epoch (the same batch for all K models).
    seed : randomness of the mini-batch order.
    record_train_loss : with mini-batches, also evaluate the whole training set's loss after
        every step (one forward pass each); full-batch training always records it (free).

    Returns
    -------
    TrainingResult
    """
    steps = check_int("steps", steps, minimum=1)
    learning_rate = check_float("learning_rate", learning_rate, positive=True)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.shape[0]
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, minimum=1)
    full = batch_size is None or batch_size >= n
    rng = as_generator(seed)
    opt = Adam(learning_rate)
    p = np.array(params, dtype=float, copy=True)
    state = opt.init(p)
    mask = model.trainable.astype(float)
    q = model.blocks["quantum"]
    batch_loss = np.empty((steps, p.shape[0]))
    grads = np.empty((steps, p.shape[0], model.n_quantum_params))
    track = not full and record_train_loss
    train_loss = np.empty((steps + 1, p.shape[0])) if full or track else None
    order: np.ndarray = np.empty(0, dtype=int)
    initial_loss = None
    for t in range(steps):
        if full:
            xb, yb = x, y
        else:
            if order.size < batch_size:
                order = np.concatenate([order, rng.permutation(n)])
            idx, order = order[:batch_size], order[batch_size:]
            xb, yb = x[idx], y[idx]
        loss, grad = model.loss_and_grad(p, xb, yb)
        whole = loss if full else (model.loss(p, x, y) if track or t == 0 else None)
        if t == 0:
            initial_loss = whole
        if train_loss is not None:
            train_loss[t] = whole
        batch_loss[t] = loss
        grads[t] = grad[:, q]
        p, state = opt.step(p, grad, state, mask)
    final_loss = model.loss(p, x, y)
    if train_loss is not None:
        train_loss[steps] = final_loss
    return TrainingResult(
        initial_params=np.asarray(params, dtype=float), final_params=p,
        initial_loss=initial_loss, final_loss=final_loss, batch_loss=batch_loss,
        quantum_grads=grads, train_loss=train_loss, steps=steps, learning_rate=learning_rate,
        batch_size=None if full else batch_size,
    )
