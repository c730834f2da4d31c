from __future__ import annotations

import numpy as np
import pytest

from etr.analysis import synthetic_dataset
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
