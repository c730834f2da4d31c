"""Study-sized planted-truth datasets for the analysis benchmark (not a benchmark itself).

`study_dataset` builds on `etr.analysis.planted_dataset` (circuits on a width x depth grid, two
pre-networks per circuit in the hybrid configurations, a planted conditional association) and
adds what makes the study's data hard to analyse:

* ``kind="noisy"``: run-level noise on every trainability column (log scale), ``noise`` times
  the between-circuit spread, so that replicates of one circuit disagree a lot;
* ``kind="gateset"``: each circuit gets a rotation set (``RY``, ``RY+RZ``, ``RX+RY+RZ``) that
  moves both its expressibility and its trainability, so that within a (width, depth) cell
  trainability mostly follows the gate set (the circuit random effect is then large and the
  mixed models converge slowly);
* the replicate seeds are split between two tasks (``synthetic`` and ``teacher``, one task
  instance per (task, seed)), so the analysis conditions on the task as the study's does.

Sizes: ``n_pqcs`` circuits x ``n_seeds`` x (1 pure + 2 x 2 hybrid) architectures, e.g.
2,000 circuits x 4 seeds = 40,000 runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etr.analysis import planted_dataset

__all__ = ["KINDS", "study_dataset"]

KINDS: tuple[str, ...] = ("noisy", "gateset")
WIDTHS: tuple[int, ...] = (2, 3, 4, 5, 6, 7, 8)
DEPTHS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)
_ROTATIONS: tuple[str, ...] = ("RY", "RY+RZ", "RX+RY+RZ")
#: log10 shift of trainability and of the frame-potential excess per rotation set.
_ROT_Y: tuple[float, ...] = (0.6, 0.0, -0.6)
_ROT_X: tuple[float, ...] = (0.5, 0.0, -0.5)
_Y_LOG = ("grad_var", "grad_var_train", "grad_var_landscape", "grad_norm")


def study_dataset(n_pqcs: int, n_seeds: int, *, kind: str = "noisy", noise: float = 1.7,
                  seed: int = 0) -> pd.DataFrame:
    """A planted dataset of `n_pqcs` circuits and ``5 * n_seeds`` runs per circuit."""
    if kind not in KINDS:
        raise ValueError(f"`kind` must be one of {KINDS}, got {kind!r}")
    rng = np.random.default_rng([seed, 23])
    df = planted_dataset(n_pqcs=n_pqcs, n_seeds=n_seeds, n_pre=2, widths=WIDTHS,
                         depths=DEPTHS, seed=seed)
    k = pd.factorize(df["pqc_id"])[0]
    if kind == "noisy":
        # the circuit spread of log10(grad_var) within a cell is about 0.5 (planted t has unit
        # variance, y = 0.5 t); add run noise `noise` times that
        for col in _Y_LOG:
            scale = 0.25 if col == "grad_norm" else 0.5
            df[col] = df[col] * 10.0 ** (noise * scale * rng.normal(size=len(df)))
    else:
        rot = rng.integers(0, len(_ROTATIONS), size=k.max() + 1)[k]
        df["rotations"] = np.asarray(_ROTATIONS, dtype=object)[rot]
        df["pqc_id"] = df["pqc_id"] + "-" + df["rotations"]
        df["architecture_id"] = df["architecture_id"] + "-" + df["rotations"]
        shift_x = np.asarray(_ROT_X)[rot]
        for col in ("expressibility_fp", "expressibility_fp_ci_low",
                    "expressibility_fp_ci_high"):
            df[col] = 1.0 + (df[col] - 1.0) * 10.0 ** shift_x
        df["expressibility_kl"] = df["expressibility_kl"] * 10.0 ** (0.9 * shift_x)
        shift_y = np.asarray(_ROT_Y)[rot]
        for col in _Y_LOG:
            df[col] = df[col] * 10.0 ** ((0.5 if col == "grad_norm" else 1.0) * shift_y)
    half = max(n_seeds // 2, 1)
    df["task"] = np.where(df["seed"] < half, "synthetic", "teacher")
    df["task_id"] = df["task"] + "-" + df["seed"].astype(str)
    df.attrs["benchmark"] = {"kind": kind, "n_pqcs": n_pqcs, "n_seeds": n_seeds,
                             "noise": noise, "seed": seed}
    return df
