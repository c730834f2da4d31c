"""Chart builders: each returns a chart whose Vega-Lite spec has the expected encodings, fields,
scales and titles (from the registry), and no layer without data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etr import analysis as A
from etr.contract import CONFIGS, METRICS, PRIMARY_X
from etr.report import charts as C
from etr.report.page import chart_spec


def units(spec: dict) -> list[dict]:
    """Every unit (single-mark) spec inside a layered / faceted / concatenated spec."""
    out = []
    if "mark" in spec:
        out.append(spec)
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in spec.get(key, []):
            out.extend(units(sub))
    if "spec" in spec:
        out.extend(units(spec["spec"]))
    return out


def mark(u: dict) -> str:
    m = u["mark"]
    return m["type"] if isinstance(m, dict) else m


def field(u: dict, channel: str) -> object:
    enc = u.get("encoding", {}).get(channel, {})
    return enc.get("field", enc.get("datum"))


def rows(spec: dict) -> pd.DataFrame:
    """The inlined data of a chart (Altair consolidates it into ``datasets``)."""
    frames = [pd.DataFrame(v) for v in spec.get("datasets", {}).values()]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


@pytest.fixture(scope="module")
def summary(study):
    return A.tradeoff_summary(study[study["shots"].isna()], definitions=["grad_var_train",
                                                                         "steps_to_target"],
                              strata=("task", "n_qubits", "layers"))


# --- log axes -------------------------------------------------------------------------------


def test_log_axis_ticks_and_scale():
    ticks = C.log_axis([1e-3, 0.5]).to_dict()["values"]
    assert ticks == [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
    wide = C.log_axis([1e-8, 1.0]).to_dict()["values"]
    assert wide == [10.0**k for k in range(-8, 1)]  # decades only beyond three decades
    dom = C.log_scale([1e-2, 1e2]).to_dict()["domain"]
    assert dom[0] < 1e-2 and dom[1] > 1e2 and dom[1] / 1e2 == pytest.approx(1e-2 / dom[0])
    assert C.log_scale(domain=(1, 10)).to_dict() == {"type": "log", "nice": False,
                                                     "domain": [1, 10]}


def test_log_note_counts_what_a_log_axis_leaves_out():
    assert C.log_note([1.0, 2.0]) == ""
    note = C.log_note([0.0, -1.0, 2.0, 3.0], [np.nan, np.nan, 0.0, 1.0], what="circuits")
    assert note.startswith("2 circuits ≤ 0 not shown") and "1 interval reaching 0" in note


def test_wrap_title_keeps_every_word():
    text = METRICS[PRIMARY_X].axis_title + " (log scale)"
    lines = C.wrap_title(text, 30)
    assert isinstance(lines, list) and " ".join(lines) == text
    assert all(len(line) <= 30 for line in lines)
    assert C.wrap_title("short") == "short"


# --- the claims chart -----------------------------------------------------------------------


def test_claims_forest(summary):
    spec = chart_spec(C.claims_forest(summary, margin=0.1, weak_bound=0.3, level=0.99))
    assert spec["facet"]["row"]["field"] == "definition_label"
    us = units(spec)
    bands = sorted((field(u, "x"), field(u, "x2")) for u in us if mark(u) == "rect")
    assert bands == [(-0.3, 0.3), (-0.1, 0.1)]
    pts = [u for u in us if mark(u) == "point"]
    assert {field(u, "x") for u in pts} == {"estimate"}
    assert {field(u, "yOffset") for u in pts} == {"measure"}
    assert {(field(u, "x"), field(u, "x2")) for u in us if mark(u) == "rule"
            if field(u, "x2")} == {("ci_low", "ci_high")}
    data = rows(spec)
    assert set(data["measure"]) == {"given width and depth", "marginal"}
    assert set(data["configuration"]) == {CONFIGS[c].label for c in
                                          ("pure_pqc", "hybrid_quantum_only", "hybrid_full")}
    assert set(data["definition_label"]) == {METRICS["grad_var_train"].label,
                                             METRICS["steps_to_target"].label}
    # the estimate is the oriented conditional r of the summary, the marginal beside it
    s = summary.set_index(["training_config", "definition"])
    cond = data[data["measure"] == "given width and depth"].set_index(
        ["training_config", "definition"])
    np.testing.assert_allclose(cond["estimate"].sort_index(),
                               s.loc[cond.index, "estimate"].sort_index())
    assert "99%" in str(spec["title"]["subtitle"])


def test_claims_forest_skips_rows_without_an_estimate(summary):
    s = summary.copy()
    s.loc[0, ["estimate", "ci_low", "ci_high"]] = np.nan
    data = rows(chart_spec(C.claims_forest(s, margin=0.1, weak_bound=0.3)))
    assert np.isfinite(data["estimate"]).all()
    assert len(data) == 2 * len(summary) - 1


# --- scatter plots --------------------------------------------------------------------------


def test_tradeoff_scatter_reads_the_registry(study):
    spec = chart_spec(C.tradeoff_scatter(study, y="grad_var_train"))
    us = units(spec)
    assert len(us) == 1 and field(us[0], "x") == PRIMARY_X
    enc = us[0]["encoding"]
    assert field(us[0], "y") == "grad_var_train" and enc["y"]["scale"]["type"] == "log"
    title = enc["y"]["axis"]["title"]
    title = " ".join(title) if isinstance(title, list) else title
    assert title == METRICS["grad_var_train"].axis_title + " (log scale)"
    assert spec["facet"]["row"]["field"] == "task"  # two tasks: a row per task
    assert spec["facet"]["column"]["sort"][0] == CONFIGS["pure_pqc"].label


def test_tradeoff_scatter_marks_censored_runs(study):
    censored = study["steps_to_target_censored"].astype(bool)
    assert censored.any()
    spec = chart_spec(C.tradeoff_scatter(study, y="steps_to_target"))
    shapes = {u["mark"]["shape"] for u in units(spec)}
    assert shapes == {"circle", "triangle-up"}
    data = rows(spec)
    pqc = study[study["pqc_id"].notna()]
    assert (data["state"] != "observed").sum() == int(
        pqc["steps_to_target_censored"].astype(bool).sum())
    assert "lower = more trainable" in str(spec["title"]["subtitle"])
    none = chart_spec(C.tradeoff_scatter(study.assign(steps_to_target_censored=False),
                                         y="steps_to_target"))
    assert {u["mark"]["shape"] for u in units(none)} == {"circle"}


def test_scatter_on_a_log_axis_says_what_it_leaves_out(study):
    df = study.copy()
    df.loc[df.index[:4], "grad_var_train"] = 0.0
    spec = chart_spec(C.tradeoff_scatter(df, y="grad_var_train"))
    assert "4 runs ≤ 0 not shown on the log axis" in str(spec["title"]["subtitle"])
    assert (rows(spec)["grad_var_train"] > 0).all()


def test_a_large_study_draws_a_seeded_sample_per_panel(study, monkeypatch):
    monkeypatch.setattr(C, "MAX_POINTS_PER_PANEL", 5)
    pqc = study[study["pqc_id"].notna()]
    spec = chart_spec(C.tradeoff_scatter(study, y="grad_var_train"))
    data = rows(spec)
    per_panel = data.groupby(["task", "training_config"]).size()
    assert per_panel.max() == 5 and len(per_panel) == pqc.groupby(
        ["task", "training_config"]).ngroups
    assert f"({len(data):,} of {len(pqc):,} shown)" in str(spec["title"]["subtitle"])
    again = rows(chart_spec(C.tradeoff_scatter(study, y="grad_var_train")))
    assert again.equals(data)  # the same sample every time


def test_performance_scatter(study):
    spec = chart_spec(C.performance_scatter(study[study["pqc_id"].notna()], x="grad_var",
                                            y="test_accuracy"))
    u = units(spec)[0]
    assert (field(u, "x"), field(u, "y"), field(u, "color")) == (
        "grad_var", "test_accuracy", "configuration")


# --- forests, theory, cells -----------------------------------------------------------------


def test_control_gap_forest(study):
    gap = A.control_gap(study[study["shots"].isna()], seed=0)
    spec = chart_spec(C.control_gap_forest(gap))
    us = units(spec)
    pts = [u for u in us if mark(u) == "point"]
    assert field(pts[0], "x") == "estimate" and field(pts[0], "y") == "task"
    assert field(pts[0], "yOffset") == "configuration"
    assert {(field(u, "x"), field(u, "x2")) for u in us if field(u, "x2")} == {
        ("ci_low", "ci_high")}
    assert METRICS["test_accuracy"].label in str(pts[0]["encoding"]["x"]["title"])


def test_slope_forest():
    slopes = pd.DataFrame({"training_config": ["pure_pqc", "hybrid_full"],
                           "estimate": [1.0, 0.1], "ci_low": [0.5, -0.2],
                           "ci_high": [1.5, 0.4]})
    spec = chart_spec(C.slope_forest(slopes, x=PRIMARY_X, y="grad_var"))
    us = units(spec)
    assert {field(u, "x") for u in us if mark(u) == "point"} == {"estimate"}
    assert "log10 " + METRICS["grad_var"].label in str(spec["title"]["subtitle"])


def _circuits() -> pd.DataFrame:
    return pd.DataFrame({
        "pqc_id": list("abcdef"), "family": ["hea"] * 4 + ["sim"] * 2,
        "structure": ["s1", "s1", "s2", "s2", "s3", "s3"], "n_qubits": [2, 2, 4, 4, 4, 4],
        "layers": [1, 4, 1, 4, 1, 3], "dla_dim": [6, 15, 12, 255, 4, 255],
        "loss_var": [0.2, 0.1, 0.12, 0.015, 0.05, 1e-33],
        "predicted_loss_var": [0.1, 0.1, 0.08, 0.0147, np.nan, 0.0147],
        "expressibility_fp": [1.9, 1.05, 1.6, 1.0, 2.4, 1.0],
        "expressibility_fp_ci_low": [1.8, 1.0, 1.5, 0.99, 2.3, 0.99],
        "expressibility_fp_ci_high": [2.0, 1.1, 1.7, 1.01, 2.5, 1.01],
        "expressibility_kl": [0.5, 0.02, 0.3, 0.01, 0.7, 0.012],
        "expressibility_kl_ci_low": [0.4, 0.0, 0.2, 0.0, 0.6, 0.005],
        "expressibility_kl_ci_high": [0.6, 0.04, 0.4, 0.02, 0.8, 0.02],
        "grad_var": [1e-2, 5e-3, 3e-3, 1e-4, 2e-2, 1e-5]})


def test_loss_variance_chart_ratio_and_clipping():
    c = _circuits()
    spec = chart_spec(C.loss_variance_chart(c, tolerance=0.25))
    data = rows(spec)
    expected = (c["loss_var"] / c["predicted_loss_var"]).dropna()
    np.testing.assert_allclose(np.sort(data["ratio"]), np.sort(expected))
    assert data["shown"].min() == pytest.approx(C.RATIO_RANGE[0])  # 1e-31 drawn at the edge
    assert (data["drawn"] != "inside").sum() == 1
    assert "1 circuit outside" in str(spec["title"]["subtitle"])
    band = next(u for u in units(spec) if mark(u) == "rect")
    assert (field(band, "y"), field(band, "y2")) == (pytest.approx(0.8), 1.25)
    assert spec["facet"]["field"] == "n_qubits" and spec["columns"] == 4  # wraps at 4 widths


def test_dla_scatter_and_expressibility_chart():
    c = _circuits()
    spec = chart_spec(C.dla_scatter(c, x=PRIMARY_X))
    u = units(spec)[0]
    assert (field(u, "x"), field(u, "y")) == (PRIMARY_X, "dla_dim")
    assert u["encoding"]["y"]["scale"]["type"] == "log"  # the registry marks dla_dim log
    spec = chart_spec(C.expressibility_chart(c))
    assert len(spec["hconcat"]) == 2
    kl = spec["hconcat"][1]
    assert "2 intervals reaching 0 cut at the axis bottom" in str(kl["title"]["subtitle"])
    ys = {field(u, "y") for u in units(spec)}
    assert ys == {"value", "low"}


def test_stratified_heatmap(study):
    s = A.stratified_correlation(study[study["pqc_id"].notna()], x=PRIMARY_X,
                                 y="grad_var_train", by=["training_config", "task"])
    spec = chart_spec(C.stratified_heatmap(s))
    rect = next(u for u in units(spec) if mark(u) == "rect")
    assert field(rect, "color") == "estimate"
    assert rect["encoding"]["color"]["scale"]["domain"] == [-1, 1]
    assert spec["facet"]["row"]["field"] == "task"


def test_regime_plot_draws_breakpoint_layers_only_when_there_are_breakpoints():
    pts = pd.DataFrame({"training_config": "pure_pqc", PRIMARY_X: [0.1, 0.2, 0.3],
                        "grad_var": [-3.0, -2.5, -2.4]})
    fits = pd.DataFrame({"training_config": "pure_pqc", "x": [0.1, 0.3],
                         "y_hat": [-3.0, -2.4]})
    empty = pd.DataFrame(columns=["training_config", "estimate", "ci_low", "ci_high"])
    spec = chart_spec(C.regime_plot(pts, fits, empty, y="grad_var", x_log=True, y_log=True))
    used = {field(u, ch) for u in units(spec) for ch in ("x", "x2")}
    assert not used & {"estimate", "ci_low", "ci_high"}
    bp = pd.DataFrame({"training_config": ["pure_pqc"], "estimate": [0.2], "ci_low": [0.15],
                       "ci_high": [0.25]})
    spec = chart_spec(C.regime_plot(pts, fits, bp, y="grad_var"))
    used = {field(u, ch) for u in units(spec) for ch in ("x", "x2")}
    assert {"estimate", "ci_low", "ci_high"} <= used

