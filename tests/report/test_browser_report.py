"""A full report opened in headless Chromium: no console error or warning (Vega logs its
problems, e.g. an infinite extent of an empty layer, as warnings), no network request, every
chart drawn."""

from __future__ import annotations

import pytest

from etr.experiment import write_dataset
from etr.report import analyze_to_report

EVIL = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("configs", [None, ["pure_pqc"]])
def test_report_renders_offline_without_warnings(tmp_path, open_report, study, configs):
    df = study.copy()
    df["topology"] = df["topology"].astype(object)
    df["architecture_id"] = df["architecture_id"].astype(object)
    df.loc[0:5, "topology"] = EVIL
    df.loc[0:2, "architecture_id"] = EVIL
    data = write_dataset(df, tmp_path / "d.parquet")
    out = analyze_to_report(data, tmp_path / "r.html", n_boot=50, configs=configs)
    opened = open_report(out.html, screenshot=tmp_path / "r.png")
    assert opened.dialogs == []
    assert opened.console_errors == [] and opened.page_errors == []
    assert opened.console_warnings == []
    assert opened.requests == []
    assert opened.n_charts() >= 8
    assert opened.n_rendered() == opened.n_charts()
    assert (tmp_path / "r.png").stat().st_size > 10_000
