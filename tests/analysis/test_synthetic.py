from __future__ import annotations

import numpy as np
import pytest

from etr.analysis import planted_dataset, synthetic_dataset
from etr.contract import COLUMNS, validate_dataset
from etr.errors import InputError


def test_contract_shape_and_truth():
    df = synthetic_dataset(n_architectures=12, n_seeds=2, seed=0)
    assert list(df.columns) == list(COLUMNS)
    assert len(df) == 12 * 2 * 3
    validate_dataset(df)
    assert (df["status"] == "ok").all()
    assert df["architecture_id"].nunique() == 12
    assert df["cell_id"].nunique() == len(df)
    truth = df.attrs["truth"]
    assert truth["slopes"] == {"pure_pqc": 0.8, "hybrid_quantum_only": 0.4, "hybrid_full": 0.0}
    assert truth["breakpoint"] is None
    # expressibility is a property of the architecture: constant across seeds and configs
    assert (df.groupby("architecture_id")["expressibility_kl"].nunique() == 1).all()
    corr = df["expressibility_kl"] - df["expressibility_kl_corrected"]
    np.testing.assert_allclose(corr[df["expressibility_kl_corrected"] > 0], truth["kl_bias"])


def test_reproducible_and_seed_dependent():
    a = synthetic_dataset(n_architectures=5, seed=3)
    b = synthetic_dataset(n_architectures=5, seed=3)
    c = synthetic_dataset(n_architectures=5, seed=4)
    assert a.equals(b)
    assert not a["grad_var"].equals(c["grad_var"])


def test_noise_free_data_follow_the_stated_model():
    df = synthetic_dataset(n_architectures=30, n_seeds=1, intercept_sd=0.0, noise_sd=0.0,
                           breakpoint=0.5, seed=1)
    x = df["expressibility_kl_corrected"].to_numpy()  # = latent x up to the 0.003 noise
    slope = df["training_config"].map(df.attrs["truth"]["slopes"]).to_numpy()
    expected = -2.0 + slope * np.minimum(x, 0.5)
    np.testing.assert_allclose(np.log10(df["grad_var"]), expected, atol=0.8 * 0.015)


@pytest.mark.parametrize("kwargs, match", [
    ({"n_architectures": 0}, "n_architectures"),
    ({"configs": ["bogus"]}, "configs"),
    ({"slopes": {"bogus": 1.0}}, "slopes"),
    ({"noise_sd": -1.0}, "noise_sd"),
    ({"breakpoint": 0.0}, "breakpoint"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(InputError, match=match):
        synthetic_dataset(**kwargs)


def test_frame_potential_and_censored_steps():
    df = synthetic_dataset(n_architectures=40, seed=2)
    assert (df["expressibility_fp"] >= 1).all()
    # the frame-potential ratio orders circuits as the latent expressibility does
    per = df.groupby("pqc_id")[["expressibility_fp", "expressibility_kl_corrected"]].first()
    rho = per.corr(method="spearman").iloc[0, 1]
    assert rho > 0.99
    cens = df["steps_to_target_censored"].to_numpy(dtype=bool)
    assert (df.loc[cens, "steps_to_target"] == 100).all()
    assert (df.loc[~cens, "steps_to_target"] <= 100).all()


def test_planted_shape_and_structure():
    df = planted_dataset(n_pqcs=36, n_seeds=2, n_pre=3, seed=0,
                         configs=["pure_pqc", "hybrid_quantum_only", "hybrid_full",
                                  "classical_only"])
    assert list(df.columns) == list(COLUMNS)
    validate_dataset(df)
    per_pqc = df[df["training_config"] == "hybrid_full"].groupby("pqc_id")["architecture_id"]
    assert (per_pqc.nunique() == 3).all()
    assert df.loc[df["training_config"] == "pure_pqc", "architecture_id"].nunique() == 36
    assert df["cell_id"].nunique() == len(df)
    control = df[df["training_config"] == "classical_only"]
    assert control["pqc_id"].isna().all() and control["expressibility_fp"].isna().all()
    # at initialisation the two hybrid configurations are one model: identical grad_var
    key = ["architecture_id", "seed"]
    qo = df[df["training_config"] == "hybrid_quantum_only"].set_index(key)["grad_var"]
    full = df[df["training_config"] == "hybrid_full"].set_index(key)["grad_var"]
    np.testing.assert_array_equal(qo.sort_index(), full.sort_index())
    # every circuit has one expressibility value
    assert (df.groupby("pqc_id")["expressibility_fp"].nunique() == 1).all()


def test_planted_within_cell_correlation_is_the_stated_truth():
    # recover the latents from the columns (inverse of the stated maps) and correlate them
    # inside cells with Pearson's r: an independent check of the planted value
    df = planted_dataset(n_pqcs=6000, n_seeds=1, seed=3, configs=["pure_pqc", "hybrid_full"],
                         conditional={"pure_pqc": 0.45, "hybrid_full": (0.0, 0.6)})
    z = np.log10(df["expressibility_fp"] - 1)
    t = (np.log10(df["grad_var_train"]) + 2.5) / 0.5
    cell = [df["training_config"], df["n_qubits"], df["layers"]]
    zc = z - z.groupby(cell).transform("mean")
    tc = t - t.groupby(cell).transform("mean")
    for config, deep, truth in (("pure_pqc", None, 0.45), ("hybrid_full", False, 0.0),
                                ("hybrid_full", True, 0.6)):
        m = df["training_config"] == config
        if deep is not None:
            m &= df["layers"].isin(df.attrs["truth"]["deep_layers"]) == deep
        r = np.corrcoef(zc[m], tc[m])[0, 1]
        assert r == pytest.approx(truth, abs=0.04), (config, deep)


def test_planted_bad_arguments():
    with pytest.raises(InputError, match="conditional"):
        planted_dataset(conditional={"pure_pqc": 1.5})
    with pytest.raises(InputError, match="`icc`"):
        planted_dataset(icc=0.9)
    with pytest.raises(InputError, match="conditional"):
        planted_dataset(conditional={"bogus": 0.1})
