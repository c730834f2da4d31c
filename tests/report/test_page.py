"""The page shell: escaping, formatting filters, head metadata, offline rendering in Chromium."""

from __future__ import annotations

import html as html_lib
import json
import re

import altair as alt
import numpy as np
import pandas as pd
import pytest

from etr.report import Figure, Section, Table, fmt_ci, fmt_num, fmt_p, render_page, write_report
from etr.report.page import VEGA_LITE_VERSION, chart_spec, pack_datasets, spec_json

EVIL = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"


def test_filters():
    assert fmt_p(0.0004) == "< 0.001"
    assert fmt_p(0.5) == "0.500"
    assert fmt_p(np.nan) == "–"
    assert fmt_num(3) == "3"
    assert fmt_num(np.int64(7)) == "7"
    assert fmt_num(0.012345) == "0.0123"
    assert fmt_num(123.456) == "123"
    assert fmt_num(2.5e-7) == "2.5e-07"
    assert fmt_num(None) == "–"
    assert fmt_ci(-0.25, 0.5) == "[-0.25, 0.5]"
    assert fmt_ci(np.nan, np.nan) == "–"


def test_spec_json_cannot_break_out_and_round_trips():
    spec = {"data": {"values": [{"a": EVIL, "b": float("nan"), "c": np.float64(1.5)}]}}
    text = spec_json(spec)
    assert "<" not in text and ">" not in text and "&" not in text
    back = json.loads(text)
    assert back["data"]["values"][0] == {"a": EVIL, "b": None, "c": 1.5}


def _evil_page() -> str:
    df = pd.DataFrame({"topology": [EVIL, "ring"], "x": [1.0, 2.0], "y": [0.5, 0.25],
                       "ci_low": [0.1, 0.2], "ci_high": [0.3, 0.4], "p_value": [1e-5, 0.2]})
    chart = alt.Chart(df).mark_point().encode(x="x:Q", y="y:Q", tooltip=["topology:N"])
    bar = alt.Chart(df).mark_bar().encode(x="topology:N", y="y:Q")
    sec = Section(EVIL, intro=f"para one {EVIL}\n\npara two", charts=[chart, Figure(bar, EVIL)],
                  tables=[Table(df, caption=EVIL)], items=[EVIL], warnings=[EVIL],
                  details=[(EVIL, EVIL)])
    return render_page(EVIL, [sec, Section("Second")],
                       {"dataset_sha256": "d" * 64, "spec_sha256": "s" * 64, "note": EVIL})


def test_every_string_escaped():
    html = _evil_page()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in html
    # exactly our own script elements: spec JSON x2, the Vega bundle, the embed loop
    assert len(re.findall(r"<script\b", html)) == 4
    assert '<meta name="etr-dataset-sha256" content="' + "d" * 64 + '">' in html
    assert '<meta name="etr-spec-sha256" content="' + "s" * 64 + '">' in html
    # CI merged and p formatted
    assert "[0.1, 0.3]" in html and "&lt; 0.001" in html
    assert 'href="http' not in html and 'src="http' not in html


def test_no_charts_no_javascript_bundle():
    html = render_page("t", [Section("s", tables=[pd.DataFrame({"a": [1]})])], {})
    assert "vegaEmbed" not in html and 'data-charts-ready' in html


def test_write_report(tmp_path):
    p = write_report("<html></html>", tmp_path / "sub" / "r.html")
    assert p.read_text() == "<html></html>"
    assert not list((tmp_path / "sub").glob(".*tmp"))


@pytest.mark.browser
def test_evil_page_in_browser(tmp_path, open_report):
    path = write_report(_evil_page(), tmp_path / "evil.html")
    opened = open_report(path)
    assert opened.dialogs == []
    assert opened.console_errors == [] and opened.page_errors == []
    assert opened.console_warnings == []
    assert opened.requests == []
    assert opened.n_charts() == 2 and opened.n_rendered() == 2
    h2 = opened.page.inner_text("section h2")
    assert h2 == EVIL


@pytest.mark.browser
def test_vega_warnings_are_recorded(tmp_path, open_report):
    # an empty layer feeding a shared scale: Vega warns "Infinite extent for field ci_low"
    # (what empty breakpoint layers used to do); the fixture must see it so that report tests
    # can require none
    df = pd.DataFrame({"x": [1.0, 2.0], "layer": ["point", "point"], "ci_low": [None, None]})
    pts = alt.Chart().transform_filter(alt.datum.layer == "point").mark_point().encode(x="x:Q")
    band = alt.Chart().transform_filter(alt.datum.layer == "band").mark_rule().encode(
        x="ci_low:Q")
    path = write_report(render_page("w", [Section("s", charts=[alt.layer(pts, band, data=df)])],
                                    {}), tmp_path / "w.html")
    opened = open_report(path)
    assert any("Infinite extent" in w for w in opened.console_warnings), opened.console_warnings


def test_pack_datasets_stores_records_by_column_and_leaves_the_rest():
    rows = [{"task": "a", "y": 1.5, "ok": True}, {"task": None, "y": None, "ok": False},
            {"task": "a", "y": 2.0, "ok": True}]
    ragged = [{"a": 1}, {"b": 2}]
    spec = {"mark": "point", "datasets": {"d": rows, "r": ragged, "e": [], "s": "x,y\n1,2"}}
    packed = pack_datasets(spec)
    assert packed["mark"] == "point" and spec["datasets"]["d"] is rows  # input untouched
    d = packed["datasets"]["d"]
    assert d["n"] == 3 and [k for k, _ in d["etr_columns"]] == ["task", "y", "ok"]
    columns = dict(d["etr_columns"])
    assert columns["task"] == {"levels": ["a", None], "codes": [0, 1, 0]}
    assert columns["y"] == [1.5, None, 2.0] and columns["ok"] == [True, False, True]
    # what the page's script does, in Python: the same records come back
    back = [{k: (c["levels"][c["codes"][i]] if isinstance(c, dict) else c[i])
             for k, c in d["etr_columns"]} for i in range(d["n"])]
    assert back == rows
    assert packed["datasets"]["r"] == ragged and packed["datasets"]["e"] == []
    assert packed["datasets"]["s"] == "x,y\n1,2"
    assert pack_datasets({"mark": "point"}) == {"mark": "point"}


@pytest.mark.browser
def test_packed_data_reaches_the_chart(tmp_path, open_report):
    """The page rebuilds the records before drawing: its marks are those Vega draws from the
    records themselves (rendered by vl-convert from the unpacked spec), a label with markup
    and a missing value among them."""
    import vl_convert as vlc

    labels = ["ring", EVIL, "linear", "ring", None, "all-to-all"]
    df = pd.DataFrame({"x": np.arange(6.0), "y": [0.5, 0.25, np.nan, 1.0, 2.0, 3.0],
                       "label": labels})
    charts = [alt.Chart(df).mark_text().encode(x="x:Q", y="y:Q", text="label:N"),
              alt.Chart(df).mark_point().encode(x="x:Q", y="y:Q", tooltip=["label:N"])]
    path = write_report(render_page("p", [Section("s", charts=charts)], {}), tmp_path / "p.html")
    html = path.read_text()
    assert '"etr_columns"' in html and '"label":' not in html  # sent by column
    opened = open_report(path)
    assert opened.console_errors == [] and opened.page_errors == []
    assert opened.n_rendered() == 2
    for k, chart in enumerate(charts, start=1):
        drawn = opened.page.evaluate(
            f"() => Array.from(document.querySelectorAll('#chart-{k} .role-mark "
            "[role=graphics-symbol]')).map(t => t.getAttribute('aria-label'))")
        svg = vlc.vegalite_to_svg(chart_spec(chart), vl_version=VEGA_LITE_VERSION)
        reference = [html_lib.unescape(a) for a in re.findall(
            r'aria-label="([^"]*)" role="graphics-symbol"', svg)]
        assert len(drawn) == 5 and drawn == reference
