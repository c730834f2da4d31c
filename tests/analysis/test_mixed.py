from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from etr.analysis import MixedEffectsResult, mixed_effects, synthetic_dataset
from etr.errors import DegenerateDataWarning, InputError

X, Y = "expressibility_kl", "grad_var"


@pytest.fixture(scope="module")
def df():
    return synthetic_dataset(n_architectures=60, seed=21)


@pytest.fixture(scope="module")
def fit(df):
    return mixed_effects(df, y=Y, x=X)


def test_recovers_per_configuration_slopes(df, fit):
    assert isinstance(fit, MixedEffectsResult) and fit.converged
    truth = df.attrs["truth"]["slopes"]
    slopes = fit.slopes.set_index("training_config")
    assert list(slopes.index) == sorted(truth)
    for config, true in truth.items():
        row = slopes.loc[config]
        assert row["ci_low"] < true < row["ci_high"], config
    assert slopes.loc["hybrid_full", "p_value"] > 0.05
    assert slopes.loc["pure_pqc", "p_value"] < 1e-6
    assert fit.n == len(df) and fit.n_groups == 60 and fit.n_dropped == 0


def test_fixed_effects_equal_ols_in_balanced_design(df, fit):
    # balanced design, x constant within architecture: GLS = OLS for the fixed effects
    data = df.assign(ly=np.log10(df[Y]))
    ols = smf.ols(f"ly ~ {X} * C(training_config) + n_qubits + layers", data).fit()
    np.testing.assert_allclose(fit.fixed_effects["estimate"], ols.params.to_numpy(), atol=1e-8)
    assert fit.fixed_effects["term"].tolist()[:4] == [
        "Intercept", "training_config[hybrid_quantum_only]", "training_config[pure_pqc]", X]
    fe = fit.fixed_effects.set_index("term")
    slope_qo = fe.loc[X, "estimate"] + fe.loc[f"{X}:training_config[hybrid_quantum_only]",
                                              "estimate"]
    assert fit.slopes.set_index("training_config").loc["hybrid_quantum_only", "estimate"] == \
        pytest.approx(slope_qo)


def test_variance_components_and_r2():
    # a large sample, so that estimates sit close to the generating values
    df = synthetic_dataset(n_architectures=400, seed=1)
    fit = mixed_effects(df, y=Y, x=X, lrt=False)
    vc = fit.variance_components.set_index("component")
    truth = df.attrs["truth"]
    assert vc.loc["architecture_id intercept", "sd"] == pytest.approx(truth["intercept_sd"],
                                                                      abs=0.03)
    assert vc.loc["residual", "sd"] == pytest.approx(truth["noise_sd"], abs=0.01)
    # Nakagawa-Schielzeth R2 from the generating values
    slope = df["training_config"].map(truth["slopes"]).to_numpy()
    var_f = np.var(slope * (df["expressibility_kl"] - truth["kl_bias"]))
    total = var_f + truth["intercept_sd"] ** 2 + truth["noise_sd"] ** 2
    assert fit.r2_marginal == pytest.approx(var_f / total, abs=0.04)
    assert fit.r2_conditional == pytest.approx((var_f + truth["intercept_sd"] ** 2) / total,
                                               abs=0.02)
    assert 0 < fit.r2_marginal < fit.r2_conditional < 1


def test_lrt_detects_differing_slopes_and_not_equal_ones(fit):
    lrt = fit.lrt.iloc[0]
    assert lrt["df"] == 2 and lrt["p_value"] < 1e-6
    assert lrt["aic_full"] < lrt["aic_null"] and np.isfinite(lrt["bic_full"])
    same = synthetic_dataset(n_architectures=60, slopes=dict.fromkeys(
        ("pure_pqc", "hybrid_quantum_only", "hybrid_full"), 0.5), seed=22)
    res = mixed_effects(same, y=Y, x=X)
    assert res.lrt.loc[0, "p_value"] > 0.01


def test_options_random_slope_no_by_categorical_covariate(df):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rs = mixed_effects(df[df["training_config"] == "pure_pqc"], y=Y, x=X, by=None,
                           random_slope=True, lrt=False)
    assert len(rs.variance_components) == 4
    assert rs.slopes.loc[0, "ci_low"] < 0.8 < rs.slopes.loc[0, "ci_high"]
    assert 0 < rs.r2_marginal < rs.r2_conditional < 1
    assert "(1 + expressibility_kl | architecture_id)" in rs.formula
    pure = df[df["training_config"] == "pure_pqc"]
    one = mixed_effects(pure, y=Y, x=X, by=None, covariates=("topology", "n_qubits"))
    assert list(one.slopes.columns) == ["estimate", "se", "ci_low", "ci_high", "p_value"]
    assert one.slopes.loc[0, "ci_low"] < 0.8 < one.slopes.loc[0, "ci_high"]
    assert any(t.startswith("topology[") for t in one.fixed_effects["term"])
    assert one.lrt.loc[0, "test"] == f"slope of {X} is zero"
    frame = one.to_frame()
    assert {"term", "estimate", "n", "method"} <= set(frame.columns)


def test_dropped_rows_constant_covariate_and_linear_scale(df):
    bad = df.copy()
    bad.loc[bad.index[:4], Y] = 0.0  # log10 impossible
    bad.loc[bad.index[4:6], X] = np.nan
    bad["layers"] = 3
    res = mixed_effects(bad, y=Y, x=X, lrt=False)
    assert res.n_dropped == 6 and res.n == len(df) - 6
    assert any("`layers` is constant" in w for w in res.warnings)
    assert res.lrt.empty
    lin = mixed_effects(df, y="loss_decrease", x=X, transform_y="none", lrt=False)
    assert "log10" not in lin.formula and lin.converged


def test_degenerate_and_bad_input(df):
    two = df[df["architecture_id"].isin(df["architecture_id"].unique()[:2])]
    with pytest.warns(DegenerateDataWarning, match="fewer than 3"):
        res = mixed_effects(two, y=Y, x=X)
    assert res.slopes["estimate"].isna().all() and not res.converged
    with pytest.warns(DegenerateDataWarning, match="constant"):
        mixed_effects(df.assign(grad_var=2.0), y=Y, x=X)
    with pytest.raises(InputError, match="missing column"):
        mixed_effects(df.drop(columns="layers"), y=Y, x=X)
    with pytest.raises(InputError, match="`transform_y` must be one of"):
        mixed_effects(df, y=Y, x=X, transform_y="sqrt")
    with pytest.raises(InputError, match="must be numeric"):
        mixed_effects(df.assign(grad_var=df[Y].astype(str)), y=Y, x=X)
    with pytest.raises(InputError, match="random_slope"):
        mixed_effects(df, y=Y, x=X, random_slope="yes")


def test_failed_optimiser_is_recorded_not_raised():
    # independent noise: the random-intercept variance sits on the boundary (0)
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"architecture_id": np.repeat([f"a{i}" for i in range(30)], 3),
                         "training_config": "pure_pqc",
                         "expressibility_kl": np.repeat(rng.uniform(0, 1, 30), 3),
                         "n_qubits": 4, "layers": 2, "y": rng.normal(0.5, 0.1, 90)})
    res = mixed_effects(data, y="y", x=X, by=None, transform_y="none")
    assert np.isfinite(res.slopes.loc[0, "estimate"])
    assert isinstance(res.warnings, tuple)


def test_level_with_too_few_groups_gets_nan_slope(df):
    keep = df["architecture_id"].isin(df["architecture_id"].unique()[:2])
    data = df[(df["training_config"] != "hybrid_full") | keep]
    with pytest.warns(DegenerateDataWarning, match="hybrid_full"):
        res = mixed_effects(data, y=Y, x=X, lrt=False)
    slopes = res.slopes.set_index("training_config")
    assert np.isnan(slopes.loc["hybrid_full", "estimate"])
    assert slopes.loc["pure_pqc", "ci_low"] < 0.8 < slopes.loc["pure_pqc", "ci_high"]
