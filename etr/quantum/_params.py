"""Validation of parameter arrays shared by the QuTiP and fast paths."""

from __future__ import annotations

import numpy as np

from etr.circuits.ansatz import Ansatz
from etr.errors import InputError

__all__ = ["check_params"]


def check_params(ansatz: Ansatz, params: object, *, single: bool = False) -> np.ndarray:
    """Return `params` as a float64 array of shape ``(B, P)`` (``B = 1`` for a vector).

    With ``single=True`` only a vector of shape ``(P,)`` is accepted.
    """
    n_params = ansatz.n_params
    try:
        arr = np.asarray(params, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"`params` must be a real array, got {type(params).__name__}") from None
    want = f"({n_params},)" if single else f"(B, {n_params}) or ({n_params},)"
    ok = arr.ndim == 1 if single else arr.ndim in (1, 2)
    if not ok or arr.shape[-1] != n_params:
        raise InputError(f"`params` must have shape {want} for {ansatz.name}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError("`params` must be finite")
    return np.ascontiguousarray(arr[None, :] if arr.ndim == 1 else arr)
