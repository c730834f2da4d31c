from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etr.analysis import SATURATION_RULES, saturation
from etr.errors import InputError


def _runs(n: int, seed: int) -> tuple[pd.DataFrame, dict]:
    """Planted fractions: per (task, config) a known share of runs at each end."""
    rng = np.random.default_rng(seed)
    plan = {("parity", "hybrid_full"): (0.3, 0.1), ("parity", "pure_pqc"): (0.0, 0.6),
            ("wine", "hybrid_full"): (0.8, 0.0)}
    parts = []
    for (task, config), (top, bottom) in plan.items():
        u = rng.permutation(n) / n
        dec = np.where(u < top, 1.0 - rng.uniform(0, 0.005, n),
                       np.where(u >= 1 - bottom, -rng.uniform(0, 0.1, n),
                                rng.uniform(0.05, 0.9, n)))
        steps = np.where(u < top, 1.0, np.where(u >= 1 - bottom, 50.0,
                                                rng.integers(2, 50, n).astype(float)))
        parts.append(pd.DataFrame({"task": task, "training_config": config,
                                   "loss_decrease": dec, "steps_to_target": steps,
                                   "steps_to_target_censored": u >= 1 - bottom,
                                   "status": "ok"}))
    return pd.concat(parts, ignore_index=True), plan


def test_planted_fractions_are_recovered_exactly():
    runs, plan = _runs(200, 0)
    out = saturation(runs)
    assert list(out.columns[:2]) == ["task", "training_config"]
    for (task, config), (top, bottom) in plan.items():
        for d in SATURATION_RULES:
            row = out[(out.task == task) & (out.training_config == config)
                      & (out.definition == d)].iloc[0]
            assert row["n"] == 200
            assert row["fraction_ceiling"] == pytest.approx(top)
            assert row["fraction_floor"] == pytest.approx(bottom)
            assert row["fraction_saturated"] == pytest.approx(top + bottom)


def test_tolerance_failed_runs_and_nan_are_handled():
    runs = pd.DataFrame({"task": "t", "training_config": "c",
                         "loss_decrease": [0.97, 0.995, np.nan, 1.0, 0.2],
                         "status": ["ok", "ok", "ok", "failed", "ok"]})
    out = saturation(runs, definitions="loss_decrease")
    assert out.loc[0, "n"] == 3 and out.loc[0, "n_ceiling"] == 1
    wide = saturation(runs, definitions="loss_decrease", tol=0.05)
    assert wide.loc[0, "n_ceiling"] == 2
    one = saturation(runs, by=None)
    assert list(one.columns) == ["definition", "n", "n_ceiling", "n_floor", "fraction_ceiling",
                                 "fraction_floor", "fraction_saturated", "median", "method"]


def test_a_censored_first_step_is_not_at_the_ceiling():
    runs = pd.DataFrame({"steps_to_target": [1.0, 1.0], "steps_to_target_censored": [True, False]})
    out = saturation(runs, by=None)
    assert out.loc[0, "n_ceiling"] == 1 and out.loc[0, "n_floor"] == 1


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"definitions": "grad_var"}, "`definitions`"),
        ({"tol": 1.5}, "`tol`"),
        ({"by": "nope"}, "nope"),
    ],
)
def test_bad_input(kwargs, needle):
    runs, _ = _runs(10, 1)
    with pytest.raises(InputError, match=needle):
        saturation(runs, **kwargs)
    with pytest.raises(InputError, match="convergence"):
        saturation(pd.DataFrame({"task": ["a"]}))
    with pytest.raises(InputError, match="steps_to_target_censored"):
        saturation(pd.DataFrame({"steps_to_target": [1.0]}), by=None)


def test_rules_name_registered_definitions_and_their_censoring_flags():
    from etr.contract import METRICS, TRAINABILITY_ONLY

    for name, rule in SATURATION_RULES.items():
        assert name in TRAINABILITY_ONLY
        assert rule.censor == METRICS[name].censor
