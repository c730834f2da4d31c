"""Chart builders: pure functions ``tidy DataFrame -> alt.Chart``.

Every chart states the direction convention on its axes (expressibility KL: lower = more
expressive; trainability: higher = more trainable) and colours a training configuration the same
way everywhere (`CONFIG_COLORS`).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from etr.contract import TRAINABILITY_DEFINITIONS, TRAINING_CONFIGS

__all__ = [
    "AXIS_TITLES",
    "CONFIG_COLORS",
    "CONFIG_LABELS",
    "DEFINITION_LABELS",
    "correlation_forest",
    "performance_scatter",
    "regime_plot",
    "slope_forest",
    "stratified_heatmap",
    "tradeoff_scatter",
]

#: one colour per training configuration (Okabe-Ito, colour-blind safe), used by every chart.
CONFIG_COLORS: dict[str, str] = {
    "pure_pqc": "#0072B2",
    "hybrid_quantum_only": "#E69F00",
    "hybrid_full": "#009E73",
}
CONFIG_LABELS: dict[str, str] = {
    "pure_pqc": "pure PQC",
    "hybrid_quantum_only": "hybrid, quantum-only training",
    "hybrid_full": "hybrid, end-to-end training",
}
DEFINITION_LABELS: dict[str, str] = {
    "grad_var": "gradient variance (init)",
    "grad_var_train": "gradient variance (training)",
    "grad_norm": "RMS gradient",
    "loss_decrease": "relative loss decrease",
    "effective_dimension": "effective dimension",
}
#: axis titles with units and the direction convention.
AXIS_TITLES: dict[str, str] = {
    "expressibility_kl": "Expressibility KL (nats), lower = more expressive",
    "log10_expressibility_kl": "log10 expressibility KL, lower = more expressive",
    "grad_var": "Var[dL/dθ] at init; higher = more trainable",
    "grad_var_train": "Var[dL/dθ] during training; higher = more trainable",
    "grad_norm": "RMS dL/dθ; higher = more trainable",
    "loss_decrease": "(L0 - LT) / L0; higher = more trainable",
    "effective_dimension": "Normalised effective dimension; higher = more trainable",
    "test_accuracy": "Test accuracy (fraction); higher = better",
    "final_loss": "Final training loss; lower = better",
    "n_qubits": "Qubits",
    "layers": "Layers",
}

_FACET_WIDTH = 290
_FACET_HEIGHT = 210
_LABEL_COL = "configuration"


def _config_order(values: Sequence[str]) -> list[str]:
    present = set(values)
    known = [c for c in TRAINING_CONFIGS if c in present]
    return known + sorted(present - set(known))


def _with_config_label(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Copy with a display-label column; return (frame, label order, colours in that order)."""
    out = df.copy()
    configs = _config_order(out["training_config"].astype(str).unique())
    out[_LABEL_COL] = out["training_config"].astype(str).map(lambda c: CONFIG_LABELS.get(c, c))
    labels = [CONFIG_LABELS.get(c, c) for c in configs]
    colors = [CONFIG_COLORS.get(c, "#777777") for c in configs]
    return out, labels, colors


def _config_color(labels: list[str], colors: list[str], *, legend: bool = True) -> alt.Color:
    return alt.Color(f"{_LABEL_COL}:N", title="Training configuration",
                     scale=alt.Scale(domain=labels, range=colors),
                     legend=alt.Legend(orient="bottom", direction="horizontal", labelLimit=260)
                     if legend else None)


def _scale(values: pd.Series) -> alt.Scale:
    """Log scale when the values are positive and span more than two decades."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    v = v[np.isfinite(v)]
    if len(v) and (v > 0).all() and v.max() / v.min() > 100:
        return alt.Scale(type="log", nice=False)
    return alt.Scale(zero=False, nice=True)


def _axis(scale: alt.Scale, values: pd.Series | None = None) -> alt.Axis:
    """Axis; on a log scale, ticks and grid lines at 1, 2 and 5 per decade of `values`."""
    if getattr(scale, "type", None) == "log":
        ticks = alt.Undefined
        if values is not None:
            v = pd.to_numeric(values, errors="coerce")
            v = v[np.isfinite(v) & (v > 0)]
            if len(v):
                lo, hi = int(np.floor(np.log10(v.min()))), int(np.ceil(np.log10(v.max())))
                ticks = [m * 10.0**k for k in range(lo, hi + 1) for m in (1, 2, 5)
                         if v.min() <= m * 10.0**k <= v.max()] or alt.Undefined
        return alt.Axis(labelOverlap=True, values=ticks, format="~g", gridOpacity=0.5)
    return alt.Axis(labelOverlap=True)


def _chart_title(text: str, subtitle: str = "") -> alt.Title:
    return alt.Title(text, subtitle=subtitle or alt.Undefined, anchor="start", offset=12,
                     fontSize=14)


def _title(col: str, scale: alt.Scale) -> str:
    base = AXIS_TITLES.get(col, col)
    return f"{base} (log scale)" if getattr(scale, "type", None) == "log" else base


def _tooltip(df: pd.DataFrame, extra: Sequence[str]) -> list[alt.Tooltip]:
    cols = ["architecture_id", "circuit", "n_qubits", "layers", "topology", "seed",
            "training_config", *extra]
    out = []
    for c in dict.fromkeys(cols):
        if c in df.columns:
            kind = "Q" if pd.api.types.is_float_dtype(df[c]) else "N"
            out.append(alt.Tooltip(f"{c}:{kind}", format=".3g" if kind == "Q" else ""))
    return out


def _points_frame(data: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    keep = [c for c in dict.fromkeys(["architecture_id", "circuit", "n_qubits", "layers",
                                      "topology", "seed", "training_config", *cols])
            if c in data.columns]
    df = data[keep].copy()
    for c in keep:
        if pd.api.types.is_string_dtype(df[c]) or isinstance(df[c].dtype, pd.StringDtype):
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


def tradeoff_scatter(data: pd.DataFrame, *, y: str, x: str = "expressibility_kl",
                     color: str = "n_qubits") -> alt.FacetChart:
    """Expressibility vs one trainability definition, one panel per training configuration.

    Parameters
    ----------
    data : one row per run (contract columns; ``status == "ok"`` rows).
    y : trainability column.
    x : expressibility column.
    color : ``"n_qubits"`` or ``"layers"`` (ordinal colour).
    """
    df = _points_frame(data, [x, y, color])
    df = df[np.isfinite(pd.to_numeric(df[x], errors="coerce"))
            & np.isfinite(pd.to_numeric(df[y], errors="coerce"))]
    df, labels, _ = _with_config_label(df)
    xs, ys = _scale(df[x]), _scale(df[y])
    base = alt.Chart(df).mark_circle(size=34, opacity=0.7).encode(
        x=alt.X(f"{x}:Q", scale=xs, title=_title(x, xs), axis=_axis(xs, df[x])),
        y=alt.Y(f"{y}:Q", scale=ys, title=_title(y, ys), axis=_axis(ys, df[y])),
        color=alt.Color(f"{color}:O", title=AXIS_TITLES.get(color, color),
                        scale=alt.Scale(scheme="viridis")),
        tooltip=_tooltip(df, [x, y]),
    ).properties(width=_FACET_WIDTH, height=_FACET_HEIGHT)
    return base.facet(
        column=alt.Column(f"{_LABEL_COL}:N", sort=labels, title=None,
                          header=alt.Header(labelFontSize=13, labelFontWeight="bold")),
        spacing=24,
    ).properties(title=_chart_title(f"Expressibility vs {DEFINITION_LABELS.get(y, y)}"))


def _interval_forest(df: pd.DataFrame, *, x_title: str, title: str, domain: tuple | None,
                     independent: bool, subtitle: str = "") -> alt.FacetChart:
    df = df.copy()
    df["definition_label"] = df["definition"].astype(str).map(
        lambda d: DEFINITION_LABELS.get(d, d))
    order = [DEFINITION_LABELS.get(d, d) for d in TRAINABILITY_DEFINITIONS
             if d in set(df["definition"])]
    order += sorted(set(df["definition_label"]) - set(order))
    df, labels, colors = _with_config_label(df)
    keep = [c for c in ("definition_label", _LABEL_COL, "training_config", "definition",
                        "estimate", "ci_low", "ci_high", "p_adj", "p_value", "n", "verdict",
                        "transform") if c in df.columns]
    df = df[keep]
    scale = alt.Scale(domain=list(domain)) if domain else alt.Scale(zero=True, nice=True)
    x_title = None if independent else x_title
    xenc = alt.X("estimate:Q", title=x_title, scale=scale)
    y = alt.Y(f"{_LABEL_COL}:N", sort=labels, title=None,
              axis=alt.Axis(labels=False, ticks=False))
    color = _config_color(labels, colors)
    numeric = ("estimate", "ci_low", "ci_high", "p_adj", "p_value")
    tips = [alt.Tooltip(f"{c}:{'Q' if c in numeric else 'N'}",
                        format=".3g" if c in numeric else "")
            for c in ("training_config", "definition", "estimate", "ci_low", "ci_high", "p_adj",
                      "verdict") if c in df.columns]
    rule = alt.Chart().mark_rule(strokeWidth=2.5).encode(
        x=alt.X("ci_low:Q", scale=scale, title=x_title), x2="ci_high:Q", y=y, color=color,
        tooltip=tips)
    point = alt.Chart().mark_point(filled=True, size=70).encode(
        x=xenc, y=y, color=color, tooltip=tips)
    zero = alt.Chart().mark_rule(color="#555", strokeDash=[4, 3]).encode(x=alt.datum(0))
    layered = alt.layer(zero, rule, point, data=df).properties(width=520, height=54)
    chart = layered.facet(
        row=alt.Row("definition_label:N", sort=order, title=None,
                    header=alt.Header(labelAngle=0, labelAlign="left", labelFontSize=12,
                                      labelLimit=220)),
        spacing=6,
    ).properties(title=_chart_title(title, subtitle))
    if independent:
        chart = chart.resolve_scale(x="independent")
    return chart


def correlation_forest(summary: pd.DataFrame, *, method: str = "Spearman ρ") -> alt.FacetChart:
    """Forest plot: rank correlation of expressibility KL with each trainability definition.

    Parameters
    ----------
    summary : rows of ``training_config, definition, estimate, ci_low, ci_high`` (e.g. from
        `etr.analysis.tradeoff_summary`).
    method : correlation name for the axis title.
    """
    return _interval_forest(
        summary, domain=(-1, 1), independent=False,
        x_title=f"{method}(KL, trainability) with CI",
        title="Trade-off correlation per configuration and definition",
        subtitle="> 0: more expressive (lower KL) → less trainable")


def slope_forest(slopes: pd.DataFrame) -> alt.FacetChart:
    """Per-configuration mixed-model slopes of trainability on expressibility KL, with CIs.

    Parameters
    ----------
    slopes : rows of ``training_config, definition, estimate, ci_low, ci_high`` (the
        ``slopes`` table of `etr.analysis.mixed_effects`, one fit per definition).
    """
    return _interval_forest(
        slopes, domain=None, independent=True,
        x_title="",
        title="Mixed-model slope of trainability on expressibility KL, with CI",
        subtitle="per decade of KL; log10 trainability for gradient definitions; > 0: more "
                 "expressive → less trainable")


def regime_plot(points: pd.DataFrame, fits: pd.DataFrame, breakpoints: pd.DataFrame, *,
                y: str, x: str = "expressibility_kl", y_label: str | None = None) -> alt.FacetChart:
    """Segmented fits per configuration: points, fitted segments, breakpoints with CI bands.

    Parameters
    ----------
    points : runs with ``training_config``, `x` and the (transformed) response `y`.
    fits : ``training_config, x, y_hat`` on a grid.
    breakpoints : ``training_config, estimate, ci_low, ci_high`` (possibly empty).
    y : response column in `points`.
    y_label : axis title (defaults to the contract title of `y`).
    """
    p = _points_frame(points, [x, y]).rename(columns={x: "x", y: "y"})
    p["layer"] = "point"
    f = fits.rename(columns={"y_hat": "y"})[["training_config", "x", "y"]].copy()
    f["layer"] = "fit"
    b = breakpoints[["training_config", "estimate", "ci_low", "ci_high"]].copy()
    b["layer"] = "breakpoint"
    df = pd.concat([p, f, b], ignore_index=True)
    df, labels, colors = _with_config_label(df)
    color = _config_color(labels, colors, legend=False)
    xt = AXIS_TITLES.get(x, x)
    yt = y_label or AXIS_TITLES.get(y, y)
    pts = alt.Chart().transform_filter(alt.datum.layer == "point").mark_circle(
        size=22, color="#9aa4ae", opacity=0.55).encode(
        x=alt.X("x:Q", title=xt, scale=alt.Scale(zero=False)),
        y=alt.Y("y:Q", title=yt, scale=alt.Scale(zero=False)),
        tooltip=_tooltip(p, ["x", "y"]))
    band = alt.Chart().transform_filter(alt.datum.layer == "breakpoint").mark_rect(
        opacity=0.18).encode(x="ci_low:Q", x2="ci_high:Q", color=color)
    brk = alt.Chart().transform_filter(alt.datum.layer == "breakpoint").mark_rule(
        strokeDash=[5, 3], strokeWidth=1.5).encode(
        x="estimate:Q", color=color,
        tooltip=[alt.Tooltip("estimate:Q", title="breakpoint", format=".3g"),
                 alt.Tooltip("ci_low:Q", format=".3g"), alt.Tooltip("ci_high:Q", format=".3g")])
    line = alt.Chart().transform_filter(alt.datum.layer == "fit").mark_line(
        strokeWidth=2.5).encode(x="x:Q", y="y:Q", color=color)
    return alt.layer(band, pts, brk, line, data=df).properties(
        width=_FACET_WIDTH, height=_FACET_HEIGHT).facet(
        column=alt.Column(f"{_LABEL_COL}:N", sort=labels, title=None,
                          header=alt.Header(labelFontSize=13, labelFontWeight="bold")),
        spacing=24,
    ).properties(title=_chart_title(f"Regimes: segmented fit of {DEFINITION_LABELS.get(y, y)}",
                                    "lines: fitted segments; dashed: breakpoint, band: its CI"))


def stratified_heatmap(strata: pd.DataFrame, *, title: str = "") -> alt.FacetChart:
    """Heat map of the within-cell rank correlation over qubits x layers, per configuration.

    Parameters
    ----------
    strata : ``training_config, n_qubits, layers, estimate, n_clusters, p_adj`` (e.g. from
        `etr.analysis.stratified_correlation`).
    """
    df, labels, _ = _with_config_label(strata)
    keep = [c for c in (_LABEL_COL, "training_config", "n_qubits", "layers", "estimate", "n",
                        "n_clusters", "p_adj") if c in df.columns]
    df = df[keep].copy()
    df["label"] = df["estimate"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    tips = [alt.Tooltip(f"{c}:{'Q' if c in ('estimate', 'p_adj') else 'N'}",
                        format=".3g" if c in ("estimate", "p_adj") else "")
            for c in ("training_config", "n_qubits", "layers", "estimate", "n_clusters", "p_adj")
            if c in df.columns]
    base = alt.Chart().encode(
        x=alt.X("layers:O", title=AXIS_TITLES["layers"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("n_qubits:O", title=AXIS_TITLES["n_qubits"], sort="descending"))
    rect = base.mark_rect().encode(
        color=alt.Color("estimate:Q", title="Spearman ρ",
                        scale=alt.Scale(scheme="blueorange", domain=[-1, 1], domainMid=0)),
        tooltip=tips)
    text = base.mark_text(fontSize=11).encode(
        text="label:N",
        color=alt.condition("abs(datum.estimate) > 0.6", alt.value("white"), alt.value("black")))
    return alt.layer(rect, text, data=df).properties(width=220, height=180).facet(
        column=alt.Column(f"{_LABEL_COL}:N", sort=labels, title=None,
                          header=alt.Header(labelFontSize=13, labelFontWeight="bold")),
        spacing=24,
    ).properties(title=_chart_title(title or "Rank correlation within qubits x layers cells",
                                    "> 0: more expressive → less trainable; blank: too few "
                                    "architectures"))


def performance_scatter(data: pd.DataFrame, *, x: str = "grad_var",
                        y: str = "test_accuracy") -> alt.FacetChart:
    """Task performance vs trainability, one panel per configuration, coloured by configuration."""
    df = _points_frame(data, [x, y, "expressibility_kl"])
    df = df[np.isfinite(pd.to_numeric(df[x], errors="coerce"))
            & np.isfinite(pd.to_numeric(df[y], errors="coerce"))]
    df, labels, colors = _with_config_label(df)
    xs, ys = _scale(df[x]), _scale(df[y])
    return alt.Chart(df).mark_circle(size=30, opacity=0.65).encode(
        x=alt.X(f"{x}:Q", scale=xs, title=_title(x, xs), axis=_axis(xs, df[x])),
        y=alt.Y(f"{y}:Q", scale=ys, title=_title(y, ys), axis=_axis(ys, df[y])),
        color=_config_color(labels, colors),
        tooltip=_tooltip(df, [x, y, "expressibility_kl"]),
    ).properties(width=_FACET_WIDTH, height=_FACET_HEIGHT).facet(
        column=alt.Column(f"{_LABEL_COL}:N", sort=labels, title=None,
                          header=alt.Header(labelFontSize=13, labelFontWeight="bold")),
        spacing=24,
    ).properties(title=_chart_title(f"Task performance vs {DEFINITION_LABELS.get(x, x)}"))
