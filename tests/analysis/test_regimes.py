from __future__ import annotations

import numpy as np
import pytest

from etr.analysis import RegimeResult, segment_regimes, synthetic_dataset
from etr.errors import DegenerateDataWarning, InputError

X, Y = "expressibility_kl", "grad_var"


@pytest.fixture(scope="module")
def kinked():
    return synthetic_dataset(n_architectures=150, configs=["pure_pqc", "hybrid_full"],
                             slopes={"pure_pqc": 2.0, "hybrid_full": 0.0}, breakpoint=0.6,
                             intercept_sd=0.1, seed=5)


@pytest.fixture(scope="module")
def result(kinked):
    # the generator's kink is in raw KL: fit on that scale
    return segment_regimes(kinked, x=X, y=Y, by="training_config", n_boot=200, seed=1,
                           transform_x="none")


def test_breakpoint_found_within_its_ci(result):
    assert isinstance(result, RegimeResult)
    bp = result.breakpoints.set_index("training_config")
    assert list(bp.index) == ["pure_pqc"]  # the null configuration has no breakpoint
    row = bp.loc["pure_pqc"]
    assert row["ci_low"] < 0.6 + 0.0074 < row["ci_high"]  # KL carries its bias
    assert row["ci_high"] - row["ci_low"] < 0.3


def test_regime_slopes_and_selection(result):
    seg = result.segments.set_index(["training_config", "regime"])
    first, second = seg.loc[("pure_pqc", 0)], seg.loc[("pure_pqc", 1)]
    assert first["slope_ci_low"] < 2.0 < first["slope_ci_high"]
    assert second["slope_ci_low"] < 0.0 < second["slope_ci_high"]
    assert first["rho"] > 0.7 and first["p_value"] < 1e-6
    assert first["n"] + second["n"] == 450 and first["n_clusters"] + second["n_clusters"] == 150
    sel = result.selection
    chosen = sel[sel["selected"]].set_index("training_config")["n_breakpoints"]
    assert chosen.to_dict() == {"hybrid_full": 0, "pure_pqc": 1}
    null = seg.loc[("hybrid_full", 0)]
    assert null["slope_ci_low"] < 0 < null["slope_ci_high"]


def test_fits_follow_the_kink(result):
    fits = result.fits[result.fits["training_config"] == "pure_pqc"]
    low = fits[fits["x"] < 0.4]
    high = fits[fits["x"] > 0.8]
    assert np.polyfit(low["x"], low["y_hat"], 1)[0] == pytest.approx(2.0, abs=0.3)
    assert np.polyfit(high["x"], high["y_hat"], 1)[0] == pytest.approx(0.0, abs=0.3)
    assert "method" in result.to_frame().columns


def test_linear_data_selects_no_breakpoint():
    df = synthetic_dataset(n_architectures=80, configs=["pure_pqc"], seed=9)
    res = segment_regimes(df, x=X, y=Y, n_boot=0, transform_x="none")
    assert res.breakpoints.empty
    seg = res.segments.iloc[0]
    assert seg["slope_ci_low"] < 0.8 < seg["slope_ci_high"]  # t interval when n_boot = 0


def test_degenerate_and_bad_input(kinked):
    few = kinked[kinked["architecture_id"].isin(kinked["architecture_id"].unique()[:2])]
    with pytest.warns(DegenerateDataWarning):
        res = segment_regimes(few, x=X, y=Y, n_boot=0)
    assert np.isnan(res.segments["slope"]).all()
    with pytest.raises(InputError, match="max_breakpoints"):
        segment_regimes(kinked, x=X, y=Y, max_breakpoints=3)
    with pytest.raises(InputError, match="missing column"):
        segment_regimes(kinked, x="nope", y=Y)
