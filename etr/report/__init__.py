"""Reports: Altair charts and self-contained HTML pages (all JavaScript inlined, works offline).

Page shell (reusable by any etr report)
---------------------------------------
``render_page(title, sections, provenance) -> str``
    Render a list of `Section` objects into one HTML document. A `Section` holds a ``heading``,
    ``intro`` text, ``charts`` (Altair charts, or `Figure(chart, caption)`), ``tables``
    (DataFrames, or `Table(frame, caption, labels)`), bullet ``items``, ``warnings`` and
    collapsible ``details``. Every string is escaped; CI columns (``ci_low``/``ci_high``) are
    merged and p-values formatted. ``provenance`` is shown in the footer; its keys
    ``etr_version``, ``spec_sha256``, ``dataset_sha256`` and ``report_created`` go into the page
    head.
``write_report(html, path) -> Path``
    Write the page atomically.

The trade-off report (``etr analyze``)
--------------------------------------
``analyze_to_report(data_path, out, *, json_path=None, formats=("html",), figures_dir=None,
n_boot=1000, seed=0, confidence=0.95, margin=0.1, definitions=None, configs=None,
nas_path=None) -> ReportOutputs``
    Read a dataset, run `etr.analysis`, write the HTML page (and JSON, CSV tables, PNG/SVG).
    The page leads with the paper's claims (`etr.analysis.evaluate_claims`).
``analyze_dataset(data, *, n_boot, seed, confidence, margin, definitions, configs, nas)
-> AnalysisResults``
    The results layer alone; ``build_sections(results)`` and ``report_html(results)`` render it.
    Which runs answer which question is `etr.report.design`.
Chart builders (``tidy DataFrame -> alt.Chart``) live in `etr.report.charts`, with the public
log-axis helpers ``log_scale`` / ``log_axis`` / ``log_note`` the NAS report shares.

Examples
--------
>>> import altair as alt, pandas as pd
>>> from etr.report import Section, render_page
>>> df = pd.DataFrame({"x": [1, 2], "y": [3, 4]})
>>> chart = alt.Chart(df).mark_point().encode(x="x", y="y")
>>> html = render_page("Demo", [Section("A chart", "Text.", charts=[chart], tables=[df])],
...                    {"dataset_sha256": "abc"})
>>> '<meta name="etr-dataset-sha256" content="abc">' in html
True
"""

from __future__ import annotations

from etr.report.analyze import AnalysisOptions, AnalysisResults, analyze_dataset
from etr.report.build import (
    ReportOutputs,
    analyze_to_report,
    build_sections,
    export_figures,
    read_input,
    read_nas,
    report_html,
)
from etr.report.charts import log_axis, log_note, log_scale
from etr.report.page import (
    Figure,
    Section,
    Table,
    fmt_ci,
    fmt_num,
    fmt_p,
    render_page,
    sha256_file,
    sha256_text,
    write_report,
)

__all__ = [
    "AnalysisOptions",
    "AnalysisResults",
    "Figure",
    "ReportOutputs",
    "Section",
    "Table",
    "analyze_dataset",
    "analyze_to_report",
    "build_sections",
    "export_figures",
    "fmt_ci",
    "fmt_num",
    "fmt_p",
    "log_axis",
    "log_note",
    "log_scale",
    "read_input",
    "read_nas",
    "render_page",
    "report_html",
    "sha256_file",
    "sha256_text",
    "write_report",
]
