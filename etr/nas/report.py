"""The NAS report: fronts, the seed-to-seed noise reference, the classical-only control.

Chart builders are pure functions of tidy DataFrames; axes, log ticks and configuration colours
come from `etr.report.charts`, directions and labels from the registry `etr.contract.METRICS`
(through `etr.nas.objectives.Objective`); the page shell is `etr.report.render_page`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from etr.contract import CONFIGS
from etr.nas.compare import BY_DEFINITION, BY_TRAINING
from etr.nas.objectives import Objective
from etr.nas.run import NasResult
from etr.nas.search import normalised_objectives, objective_bounds
from etr.report.charts import scale_axis

__all__ = [
    "claim_verdicts",
    "control_chart",
    "distance_chart",
    "distance_summary",
    "front_projection_chart",
    "hypervolume_chart",
    "nas_report",
    "parallel_coordinates_chart",
]

_SHOWN = ["search", "trial", "label", "n_qubits", "layers", "classical_pre", "classical_post",
          "n_quantum_params", "n_classical_params"]
_FRONT, _DOMINATED = "Pareto-optimal (all objectives)", "dominated"
_NAS_CLAIMS = (BY_TRAINING, BY_DEFINITION)
_CLAIM_TEXT = {BY_TRAINING: "fronts differ by training configuration (quantum-only vs "
                            "end-to-end), same definition",
               BY_DEFINITION: "fronts differ by trainability definition, same training"}


def _scale(ob: Objective) -> alt.Scale:
    return alt.Scale(type="log", nice=False) if ob.log_scale else alt.Scale(zero=False)


def front_projection_chart(trials: pd.DataFrame, x: Objective, y: Objective) -> alt.FacetChart:
    """Completed trials of every search in two objectives (replicate means, with +-1 standard
    error bars on y), Pareto-optimal ones highlighted (non-dominated in *all* objectives); rows =
    setting, columns = search seed; axis titles are the registry labels with the direction
    (min / max), log axes where the registry says so. `trials` holds the columns ``setting,
    search_seed`` and both objective columns (the trainability column must be the same in all
    rows)."""
    d = trials[trials["state"] == "COMPLETE"].copy()
    d["x"], d["y"] = d[x.column].astype(float), d[y.column].astype(float)
    se = d.get(f"{y.column}_se", pd.Series(np.nan, index=d.index)).astype(float).fillna(0.0)
    d["y_low"], d["y_high"] = d["y"] - se, d["y"] + se
    if y.log_scale:
        d["y_low"] = d["y_low"].where(d["y_low"] > 0, d["y"])
    d["on front"] = np.where(d["pareto"], _FRONT, _DOMINATED)
    d["search seed"] = d["search_seed"].astype(int)
    d = d[["x", "y", "y_low", "y_high", "on front", "label", "trial", "setting",
           "search seed"]]
    xs, ys = _scale(x), _scale(y)
    base = alt.Chart(d)
    color = alt.Color("on front:N", title=None, legend=alt.Legend(orient="bottom"),
                      scale=alt.Scale(domain=[_FRONT, _DOMINATED], range=["#d62728", "#9ecae1"]))
    bars = base.mark_rule(opacity=0.5).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y_low:Q", scale=ys), y2="y_high:Q", color=color)
    points = base.mark_point(filled=True, size=40).encode(
        x=alt.X("x:Q", title=x.label, scale=xs, axis=scale_axis(xs, d["x"])),
        y=alt.Y("y:Q", title=y.label, scale=ys, axis=scale_axis(ys, d["y"])),
        color=color, tooltip=["setting", "search seed", "trial", "label",
                              alt.Tooltip("x:Q", format=".4g"), alt.Tooltip("y:Q", format=".4g")])
    return (alt.layer(bars, points).properties(width=230, height=170)
            .facet(row=alt.Row("setting:N", title=None, header=alt.Header(labelAngle=0,
                                                                           labelAlign="left")),
                   column=alt.Column("search seed:O"))
            .resolve_scale(y="independent"))


def parallel_coordinates_chart(front: pd.DataFrame) -> alt.Chart:
    """Parallel coordinates of Pareto-optimal architectures: one line per (search, architecture)
    over the normalised objectives (0 = best observed, 1 = worst), coloured by setting."""
    return (
        alt.Chart(front).mark_line(opacity=0.6, point=True)
        .encode(
            x=alt.X("objective:N", title=None, sort=None),
            y=alt.Y("scaled:Q", title="normalised objective (0 = best)",
                    scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("setting:N", legend=alt.Legend(orient="bottom", columns=1,
                                                           labelLimit=400)),
            detail="key:N",
            tooltip=["search", "label", "objective", alt.Tooltip("value:Q", format=".4g")],
        )
        .properties(width=520, height=240)
    )


def hypervolume_chart(curves: pd.DataFrame) -> alt.Chart:
    """Normalised hypervolume of the front after every trial: one line per search, colour =
    setting, dash = search seed."""
    d = curves.assign(**{"search seed": curves["search_seed"].astype(int)})
    return (
        alt.Chart(d).mark_line(interpolate="step-after")
        .encode(x=alt.X("trial:Q", title="trial"),
                y=alt.Y("hypervolume:Q", title="hypervolume (common reference)"),
                color=alt.Color("setting:N", legend=alt.Legend(orient="bottom", columns=1,
                                                               labelLimit=400)),
                strokeDash=alt.StrokeDash("search seed:O"),
                tooltip=["search", "trial", alt.Tooltip("hypervolume:Q", format=".3f")])
        .properties(width=520, height=220)
    )


def distance_chart(distances: pd.DataFrame) -> alt.FacetChart:
    """``1 - Jaccard`` of pairs of fronts: between two settings vs between two search seeds of
    one setting, per claim (rows) and scope (columns: the searches' own fronts, the common
    pool). Between pairs of one search seed are hollow (not used by the claims)."""
    d = distances[distances["claim"].notna()].copy()
    d["pair"] = np.where(d["kind"] == "within", "within a setting (seed vs seed)",
                         "between settings")
    d["same seed"] = np.where(d["same_seed"] & (d["kind"] == "between"),
                              "same search seed (not used)", "different search seeds")
    d["scope"] = d["scope"].map({"search": "fronts the searches found",
                                 "pool": "fronts over the common pool"})
    d["claim"] = d["claim"].map({BY_TRAINING: "by training configuration",
                                 BY_DEFINITION: "by trainability definition"})
    d = d[["pair", "same seed", "scope", "claim", "search_a", "search_b", "distance"]]
    return (
        alt.Chart(d).mark_point(size=70, filled=False, strokeWidth=2)
        .encode(
            y=alt.Y("pair:N", title=None),
            x=alt.X("distance:Q", title="1 - Jaccard of the Pareto sets (0 = same set)",
                    scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("pair:N", legend=None,
                            scale=alt.Scale(domain=["within a setting (seed vs seed)",
                                                    "between settings"],
                                            range=["#7f7f7f", "#d62728"])),
            shape=alt.Shape("same seed:N", legend=alt.Legend(orient="bottom", title=None),
                            scale=alt.Scale(domain=["different search seeds",
                                                    "same search seed (not used)"],
                                            range=["circle", "cross"])),
            yOffset=alt.YOffset("same seed:N"),
            tooltip=["search_a", "search_b", alt.Tooltip("distance:Q", format=".3f")])
        .properties(width=300, height=80)
        .facet(row=alt.Row("claim:N", title=None, header=alt.Header(labelAngle=0,
                                                                    labelAlign="left",
                                                                    labelLimit=300)),
               column=alt.Column("scope:N", title=None))
    )


def control_chart(control: pd.DataFrame) -> alt.FacetChart:
    """Test accuracy of every pool architecture (replicate-block mean) against its
    classical-only control's on the same task instances; above the diagonal the PQC adds
    accuracy. One panel per training configuration, colour = classical pre-network (``none``:
    the PQC sees the features through the encoding; trained: a classical network maps them to
    the encoding's angles)."""
    d = control.drop_duplicates(["training_config", "search_seed", "architecture_id"]).copy()
    d["pre-network"] = np.where(d["classical_pre"] == "none", "none", "trained")
    d["configuration"] = d["training_config"].map(lambda c: CONFIGS[c].label)
    d = d[["configuration", "pre-network", "label", "search_seed", "test_accuracy",
           "control_accuracy", "gap"]]
    lo = float(min(d["test_accuracy"].min(), d["control_accuracy"].min(), 0.5)) if len(d) else 0
    lo = np.floor(lo * 10) / 10
    scale = alt.Scale(domain=[lo, 1.0], nice=False)
    base = alt.Chart(d)
    diag = base.mark_rule(color="#444", strokeDash=[4, 3]).encode(
        x=alt.datum(lo, scale=scale), y=alt.datum(lo, scale=scale), x2=alt.datum(1.0),
        y2=alt.datum(1.0))
    pts = base.mark_point(size=40, filled=True, opacity=0.7).encode(
        x=alt.X("control_accuracy:Q", title="classical-only control: test accuracy",
                scale=scale),
        y=alt.Y("test_accuracy:Q", title="hybrid: test accuracy", scale=scale),
        color=alt.Color("pre-network:N", title="classical pre-network",
                        scale=alt.Scale(domain=["none", "trained"],
                                        range=["#D55E00", "#0072B2"]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=["configuration", "label", "search_seed",
                 alt.Tooltip("test_accuracy:Q", format=".3f"),
                 alt.Tooltip("control_accuracy:Q", format=".3f"),
                 alt.Tooltip("gap:Q", format="+.3f")])
    order = [CONFIGS[c].label for c in CONFIGS]
    return (alt.layer(diag, pts).properties(width=260, height=260)
            .facet(column=alt.Column("configuration:N", title=None, sort=order)))


def claim_verdicts(result: NasResult) -> tuple[pd.DataFrame | None, str]:
    """The two NAS claims decided by `etr.analysis.evaluate_claims` on the claims table, or
    (None, why not) when this etr has no ``evaluate_claims`` or it refuses the data."""
    try:
        from etr.analysis import evaluate_claims
    except ImportError:
        return None, ("etr.analysis.evaluate_claims is not available in this version of etr; "
                      "the claims table is written for it (<report>.claims.csv)")
    from etr.errors import InputError

    try:
        res = evaluate_claims(result.runs, nas=result.claims)
    except InputError as exc:
        return None, f"evaluate_claims did not decide the NAS claims: {exc}"
    res = res[res["claim"].isin(_NAS_CLAIMS)]
    cols = [c for c in ("claim", "verdict", "estimate", "p_value", "p_adj", "n", "sentence")
            if c in res.columns]
    return res[cols].reset_index(drop=True), ""


def distance_summary(distances: pd.DataFrame) -> pd.DataFrame:
    """Per scope, claim and kind of pair (within; between with different search seeds; between
    with the same seed): the number of pairs and the mean, min and max distance."""
    d = distances.copy()
    d["pair"] = np.where(d["kind"] == "within", "within (seed vs seed)",
                         np.where(d["same_seed"], "between, same seed (not used)",
                                  "between, different seeds"))
    d["claim"] = d["claim"].fillna("(both factors differ)")
    out = (d.groupby(["scope", "claim", "pair"], sort=False)["distance"]
           .agg(pairs="count", mean="mean", min="min", max="max").reset_index())
    return out


def _separation(distances: pd.DataFrame) -> list[str]:
    """One line per (scope, claim): the within and between distances and whether they separate."""
    lines = []
    scope_text = {"search": "fronts the searches found", "pool": "common pool"}
    for (scope, claim), g in distances[distances["claim"].notna()].groupby(
            ["scope", "claim"], sort=False):
        within = g.loc[g["kind"] == "within", "distance"].to_numpy()
        between = g.loc[(g["kind"] == "between") & ~g["same_seed"], "distance"].to_numpy()
        if not len(within) or not len(between):
            lines.append(f"{scope_text[scope]}, {_CLAIM_TEXT[claim]}: no "
                         f"{'seed-to-seed' if not len(within) else 'between-setting'} "
                         "distance (one search seed per setting?)")
            continue
        sep = "every between distance exceeds every within one" if between.min() > within.max() \
            else "between and within distances overlap"
        lines.append(
            f"{scope_text[scope]}, {_CLAIM_TEXT[claim]}: within (seed vs seed) "
            f"{', '.join(f'{v:.2f}' for v in within)}; between "
            f"{', '.join(f'{v:.2f}' for v in between)}: {sep}")
    return lines


def _parallel_frame(result: NasResult) -> pd.DataFrame:
    done = [r.trials[r.trials["state"] == "COMPLETE"] for r in result.results]
    obs_all = {o.column: o for r in result.results for o in r.objectives}
    bounds = objective_bounds(done, list(obs_all.values()))
    rows = []
    for r, d in zip(result.results, done, strict=True):
        f = d[d["pareto"]].drop_duplicates("architecture_id")
        scaled = normalised_objectives(f, r.objectives, bounds)
        for i, (_, row) in enumerate(f.iterrows()):
            for j, ob in enumerate(r.objectives):
                rows.append({"search": r.label, "setting": r.setting.label,
                             "key": f"{r.label}:{i}", "label": row["label"],
                             "objective": ob.name, "value": float(row[ob.column]),
                             "scaled": float(scaled[i, j])})
    return pd.DataFrame(rows, columns=["search", "setting", "key", "label", "objective", "value",
                                       "scaled"])


def _front_table(result: NasResult) -> pd.DataFrame:
    frames = []
    for r in result.results:
        f = r.front()
        cols = [c for c in _SHOWN if c in f.columns]
        for o in r.objectives:
            cols += [o.column] + ([f"{o.column}_se"] if f"{o.column}_se" in f.columns else [])
        frames.append(f[list(dict.fromkeys(cols))])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _projections(result: NasResult, i: int, j: int) -> list[alt.FacetChart]:
    """One faceted chart per trainability definition (the y column differs between them)."""
    charts = []
    by_column: dict[tuple[str, str], list] = {}
    for r in result.results:
        key = (r.objectives[i].column, r.objectives[j].column)
        by_column.setdefault(key, []).append(r)
    for rs in by_column.values():
        trials = pd.concat([r.trials for r in rs], ignore_index=True)
        charts.append(front_projection_chart(trials, rs[0].objectives[i], rs[0].objectives[j]))
    return charts


def _control_section(result: NasResult):
    from etr.report import Figure, Section, Table

    c = result.control
    if c is None or c.empty:
        return None
    rows = []
    for search, g in c.groupby("search", sort=False):
        front = g[g["on_search_front"]]
        pool_front = g[g["on_pool_front"]]
        none = g[g["classical_pre"] == "none"]
        trained = g[g["classical_pre"] != "none"]
        rows.append({
            "search": search, "n_pool": len(g),
            "gap_pool": g["gap"].mean(), "gap_pre_none": none["gap"].mean(),
            "gap_pre_trained": trained["gap"].mean(),
            "front_accuracy": front["test_accuracy"].mean(),
            "front_control_accuracy": front["control_accuracy"].mean(),
            "gap_front": front["gap"].mean(), "gap_pool_front": pool_front["gap"].mean(),
            "best_hybrid": g["test_accuracy"].max(), "best_control": g["control_accuracy"].max(),
        })
    summary = pd.DataFrame(rows)
    facts = [
        f"{r.search}: pool mean gap {r.gap_pool:+.3f} (pre-network none {r.gap_pre_none:+.3f}, "
        f"trained {r.gap_pre_trained:+.3f}); its front {r.front_accuracy:.3f} vs control "
        f"{r.front_control_accuracy:.3f} (gap {r.gap_front:+.3f}); best hybrid "
        f"{r.best_hybrid:.3f} vs best control {r.best_control:.3f}"
        for r in summary.itertuples()]
    return Section(
        "What the PQC adds: the classical-only control",
        "The control keeps an architecture's classical pre- and post-networks, width and "
        "encoding and replaces the PQC by a fixed classical map (etr.hybrid.ClassicalControl), "
        "trained end to end; it is evaluated once per (classical parts, width, encoding) and "
        "replicate, on the same task instances as the hybrids, and never enters a front. gap = "
        "hybrid test accuracy - control test accuracy, both averaged over the search's replicate "
        "block; a gap near 0 means the classical parts alone reach the hybrid's accuracy, so the "
        "accuracy objective says little about the PQC.",
        items=facts,
        charts=[Figure(control_chart(c), "hybrid vs control accuracy for every pool "
                                         "architecture (diagonal: no gain from the PQC)")],
        tables=[Table(summary, "accuracy gap to the control per search (pool = every "
                               "architecture any search completed)"),
                Table(c.loc[c["on_search_front"], ["search", "label", "test_accuracy",
                                                    "control_accuracy", "gap"]],
                      "front architectures and their controls (replicate-block means)")])


def nas_report(result: NasResult, *, provenance: dict | None = None,
               title: str = "etr nas: Pareto-optimal hybrid architectures") -> str:
    """Render the NAS report page (self-contained HTML)."""
    from etr.report import Figure, Section, Table, render_page

    spec = result.spec
    obs: Sequence[Objective] = result.results[0].objectives
    comp = result.comparison
    summary = [
        f"{r.label}: {len(r.trials)} trials ({r.n_resumed} resumed from storage), "
        f"{len(r.pareto_ids)} Pareto-optimal architectures, replicates "
        f"{', '.join(str(x) for x in r.replicates)}"
        for r in result.results
    ]
    described = []
    for o in obs:
        col = "the setting's definition" if o.name == "trainability" else o.column
        described.append(f"{o.name} ({col}, {'min' if o.direction == 'minimize' else 'max'})")
    summary.append(f"objectives: {'; '.join(described)}")
    summary.append(f"{result.n_evaluations} runs evaluated in {result.elapsed_s:.1f} s "
                   f"({result.seconds_per_evaluation:.2f} s each)")
    sections = [Section(
        "Search", f"A multi-objective search over the joint classical-quantum design space on "
        f"the task '{spec.tasks[0]}', run {spec.search_seeds} times per setting (training "
        f"configuration / trainability definition) with different search seeds. Every "
        f"architecture is trained under {spec.replicates} replicates (task instance and "
        "initialisations), as etr simulate does; the objectives are the replicate means and "
        "their standard errors are recorded. Search seed k draws its own proposals and uses "
        f"replicates k*{spec.replicates} .. k*{spec.replicates}+{spec.replicates - 1}, so two "
        "searches of one setting are independent replications. Directions follow the registry: "
        "expressibility measures lower = more expressive (minimised), trainability and accuracy "
        "in their registered direction.", items=summary)]
    verdicts, why = claim_verdicts(result)
    noise_tables = []
    if verdicts is not None:
        noise_tables.append(Table(verdicts, "verdicts of the NAS claims "
                                            "(etr.analysis.evaluate_claims)"))
    noise_tables += [
        Table(distance_summary(comp.distances), "distances by scope, claim and kind of pair "
              "(every pair is in the dataset's provenance, nas_distances)"),
        Table(result.claims, "claims table (common pool; written as <report>.claims.csv)")]
    sections.append(Section(
        "Do fronts differ more between settings than between seeds?",
        "Distance between two Pareto sets = 1 - Jaccard index of their architectures. 'within' "
        "compares two search seeds of one setting: the noise reference. 'between' compares two "
        "settings that differ in the training configuration only (claim "
        "nas_fronts_differ_by_training) or in the trainability definition only "
        "(nas_fronts_differ_by_definition), always with different search seeds, so that a "
        "between pair carries the same noise as a within pair. Over the common pool (every "
        "architecture any search completed, evaluated under every configuration and replicate "
        "block) a difference cannot come from a search never sampling an architecture, and the "
        "within distance is the evaluation noise alone; the claims are decided there.",
        items=_separation(comp.distances) + ([why] if why else []),
        warnings=(["one search seed per setting: there is no seed-to-seed reference"]
                  if spec.search_seeds < 2 else []),
        charts=[Figure(distance_chart(comp.distances), "front distances by pair kind")],
        tables=noise_tables))
    control = _control_section(result)
    if control is not None:
        sections.append(control)
    charts = [Figure(ch, f"{obs[i].name} vs {obs[j].name}: rows = setting, columns = search "
                         f"seed; bars = +-1 standard error over replicates; red points are "
                         f"non-dominated in all {len(obs)} objectives, so some may look "
                         "dominated in this projection.")
              for i, j in itertools.combinations(range(len(obs)), 2)
              for ch in _projections(result, i, j)]
    sections.append(Section("Pareto fronts (2-D projections)", charts=charts))
    sections.append(Section(
        "Pareto-optimal architectures", "Every objective min-max scaled over the trials of all "
        "searches (log10 where the registry says the measure spans decades), flipped so that 0 "
        "is best.",
        charts=[Figure(parallel_coordinates_chart(_parallel_frame(result)),
                       "parallel coordinates of the fronts")],
        tables=[Table(_front_table(result), "Pareto-optimal architectures per search "
                                            "(replicate means, _se = standard error)")]))
    sections.append(Section(
        "Hypervolume over trials", "Hypervolume dominated by the front so far, with all "
        "searches on one scale (reference point 1.1 in every normalised objective).",
        charts=[hypervolume_chart(comp.curves)],
        tables=[Table(comp.hypervolume, "hypervolume per search")]))
    if comp.pool_fronts is not None:
        sections.append(Section(
            "Fronts over the common pool", tables=[Table(comp.pool_fronts, "Pareto-optimal "
                                                     "architectures of the common pool per "
                                                     "search")]))
    prov = dict(provenance or {})
    spec_text = json.dumps(spec.source, indent=2, sort_keys=True, default=str)
    sections.append(Section("Spec", details=[("the spec", spec_text)]))
    return render_page(title, sections, prov)
