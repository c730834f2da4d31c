"""A new trainability definition and a new circuit measure are one registry entry and one function
each: registered here, in the test alone, they reach the dataset (a real `run_experiment`), the
analysis and the report with no other edit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etr import contract as C
from etr.analysis import planted_dataset, tradeoff_summary
from etr.experiment import load_spec, read_dataset, run_experiment
from etr.experiment.circuit import CIRCUIT_MEASURES
from etr.hybrid.run import DEFINITIONS
from etr.report import analyze_dataset, report_html

TOY_DEF = C.Metric(
    "toy_grad_abs", C.TRAINABILITY, "higher = more trainable", 1, True,
    "toy mean |gradient| (init)", "mean |dL/dθ| at init; higher = more trainable",
    "mean over initialisations and quantum parameters of |dL/dθ_k| at initialisation",
    valid=C.Range(0.0, None, "a mean of absolute values cannot be negative"))
TOY_X = C.Metric(
    "toy_fp_squared", C.EXPRESSIBILITY, "lower = more expressive", -1, True,
    "toy squared frame-potential ratio", "(F₂/F₂ᴴᵃᵃʳ)², lower = more expressive",
    "the square of the frame-potential ratio (a monotone transform of it)",
    level=C.CIRCUIT, haar=1.0, sizes=(C.SAMPLE_SIZES["n_states"],),
    valid=C.Range(0.0, None, "a square cannot be negative"))


def toy_grad_abs(ctx) -> dict[str, object]:
    grads = ctx.quantum_grads(ctx.result.initial_params)
    return {"toy_grad_abs": float(np.abs(grads).mean())}


def toy_fp_squared(ctx) -> dict[str, object]:
    return {"toy_fp_squared": float(ctx.frame_potential().ratio) ** 2}


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(C.METRICS, TOY_DEF.name, TOY_DEF)
    monkeypatch.setitem(C.METRICS, TOY_X.name, TOY_X)
    monkeypatch.setitem(DEFINITIONS, TOY_DEF.name, toy_grad_abs)
    monkeypatch.setitem(CIRCUIT_MEASURES, TOY_X.name, toy_fp_squared)


SPEC = """
seeds = 1
configs = ["pure_pqc", "hybrid_full", "classical_only"]
[grid]
classical_pre = ["none"]
classical_post = ["2-tanh"]
[grid.hea]
n_qubits = [2]
layers = [1, 2]
rotations = ["RY+RZ"]
topology = ["linear"]
[metrics]
n_states = 40
n_pairs = 20
ec_samples = 4
loss_samples = 8
qfim_samples = 1
[training]
n_train = 8
n_test = 8
n_init = 2
steps = 2
ed_data_size = 20
ed_weight_samples = 2
landscape_samples = 2
"""


def test_new_entries_reach_the_dataset(registered, tmp_path):
    spec = load_spec(SPEC)
    assert TOY_DEF.name in spec.definitions  # the default: every registered definition
    res = run_experiment(spec, tmp_path / "d.parquet", workers=1, quiet=True)
    assert res.n_failed == 0
    df = read_dataset(res.path)
    assert list(df.columns) == list(C.COLUMNS)
    assert {TOY_DEF.name, TOY_X.name} <= set(df.columns)
    pqc = df["training_config"] != "classical_only"
    assert (df.loc[pqc, TOY_DEF.name] > 0).all()
    assert df.loc[~pqc, TOY_DEF.name].isna().all()  # needs a PQC: NaN for the control
    np.testing.assert_array_equal(df.loc[pqc, TOY_X.name],
                                  df.loc[pqc, "expressibility_fp"] ** 2)
    assert df.loc[~pqc, TOY_X.name].isna().all()


def test_new_entries_reach_the_analysis_and_the_report(registered):
    data = planted_dataset(n_pqcs=48, n_seeds=2, seed=7)
    assert {TOY_DEF.name, TOY_X.name} <= set(data.columns)
    strata = ("n_qubits", "layers")
    summary = tradeoff_summary(data, strata=strata, n_boot=10, seed=1)
    toy = summary[summary["definition"] == TOY_DEF.name].set_index("training_config")
    # generated from the same latent trainability as grad_var_train, monotone in it: the rank
    # association is the same number
    ref = summary[summary["definition"] == "grad_var_train"].set_index("training_config")
    assert toy["estimate"].notna().all() and len(toy) == 3
    pd.testing.assert_series_equal(toy["estimate"], ref["estimate"])
    # the toy x is monotone in the frame-potential ratio: same association as with it, once the
    # ratio's sampling intervals are set aside (the toy has none, so its reliability is 1, while
    # the ratio's intervals give a reliability below 1 and a slightly larger corrected estimate)
    by_x = tradeoff_summary(data, x=TOY_X.name, strata=strata, definitions=["grad_var_train"],
                            n_boot=10, seed=1).set_index("training_config")
    no_ci = data.assign(expressibility_fp_ci_low=np.nan, expressibility_fp_ci_high=np.nan)
    ref_no_ci = tradeoff_summary(no_ci, strata=strata, definitions=["grad_var_train"], n_boot=10,
                                 seed=1).set_index("training_config")
    pd.testing.assert_series_equal(by_x["estimate"], ref_no_ci["estimate"])
    assert (ref["estimate"].abs() > ref_no_ci["estimate"].abs()).all()
    res = analyze_dataset(data, n_boot=50, seed=1, definitions=[TOY_DEF.name],
                          configs=["pure_pqc"])
    html = report_html(res)
    assert TOY_DEF.label in html and TOY_X.label in html
    assert TOY_DEF.name in set(res.summary["definition"])
