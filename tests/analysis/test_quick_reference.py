"""The analysis of the quick data against its outputs before the mixed models changed.

The data are ``tests/reference/quick_analysis_data.parquet``: ``data/quick.parquet`` as it was
when the reference was frozen (the committed demo data are regenerated whenever the simulation
changes; this copy is not).

``tests/reference/quick_analysis.json`` holds every table of the report's analysis and each
definition's mixed models as computed at commit 8cbfe39 (statsmodels MixedLM), by
``tests/reference/quick_analysis_reference.py``. Only the mixed models are compared now: the
tables were equal to rounding when the mixed models changed, and have since been redefined on
purpose (the circuit-level estimand, task-instance intervals), so their reference is the
planted-truth validation of `etr.analysis.conditional`. A mixed model must be equal where
MixedLM reached the optimum; where it stopped
short (its log-likelihood below the one reached now, confirmed by lme4 in
``tests/analysis/test_lmm.py``), the new fit must be strictly better, and these cases are
listed here so that a new difference cannot pass unnoticed. "Reached the optimum" is judged
to 1e-3 in log-likelihood: MixedLM stops on a gradient tolerance where the likelihood is flat,
so its variance components (and the standard errors that depend on them) agree with the
optimum to about 1e-3 relative, its fixed effects to 1e-7.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from etr.analysis import mixed_effects
from etr.experiment import read_dataset
from etr.report.analyze import analyze_dataset

ROOT = Path(__file__).resolve().parents[2]
REF = json.loads((ROOT / "tests" / "reference" / "quick_analysis.json").read_text())
#: (model, definition, fit) where MixedLM stopped short of the optimum (log-likelihood lower
#: by more than 1e-3 than this module's and lme4's); "summary" is `tradeoff_summary`'s model.
STOPPED_SHORT = {
    ("summary", "grad_var_train", "reml"), ("summary", "grad_var_landscape", "reml"),
    ("report", "grad_var_train", "ml_full"), ("report", "grad_var_train", "ml_null"),
    ("report", "grad_var_landscape", "ml_null"), ("report", "steps_to_target", "ml_full"),
}
#: tables the mixed models do not enter: equal to rounding.
# the tables the mixed-model rewrite could have changed and the circuit-level estimand did not
# redefine (the claims, their secondary tables, the configuration comparisons and the KL
# association are now decided on circuit-level values: their reference is the estimand's own
# planted-truth validation, not this frozen file)
UNCHANGED = ("control_gap", "control_gap_detail", "breakpoints", "regime_segments",
             "regime_selection", "stratified_correlation")


@pytest.fixture(scope="module")
def result():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = read_dataset(ROOT / "tests" / "reference" / "quick_analysis_data.parquet")
        return analyze_dataset(data, seed=0)


def _assert_frames(new: pd.DataFrame, old: list[dict], name: str, skip=()) -> None:
    old = pd.DataFrame(old)
    assert len(new) == len(old), name
    for col in old.columns:
        if col in skip:
            continue
        a, b = new[col].reset_index(drop=True), old[col]
        if pd.api.types.is_numeric_dtype(b) or pd.api.types.is_bool_dtype(b):
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-9,
                                       atol=1e-12, err_msg=f"{name}.{col}")
        else:
            assert a.astype(str).tolist() == b.fillna("None").astype(str).tolist() or \
                a.fillna("None").astype(str).tolist() == b.fillna("None").astype(str).tolist(), \
                f"{name}.{col}"


def _check_model(new, old: dict, model: str, definition: str) -> set[tuple]:
    """Compare one model; the set of fits found short of the optimum."""
    short = set()
    llf = old["llf"]
    if new.log_likelihood > llf["reml"] + 1e-3:
        short.add((model, definition, "reml"))
    else:
        assert new.log_likelihood == pytest.approx(llf["reml"], abs=1e-3)
        fe = pd.DataFrame(old["fixed_effects"])
        np.testing.assert_allclose(new.fixed_effects["estimate"], fe["estimate"], atol=1e-7)
        np.testing.assert_allclose(new.fixed_effects["se"], fe["se"], rtol=1e-3)
        vc = pd.DataFrame(old["variance_components"])
        np.testing.assert_allclose(new.variance_components["variance"], vc["variance"],
                                   rtol=1e-2, atol=1e-4 * vc["variance"].max())
        np.testing.assert_allclose([new.r2_marginal, new.r2_conditional], old["r2"],
                                   atol=1e-4)
        assert new.converged
    if old["lrt"]:
        lrt = old["lrt"][0]
        for fit, col in (("ml_full", "aic_full"), ("ml_null", "aic_null")):
            # the same parameters are counted: AIC differences are -2 x llf differences
            gain = (lrt[col] - new.lrt.loc[0, col]) / 2.0
            if gain > 1e-3:
                short.add((model, definition, fit))
            else:
                assert gain == pytest.approx(0.0, abs=1e-3), (model, definition, fit)
    # a corrected fit is never worse than MixedLM's
    assert new.log_likelihood >= llf["reml"] - 1e-4
    return short


def test_mixed_models_equal_where_mixedlm_converged(result):
    pqc = result.data[result.data["training_config"].astype(str) != "classical_only"]
    short: set[tuple] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for d in REF["mixed"]:
            report = mixed_effects(pqc, y=d, x=result.options.x,
                                   covariates=REF["strata"])  # the reference's design
            summary = mixed_effects(pqc, y=d, x=result.options.x, lrt=False)
            short |= _check_model(report, REF["mixed"][d], "report", d)
            short |= _check_model(summary, REF["mixed_summary"][d], "summary", d)
    # every fit MixedLM stopped short of is found better here; any other fit is at least as
    # good as MixedLM's (checked in `_check_model`)
    assert STOPPED_SHORT <= short
