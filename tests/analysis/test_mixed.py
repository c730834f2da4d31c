from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from etr.analysis import MixedEffectsResult, _lmm, mixed_effects, planted_dataset, synthetic_dataset
from etr.analysis import mixed as m
from etr.analysis.mixed import mixed_effects_by_definition
from etr.errors import DegenerateDataWarning, InputError
from etr.report.analyze import analyze_dataset

X, Y = "expressibility_kl", "grad_var"


@pytest.fixture(scope="module")
def df():
    return synthetic_dataset(n_architectures=60, seed=21)


@pytest.fixture(scope="module")
def fit(df):
    # the generator's truth is linear in raw KL
    return mixed_effects(df, y=Y, x=X, transform_x="none")


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
    # balanced design, x constant within circuit: GLS = OLS for the fixed effects (Zyskind's
    # condition holds for circuit-level covariates crossed with balanced configurations)
    data = pd.DataFrame({"_y": np.log10(df[Y]), "_x": df[X], "_by": df["training_config"],
                         "_c0": df["n_qubits"].astype(str), "_c1": df["layers"].astype(str)})
    ols = smf.ols("_y ~ C(_by) + _x:C(_by) + C(_by):C(_c0) + C(_by):C(_c1)", data).fit()
    np.testing.assert_allclose(fit.fixed_effects["estimate"], ols.params.to_numpy(), atol=1e-7)
    terms = fit.fixed_effects["term"].tolist()
    assert terms[:3] == ["Intercept", "training_config[hybrid_quantum_only]",
                         "training_config[pure_pqc]"]
    assert "training_config[pure_pqc]:layers[4]" in terms  # depth effects per configuration
    fe = fit.fixed_effects.set_index("term")
    slope_qo = fe.loc[f"{X}:training_config[hybrid_quantum_only]", "estimate"]
    assert fit.slopes.set_index("training_config").loc["hybrid_quantum_only", "estimate"] == \
        pytest.approx(slope_qo)
    assert "factor(layers)" in fit.formula and "(1 | pqc_id)" in fit.formula


def test_variance_components_and_r2():
    # a large sample, so that estimates sit close to the generating values
    df = synthetic_dataset(n_architectures=400, seed=1)
    fit = mixed_effects(df, y=Y, x=X, transform_x="none", lrt=False)
    vc = fit.variance_components.set_index("component")
    truth = df.attrs["truth"]
    assert vc.loc["pqc_id intercept", "sd"] == pytest.approx(truth["intercept_sd"],
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
    res = mixed_effects(same, y=Y, x=X, transform_x="none")
    assert res.lrt.loc[0, "p_value"] > 0.01


def test_options_random_slope_no_by_categorical_covariate(df):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rs = mixed_effects(df[df["training_config"] == "pure_pqc"], y=Y, x=X, by=None,
                           random_slope=True, lrt=False, transform_x="none")
    assert len(rs.variance_components) == 4
    assert rs.slopes.loc[0, "ci_low"] < 0.8 < rs.slopes.loc[0, "ci_high"]
    assert 0 < rs.r2_marginal < rs.r2_conditional < 1
    assert "(1 + expressibility_kl | pqc_id)" in rs.formula
    pure = df[df["training_config"] == "pure_pqc"]
    one = mixed_effects(pure, y=Y, x=X, by=None, covariates=("topology", "n_qubits"),
                        transform_x="none")
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
    assert "log10(expressibility_kl)" in res.formula  # the registry marks KL log-scaled
    assert any("`layers` is constant" in w for w in res.warnings)
    assert res.lrt.empty
    lin = mixed_effects(df, y="loss_decrease", x=X, transform_y="none", lrt=False)
    assert lin.formula.startswith("loss_decrease ~") and lin.converged


def test_degenerate_and_bad_input(df):
    two = df[df["pqc_id"].isin(df["pqc_id"].unique()[:2])]
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
    data = pd.DataFrame({"pqc_id": np.repeat([f"a{i}" for i in range(30)], 3),
                         "training_config": "pure_pqc",
                         "expressibility_kl": np.repeat(rng.uniform(0, 1, 30), 3),
                         "n_qubits": 4, "layers": 2, "y": rng.normal(0.5, 0.1, 90)})
    res = mixed_effects(data, y="y", x=X, by=None, nested=None, transform_y="none")
    assert np.isfinite(res.slopes.loc[0, "estimate"])
    assert isinstance(res.warnings, tuple)


def test_level_with_too_few_groups_gets_nan_slope(df):
    keep = df["pqc_id"].isin(df["pqc_id"].unique()[:2])
    data = df[(df["training_config"] != "hybrid_full") | keep]
    with pytest.warns(DegenerateDataWarning, match="hybrid_full"):
        res = mixed_effects(data, y=Y, x=X, lrt=False, transform_x="none")
    slopes = res.slopes.set_index("training_config")
    assert np.isnan(slopes.loc["hybrid_full", "estimate"])
    assert slopes.loc["pure_pqc", "ci_low"] < 0.8 < slopes.loc["pure_pqc", "ci_high"]


def _nested_data(seed: int, n_pqc: int = 150) -> pd.DataFrame:
    """y = 0.5 x + circuit effect (sd 0.3) + architecture effect (sd 0.2) + noise (sd 0.1)."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_pqc):
        x, u = rng.uniform(1, 2), rng.normal(0, 0.3)
        for a in range(2):
            v = rng.normal(0, 0.2)
            for s in range(3):
                rows.append({"pqc_id": f"p{k}", "architecture_id": f"p{k}a{a}", "seed": s,
                             "training_config": "hybrid_full", "n_qubits": 2 + k % 2,
                             "layers": 1 + k % 3, "x": x + rng.normal(0, 0.05),
                             "y": 0.5 * x + u + v + rng.normal(0, 0.1)})
    return pd.DataFrame(rows)


def test_nested_architectures_recover_their_variance_components():
    data = _nested_data(0)
    res = mixed_effects(data, y="y", x="x", by=None, lrt=False)
    vc = res.variance_components.set_index("component")["sd"]
    assert vc["pqc_id intercept"] == pytest.approx(0.3, abs=0.05)
    assert vc["architecture_id within pqc_id"] == pytest.approx(0.2, abs=0.03)
    assert vc["residual"] == pytest.approx(0.1, abs=0.01)
    assert "(1 | pqc_id/architecture_id)" in res.formula
    # x is the circuit mean: its within-circuit sd is the measurement error (0.05), and the
    # reliability of the mean of 6 runs is var(x) / (var(x) + 0.05^2 / 6) for x ~ U(1, 2)
    assert res.x_measurement_sd == pytest.approx(0.05, rel=0.1)
    assert res.x_reliability == pytest.approx((1 / 12) / (1 / 12 + 0.05**2 / 6), abs=0.005)
    assert res.slopes.loc[0, "ci_low"] < 0.5 < res.slopes.loc[0, "ci_high"]


def test_a_measurement_shared_by_two_configurations_enters_once():
    data = _nested_data(1, n_pqc=60)
    twin = data.assign(training_config="hybrid_quantum_only")
    pure = data.drop_duplicates("pqc_id").assign(
        training_config="pure_pqc", architecture_id=lambda d: d["pqc_id"] + "pure")
    both = pd.concat([twin, data, pure], ignore_index=True)
    res = mixed_effects(both, y="y", x="x", lrt=False)
    assert res.shared_levels == {"hybrid_full": "hybrid_quantum_only"}
    assert res.n == len(twin) + len(pure) and res.n_dropped == len(data)
    slopes = res.slopes.set_index("training_config")
    assert slopes.loc["hybrid_full", "estimate"] == slopes.loc["hybrid_quantum_only",
                                                               "estimate"]
    assert any("fitted once" in w for w in res.warnings)


def test_definitions_on_the_same_runs_share_one_design(monkeypatch):
    built = []
    original = m._designs
    monkeypatch.setattr(m, "_designs", lambda *a, **k: built.append(1) or original(*a, **k))
    data = planted_dataset(n_pqcs=48, n_seeds=2, seed=4)
    ys = ["grad_var", "grad_var_train", "grad_var_landscape", "grad_norm"]
    res = mixed_effects_by_definition(data, ys=ys, x="expressibility_fp", lrt=False)
    # grad_var drops the rows of the hybrid configuration it shares (other rows): 2 designs
    assert len(built) == 2
    for y in ys:
        one = mixed_effects(data, y=y, x="expressibility_fp", lrt=False)
        pd.testing.assert_frame_equal(res[y].slopes, one.slopes)
        pd.testing.assert_frame_equal(res[y].variance_components, one.variance_components)


def test_no_model_is_fitted_twice_in_an_analysis(monkeypatch):
    m._FIT_CACHE.clear()
    keys = []
    original = _lmm.fit

    def spy(design, stats, *, reml, start=None):
        keys.append(m._digest(design, stats, reml))
        return original(design, stats, reml=reml, start=start)

    monkeypatch.setattr(_lmm, "fit", spy)
    # one task: the report's model (width and depth as covariates) is the summary's model of
    # the same definition, so its REML fit is the summary's
    data = planted_dataset(n_pqcs=48, n_seeds=2, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = analyze_dataset(data, n_boot=50, seed=1, definitions=["grad_var_train",
                                                                   "grad_norm"])
    assert res.mixed is not None and res.design.strata == ("n_qubits", "layers")
    assert len(keys) == len(set(keys))
    # summary: one REML fit per definition; report: its REML fit reused, two ML fits added
    assert len(keys) == 2 + 2
