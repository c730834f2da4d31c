"""Pieces shared by the planted-truth generators (`etr.analysis.synthetic`, `etr.analysis.planted`).

Both generators check their configuration arguments alike and turn a latent run-level
trainability into the same set of trainability columns (with generator-specific strengths), so
those steps live here once: a change to the censoring budget or to the shape of a column then
reaches every planted dataset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from etr.contract import TRAINING_CONFIGS
from etr.errors import InputError

#: optimiser steps of the synthetic training runs (steps_to_target is censored at this budget).
STEPS: int = 100


def check_configs(configs: Sequence[str] | str) -> tuple[str, ...]:
    """`configs` as a non-empty tuple of registered training configurations.

    A single string is one configuration (not its characters).

    Raises
    ------
    etr.errors.InputError
        Empty, or naming an unknown configuration (the allowed ones are listed).

    Examples
    --------
    >>> check_configs("pure_pqc")
    ('pure_pqc',)
    """
    configs = (configs,) if isinstance(configs, str) else tuple(configs)
    if not configs:
        raise InputError("`configs` must name at least one training configuration")
    bad = [c for c in configs if c not in TRAINING_CONFIGS]
    if bad:
        raise InputError(
            f"`configs` has unknown value(s) {bad}; allowed: {', '.join(TRAINING_CONFIGS)}"
        )
    return configs


def config_map(name: str, mapping: Mapping[str, object] | None,
               default: Mapping[str, object]) -> dict[str, object]:
    """`mapping` (or `default` when None) as a dict keyed by registered configurations.

    The values are not checked here: each generator bounds its own (slopes, correlations).

    Raises
    ------
    etr.errors.InputError
        A key that is not a training configuration (named in the message as ``name``).

    Examples
    --------
    >>> config_map("slopes", None, {"pure_pqc": 0.8})
    {'pure_pqc': 0.8}
    """
    out = dict(default if mapping is None else mapping)
    bad = [c for c in out if c not in TRAINING_CONFIGS]
    if bad:
        raise InputError(f"`{name}` has unknown configuration(s) {bad}; allowed: "
                         f"{', '.join(TRAINING_CONFIGS)}")
    return out


def latent_trainability(runs: pd.DataFrame, t_train: np.ndarray, t_init: np.ndarray,
                        layers: np.ndarray | pd.Series, has_pqc: np.ndarray,
                        rng: np.random.Generator, *, var_slope: float, norm_slope: float,
                        loss_slope: float, steps_slope: float) -> None:
    """Write every trainability and performance column of `runs` from latent trainabilities.

    Each column is a monotone map of the run's latent value (more = more trainable), so a rank
    association planted on the latent holds for every definition: ``grad_var`` follows the
    latent at initialisation `t_init`, the others the latent after training `t_train`;
    ``steps_to_target`` decreases with it, centred on the median run (runs that would need
    more than `STEPS` are censored). The slopes set how strongly each column follows its latent
    (the generators differ only there); `rng` is drawn once, for ``effective_dimension`` (no
    association).

    Parameters
    ----------
    runs : pandas.DataFrame
        Written in place.
    t_train, t_init : numpy.ndarray
        Latent trainability per run after training and at initialisation (NaN without a PQC).
    layers : array-like
        PQC layers per run (``entangling_capability`` grows with them).
    has_pqc : numpy.ndarray of bool
        Runs with a PQC (``entangling_capability`` is NaN for the others).
    rng : numpy.random.Generator
        Randomness source.
    var_slope, norm_slope, loss_slope, steps_slope : float
        Slopes of ``log10`` of the gradient variances, of ``log10(grad_norm)``, of the
        double-exponential map of ``loss_decrease`` and of the log of the steps.
    """
    n = len(runs)
    runs["grad_var"] = 10.0 ** (-2.0 + var_slope * t_init)
    runs["grad_var_train"] = 10.0 ** (-2.5 + var_slope * t_train)
    runs["grad_var_landscape"] = 10.0 ** (-2.2 + var_slope * t_train)
    runs["grad_norm"] = 10.0 ** (-1.2 + norm_slope * t_train)
    runs["loss_decrease"] = 1.0 - np.exp(-np.exp(loss_slope * t_train))
    steps = np.ceil(30.0 * np.exp(-steps_slope * (t_train - np.nanmedian(t_train))))
    censor_steps(runs, steps)
    runs["effective_dimension"] = np.clip(0.5 + 0.1 * rng.normal(size=n), 0.0, 1.0)
    runs["final_loss"] = 0.7 * (1.0 - runs["loss_decrease"]) + 0.01
    runs["test_accuracy"] = np.clip(0.5 + 0.45 * runs["loss_decrease"], 0.0, 1.0)
    runs["entangling_capability"] = np.where(has_pqc, 1.0 - np.exp(-0.3 * layers), np.nan)


def censor_steps(runs: pd.DataFrame, steps: np.ndarray) -> None:
    """``steps_to_target`` capped at the budget `STEPS`, ``steps_to_target_censored`` where the
    run would have needed more (it never reached the target)."""
    runs["steps_to_target_censored"] = steps > STEPS
    runs["steps_to_target"] = np.minimum(steps, STEPS)
