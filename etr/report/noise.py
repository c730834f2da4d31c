"""The report's Noise section: the trade-off with and without hardware noise.

Shown only when the dataset holds noise levels (a spec's ``[noise]`` table; `etr.plan.noise`).
Its three questions, each answered on the exact runs:

* **Gradients against depth per noise level** (`depth_table`, `depth_chart`): the geometric mean
  of the gradient variance over the runs of each configuration, width, depth and level, with the
  noise-induced barren plateau (NIBP) reference beside each noisy level. The reference drawn is
  the noiseless curve times (1 - p)^(2L): the exact factor a *global* depolarizing channel of
  strength p after every layer puts on a gradient's variance (every traceless component of the
  state, hence every gradient, shrinks by 1 - p per channel; REFERENCES, issue truths). etr's
  noise is local and acts after every gate, so each layer applies at least R such contractions
  per qubit (R = single-qubit rotations per qubit and layer) and Wang et al. (2021) bound the
  gradient by a constant times (1 - p)^(R L): the measured curves should fall at least as fast
  as the reference, and ``k_effective`` of `etr.analysis.noise_decay` (measured slope / 2 ln(1 -
  p)) reads the measured rate as a number of depolarizing channels per layer.
* **The association per noise level** (`etr.analysis.compare_noise_levels`): the conditional
  association at each level and its paired difference from the noiseless one; the registered
  claim ``noise_changes_tradeoff`` is its test.
* **Purity of the output states** (`purity_table`): tr(rho^2) of the model circuit's states per
  level and depth, the state side of the same decay (1 without gate noise, down to 2^-n).

Expressibility (x) stays the noise-free circuit's property at every level: noise mixes states,
and a frame potential or KL of mixed states would read that mixing as "more expressive than
Haar" (`etr.metrics.density_frame_potential`), confusing the circuit's reach with the hardware's
loss of purity. The trade-off asks how the *circuit's* expressibility relates to trainability;
under noise, the trainability is the one the hardware gives.

Chart builders live here rather than in `etr.report.charts` because they draw only this
section's tables (the pure ``tidy DataFrame -> alt.Chart`` rule holds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import altair as alt
import numpy as np
import pandas as pd

from etr import analysis as A
from etr.analysis._common import pqc_rows
from etr.analysis.noise import NOISELESS_LABEL, noise_label
from etr.contract import CONFIGS, NOISE_COLUMNS
from etr.report import charts as C
from etr.report.page import Figure, Section, Table

if TYPE_CHECKING:  # the section builder reads the results; analyze.py imports this module
    from etr.report.analyze import AnalysisResults

__all__ = ["NoiseResults", "analyze_noise", "depth_chart", "depth_table", "has_noise",
           "noise_section", "purity_table"]

#: the trainability column drawn against depth.
GRAD = "grad_var"
_DEPTH_COLS = ["training_config", "noise", "depolarizing", "n_qubits", "layers", "n",
               "grad_var", "reference"]


def has_noise(data: pd.DataFrame) -> bool:
    """Whether any run of `data` is noisy (a noise column above 0).

    Examples
    --------
    >>> has_noise(pd.DataFrame({"depolarizing": [0.0, 0.01]})), has_noise(pd.DataFrame({"x": [1]}))
    (True, False)
    """
    cols = [c for c in NOISE_COLUMNS if c in data.columns]
    if not cols:
        return False
    values = data[cols].apply(pd.to_numeric, errors="coerce").fillna(0.0).to_numpy(float)
    return bool((values > 0).any())


@dataclass(frozen=True, slots=True)
class NoiseResults:
    """The tables of the Noise section.

    Attributes
    ----------
    levels : `etr.analysis.noise_levels` of the exact runs.
    association : `etr.analysis.compare_noise_levels` (the table the noise claim tests).
    decay : `etr.analysis.noise_decay` of ``grad_var``.
    depth : `depth_table`.
    purity : `purity_table`.
    """

    levels: pd.DataFrame
    association: pd.DataFrame
    decay: pd.DataFrame
    depth: pd.DataFrame
    purity: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by the name used for CSV files and JSON keys."""
        return {"noise_levels": self.levels, "noise_association": self.association,
                "noise_decay": self.decay, "noise_depth": self.depth,
                "noise_purity": self.purity}


def _labelled_levels(data: pd.DataFrame) -> pd.DataFrame:
    out = data.assign(noise=noise_label(data))
    for c in NOISE_COLUMNS:
        out[c] = (pd.to_numeric(out[c], errors="coerce").fillna(0.0) if c in out.columns
                  else 0.0)
    return out


def depth_table(data: pd.DataFrame, *, y: str = GRAD) -> pd.DataFrame:
    """Geometric mean of `y` per configuration, noise level, width and depth, with the NIBP
    reference (module notes): the noiseless value at that configuration, width and depth times
    (1 - p)^(2L) for a level of depolarizing p (NaN without depolarizing noise, and at the
    noiseless level itself).

    Examples
    --------
    >>> df = pd.DataFrame({"training_config": "pure_pqc", "n_qubits": 2, "layers": [2, 2],
    ...                    "depolarizing": [0.0, 0.1], "grad_var": [0.1, 0.05]})
    >>> depth_table(df)[["noise", "grad_var", "reference"]].round(4).values.tolist()
    [['noiseless', 0.1, nan], ['depolarizing=0.1', 0.05, 0.0656]]
    """
    frame = _labelled_levels(data)
    frame = frame.assign(_y=pd.to_numeric(frame[y], errors="coerce"))
    frame = frame[np.isfinite(frame["_y"]) & (frame["_y"] > 0)]
    if frame.empty:
        return pd.DataFrame(columns=_DEPTH_COLS)
    keys = ["training_config", "noise", "depolarizing", "n_qubits", "layers"]
    out = (frame.assign(_log=np.log(frame["_y"])).groupby(keys, sort=True)
           .agg(n=("_log", "size"), _mean=("_log", "mean")).reset_index())
    out[y] = np.exp(out["_mean"])
    base = out[out["noise"] == NOISELESS_LABEL].set_index(
        ["training_config", "n_qubits", "layers"])[y]
    idx = pd.MultiIndex.from_frame(out[["training_config", "n_qubits", "layers"]])
    clean = base.reindex(idx).to_numpy(dtype=float)
    p = out["depolarizing"].to_numpy(float)
    factor = (1.0 - p) ** (2.0 * out["layers"].to_numpy(float))
    out["reference"] = np.where((out["noise"] != NOISELESS_LABEL) & (p > 0), clean * factor,
                                np.nan)
    order = {c: i for i, c in enumerate(CONFIGS)}
    out = out.sort_values(["training_config", "depolarizing", "noise", "n_qubits", "layers"],
                          key=lambda s: s.map(order) if s.name == "training_config" else s,
                          kind="stable")
    cols = [c for c in _DEPTH_COLS if c != "grad_var"]
    return out[[*cols[:-1], y, "reference"]].reset_index(drop=True)


def purity_table(data: pd.DataFrame) -> pd.DataFrame:
    """Mean, min and max ``purity`` per configuration, noise level, width and depth.

    Examples
    --------
    >>> df = pd.DataFrame({"training_config": "pure_pqc", "n_qubits": 1, "layers": 1,
    ...                    "depolarizing": [0.0, 0.5, 0.5], "purity": [1.0, 0.6, 0.5]})
    >>> purity_table(df)[["noise", "purity", "purity_min"]].values.tolist()
    [['noiseless', 1.0, 1.0], ['depolarizing=0.5', 0.55, 0.5]]
    """
    cols = ["training_config", "noise", "n_qubits", "layers", "n", "purity", "purity_min",
            "purity_max"]
    if "purity" not in data.columns:
        return pd.DataFrame(columns=cols)
    frame = _labelled_levels(data)
    frame = frame.assign(_p=pd.to_numeric(frame["purity"], errors="coerce"))
    frame = frame[np.isfinite(frame["_p"])]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    keys = ["training_config", "noise", "n_qubits", "layers"]
    total = frame[list(NOISE_COLUMNS)].sum(axis=1)
    out = (frame.assign(_t=total).groupby(keys, sort=False)
           .agg(n=("_p", "size"), purity=("_p", "mean"), purity_min=("_p", "min"),
                purity_max=("_p", "max"), _t=("_t", "first")).reset_index())
    out = out.sort_values(["training_config", "_t", "noise", "n_qubits", "layers"],
                          kind="stable")
    return out[cols].reset_index(drop=True)


def analyze_noise(exact: pd.DataFrame, *, definitions: tuple[str, ...], x: str,
                  strata: tuple[str, ...], cluster: str, confidence: float, alpha: float,
                  attempt: Callable[[str, Callable[[], Any]], Any]) -> NoiseResults:
    """The Noise section's tables from the exact runs of every noise level (cleaned).

    `attempt` runs a step and turns an `etr.errors.EtrError` into a note (``_Notes.attempt`` of
    `etr.report.analyze`); a step that cannot be computed leaves its table empty.
    """
    pqc = exact[pqc_rows(exact)]

    def frame(got: object) -> pd.DataFrame:
        return got if isinstance(got, pd.DataFrame) else pd.DataFrame()

    assoc = frame(attempt("noise: association per level", lambda: A.compare_noise_levels(
        pqc, x=x, definitions=definitions, strata=strata, cluster=cluster,
        confidence=confidence, alpha=alpha)))
    decay = frame(attempt("noise: decay with depth", lambda: A.noise_decay(
        pqc, y=GRAD, cluster=cluster, confidence=confidence))) if GRAD in pqc.columns else (
        pd.DataFrame())
    depth = depth_table(pqc) if GRAD in pqc.columns else pd.DataFrame(columns=_DEPTH_COLS)
    return NoiseResults(levels=A.noise_levels(exact), association=assoc, decay=decay,
                        depth=depth, purity=purity_table(pqc))


# --- charts ---------------------------------------------------------------------------------

#: colours of the noise levels, noiseless first (a sequential ramp: darker = noisier).
_LEVEL_COLORS = ("#000000", "#E69F00", "#D55E00", "#CC79A7", "#0072B2", "#56B4E9", "#009E73")


def _level_color(levels: list[str]) -> alt.Color:
    colors = [_LEVEL_COLORS[i % len(_LEVEL_COLORS)] for i in range(len(levels))]
    return alt.Color("noise:N", title="noise level", scale=alt.Scale(domain=levels,
                                                                     range=colors),
                     legend=alt.Legend(orient="bottom", labelLimit=320))


def _layers_x() -> alt.X:
    return alt.X("layers:Q", title="Layers", scale=alt.Scale(zero=False, padding=8),
                 axis=alt.Axis(tickMinStep=1, format="d"))


def depth_chart(depth: pd.DataFrame, levels: list[str]) -> alt.FacetChart:
    """Gradient variance against depth (log), a line per noise level, the NIBP reference of each
    noisy level dashed in its colour; panels: configuration (rows) x width (columns)."""
    df = depth.assign(configuration=depth["training_config"].map(C.config_label))
    long = pd.concat([
        df.assign(value=df["grad_var"], curve="measured"),
        df[np.isfinite(df["reference"].to_numpy(float))].assign(
            value=lambda d: d["reference"], curve="global depolarizing reference (1-p)^(2L)")],
        ignore_index=True)
    long = long[["configuration", "noise", "n_qubits", "layers", "n", "value", "curve"]]
    scale = C.log_scale(long["value"])
    y = alt.Y("value:Q", scale=scale, axis=C.log_axis(
        long["value"], title=f"{C.metric_label(GRAD)} (log scale)"))
    dash = alt.StrokeDash("curve:N", title=None, scale=alt.Scale(
        domain=["measured", "global depolarizing reference (1-p)^(2L)"],
        range=[[1, 0], [5, 4]]), legend=alt.Legend(orient="bottom", labelLimit=360))
    tips = [alt.Tooltip("noise:N"), alt.Tooltip("curve:N"), alt.Tooltip("layers:Q"),
            alt.Tooltip("value:Q", format=".3g", title="grad_var"), alt.Tooltip("n:Q")]
    lines = alt.Chart().mark_line(strokeWidth=1.6).encode(
        x=_layers_x(), y=y, color=_level_color(levels), strokeDash=dash,
        detail="curve:N")
    pts = alt.Chart().transform_filter(alt.datum.curve == "measured").mark_point(
        filled=True, size=40).encode(x=_layers_x(), y=y, color=_level_color(levels),
                                     tooltip=tips)
    configs = list(dict.fromkeys(df["configuration"]))
    return alt.layer(lines, pts, data=long).properties(width=220, height=170).facet(
        row=alt.Row("configuration:N", title=None, sort=configs, header=alt.Header(
            labelAngle=0, labelOrient="top", labelAnchor="start", labelFontWeight="bold")),
        column=alt.Column("n_qubits:O", title="Qubits"), spacing=14).properties(
        title=C._chart_title("Gradient variance against depth per noise level", [
            "geometric mean over runs; dashed: the noiseless curve times (1-p)^(2L), the "
            "exact effect of one global depolarizing channel per layer",
            "etr's noise acts after every gate, so the measured curves should fall faster"]))


def association_chart(assoc: pd.DataFrame, levels: list[str]) -> alt.FacetChart:
    """The oriented conditional association per noise level and configuration, a panel per
    definition; the interval of each level's own estimate."""
    df = assoc[np.isfinite(pd.to_numeric(assoc["estimate"], errors="coerce"))].copy()
    df = df.assign(configuration=df["training_config"].map(C.config_label),
                   definition_label=df["definition"].map(C.metric_label))
    df = df[["configuration", "definition_label", "noise", "estimate", "ci_low", "ci_high",
             "n_clusters"]]
    configs = list(dict.fromkeys(df["configuration"]))
    colors = [C.CONFIG_COLORS.get(next((k for k, v in CONFIGS.items() if v.label == c), c),
                                  "#555") for c in configs]
    color = alt.Color("configuration:N", scale=alt.Scale(domain=configs, range=colors),
                      legend=alt.Legend(orient="bottom"))
    x = alt.X("noise:N", sort=levels, title="noise level", axis=alt.Axis(labelAngle=-30,
                                                                        labelLimit=200))
    yscale = alt.Scale(domain=[-1, 1])
    off = alt.XOffset("configuration:N", sort=configs)
    zero = alt.Chart().mark_rule(color="#888", strokeDash=[3, 3]).encode(
        y=alt.datum(0, scale=yscale))
    rule = alt.Chart().mark_rule(strokeWidth=2).encode(
        x=x, xOffset=off, y=alt.Y("ci_low:Q", scale=yscale, title="oriented r (+ = trade-off)"),
        y2="ci_high:Q", color=color)
    pt = alt.Chart().mark_point(filled=True, size=60).encode(
        x=x, xOffset=off, y=alt.Y("estimate:Q", scale=yscale), color=color,
        tooltip=[alt.Tooltip("configuration:N"), alt.Tooltip("noise:N"),
                 alt.Tooltip("estimate:Q", format=".3f"), alt.Tooltip("ci_low:Q", format=".3f"),
                 alt.Tooltip("ci_high:Q", format=".3f"), alt.Tooltip("n_clusters:Q")])
    return alt.layer(zero, rule, pt, data=df).properties(width=230, height=200).facet(
        facet=alt.Facet("definition_label:N", title=None), columns=3, spacing=14).properties(
        title=C._chart_title("Association per noise level", [
            "conditional on width and depth, over distinct circuits; expressibility is the "
            "noise-free circuit's at every level"]))


def purity_chart(purity: pd.DataFrame, levels: list[str]) -> alt.FacetChart:
    """Mean output-state purity against depth per noise level; panels: width."""
    df = purity.assign(configuration=purity["training_config"].map(C.config_label))
    df = df[["configuration", "noise", "n_qubits", "layers", "purity", "purity_min",
             "purity_max"]]
    y = alt.Y("purity:Q", title="purity tr ρ² (1 = pure)", scale=alt.Scale(zero=False))
    band = alt.Chart().mark_rule(opacity=0.5).encode(
        x=_layers_x(), y=alt.Y("purity_min:Q"), y2="purity_max:Q", color=_level_color(levels))
    line = alt.Chart().mark_line(point=True).encode(
        x=_layers_x(), y=y, color=_level_color(levels), detail="configuration:N",
        tooltip=[alt.Tooltip("configuration:N"), alt.Tooltip("noise:N"),
                 alt.Tooltip("layers:Q"), alt.Tooltip("purity:Q", format=".4f")])
    return alt.layer(band, line, data=df).properties(width=220, height=170).facet(
        column=alt.Column("n_qubits:O", title="Qubits"), spacing=14).properties(
        title=C._chart_title("Purity of the output states per noise level", [
            "mean over the runs' training inputs and initialisations, a line per configuration "
            "(vertical bars: range over runs); 2^-n is the maximally mixed state"]))


# --- the section ----------------------------------------------------------------------------


def noise_section(res: AnalysisResults) -> Section:
    """The Noise section (module notes); call only when ``res.noise`` is set."""
    nr = res.noise
    heading = "Noise: the trade-off with and without hardware noise"
    levels = list(nr.levels["noise"])
    intro = (
        f"The data hold {len(levels)} noise level(s): {', '.join(levels)}. Every noisy run "
        "shares its initialisations and task instance with the noiseless run of the same "
        "circuit, so the levels are compared circuit by circuit. Expressibility (x) is the "
        "noise-free circuit's property at every level: noise mixes the output states, and a "
        "frame potential or KL of mixed states would read that mixing as 'more expressive than "
        "Haar', which says nothing about the circuit's reach. Trainability is measured under "
        "the run's noise: the gradients the hardware would give. The primary claims above use "
        "the noiseless runs only; this section and the claim 'hardware noise changes the "
        "pure-PQC trade-off' use the others.")
    charts, tables, items = [], [], []
    if not nr.depth.empty:
        charts.append(Figure(depth_chart(nr.depth, levels), (
            "Noise-induced barren plateaus (Wang et al. 2021): the reference drawn is the exact "
            "factor (1-p)^(2L) that one global depolarizing channel of strength p after each "
            "of L layers puts on every gradient variance, applied to the noiseless curve. "
            "etr's depolarizing channel follows every gate on each qubit it touches, so each "
            "layer contracts the state R times or more per qubit (R = rotations per qubit and "
            "layer): by Wang et al.'s bound the decay is at least that steep, and the table "
            "below reads the measured rate as k_effective channels per layer."),
            name="noise_depth"))
    if not nr.decay.empty:
        tables.append(Table(
            nr.decay.drop(columns=[c for c in ("method", *NOISE_COLUMNS)
                                   if c in nr.decay.columns]).assign(
                training_config=lambda d: d["training_config"].map(C.config_label)),
            name="noise_decay",
            caption="Decay rate with depth: least-squares slope over layers of ln(grad_var / "
                    "grad_var of the same run without noise), per circuit; reference 2 ln(1-p) "
                    "(one global depolarizing channel per layer); k_effective = slope / "
                    "reference.",
            labels={"training_config": "configuration", "n_pairs": "paired runs",
                    "n_clusters": "circuits", "slope": "slope per layer",
                    "reference_slope": "reference 2 ln(1-p)"}))
    a = nr.association
    if not a.empty and np.isfinite(pd.to_numeric(a["estimate"], errors="coerce")).any():
        charts.append(Figure(association_chart(a, levels), (
            "Oriented conditional association (+ = more expressive circuits are less "
            "trainable) at each level, with its interval; the table gives each noisy level's "
            "paired difference from the noiseless association on the same circuits."),
            name="noise_association"))
        shown = a.drop(columns=[c for c in ("method", *NOISE_COLUMNS) if c in a.columns])
        tables.append(Table(
            shown.assign(training_config=shown["training_config"].map(C.config_label),
                         definition=shown["definition"].map(C.metric_label)),
            name="noise_association",
            caption="Association per noise level and its difference from the noiseless one on "
                    "the same circuits (paired by circuit; difference interval at its Holm "
                    "step; p (Holm) over the table).",
            labels={"training_config": "configuration", "n_clusters": "circuits",
                    "estimate_noiseless": "noiseless r, same circuits",
                    "difference": "r(noisy) - r(noiseless)", "difference_se": "SE",
                    "difference_df": "df", "difference_ci_level": "CI level",
                    "p_adj": "p (Holm)"}))
        claim = res.claims[res.claims["claim"] == "noise_changes_tradeoff"]
        items += list(claim["sentence"].astype(str))
    if not nr.purity.empty:
        charts.append(Figure(purity_chart(nr.purity, levels), (
            "Purity tr ρ² of the model circuit's output states (encoding and PQC) under each "
            "level: 1 without gate noise; the decay towards 2^-n is the state side of the "
            "gradients' decay."), name="noise_purity"))
        tables.append(Table(nr.purity.assign(
            training_config=nr.purity["training_config"].map(C.config_label)),
            name="noise_purity", collapsed=True,
            caption="Purity per configuration, level, width and depth (mean, min, max over "
                    "runs).", labels={"training_config": "configuration"}))
    warn = [n for n in res.notes if n.startswith("noise")]
    return Section(heading, intro, charts=charts, tables=tables, items=items, warnings=warn)
