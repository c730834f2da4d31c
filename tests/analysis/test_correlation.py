from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from etr.analysis import (
    compare_correlations,
    rank_correlation,
    stratified_correlation,
    synthetic_dataset,
)
from etr.analysis.correlation import exact_permutation_p
from etr.errors import DegenerateDataWarning, InputError

X, Y = "expressibility_kl", "grad_var"


@pytest.fixture(scope="module")
def df():
    return synthetic_dataset(n_architectures=40, seed=11)


@pytest.mark.parametrize("method", ["spearman", "kendall"])
def test_estimates_equal_scipy_and_pingouin(df, method):
    res = rank_correlation(df, x=X, y=Y, by="training_config", method=method, n_boot=50,
                           seed=0)
    for row in res.itertuples():
        sub = df[df["training_config"] == row.training_config]
        fn = stats.spearmanr if method == "spearman" else stats.kendalltau
        assert row.estimate == pytest.approx(fn(sub[X], sub[Y]).statistic, abs=1e-12)
        pg_r = pg.corr(sub[X], sub[Y], method=method)["r"].iloc[0]
        assert row.estimate == pytest.approx(pg_r, abs=1e-12)
        assert row.n == len(sub) and row.n_clusters == 40 and row.n_dropped == 0
    assert res["method"].iloc[0] == f"{method}, cluster bootstrap BCa (50)"


@pytest.mark.parametrize("ci_method", ["bca", "percentile"])
def test_iid_bootstrap_matches_scipy_bootstrap(ci_method):
    rng = np.random.default_rng(5)
    x = rng.normal(size=80)
    data = pd.DataFrame({"x": x, "y": 0.5 * x + rng.normal(size=80),
                         "pqc_id": [f"a{i}" for i in range(80)]})
    ours = rank_correlation(data, x="x", y="y", n_boot=4000, ci_method=ci_method, seed=1)

    def rho(a, b, axis=-1):  # Spearman via scipy's rankdata, vectorised over resamples
        ra = stats.rankdata(a, axis=axis)
        rb = stats.rankdata(b, axis=axis)
        ra = ra - ra.mean(axis=axis, keepdims=True)
        rb = rb - rb.mean(axis=axis, keepdims=True)
        return (ra * rb).sum(axis) / np.sqrt((ra**2).sum(axis) * (rb**2).sum(axis))

    assert rho(data["x"], data["y"]) == pytest.approx(stats.spearmanr(data["x"], data["y"])[0])
    ref = stats.bootstrap((data["x"].to_numpy(), data["y"].to_numpy()), rho, paired=True,
                          vectorized=True, n_resamples=4000, method=ci_method,
                          confidence_level=0.95, random_state=2).confidence_interval
    # Monte-Carlo error of 4000-replicate interval ends is about 0.01
    assert ours.loc[0, "ci_low"] == pytest.approx(ref.low, abs=0.03)
    assert ours.loc[0, "ci_high"] == pytest.approx(ref.high, abs=0.03)


def test_cluster_bootstrap_is_wider_than_row_bootstrap():
    # strongly clustered rows: 10 seeds per architecture sharing x and most of y
    df = synthetic_dataset(n_architectures=30, n_seeds=10, configs=["pure_pqc"],
                           intercept_sd=0.5, noise_sd=0.05, seed=2)
    clus = rank_correlation(df, x=X, y=Y, n_boot=1000, seed=0)
    rows = rank_correlation(df, x=X, y=Y, n_boot=1000, cluster=None, seed=0)
    width = (clus["ci_high"] - clus["ci_low"]).iloc[0]
    assert width > 2 * (rows["ci_high"] - rows["ci_low"]).iloc[0]
    assert rows["method"].iloc[0].startswith("spearman, row bootstrap")


def test_signal_and_null_groups(df):
    res = rank_correlation(df, x=X, y=Y, by="training_config", n_boot=1000, seed=3)
    res = res.set_index("training_config")
    assert res.loc["pure_pqc", "ci_low"] > 0 and res.loc["pure_pqc", "p_value"] < 0.01
    assert res.loc["hybrid_full", "ci_low"] < 0 < res.loc["hybrid_full", "ci_high"]
    assert res.loc["hybrid_full", "p_value"] > 0.05
    # p-values agree with their interval: CI excludes 0 iff p < 0.05 (up to resampling)
    for row in res.itertuples():
        assert (row.ci_low > 0 or row.ci_high < 0) == (row.p_value < 0.05)


def test_holm_and_bh_adjustment(df):
    holm = rank_correlation(df, x=X, y=Y, by="training_config", n_boot=200, seed=4)
    bh = rank_correlation(df, x=X, y=Y, by="training_config", n_boot=200, seed=4,
                          p_adjust="bh")
    np.testing.assert_allclose(holm["p_adj"], multipletests(holm["p_value"], method="holm")[1])
    np.testing.assert_allclose(bh["p_adj"], multipletests(bh["p_value"], method="fdr_bh")[1])


def test_reproducible_with_seed(df):
    a = rank_correlation(df, x=X, y=Y, n_boot=100, seed=7)
    b = rank_correlation(df, x=X, y=Y, n_boot=100, seed=np.random.default_rng(7))
    pd.testing.assert_frame_equal(a, b)


def test_nan_and_inf_are_dropped_and_counted(df):
    bad = df.copy()
    bad.loc[bad.index[:3], Y] = np.nan
    bad.loc[bad.index[3:5], X] = np.inf
    res = rank_correlation(bad, x=X, y=Y, n_boot=50, seed=0)
    assert res.loc[0, "n_dropped"] == 5 and res.loc[0, "n"] == len(df) - 5
    clean = bad.iloc[5:]
    assert res.loc[0, "estimate"] == pytest.approx(stats.spearmanr(clean[X], clean[Y])[0])


def test_degenerate_groups_give_nan_rows_and_warnings(df):
    small = df[df["architecture_id"].isin(df["architecture_id"].unique()[:2])]
    mixed = pd.concat([df[df["training_config"] == "pure_pqc"],
                       small[small["training_config"] == "hybrid_full"]])
    with pytest.warns(DegenerateDataWarning, match="fewer than 3"):
        res = rank_correlation(mixed, x=X, y=Y, by="training_config", n_boot=50, seed=0)
    res = res.set_index("training_config")
    assert np.isnan(res.loc["hybrid_full", "estimate"])
    assert np.isnan(res.loc["hybrid_full", "p_adj"])
    assert np.isfinite(res.loc["pure_pqc", "estimate"])
    const = df.assign(grad_var=1.0)
    with pytest.warns(DegenerateDataWarning, match="y is constant"):
        res = rank_correlation(const, x=X, y=Y, n_boot=50, seed=0)
    assert res["estimate"].isna().all()


def test_bad_input(df):
    with pytest.raises(InputError, match=r"missing column.*nope"):
        rank_correlation(df, x="nope", y=Y)
    with pytest.raises(InputError, match="`topology` must be numeric"):
        rank_correlation(df, x="topology", y=Y)
    with pytest.raises(InputError, match="`method` must be one of"):
        rank_correlation(df, x=X, y=Y, method="pearson")
    with pytest.raises(InputError, match="`ci_method`"):
        rank_correlation(df, x=X, y=Y, ci_method="bc")
    with pytest.raises(InputError, match="`n_boot`"):
        rank_correlation(df, x=X, y=Y, n_boot=0)
    with pytest.raises(InputError, match="DataFrame"):
        rank_correlation([1, 2], x=X, y=Y)


def test_compare_paired(df):
    res = compare_correlations(df, x=X, y=Y, a="pure_pqc", b="hybrid_full", n_boot=1000, seed=0)
    row = res.iloc[0]
    single = rank_correlation(df, x=X, y=Y, by="training_config", n_boot=10, seed=0)
    single = single.set_index("training_config")["estimate"]
    assert row["estimate_a"] == pytest.approx(single["pure_pqc"])
    assert row["estimate_b"] == pytest.approx(single["hybrid_full"])
    assert row["estimate"] == pytest.approx(row["estimate_a"] - row["estimate_b"])
    assert row["ci_low"] > 0 and row["p_value"] < 0.01
    assert "paired" in row["method"] and row["n_clusters"] == 40
    # equal slopes -> difference not significant
    same = synthetic_dataset(n_architectures=40, slopes={"pure_pqc": 0.5, "hybrid_full": 0.5},
                             configs=["pure_pqc", "hybrid_full"], seed=8)
    res = compare_correlations(same, x=X, y=Y, a="pure_pqc", b="hybrid_full", n_boot=500,
                               seed=0)
    assert res.loc[0, "ci_low"] < 0 < res.loc[0, "ci_high"]


def test_compare_unpaired_and_errors(df):
    other = df[df["training_config"] == "hybrid_full"].copy()
    other["pqc_id"] = "z" + other["pqc_id"].astype(str)
    data = pd.concat([df[df["training_config"] == "pure_pqc"], other])
    res = compare_correlations(data, x=X, y=Y, a="pure_pqc", b="hybrid_full", n_boot=300,
                               seed=0)
    assert "per group" in res.loc[0, "method"] and res.loc[0, "n_clusters"] == 80
    with pytest.raises(InputError, match="`b` = 'nope'"):
        compare_correlations(df, x=X, y=Y, a="pure_pqc", b="nope")
    with pytest.raises(InputError, match="different"):
        compare_correlations(df, x=X, y=Y, a="pure_pqc", b="pure_pqc")


def test_stratified(df):
    cells = stratified_correlation(df, x=X, y=Y, strata=("n_qubits",), by="training_config")
    assert list(cells.columns) == ["training_config", "n_qubits", "n", "n_clusters",
                                   "estimate", "p_value", "p_adj", "test", "method"]
    for row in cells.itertuples():
        sub = df[(df["training_config"] == row.training_config)
                 & (df["n_qubits"] == row.n_qubits)]
        assert row.n == len(sub)
        means = sub.groupby("pqc_id")[[X, Y]].mean()
        assert row.n_clusters == len(means)
        if row.n_clusters >= 3:
            assert row.estimate == pytest.approx(stats.spearmanr(means[X], means[Y])[0])
        if row.n_clusters > 8:
            assert row.p_value == pytest.approx(stats.spearmanr(means[X], means[Y]).pvalue)
            assert row.test == "scipy"
        elif row.n_clusters >= 3:
            assert row.test.startswith("exact permutation")
        else:
            assert np.isnan(row.estimate)
    ok = cells["p_value"].notna()
    np.testing.assert_allclose(cells.loc[ok, "p_adj"],
                               multipletests(cells.loc[ok, "p_value"], method="fdr_bh")[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stratified_correlation(df, x=X, y=Y)  # sparse cells: NaN rows, no warning


@pytest.mark.parametrize("method", ["spearman", "kendall"])
def test_exact_permutation_p_by_enumeration(method):
    # a brute-force second implementation: every ordering of 5 points
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=5), rng.normal(size=5)
    fn = stats.spearmanr if method == "spearman" else stats.kendalltau
    obs = abs(fn(x, y).statistic)
    import itertools
    count = sum(abs(fn(x, np.array(p)).statistic) >= obs - 1e-12
                for p in itertools.permutations(y))
    assert exact_permutation_p(x, y, method) == pytest.approx(count / 120)
    # the smallest attainable two-sided p-value is 2 / n!
    assert exact_permutation_p(np.arange(5.0), np.arange(5.0), method) == pytest.approx(2 / 120)


def test_exact_permutation_p_kendall_with_ties_equals_scipy_enumeration():
    import itertools
    x = np.array([0.1, 0.1, 0.3, 0.5, 0.5, 0.9, 1.2])
    y = np.array([2.0, 1.0, 1.0, 3.0, 0.5, 3.0, 2.5])
    obs = abs(stats.kendalltau(x, y).statistic)
    count = sum(abs(stats.kendalltau(x, np.array(p)).statistic) >= obs - 1e-12
                for p in itertools.permutations(y))
    assert exact_permutation_p(x, y, "kendall") == pytest.approx(count / 5040)
