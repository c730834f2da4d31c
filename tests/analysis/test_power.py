"""The power calculation: its algebra, and (slow) its agreement with simulated verdicts."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from etr.analysis import claims as cl
from etr.analysis import evaluate_claims, planted_study
from etr.analysis.power import Components, Design, circuits_needed, components, power, truths

R = {"pure_pqc": 0.5, "hybrid_quantum_only": 0.25, "hybrid_full": 0.0}
WIDTHS, DEPTHS = (2, 4, 6), (1, 2, 4, 6)
PLANT = dict(widths=WIDTHS, depths=DEPTHS, tasks=("a", "b"), n_instances=6,
             instances_per_circuit=3, n_pre=2, run_noise=1.0, instance_sd=0.1, circuit_r=R)


def _design(n_pqcs: int) -> Design:
    return Design(cells={(w, d): n_pqcs // 12 for w in WIDTHS for d in DEPTHS}, tasks=2,
                  instances=6, instances_per_circuit=3, seeds=1)


def _comp(r_pure: float = 0.5) -> Components:
    keys = ["grad_var:pure_pqc", "grad_var_landscape:pure_pqc",
            "grad_var_landscape:hybrid_quantum_only", "grad_var_landscape:hybrid_full"]
    return Components(r=dict(zip(keys, (r_pure, r_pure, 0.25, 0.0), strict=True)),
                      noise_ratio=dict.fromkeys(keys, 1.0), instance_sd=dict.fromkeys(keys, 0.0))


def test_power_grows_with_circuits_and_falls_with_noise():
    small, big = power(_design(120), _comp()), power(_design(960), _comp())
    assert big.power_of("quantum_only_disrupted") > small.power_of("quantum_only_disrupted")
    noisy = Components(r=_comp().r, noise_ratio=dict.fromkeys(_comp().r, 20.0), instance_sd={})
    assert (power(_design(240), noisy).power_of("pure_weak")
            < power(_design(240), _comp()).power_of("pure_weak"))


def test_holm_power_at_least_the_bonferroni_bound_and_deterministic():
    a = power(_design(240), _comp()).to_frame()
    b = power(_design(240), _comp()).to_frame()
    pd.testing.assert_frame_equal(a, b)
    assert (a["power"] >= a["power_bonferroni"] - 1e-12).all()


def test_null_se_is_the_closed_form():
    """At r = 0 with perfect reliability the SE is (pi / 3) sqrt(f / G) (claims notes)."""
    g, cells = 21, 40
    d = Design(cells={(i, 1): g for i in range(cells)}, tasks=1, instances=1,
               instances_per_circuit=1)
    comp = Components(r={}, noise_ratio={}, instance_sd={})
    se = power(d, comp).to_frame().set_index("claim").loc["full_eliminated", "se"]
    f = (2 * g + 5) / (2 * (g - 1))
    assert se == pytest.approx(np.pi / 3 * np.sqrt(f / (g * cells)), rel=1e-9)


def test_truths_plant_zero_for_no_trade_off_claims():
    t = truths(_comp(0.7))
    assert t["pure_weak"] == 0.7 and t["full_eliminated"] == 0.0
    assert t["quantum_only_disrupted"] == pytest.approx(0.45)


def test_circuits_needed_reaches_the_target():
    n = circuits_needed(_design(120), _comp(), "quantum_only_disrupted")
    assert n is not None and n > 120
    assert power(_design(120).scaled(n / 120), _comp()).power_of("quantum_only_disrupted") \
        >= 0.8 - 0.01


def _simulated(n_pqcs: int, reps: int, registry: cl.Registry, seed0: int) -> pd.DataFrame:
    out = []
    for s in range(reps):
        df = planted_study(n_pqcs=n_pqcs, seed=seed0 + s, **PLANT)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = evaluate_claims(df, claims=registry, adjust_sets=False,
                                  definitions=["grad_var", "grad_var_landscape"])
        out.append(res[res["role"] == "primary"].set_index("claim")["verdict"])
    return pd.concat(out, axis=1)


@pytest.mark.slow
@pytest.mark.parametrize(("n_pqcs", "margin", "claims"), [
    (120, None, ("pure_weak", "quantum_only_disrupted")),
    (480, 0.25, ("full_eliminated", "quantum_only_disrupted")),
])
def test_analytic_power_matches_simulated_verdicts(n_pqcs, margin, claims):
    """Components estimated on one large planted dataset (not typed in); the analytic power
    at a design point within Monte-Carlo error of the fraction of `evaluate_claims` verdicts
    on 100 planted studies of that design."""
    registry = cl.REGISTRY if margin is None else cl._overridden(cl.REGISTRY, margin, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        comp = components(planted_study(n_pqcs=1200, seed=1, **PLANT), claims=registry)
    truth = {"pure_weak": R["pure_pqc"], "pure_regime_dependent": 0.0,
             "quantum_only_disrupted": R["pure_pqc"] - R["hybrid_quantum_only"],
             "full_eliminated": 0.0}
    predicted = power(_design(n_pqcs), comp, truth=truth, claims=registry).to_frame()
    predicted = predicted.set_index("claim")
    reps = 100
    verdicts = _simulated(n_pqcs, reps, registry, 1000 + n_pqcs)
    for claim in claims:
        p = predicted.loc[claim, "power"]
        sim = float((verdicts.loc[claim] == predicted.loc[claim, "target"]).mean())
        mc = np.sqrt(max(sim * (1 - sim), 0.05 * 0.95) / reps)
        print(f"{claim} n={n_pqcs}: simulated {sim:.3f}, analytic {p:.3f}, MC SE {mc:.3f}")
        assert abs(sim - p) <= 3 * mc, (claim, sim, p)
