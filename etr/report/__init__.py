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
n_boot=1000, seed=0, confidence=0.95, definitions=None, configs=None) -> ReportOutputs``
    Read a dataset, run `etr.analysis`, write the HTML page (and JSON, CSV tables, PNG/SVG).
``analyze_dataset(data, *, n_boot, seed, confidence, definitions, configs) -> AnalysisResults``
    The results layer alone; ``build_sections(results)`` and ``report_html(results)`` render it.
Chart builders (``tidy DataFrame -> alt.Chart``) live in `etr.report.charts`.

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

from etr.report.analyze import AnalysisResults, analyze_dataset
from etr.report.build import (
    ReportOutputs,
    analyze_to_report,
    build_sections,
    export_figures,
    read_input,
    report_html,
)
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
    "read_input",
    "render_page",
    "report_html",
    "sha256_file",
    "sha256_text",
    "write_report",
]
