"""Checks several test modules share: central-difference gradients of a model's loss, the
trials an Optuna storage has finished, the units a run's journal holds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from etr.experiment import journal_dir


def loss_fd_gradient(model, params: np.ndarray, x: np.ndarray, y: np.ndarray,
                     h: float = 1e-5) -> np.ndarray:
    """Central differences of ``model.loss`` in every parameter, shape (K, n_params)."""
    fd = np.empty((params.shape[0], model.n_params))
    for i in range(model.n_params):
        e = np.zeros(model.n_params)
        e[i] = h
        fd[:, i] = (model.loss(params + e, x, y) - model.loss(params - e, x, y)) / (2 * h)
    return fd


def finished_trials(db: Path) -> int:
    """Trials an Optuna SQLite storage holds as finished (complete or failed); 0 while it is
    missing or locked."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as con:
            (n,) = con.execute("select count(*) from trials where state in "
                               "('COMPLETE', 'FAIL')").fetchone()
        return n
    except sqlite3.Error:
        return 0


def journal_counts(out: Path) -> tuple[int, int]:
    """Circuit units and cells the journal of output `out` holds (a run in progress, or killed);
    (0, 0) before it exists."""
    j = journal_dir(out) / "journal.jsonl"
    text = j.read_text() if j.exists() else ""
    return text.count('"kind": "circuit"'), text.count('"kind": "cell"')
