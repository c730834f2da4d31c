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
    "Figure",
    "Section",
    "Table",
    "fmt_ci",
    "fmt_num",
    "fmt_p",
    "render_page",
    "sha256_file",
    "sha256_text",
    "write_report",
]
