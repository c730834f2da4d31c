"""Repeated simulations on planted circuit-level truths: coverage, level and power.

Truths come from `etr.analysis.planted` (`plant_on_design` on the runs of the quick dataset and
of the paper preset's grid, `planted_study` for heterogeneous and incomplete designs), where
the circuit-level association given the strata is stated exactly. Seeds are fixed, so every
rate below is deterministic; the values measured when these tests were written are in the
notes of `etr.analysis.conditional` and `etr.analysis.claims`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from etr._rng import spawn_seeds
from etr.analysis import claims as C
from etr.analysis import conditional as cond
from etr.analysis import evaluate_claims, plant_on_design, planted_study
from etr.analysis.quality import clean
from etr.errors import DegenerateDataWarning
from etr.experiment import read_dataset

Y = "grad_var_train"
ROOT = Path(__file__).resolve().parents[2]
TRUTH = {"pure_pqc": 0.6, "hybrid_quantum_only": 0.3, "hybrid_full": 0.0}
WITH_TASK = ("task", "n_qubits", "layers")


def _quick_design() -> pd.DataFrame:
    data = read_dataset(ROOT / "data" / "quick.parquet")
    return data[data["shots"].isna()]


def _paper_design() -> pd.DataFrame:
    return pd.read_parquet(Path(__file__).resolve().parent / "data" / "paper_design.parquet")


def _coverage(make, reps: int, seed: int, configs: tuple[str, ...], strata) -> dict:
    """Share of 95% intervals holding the planted truth, per configuration (and of the
    uncorrected circuit-mean intervals)."""
    hits = {c: 0 for c in configs}
    raw = {c: 0 for c in configs}
    for s in spawn_seeds(seed, reps):
        df = make(s)
        rows = cond.prepare_rows(df, x="expressibility_fp", y=Y, by=("training_config",),
                                 strata=strata, cluster="pqc_id")
        for c in configs:
            f = cond.group_fit(rows.frame[rows.frame["_g"] == c], rows.strata)
            low, high = f.interval(0.95)
            hits[c] += low < TRUTH[c] < high
            rlow, rhigh = f.raw_interval(0.95)
            raw[c] += rlow < TRUTH[c] < rhigh
    return {c: (hits[c] / reps, raw[c] / reps) for c in configs}


@pytest.mark.slow
@pytest.mark.parametrize(("name", "reps", "seed", "uncorrected_below"), [
    ("quick", 400, 101, 0.8),
    ("paper", 300, 104, 0.2),
])
def test_coverage_under_run_noise_1_7_times_the_circuit_spread(name, reps, seed,
                                                               uncorrected_below):
    design = {"quick": _quick_design, "paper": _paper_design}[name]()
    got = _coverage(lambda s: plant_on_design(design, circuit_r=TRUTH, run_noise=1.7, seed=s),
                    reps, seed, tuple(TRUTH), WITH_TASK)
    print(f"{name} design (coverage, uncorrected coverage):", got)
    for config, (cover, _) in got.items():
        assert cover >= 0.93, (config, cover)
    # uncorrected, the circuit means are diluted: the truth of 0.6 is missed far more often
    assert got["pure_pqc"][1] < uncorrected_below, got["pure_pqc"]


@pytest.mark.slow
def test_coverage_with_ten_heterogeneous_task_instances():
    # the association differs between instances (SD 0.3; population mean the planted value,
    # 0 under end-to-end training): intervals over circuits alone would cover far too rarely
    got = _coverage(lambda s: planted_study(n_pqcs=240, n_instances=10, instance_sd=0.3,
                                            run_noise=1.7, circuit_r=TRUTH, seed=s,
                                            configs=["pure_pqc", "hybrid_full"]),
                    200, 102, ("pure_pqc", "hybrid_full"), cond.STRATA)
    print("10 heterogeneous instances (coverage, uncorrected coverage):", got)
    for config, (cover, _) in got.items():
        assert cover >= 0.93, (config, cover)


@pytest.mark.slow
def test_coverage_when_each_circuit_sees_a_subset_of_the_instances():
    got = _coverage(lambda s: planted_study(n_pqcs=240, n_instances=10, instances_per_circuit=4,
                                            run_noise=1.7, instance_effect=1.0, circuit_r=TRUTH,
                                            seed=s, configs=["pure_pqc", "hybrid_full"]),
                    200, 103, ("pure_pqc", "hybrid_full"), cond.STRATA)
    print("incomplete crossing (coverage, uncorrected coverage):", got)
    for config, (cover, _) in got.items():
        assert cover >= 0.93, (config, cover)


def _regime_p(df: pd.DataFrame) -> float:
    ctx = C._Context(clean(df), "expressibility_fp", "grad_var", WITH_TASK, "pqc_id", None, 10)
    return C._regime(ctx, C.CLAIMS["pure_regime_dependent"]).p_value


@pytest.mark.slow
@pytest.mark.parametrize("r, noise", [(0.4, 1.7), (0.0, 1.0), (0.6, 0.5)])
def test_regime_test_level_at_the_quick_design(r, noise):
    # the same circuit-level r in every regime of the quick design: "supported" (p <= 0.05,
    # Bonferroni over the two splits) must stay at its level
    design = _quick_design()
    design = design[design["training_config"] == "pure_pqc"]
    reps = 400
    ps = np.array([_regime_p(plant_on_design(design, circuit_r={"pure_pqc": r},
                                             run_noise=noise, seed=s))
                   for s in spawn_seeds(31, reps)])
    print(f"regime test at the quick design, r = {r}, run noise {noise}: false positives "
          f"{np.mean(ps <= 0.05):.4f}")
    assert np.mean(ps <= 0.05) <= 0.06, np.mean(ps <= 0.05)


@pytest.mark.slow
def test_regime_test_power():
    # no trade-off in the shallow half, r = 0.7 in the deep half, 480 circuits
    found = 0
    reps = 60
    for s in spawn_seeds(32, reps):
        df = planted_study(n_pqcs=480, n_instances=2, run_noise=0.5, configs=["pure_pqc"],
                           circuit_r={"pure_pqc": 0.0}, seed=s)
        deep = df["layers"] >= 4
        again = planted_study(n_pqcs=480, n_instances=2, run_noise=0.5, configs=["pure_pqc"],
                              circuit_r={"pure_pqc": 0.7}, seed=s)
        df.loc[deep, ["grad_var", "expressibility_fp"]] = again.loc[
            deep, ["grad_var", "expressibility_fp"]].to_numpy()
        ctx = C._Context(clean(df), "expressibility_fp", "grad_var", cond.STRATA, "pqc_id",
                         None, 10)
        found += C._regime(ctx, C.CLAIMS["pure_regime_dependent"]).p_value <= 0.05
    print(f"regime test power: {found / reps:.3f}")
    assert found / reps >= 0.8


@pytest.mark.slow
def test_equivalence_is_not_supported_falsely_at_the_margin():
    # truth exactly at the margin (r = +-0.1): "eliminated" supported at most 5% of the time
    reps = 200
    supported = 0
    for i, s in enumerate(spawn_seeds(77, reps)):
        r = 0.1 if i % 2 else -0.1
        df = planted_study(n_pqcs=1200, n_instances=2, run_noise=0.3, configs=["hybrid_full"],
                           circuit_r={"hybrid_full": r}, seed=s)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            res = evaluate_claims(df, definitions=["grad_var_landscape"], adjust_sets=False)
        row = res[(res["claim"] == "full_eliminated") & (res["role"] == "primary")].iloc[0]
        supported += row["verdict"] == "supported"
    print(f"'eliminated' supported at the margin: {supported / reps:.3f}")
    assert supported / reps <= 0.05, supported / reps


@pytest.mark.slow
def test_paper_design_table_is_the_preset():
    import importlib.util

    path = ROOT / "tests" / "reference" / "paper_design.py"
    spec = importlib.util.spec_from_file_location("paper_design_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pd.testing.assert_frame_equal(module.paper_design(), _paper_design())
