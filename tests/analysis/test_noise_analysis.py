"""The association under noise: per level, its paired difference from the noiseless one, the
decay rate with depth, and the registered noise claim, on planted truths."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from etr.analysis import (
    CLAIMS,
    REGISTRY,
    compare_noise_levels,
    evaluate_claims,
    noise_decay,
    noise_levels,
    noiseless_runs,
    planted_dataset,
)
from etr.errors import InputError

Y = ["grad_var_train"]


def _paired(clean: pd.DataFrame, p: float, y: np.ndarray | None = None) -> pd.DataFrame:
    """A noisy copy of `clean`: the same circuits, seeds and x, at depolarizing `p`."""
    noisy = clean.assign(depolarizing=p, cell_id=clean["cell_id"] + f"-p{p}")
    if y is not None:
        noisy["grad_var_train"] = y
    return pd.concat([clean.assign(depolarizing=0.0), noisy], ignore_index=True)


@pytest.fixture(scope="module")
def clean():
    return planted_dataset(n_pqcs=240, n_seeds=8, seed=3, configs=("pure_pqc",),
                           conditional={"pure_pqc": 0.5})


def test_a_common_factor_of_depth_leaves_the_association_unchanged(clean):
    """Noise that multiplies every gradient of a depth by the same factor (a global
    depolarizing channel: (1 - p)^(2L)) keeps every order within a stratum: same r, difference
    exactly 0 (no estimable variance, so no test)."""
    factor = (1 - 0.05) ** (2 * clean["layers"].to_numpy())
    data = _paired(clean, 0.05, clean["grad_var_train"].to_numpy() * factor)
    res = compare_noise_levels(data, definitions=Y)
    assert res["noise"].tolist() == ["noiseless", "depolarizing=0.05"]
    # the circuit-level estimator takes normal scores over the group's runs, so a factor per
    # depth moves them a little; the difference is nil for practical purposes
    assert res["estimate"].iloc[1] == pytest.approx(res["estimate"].iloc[0], abs=1e-3)
    assert np.isnan(res["difference"].iloc[1]) or abs(res["difference"].iloc[1]) < 1e-3


def test_noise_that_erases_the_association_is_detected(clean):
    rng = np.random.default_rng(0)
    data = _paired(clean, 0.05, rng.lognormal(size=len(clean)))
    res = compare_noise_levels(data, definitions=Y)
    row = res.iloc[1]
    assert row["estimate_noiseless"] == pytest.approx(res["estimate"].iloc[0])
    assert row["difference_ci_low"] < -0.5 + 0.15 and row["difference_ci_high"] < 0
    assert row["p_adj"] < 1e-2
    claims = evaluate_claims(noiseless_runs(data), definitions=Y, noise=res,
                             claims=REGISTRY.with_primary(Y[0]))
    r = claims.set_index("claim").loc["noise_changes_tradeoff"]
    assert r["verdict"] == "supported" and "depolarizing=0.05" in r["sentence"]
    assert r["ci_high"] < 0


def test_without_noise_levels_the_claim_is_not_evaluated(clean):
    res = evaluate_claims(clean, definitions=Y, claims=REGISTRY.with_primary(Y[0]))
    assert res["claim"].tolist() == list(CLAIMS)
    r = res.set_index("claim").loc["noise_changes_tradeoff"]
    assert r["verdict"] == "inconclusive" and "no noise levels" in r["sentence"]
    with pytest.raises(InputError, match="`noise` is missing"):
        evaluate_claims(clean, definitions=Y, noise=pd.DataFrame({"x": [1]}),
                        claims=REGISTRY.with_primary(Y[0]))


def _null_study(rng: np.random.Generator, n_per: int = 6) -> pd.DataFrame:
    """Circuits in 8 width-depth strata; both levels carry the same true association 0.3 and
    share the circuit's effect (paired), with independent run noise."""
    rows = []
    for s in range(8):
        x = rng.normal(size=n_per)
        effect = 0.3 * x + np.sqrt(1 - 0.09) * rng.normal(size=n_per)
        for k in range(n_per):
            for p in (0.0, 0.02):
                rows.append({"pqc_id": f"s{s}c{k}", "cell_id": f"s{s}c{k}p{p}",
                             "n_qubits": 2 + s % 4, "layers": 1 + s // 4,
                             "training_config": "pure_pqc", "depolarizing": p,
                             "expressibility_fp": 1 + np.exp(-x[k]),
                             "grad_var_train": np.exp(0.8 * effect[k] + 0.6 * rng.normal())})
    return pd.DataFrame(rows)


@pytest.mark.slow
def test_level_of_the_paired_difference_by_simulation():
    """With the same true association at both levels, "no difference" is rejected at about the
    nominal 5% (300 simulated studies of 48 circuits: 15 +- 3.8 expected)."""
    rng = np.random.default_rng(2026)
    rejected = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(300):
            res = compare_noise_levels(_null_study(rng), definitions=Y)
            rejected += bool(res["p_value"].iloc[1] < 0.05)
    assert 4 <= rejected <= 27, rejected


def test_levels_and_noiseless_runs():
    df = pd.DataFrame({"depolarizing": [0.0, 0.01, 0.01, 0.0], "readout": [0, 0, 0.02, 0.0]})
    assert noise_levels(df)["noise"].tolist() == [
        "noiseless", "depolarizing=0.01", "depolarizing=0.01, readout=0.02"]
    assert len(noiseless_runs(df)) == 2
    assert len(noiseless_runs(pd.DataFrame({"x": [1, 2]}))) == 2  # written before noise


def test_decay_rate_against_the_global_depolarizing_reference():
    """Per-circuit ratios exactly (1 - p)^(2 k L) times an encoding factor: the slope is
    2 k ln(1 - p) and k_effective = k, with a zero-width interval."""
    rows = []
    for c in range(12):
        layers = 1 + c % 4
        for p in (0.0, 0.01, 0.05):
            for seed in (0, 1):
                v = np.exp(-c) * 0.7 * (1 - p) ** (2 * 2.5 * layers) if p else np.exp(-c)
                rows.append({"pqc_id": f"c{c}", "layers": layers, "depolarizing": p,
                             "training_config": "pure_pqc", "seed": seed, "grad_var": v,
                             "status": "ok"})
    res = noise_decay(pd.DataFrame(rows))
    assert res["noise"].tolist() == ["depolarizing=0.01", "depolarizing=0.05"]
    np.testing.assert_allclose(res["k_effective"], 2.5)
    np.testing.assert_allclose(res["reference_slope"], 2 * np.log1p(-np.array([0.01, 0.05])))
    assert (res["n_pairs"] == 24).all() and (res["n_clusters"] == 12).all()
