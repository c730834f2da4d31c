"""Repeated simulations on planted truths: coverage, level and power of the claims' tests.

Truths come from `planted_dataset`, whose within-cell correlation is stated in closed form (and
checked independently in test_synthetic.py): the conditional r of a configuration is the planted
value. Rates are compared with their nominal values within Monte-Carlo error.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from etr._rng import spawn_seeds
from etr.analysis import conditional as cond
from etr.analysis import conditional_correlation, evaluate_claims, planted_dataset
from etr.errors import DegenerateDataWarning

Y = "grad_var_train"


def _upper(p: float, n: int, z: float = 2.33) -> float:
    """p plus z Monte-Carlo standard errors of a rate estimated from n replicates."""
    return p + z * np.sqrt(p * (1 - p) / n)


@pytest.mark.slow
def test_coverage_of_the_conditional_estimate_and_the_paired_difference():
    reps = 300
    truth = {"pure_pqc": 0.4, "hybrid_quantum_only": 0.2, "hybrid_full": 0.0}
    hits = dict.fromkeys([*truth, "difference"], 0)
    for seed in spawn_seeds(2026, reps):
        df = planted_dataset(n_pqcs=120, n_seeds=2, conditional=truth, seed=seed)
        res = conditional_correlation(df, y=Y).set_index("training_config")
        for config, value in truth.items():
            hits[config] += res.loc[config, "ci_low"] < value < res.loc[config, "ci_high"]
        rows = cond.prepare_rows(df, x="expressibility_fp", y=Y, by=("training_config",),
                                 strata=cond.STRATA, cluster="pqc_id")
        fits = [cond.fit(list(cond.kernels(rows.frame[rows.frame["_g"] == c]).values()))
                for c in ("pure_pqc", "hybrid_quantum_only")]
        low, high = cond.difference(*fits).interval(0.95)
        hits["difference"] += low < 0.2 < high
    for name, count in hits.items():
        assert count / reps >= 0.93, (name, count / reps)


@pytest.mark.slow
def test_equivalence_test_is_not_supported_falsely_at_the_margin():
    # truth exactly at the margin (r = +-0.1): "supported" (the 90% interval inside +-0.1,
    # two one-sided tests at alpha = 0.05) must happen at most 5% of the time
    reps = 400
    supported = claims_supported = 0
    for i, seed in enumerate(spawn_seeds(77, reps)):
        r = 0.1 if i % 2 else -0.1
        df = planted_dataset(n_pqcs=600, n_seeds=2, configs=["hybrid_full"],
                             conditional={"hybrid_full": r}, seed=seed)
        row = conditional_correlation(df, y=Y, confidence=0.90).iloc[0]
        supported += -0.1 < row["ci_low"] and row["ci_high"] < 0.1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            res = evaluate_claims(df, definitions=[Y]).set_index("claim")
        claims_supported += res.loc["full_eliminated", "verdict"] == "supported"
    assert supported / reps <= _upper(0.05, reps), supported / reps
    assert claims_supported / reps <= 0.05, claims_supported / reps


@pytest.mark.slow
def test_equivalence_needs_the_stated_number_of_circuits():
    # claims.py: se ~ (pi / 3) sqrt(D f / G), f = (2g + 5) / (2 (g - 1)) for g circuits per
    # stratum, D = (1 + (m - 1) rho_w) / m for m runs per circuit; a true r = 0 is shown inside
    # +-0.1 (alpha = 0.05) with even odds at se = 0.1 / (1.645 + 0.674), i.e. G / (D f) ~ 590
    g_per, strata = 52, 12
    f = (2 * g_per + 5) / (2 * (g_per - 1))
    n = g_per * strata  # 624 = 590 f
    reps = 150
    for n_seeds in (1, 3):
        # within-circuit correlation of trainability at r = 0: the planted icc (0.4) as a
        # Pearson correlation, (6 / pi) arcsin(0.2) as a rank correlation
        rho_w = 6 / np.pi * np.arcsin(0.4 / 2) if n_seeds > 1 else 0.0
        d = (1 + (n_seeds - 1) * rho_w) / n_seeds
        widths, shown = [], 0
        for seed in spawn_seeds(5 + n_seeds, reps):
            df = planted_dataset(n_pqcs=n, n_seeds=n_seeds, configs=["pure_pqc"],
                                 conditional={"pure_pqc": 0.0}, seed=seed)
            row = conditional_correlation(df, y=Y, confidence=0.90).iloc[0]
            widths.append((row["ci_high"] - row["ci_low"]) / 2)
            shown += -0.1 < row["ci_low"] and row["ci_high"] < 0.1
        predicted = 1.645 * (np.pi / 3) * np.sqrt(d * f / n)
        assert np.mean(widths) == pytest.approx(predicted, rel=0.1), n_seeds
        if n_seeds == 1:
            assert 0.38 <= shown / reps <= 0.62, shown / reps


@pytest.mark.slow
def test_regime_test_level_and_power():
    # level: the same conditional r in every regime, while width and depth shift both
    # expressibility and trainability; power: no trade-off in shallow circuits, r = 0.5 in deep
    reps = 200
    false = power = 0
    for i, seed in enumerate(spawn_seeds(99, 2 * reps)):
        planted = 0.3 if i < reps else (0.0, 0.5)
        df = planted_dataset(n_pqcs=480, n_seeds=2, configs=["pure_pqc"],
                             conditional={"pure_pqc": planted}, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            row = evaluate_claims(df, definitions=[Y]).set_index("claim").loc[
                "pure_regime_dependent"]
        if i < reps:
            false += row["p_value"] <= 0.05
        else:
            power += row["p_value"] <= 0.05
    assert false / reps <= _upper(0.05, reps), false / reps
    assert power / reps >= 0.8, power / reps


def _two_task_study(rho: float, task_corr: float, n_per_cell: int,
                    rng: np.random.Generator) -> pd.DataFrame:
    """Circuits on a 3 x 3 width-depth grid, each trained on two tasks whose trainability
    noises correlate by `task_corr`; within a cell and a task, the oriented r of x and t is
    rho exactly (Gaussian, so r = sin(pi tau / 2) is rho)."""
    rows = []
    k = 0
    for n in (2, 4, 6):
        for depth in (1, 2, 4):
            z = rng.normal(size=n_per_cell)
            shared = rng.normal(size=n_per_cell)
            for i in range(n_per_cell):
                for task in ("a", "b"):
                    e = np.sqrt(task_corr) * shared[i] + np.sqrt(1 - task_corr) * rng.normal()
                    t = rho * z[i] + np.sqrt(1 - rho**2) * e - 0.5 * n - depth
                    rows.append({"pqc_id": f"c{k + i}", "n_qubits": n, "layers": depth,
                                 "task": task, "training_config": "pure_pqc",
                                 "expressibility_fp": 1.0 + np.exp(z[i] - 0.2 * depth),
                                 Y: np.exp(t)})
            k += n_per_cell
    return pd.DataFrame(rows)


@pytest.mark.slow
def test_coverage_when_circuits_span_task_strata():
    # every circuit trained on two tasks with correlated trainability: the task strata share
    # circuits, and intervals that treated them as independent would cover too rarely
    reps, rho = 300, 0.3
    hits = 0
    for seed in spawn_seeds(7, reps):
        df = _two_task_study(rho, 0.8, 12, np.random.default_rng(seed))
        res = conditional_correlation(df, y=Y, by=None,
                                      strata=("task", "n_qubits", "layers")).iloc[0]
        hits += res["ci_low"] < rho < res["ci_high"]
    assert 0.93 <= hits / reps <= 0.99, hits / reps
