"""Checks several test modules share: central-difference gradients of a model's loss."""

from __future__ import annotations

import numpy as np


def loss_fd_gradient(model, params: np.ndarray, x: np.ndarray, y: np.ndarray,
                     h: float = 1e-5) -> np.ndarray:
    """Central differences of ``model.loss`` in every parameter, shape (K, n_params)."""
    fd = np.empty((params.shape[0], model.n_params))
    for i in range(model.n_params):
        e = np.zeros(model.n_params)
        e[i] = h
        fd[:, i] = (model.loss(params + e, x, y) - model.loss(params - e, x, y)) / (2 * h)
    return fd
