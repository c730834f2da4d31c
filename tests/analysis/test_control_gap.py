from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from etr.analysis import control_gap
from etr.errors import DegenerateDataWarning, InputError

PQC_EFFECTS = np.array([-0.04, -0.01, 0.0, 0.02, 0.03])  # a fixed set of circuits, mean 0


def planted(n_instances: int, *, gap: float = 0.05, instance_gap_sd: float = 0.03,
            seed: int = 0, drop: float = 0.0, widths=(4, 6)) -> pd.DataFrame:
    """Runs with a known mean gap: hybrid = base + instance + stratum + gap_g + pqc + noise,
    control = base + instance + stratum + control noise; gap_g ~ N(gap, instance_gap_sd)."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(n_instances):
        u = rng.normal(0, 0.05)
        gap_g = gap + rng.normal(0, instance_gap_sd)
        for pre in ("none", "8-tanh"):
            for w in widths:
                v = rng.normal(0, 0.02)
                key = dict(task="teacher", task_id=f"inst{g}", seed=g, classical_pre=pre,
                           classical_post="8-tanh", n_qubits=w, encoding="ry")
                rows.append({**key, "training_config": "classical_only", "pqc_id": None,
                             "test_accuracy": 0.8 + u + v + rng.normal(0, 0.02)})
                for p, a in enumerate(PQC_EFFECTS):
                    if rng.random() < drop:
                        continue
                    for config in ("hybrid_full", "hybrid_quantum_only"):
                        shift = 0.0 if config == "hybrid_full" else -0.03
                        rows.append({**key, "training_config": config, "pqc_id": f"c{p}",
                                     "test_accuracy": 0.8 + u + v + gap_g + shift + a
                                     + rng.normal(0, 0.01)})
    return pd.DataFrame(rows)


def test_estimate_and_counts_equal_a_brute_force_pairing():
    rng = np.random.default_rng(3)
    rows = []
    for g in range(4):
        for w in (4, 6):
            key = dict(task="t", task_id=f"i{g}", seed=g, classical_pre="none",
                       classical_post="8-tanh", n_qubits=w, encoding="ry")
            if not (g == 3 and w == 6):  # one stratum has no control
                for _ in range(1 + (g + w) % 2):  # some strata have two control runs
                    rows.append({**key, "training_config": "classical_only", "pqc_id": None,
                                 "test_accuracy": rng.uniform(0.5, 0.9)})
            for p in range(rng.integers(1, 5)):
                rows.append({**key, "training_config": "hybrid_full", "pqc_id": f"c{p}",
                             "test_accuracy": rng.uniform(0.5, 1.0)})
    df = pd.DataFrame(rows)
    df.loc[df.index[-1], "test_accuracy"] = np.nan  # a failed run
    # brute force: every hybrid run minus the mean of the controls of its exact key
    diffs, hyb, ctrl, unpaired, clusters, pqcs = [], [], [], 0, set(), set()
    keys = ["task", "task_id", "seed", "classical_pre", "classical_post", "n_qubits", "encoding"]
    for _, r in df[df.training_config == "hybrid_full"].iterrows():
        match = df[(df.training_config == "classical_only")
                   & np.logical_and.reduce([df[k] == r[k] for k in keys])]
        if match.empty or not np.isfinite(r.test_accuracy):
            unpaired += 1
            continue
        c = match.test_accuracy.mean()
        diffs.append(r.test_accuracy - c)
        hyb.append(r.test_accuracy)
        ctrl.append(c)
        clusters.add(r.task_id)
        pqcs.add(r.pqc_id)
    res = control_gap(df, configs="hybrid_full", n_boot=200, seed=0)
    assert len(res) == 1
    row = res.iloc[0]
    assert row["n"] == len(diffs) and row["n_unpaired"] == unpaired
    assert row["n_clusters"] == len(clusters) and row["n_pqc"] == len(pqcs)
    assert row["estimate"] == pytest.approx(np.mean(diffs), abs=1e-12)
    assert row["hybrid_mean"] == pytest.approx(np.mean(hyb), abs=1e-12)
    assert row["control_mean"] == pytest.approx(np.mean(ctrl), abs=1e-12)
    assert row["ci_low"] < row["estimate"] < row["ci_high"]


def test_t_interval_equals_the_t_interval_on_instance_means_for_equal_sizes():
    df = planted(6, seed=1)
    res = control_gap(df, configs="hybrid_full", n_boot=20000, seed=2)
    row = res.iloc[0]
    hyb = df[df.training_config == "hybrid_full"].copy()
    ctrl = df[df.training_config == "classical_only"].set_index(
        ["task_id", "classical_pre", "n_qubits"])["test_accuracy"]
    hyb["d"] = hyb.test_accuracy.to_numpy() - ctrl.loc[
        list(zip(hyb.task_id, hyb.classical_pre, hyb.n_qubits))].to_numpy()
    means = hyb.groupby("task_id")["d"].mean().to_numpy()
    se = means.std(ddof=1) / np.sqrt(len(means))
    q = stats.t.ppf(0.975, len(means) - 1)
    assert row["estimate"] == pytest.approx(means.mean(), abs=1e-12)
    # bootstrap SE has Monte Carlo error ~ 1/sqrt(2 * 20000) = 0.5%
    assert row["ci_high"] - row["estimate"] == pytest.approx(q * se, rel=0.03)
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(means.mean() / se, 5), rel=0.15)


def test_recovers_a_planted_gap_per_configuration_and_width():
    df = planted(40, gap=0.05, seed=4, drop=0.2)
    res = control_gap(df, by="n_qubits", n_boot=1000, seed=0)
    assert list(res.columns[:3]) == ["task", "training_config", "n_qubits"]
    assert len(res) == 4
    for _, row in res.iterrows():
        truth = 0.05 + (0.0 if row["training_config"] == "hybrid_full" else -0.03)
        # pqc effects average to 0 only over the full set; drops move the truth a little
        assert row["ci_low"] < truth + 0.01 and row["ci_high"] > truth - 0.01
        assert row["ci_high"] - row["ci_low"] < 0.05
        assert row["n_clusters"] == 40 and row["n_pqc"] == 5


def test_planted_zero_gap_is_not_significant_and_big_gap_is():
    df = planted(8, gap=0.0, instance_gap_sd=0.02, seed=7)
    res = control_gap(df, configs="hybrid_full", n_boot=1000, seed=1).iloc[0]
    assert res["ci_low"] < 0 < res["ci_high"] and res["p_value"] > 0.05
    df = planted(8, gap=0.10, instance_gap_sd=0.02, seed=7)
    res = control_gap(df, configs="hybrid_full", n_boot=1000, seed=1).iloc[0]
    assert res["ci_low"] > 0 and res["p_value"] < 0.01


def _coverage(n_instances: int, n_sim: int, ci_method: str, seed: int) -> float:
    rng = np.random.default_rng(seed)
    hit = 0
    for _ in range(n_sim):
        df = planted(n_instances, gap=0.05, seed=int(rng.integers(2**31)), widths=(4,))
        row = control_gap(df, configs="hybrid_full", n_boot=400, ci_method=ci_method,
                          seed=rng, p_adjust="none").iloc[0]
        hit += row["ci_low"] <= 0.05 <= row["ci_high"]
    return hit / n_sim


@pytest.mark.slow
@pytest.mark.parametrize("n_instances", [3, 5, 10])
def test_t_interval_has_nominal_coverage_with_few_instances(n_instances):
    cov = _coverage(n_instances, 600, "t", seed=n_instances)
    # 600 simulations: binomial SE 0.009; bootstrap SE noise costs ~0.5 point
    assert 0.92 <= cov <= 0.98, cov


@pytest.mark.slow
def test_percentile_interval_undercovers_with_few_instances():
    """Why the default is not the percentile interval: at 3 instances it covers ~75%."""
    cov = _coverage(3, 400, "percentile", seed=11)
    assert cov < 0.85, cov


@pytest.mark.slow
def test_resampling_runs_instead_of_instances_undercovers():
    """Why the unit is the task instance: treating every run as independent (cluster = a
    run id) ignores the shared draw of an instance and its control."""
    rng = np.random.default_rng(5)
    hit_inst = hit_run = 0
    n_sim = 200
    for _ in range(n_sim):
        df = planted(8, gap=0.05, instance_gap_sd=0.03, seed=int(rng.integers(2**31)),
                     widths=(4,))
        df["run_id"] = np.arange(len(df)).astype(str)
        a = control_gap(df, configs="hybrid_full", n_boot=200, seed=rng).iloc[0]
        b = control_gap(df, configs="hybrid_full", n_boot=200, seed=rng,
                        cluster="run_id").iloc[0]
        hit_inst += a["ci_low"] <= 0.05 <= a["ci_high"]
        hit_run += b["ci_low"] <= 0.05 <= b["ci_high"]
    assert hit_inst / n_sim >= 0.91
    assert hit_run / n_sim < 0.8


def test_one_instance_gives_an_estimate_but_no_interval():
    df = planted(1, seed=0)
    with pytest.warns(DegenerateDataWarning, match="fewer than 2"):
        res = control_gap(df, configs="hybrid_full", n_boot=100, seed=0)
    assert np.isfinite(res.loc[0, "estimate"]) and np.isnan(res.loc[0, "ci_low"])


def test_hybrids_without_any_control_are_counted_not_dropped_silently():
    df = planted(3, seed=0)
    df = df[~((df.training_config == "classical_only") & (df.classical_pre == "8-tanh"))]
    with pytest.warns(DegenerateDataWarning, match="no paired runs"):
        res = control_gap(df, configs="hybrid_full", by="classical_pre", n_boot=100, seed=0)
    res = res.set_index("classical_pre")
    assert res.loc["8-tanh", "n"] == 0 and res.loc["8-tanh", "n_unpaired"] == 3 * 2 * 5
    assert np.isnan(res.loc["8-tanh", "estimate"])
    assert res.loc["none", "n"] == 3 * 2 * 5 and res.loc["none", "n_unpaired"] == 0


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"configs": "classical_only"}, "`configs`"),
        ({"ci_method": "bca"}, "`ci_method`"),
        ({"value": "missing_column"}, "missing_column"),
        ({"n_boot": 5}, "`n_boot`"),
    ],
)
def test_bad_input(kwargs, needle):
    with pytest.raises(InputError, match=needle):
        control_gap(planted(2), **kwargs)


def test_no_control_rows_is_an_input_error():
    df = planted(2)
    with pytest.raises(InputError, match="classical_only"):
        control_gap(df[df.training_config != "classical_only"])

