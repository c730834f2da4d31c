"""The report's finite-shot section: the claims on exact and finite-shot twins side by side, and
how far the gradients stood above the shot noise.

Results (`shot_results`, called by `etr.report.analyze.analyze_dataset`) come from
`etr.analysis.shot_claims` and `etr.analysis.snr_summary` on the kept runs; the section
(`shots_sections`, called by `etr.report.sections.build_sections`) exists only when the dataset
holds finite-shot runs beside exact ones. Kept in its own module so that the claims machinery and
the other sections can change without touching it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import altair as alt
import numpy as np
import pandas as pd

from etr import analysis as A
from etr.contract import METRICS
from etr.report import charts as C
from etr.report.page import Figure, Section, Table

if TYPE_CHECKING:  # pragma: no cover
    from etr.report.analyze import AnalysisResults

__all__ = ["SHOTS_HEADING", "shot_results", "shots_sections", "snr_chart"]

SHOTS_HEADING = "Finite shots: do the verdicts survive shot noise?"


def shot_results(kept: pd.DataFrame, *, claims: A.Registry, x: str, margin: float | None,
                 alpha: float | None, strata: tuple[str, ...], cluster: str,
                 attempt: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(`etr.analysis.shot_claims`, `etr.analysis.snr_summary`) of the kept runs under the
    report's claims file, each through `attempt(label, fn)` (the report's notes: a step that
    fails leaves an empty table and a note)."""
    table = attempt("finite shots (claims)", lambda: A.shot_claims(
        kept, claims=claims, x=x, margin=margin, alpha=alpha, strata=strata, cluster=cluster))
    snr = attempt("finite shots (signal-to-noise)", lambda: A.snr_summary(kept))
    return (pd.DataFrame() if table is None else table,
            pd.DataFrame() if snr is None else snr)


def snr_chart(snr: pd.DataFrame) -> alt.LayerChart:
    """Median and interquartile range of ``grad_snr`` per task, size and configuration (log
    scale), with the line SNR = 1 where the shot noise equals the gradient."""
    df = snr[np.isfinite(snr["snr_median"].to_numpy(float))
             & (snr["snr_median"].to_numpy(float) > 0)].copy()
    df, labels, colors = C._with_config_label(df)
    task = df["task"].astype(str) + ", " if "task" in df.columns else ""
    df["where"] = (task + df["n_qubits"].astype(str) + " qubits × " + df["layers"].astype(str)
                   + " layers, " + df["shots"].astype(str) + " shots")
    order = list(dict.fromkeys(df.sort_values(
        [c for c in ("task", "shots", "n_qubits", "layers") if c in df.columns])["where"]))
    y = alt.Y("where:N", sort=order, title=None)
    y_off = alt.YOffset(f"{C._LABEL_COL}:N", sort=labels)
    color = C._config_color(labels, colors)
    log = alt.Scale(type="log")
    tips = [alt.Tooltip("where:N"), alt.Tooltip(f"{C._LABEL_COL}:N"), alt.Tooltip("n:Q"),
            alt.Tooltip("snr_median:Q", format=".3g"), alt.Tooltip("snr_q25:Q", format=".3g"),
            alt.Tooltip("snr_q75:Q", format=".3g"),
            alt.Tooltip("grad_var_ratio:Q", format=".3g"),
            alt.Tooltip("predicted_ratio:Q", format=".3g")]
    one = alt.Chart(pd.DataFrame({"one": [1.0]})).mark_rule(
        color="#555", strokeDash=[4, 3]).encode(x=alt.X("one:Q", scale=log))
    iqr = alt.Chart(df).mark_rule(strokeWidth=2.5).encode(
        x=alt.X("snr_q25:Q", scale=log), x2="snr_q75:Q", y=y, yOffset=y_off, color=color,
        tooltip=tips)
    mid = alt.Chart(df).mark_point(filled=True, size=70).encode(
        x=alt.X("snr_median:Q", scale=log, title=METRICS["grad_snr"].axis_title), y=y,
        yOffset=y_off, color=color, tooltip=tips)
    rows = max(len(order), 1) * max(len(labels), 1)
    return alt.layer(one, iqr, mid).properties(
        width=C._FOREST_WIDTH, height=min(C._FOREST_ROW * rows, 900),
        title=C._chart_title("Gradient signal-to-noise ratio at initialisation",
                             "points: median over runs; bars: interquartile range; dashed: "
                             "SNR = 1, shot noise as large as the gradient"))


def _cell(verdict: object, estimate: object, low: object, high: object) -> str:
    if not np.isfinite(float(estimate)):
        return str(verdict)
    ci = f" [{float(low):.2f}, {float(high):.2f}]" if np.isfinite(float(low)) else ""
    return f"{verdict}: {float(estimate):.2f}{ci}"


def _side_by_side(t: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({
        "shots": t["shots"].astype(int),
        "claim": t["claim"].map(lambda c: A.CLAIMS[c].meaning if c in A.CLAIMS else str(c)),
        "definition": t["definition"].map(C.metric_label),
        "role": t["role"].astype(str),
        "exact": [_cell(*r) for r in t[["verdict_exact", "estimate_exact", "ci_low_exact",
                                       "ci_high_exact"]].itertuples(index=False)],
        "finite shots": [_cell(*r) for r in t[["verdict_shots", "estimate_shots",
                                              "ci_low_shots", "ci_high_shots"]]
                         .itertuples(index=False)],
        "same verdict": np.where(t["same_verdict"].to_numpy(bool), "yes", "no"),
        "n_pairs": t["n_pairs"], "n_circuits": t["n_circuits"],
        "snr_median": t["snr_median"]})
    return out


def shots_sections(res: AnalysisResults) -> list[Section]:
    """The finite-shot section, or none when the data hold no finite-shot run beside exact
    ones."""
    if not res.design.shot_levels:
        return []
    t, snr = res.shot_claims, res.shot_snr
    intro = ("Every finite-shot run is paired with the exact run of the same cell (architecture, "
             "configuration, task instance, replicate: the same data and initial parameters), "
             "and the registered claims are evaluated on each side with the same options, so "
             "the two columns differ only by the shot noise. How large that noise was is "
             "grad_snr: at initialisation, the exact gradient's RMS over the shot-noise "
             "standard deviation of its parameter-shift estimate (computed exactly from the "
             "outcome probabilities). A finite-shot grad_var is about 1 + 1/SNR² times the exact "
             "one; below SNR = 1 the optimiser follows mostly noise.")
    warnings = [n for n in res.notes if n.startswith("finite shots")]
    tables, charts, items = [], [], []
    if not t.empty:
        t = t.sort_values(["shots", "role"], kind="stable")  # primary before secondary
        primary = t[t["role"].astype(str) == "primary"]
        same = int(primary["same_verdict"].to_numpy(bool).sum())
        items.append(f"Primary definitions: {same} of {len(primary)} verdicts are the same with "
                     "finite shots as exact.")
        changed = t[~t["same_verdict"].to_numpy(bool)]
        items.append(f"{len(t) - len(changed)} of {len(t)} claim × definition verdicts are the "
                     "same with finite shots as exact" + (
                         "; changed: " + "; ".join(
                             f"{r.claim} ({r.definition}, {r.shots} shots): "
                             f"{r.verdict_exact} → {r.verdict_shots}"
                             for r in changed.itertuples()) if len(changed) else "") + ".")
        tables.append(Table(
            _side_by_side(t), name="shot_claims",
            caption="The claims on exact runs and on their finite-shot twins (cells: verdict: "
                    "estimate [interval at the row's Holm level]); each side is its own Holm "
                    "family. SNR: median grad_snr of the finite-shot runs.",
            labels={"n_pairs": "paired runs", "n_circuits": "circuits",
                    "snr_median": "SNR (median)"}))
    if not snr.empty:
        med = float(np.nanmedian(snr["snr_median"].to_numpy(float)))
        items.append(f"Median gradient SNR over the groups: {med:.3g} "
                     f"(range of group medians {snr['snr_median'].min():.3g} to "
                     f"{snr['snr_median'].max():.3g}).")
        charts.append(Figure(snr_chart(snr), "Gradient SNR of the finite-shot runs.",
                             name="shot_snr"))
        tables.append(Table(
            _config_labelled(snr), name="shot_snr", collapsed=True,
            caption="grad_snr per shot level, task, configuration and size, beside the median "
                    "ratio of finite-shot to exact grad_var over paired runs and the ratio "
                    "1 + 1/SNR² predicts (when the mean gradient over initialisations is 0).",
            labels={"training_config": "configuration", "n": "runs",
                    "snr_median": "SNR (median)", "snr_q25": "SNR (25%)",
                    "snr_q75": "SNR (75%)", "grad_var_ratio": "grad_var shots / exact",
                    "predicted_ratio": "1 + 1/SNR²"}))
    if t.empty and snr.empty and not warnings:
        warnings = ["no finite-shot run has an exact twin with the same cell"]
    return [Section(SHOTS_HEADING, intro, charts=charts, tables=tables, items=items,
                    warnings=warnings)]


def _config_labelled(df: pd.DataFrame) -> pd.DataFrame:
    """Copy with configuration names replaced by their registry labels."""
    out = df.copy()
    if "training_config" in out.columns:
        out["training_config"] = out["training_config"].map(C.config_label)
    return out
