"""Bootstrap refits on the worker pool give the numbers of a single process."""

from __future__ import annotations

import numpy as np
import pandas as pd

from etr.analysis import regimes, segment_regimes, synthetic_dataset


def test_regime_bootstrap_is_the_same_for_any_number_of_workers(monkeypatch):
    # the pool is used whatever the size (workers start and refit their chunks)
    monkeypatch.setattr(regimes, "_POOL_MIN_WORK", 0)
    df = synthetic_dataset(n_architectures=120, configs=["pure_pqc", "hybrid_full"],
                           slopes={"pure_pqc": 2.0, "hybrid_full": 1.0}, breakpoint=0.6,
                           intercept_sd=0.1, seed=3)
    kw = {"x": "expressibility_kl", "y": "grad_var", "by": "training_config", "n_boot": 60,
          "transform_x": "none", "seed": 7}
    one = segment_regimes(df, workers=1, **kw)
    two = segment_regimes(df, workers=2, **kw)
    assert len(one.breakpoints) >= 1  # a breakpoint model, so its refits ran on the pool
    for name in ("breakpoints", "segments", "selection"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name), check_exact=True)
    assert np.isfinite(one.breakpoints["ci_low"]).all()
