"""The pieces the planted generators share (`etr.analysis._generate`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etr.analysis import planted_dataset, synthetic_dataset
from etr.analysis._generate import STEPS, check_configs, config_map, latent_trainability
from etr.analysis.planted import planted_study
from etr.contract import TRAINING_CONFIGS
from etr.errors import InputError


def test_check_configs_takes_one_name_or_several():
    assert check_configs("pure_pqc") == ("pure_pqc",)
    assert check_configs(["hybrid_full", "pure_pqc"]) == ("hybrid_full", "pure_pqc")
    with pytest.raises(InputError, match="`configs` must name at least one"):
        check_configs([])


def test_config_map_default_and_unknown_keys():
    assert config_map("slopes", None, {"pure_pqc": 0.8}) == {"pure_pqc": 0.8}
    assert config_map("slopes", {"hybrid_full": 0.1}, {"pure_pqc": 0.8}) == {"hybrid_full": 0.1}
    with pytest.raises(InputError, match=r"`circuit_r` has unknown configuration\(s\) \['x'\]"):
        config_map("circuit_r", {"x": 0.1}, {})


@pytest.mark.parametrize("make", [
    lambda c: synthetic_dataset(n_architectures=3, configs=c),
    lambda c: planted_dataset(n_pqcs=3, configs=c),
    lambda c: planted_study(n_pqcs=3, configs=c),
])
def test_every_generator_rejects_an_unknown_configuration_alike(make):
    allowed = ", ".join(TRAINING_CONFIGS)
    with pytest.raises(InputError) as err:
        make(["pure_pqc", "bogus"])
    assert str(err.value) == f"`configs` has unknown value(s) ['bogus']; allowed: {allowed}"


def test_planted_study_takes_one_configuration_by_name():
    df = planted_study(n_pqcs=4, configs="pure_pqc", seed=0)
    assert set(df["training_config"]) == {"pure_pqc"}


def test_latent_trainability_is_monotone_and_censored():
    t = np.linspace(-6.0, 6.0, 41)
    has_pqc = np.ones(len(t), dtype=bool)
    has_pqc[0] = False
    runs = pd.DataFrame(index=range(len(t)))
    layers = np.full(len(t), 3)
    latent_trainability(runs, t, t, layers, has_pqc, np.random.default_rng(0), var_slope=0.5,
                        norm_slope=0.25, loss_slope=0.8, steps_slope=0.7)
    for col in ("grad_var", "grad_var_train", "grad_var_landscape", "grad_norm",
                "loss_decrease", "test_accuracy"):
        assert (np.diff(runs[col].to_numpy(dtype=float)) >= 0).all(), col
    assert (np.diff(runs["final_loss"].to_numpy(dtype=float)) <= 0).all()
    steps = runs["steps_to_target"].to_numpy(dtype=float)
    assert (np.diff(steps) <= 0).all() and steps.max() == STEPS
    censored = runs["steps_to_target_censored"].to_numpy(dtype=bool)
    assert censored[0] and not censored[-1]
    assert (steps[censored] == STEPS).all()
    # the median run needs 30 steps (the centre of the map), whatever the slope
    assert steps[len(t) // 2] == 30
    ent = runs["entangling_capability"].to_numpy(dtype=float)
    assert np.isnan(ent[0]) and np.allclose(ent[1:], 1.0 - np.exp(-0.9))
