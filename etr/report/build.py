"""The whole `etr analyze` pipeline: read, analyse, render, write HTML / JSON / CSV / figures.

`etr.report.analyze` computes the results, `etr.report.sections.build_sections` turns them into
page sections and `etr.report.page` renders them; `analyze_to_report` chains the three and
writes the outputs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from etr._outputs import atomic_write
from etr._validation import check_choice
from etr.analysis import NAS_COLUMNS
from etr.contract import validate_dataset
from etr.errors import InputError
from etr.parallel import default_workers
from etr.report.analyze import AnalysisResults, analyze_dataset
from etr.report.page import (
    VEGA_LITE_VERSION,
    Figure,
    Section,
    chart_spec,
    render_page,
    sha256_file,
    sha256_text,
    write_report,
)
from etr.report.sections import build_sections
from etr.report.size import analysis_size

__all__ = [
    "FIGURE_FORMATS",
    "TABLE_FORMATS",
    "ReportOutputs",
    "analyze_to_report",
    "build_sections",
    "read_input",
    "read_nas",
    "report_html",
]

TABLE_FORMATS: tuple[str, ...] = ("html", "csv")
FIGURE_FORMATS: tuple[str, ...] = ("png", "svg")


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
    from etr.dataset import read_dataset

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


def read_nas(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the NAS comparison table (``<report>.claims.csv`` of ``etr nas --compare``).

    Raises
    ------
    etr.errors.InputError
        A missing or unreadable file, or missing columns (named; `etr.analysis.NAS_COLUMNS`).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"`--nas` file `{p}` does not exist")
    try:
        table = pd.read_csv(p)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"`--nas` file `{p}` cannot be read as CSV: {msg}") from None
    missing = [c for c in NAS_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"`--nas` file `{p}` is missing column(s) {', '.join(missing)}; "
                         f"expected {', '.join(NAS_COLUMNS)} (etr nas --compare writes it)")
    return table


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
    confidence: float | None = None,
    margin: float | None = None,
    definitions: Sequence[str] | None = None,
    configs: Sequence[str] | None = None,
    nas_path: str | os.PathLike[str] | None = None,
    title: str | None = None,
    progress: Callable[[str], None] | None = None,
    announce: Callable[[str], None] | None = None,
    workers: int | None = 1,
    x: str | None = None,
    claims: str | os.PathLike[str] | None = None,
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
    n_boot, seed, confidence, margin, definitions, configs, x, claims : see
        `analyze_dataset`.
    nas_path : the NAS comparison table (``<report>.claims.csv`` of ``etr nas --compare``);
        without it the NAS claims are "not evaluated".
    title : page title (default names the dataset file).
    progress : called with a short label before each step.
    announce : called once, after reading the dataset, with its size and the estimated time of
        the analysis (`etr.report.size.AnalysisSize.describe`).
    workers : processes for the bootstrap refits (see `analyze_dataset`).

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
    df = read_input(data_path)
    if announce is not None:  # first, before any step, as `etr simulate` does
        n_workers = default_workers() if workers is None else workers
        announce(analysis_size(df, definitions, configs, workers=n_workers).describe())
    nas = read_nas(nas_path) if nas_path is not None else None
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
    if nas_path is not None:
        provenance["nas_table"] = Path(nas_path).name
        provenance["nas_table_sha256"] = sha256_file(nas_path)
    res = analyze_dataset(df, n_boot=n_boot, seed=seed, confidence=confidence, margin=margin,
                          definitions=definitions, configs=configs, nas=nas,
                          provenance=provenance, progress=say, workers=workers, x=x,
                          claims=claims)
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

