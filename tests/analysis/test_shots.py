"""Exact vs finite-shot claims, paired run by run, and the signal-to-noise summary.

Truths: the claims of the public entry point (`evaluate_claims`) on the twins chosen by hand;
planted data where the finite-shot side has lost the association (pure noise in place of the
trainability values), so a verdict must change; and ratios computed by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etr.analysis import evaluate_claims, planted_dataset
from etr.analysis.shots import (
    SHOT_CLAIM_COLUMNS,
    SNR_COLUMNS,
    paired_shot_runs,
    shot_claims,
    snr_summary,
)
from etr.errors import InputError

#: the registered primary definitions (etr/analysis/claims.toml): every claim is decided
Y = ["grad_var", "grad_var_landscape"]


def _with_shots(df: pd.DataFrame, level: int, f, snr: float) -> pd.DataFrame:
    """Exact runs plus finite-shot twins at `level` whose `Y` values are ``f(exact values)``."""
    finite = df.assign(shots=level, cell_id=df["cell_id"] + f"-{level}", grad_snr=snr)
    for c in Y:
        finite[c] = f(df[c].to_numpy())
    return pd.concat([df.assign(shots=pd.NA, grad_snr=np.nan), finite], ignore_index=True)


@pytest.fixture(scope="module")
def planted():
    return planted_dataset(n_pqcs=600, n_seeds=1, seed=7, conditional={
        "pure_pqc": 0.6, "hybrid_quantum_only": 0.3, "hybrid_full": 0.0})


def test_pairs_are_twins_of_pqc_runs():
    df = pd.DataFrame({
        "architecture_id": ["a", "a", "b", "b", "c", "d"], "seed": [0, 0, 0, 1, 0, 0],
        "training_config": ["pure_pqc"] * 4 + ["classical_only"] * 2,
        "shots": [None, 8, None, 8, None, 8], "grad_var": [1.0, 1.5, 2.0, 2.5, 3.0, 3.5]})
    exact, finite = paired_shot_runs(df, 8)
    assert exact["grad_var"].tolist() == [1.0] and finite["grad_var"].tolist() == [1.5]
    assert paired_shot_runs(df, 16)[0].empty
    with pytest.raises(InputError, match="`data` is missing column"):
        paired_shot_runs(df.drop(columns="seed"), 8)
    # two exact runs that the pairing columns cannot tell apart: refused, not paired at random
    twice = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match="ambiguous"):
        paired_shot_runs(twice, 8)


def test_side_by_side_is_the_public_claims_on_the_twins(planted):
    rng = np.random.default_rng(0)
    both = _with_shots(planted, 32, lambda v: v * np.exp(rng.normal(0, 0.3, len(v))), 1.5)
    # a finite-shot run without an exact twin and an exact run without a finite one: left out
    extra = both.iloc[:2].assign(architecture_id=["z1", "z2"], cell_id=["x1", "x2"],
                                 shots=[pd.NA, 32])
    t = shot_claims(pd.concat([both, extra], ignore_index=True), definitions=Y)
    assert list(t.columns) == list(SHOT_CLAIM_COLUMNS)
    assert t["shots"].unique().tolist() == [32]
    exact, finite = paired_shot_runs(both, 32)
    for side, runs in (("exact", exact), ("shots", finite)):
        ref = evaluate_claims(runs, definitions=Y)
        ref = ref[ref["kind"] == "association"].reset_index(drop=True)
        assert t["claim"].tolist() == ref["claim"].tolist()
        assert ref["verdict"].notna().all() and np.isfinite(ref["estimate"]).all()
        for col in ("verdict", "estimate", "ci_low", "ci_high", "confidence"):
            pd.testing.assert_series_equal(t[f"{col}_{side}"], ref[col], check_names=False)
    assert (t["n_pairs"] == len(exact)).all() and (t["snr_median"] == 1.5).all()
    assert (t["n_circuits"] == planted["pqc_id"].nunique()).all()


def test_noise_that_erases_the_association_changes_the_verdict(planted):
    rng = np.random.default_rng(1)
    noise = lambda v: np.exp(rng.normal(-12, 1, len(v)))  # noqa: E731  (no association)
    t = shot_claims(_with_shots(planted, 8, noise, 0.2), definitions=Y)
    t = t[t["role"] == "primary"].set_index("claim")
    assert t.loc["pure_weak", "verdict_exact"] == "contradicted"  # r ~ 0.6 > 0.3
    assert t.loc["pure_weak", "verdict_shots"] != "contradicted"
    assert not t.loc["pure_weak", "same_verdict"]
    assert abs(t.loc["pure_weak", "estimate_shots"]) < 0.15


def test_row_order_does_not_matter(planted):
    both = _with_shots(planted, 16, lambda v: v * 1.1, 3.0)
    a = shot_claims(both, definitions=Y)
    b = shot_claims(both.sample(frac=1.0, random_state=3), definitions=Y)
    pd.testing.assert_frame_equal(a, b)


def test_no_finite_shot_runs_give_empty_frames(planted):
    assert shot_claims(planted, definitions=Y).empty
    assert list(shot_claims(planted, definitions=Y).columns) == list(SHOT_CLAIM_COLUMNS)
    assert snr_summary(planted).empty


def test_snr_summary_against_hand_computation():
    df = pd.DataFrame({
        "architecture_id": list("aabbcc"), "seed": 0, "training_config": "pure_pqc",
        "task": "t", "n_qubits": [6, 6, 6, 6, 8, 8], "layers": 2,
        "shots": [None, 16, None, 16, None, 16],
        "grad_var": [1.0, 1.5, 2.0, 2.2, 4.0, 9.0], "grad_snr": [np.nan, 1.0, np.nan, 3.0,
                                                                 np.nan, 0.5]})
    s = snr_summary(df)
    assert list(s.columns) == ["shots", "task", "training_config", "n_qubits", "layers",
                               *SNR_COLUMNS]
    six = s[s["n_qubits"] == 6].iloc[0]
    assert six["n"] == 2 and six["snr_median"] == 2.0
    assert six["grad_var_ratio"] == pytest.approx(np.median([1.5, 1.1]))
    assert six["predicted_ratio"] == pytest.approx(np.median([2.0, 1 + 1 / 9]))
    eight = s[s["n_qubits"] == 8].iloc[0]
    assert eight["grad_var_ratio"] == pytest.approx(2.25) and eight["predicted_ratio"] == 5.0
    assert len(snr_summary(df, by=("shots",))) == 1
