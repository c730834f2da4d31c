"""The report pipeline on synthetic data with known structure."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from etr.analysis import synthetic_dataset
from etr.errors import InputError
from etr.experiment import write_dataset
from etr.report import analyze_dataset, analyze_to_report, build_sections, report_html
from etr.report.analyze import coverage_table, failed_cells

EVIL = "</script><script>alert(1)</script>"


@pytest.fixture(scope="module")
def small():
    df = synthetic_dataset(n_architectures=12, n_seeds=2, seed=3)
    df["topology"] = df["topology"].astype(object)
    df.loc[0, "topology"] = EVIL
    df["status"] = df["status"].astype(object)
    df["error"] = df["error"].astype(object)
    df.loc[[1, 2], "status"] = "failed"
    df.loc[[1, 2], "error"] = "<b>solver diverged</b>"
    return df


@pytest.fixture(scope="module")
def results(small):
    return analyze_dataset(small, n_boot=50, seed=5, definitions=["grad_var", "loss_decrease"])


def test_coverage_counts_failed_cells(small):
    cov = coverage_table(small).set_index("training_config")
    n_cfg = small.groupby("training_config").size()
    for c, n in n_cfg.items():
        assert cov.loc[c, "runs"] == n
    assert cov.loc["total", "failed"] == 2
    assert cov.loc["total", "ok"] == len(small) - 2
    assert cov.loc["total", "architectures"] == 12
    assert cov.loc["total", "seeds"] == 2
    bad = failed_cells(small)
    assert len(bad) == 2 and set(bad["error"]) == {"<b>solver diverged</b>"}


def test_failed_rows_left_out(results, small):
    assert len(results.data) == len(small) - 2
    assert (results.data["status"] == "ok").all()


def test_options_and_selection(results):
    assert results.definitions == ("grad_var", "loss_decrease")
    assert results.configs == ("pure_pqc", "hybrid_quantum_only", "hybrid_full")
    assert results.options["n_boot"] == 50 and results.options["seed"] == 5
    # every pair of configurations, for each definition
    if not results.comparisons.empty:
        assert len(results.comparisons) == 3 * 2


@pytest.mark.slow
def test_comparison_recovers_known_ordering():
    # pure_pqc has slope 0.8 and hybrid_full 0: the difference of correlations is positive
    df = synthetic_dataset(n_architectures=40, n_seeds=2, seed=11)
    res = analyze_dataset(df, n_boot=100, seed=1, definitions=["grad_var"])
    row = res.comparisons.query("group_a == 'pure_pqc' and group_b == 'hybrid_full'")
    assert len(row) == 1
    assert row["estimate"].iloc[0] > 0.2 and row["ci_low"].iloc[0] > 0


@pytest.mark.slow
def test_same_seed_same_results(small):
    a = analyze_dataset(small, n_boot=50, seed=9, definitions=["grad_var"])
    b = analyze_dataset(small, n_boot=50, seed=9, definitions=["grad_var"])
    pd.testing.assert_frame_equal(a.comparisons, b.comparisons)


def test_bad_options(small):
    with pytest.raises(InputError, match="`definitions`"):
        analyze_dataset(small, definitions=["nope"])
    with pytest.raises(InputError, match="`n_boot`"):
        analyze_dataset(small, n_boot=3)
    with pytest.raises(InputError, match="`confidence`"):
        analyze_dataset(small, confidence=1.5)
    only_failed = small.assign(status="failed")
    with pytest.raises(InputError, match="no successful runs"):
        analyze_dataset(only_failed)


def test_single_configuration_says_what_is_missing(small):
    res = analyze_dataset(small[small["training_config"] == "pure_pqc"], n_boot=50,
                          definitions=["grad_var"])
    assert any("comparisons between training configurations" in n for n in res.notes)
    html = report_html(res)
    assert "comparisons between training configurations: not computed" in html


def test_html_escapes_dataset_strings(results):
    html = report_html(results)
    assert EVIL not in html
    assert "<b>solver diverged</b>" not in html
    assert "&lt;b&gt;solver diverged&lt;/b&gt;" in html
    n_figs = sum(len(s.charts) for s in build_sections(results))
    assert html.count('<div class="vis"') == n_figs >= 3
    assert "lower = more expressive" in html and "higher = more trainable" in html


@pytest.mark.slow
def test_to_report_writes_json_csv_figures(tmp_path, small):
    data = write_dataset(small, tmp_path / "d.parquet",
                         provenance={"root_seed": 4, "spec": "[grid]\nlabel = '<x>'\n"})
    out = analyze_to_report(data, tmp_path / "r" / "rep.html", json_path=tmp_path / "rep.json",
                            formats=["html", "csv"], figures_dir=tmp_path / "figs",
                            figure_formats=["svg"], n_boot=50, definitions=["grad_var"])
    html = out.html.read_text()
    import hashlib

    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    assert f'<meta name="etr-dataset-sha256" content="{digest}">' in html
    spec_hash = hashlib.sha256(b"[grid]\nlabel = '<x>'\n").hexdigest()
    assert f'<meta name="etr-spec-sha256" content="{spec_hash}">' in html
    assert "label = &#39;&lt;x&gt;&#39;" in html
    doc = json.loads(out.json.read_text())
    assert doc["options"]["definitions"] == ["grad_var"]
    assert doc["provenance"]["dataset_sha256"] == digest
    assert doc["provenance"]["root_seed"] == 4
    cov = pd.DataFrame(doc["tables"]["coverage"]).set_index("training_config")
    assert cov.loc["total", "failed"] == 2
    csv = tmp_path / "r" / "rep.coverage.csv"
    assert csv in out.tables
    pd.testing.assert_frame_equal(pd.read_csv(csv), out.results.coverage, check_dtype=False)
    svgs = sorted(p.name for p in out.figures)
    assert "scatter_grad_var.svg" in svgs
    assert all(p.read_text().lstrip().startswith("<svg") for p in out.figures)


def test_nan_results_serialise(results):
    doc = results.to_dict()
    text = json.dumps(doc, allow_nan=False)
    assert "NaN" not in text
    assert np.isfinite(len(doc["tables"]))
