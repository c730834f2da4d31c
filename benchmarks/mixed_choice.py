"""Why etr fits its mixed models itself: one fit, statsmodels' MixedLM against `etr.analysis._lmm`.

Issue 23 asked to choose by measurement between (a) a profiled (RE)ML over per-circuit sums and
(b) statsmodels given what makes it fast: good start values (the *optimum itself*, found by
(a), the best start there can be; and (b') the moment estimate (a) starts from), the L-BFGS
optimiser, no refits. Both
fit the REML model `tradeoff_summary` fits (configuration slopes, width and depth factors per
configuration, circuits with nested architectures) to one definition of a study-sized planted
dataset. CPU seconds of this process, one BLAS thread.

Run: ``python benchmarks/mixed_choice.py [N_CIRCUITS] [N_SEEDS]`` (default 2000 x 4: 40,000 runs).
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams, VCSpec
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analysis_data import study_dataset

from etr.analysis import _lmm, mixed


def main(n_pqcs: int = 2000, n_seeds: int = 4) -> None:
    warnings.simplefilter("ignore")
    threadpool_limits(1)
    data = study_dataset(n_pqcs, n_seeds, kind="noisy", seed=1)
    model = mixed._model_frame(data, y="grad_var_train", x="expressibility_fp", groups="pqc_id",
                               nested="architecture_id", by="training_config",
                               covariates=("n_qubits", "layers"), transform_y="log10",
                               transform_x="log10")
    rhs = "".join(f" + {t}" for t in model.cov_terms)
    designs = mixed._designs("_y ~ C(_by) + _x:C(_by)" + rhs, None, model, random_slope=False)
    y = model.frame["_y"].to_numpy()
    print(f"== one REML fit: {len(y):,} runs, {designs.grouping.n_groups:,} circuits, "
          f"{len(designs.grouping.m):,} architectures, {designs.exog.matrix.shape[1]} "
          "fixed effects ==")
    t0 = time.process_time()
    stats = designs.grouping.stats(designs.exog, y)
    ours = _lmm.fit(designs.grouping, stats, reml=True)
    t_ours = time.process_time() - t0
    print(f"(a) profiled REML over per-circuit sums: {t_ours:7.2f} s CPU "
          f"({ours.n_evaluations} likelihood evaluations), log-likelihood {ours.llf:.6f}")

    groups = model.frame["_g"].to_numpy()
    arch = model.frame["_a"].to_numpy()
    t0 = time.process_time()
    mats, names = [], []
    for g in np.unique(groups):
        a = arch[groups == g]
        levels = np.unique(a)
        mats.append((a[:, None] == levels[None, :]).astype(float))
        names.append([str(v) for v in levels])
    sm = MixedLM(y, designs.exog.matrix, groups, exog_re=np.ones((len(y), 1)),
                 exog_vc=VCSpec(["nested"], [names], [mats]))
    t_build = time.process_time() - t0
    start = MixedLMParams.from_components(fe_params=ours.beta,
                                          cov_re=ours.cov_re / ours.scale,
                                          vcomp=ours.vcomp / ours.scale)
    t0 = time.process_time()
    fit = sm.fit(reml=True, start_params=start, method="lbfgs")
    t_sm = time.process_time() - t0
    print(f"(b) statsmodels MixedLM, started at the optimum, L-BFGS: {t_sm:7.2f} s CPU "
          f"(+ {t_build:.2f} s to build the model), log-likelihood {fit.llf:.6f}")
    t0 = time.process_time()
    sm.loglike(fit.params_object, profile_fe=True)
    t_eval = time.process_time() - t0
    print(f"    one statsmodels likelihood evaluation: {t_eval:.3f} s; ratio (b)/(a) = "
          f"{(t_sm + t_build) / t_ours:.0f}x")
    # a start any user could give it: the moment estimate (a) starts from
    phi = _lmm._start(_lmm._Objective(designs.grouping, stats, True))
    moment = MixedLMParams.from_components(fe_params=ours.beta, cov_re=np.array([[phi[0]]]),
                                           vcomp=np.array([phi[1]]))
    t0 = time.process_time()
    fit2 = sm.fit(reml=True, start_params=moment, method="lbfgs")
    t_sm2 = time.process_time() - t0
    print(f"(b') statsmodels MixedLM, moment start values, L-BFGS: {t_sm2:7.2f} s CPU, "
          f"log-likelihood {fit2.llf:.6f}; ratio (b')/(a) = {(t_sm2 + t_build) / t_ours:.0f}x")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
