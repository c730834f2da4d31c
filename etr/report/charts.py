"""Chart builders: pure functions ``tidy DataFrame -> alt.Chart``.

Labels, axis titles, directions and log scales come from the registries (`etr.contract.METRICS`
for every measure, `etr.contract.CONFIGS` for the training configurations); this module keeps only
colours. Every chart states the direction convention on its axes through the registry's axis
titles (e.g. "Frame-potential ratio ..., lower = more expressive").

Log axes
--------
`log_scale` and `log_axis` are the one way etr draws a log axis (the NAS report uses them too).
A log axis cannot show zero or negative values: the builders drop them before plotting and say
on the chart how many were left out (`log_note`), and an interval that reaches zero or below is
cut at the bottom of the axis, which the chart says as well.

Empty layers
------------
Vega logs "Infinite extent for field ..." when a layer that feeds a shared scale has no finite
value. Builders therefore add a layer only when it holds data (e.g. the breakpoint bands of
`regime_plot` are absent when no breakpoint was selected).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from etr.contract import CONFIGS, METRICS, PRIMARY_X

__all__ = [
    "CONFIG_COLORS",
    "VERDICT_COLORS",
    "axis_title",
    "claims_forest",
    "config_label",
    "control_gap_forest",
    "dla_scatter",
    "expressibility_chart",
    "log_axis",
    "log_note",
    "log_scale",
    "loss_variance_chart",
    "metric_label",
    "metric_scale",
    "performance_scatter",
    "regime_plot",
    "scale_axis",
    "slope_forest",
    "stratified_heatmap",
    "tradeoff_scatter",
    "wrap_title",
]

#: one colour per training configuration (Okabe-Ito, colour-blind safe), used by every chart.
CONFIG_COLORS: dict[str, str] = {
    "pure_pqc": "#0072B2",
    "hybrid_quantum_only": "#E69F00",
    "hybrid_full": "#009E73",
    "classical_only": "#777777",
}
#: colours of the claim verdicts (tables and charts).
VERDICT_COLORS: dict[str, str] = {
    "supported": "#1a7f37",
    "contradicted": "#b42318",
    "inconclusive": "#8c959f",
}

#: panel sizes (px): facets of scatter plots, interval forests (width, height per row), single
#: panels (theory, expressibility) and small facets (loss variance, cell heat maps).
_FACET_WIDTH, _FACET_HEIGHT = 290, 210
_FOREST_WIDTH, _FOREST_ROW = 560, 28
_PANEL_WIDTH, _PANEL_HEIGHT = 330, 225
_SMALL_WIDTH, _SMALL_HEIGHT = 240, 170
_LABEL_COL = "configuration"
_CONDITIONAL = "given width and depth"
_MARGINAL = "marginal"
#: 1-2-5 ticks per decade while the data span at most this many decades; decades only beyond.
_DENSE_TICK_DECADES = 3
#: ratios of measured to predicted loss variance drawn inside this range (others at its edge).
RATIO_RANGE: tuple[float, float] = (1e-2, 1e2)


# --- labels from the registries -------------------------------------------------------------


def config_label(name: object) -> str:
    """Display label of a training configuration (`etr.contract.CONFIGS`); unknown: the name."""
    c = CONFIGS.get(str(name))
    return c.label if c is not None else str(name)


def metric_label(name: object) -> str:
    """Short label of a registered measure (`etr.contract.METRICS`); unknown: the name."""
    m = METRICS.get(str(name))
    return m.label if m is not None else str(name)


def axis_title(name: str, *, log: bool = False) -> str:
    """Axis title with units and direction from the registry, marked when the axis is log."""
    m = METRICS.get(name)
    base = m.axis_title if m is not None else {"n_qubits": "Qubits", "layers": "Layers"}.get(
        name, name)
    return f"{base} (log scale)" if log else base


# --- log axes (public: the NAS report uses them) --------------------------------------------


def _positive(values: object) -> np.ndarray:
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    return v[np.isfinite(v) & (v > 0)]


def log_scale(values: object = None, *, domain: tuple[float, float] | None = None) -> alt.Scale:
    """A log scale without "nice" rounding (which would add empty decades at both ends).

    Parameters
    ----------
    values : array-like, optional
        The positive values shown; when given, the domain is their range padded by 5% of a
        decade on each side, so that points do not sit on the frame.
    domain : (low, high), optional
        A fixed domain instead (both > 0).

    Examples
    --------
    >>> log_scale([1e-3, 1e-1]).to_dict()["type"]
    'log'
    """
    if domain is not None:
        return alt.Scale(type="log", nice=False, domain=list(domain))
    v = _positive(values) if values is not None else np.array([])
    if len(v):
        lo, hi = np.log10(v.min()), np.log10(v.max())
        pad = 0.05 * max(hi - lo, 1.0)
        return alt.Scale(type="log", nice=False, domain=[10.0 ** (lo - pad), 10.0 ** (hi + pad)])
    return alt.Scale(type="log", nice=False)


def log_axis(values: object = None, *, title: str | Sequence[str] | None = None) -> alt.Axis:
    """Axis of a log scale: labelled ticks at 1, 2 and 5 per decade of `values` (decades only
    when they span more than three), compact labels and faint grid lines.

    Examples
    --------
    >>> log_axis([1e-3, 0.5]).to_dict()["values"][:4]
    [0.001, 0.002, 0.005, 0.01]
    """
    ticks: object = alt.Undefined
    v = _positive(values) if values is not None else np.array([])
    if len(v):
        lo, hi = int(np.floor(np.log10(v.min()))), int(np.ceil(np.log10(v.max())))
        mults = (1, 2, 5) if hi - lo <= _DENSE_TICK_DECADES else (1,)
        picked = [float(f"{m * 10.0**k:.12g}") for k in range(lo, hi + 1) for m in mults
                  if v.min() / 1.2 <= m * 10.0**k <= v.max() * 1.2]
        ticks = picked if len(picked) >= 2 else alt.Undefined
    kw = {} if title is None else {"title": title}
    return alt.Axis(labelOverlap=True, values=ticks, format="~g", gridOpacity=0.5, **kw)


def log_note(values: object, lows: object = None, *, what: str = "values") -> str:
    """What a log axis leaves out, in words ("" when nothing): non-positive `values` dropped,
    and intervals (`lows`) reaching zero or below, cut at the bottom of the axis.

    Examples
    --------
    >>> log_note([0.0, 1.0, 2.0], [-0.1, -0.5, 1.0])
    '1 value ≤ 0 not shown on the log axis; 1 interval reaching 0 cut at the axis bottom'
    """
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    n_bad = int((np.isfinite(v) & (v <= 0)).sum())
    parts = []
    if n_bad:
        parts.append(f"{n_bad} {what if n_bad > 1 else what.rstrip('s')} ≤ 0 not shown on the "
                     "log axis")
    if lows is not None:
        lo = pd.to_numeric(pd.Series(lows), errors="coerce").to_numpy(dtype=float)
        n_cut = int((np.isfinite(lo) & (lo <= 0) & np.isfinite(v) & (v > 0)).sum())
        if n_cut:
            parts.append(f"{n_cut} interval{'s' if n_cut > 1 else ''} reaching 0 cut at the "
                         "axis bottom")
    return "; ".join(parts)


def metric_scale(name: str, values: object = None) -> alt.Scale:
    """Log scale when the registry marks `name` log-scaled and some values are positive, else a
    linear scale that need not include zero."""
    m = METRICS.get(name)
    if m is not None and m.log_scale and len(_positive(values if values is not None else [1])):
        return log_scale(values)
    return alt.Scale(zero=False, nice=True)


def wrap_title(text: str, width: int = 46) -> str | list[str]:
    """A long axis title as lines of at most about `width` characters (split after commas and
    semicolons first, then at spaces), so that it fits under one facet panel.

    Examples
    --------
    >>> wrap_title("Var[dL/dθ] at init; higher = more trainable (log scale)", 30)
    ['Var[dL/dθ] at init;', 'higher = more trainable (log', 'scale)']
    """
    if len(text) <= width:
        return text
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
        if line.endswith((";", ",")) and len(line) > width // 2:
            lines.append(line)
            line = ""
    if line:
        lines.append(line)
    return lines


def _is_log(scale: alt.Scale) -> bool:
    return scale.to_dict().get("type") == "log"


def scale_axis(scale: alt.Scale, values: object, title: str | None = None) -> alt.Axis:
    """The axis that goes with `scale`: 1-2-5 log ticks over `values` (`log_axis`) on a log
    scale, else a plain axis; `title` wrapped to fit one facet panel (None: the field's title).

    Examples
    --------
    >>> scale_axis(log_scale([1e-3, 0.5]), [1e-3, 0.5]).to_dict()["values"][:2]
    [0.001, 0.002]
    """
    wrapped = None if title is None else wrap_title(title)
    if _is_log(scale):
        return log_axis(values, title=wrapped)
    return alt.Axis(labelOverlap=True, **({} if wrapped is None else {"title": wrapped}))


def _chart_title(text: str, subtitle: str | Sequence[str] = "") -> alt.Title:
    if isinstance(subtitle, str):
        subtitle = [subtitle] if subtitle else []
    lines = [s for s in subtitle if s]
    return alt.Title(text, subtitle=lines or alt.Undefined, anchor="start", offset=12,
                     fontSize=14, subtitleColor="#57606a")


# --- shared pieces --------------------------------------------------------------------------


def _config_order(values: Sequence[str]) -> list[str]:
    present = set(values)
    known = [c for c in CONFIGS if c in present]
    return known + sorted(present - set(known))


def _with_config_label(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Copy with a display-label column; return (frame, label order, colours in that order)."""
    out = df.copy()
    configs = _config_order(out["training_config"].astype(str).unique())
    out[_LABEL_COL] = out["training_config"].astype(str).map(config_label)
    labels = [config_label(c) for c in configs]
    colors = [CONFIG_COLORS.get(c, "#777777") for c in configs]
    return out, labels, colors


def _config_color(labels: list[str], colors: list[str], *, legend: bool = True) -> alt.Color:
    return alt.Color(f"{_LABEL_COL}:N", title="Training configuration",
                     scale=alt.Scale(domain=labels, range=colors),
                     legend=alt.Legend(orient="bottom", direction="horizontal", labelLimit=260)
                     if legend else None)


def _column(labels: list[str]) -> alt.Column:
    return alt.Column(f"{_LABEL_COL}:N", sort=labels, title=None,
                      header=alt.Header(labelFontSize=13, labelFontWeight="bold"))


def _tooltip(df: pd.DataFrame, extra: Sequence[str]) -> list[alt.Tooltip]:
    cols = ["architecture_id", "circuit", "n_qubits", "layers", "topology", "seed", "task",
            "training_config", *extra]
    out = []
    for c in dict.fromkeys(cols):
        if c in df.columns:
            kind = "Q" if pd.api.types.is_float_dtype(df[c]) else "N"
            out.append(alt.Tooltip(f"{c}:{kind}", format=".3g" if kind == "Q" else ""))
    return out


def _points_frame(data: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    keep = [c for c in dict.fromkeys(["architecture_id", "circuit", "n_qubits", "layers",
                                      "topology", "seed", "task", "training_config", *cols])
            if c in data.columns]
    df = data[keep].copy()
    for c in keep:
        if pd.api.types.is_string_dtype(df[c]) or isinstance(df[c].dtype, pd.StringDtype):
            df[c] = df[c].astype(object).where(df[c].notna(), None)
        elif pd.api.types.is_extension_array_dtype(df[c]):
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


def _finite(df: pd.DataFrame, cols: Sequence[str], log_cols: Sequence[str] = ()) -> pd.DataFrame:
    keep = np.ones(len(df), dtype=bool)
    for c in cols:
        v = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
        keep &= np.isfinite(v)
        if c in log_cols:
            keep &= v > 0
    return df[keep]


def _finite_xy(df: pd.DataFrame, x: str, y: str, *,
               what: str) -> tuple[pd.DataFrame, alt.Scale, alt.Scale, str]:
    """Rows of `df` a scatter of `y` against `x` can draw, with the registry's scales.

    A log-scaled column (`metric_scale`) loses its non-positive rows as well as the non-finite
    ones; the note says how many `what` (runs, circuits) that left out, and the scales are
    recomputed on the rows kept so that the ticks fit them.
    """
    xs, ys = metric_scale(x, df[x]), metric_scale(y, df[y])
    logs = [c for c, s in ((x, xs), (y, ys)) if _is_log(s)]
    notes = [n for n in (log_note(df[c], what=what) for c in logs) if n]
    df, thinned = _thin(_finite(df, (x, y), logs), what=what)
    note = "; ".join([*notes, thinned] if thinned else notes)
    return df, metric_scale(x, df[x]), metric_scale(y, df[y]), note


#: the most points a scatter draws per panel (task x configuration): a study of 10^5 runs would
#: otherwise embed every run in every chart (tens of MB of page) and draw an unreadable blot
MAX_POINTS_PER_PANEL = 600


def _thin(df: pd.DataFrame, *, what: str) -> tuple[pd.DataFrame, str]:
    """At most `MAX_POINTS_PER_PANEL` rows per (task, training configuration), a seeded random
    sample (the same rows every time), with a note saying so ("" when nothing was left out)."""
    panels = [c for c in ("task", "training_config") if c in df.columns]
    sizes = df.groupby(panels, dropna=False, sort=False).size() if panels else pd.Series(
        [len(df)])
    if sizes.empty or sizes.max() <= MAX_POINTS_PER_PANEL:
        return df, ""
    rng = np.random.default_rng(0)
    order = pd.Series(rng.permutation(len(df)), index=df.index)
    rank = (order.groupby([df[c] for c in panels], dropna=False).rank(method="first")
            if panels else order.rank(method="first"))
    kept = df[rank.to_numpy() <= MAX_POINTS_PER_PANEL]
    return kept, (f"a random {MAX_POINTS_PER_PANEL:,} {what} per panel drawn where a panel "
                  f"has more ({len(kept):,} of {len(df):,} shown)")


def _xy_encodings(df: pd.DataFrame, x: str, y: str, xs: alt.Scale,
                  ys: alt.Scale) -> tuple[alt.X, alt.Y]:
    """Quantitative x and y encodings on scales `xs`, `ys`, with axes fitted to `df`."""
    return (alt.X(f"{x}:Q", scale=xs, axis=scale_axis(xs, df[x], axis_title(x, log=_is_log(xs)))),
            alt.Y(f"{y}:Q", scale=ys, axis=scale_axis(ys, df[y], axis_title(y, log=_is_log(ys)))))


def _task_row(tasks: list[str]) -> alt.Row:
    """Facet rows by task, labelled on the right (the left holds the y axis title)."""
    return alt.Row("task:N", title="task", sort=tasks,
                   header=alt.Header(labelFontSize=12, labelOrient="right",
                                     titleOrient="right"))


def _once_per_facet(fields: Sequence[str]) -> alt.Chart:
    """An empty chart that keeps one row per facet (for reference bands and rules)."""
    return alt.Chart().transform_aggregate(_n="count()", groupby=list(fields))


# --- the claims -----------------------------------------------------------------------------


def _long_association(summary: pd.DataFrame) -> pd.DataFrame:
    """Conditional and marginal rows of a trade-off summary, stacked (finite ones only)."""
    parts = []
    for measure, cols in ((_CONDITIONAL, ("estimate", "ci_low", "ci_high")),
                          (_MARGINAL, ("estimate_marginal", "marginal_ci_low",
                                       "marginal_ci_high"))):
        if not set(cols) <= set(summary.columns):
            continue
        part = summary[["training_config", "definition", *cols]].rename(
            columns=dict(zip(cols, ("estimate", "ci_low", "ci_high"), strict=True)))
        parts.append(part.assign(measure=measure))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["training_config", "definition", "estimate", "ci_low", "ci_high", "measure"])
    return _finite(out, ("estimate", "ci_low", "ci_high"))


def claims_forest(summary: pd.DataFrame, *, margin: float, weak_bound: float,
                  level: float | None = None) -> alt.FacetChart:
    """The association per configuration and definition against the claims' bounds.

    One row per trainability definition; in each, one line per configuration with the
    association given width and depth (filled, thick) and the marginal one beside it (open,
    thin), on the r scale oriented so that > 0 reads "more expressive -> less trainable". The
    dark band is +-`margin` (the equivalence margin of "eliminated"), the light band +-
    `weak_bound` ("at most weak").

    Parameters
    ----------
    summary : pandas.DataFrame
        Rows of `etr.analysis.tradeoff_summary`: ``training_config, definition, estimate,
        ci_low, ci_high, estimate_marginal, marginal_ci_low, marginal_ci_high``.
    margin, weak_bound : float
        Half-widths of the two bands.
    level : float, optional
        Confidence level of the intervals, for the subtitle.
    """
    df = _long_association(summary)
    df["definition_label"] = df["definition"].map(metric_label)
    order = [metric_label(d) for d in METRICS if d in set(df["definition"])]
    df, labels, colors = _with_config_label(df)
    scale = alt.Scale(domain=[-1, 1], nice=False)
    y = alt.Y(f"{_LABEL_COL}:N", sort=labels, title=None,
              axis=alt.Axis(labels=False, ticks=False, domain=False))
    y_off = alt.YOffset("measure:N", sort=[_CONDITIONAL, _MARGINAL],
                        scale=alt.Scale(paddingInner=0.3))
    color = _config_color(labels, colors)
    tips = [alt.Tooltip(f"{_LABEL_COL}:N", title="configuration"),
            alt.Tooltip("definition_label:N", title="definition"),
            alt.Tooltip("measure:N"), alt.Tooltip("estimate:Q", title="r", format=".3f"),
            alt.Tooltip("ci_low:Q", format=".3f"), alt.Tooltip("ci_high:Q", format=".3f")]
    facet_fields = ["definition_label"]
    weak = _once_per_facet(facet_fields).mark_rect(color="#eef2f6").encode(
        x=alt.datum(-weak_bound, scale=scale), x2=alt.datum(weak_bound))
    eq = _once_per_facet(facet_fields).mark_rect(color="#d5dde6").encode(
        x=alt.datum(-margin, scale=scale), x2=alt.datum(margin))
    zero = _once_per_facet(facet_fields).mark_rule(color="#555", strokeDash=[4, 3]).encode(
        x=alt.datum(0, scale=scale))
    x_title = "r (oriented: > 0 = more expressive → less trainable)"
    shape = alt.Shape("measure:N", title="Association", scale=alt.Scale(
        domain=[_CONDITIONAL, _MARGINAL], range=["circle", "diamond"]),
        legend=alt.Legend(orient="bottom", symbolStrokeColor="#444", symbolFillColor="white",
                          labelLimit=200))
    marks = []
    for measure, width, filled in ((_CONDITIONAL, 3.0, True), (_MARGINAL, 1.2, False)):
        if not (df["measure"] == measure).any():
            continue
        keep = alt.datum.measure == measure
        marks.append(alt.Chart().transform_filter(keep).mark_rule(strokeWidth=width).encode(
            x=alt.X("ci_low:Q", scale=scale, title=x_title), x2="ci_high:Q", y=y,
            yOffset=y_off, color=color, tooltip=tips))
        style = {"filled": True} if filled else {"filled": False, "fill": "white"}
        marks.append(alt.Chart().transform_filter(keep).mark_point(
            size=70, opacity=1, **style).encode(
            x=alt.X("estimate:Q", scale=scale, title=x_title), y=y, yOffset=y_off,
            color=color, shape=shape, tooltip=tips))
    layered = alt.layer(weak, eq, zero, *marks, data=df).properties(width=_FOREST_WIDTH,
                                                                        height=2.5 * _FOREST_ROW)
    sub = [f"dark band: ±{margin:g} (equivalence margin of 'eliminated'); light band: "
           f"±{weak_bound:g} ('at most weak'); filled: {_CONDITIONAL}, open: {_MARGINAL}"]
    if level is not None:
        sub.append(f"intervals at {100 * level:.4g}% (the level of the verdict table)")
    return layered.facet(
        row=alt.Row("definition_label:N", sort=order, title=None,
                    header=alt.Header(labelAngle=0, labelAlign="left", labelFontSize=12,
                                      labelLimit=230)),
        spacing=4,
    ).properties(title=_chart_title("Association of expressibility with trainability",
                                    sub)).resolve_scale(y="independent")


# --- scatter plots --------------------------------------------------------------------------


def tradeoff_scatter(data: pd.DataFrame, *, y: str, x: str = PRIMARY_X,
                     color: str = "layers") -> alt.FacetChart:
    """Expressibility against one trainability definition: a panel per configuration (and a row
    per task when the data hold several).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per run (contract columns).
    y : str
        Trainability column; when the registry names a censoring flag (``steps_to_target``),
        censored runs (never reached) are drawn as open triangles at their censoring value.
    x : str
        Expressibility column.
    color : str
        Ordinal colour column (``"layers"`` or ``"n_qubits"``).
    """
    censor = METRICS[y].censor if y in METRICS else None
    cols = [x, y, color] + ([censor] if censor and censor in data.columns else [])
    df = _points_frame(data, cols)
    df, xs, ys, note = _finite_xy(df, x, y, what="runs")
    state = "observed"
    if censor and censor in df.columns:
        flag = pd.Series(df[censor], dtype="boolean").fillna(False).to_numpy(dtype=bool)
        df["state"] = np.where(flag, "censored (never reached)", state)
    else:
        df["state"] = state
    df, labels, _ = _with_config_label(df)
    xenc, yenc = _xy_encodings(df, x, y, xs, ys)
    cenc = alt.Color(f"{color}:O", title=axis_title(color), scale=alt.Scale(scheme="viridis"),
                     legend=alt.Legend(orient="right"))
    layers = []
    for st, shape, filled in ((state, "circle", True),
                              ("censored (never reached)", "triangle-up", False)):
        if not (df["state"] == st).any():
            continue
        layers.append(alt.Chart().transform_filter(alt.datum.state == st).mark_point(
            size=36, opacity=0.75, filled=filled, shape=shape).encode(
            x=xenc, y=yenc, color=cenc, tooltip=_tooltip(df, [x, y, "state"])))
    tasks = sorted(df["task"].dropna().astype(str).unique()) if "task" in df.columns else []
    facet = {"column": _column(labels)}
    if len(tasks) > 1:
        facet["row"] = _task_row(tasks)
    m = METRICS.get(y)
    sub = [f"x: {METRICS[x].direction}; y: {m.direction if m else y}"]
    if censor and (df["state"] != state).any():
        sub.append("open triangles: censored runs (never reached the target), at the "
                   "censoring value")
    if note:
        sub.append(note)
    return alt.layer(*layers, data=df).properties(
        width=_FACET_WIDTH, height=_FACET_HEIGHT).facet(**facet, spacing=20).properties(
        title=_chart_title(f"Expressibility vs {metric_label(y)}", sub))


def performance_scatter(data: pd.DataFrame, *, x: str = "grad_var",
                        y: str = "test_accuracy") -> alt.FacetChart:
    """Task performance against trainability, a panel per configuration."""
    df = _points_frame(data, [x, y])
    df, xs, ys, note = _finite_xy(df, x, y, what="runs")
    df, labels, colors = _with_config_label(df)
    xenc, yenc = _xy_encodings(df, x, y, xs, ys)
    chart = alt.Chart().mark_circle(size=30, opacity=0.65).encode(
        x=xenc, y=yenc,
        color=_config_color(labels, colors),
        tooltip=_tooltip(df, [x, y]),
    ).properties(width=_FACET_WIDTH, height=_FACET_HEIGHT)
    return alt.layer(chart, data=df).facet(column=_column(labels), spacing=20).properties(
        title=_chart_title(f"Task performance vs {metric_label(x)}", note))


# --- interval forests -----------------------------------------------------------------------


def slope_forest(slopes: pd.DataFrame, *, x: str = PRIMARY_X,
                 y: str | None = None) -> alt.LayerChart:
    """Mixed-model slope of trainability on expressibility per configuration, with intervals.

    Parameters
    ----------
    slopes : pandas.DataFrame
        ``training_config, estimate, ci_low, ci_high`` (the ``slopes`` table of
        `etr.analysis.mixed_effects`).
    x, y : str
        The model's columns, for the title (their log10 where the registry marks them
        log-scaled).
    """
    df = _finite(slopes, ("estimate", "ci_low", "ci_high"))
    df, labels, colors = _with_config_label(df)
    df = df[[_LABEL_COL, "training_config", "estimate", "ci_low", "ci_high"]]
    yenc = alt.Y(f"{_LABEL_COL}:N", sort=labels, title=None)
    color = _config_color(labels, colors, legend=False)
    tips = [alt.Tooltip(f"{_LABEL_COL}:N"), alt.Tooltip("estimate:Q", format=".3g"),
            alt.Tooltip("ci_low:Q", format=".3g"), alt.Tooltip("ci_high:Q", format=".3g")]
    zero = alt.Chart(pd.DataFrame({"z": [0.0]})).mark_rule(
        color="#555", strokeDash=[4, 3]).encode(x="z:Q")
    rule = alt.Chart(df).mark_rule(strokeWidth=2.5).encode(
        x=alt.X("ci_low:Q", title="slope with interval"), x2="ci_high:Q", y=yenc, color=color,
        tooltip=tips)
    point = alt.Chart(df).mark_point(filled=True, size=70).encode(
        x="estimate:Q", y=yenc, color=color, tooltip=tips)

    def scale_word(c: str | None) -> str:
        if c is None:
            return "trainability"
        return f"log10 {metric_label(c)}" if METRICS.get(c) and METRICS[c].log_scale \
            else metric_label(c)

    sub = (f"{scale_word(y)} per unit of {scale_word(x)}, widths and depths as factors, a "
           "random intercept per circuit; > 0 reads as a trade-off only where both directions "
           "are 'higher = more'")
    return alt.layer(zero, rule, point).properties(
        width=_FOREST_WIDTH, height=_FOREST_ROW * max(len(labels), 1),
        title=_chart_title("Mixed-model slope per configuration", sub))


def control_gap_forest(gap: pd.DataFrame, *, value: str = "test_accuracy") -> alt.LayerChart:
    """Hybrid minus classical-only control, per task and configuration, with intervals.

    Parameters
    ----------
    gap : pandas.DataFrame
        Rows of `etr.analysis.control_gap`: ``task, training_config, estimate, ci_low,
        ci_high``.
    value : str
        The compared column (registry label in the axis title).
    """
    df = _finite(gap, ("estimate",))
    df, labels, colors = _with_config_label(df)
    df = df[["task", _LABEL_COL, "training_config", "estimate", "ci_low", "ci_high",
             *[c for c in ("p_adj", "n_clusters") if c in df.columns]]].copy()
    df["task"] = df["task"].astype(str)
    tasks = sorted(df["task"].unique())
    yenc = alt.Y("task:N", sort=tasks, title="task")
    y_off = alt.YOffset(f"{_LABEL_COL}:N", sort=labels)
    color = _config_color(labels, colors)
    tips = [alt.Tooltip("task:N"), alt.Tooltip(f"{_LABEL_COL}:N"),
            alt.Tooltip("estimate:Q", format="+.3f"), alt.Tooltip("ci_low:Q", format="+.3f"),
            alt.Tooltip("ci_high:Q", format="+.3f")]
    zero = alt.Chart(pd.DataFrame({"z": [0.0]})).mark_rule(
        color="#555", strokeDash=[4, 3]).encode(x="z:Q")
    layers = [zero]
    with_ci = _finite(df, ("ci_low", "ci_high"))
    if len(with_ci):
        layers.append(alt.Chart(with_ci).mark_rule(strokeWidth=2.5).encode(
            x=alt.X("ci_low:Q"), x2="ci_high:Q", y=yenc, yOffset=y_off, color=color,
            tooltip=tips))
    layers.append(alt.Chart(df).mark_point(filled=True, size=70).encode(
        x=alt.X("estimate:Q", title=f"hybrid − classical-only control, {metric_label(value)}"),
        y=yenc, yOffset=y_off, color=color, tooltip=tips))
    return alt.layer(*layers).properties(
        width=_FOREST_WIDTH, height=_FOREST_ROW * max(len(labels), 1) * max(len(tasks), 1),
        title=_chart_title("What the PQC adds",
                           "> 0: the hybrid beats the same classical parts without the PQC"))


# --- expressibility and theory --------------------------------------------------------------


def expressibility_chart(circuits: pd.DataFrame, *,
                         measures: Sequence[str] = (PRIMARY_X, "expressibility_kl")
                         ) -> alt.HConcatChart:
    """Each expressibility measure per circuit against depth, coloured by width, with its
    sampling interval: the x axis of the analysis (frame-potential ratio) beside the
    paper-comparable Sim et al. KL, whose plug-in bias falls with width.

    Parameters
    ----------
    circuits : pandas.DataFrame
        One row per circuit: ``n_qubits, layers`` and each measure with its registry interval
        columns where present.
    measures : sequence of str
        Registered expressibility columns to draw.
    """
    panels = []
    for col in measures:
        if col not in circuits.columns:
            continue
        m = METRICS[col]
        cols = ["n_qubits", "layers", "circuit", col]
        lo_hi = [c for c in (m.ci or ()) if c in circuits.columns]
        df = circuits[[c for c in dict.fromkeys([*cols, *lo_hi, "family", "pqc_id"])
                       if c in circuits.columns]].copy()
        scale = metric_scale(col, df[col])
        log = _is_log(scale)
        note = log_note(df[col], df[lo_hi[0]] if log and lo_hi else None,
                        what="circuits") if log else ""
        df = _finite(df, (col,), (col,) if log else ())
        scale = metric_scale(col, pd.concat([df[col], *(df[c] for c in lo_hi)]))
        df = df.rename(columns={col: "value"})
        ylab = axis_title(col, log=log)
        x = alt.X("layers:Q", title="Layers", scale=alt.Scale(zero=False, padding=12),
                  axis=alt.Axis(tickMinStep=1, format="d"))
        color = alt.Color("n_qubits:O", title="Qubits", scale=alt.Scale(scheme="viridis"))
        tips = [alt.Tooltip(c) for c in ("circuit", "n_qubits", "layers") if c in df.columns]
        tips.append(alt.Tooltip("value:Q", title=m.label, format=".4g"))
        layers = []
        if len(lo_hi) == 2:
            band = df.rename(columns={lo_hi[0]: "low", lo_hi[1]: "high"})
            if log:
                band = band.assign(low=band["low"].where(band["low"] > 0,
                                                         band["value"].min() / 2.0))
            band = _finite(band, ("low", "high"))
            if len(band):
                layers.append(alt.Chart(band).mark_rule(opacity=0.5).encode(
                    x=x, y=alt.Y("low:Q", scale=scale), y2="high:Q", color=color))
        layers.append(alt.Chart(df).mark_point(filled=True, size=40, opacity=0.8).encode(
            x=x, y=alt.Y("value:Q", scale=scale, axis=scale_axis(scale, df["value"], ylab)),
            color=color, tooltip=tips))
        panels.append(alt.layer(*layers).properties(
            width=_PANEL_WIDTH, height=_PANEL_HEIGHT,
            title=_chart_title(m.label, [m.direction, note])))
    return alt.hconcat(*panels, spacing=40).resolve_scale(color="shared")


def loss_variance_chart(circuits: pd.DataFrame, *, tolerance: float) -> alt.FacetChart:
    """Measured over predicted loss variance against depth, a panel per width.

    The prediction is the deep-circuit value of Ragone et al. (2024); a ratio near 1 at large
    depth is the convergence the theory predicts. Ratios outside `RATIO_RANGE` are drawn at its
    edge as triangles and counted in the subtitle.

    Parameters
    ----------
    circuits : pandas.DataFrame
        One row per circuit with ``n_qubits, layers, family, structure, loss_var,
        predicted_loss_var`` (rows without a prediction are left out).
    tolerance : float
        Relative tolerance drawn as a band around 1 (``1 +- tolerance``).
    """
    df = circuits.copy()
    ratio = (pd.to_numeric(df["loss_var"], errors="coerce")
             / pd.to_numeric(df["predicted_loss_var"], errors="coerce"))
    df = df.assign(ratio=ratio.to_numpy(dtype=float))
    df = df[np.isfinite(df["ratio"].to_numpy(dtype=float))]
    lo, hi = RATIO_RANGE
    raw = df["ratio"].to_numpy(dtype=float)
    outside = (raw < lo) | (raw > hi)
    df = df.assign(shown=np.clip(np.where(raw > 0, raw, lo), lo, hi),
                   drawn=np.where(outside, f"outside {lo:g}–{hi:g}, drawn at the edge",
                                  "inside"))
    keep = [c for c in ("pqc_id", "family", "structure", "circuit", "n_qubits", "layers",
                        "loss_var", "predicted_loss_var", "dla_dim", "ratio", "shown", "drawn")
            if c in df.columns]
    df = df[keep]
    yscale = log_scale(domain=RATIO_RANGE)
    tips = [alt.Tooltip(c, format=".3g" if c in ("loss_var", "predicted_loss_var", "ratio")
                        else "") for c in ("structure", "n_qubits", "layers", "dla_dim",
                                           "loss_var", "predicted_loss_var", "ratio")
            if c in df.columns]
    family = alt.Color("family:N", title="family", legend=alt.Legend(orient="bottom"))
    band = _once_per_facet(["n_qubits"]).mark_rect(color="#d5dde6", opacity=0.7).encode(
        y=alt.datum(1.0 / (1.0 + tolerance), scale=yscale), y2=alt.datum(1.0 + tolerance))
    one = _once_per_facet(["n_qubits"]).mark_rule(color="#555", strokeDash=[4, 3]).encode(
        y=alt.datum(1.0, scale=yscale))
    line = alt.Chart().mark_line(opacity=0.55, strokeWidth=1.2).encode(
        x=alt.X("layers:Q", title="Layers", scale=alt.Scale(zero=False, padding=8),
                axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("shown:Q", scale=yscale,
                axis=log_axis(RATIO_RANGE, title="measured / predicted Var⟨O⟩ (log scale)")),
        detail="structure:N", color=family)
    pts = alt.Chart().mark_point(size=45, filled=True).encode(
        x="layers:Q", y=alt.Y("shown:Q", scale=yscale),
        color=family,
        shape=alt.Shape("drawn:N", title=None, scale=alt.Scale(
            domain=["inside", f"outside {lo:g}–{hi:g}, drawn at the edge"],
            range=["circle", "triangle-down"]), legend=alt.Legend(orient="bottom",
                                                                   labelLimit=320)),
        tooltip=tips)
    n_out = int(outside.sum())
    sub = [f"band: measured within ±{100 * tolerance:g}% of the deep-circuit prediction "
           "(Ragone et al. 2024); a ratio converging to 1 with depth is what the theory "
           "predicts"]
    if n_out:
        sub.append(f"{n_out} circuit{'s' if n_out > 1 else ''} outside {lo:g}–{hi:g} drawn at "
                   "the edge (triangles)")
    return alt.layer(band, one, line, pts, data=df).properties(
        width=_SMALL_WIDTH + 20, height=_SMALL_HEIGHT + 30).facet(
        facet=alt.Facet("n_qubits:O", title="Qubits"), columns=4, spacing=16).properties(
        title=_chart_title("Measured loss variance against the DLA prediction", sub))


def dla_scatter(circuits: pd.DataFrame, *, x: str, y: str = "dla_dim",
                color: str = "n_qubits") -> alt.LayerChart:
    """One point per circuit: the DLA dimension against `x` (or any two registered columns)."""
    df = circuits.copy()
    df, xs, ys, note = _finite_xy(df, x, y, what="circuits")
    keep = [c for c in ("pqc_id", "structure", "circuit", "family", "n_qubits", "layers", x, y)
            if c in df.columns]
    df = df[list(dict.fromkeys(keep))]
    tips = [alt.Tooltip(c, format=".3g" if c in (x, y) else "")
            for c in ("structure", "n_qubits", "layers", x, y) if c in df.columns]
    xenc, yenc = _xy_encodings(df, x, y, xs, ys)
    chart = alt.Chart(df).mark_point(filled=True, size=45, opacity=0.8).encode(
        x=xenc, y=yenc,
        color=alt.Color(f"{color}:O", title=axis_title(color), scale=alt.Scale(
            scheme="viridis")),
        shape=alt.Shape("family:N", title="family") if "family" in df.columns
        else alt.Undefined,
        tooltip=tips)
    return alt.layer(chart).properties(
        width=_PANEL_WIDTH, height=_PANEL_HEIGHT,
        title=_chart_title(f"{metric_label(y)} vs {metric_label(x)}", note))


# --- regimes and cells ----------------------------------------------------------------------


def regime_plot(points: pd.DataFrame, fits: pd.DataFrame, breakpoints: pd.DataFrame, *,
                y: str, x: str = PRIMARY_X, x_log: bool = False, y_log: bool = False,
                note: str = "") -> alt.FacetChart:
    """Segmented fits per configuration: points, fitted segments, breakpoints with CI bands.

    Parameters
    ----------
    points : pandas.DataFrame
        Runs with ``training_config`` and the columns `x` and `y` on the model scale (their
        log10 where `x_log` / `y_log`).
    fits : pandas.DataFrame
        ``training_config, x, y_hat`` on a grid (model scale).
    breakpoints : pandas.DataFrame
        ``training_config, estimate, ci_low, ci_high`` on the model scale; may be empty, and
        then no breakpoint layer is drawn (an empty one makes Vega warn of an infinite extent).
    y, x : str
        Registered columns, for the titles.
    x_log, y_log : bool
        Whether `points` hold log10 values (stated in the axis titles).
    note : str
        What the log10 left out (e.g. from `log_note`), added to the subtitle.
    """
    p = _points_frame(points, [x, y]).rename(columns={x: "x", y: "y"})
    p, thinned = _thin(_finite(p, ("x", "y")).assign(layer="point"), what="runs")
    note = "; ".join(n for n in (note, thinned) if n)
    f = fits.rename(columns={"y_hat": "y"})[["training_config", "x", "y"]]
    f = _finite(f, ("x", "y")).assign(layer="fit")
    b = breakpoints.reindex(columns=["training_config", "estimate", "ci_low", "ci_high"])
    b = _finite(b, ("estimate",)).assign(layer="breakpoint")
    df = pd.concat([p, f, b], ignore_index=True)
    df, labels, colors = _with_config_label(df)
    color = _config_color(labels, colors, legend=False)
    xt = wrap_title(f"log10 {axis_title(x)}" if x_log else axis_title(x))
    yt = wrap_title(f"log10 {axis_title(y)}" if y_log else axis_title(y))
    layers = [alt.Chart().transform_filter(alt.datum.layer == "point").mark_circle(
        size=22, color="#9aa4ae", opacity=0.55).encode(
        x=alt.X("x:Q", title=xt, scale=alt.Scale(zero=False)),
        y=alt.Y("y:Q", title=yt, scale=alt.Scale(zero=False)),
        tooltip=_tooltip(p, ["x", "y"]))]
    if len(b.dropna(subset=["ci_low", "ci_high"])):
        layers.insert(0, alt.Chart().transform_filter(
            (alt.datum.layer == "breakpoint") & alt.expr.isFinite(alt.datum.ci_low)
            & alt.expr.isFinite(alt.datum.ci_high)).mark_rect(opacity=0.18).encode(
            x="ci_low:Q", x2="ci_high:Q", color=color))
    if len(b):
        layers.append(alt.Chart().transform_filter(alt.datum.layer == "breakpoint").mark_rule(
            strokeDash=[5, 3], strokeWidth=1.5).encode(
            x="estimate:Q", color=color,
            tooltip=[alt.Tooltip("estimate:Q", title="breakpoint", format=".3g"),
                     alt.Tooltip("ci_low:Q", format=".3g"),
                     alt.Tooltip("ci_high:Q", format=".3g")]))
    if len(f):
        layers.append(alt.Chart().transform_filter(alt.datum.layer == "fit").mark_line(
            strokeWidth=2.5).encode(x="x:Q", y="y:Q", color=color))
    sub = [("lines: fitted segments; dashed: breakpoint, band: its interval" if len(b)
            else "lines: fitted segments; no breakpoint selected (BIC)"), note]
    return alt.layer(*layers, data=df).properties(
        width=_FACET_WIDTH, height=_FACET_HEIGHT).facet(column=_column(labels), spacing=20
                                                        ).properties(
        title=_chart_title(f"Regimes: segmented fit of {metric_label(y)}", sub))


def stratified_heatmap(strata: pd.DataFrame, *, title: str = "") -> alt.FacetChart:
    """Heat map of the within-cell rank correlation over qubits x layers, per configuration
    (and a row per task when `strata` has a ``task`` column with several values).

    Parameters
    ----------
    strata : pandas.DataFrame
        ``training_config, n_qubits, layers, estimate, n_clusters, p_adj`` (e.g. from
        `etr.analysis.stratified_correlation`, with ``estimate`` already oriented).
    title : str
        Chart title.
    """
    df, labels, _ = _with_config_label(strata)
    keep = [c for c in (_LABEL_COL, "training_config", "task", "n_qubits", "layers",
                        "estimate", "n", "n_clusters", "p_adj") if c in df.columns]
    df = df[keep].copy()
    df["label"] = df["estimate"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    num = ("estimate", "p_adj")
    tips = [alt.Tooltip(f"{c}:{'Q' if c in num else 'N'}", format=".3g" if c in num else "")
            for c in ("training_config", "task", "n_qubits", "layers", "estimate",
                      "n_clusters", "p_adj") if c in df.columns]
    base = alt.Chart().encode(
        x=alt.X("layers:O", title="Layers", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("n_qubits:O", title="Qubits", sort="descending"))
    rect = base.mark_rect().encode(
        color=alt.Color("estimate:Q", title="oriented ρ",
                        scale=alt.Scale(scheme="blueorange", domain=[-1, 1], domainMid=0)),
        tooltip=tips)
    text = base.mark_text(fontSize=11).encode(
        text="label:N",
        color=alt.condition("abs(datum.estimate) > 0.6", alt.value("white"), alt.value("black")))
    facet = {"column": _column(labels)}
    if "task" in df.columns and df["task"].nunique() > 1:
        facet["row"] = _task_row(sorted(df["task"].astype(str).unique()))
    return alt.layer(rect, text, data=df).properties(
        width=_SMALL_WIDTH, height=_SMALL_HEIGHT - 20).facet(
        **facet, spacing=20).properties(title=_chart_title(
            title or "Rank correlation within qubits x layers cells",
            "> 0: more expressive → less trainable; blank: fewer than 3 circuits"))
