"""The NAS report: Pareto fronts, parallel coordinates, front tables, hypervolume, comparison.

Chart builders are pure functions of tidy DataFrames; the page shell is `etr.report.render_page`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from etr.nas.objectives import Objective
from etr.nas.run import NasResult
from etr.nas.search import normalised_objectives, objective_bounds

__all__ = [
    "front_projection_chart",
    "hypervolume_chart",
    "nas_report",
    "parallel_coordinates_chart",
]

_SHOWN = ["setting", "trial", "label", "n_qubits", "layers", "classical_pre", "classical_post",
          "n_quantum_params", "n_classical_params"]


def _axis(log: bool) -> alt.Axis:
    """Few labelled ticks and faint grid lines on log axes (decades, not every minor tick)."""
    if log:
        return alt.Axis(labelOverlap=True, tickCount=5, format="~g", gridOpacity=0.35)
    return alt.Axis(labelOverlap=True)


def front_projection_chart(trials: pd.DataFrame, x: Objective, y: Objective,
                           title: str = "") -> alt.Chart:
    """Scatter of one search's completed trials in two objectives, Pareto-optimal ones
    highlighted (non-dominated in *all* objectives)."""
    d = trials[trials["state"] == "COMPLETE"].copy()
    d["x"], d["y"] = d[x.column].astype(float), d[y.column].astype(float)
    d["on front"] = np.where(d["pareto"], "Pareto-optimal (all objectives)", "dominated")
    d = d[["x", "y", "on front", "label", "trial"]]
    xs = alt.Scale(type="log") if x.log_scale else alt.Scale(zero=False)
    ys = alt.Scale(type="log") if y.log_scale else alt.Scale(zero=False)
    return (
        alt.Chart(d, title=title).mark_point(filled=True, size=45)
        .encode(
            x=alt.X("x:Q", title=x.label, scale=xs, axis=_axis(x.log_scale)),
            y=alt.Y("y:Q", title=y.label, scale=ys, axis=_axis(y.log_scale)),
            color=alt.Color("on front:N", title=None,
                            scale=alt.Scale(domain=["Pareto-optimal (all objectives)",
                                                    "dominated"],
                                            range=["#d62728", "#9ecae1"])),
            tooltip=["trial", "label", "x", "y"],
        )
        .properties(width=220, height=180)
    )


def _projections(result: NasResult, i: int, j: int) -> alt.HConcatChart:
    """One panel per setting for objectives i and j (each setting's own trainability column)."""
    panels = [front_projection_chart(r.trials, r.objectives[i], r.objectives[j], r.setting.label)
              for r in result.results]
    return alt.hconcat(*panels)


def parallel_coordinates_chart(front: pd.DataFrame) -> alt.Chart:
    """Parallel coordinates of Pareto-optimal architectures: one line per (setting, architecture)
    over the normalised objectives (0 = best observed, 1 = worst)."""
    return (
        alt.Chart(front).mark_line(opacity=0.6, point=True)
        .encode(
            x=alt.X("objective:N", title=None, sort=None),
            y=alt.Y("scaled:Q", title="normalised objective (0 = best)",
                    scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("setting:N"),
            detail="key:N",
            tooltip=["setting", "label", "objective", "value"],
        )
        .properties(width=520, height=260)
    )


def hypervolume_chart(curves: pd.DataFrame) -> alt.Chart:
    """Normalised hypervolume of the front after every trial, one line per setting."""
    return (
        alt.Chart(curves).mark_line(interpolate="step-after")
        .encode(x=alt.X("trial:Q", title="trial"),
                y=alt.Y("hypervolume:Q", title="hypervolume (common reference)"),
                color=alt.Color("setting:N"), tooltip=["setting", "trial", "hypervolume"])
        .properties(width=520, height=220)
    )


def _parallel_frame(result: NasResult) -> pd.DataFrame:
    done = [r.trials[r.trials["state"] == "COMPLETE"] for r in result.results]
    obs_all = {o.column: o for r in result.results for o in r.objectives}
    bounds = objective_bounds(done, list(obs_all.values()))
    rows = []
    for r, d in zip(result.results, done):
        f = d[d["pareto"]].drop_duplicates("architecture_id")
        scaled = normalised_objectives(f, r.objectives, bounds)
        for i, (_, row) in enumerate(f.iterrows()):
            for j, ob in enumerate(r.objectives):
                rows.append({"setting": r.setting.label, "key": f"{r.setting.label}:{i}",
                             "label": row["label"], "objective": ob.name,
                             "value": float(row[ob.column]), "scaled": float(scaled[i, j])})
    return pd.DataFrame(rows, columns=["setting", "key", "label", "objective", "value", "scaled"])


def _front_table(result: NasResult) -> pd.DataFrame:
    frames = []
    for r in result.results:
        f = r.front()
        cols = [c for c in _SHOWN if c in f.columns] + [o.column for o in r.objectives]
        frames.append(f[list(dict.fromkeys(cols))])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def nas_report(result: NasResult, *, provenance: dict | None = None,
               title: str = "etr nas: Pareto-optimal hybrid architectures") -> str:
    """Render the NAS report page (self-contained HTML)."""
    from etr.report import Figure, Section, Table, render_page

    obs: Sequence[Objective] = result.results[0].objectives
    comp = result.comparison
    summary = [
        f"{r.setting.label}: {len(r.trials)} trials ({r.n_resumed} resumed from storage), "
        f"{len(r.pareto_ids)} Pareto-optimal architectures"
        for r in result.results
    ]
    described = []
    for o in obs:
        col = "the setting's definition" if o.name == "trainability" else o.column
        described.append(f"{o.name} ({col}, {'min' if o.direction == 'minimize' else 'max'})")
    summary.append(f"objectives: {'; '.join(described)}")
    summary.append(f"{result.n_evaluations} architectures evaluated in {result.elapsed_s:.1f} s "
                   f"({result.seconds_per_evaluation:.2f} s each)")
    sections = [Section(
        "Search", "A multi-objective search over the joint classical-quantum design space, run "
        "once per setting (training configuration / trainability definition). Expressibility is "
        "the KL divergence to Haar fidelities: lower = more expressive. Trainability and test "
        "accuracy: higher = better.", items=summary)]
    charts = [Figure(_projections(result, i, j),
                     f"{obs[i].name} vs {obs[j].name}, one panel per setting; red points are "
                     f"non-dominated in all {len(obs)} objectives, so some may look dominated "
                     "in this projection.")
              for i, j in itertools.combinations(range(len(obs)), 2)]
    sections.append(Section("Pareto fronts (2-D projections)", charts=charts))
    sections.append(Section(
        "Pareto-optimal architectures", "Every objective min-max scaled over the trials of all "
        "settings (log10 for gradient-based trainability), flipped so that 0 is best.",
        charts=[Figure(parallel_coordinates_chart(_parallel_frame(result)),
                       "parallel coordinates of the fronts")],
        tables=[Table(_front_table(result), "Pareto-optimal architectures per setting")]))
    sections.append(Section(
        "Hypervolume over trials", "Hypervolume dominated by the front so far, with all "
        "settings on one scale (reference point 1.1 in every normalised objective).",
        charts=[hypervolume_chart(comp.curves)]))
    if len(result.results) > 1:
        facts = [
            f"{row.setting_a} vs {row.setting_b}: {row.n_common} common Pareto-optimal "
            f"architectures of {row.n_a} and {row.n_b} (Jaccard {row.jaccard:.2f})"
            for row in comp.overlap.itertuples()
        ] + [
            f"{row.setting}: hypervolume {row.hypervolume:.3f} (common scale)"
            for row in comp.hypervolume.itertuples()
        ]
        pool_tables = []
        if comp.pool_overlap is not None:
            facts += [
                f"common pool, {row.setting_a} vs {row.setting_b}: {row.n_common} common "
                f"Pareto-optimal architectures of {row.n_a} and {row.n_b} "
                f"(Jaccard {row.jaccard:.2f})"
                for row in comp.pool_overlap.itertuples()
            ]
            pool_tables = [Table(comp.pool_overlap, "overlap of the fronts of the common pool "
                                 "(every architecture evaluated under every setting)"),
                           Table(comp.pool_fronts, "Pareto-optimal architectures of the "
                                 "common pool per setting")]
        sections.append(Section(
            "Comparison between settings",
            "How the Pareto sets differ: hypervolume per front on the common scale, overlap of "
            "the sets of Pareto-optimal architectures (Jaccard index), and architectures optimal "
            "in one setting but not in another (evaluated_in_other = false means the other "
            "search never sampled it). Because each search only sees what its sampler proposes, "
            "the fairer comparison is the common pool: every architecture any search evaluated, "
            "evaluated under every setting, and each setting's front taken over that same pool.",
            items=facts,
            tables=[Table(comp.hypervolume, "hypervolume per front"),
                    Table(comp.overlap, "overlap of Pareto sets"),
                    *pool_tables,
                    Table(comp.exclusive, "optimal in one setting only")]))
    prov = dict(provenance or {})
    spec_text = json.dumps(result.spec.source, indent=2, sort_keys=True, default=str)
    sections.append(Section("Spec", details=[("the [nas] table", spec_text)]))
    return render_page(title, sections, prov)
