"""The circuit-level association given width and depth: estimator against brute force, the
dilution correction, the crossed variance, orientation, censoring, degenerate data."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from etr.analysis import (
    compare_configurations,
    conditional_correlation,
    orientation,
    planted_dataset,
    planted_study,
)
from etr.analysis import conditional as cond
from etr.analysis._circuits import normal_scores
from etr.errors import DegenerateDataWarning, InputError

Y = "grad_var_train"


@pytest.fixture(scope="module")
def planted():
    return planted_study(n_pqcs=240, n_instances=2, run_noise=1.0, seed=4,
                         circuit_r={"pure_pqc": 0.5, "hybrid_quantum_only": 0.2,
                                    "hybrid_full": 0.0})


def _brute_circuit_tau(df: pd.DataFrame, x: str, y: str) -> float:
    """Pooled tau-b between circuit values within (n_qubits, layers) strata, by loops: the
    circuit value is its mean normal score per instance (seed), instance effects removed by
    statsmodels OLS (circuit + instance main effects)."""
    import statsmodels.formula.api as smf
    d = df.assign(_z=normal_scores(df[y].to_numpy(dtype=float)),
                  _s=df["n_qubits"].astype(str) + "|" + df["layers"].astype(str))
    num = x2 = y2 = 0.0
    for _, g in d.groupby("_s"):
        cells = g.groupby(["pqc_id", "seed"], as_index=False).agg(z=("_z", "mean"),
                                                                  x=(x, "mean"))
        circuits = sorted(cells["pqc_id"].unique())
        if len(circuits) < 2:
            continue
        if cells["seed"].nunique() > 1:
            fit = smf.ols("z ~ 0 + C(pqc_id) + C(seed)", cells).fit()
            value = {c: fit.params[f"C(pqc_id)[{c}]"] for c in circuits}
        else:
            value = cells.groupby("pqc_id")["z"].mean().to_dict()
        xs = cells.groupby("pqc_id")["x"].mean().to_dict()
        for a, b in itertools.permutations(circuits, 2):
            sx, sy = np.sign(xs[a] - xs[b]), np.sign(value[a] - value[b])
            num, x2, y2 = num + sx * sy, x2 + abs(sx), y2 + abs(sy)
    return num / np.sqrt(x2 * y2)


def test_estimate_equals_brute_force_and_covers_the_planted_truth(planted):
    small = planted_dataset(n_pqcs=30, n_seeds=2, seed=1, configs=["hybrid_quantum_only"])
    res = conditional_correlation(small, y=Y).iloc[0]
    assert res["tau"] == pytest.approx(_brute_circuit_tau(small, "expressibility_fp", Y))
    assert res["estimate_uncorrected"] == pytest.approx(np.sin(np.pi * res["tau"] / 2))
    scale = np.sqrt(res["reliability_x"] * res["reliability_y"])
    assert res["estimate"] == pytest.approx(res["estimate_uncorrected"] / scale)
    # 99.9% intervals: a single dataset must not fail by chance (coverage itself is checked
    # over repeated simulations in test_validation.py)
    study = planted_study(n_pqcs=240, n_instances=3, seed=4, run_noise=1.0,
                          circuit_r={"pure_pqc": 0.5, "hybrid_quantum_only": 0.2,
                                     "hybrid_full": 0.0})
    rows = conditional_correlation(study, y=Y, confidence=0.999).set_index("training_config")
    assert list(rows.index) == ["pure_pqc", "hybrid_quantum_only", "hybrid_full"]
    for config, truth in study.attrs["truth"]["circuit_r"].items():
        assert rows.loc[config, "ci_low"] < truth < rows.loc[config, "ci_high"], config
    # confounded by width and depth: the marginal association is strong even without a
    # conditional one
    assert rows.loc["hybrid_full", "marginal_ci_low"] > 0.4
    assert rows.loc["pure_pqc", "n_clusters"] == 240 and rows.loc["pure_pqc", "n_strata"] == 12
    assert (rows["n_instances"] == 3).all()


def test_correction_undoes_the_dilution_that_run_noise_causes():
    # the same circuits, noisier runs: the uncorrected circuit-mean r falls with the run noise,
    # the corrected one stays near the planted 0.6
    est = {}
    for noise in (0.3, 2.0):
        df = planted_study(n_pqcs=720, n_instances=3, run_noise=noise, seed=8,
                           configs=["pure_pqc"], circuit_r={"pure_pqc": 0.6})
        est[noise] = conditional_correlation(df, y=Y).iloc[0]
    assert est[2.0]["reliability_y"] < 0.5 < est[0.3]["reliability_y"]
    assert est[2.0]["estimate_uncorrected"] < est[0.3]["estimate_uncorrected"] - 0.15
    for noise, row in est.items():
        assert row["estimate"] == pytest.approx(0.6, abs=0.1), noise
        assert row["ci_low"] < 0.6 < row["ci_high"], noise


def test_fieller_interval_ends_where_the_tests_reject():
    df = planted_study(n_pqcs=240, n_instances=4, run_noise=1.7, seed=2, configs=["pure_pqc"],
                       circuit_r={"pure_pqc": 0.5})
    rows = cond.prepare_rows(df, x="expressibility_fp", y=Y, by=(), strata=cond.STRATA,
                             cluster="pqc_id")
    f = cond.group_fit(rows.frame, rows.strata)
    low, high = f.interval(0.9)
    assert -1 < low < f.r < high < 1
    # at each end, the one-sided test of "r beyond it" has p = 0.05 exactly (the interval is
    # the set of values the tests do not reject)
    assert f.p_beyond(low, "above") == pytest.approx(0.05, abs=1e-9)
    assert f.p_beyond(high, "below") == pytest.approx(0.05, abs=1e-9)
    assert f.p_beyond(0.0, "above") == pytest.approx(f.p_value() / 2, rel=1e-9)


def test_spread_between_task_instances_is_estimated_and_widens_the_interval():
    kw = dict(n_pqcs=240, n_instances=10, run_noise=1.0, configs=["hybrid_full"],
              circuit_r={"hybrid_full": 0.0}, seed=6)
    same = conditional_correlation(planted_study(instance_sd=0.0, **kw), y=Y).iloc[0]
    differ = conditional_correlation(planted_study(instance_sd=0.4, **kw), y=Y).iloc[0]
    assert same["instance_sd"] < 0.12 < differ["instance_sd"]
    assert differ["ci_high"] - differ["ci_low"] > 1.3 * (same["ci_high"] - same["ci_low"])
    assert differ["df"] < same["df"]


def test_incomplete_crossing_removes_instance_effects():
    # each circuit on 3 of 9 instances whose main effects are large: raw circuit means would
    # carry them, the additive fit removes them
    df = planted_study(n_pqcs=360, n_instances=9, instances_per_circuit=3, run_noise=0.5,
                       instance_effect=3.0, configs=["pure_pqc"], circuit_r={"pure_pqc": 0.6},
                       seed=3)
    row = conditional_correlation(df, y=Y).iloc[0]
    assert row["reliability_y"] > 0.6
    assert row["ci_low"] < 0.6 < row["ci_high"]


def test_single_stratum_one_run_per_circuit_is_scipy_kendall():
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 2, 50)
    df = pd.DataFrame({"expressibility_fp": x, "grad_var": np.exp(x + rng.normal(0, .3, 50)),
                       "pqc_id": [f"p{i}" for i in range(50)], "n_qubits": 4, "layers": 2})
    res = conditional_correlation(df, y="grad_var", by=None).iloc[0]
    tau = stats.kendalltau(df["expressibility_fp"], df["grad_var"]).statistic
    assert res["tau"] == pytest.approx(tau)
    # one run per circuit: no replicate to measure the noise, nothing corrected
    assert np.isnan(res["reliability_y"]) and res["estimate"] == res["estimate_uncorrected"]
    assert res["estimate"] == pytest.approx(res["estimate_marginal"])


def test_invariant_to_monotone_transforms_and_to_x_distortions_within_strata(planted):
    # y enters through its ranks over the group's runs: any monotone transform of y leaves
    # everything unchanged; x enters through its order within a stratum (without sampling
    # intervals, whose width would change the reliability of x)
    base = planted.drop(columns=["expressibility_fp_ci_low", "expressibility_fp_ci_high"])
    warped = base.copy()
    warped[Y] = warped[Y] ** 3 * 1e4
    warped["expressibility_fp"] = 1 + (warped["expressibility_fp"] - 1) * 10.0 ** warped["layers"]
    a = conditional_correlation(base, y=Y, by=None).iloc[0]
    b = conditional_correlation(warped, y=Y, by=None).iloc[0]
    for col in ("estimate", "ci_low", "ci_high", "reliability_y"):
        assert b[col] == pytest.approx(a[col], abs=1e-12), col
    assert abs(b["estimate_marginal"] - a["estimate_marginal"]) > 0.05


def test_orientation_reads_the_registry():
    assert orientation("expressibility_fp", "grad_var") == 1
    assert orientation("expressibility_kl", "steps_to_target") == -1
    with pytest.raises(InputError, match="`x` = 'grad_var' is not a registered expressibility"):
        orientation("grad_var", "grad_var")
    with pytest.raises(InputError, match="`y` = 'final_loss'"):
        orientation("expressibility_fp", "final_loss")


def test_steps_to_target_is_oriented_and_censored_values_tie_at_the_top(planted):
    pure = planted[planted["training_config"] == "pure_pqc"]
    steps = conditional_correlation(pure, y="steps_to_target", by=None).iloc[0]
    assert steps["orientation"] == -1 and steps["estimate"] > 0.2  # a trade-off reads positive
    # censored runs all tie above every observed value, whatever number is recorded
    recorded = pure.copy()
    cens = recorded["steps_to_target_censored"].to_numpy(dtype=bool)
    assert cens.any()
    recorded.loc[cens, "steps_to_target"] = np.random.default_rng(0).uniform(0, 200, cens.sum())
    again = conditional_correlation(recorded, y="steps_to_target", by=None).iloc[0]
    assert again["tau"] == pytest.approx(steps["tau"])
    top = pure["steps_to_target"].where(~cens, 10_000.0)
    manual = conditional_correlation(pure.assign(steps_to_target=top)
                                     .drop(columns="steps_to_target_censored"),
                                     y="steps_to_target", by=None).iloc[0]
    assert manual["tau"] == pytest.approx(steps["tau"])


def test_circuits_not_architectures_are_the_units(planted):
    # hybrid rows hold two architectures per circuit; both share the circuit's x and are never
    # paired with each other, so relabelling architectures changes nothing
    hyb = planted[planted["training_config"] == "hybrid_full"]
    res = conditional_correlation(hyb, y=Y, by=None).iloc[0]
    assert res["n_clusters"] == hyb["pqc_id"].nunique() < hyb["architecture_id"].nunique()
    relabelled = hyb.assign(architecture_id="same")
    assert conditional_correlation(relabelled, y=Y, by=None).iloc[0]["tau"] == res["tau"]


def test_sampling_error_of_x_is_corrected_for():
    # x measured with a relative error, stated in its interval columns: rel_x < 1 and the
    # correction divides by it too
    df = planted_study(n_pqcs=480, n_instances=3, run_noise=0.3, x_noise=0.6, seed=9,
                       configs=["pure_pqc"], circuit_r={"pure_pqc": 0.6})
    row = conditional_correlation(df, y=Y).iloc[0]
    assert row["reliability_x"] < 0.95
    assert row["estimate"] > row["estimate_uncorrected"]
    assert row["ci_low"] < 0.6 < row["ci_high"]


def test_x_is_the_circuit_mean(planted):
    noisy = planted.copy()
    noise = np.random.default_rng(2).normal(0, 1e-3, len(noisy))
    noisy["expressibility_fp"] = noisy["expressibility_fp"] + noise
    means = noisy.groupby("pqc_id")["expressibility_fp"].transform("mean")
    a = conditional_correlation(noisy, y=Y).set_index("training_config")
    b = conditional_correlation(noisy.assign(expressibility_fp=means), y=Y).set_index(
        "training_config")
    np.testing.assert_allclose(a["tau"], b["tau"])


def test_classical_only_control_is_left_out():
    df = planted_dataset(n_pqcs=48, n_seeds=1, seed=3,
                         configs=["pure_pqc", "classical_only"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateDataWarning)
        res = conditional_correlation(df, y=Y)
    assert res["training_config"].tolist() == ["pure_pqc"]


def test_ustat_and_bootstrap_variances_agree_with_large_strata():
    # with many circuits per stratum the degenerate part of the U-statistic is negligible
    # and the cluster bootstrap (a second implementation of the variance) agrees
    df = planted_dataset(n_pqcs=400, n_seeds=1, widths=(4,), depths=(2, 4), seed=6,
                         configs=["pure_pqc"], conditional={"pure_pqc": 0.3})
    u = conditional_correlation(df, y=Y, by=None).iloc[0]
    b = conditional_correlation(df, y=Y, by=None, ci_method="bootstrap", n_boot=2000,
                                seed=1).iloc[0]
    assert u["estimate"] == b["estimate"]
    width_u, width_b = u["ci_high"] - u["ci_low"], b["ci_high"] - b["ci_low"]
    assert width_b == pytest.approx(width_u, rel=0.12)
    assert "cluster bootstrap (2000)" in b["method"]


def test_perfect_concordance_in_a_tiny_design_is_not_certain():
    # three circuits in one stratum, perfectly ordered: scipy's asymptotic p would be ~0; the
    # interval keeps the null variance of the design as a floor
    df = pd.DataFrame({"expressibility_fp": [1.1, 1.2, 1.3], "grad_var": [1e-3, 2e-3, 3e-3],
                       "pqc_id": ["a", "b", "c"], "n_qubits": 2, "layers": 1})
    res = conditional_correlation(df, y="grad_var", by=None).iloc[0]
    assert res["estimate"] == pytest.approx(1.0)
    assert res["ci_low"] < 0 and res["p_value"] > 0.05


def test_unreliable_circuit_values_are_said_so():
    # circuits that do not differ in expected trainability at all: reliability ~0, the
    # correction is unstable and the row says so (interval wide, never a false certainty)
    df = planted_study(n_pqcs=120, n_instances=2, run_noise=20.0, seed=4, configs=["pure_pqc"],
                       circuit_r={"pure_pqc": 0.0})
    row = conditional_correlation(df, y=Y).iloc[0]
    if row["reliability_y"] < cond.RELIABILITY_MIN:
        assert "unstable" in row["note"]
    assert row["ci_low"] < 0 < row["ci_high"] and row["ci_high"] - row["ci_low"] > 0.5


def test_degenerate_groups_are_nan_with_reasons(planted):
    data = planted.copy()
    data.loc[data["training_config"] == "hybrid_full", Y] = 0.0
    with pytest.warns(DegenerateDataWarning, match="y is constant"):
        res = conditional_correlation(data, y=Y).set_index("training_config")
    assert res["note"].eq("").all()
    assert np.isnan(res.loc["hybrid_full", "estimate"])
    assert np.isfinite(res.loc["pure_pqc", "estimate"])
    two = planted[planted["pqc_id"].isin(planted["pqc_id"].unique()[:2])]
    with pytest.warns(DegenerateDataWarning, match="fewer than 3"):
        conditional_correlation(two, y=Y, by=None)
    one_per_cell = planted[planted["pqc_id"].isin(planted.groupby(["n_qubits", "layers"])
                                                  ["pqc_id"].first())]
    with pytest.warns(DegenerateDataWarning, match="no width-depth stratum"):
        conditional_correlation(one_per_cell, y=Y, by=None)


def test_bad_input(planted):
    with pytest.raises(InputError, match=r"missing column.*expressibility_eps"):
        conditional_correlation(planted.drop(columns="expressibility_eps"), y=Y,
                                x="expressibility_eps")
    with pytest.raises(InputError, match="`ci_method`"):
        conditional_correlation(planted, y=Y, ci_method="jackknife")
    with pytest.raises(InputError, match="`confidence`"):
        conditional_correlation(planted, y=Y, confidence=1.5)


def test_compare_configurations_is_a_holm_family(planted):
    res = compare_configurations(planted, definitions=["grad_var", Y])
    assert len(res) == 6
    single = conditional_correlation(planted, y=Y).set_index("training_config")["estimate"]
    row = res[(res["definition"] == Y) & (res["group_a"] == "pure_pqc")
              & (res["group_b"] == "hybrid_full")].iloc[0]
    assert row["estimate_a"] == pytest.approx(single["pure_pqc"])
    assert row["estimate"] == pytest.approx(single["pure_pqc"] - single["hybrid_full"])
    assert row["ci_low"] < 0.5 < row["ci_high"] and row["n_clusters"] == 240
    ok = res["p_value"].notna()
    np.testing.assert_allclose(res.loc[ok, "p_adj"],
                               multipletests(res.loc[ok, "p_value"], method="holm")[1])
    # grad_var is one measurement under both hybrid configurations: no difference to test
    same = res[(res["definition"] == "grad_var") & (res["group_a"] == "hybrid_quantum_only")]
    assert same["estimate"].iloc[0] == 0 and np.isnan(same["p_value"].iloc[0])


def _two_tasks(df: pd.DataFrame) -> pd.DataFrame:
    """The same runs under two task labels (a circuit in two strata of one width and depth)."""
    return pd.concat([df.assign(task="a"), df.assign(task="b", cell_id=df["cell_id"] + "b")],
                     ignore_index=True)


def test_circuits_spanning_strata_count_once(planted):
    # a copy of every run under a second task adds no independent circuit: the pooled estimate
    # and its interval stay those of one task (summing the strata's variances as if they were
    # independent would shrink the interval by sqrt(2))
    with_task = ("task", "n_qubits", "layers")
    pure = planted[planted["training_config"] == "pure_pqc"]
    one = conditional_correlation(pure, y=Y, by=None).iloc[0]
    two = conditional_correlation(_two_tasks(pure), y=Y, by=None, strata=with_task).iloc[0]
    assert two["n_strata"] == 2 * one["n_strata"] and two["n_clusters"] == one["n_clusters"]
    # (the normal scores of a sample in which every value appears twice differ slightly)
    for col in ("tau", "ci_low", "ci_high"):
        assert two[col] == pytest.approx(one[col], rel=5e-3), col
    assert np.log(two["p_value"]) == pytest.approx(np.log(one["p_value"]), rel=0.02)
    pair = planted[planted["training_config"].isin(["pure_pqc", "hybrid_full"])]
    a = compare_configurations(pair, definitions=[Y]).iloc[0]
    b = compare_configurations(_two_tasks(pair), definitions=[Y], strata=with_task).iloc[0]
    for col in ("estimate", "ci_low", "ci_high"):
        assert b[col] == pytest.approx(a[col], rel=5e-3), col
    assert np.log(b["p_value"]) == pytest.approx(np.log(a["p_value"]), rel=0.02)
