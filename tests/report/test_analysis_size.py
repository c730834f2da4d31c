"""The size and estimate line of `etr analyze` (`etr.report.size`)."""

from __future__ import annotations

import pytest

from etr.analysis import planted_dataset
from etr.report.size import (
    BASE_SECONDS,
    PER_CIRCUIT_SECONDS,
    PER_INSTANCE_RUN_SECONDS,
    PER_RUN_SECONDS,
    POOL_SECONDS,
    AnalysisSize,
    analysis_size,
)


def test_counts_and_the_cost_model():
    df = planted_dataset(n_pqcs=60, n_seeds=2, seed=0, configs=["pure_pqc", "hybrid_full",
                                                                 "classical_only"])
    size = analysis_size(df)
    assert (size.runs, size.circuits, size.configs) == (len(df), 60, 2)  # control: no PQC
    from etr.contract import TRAINABILITY_DEFINITIONS

    n_defs = sum(d in df.columns for d in TRAINABILITY_DEFINITIONS)  # every registered one
    assert size.definitions == n_defs == len(TRAINABILITY_DEFINITIONS)
    assert size.instances == 1  # the planted data has no task instances
    want = (BASE_SECONDS + (PER_RUN_SECONDS + PER_INSTANCE_RUN_SECONDS) * len(df) * n_defs
            + PER_CIRCUIT_SECONDS * 60 * 2)
    assert abs(size.cpu_seconds - want) < 0.06
    one = analysis_size(df, definitions=["grad_var_train"], configs=["pure_pqc"])
    assert (one.definitions, one.configs) == (1, 1) and one.cpu_seconds < size.cpu_seconds
    assert one.describe().startswith(f"{len(df):,} runs, 60 circuits, 1 definition x 1 "
                                     "configuration; estimated ")


def test_grows_with_runs_and_circuits():
    small = analysis_size(planted_dataset(n_pqcs=40, n_seeds=2, seed=1))
    more_runs = analysis_size(planted_dataset(n_pqcs=40, n_seeds=6, seed=1))
    more_circuits = analysis_size(planted_dataset(n_pqcs=120, n_seeds=2, seed=1))
    assert small.cpu_seconds < more_runs.cpu_seconds
    assert small.cpu_seconds < more_circuits.cpu_seconds


def test_task_instances_add_their_share():
    """Each task instance adds a leave-one-out pass over the runs of every definition."""
    df = planted_dataset(n_pqcs=60, n_seeds=2, seed=0)
    base = analysis_size(df)
    ten = analysis_size(df.assign(task_id=[f"t{i % 10}" for i in range(len(df))]))
    assert (base.instances, ten.instances) == (1, 10)
    extra = PER_INSTANCE_RUN_SECONDS * len(df) * base.definitions * 9
    assert ten.cpu_seconds == pytest.approx(base.cpu_seconds + extra, abs=0.06)


def test_workers_cost_their_start_where_the_bootstrap_uses_them():
    big = planted_dataset(n_pqcs=600, n_seeds=1, seed=2, configs=["pure_pqc"])
    one, two = analysis_size(big, workers=1), analysis_size(big, workers=2)
    assert two.cpu_seconds == pytest.approx(one.cpu_seconds + POOL_SECONDS)
    small = planted_dataset(n_pqcs=60, n_seeds=1, seed=2, configs=["pure_pqc"])
    assert analysis_size(small, workers=2) == analysis_size(small, workers=1)


def test_describe_uses_minutes_for_long_analyses():
    line = AnalysisSize(runs=40_000, circuits=2_000, definitions=7, configs=3,
                        cpu_seconds=300.0).describe()
    assert line == ("40,000 runs, 2,000 circuits, 7 definitions x 3 configurations; "
                    "estimated 5.0 min of CPU")
