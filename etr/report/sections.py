"""From `AnalysisResults` to page sections (layer two of the report: plain text, tables, charts).

The page leads with the paper's claims: the first screen is the verdict of every claim for every
trainability definition, the sentences of the primary definition, and the chart of the
association each claim is about. Secondary analyses, what the PQC adds, the strength of the
association, theory and models follow; data quality, coverage and methods close the page.

Labels, axis titles and directions come from `etr.contract.METRICS` and `etr.contract.CONFIGS`
(through `etr.report.charts.metric_label` / `config_label`), claim meanings from
`etr.analysis.CLAIMS`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from etr import analysis as A
from etr.analysis._common import pqc_rows
from etr.analysis.claims import WEAK_BOUND
from etr.contract import CONFIGS, EXPRESSIBILITY_MEASURES, METRICS
from etr.report import charts as C
from etr.report import theory as T
from etr.report.analyze import PAPER_X, AnalysisResults
from etr.report.noise import noise_section
from etr.report.page import Figure, Section, Table
from etr.report.shots import shots_sections

__all__ = ["MAX_ROWS_SHOWN", "build_sections"]

#: longest failed-cell listing shown on the page (the CSV and JSON hold every row).
MAX_ROWS_SHOWN = 200
_CONFIG = "configuration"
_FULL = "hybrid_full"


def _cols(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    return df[[c for c in cols if c in df.columns]]


def _labelled(df: pd.DataFrame, registry: A.Registry | None = None) -> pd.DataFrame:
    """Copy with configuration, definition and claim names replaced by their labels."""
    out = df.copy()
    for c in ("training_config", "group_a", "group_b"):
        if c in out.columns:
            out[c] = out[c].map(C.config_label)
    if "definition" in out.columns:
        out["definition"] = out["definition"].map(
            lambda d: "Pareto set" if d == "pareto_front" else C.metric_label(d))
    if "claim" in out.columns:
        out["claim"] = out["claim"].map(lambda n: _claim_label(n, registry))
    return out


def _claim_label(name: object, registry: A.Registry | None = None) -> str:
    c = (registry or A.REGISTRY).claims.get(str(name))
    return c.meaning if c is not None else str(name)


def _notes_for(res: AnalysisResults, *keys: str) -> list[str]:
    return [n for n in res.notes if any(n.startswith(k) for k in keys)]


def _pct(level: float) -> str:
    return f"{100 * level:.4g}%"


# --- 1. the paper's claims ------------------------------------------------------------------


#: column of the verdict matrix holding the NAS claims' verdicts.
_NAS_COLUMN = "NAS Pareto sets"


def _kind_rows(claims: pd.DataFrame, kind: str) -> pd.DataFrame:
    return claims[claims["kind"].astype(str) == kind] if "kind" in claims.columns \
        else claims.iloc[:0]


def _claim_order(res: AnalysisResults) -> list[str]:
    return list(res.options.claims.claims)


def _verdict_matrix(claims: pd.DataFrame, defs: Sequence[str], *, nas_given: bool,
                    registry: A.Registry) -> pd.DataFrame:
    """One row per claim: its primary definition and verdict (the claim's verdict), whether it
    survives the adjustment sets, then the verdict of every definition (secondaries through the
    gate) and a column for the NAS claims; NAS claims without a table read "not evaluated"."""
    t = _kind_rows(claims, "association")
    order = [c for c in registry.claims if c in set(t["claim"])]
    cols = [d for d in defs if d in set(t["definition"])]
    wide = t.pivot_table(index="claim", columns="definition", values="verdict",
                         aggfunc="first").reindex(index=order, columns=cols)
    wide.columns = [C.metric_label(c) for c in wide.columns]
    prim = t[t["role"] == "primary"].set_index("claim")
    wide.insert(0, "primary definition", [C.metric_label(prim.loc[c, "definition"])
                                          if c in prim.index else "–" for c in wide.index])
    wide.insert(1, "verdict", [prim.loc[c, "verdict"] if c in prim.index else "–"
                               for c in wide.index])
    wide.insert(2, "robust", [_robust_text(prim.loc[c, "robust"]) if c in prim.index else "–"
                              for c in wide.index])
    nas = _kind_rows(claims, "nas")
    rows = [wide]
    if len(nas):
        verdicts = nas["verdict"].where(pd.Series(nas_given, index=nas.index),
                                        "not evaluated")
        rows.append(pd.DataFrame({"primary definition": "Pareto set",
                                  "verdict": verdicts.to_numpy(), "robust": "–",
                                  _NAS_COLUMN: verdicts.to_numpy()},
                                 index=nas["claim"].to_numpy()))
    out = pd.concat(rows).fillna("–")
    out.insert(0, "claim", [_claim_label(c, registry) for c in out.index])
    return out.reset_index(drop=True)


def _robust_text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return "yes" if bool(value) else "no"


def _robustness_table(res: AnalysisResults) -> pd.DataFrame:
    """The primary verdicts beside their re-estimates under each registered adjustment set."""
    adj = res.claims_adjusted
    c = res.claims
    if adj is None or adj.empty or c.empty:
        return pd.DataFrame()
    prim = c[(c["role"] == "primary") & (c["kind"] == "association")]
    wide = adj.assign(text=[_adjusted_cell(r) for _, r in adj.iterrows()]).pivot_table(
        index="claim", columns="adjustment", values="text", aggfunc="first")
    order = list(dict.fromkeys(adj["adjustment"]))
    wide = wide.reindex(columns=order)
    out = prim.set_index("claim")[["definition", "verdict", "estimate", "ci_low", "ci_high",
                                   "robust"]].join(wide, how="left")
    out["robust"] = [_robust_text(v) for v in out["robust"]]
    out = out.reset_index()
    out["claim"] = [_claim_label(n, res.options.claims) for n in out["claim"]]
    out["definition"] = out["definition"].map(C.metric_label)
    return out  # the page draws a missing value as a dash and formats the numbers


def _adjusted_cell(r: pd.Series) -> str:
    est, low, high = (float(pd.to_numeric(r[k], errors="coerce"))
                      for k in ("estimate", "ci_low", "ci_high"))
    if not np.isfinite(est):
        return str(r["verdict"])
    ci = f" [{low:.2f}, {high:.2f}]" if np.isfinite(low) and np.isfinite(high) else ""
    return f"{r['verdict']}: {est:.2f}{ci}"


def _primary_claims(claims: pd.DataFrame, *, nas_given: bool,
                    registry: A.Registry) -> pd.DataFrame:
    """Each claim's primary row (its registered primary definition) with its test."""
    t = claims[claims["role"] == "primary"]
    out = _labelled(t, registry)
    out["test"] = t["test"].astype(str).to_numpy()
    nas = (t["kind"] == "nas").to_numpy()
    out["verdict"] = np.where(nas & (not nas_given), "not evaluated", t["verdict"].to_numpy())
    # a NAS claim compares Pareto sets, not circuits: no circuit count
    out["n_clusters"] = pd.array(np.where(nas, None, t["n_clusters"].to_numpy(dtype=object)),
                                 dtype="Int64")
    return _cols(out, ["claim", "definition", "test", "estimate", "ci_low", "ci_high",
                       "confidence", "p_adj", "p_adj_contra", "n_clusters", "verdict"])


def _pqc_matters(res: AnalysisResults) -> tuple[list[str], list[str]]:
    """Tasks where the PQC adds to the end-to-end hybrid (gap interval above 0), and the rest."""
    g = res.control
    if g.empty or "training_config" not in g.columns:
        return [], []
    full = g[g["training_config"] == _FULL]
    yes = sorted(str(t) for t in full.loc[full["ci_low"] > 0, "task"])
    no = sorted(str(t) for t in full["task"] if str(t) not in yes)
    return yes, no


def _eliminated_caveat(res: AnalysisResults) -> list[str]:
    if res.control.empty:
        return ["'End-to-end training removes the trade-off' is only meaningful where the PQC "
                "matters; without classical-only control runs the data cannot say where it "
                "does (see 'What the PQC adds')."]
    yes, no = _pqc_matters(res)
    if not no:
        return []
    where = (f"it is shown to add accuracy on {', '.join(yes)}" if yes
             else "it is not shown to add accuracy on any task")
    return [f"'End-to-end training removes the trade-off' is only meaningful where the PQC "
            f"matters: under end-to-end training {where}; on {', '.join(no)} the classical "
            "parts alone do as well, so a vanishing trade-off there may only mean the PQC is "
            "bypassed (see 'What the PQC adds')."]


def _registry_text(reg: A.Registry) -> str:
    return (f"claims file {reg.source} ({reg.name}, version {reg.version}; SHA-256 "
            f"{reg.sha256[:16]}…)")


def claims_section(res: AnalysisResults) -> Section:
    """The first section: every claim's verdict, sentence, interval, robustness and chart."""
    o, design = res.options, res.design
    reg = o.claims
    c = res.claims
    given = " x ".join(design.strata)
    x = METRICS[o.x]
    intro = (
        "Each claim of Kashif & Shafique (arXiv 2605.25768) is decided as registered before "
        f"looking at the data ({_registry_text(reg)}): one primary trainability definition per "
        "claim (the others only through its gate), on the association of the circuit's "
        f"expressibility ({x.label}) with the circuit's expected trainability given {given} — "
        "averaged over replicates, task instances and classical variants and corrected for "
        "run noise (regression dilution) — with intervals over distinct circuits and task "
        f"instances. Verdicts are family-wise at α = {o.alpha:g} in both directions (Holm for "
        "'supported' and for 'contradicted'). Data: "
        f"{design.primary_label.split(': ', 1)[-1]} (secondary analyses in the next section).")
    if c.empty:
        return Section("The paper's claims", intro, warnings=_notes_for(res, "claims") or [
            "the claims could not be tested on these data"])
    defs = [d for d in METRICS if d in set(c["definition"])]
    lead = [Table(_verdict_matrix(c, defs, nas_given=res.nas_given, registry=reg),
                  badges=("verdict", *(C.metric_label(d) for d in defs), _NAS_COLUMN),
                  name="claims_matrix",
                  caption="Verdict per claim: its registered primary definition decides it; the "
                          "other definitions are decided in the registered order only while "
                          "the gate stays open (otherwise 'not tested'); robust: the same "
                          "verdict under every registered adjustment set (next table).")]
    robust = _robustness_table(res)
    if not robust.empty:
        lead.append(Table(
            robust, name="claims_robustness",
            badges=("verdict",),
            caption="Robustness to the adjustment set: each primary verdict re-estimated with "
                    "the column(s) added to the strata (cells: verdict: estimate [interval at "
                    "the level of the primary decision]). Within a width-depth cell the "
                    "expressibility of a circuit is largely its rotation set; a verdict that "
                    "changes here rests on that choice.",
            labels={"definition": "primary definition", "estimate": "r", "ci_low": "CI"}))
    lead.append(Table(
        _primary_claims(c, nas_given=res.nas_given, registry=reg), badges=("verdict",),
        name="claims_primary",
        caption="Each claim's registered test on its primary definition: estimate (corrected "
                "circuit-level r, or a difference of r; NAS: mean between minus seed-to-seed "
                "distance) with its interval at the level of its decision, adjusted p of "
                "'supported' and of 'contradicted'.",
        labels={"confidence": "CI level", "p_adj": "p (supported)",
                "p_adj_contra": "p (contradicted)", "n_clusters": "circuits",
                "test": "registered test", "definition": "primary definition"}))
    items = ["In words (each claim on its primary definition):"]
    items += list(c.loc[c["role"] == "primary", "sentence"].astype(str))
    if not res.nas_given:
        items.append("The NAS claims need the NAS comparison table: pass `--nas "
                     "PATH.claims.csv` (written by `etr nas --compare`).")
    charts = []
    if not res.summary.empty:
        level = float(res.summary["ci_level"].iloc[0])
        weak = next((cl.bound for cl in reg.claims.values()
                     if cl.rule == "equivalence" and cl.bound is not None), WEAK_BOUND)
        charts.append(Figure(
            C.claims_forest(res.summary, margin=o.margin, weak_bound=weak, level=level),
            f"Association per configuration (rows within a panel) and definition (panels): "
            f"filled = given {given} (what the claims test), open = marginal (not conditioned, "
            f"shown beside it, never a verdict). Intervals at {_pct(level)}, the Bonferroni "
            "level of the verdict table; each claim's own interval, at its decision level, is "
            "in the tables.", name="claims_association"))
    full = _labelled(c, reg)
    full["verdict"] = c["verdict"].to_numpy()
    tables = [Table(
        _cols(full, ["claim", "definition", "role", "verdict", "estimate", "ci_low",
                     "ci_high", "confidence", "p_adj", "p_adj_contra", "estimate_uncorrected",
                     "instance_sd", "n_clusters", "sentence"]),
        badges=("verdict",), collapsed=True, name="claims",
        caption="Every definition of every claim: estimate (corrected circuit-level r, or a "
                "difference; NAS: mean distance difference), its interval at the level of its "
                "decision, adjusted p of each direction, the uncorrected circuit-mean r, the "
                "spread of the association between task instances, distinct circuits, and "
                "the verdict in words.",
        labels={"estimate": "estimate", "confidence": "CI level", "p_adj": "p (supported)",
                "p_adj_contra": "p (contradicted)", "n_clusters": "circuits",
                "estimate_uncorrected": "uncorrected r", "instance_sd": "instance SD"})]
    warn = _notes_for(res, "claims") + _eliminated_caveat(res)
    return Section("The paper's claims", intro, lead=lead, charts=charts, tables=tables,
                   items=items, warnings=warn)


# --- 2. secondary analyses ------------------------------------------------------------------


def _cell(r: pd.Series) -> str:
    if not np.isfinite(r["estimate"]):
        return str(r["verdict"])
    ci = (f" [{r['ci_low']:.2f}, {r['ci_high']:.2f}]" if np.isfinite(r["ci_low"]) else "")
    return f"{r['verdict']}: {r['estimate']:.2f}{ci}"


def _side_by_side(t: pd.DataFrame, registry: A.Registry) -> pd.DataFrame:
    """Rows (claim, definition), one column per analysis: 'verdict: estimate [CI]'."""
    t = t.assign(text=[_cell(r) for _, r in t.iterrows()])
    order = list(dict.fromkeys(t["analysis"]))
    wide = t.pivot_table(index=["claim", "definition"], columns="analysis", values="text",
                         aggfunc="first").reindex(columns=order)
    rank = {(c.name, d): (i, j) for i, c in enumerate(registry.claims.values())
            for j, d in enumerate(c.definitions)}
    wide = wide.reset_index()
    key = [rank.get((a, b), (99, 99)) for a, b in zip(wide["claim"], wide["definition"],
                                                       strict=True)]
    wide = wide.iloc[sorted(range(len(wide)), key=lambda i: key[i])].reset_index(drop=True)
    return _labelled(wide, registry).fillna("–")


def secondary_section(res: AnalysisResults) -> Section:
    """Per-task claims and the finite-shot level, each labelled as secondary."""
    s = res.claims_secondary
    heading = "Secondary analyses: per task and finite shots"
    if s.empty:
        why = []
        if len(res.design.tasks) <= 1:
            why.append("one task")
        if not res.design.shot_levels:
            why.append("exact runs only")
        text = ("Nothing to break down: the data hold " + " and ".join(why) + "."
                if why else "The secondary analyses could not be computed.")
        return Section(heading, text, warnings=_notes_for(res, "secondary"))
    per_task = s["breakdown"].astype(str).str.startswith("task")
    tables = []
    if per_task.any():
        tables.append(Table(
            _side_by_side(s[per_task], res.options.claims), name="claims_tasks",
            caption="Per task (secondary): the claims on each task's exact runs, given "
                    "n_qubits x layers; each task is its own Holm family, so this is a "
                    "breakdown, not a correction of the primary verdicts."))
    for family, t in s[~per_task].groupby("breakdown", sort=False):
        tables.append(Table(
            _side_by_side(t, res.options.claims), name=f"claims_shots_{len(tables)}",
            caption=f"Finite shots (secondary), {family}: the claims on the finite-shot runs "
                    "beside the exact runs of the same circuits, tasks and configurations; the "
                    "only difference between the two columns is the shot noise."))
    cells = "cells: verdict: estimate [interval at the row's Holm level]"
    return Section(heading, "These analyses are secondary: they describe where the primary "
                   "verdicts come from and how robust they are; they never change them. "
                   + cells + ".", tables=tables, warnings=_notes_for(res, "secondary"))


# --- 3. what the PQC adds -------------------------------------------------------------------


def _gap_sentence(r: pd.Series) -> str:
    cfg = C.config_label(r["training_config"])
    est = f"{r['estimate']:+.3f}"
    ci = (f" [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]" if np.isfinite(r["ci_low"])
          else " (no interval: fewer than 2 task instances)")
    if np.isfinite(r["ci_low"]) and r["ci_low"] > 0:
        verb = "the PQC adds accuracy"
    elif np.isfinite(r["ci_high"]) and r["ci_high"] < 0:
        verb = "the classical-only control is more accurate than the hybrid"
    else:
        verb = "no difference is shown"
    return f"{r['task']}, {cfg}: {verb}, hybrid − control = {est}{ci}."


def control_section(res: AnalysisResults) -> Section:
    """Hybrid minus classical-only control accuracy per task (and by pre-network and width)."""
    heading = "What the PQC adds"
    intro = ("Each hybrid run is paired with the classical-only control (the same classical "
             "parts with the PQC replaced by a fixed classical map of the same width) trained on "
             "the same task instance; the gap is the mean test-accuracy difference, with an "
             "interval over task instances. A trade-off that 'disappears under end-to-end "
             "training' only matters on tasks where the PQC adds something.")
    g = res.control
    if g.empty:
        return Section(heading, intro, warnings=_notes_for(res, "what the PQC adds") or [
            "not computed"])
    yes, no = _pqc_matters(res)
    items = [_gap_sentence(r) for _, r in g.iterrows() if np.isfinite(r["estimate"])]
    if yes or no:
        items.append(f"Under end-to-end training the PQC is shown to matter on: "
                     f"{', '.join(yes) or 'no task'}; not shown on: {', '.join(no) or 'none'}.")
    tables = [Table(_cols(_labelled(g), ["task", "training_config", "n", "n_clusters", "n_pqc",
                                         "hybrid_mean", "control_mean", "estimate", "ci_low",
                                         "ci_high", "p_adj"]),
                    caption=f"Hybrid − control test accuracy per task "
                            f"({_pct(res.options.confidence)} intervals over task instances; "
                            "p Holm-adjusted over the rows).",
                    labels={"training_config": _CONFIG, "n": "paired runs",
                            "n_clusters": "task instances", "n_pqc": "circuits",
                            "hybrid_mean": "hybrid", "control_mean": "control",
                            "estimate": "gap", "p_adj": "p (Holm)"}, name="control_gap")]
    d = res.control_detail
    if not d.empty:
        tables.append(Table(
            _cols(_labelled(d), ["task", "training_config", "classical_pre", "n_qubits", "n",
                                 "n_clusters", "hybrid_mean", "control_mean", "estimate",
                                 "ci_low", "ci_high", "p_adj"]),
            caption="The same by pre-network and width.", collapsed=True,
            labels={"training_config": _CONFIG, "classical_pre": "pre-network",
                    "n_qubits": "qubits", "n": "paired runs", "n_clusters": "task instances",
                    "hybrid_mean": "hybrid", "control_mean": "control", "estimate": "gap",
                    "p_adj": "p (Holm)"}, name="control_gap_detail"))
    return Section(heading, intro, charts=[Figure(C.control_gap_forest(g),
                                                  "Points: mean gap; bars: intervals.",
                                                  name="control_gap")],
                   tables=tables, items=items, warnings=_notes_for(res, "what the PQC adds"))


# --- 4. strength of the association ---------------------------------------------------------


def association_section(res: AnalysisResults) -> Section:
    """The verdict table (conditional and marginal), comparisons and the Sim KL beside."""
    heading = "Strength of the association"
    s = res.summary
    given = " x ".join(res.design.strata)
    intro = (f"The association given {given} per configuration and definition, the marginal "
             "one beside it (it mixes the design grid into the estimate and never enters a "
             "verdict), and the verdict in words. r is oriented: > 0 reads 'more expressive → "
             "less trainable' (the classic trade-off) whatever the definition's direction.")
    if s.empty:
        return Section(heading, intro, warnings=_notes_for(res, "trade-off summary") or [
            "the trade-off summary could not be computed"])
    level = float(s["ci_level"].iloc[0])
    m = int(np.isfinite(s["estimate"].astype(float)).sum())
    t = _labelled(s)
    t = t.rename(columns={"ci_low": "cond_ci_low", "ci_high": "cond_ci_high"})
    tables = [Table(
        _cols(t, ["training_config", "definition", "n_clusters", "estimate", "cond_ci_low",
                  "cond_ci_high", "estimate_marginal", "marginal_ci_low", "marginal_ci_high",
                  "p_adj", "verdict", "slope", "n_regimes"]),
        caption=f"Verdict table. Intervals at {_pct(level)} = 1 − α/m with α = "
                f"{res.options.alpha:g} over the m = {m} rows with an estimate (Bonferroni), "
                "p Bonferroni-adjusted; slope: mixed-model slope per configuration (log10 "
                "where the registry marks a column log-scaled); regimes: BIC-selected "
                "segments.",
        labels={"training_config": _CONFIG, "n_clusters": "circuits",
                "estimate": "r given width, depth", "cond_ci_low": "CI",
                "estimate_marginal": "marginal r", "marginal_ci_low": "marginal CI",
                "p_adj": "p (Bonferroni)", "n_regimes": "regimes"},
        badges=("verdict",), name="tradeoff_summary")]
    cmp_ = res.comparisons
    if not cmp_.empty:
        tables.append(Table(
            _cols(_labelled(cmp_), ["definition", "group_a", "group_b", "estimate_a",
                                    "estimate_b", "estimate", "ci_low", "ci_high", "ci_level",
                                    "p_adj", "n_clusters"]),
            caption="Does the association differ between configurations? estimate = r(a) − "
                    "r(b) given width and depth, paired by circuit; p Holm-adjusted over the "
                    "table, each interval at the level of its Holm step (CI level).",
            labels={"group_a": "a", "group_b": "b", "estimate_a": "r(a)", "estimate_b": "r(b)",
                    "estimate": "r(a) − r(b)", "ci_level": "CI level", "p_adj": "p (Holm)",
                    "n_clusters": "circuits"}, name="comparisons", collapsed=True))
    kl = res.association_kl
    if not kl.empty:
        both = s[["training_config", "definition", "estimate", "estimate_marginal"]].merge(
            kl[["training_config", "definition", "estimate", "ci_low", "ci_high",
                "estimate_marginal"]], on=["training_config", "definition"],
            suffixes=("_fp", "_kl"))
        tables.append(Table(
            _cols(_labelled(both), ["training_config", "definition", "estimate_fp",
                                    "estimate_kl", "ci_low", "ci_high", "estimate_marginal_fp",
                                    "estimate_marginal_kl"]),
            caption=f"The paper-comparable x: the same association with the Sim et al. KL "
                    f"({C.metric_label(PAPER_X)}) as x, interval at {_pct(level)}. Within a "
                    "stratum the KL's width-dependent bias cancels; the marginal KL association "
                    "mixes it in.",
            labels={"training_config": _CONFIG, "estimate_fp": "r given w, d (FP ratio)",
                    "estimate_kl": "r given w, d (KL)", "ci_low": "KL CI",
                    "estimate_marginal_fp": "marginal (FP ratio)",
                    "estimate_marginal_kl": "marginal (KL)"}, name="association_kl",
            collapsed=True))
    return Section(heading, intro, tables=tables,
                   warnings=_notes_for(res, "trade-off summary", "comparison", "association"))


# --- 5-6. scatter plots and cells -----------------------------------------------------------


def scatter_section(res: AnalysisResults) -> Section:
    charts = []
    pqc = res.data[pqc_rows(res.data)]
    for d in res.definitions:
        m = METRICS[d]
        cap = f"One point per run; colour: layers. y: {m.meaning} ({m.direction})."
        if m.censor:
            cap += (" Open triangles: censored runs (the target was never reached), drawn at "
                    "the censoring value; the association ties them above every observed "
                    "value.")
        charts.append(Figure(C.tradeoff_scatter(pqc, y=d, x=res.options.x), cap,
                             name=f"scatter_{d}"))
    x = METRICS[res.options.x]
    return Section("Expressibility vs trainability",
                   f"x: {x.label} ({x.direction}); left = more expressive. One panel per "
                   "configuration" + (" and a row per task" if len(res.design.tasks) > 1
                                      else "") + ". The verdicts compare circuits of the same "
                   "width and depth; the colours show how much of the cloud is the design "
                   "grid.", charts=charts)


def cells_section(res: AnalysisResults) -> Section:
    charts = []
    s = res.stratified
    if not s.empty:
        s = s.copy()
        if "training_config" not in s.columns:
            s["training_config"] = res.configs[0]
        charts.append(Figure(C.stratified_heatmap(
            s, title=f"Rank correlation with {C.metric_label(res.model_definition)} within "
                     "qubits x layers cells"),
            "Spearman ρ of circuit means within each cell, oriented (> 0 = trade-off); "
            "Benjamini-Hochberg adjusted p-values in the JSON output.",
            name="stratified_heatmap"))
    return Section("Within width and depth cells",
                   "Where does the pooled association come from? The same rank correlation in "
                   "each (qubits, layers) cell.", charts=charts,
                   warnings=_notes_for(res, "cell correlations"))


# --- 7. expressibility measures and theory --------------------------------------------------


def theory_section(res: AnalysisResults) -> Section:
    heading = "Theory: the dynamical Lie algebra"
    th = res.theory
    c = th.circuits
    intro = ("Ragone et al. (2024) predict the variance of the cost of a deep circuit from its "
             "dynamical Lie algebra (DLA). The measured variance over random parameters should "
             "approach the prediction as depth grows, so the prediction is tested only where a "
             f"circuit is deep enough ({T.DEEP_RULE}); there a plateau is explained by the DLA "
             f"when the measured variance is within ±{100 * th.tolerance:g}% of the prediction "
             "(a stated tolerance: the sampling error of the measurement is a few per cent, the "
             "rest allows for finite depth). At one layer the ratio is the single-layer value, "
             "known exactly for a diagonal or no entangler.")
    if c.empty or "loss_var" not in c.columns:
        return Section(heading, intro, warnings=["no theory columns (dla_dim, loss_var, "
                                                 "predicted_loss_var) in the data"])
    charts, tables, items = [], [], []
    has_pred = np.isfinite(c["predicted_loss_var"].astype(float)) \
        if "predicted_loss_var" in c.columns else np.zeros(len(c), dtype=bool)
    if has_pred.any():
        charts.append(Figure(C.loss_variance_chart(c[has_pred], tolerance=th.tolerance),
                             "One line per circuit structure across depth; one panel per width. "
                             "The convergence the theory predicts is the approach to 1 as the "
                             "depth grows.", name="loss_variance"))
        items += _theory_counts(c[has_pred], th.tolerance)
        conv = th.convergence
        if not conv.empty:
            tables.append(Table(conv, caption="Measured / predicted by depth per circuit "
                                "structure: the convergence to the deep-circuit value; exact "
                                "L=1: the closed-form single-layer ratio; converged from: the "
                                "first depth from which every deeper ratio is within "
                                f"±{100 * th.tolerance:g}% (– when the deepest is not).",
                                labels={"n_qubits": "qubits", "exact_L1": "exact L=1",
                                        "converged_from": "converged from L"},
                                name="theory_convergence"))
        tables.append(Table(th.explained, caption="Where the DLA explains the plateau, by "
                            "family, width and depth (median ratio = measured / predicted; "
                            "explained counted only where deep enough).",
                            labels={"n_qubits": "qubits", "median_ratio": "median ratio",
                                    "not_applicable": "no prediction",
                                    "deep_enough": "deep enough"},
                            name="theory_explained", collapsed=True))
    na = th.not_applicable
    n_na = int(na["circuits"].sum()) if len(na) else 0
    items.append(f"{n_na} of {len(c)} circuits have no prediction"
                 + (": " + "; ".join(f"{r.circuits} {r.family}: {r.reason}"
                                     for r in na.itertuples()) if n_na else "") + ".")
    if n_na:
        tables.append(Table(na, caption="Circuits where Ragone et al.'s formula does not apply, "
                            "by reason (theory_note).", name="theory_not_applicable"))
    if "dla_dim" in c.columns and np.isfinite(c["dla_dim"].astype(float)).any():
        for x in (res.options.x, "grad_var"):
            if x in c.columns:
                charts.append(Figure(C.dla_scatter(c, x=x),
                                     f"One point per circuit; {C.metric_label(x)}"
                                     + (" is the mean over the circuit's pure-PQC runs."
                                        if x == "grad_var" else "."),
                                     name=f"dla_{x}"))
    return Section(heading, intro, charts=charts, tables=tables, items=items)


def _theory_counts(c: pd.DataFrame, tolerance: float) -> list[str]:
    """The explained counts on deep circuits only, and the single-layer check."""
    items = []
    deep = c[c["deep_enough"].astype(bool)] if "deep_enough" in c.columns else c
    shallow = len(c) - len(deep)
    n_ok = int(deep["within_tolerance"].fillna(False).sum())
    if len(deep):
        items.append(f"{n_ok} of {len(deep)} circuits deep enough to test the prediction "
                     f"({T.DEEP_RULE}) are explained by their DLA (measured within "
                     f"±{100 * tolerance:g}%); {shallow} shallower circuits are not counted "
                     "either way.")
    else:
        items.append(f"No circuit is deep enough to test the deep-circuit prediction "
                     f"({T.DEEP_RULE}); the {shallow} circuits with a prediction show how "
                     "measured/predicted approaches it with depth, nothing more.")
    if "single_layer_ratio" in c.columns:
        one = c[np.isfinite(c["single_layer_ratio"].astype(float))]
        if len(one):
            rel = (one["ratio"].astype(float) / one["single_layer_ratio"].astype(float) - 1.0)
            items.append(f"At one layer measured/predicted is the exact single-layer value, not "
                         f"an approach to the deep value: {len(one)} one-layer circuits with a "
                         "closed form (a diagonal or no entangler) measure within "
                         f"{100 * float(rel.abs().max()):.1f}% of it (median exact ratio "
                         f"{float(one['single_layer_ratio'].median()):.2f}).")
    return items


def expressibility_section(res: AnalysisResults) -> Section:
    c = res.theory.circuits
    x, k = METRICS[res.options.x], METRICS[PAPER_X]
    text = (f"The x axis of every verdict is the {x.label} ({x.meaning}; {x.direction}). The "
            f"Sim et al. KL, the measure the paper uses, is shown beside it: {k.meaning}. Its "
            "bias makes KL values of different widths incomparable; the association given "
            "width and depth compares circuits of one width only, so the bias cancels there.")
    if c.empty or res.options.x not in c.columns:
        return Section("The x axis: expressibility measures", text)
    measures = [m for m in (res.options.x, PAPER_X) if m in c.columns
                and np.isfinite(c[m].astype(float)).any()]
    return Section("The x axis: expressibility measures", text, charts=[Figure(
        C.expressibility_chart(c, measures=measures),
        "One point per circuit with its sampling interval; colour: qubits.",
        name="expressibility")], tables=[_measures_table(c, res.options.x)])


def _measures_table(circuits: pd.DataFrame, x: str) -> Table:
    """Every registered expressibility measure the dataset holds, with its rank agreement with
    the primary x over the circuits (a new measure in the registry shows up here)."""
    primary = pd.to_numeric(circuits[x], errors="coerce")
    rows = []
    for name in EXPRESSIBILITY_MEASURES:
        values = (pd.to_numeric(circuits[name], errors="coerce") if name in circuits.columns
                  else pd.Series(dtype=float))
        n = int(values.notna().sum())
        if n:
            both = values.notna() & primary.notna()
            rho = (float(values[both].corr(primary[both], method="spearman"))
                   if both.sum() > 2 else float("nan"))
            m = METRICS[name]
            rows.append({"measure": m.label, "column": name, "direction": m.direction,
                         "circuits": n, "spearman_with_x": rho, "meaning": m.meaning})
    return Table(pd.DataFrame(rows), caption="Every registered expressibility measure in the "
                 f"dataset and its Spearman rank correlation with the x axis ({x}) over the "
                 "circuits.", labels={"spearman_with_x": "Spearman with x"},
                 name="expressibility_measures", collapsed=True)


# --- 8-10. models and performance -----------------------------------------------------------


def mixed_section(res: AnalysisResults) -> Section:
    d = res.model_definition or res.primary
    r = res.mixed
    heading = f"Mixed-effects model ({C.metric_label(d)})"
    if r is None:
        return Section(heading, warnings=_notes_for(res, "mixed model") or ["not computed"])
    charts, tables = [], []
    if "training_config" in r.slopes.columns and len(r.slopes):
        charts.append(Figure(C.slope_forest(r.slopes, x=res.options.x, y=d),
                             f"Model: {r.formula}.", name="mixed_slopes"))
    tables.append(Table(_cols(r.fixed_effects, ["term", "estimate", "se", "ci_low", "ci_high",
                                                "p_value"]),
                        caption="Fixed effects (REML).", name="fixed_effects", collapsed=True))
    tables.append(Table(_cols(r.variance_components, ["component", "variance", "sd"]),
                        caption="Variance components.", name="variance_components",
                        collapsed=True))
    if len(r.lrt):
        tables.append(Table(r.lrt, caption="Likelihood-ratio test, AIC and BIC (ML fits).",
                            name="model_comparison", collapsed=True))
    return Section(heading, f"{r.method}. n = {r.n} runs of {r.n_groups} circuits; R² marginal "
                   f"{r.r2_marginal:.2f}, conditional {r.r2_conditional:.2f}; converged: "
                   f"{'yes' if r.converged else 'no'}. The slopes of every definition are in "
                   "the verdict table; none enters a verdict.", charts=charts, tables=tables,
                   items=[f"Model note: {w}" for w in r.warnings],
                   warnings=_notes_for(res, "mixed model"))


def regime_section(res: AnalysisResults) -> Section:
    d, x = res.model_definition or res.primary, res.options.x
    r = res.regimes
    heading = f"Regimes ({C.metric_label(d)})"
    if r is None:
        return Section(heading, warnings=_notes_for(res, "regimes") or ["not computed"])
    x_log, y_log = METRICS[x].log_scale, METRICS[d].log_scale
    pts = res.data[res.data["training_config"].astype(str).isin(
        [c for c, v in CONFIGS.items() if v.has_pqc])].copy()
    note = "; ".join(n for n in (C.log_note(pts[c], what="runs") for c, log in
                                 ((x, x_log), (d, y_log)) if log) if n)
    for col, log in ((x, x_log), (d, y_log)):
        v = pd.to_numeric(pts[col], errors="coerce").astype(float)
        if log:
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.log10(v.where(v > 0))
        pts[col] = v
    fits, bps = r.fits.copy(), r.breakpoints.copy()
    for f in (fits, bps):
        if "training_config" not in f.columns:
            f["training_config"] = res.configs[0]
    charts = []
    if len(fits):
        charts.append(Figure(C.regime_plot(pts, fits, bps, y=d, x=x, x_log=x_log, y_log=y_log,
                                           note=note),
                             "Segmented regression of circuit means with the number of "
                             "breakpoints chosen by BIC; descriptive (the pre-registered regime "
                             "test is the claim 'the pure-PQC relationship changes between "
                             "regimes').", name=f"regimes_{d}"))
    tables = []
    sel = r.selection
    if len(sel) and "selected" in sel.columns:
        tables.append(Table(_labelled(sel[sel["selected"].astype(bool)]).drop(
            columns=["selected"]), caption="Selected number of breakpoints (BIC) and Davies' "
            "test of 'no change in slope' (p-value upper bound).",
            labels={"training_config": _CONFIG, "n_breakpoints": "breakpoints",
                    "davies_p": "Davies p"}, name="regime_selection"))
    if len(r.segments):
        tables.append(Table(_labelled(r.segments), caption="Segments (x on the model scale).",
                            labels={"training_config": _CONFIG}, name="regime_segments",
                            collapsed=True))
    return Section(heading, charts=charts, tables=tables, warnings=_notes_for(res, "regimes"))


def performance_section(res: AnalysisResults) -> Section:
    y = next((c for c in ("test_accuracy", "final_loss") if c in res.data.columns
              and res.data[c].notna().any()), None)
    if y is None:
        return Section("Task performance", warnings=["no task-performance column "
                                                     "(test_accuracy, final_loss) in the data"])
    pqc = res.data[res.data["training_config"].astype(str).isin(
        [c for c, v in CONFIGS.items() if v.has_pqc])]
    return Section("Task performance", "Does trainability translate into task performance?",
                   charts=[Figure(C.performance_scatter(pqc, x=res.primary, y=y),
                                  f"{C.metric_label(y)} after training against "
                                  f"{C.metric_label(res.primary)}.", name="performance")])


# --- 11. data quality and coverage ----------------------------------------------------------


def quality_section(res: AnalysisResults) -> Section:
    q, cov = res.quality, res.coverage
    total = cov[cov["training_config"] == "total"].iloc[0] if len(cov) else None
    items = []
    if total is not None:
        items.append(f"{int(total['runs'])} runs in the file: {int(total['failed'])} failed, "
                     f"{int(total['duplicated'])} duplicated (dropped, the first copy kept) "
                     f"and {int(total['impossible'])} with an impossible design value "
                     f"(dropped); {int(total['finite_shot'])} finite-shot runs (secondary "
                     f"analysis only); {int(total['used'])} runs of {int(total['circuits'])} "
                     "circuits used by the primary analysis.")
    if q.empty:
        items.append("No doubtful value found (no duplicate, non-finite or impossible value "
                     "in a measured column).")
    tables = []
    if not q.empty:
        tables.append(Table(_labelled(q), caption="Doubtful data, by issue, column and "
                            "configuration, the first affected rows (by cell id) and what the "
                            "analysis does with them.",
                            labels={"training_config": _CONFIG, "n_rows": "rows",
                                    "n_affected": "affected", "rows": "affected rows"},
                            name="data_quality"))
    tables.append(Table(_labelled(cov), caption="What the analysis used, per configuration: "
                        "runs in the file, failed, duplicated, with an impossible design value, "
                        "finite-shot (secondary only), "
                        "primary (exact), used (primary with a finite expressibility; the "
                        "control has none) and what the used runs span.",
                        labels={"training_config": _CONFIG, "finite_shot": "finite-shot",
                                "primary": "primary (exact)"}, name="coverage"))
    if not res.failed.empty:
        shown = res.failed.head(MAX_ROWS_SHOWN)
        more = (f", first {MAX_ROWS_SHOWN} shown" if len(res.failed) > MAX_ROWS_SHOWN else "")
        tables.append(Table(shown, caption=f"Failed runs ({len(res.failed)}{more}).",
                            name="failed_cells", collapsed=True))
    warn = [n for n in res.notes if not any(n.startswith(k) for k in (
        "claims", "secondary", "what the PQC adds", "trade-off summary", "comparison",
        "association", "cell correlations", "mixed model", "regimes"))]
    return Section("Data quality and coverage", items=items, tables=tables, warnings=warn)


# --- 12. methods ----------------------------------------------------------------------------


def methods_section(res: AnalysisResults) -> Section:
    o, design = res.options, res.design
    x, k = METRICS[o.x], METRICS[PAPER_X]
    n_circuits = int(res.data["pqc_id"].nunique()) if "pqc_id" in res.data.columns else 0
    items = [
        *design.describe(),
        f"x axis: {x.label} — {x.meaning}; {x.direction}. Beside it, as the paper-comparable "
        f"measure: {k.label} — {k.meaning}. Because that bias depends on width, the marginal "
        "KL association with trainability mixes width into the estimate; within a width-depth "
        "stratum it cancels.",
        "Directions (registry): " + "; ".join(
            f"{d}: {METRICS[d].direction}" + (" (right-censored when the target is never "
                                              "reached; censored runs tie above every "
                                              "observed value)" if METRICS[d].censor else "")
            for d in o.definitions) + ". Every r is oriented so that > 0 reads 'more "
        "expressive → less trainable'.",
        f"Estimand: the association between a circuit's expressibility and the circuit's "
        "expected trainability over the design's replicates, task instances and classical "
        f"variants, given {' x '.join(design.strata)}; {n_circuits} distinct circuits "
        "(pqc_id) in the primary runs. Each circuit's value is its mean normal score over its "
        "runs with the task instances' main effects removed; Kendall's tau-b between the "
        "circuits of each stratum, pooled, as r = sin(π τ / 2), divided by the square root of "
        "the reliabilities of x and of the circuit values (regression dilution, estimated "
        "from the within-circuit spread over instances; Spearman 1904, Fuller 1987, Frost & "
        "Thompson 2000); the uncorrected circuit-mean r is shown beside it. Intervals: "
        "Fieller's for the corrected ratio, with the variance over distinct circuits "
        "(unbiased U-statistic, Welch-Satterthwaite degrees of freedom over independent "
        "blocks of circuits) plus the spread of the association between task instances "
        "(estimated from pairs of instances net of their own sampling variance).",
        f"Claims: {_registry_text(o.claims)}. " + " ".join(
            f"({i}) {c.meaning} — primary {c.primary} ({c.reason}); test: {c.test}."
            for i, c in enumerate(o.claims.claims.values(), 1)),
        f"Multiplicity: family-wise α = {o.alpha:g} for 'supported' and for 'contradicted' "
        "(Holm over the primary tests of the association claims in each direction, each "
        "interval at the level of its Holm step: 1 − 2α_i for one-sided and equivalence "
        "tests); secondary definitions by fixed-sequence gatekeeping behind their primary, in "
        "the direction of its verdict and at its level; the NAS claims as a fixed sequence. "
        f"Equivalence margin ±{o.margin:g} ('eliminated', 'no regime difference'). 'Shown "
        "absent' means equivalence (the interval inside the margin), 'not detected' means "
        "the interval includes 0 but reaches beyond the margin. Robustness: every primary "
        "verdict re-decided with each registered adjustment set added to the strata.",
        f"Verdict table (strata here: {' x '.join(design.strata)}): {A.VERDICT_RULE}",
    ]
    if not res.comparisons.empty:
        items.append(f"Comparisons: {res.comparisons['method'].iloc[0]}.")
    if not res.control.empty:
        items.append(f"Control gap: {res.control['method'].iloc[0]}.")
    items.append(f"Theory: a plateau is 'explained by the DLA' when measured Var⟨O⟩ is within "
                 f"±{100 * res.theory.tolerance:g}% of the Ragone et al. prediction.")
    items.append(f"Randomness: root seed {o.seed} (each step gets a seed spawned from it); "
                 f"{o.n_boot} bootstrap replicates for the control gap, {o.regime_boot} for "
                 "breakpoint intervals; the association uses the unbiased U-statistic variance "
                 "(no resampling); the NAS permutation tests enumerate every relabelling.")
    details = []
    spec = res.provenance.get("spec")
    if spec:
        details.append(("Experiment spec", str(spec)))
    return Section("Methods", items=items, details=details)


def build_sections(res: AnalysisResults) -> list[Section]:
    """The sections of an `etr analyze` report, in reading order."""
    noise = [noise_section(res)] if res.noise is not None else []  # only with noise levels
    return [claims_section(res), secondary_section(res), *noise, *shots_sections(res),
            control_section(res),
            association_section(res), scatter_section(res), cells_section(res),
            expressibility_section(res), theory_section(res), mixed_section(res),
            regime_section(res), performance_section(res), quality_section(res),
            methods_section(res)]
