"""The profiled (RE)ML of `etr.analysis._lmm` against lme4, statsmodels and its own gradient.

lme4 references: ``tests/reference/lme4_reference.json``, written by
``tests/reference/lme4_reference.R`` from the data sets of ``lme4_reference_data.py``
(committed, so these tests need no R).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.mixed_linear_model import MixedLM, VCSpec

from etr.analysis import _lmm, mixed_effects

REF = Path(__file__).resolve().parents[1] / "reference"
LME4 = json.loads((REF / "lme4_reference.json").read_text())
COLUMNS = json.loads((REF / "lme4_data" / "columns.json").read_text())
#: case -> (data file, nested architectures, random slope)
CASES = {
    "planted_nested": ("planted", True, False),
    "planted_intercept": ("planted", False, False),
    "slope": ("planted_slope", False, True),
    "slope_nested": ("planted_slope", True, True),
    "quick_grad_var_train": ("quick_grad_var_train", True, False),
    "quick_grad_var_landscape": ("quick_grad_var_landscape", True, False),
}


def _load(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / "lme4_data" / f"{name}.csv.gz",
                       dtype={"pqc_id": str, "architecture_id": str})


def _design(name: str, nested: bool, slope: bool):
    d = _load(name)
    x = d[[f"X{i}" for i in range(len(COLUMNS[name]))]].to_numpy(dtype=float)
    design = _lmm.Design.build(d["pqc_id"].to_numpy(),
                               d["architecture_id"].to_numpy() if nested else None,
                               d["x"].to_numpy() if slope else None)
    return d, x, design, design.stats(design.exog(x), d["y"].to_numpy())


def _variances(ref: dict) -> dict[str, float]:
    """lme4's VarCorr rows by etr's component name."""
    out = {}
    for row in ref["varcorr"]:
        grp, v1, v2 = row["grp"], row["var1"], row["var2"]
        if grp == "Residual":
            out["residual"] = row["vcov"]
        elif grp.startswith("architecture_id") or ":" in grp:
            out["nested"] = row["vcov"]
        elif v2:
            out["covariance"] = row["vcov"]
        elif v1 == "x":
            out["slope"] = row["vcov"]
        else:
            out["intercept"] = row["vcov"]
    return out


@pytest.mark.parametrize("criterion", ["REML", "ML"])
@pytest.mark.parametrize("case", list(CASES))
def test_equals_lme4(case, criterion):
    _, _, design, stats = _design(*CASES[case])
    fit = _lmm.fit(design, stats, reml=criterion == "REML")
    ref = LME4["cases"][case][criterion]
    assert fit.converged
    np.testing.assert_allclose(fit.beta, ref["fixef"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov_beta)), ref["se"], rtol=1e-5)
    assert fit.llf == pytest.approx(ref["loglik"], abs=1e-6)
    want = _variances(ref)
    assert fit.scale == pytest.approx(want["residual"], rel=1e-5)
    assert fit.cov_re[0, 0] == pytest.approx(want["intercept"], rel=1e-4, abs=1e-8)
    if CASES[case][2]:
        assert fit.cov_re[1, 1] == pytest.approx(want["slope"], rel=1e-4, abs=1e-8)
        assert fit.cov_re[0, 1] == pytest.approx(want["covariance"], rel=1e-4, abs=1e-8)
    if CASES[case][1]:
        assert fit.vcomp[0] == pytest.approx(want["nested"], rel=1e-4, abs=1e-8)


@pytest.mark.parametrize("criterion", ["REML", "ML"])
def test_public_model_equals_lme4_own_formula(criterion):
    # etr's formula (configuration effects, slopes and width/depth factors per configuration,
    # circuits with nested architectures) is the model lme4 fits from its own formula
    data = _load("planted")
    res = mixed_effects(data, y="y", x="x", transform_x="none", transform_y="none",
                        lrt=criterion == "ML")
    ref = LME4["cases"]["planted_natural"][criterion]
    coef = dict(zip(ref["fixef_names"], ref["fixef"], strict=True))
    se = dict(zip(ref["fixef_names"], ref["se"], strict=True))
    slopes = res.slopes.set_index("training_config")
    for config in ("hybrid_full", "pure_pqc"):
        name = f"training_config{config}:x"
        if criterion == "REML":
            assert slopes.loc[config, "estimate"] == pytest.approx(coef[name], abs=1e-5)
            assert slopes.loc[config, "se"] == pytest.approx(se[name], rel=1e-5)
    vc = res.variance_components.set_index("component")["variance"]
    want = _variances(LME4["cases"]["planted_natural"]["REML"])
    if criterion == "REML":
        assert vc["pqc_id intercept"] == pytest.approx(want["intercept"], rel=1e-4)
        assert vc["architecture_id within pqc_id"] == pytest.approx(want["nested"], rel=1e-4)
        assert vc["residual"] == pytest.approx(want["residual"], rel=1e-5)
        assert res.converged
    else:
        # the ML fit of the likelihood-ratio test is lme4's ML fit: AIC = -2 llf + 2 k
        k = len(ref["fixef"]) + 2 + 1
        assert res.lrt.loc[0, "aic_full"] == pytest.approx(-2 * ref["loglik"] + 2 * k,
                                                           abs=1e-5)


def test_planted_truth_recovered():
    # the generating values of lme4_reference_data.planted (slopes 0.8 and 0.1; sds 0.5,
    # 0.3, 0.4) lie inside the intervals of the REML fit
    res = mixed_effects(_load("planted"), y="y", x="x", transform_x="none",
                        transform_y="none", lrt=False, confidence=0.99)
    slopes = res.slopes.set_index("training_config")
    for config, truth in {"pure_pqc": 0.8, "hybrid_full": 0.1}.items():
        assert slopes.loc[config, "ci_low"] < truth < slopes.loc[config, "ci_high"]
    sd = res.variance_components.set_index("component")["sd"]
    assert sd["pqc_id intercept"] == pytest.approx(0.5, abs=0.15)
    assert sd["architecture_id within pqc_id"] == pytest.approx(0.3, abs=0.1)
    assert sd["residual"] == pytest.approx(0.4, abs=0.05)


@pytest.mark.parametrize("case", ["planted_nested", "slope_nested"])
@pytest.mark.parametrize("reml", [True, False])
def test_gradient_equals_finite_differences(case, reml):
    _, _, design, stats = _design(*CASES[case])
    obj = _lmm._Objective(design, stats, reml)
    rng = np.random.default_rng(0)
    for _ in range(3):
        phi = np.abs(rng.normal(size=len(obj.lower))) + 0.1
        _, grad = obj(phi)
        num = [(obj.value(phi + h) - obj.value(phi - h)) / 2e-6
               for h in np.eye(len(phi)) * 1e-6]
        np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-5)


def test_equals_statsmodels_where_it_converges():
    d, x, design, stats = _design("planted", True, False)
    fit = _lmm.fit(design, stats, reml=True)
    groups = d["pqc_id"].to_numpy()
    mats, names = [], []
    for g in sorted(set(groups)):
        a = d["architecture_id"].to_numpy()[groups == g]
        levels = np.unique(a)
        mats.append((a[:, None] == levels[None, :]).astype(float))
        names.append(list(levels))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = MixedLM(d["y"].to_numpy(), x, groups, exog_re=np.ones((len(d), 1)),
                     exog_vc=VCSpec(["nested"], [names], [mats])).fit(reml=True, method="lbfgs")
    np.testing.assert_allclose(fit.beta, sm.fe_params, atol=1e-5)
    assert fit.llf == pytest.approx(sm.llf, abs=1e-6)
    assert fit.llf >= sm.llf - 1e-9
    assert fit.vcomp[0] == pytest.approx(float(sm.vcomp[0]), rel=1e-4)


def test_statsmodels_stopped_short_on_the_quick_data():
    # MixedLM's REML optimum on these frames (the variance components etr reported before)
    # has a lower likelihood than lme4's, which this module reaches
    for case, (circuit, nested, resid) in {
            "quick_grad_var_train": (1.5e-05, 0.033632, 0.218756),
            "quick_grad_var_landscape": (0.013179, 0.057015, 0.256132)}.items():
        _, _, design, stats = _design(*CASES[case])
        obj = _lmm._Objective(design, stats, True)
        at_statsmodels = obj.value(np.array([circuit / resid, nested / resid]))
        fit = _lmm.fit(design, stats, reml=True)
        assert -2 * fit.llf < at_statsmodels + stats.n * (1 + np.log(2 * np.pi))


def test_design_levels_nest_in_groups_and_shared_labels_stay_apart():
    # the same architecture label in two circuits is two levels (nested, as lme4's g/a)
    groups = np.array(["a", "a", "b", "b", "a"])
    levels = np.array(["x", "y", "x", "x", "x"])
    d = _lmm.Design.build(groups, levels)
    assert d.n_groups == 2 and len(d.m) == 3
    assert sorted(d.m.tolist()) == [1, 2, 2]
    assert np.all(np.diff(d.group_of_level) >= 0)
