"""From `AnalysisResults` to page sections, and the whole `etr analyze` pipeline.

`build_sections` (layer two: results -> sections of plain text, tidy tables, charts) and
`analyze_to_report` (read, analyse, render, write HTML / JSON / CSV / figures).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from etr._outputs import atomic_write
from etr._validation import check_choice
from etr.contract import validate_dataset
from etr.errors import InputError
from etr.report import charts as C
from etr.report.analyze import (
    AnalysisResults,
    X,
    analyze_dataset,
    mixed_fit_table,
    transform_for,
)
from etr.report.page import (
    VEGA_LITE_VERSION,
    Figure,
    Section,
    Table,
    chart_spec,
    render_page,
    sha256_file,
    sha256_text,
    write_report,
)

_LOG_X = f"log10_{X}"

__all__ = [
    "FIGURE_FORMATS",
    "TABLE_FORMATS",
    "ReportOutputs",
    "analyze_to_report",
    "build_sections",
    "read_input",
    "report_html",
]

TABLE_FORMATS: tuple[str, ...] = ("html", "csv")
FIGURE_FORMATS: tuple[str, ...] = ("png", "svg")

_SUMMARY_LABELS = {"training_config": "configuration", "estimate": "ρ", "ci_low": "ρ CI",
                   "n_clusters": "architectures", "slope_ci_low": "slope CI",
                   "n_regimes": "regimes", "p_adj": "p (adj.)", "p_value": "p"}


def _cfg_label(c: object) -> str:
    return C.CONFIG_LABELS.get(str(c), str(c))


def _def_label(d: object) -> str:
    return C.DEFINITION_LABELS.get(str(d), str(d))


def _cols(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    return df[[c for c in cols if c in df.columns]]


def _stack(res: AnalysisResults, kind: str, attr: str) -> pd.DataFrame:
    store = res.mixed if kind == "mixed" else res.regimes
    parts = []
    for d, r in store.items():
        f = getattr(r, attr, None)
        if isinstance(f, pd.DataFrame) and len(f):
            f = f.copy()
            if "training_config" not in f.columns and len(res.configs) == 1:
                f["training_config"] = res.configs[0]
            parts.append(f.assign(definition=d))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _notes_for(res: AnalysisResults, *keys: str) -> list[str]:
    return [n for n in res.notes if any(n.startswith(k) for k in keys)]


# --- sections -------------------------------------------------------------------------------


def _headline(res: AnalysisResults) -> Section:
    s = res.summary
    intro = (
        "Is there a trade-off between expressibility and trainability? One row per training "
        "configuration and trainability definition: the rank correlation of expressibility KL "
        "with trainability (cluster bootstrap CI over architectures), the mixed-model slope, and "
        "the verdict in words.\n\n"
        "Direction convention: expressibility KL is LOWER for MORE expressive circuits and every "
        "trainability measure is HIGHER for MORE trainable models, so a positive correlation means "
        "more expressive circuits are less trainable (the classic trade-off)."
    )
    if s.empty:
        return Section("Headline", intro, warnings=_notes_for(res, "trade-off summary")
                       or ["the trade-off summary could not be computed"])
    t = s.copy()
    t["training_config"] = t["training_config"].map(_cfg_label)
    t["definition"] = t["definition"].map(_def_label)
    t = _cols(t, ["training_config", "definition", "n", "n_clusters", "estimate", "ci_low",
                  "ci_high", "p_adj", "slope", "slope_ci_low", "slope_ci_high", "n_regimes",
                  "verdict", "sentence"])
    return Section("Headline", intro, tables=[Table(
        t, labels=_SUMMARY_LABELS, name="tradeoff_summary",
        caption=f"Trade-off verdict per configuration and definition "
                f"({res.options['confidence']:.0%} CIs; p adjusted by Holm).")],
        warnings=[n for n in res.notes if "not computed" in n])


def _scatter_section(res: AnalysisResults) -> Section:
    charts = [Figure(C.tradeoff_scatter(res.data, y=d, color="n_qubits" if i % 2 == 0
                                        else "layers"),
                     f"Each point is one run; hover for the architecture. Colour: "
                     f"{'qubits' if i % 2 == 0 else 'layers'}.", name=f"scatter_{d}")
              for i, d in enumerate(res.definitions)]
    return Section("Expressibility vs trainability",
                   "Expressibility KL (x) against each trainability definition (y), one panel per "
                   "training configuration. Left on the x axis = more expressive; up on the "
                   "y axis = more trainable.", charts=charts)


def _correlation_section(res: AnalysisResults) -> Section:
    charts, tables = [], []
    if not res.summary.empty:
        method = str(res.summary["method"].iloc[0]) if "method" in res.summary else ""
        charts.append(Figure(C.correlation_forest(res.summary),
                             f"Points: estimates; bars: {res.options['confidence']:.0%} CIs. "
                             f"Estimator: {method}.", name="correlation_forest"))
    if not res.comparisons.empty:
        t = res.comparisons.copy()
        for c in ("group_a", "group_b"):
            t[c] = t[c].map(_cfg_label)
        t["definition"] = t["definition"].map(_def_label)
        tables.append(Table(_cols(t, ["definition", "group_a", "group_b", "estimate_a",
                                      "estimate_b", "estimate", "ci_low", "ci_high", "p_value",
                                      "n_clusters"]),
                            caption="Does the correlation differ between configurations? "
                                    "estimate = ρ(a) − ρ(b); paired cluster bootstrap when the "
                                    "same architectures appear in both.",
                            labels={"estimate_a": "ρ(a)", "estimate_b": "ρ(b)",
                                    "estimate": "ρ(a) − ρ(b)", "n_clusters": "architectures",
                                    "group_a": "a", "group_b": "b"},
                            name="comparisons"))
    return Section("Correlations", "Rank correlation of expressibility KL with each trainability "
                   "definition, per configuration, and the differences between configurations.",
                   charts=charts, tables=tables,
                   warnings=_notes_for(res, "comparison"))


def _mixed_section(res: AnalysisResults) -> Section:
    charts, tables = [], []
    slopes = _stack(res, "mixed", "slopes")
    if not slopes.empty and "training_config" in slopes:
        charts.append(Figure(C.slope_forest(slopes),
                             "Slope of trainability per decade of expressibility KL in a linear "
                             "mixed model with a random intercept per architecture.",
                             name="mixed_slopes"))
    fe = _stack(res, "mixed", "fixed_effects")
    if not fe.empty:
        fe["definition"] = fe["definition"].map(_def_label)
        tables.append(Table(_cols(fe, ["definition", "term", "estimate", "se", "ci_low",
                                       "ci_high", "p_value"]),
                            caption="Fixed effects (REML fits).", name="fixed_effects"))
    vc = _stack(res, "mixed", "variance_components")
    if not vc.empty:
        vc["definition"] = vc["definition"].map(_def_label)
        tables.append(Table(_cols(vc, ["definition", "component", "variance", "sd"]),
                            caption="Variance components.", name="variance_components"))
    lrt = _stack(res, "mixed", "lrt")
    if not lrt.empty:
        lrt["definition"] = lrt["definition"].map(_def_label)
        tables.append(Table(_cols(lrt, ["definition", "test", "statistic", "df", "p_value",
                                        "aic_null", "aic_full", "bic_null", "bic_full"]),
                            caption="Model comparison: likelihood-ratio tests, AIC and BIC "
                                    "(ML fits).", name="model_comparison"))
    if res.mixed:
        fit = mixed_fit_table(res.mixed)
        fit["definition"] = fit["definition"].map(_def_label)
        tables.append(Table(fit, caption="Model fit: Nakagawa-Schielzeth R², convergence.",
                            labels={"n_groups": "architectures"}, name="model_fit"))
    return Section("Mixed-effects models",
                   "Trainability (log10 for the gradient definitions) modelled on log10 "
                   "expressibility KL with a slope per configuration, qubits and layers as "
                   "covariates and a random intercept per architecture.", charts=charts,
                   tables=tables, warnings=_notes_for(res, "mixed model"))


def _regime_section(res: AnalysisResults) -> Section:
    charts, tables = [], []
    for d, r in res.regimes.items():
        fits = _fits_frame(r, res, d)
        bps = getattr(r, "breakpoints", pd.DataFrame())
        bps = bps.copy() if isinstance(bps, pd.DataFrame) else pd.DataFrame()
        if "training_config" not in bps.columns:
            bps["training_config"] = res.configs[0] if len(res.configs) == 1 else pd.Series(
                dtype=object)
        for c in ("estimate", "ci_low", "ci_high"):
            if c not in bps.columns:
                bps[c] = pd.Series(dtype=float)
        tf = transform_for(d, res.data)
        pts = res.data.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            pts[_LOG_X] = np.log10(pts[X].astype(float).where(pts[X] > 0))
        ycol = f"log10_{d}" if tf == "log10" else d
        if tf == "log10":
            with np.errstate(divide="ignore", invalid="ignore"):
                pts[ycol] = np.log10(pts[d].astype(float).where(pts[d] > 0))
        ylabel = (f"log10 {C.AXIS_TITLES.get(d, d)}" if tf == "log10"
                  else C.AXIS_TITLES.get(d, d))
        if fits is not None:
            charts.append(Figure(C.regime_plot(pts, fits, bps, y=ycol, x=_LOG_X,
                                               y_label=ylabel),
                                 f"{_def_label(d)}: segmented regression with the number of "
                                 "breakpoints chosen by BIC.", name=f"regimes_{d}"))
    seg = _stack(res, "regimes", "segments")
    if not seg.empty:
        seg[["x_low", "x_high"]] = 10.0 ** seg[["x_low", "x_high"]].astype(float)
        seg["definition"] = seg["definition"].map(_def_label)
        if "training_config" in seg:
            seg["training_config"] = seg["training_config"].map(_cfg_label)
        tables.append(Table(_cols(seg, ["definition", "training_config", "regime", "x_low",
                                        "x_high", "n", "slope", "slope_ci_low", "slope_ci_high",
                                        "rho", "p_value"]),
                            caption="Regimes: slope and Spearman ρ within each segment of KL.",
                            labels={"training_config": "configuration", "x_low": "KL from",
                                    "x_high": "KL to", "slope_ci_low": "slope CI",
                                    "rho": "ρ"}, name="regime_segments"))
    bp = _stack(res, "regimes", "breakpoints")
    if not bp.empty:
        bp[["estimate", "ci_low", "ci_high"]] = 10.0 ** bp[["estimate", "ci_low",
                                                             "ci_high"]].astype(float)
        bp["definition"] = bp["definition"].map(_def_label)
        if "training_config" in bp:
            bp["training_config"] = bp["training_config"].map(_cfg_label)
        tables.append(Table(_cols(bp, ["definition", "training_config", "breakpoint_index",
                                       "estimate", "ci_low", "ci_high"]),
                            caption="Breakpoints (KL) with bootstrap CIs.",
                            labels={"training_config": "configuration",
                                    "breakpoint_index": "breakpoint"}, name="breakpoints"))
    sel = _stack(res, "regimes", "selection")
    if not sel.empty and {"selected", "davies_p"} <= set(sel.columns):
        sel = sel[sel["selected"].astype(bool)].copy()
        sel["definition"] = sel["definition"].map(_def_label)
        if "training_config" in sel:
            sel["training_config"] = sel["training_config"].map(_cfg_label)
        tables.append(Table(_cols(sel, ["definition", "training_config", "n_breakpoints",
                                        "bic", "davies_p"]),
                            caption="Selected number of breakpoints (BIC) and Davies' test of "
                                    "'no change in slope' (p-value upper bound).",
                            labels={"training_config": "configuration",
                                    "n_breakpoints": "breakpoints (BIC)",
                                    "davies_p": "Davies p"}, name="regime_selection"))
    return Section("Regimes", "Does the relationship change with expressibility? Piecewise-linear "
                   "fits of trainability on log10 KL, with breakpoints and their CIs (tables "
                   "give them in KL).", charts=charts,
                   tables=tables, warnings=_notes_for(res, "regimes"))


def _fits_frame(r: Any, res: AnalysisResults, d: str) -> pd.DataFrame | None:
    fits = getattr(r, "fits", None)
    if isinstance(fits, pd.DataFrame) and len(fits):
        fits = fits.copy()
        if "training_config" not in fits.columns and len(res.configs) == 1:
            fits["training_config"] = res.configs[0]
        return fits if "training_config" in fits.columns else None
    return None


def _strata_section(res: AnalysisResults) -> Section:
    charts = []
    s = res.stratified
    if not s.empty:
        s = s.copy()
        if "training_config" not in s.columns and len(res.configs) == 1:
            s["training_config"] = res.configs[0]
        charts.append(Figure(C.stratified_heatmap(s, title=f"Rank correlation of KL with "
                                                  f"{_def_label(res.primary)} within qubits x "
                                                  "layers cells"),
                             "Spearman ρ within each cell (p adjusted by Benjamini-Hochberg in "
                             "the JSON output); cells with fewer than 3 architectures are blank.",
                             name="stratified_heatmap"))
    return Section("Within qubits and layers", "Is the correlation only a size effect? The same "
                   "correlation computed inside each (qubits, layers) cell.", charts=charts,
                   warnings=_notes_for(res, "stratified"))


def _performance_section(res: AnalysisResults) -> Section:
    y = next((c for c in ("test_accuracy", "final_loss") if c in res.data.columns
              and res.data[c].notna().any()), None)
    if y is None:
        return Section("Task performance", warnings=["no task-performance column "
                                                     "(test_accuracy, final_loss) in the data"])
    return Section("Task performance", "Does trainability translate into task performance?",
                   charts=[Figure(C.performance_scatter(res.data, x=res.primary, y=y),
                                  f"{y} after training against {_def_label(res.primary)}.",
                                  name="performance")])


def _coverage_section(res: AnalysisResults) -> Section:
    cov = res.coverage.copy()
    cov["training_config"] = cov["training_config"].map(_cfg_label)
    tables = [Table(cov, caption="Runs per configuration (failed runs are left out of the "
                    "statistics).", labels={"training_config": "configuration"},
                    name="coverage")]
    if not res.failed.empty:
        tables.append(Table(res.failed.head(200), caption=f"Failed cells ({len(res.failed)}"
                            f"{', first 200 shown' if len(res.failed) > 200 else ''}).",
                            name="failed_cells"))
    return Section("Data coverage", tables=tables)


def _methods_section(res: AnalysisResults) -> Section:
    o = res.options
    methods = []
    if "method" in res.summary:
        methods += [f"Correlation: {m}." for m in dict.fromkeys(res.summary["method"].astype(str))]
    if not res.comparisons.empty and "method" in res.comparisons:
        methods += [f"Comparison: {m}." for m in
                    dict.fromkeys(res.comparisons["method"].astype(str))]
    for d, r in res.mixed.items():
        methods.append(f"Mixed model ({d}): {r.method}; formula {r.formula}; n = {r.n} runs in "
                       f"{r.n_groups} architectures.")
    for d, r in res.regimes.items():
        m = getattr(r, "method", "")
        if m:
            methods.append(f"Regimes ({d}): {m}.")
    items = [
        "Direction convention: expressibility_kl = KL(P_PQC(F) || P_Haar(F)) in nats "
        "(Sim et al. 2019), lower = more expressive; every trainability definition is higher = "
        "more trainable. A positive correlation or slope means more expressive -> less "
        "trainable.",
        f"Sample: {len(res.data)} successful runs of {res.data['architecture_id'].nunique()} "
        f"architectures; configurations: {', '.join(res.configs)}; definitions: "
        f"{', '.join(res.definitions)}.",
        f"Bootstrap: {o['n_boot']} cluster resamples over architectures for correlations and "
        f"comparisons, {o['regime_boot']} for breakpoint CIs; confidence level "
        f"{o['confidence']:.0%}; root seed {o['seed']} (each step gets a seed spawned from it).",
        "Multiple comparisons: Holm across configurations and definitions in the headline table; "
        "Benjamini-Hochberg across strata.",
        *methods,
    ]
    if res.verdict_rule:
        items.append(f"Verdict rule: {res.verdict_rule}")
    details = []
    spec = res.provenance.get("spec")
    if spec:
        details.append(("Experiment spec", str(spec)))
    return Section("Methods", items=items, details=details)


def build_sections(res: AnalysisResults) -> list[Section]:
    """The sections of an `etr analyze` report, in reading order."""
    return [_headline(res), _correlation_section(res), _scatter_section(res),
            _mixed_section(res), _regime_section(res), _strata_section(res),
            _performance_section(res), _coverage_section(res), _methods_section(res)]


def report_html(res: AnalysisResults, *, title: str = "Expressibility-trainability report",
                sections: list[Section] | None = None) -> str:
    """Render an `AnalysisResults` as a self-contained HTML page."""
    sections = build_sections(res) if sections is None else sections
    return render_page(title, sections, res.provenance)


# --- the pipeline ---------------------------------------------------------------------------


def read_input(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate a dataset (Parquet or CSV); provenance in ``attrs["provenance"]``.

    Raises
    ------
    etr.errors.InputError
        Missing file, a file that is not a dataset, missing columns (named), no rows.
    """
    from etr.experiment import read_dataset

    p = Path(path)
    if p.is_dir():
        raise InputError(f"`{p}` is a directory, not a dataset file (.parquet or .csv)")
    if p.suffix.lower() not in (".parquet", ".pq", ".csv"):
        raise InputError(f"`{p}` is not a dataset: expected a .parquet or .csv file")
    df = read_dataset(p, validate=False)
    prov = dict(df.attrs.get("provenance", {}))
    df = validate_dataset(df)
    df.attrs["provenance"] = prov
    return df


@dataclass(frozen=True, slots=True)
class ReportOutputs:
    """What `analyze_to_report` wrote, and the results it rendered."""

    html: Path
    results: AnalysisResults
    json: Path | None = None
    tables: tuple[Path, ...] = ()
    figures: tuple[Path, ...] = field(default=())


def analyze_to_report(
    data_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    json_path: str | os.PathLike[str] | None = None,
    formats: Sequence[str] = ("html",),
    figures_dir: str | os.PathLike[str] | None = None,
    figure_formats: Sequence[str] = FIGURE_FORMATS,
    n_boot: int = 1000,
    seed: int | None = 0,
    confidence: float = 0.95,
    definitions: Sequence[str] | None = None,
    configs: Sequence[str] | None = None,
    title: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReportOutputs:
    """Read a dataset, analyse it and write the HTML report (plus JSON, CSV tables, figures).

    Parameters
    ----------
    data_path : a dataset written by ``etr simulate`` (Parquet or CSV).
    out : the HTML file to write.
    json_path : also write every result as JSON here.
    formats : ``"html"`` and optionally ``"csv"`` (each table as ``<out stem>.<table>.csv`` next
        to the report).
    figures_dir : also export every chart as PNG and SVG into this folder.
    figure_formats : subset of ``("png", "svg")``.
    n_boot, seed, confidence, definitions, configs : see `analyze_dataset`.
    title : page title (default names the dataset file).
    progress : called with a short label before each step.

    Returns
    -------
    ReportOutputs

    Raises
    ------
    etr.errors.InputError
        Unusable input (not a dataset, missing columns, empty) or bad options.
    """
    for f in formats:
        check_choice("format", f, TABLE_FORMATS)
    for f in figure_formats:
        check_choice("figure_format", f, FIGURE_FORMATS)
    say = progress or (lambda _label: None)
    say("reading dataset")
    df = read_input(data_path)
    prov = dict(df.attrs.get("provenance", {}))
    spec_text = prov.get("spec") or ""
    if not isinstance(spec_text, str):
        spec_text = json.dumps(spec_text, sort_keys=True, default=str)
    provenance = {"dataset": Path(data_path).name,
                  "dataset_sha256": sha256_file(data_path),
                  "dataset_rows": len(df),
                  **{f"dataset_{k}" if k in ("created", "etr_version", "platform", "python")
                     else k: v for k, v in prov.items()},
                  "spec_sha256": sha256_text(spec_text)}
    if spec_text:
        provenance["spec"] = spec_text
    res = analyze_dataset(df, n_boot=n_boot, seed=seed, confidence=confidence,
                          definitions=definitions, configs=configs, provenance=provenance,
                          progress=say)
    say("rendering report")
    sections = build_sections(res)
    html = report_html(res, sections=sections,
                       title=title or f"Expressibility-trainability report: {Path(data_path).name}")
    html_path = write_report(html, out)
    json_out = None
    if json_path is not None:
        json_out = Path(json_path)
        json_out.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(res.to_dict(), indent=1, allow_nan=False, default=str)
        with atomic_write(json_out) as fh:
            fh.write(text)
    tables: list[Path] = []
    if "csv" in formats:
        for name, t in res.tables().items():
            if isinstance(t, pd.DataFrame) and len(t.columns):
                p = html_path.with_name(f"{html_path.stem}.{name}.csv")
                with atomic_write(p, newline="") as fh:
                    t.to_csv(fh, index=False)
                tables.append(p)
    figs: list[Path] = []
    if figures_dir is not None:
        say("exporting figures")
        figs = export_figures(sections, figures_dir, formats=figure_formats)
    return ReportOutputs(html=html_path, results=res, json=json_out, tables=tuple(tables),
                         figures=tuple(figs))


def export_figures(sections: Sequence[Section], folder: str | os.PathLike[str], *,
                   formats: Sequence[str] = FIGURE_FORMATS, scale: float = 2.0) -> list[Path]:
    """Write every chart of `sections` as PNG and/or SVG (via vl-convert) into `folder`."""
    import vl_convert as vlc

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    i = 0
    for s in sections:
        for ch in s.charts:
            i += 1
            fig = ch if isinstance(ch, Figure) else Figure(ch)
            name = fig.name or f"chart_{i}"
            spec = chart_spec(fig.chart)
            if "svg" in formats:
                p = folder / f"{name}.svg"
                svg = vlc.vegalite_to_svg(spec, vl_version=VEGA_LITE_VERSION)
                with atomic_write(p) as fh:
                    fh.write(svg)
                written.append(p)
            if "png" in formats:
                p = folder / f"{name}.png"
                png = vlc.vegalite_to_png(spec, vl_version=VEGA_LITE_VERSION, scale=scale)
                with atomic_write(p, binary=True) as fh:
                    fh.write(png)
                written.append(p)
    return written

