"""The finite-shot path end to end on a tiny spec: shots only on the 6-qubit circuits
(``[grid.shots] min_qubits``), ``grad_snr`` in the dataset, the side-by-side claims and the
SNR summary in the analysis, and the report section (only when the data have shot runs)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from etr.analysis import planted_dataset, snr_summary
from etr.experiment import expand_grid, load_spec, read_dataset, run_experiment
from etr.experiment.size import estimate
from etr.report.analyze import analyze_dataset
from etr.report.build import analyze_to_report
from etr.report.sections import build_sections
from etr.report.shots import SHOTS_HEADING

TINY = """
seeds = 1
configs = ["pure_pqc", "hybrid_quantum_only"]
[grid]
classical_post = ["4-tanh"]
[grid.hea]
n_qubits = [2, 6]
layers = [2, 3]
topology = ["linear", "ring"]
[grid.shots]
min_qubits = 6
[metrics]
n_states = 100
loss_samples = 20
n_pairs = 50
bins = 10
ec_samples = 10
qfim_samples = 1
[training]
shots = ["none", 8]
n_train = 8
n_test = 8
n_init = 2
steps = 2
ed_weight_samples = 2
ed_data_size = 20
landscape_samples = 2
"""


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    spec = load_spec(TINY)
    out = tmp_path_factory.mktemp("shots") / "tiny.parquet"
    res = run_experiment(spec, out, workers=1, quiet=True)
    assert res.n_failed == 0
    return spec, read_dataset(res.path), res.path


def test_shots_only_on_the_wide_circuits_with_their_snr(dataset):
    spec, df, _ = dataset
    finite = df[df["shots"].notna()]
    assert set(finite["n_qubits"]) == {6} and (finite["shots"] == 8).all()
    assert len(df) == len(expand_grid(spec)) <= estimate(spec).runs  # merged 2-qubit twins
    snr = finite["grad_snr"].to_numpy(float)
    assert np.isfinite(snr).all() and (snr > 0).all()
    assert df.loc[df["shots"].isna(), "grad_snr"].isna().all()
    # the exact twin of a finite-shot run started from the same parameters: same task instance
    keys = ["architecture_id", "training_config", "seed"]
    twins = finite.merge(df[df["shots"].isna()], on=keys, suffixes=("", "_exact"))
    assert len(twins) == len(finite)
    assert (twins["task_id"] == twins["task_id_exact"]).all()


def test_report_shows_the_side_by_side_and_the_snr(dataset, tmp_path):
    _, df, path = dataset
    res = analyze_dataset(df, n_boot=50, seed=1, definitions=["grad_var", "grad_var_train"])
    assert not res.shot_claims.empty
    assert set(res.shot_claims["shots"]) == {8}
    assert (res.shot_claims["n_pairs"] == df["shots"].notna().sum()).all()
    np.testing.assert_allclose(
        res.shot_claims["snr_median"].iloc[0],
        np.median(df.loc[df["shots"].notna(), "grad_snr"].to_numpy(float)))
    pd_snr = snr_summary(df)
    assert pd_snr.equals(res.shot_snr)
    headings = [s.heading for s in build_sections(res)]
    assert SHOTS_HEADING in headings
    out = analyze_to_report(path, tmp_path / "r.html", json_path=tmp_path / "r.json",
                            n_boot=50, seed=1, definitions=["grad_var", "grad_var_train"])
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert SHOTS_HEADING in html and "SNR (median)" in html
    tables = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["tables"]
    assert len(tables["shot_claims"]) == len(res.shot_claims) and tables["shot_snr"]
    assert out is not None


def test_no_section_without_shot_runs():
    df = planted_dataset(n_pqcs=40, n_seeds=1, seed=2)
    res = analyze_dataset(df, n_boot=50, seed=1, definitions=["grad_var_train"])
    assert res.shot_claims.empty and res.shot_snr.empty
    assert SHOTS_HEADING not in [s.heading for s in build_sections(res)]
    assert "shot_claims" not in res.tables()
