"""The page shell: sections of text, tables and Altair charts rendered into one offline HTML file.

Three layers: results -> a plain context dict (`page_context`) -> one Jinja2
`Environment` (`environment`) with the filters `fmt_p`, `fmt_ci`, `fmt_num`. Every string from a
dataset is autoescaped in tables and text; chart specs are embedded as JSON inside
``<script type="application/json">`` with ``<``, ``>`` and ``&`` written as ``\\u003c`` etc., so
a label such as ``</script><script>alert(1)</script>`` stays data.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from etr import __version__
from etr._outputs import atomic_write
from etr._validation import neutralise

__all__ = [
    "VEGA_LITE_VERSION",
    "Figure",
    "Section",
    "Table",
    "chart_spec",
    "environment",
    "fmt_ci",
    "fmt_num",
    "fmt_p",
    "pack_datasets",
    "page_context",
    "render_page",
    "sha256_file",
    "sha256_text",
    "spec_json",
    "write_report",
]

#: Vega-Lite version of the inlined JavaScript; it matches Altair's schema.
VEGA_LITE_VERSION: str = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])

_DASH = "\u2013"


@dataclass(frozen=True, slots=True)
class Figure:
    """An Altair chart with a caption (plain text; escaped on the page)."""

    chart: Any
    caption: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    """A tidy DataFrame shown as a table.

    Columns ``ci_low``/``ci_high`` (and ``<prefix>_ci_low``/``<prefix>_ci_high``) are merged into
    one ``[low, high]`` column; ``p_value``/``p_adj``/``p_*`` columns use `fmt_p`; other floats use
    `fmt_num`. ``labels`` renames columns for display. Columns named in ``badges`` show their
    value as a coloured badge (the CSS class is the value reduced to lower-case letters and
    hyphens, so a data string cannot inject markup). A ``collapsed`` table is folded under its
    caption (a ``<details>`` element).
    """

    frame: pd.DataFrame
    caption: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    name: str = ""
    badges: tuple[str, ...] = ()
    collapsed: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    """One section of a report page.

    Attributes
    ----------
    heading : section title.
    intro : plain text; blank lines separate paragraphs.
    lead : tables shown right after the intro, before everything else (the answer first).
    charts : Altair charts or `Figure` objects (a chart with a caption).
    tables : DataFrames or `Table` objects.
    items : bullet points (plain text).
    warnings : bullet points shown as caveats (what could not be computed, and why).
    details : ``(summary, text)`` pairs shown as collapsible preformatted blocks.
    """

    heading: str
    intro: str = ""
    charts: Sequence[Any] = ()
    tables: Sequence[pd.DataFrame | Table] = ()
    items: Sequence[str] = ()
    warnings: Sequence[str] = ()
    details: Sequence[tuple[str, str]] = ()
    lead: Sequence[pd.DataFrame | Table] = ()


# --- formatting filters ---------------------------------------------------------------------


def _missing(x: object) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(isinstance(x, float | np.floating) and math.isnan(x))
    except TypeError:  # pragma: no cover
        return False


def fmt_num(x: object, digits: int = 3) -> str:
    """Format a number with `digits` significant digits; integers exactly; NaN as a dash.

    Examples
    --------
    >>> fmt_num(0.123456), fmt_num(12), fmt_num(1.5e-6), fmt_num(float("nan"))
    ('0.123', '12', '1.5e-06', '–')
    """
    if _missing(x):
        return _DASH
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    if isinstance(x, int | np.integer):
        return str(int(x))
    if not isinstance(x, float | np.floating):
        return str(x)
    v = float(x)
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    if v.is_integer() and abs(v) < 1e6:
        return str(int(v))
    if abs(v) < 1e-3 or abs(v) >= 1e5:
        return _sci(v, digits)
    return f"{v:.0f}" if abs(v) >= 10**digits else f"{v:.{digits}g}"


def _sci(v: float, digits: int) -> str:
    mant, exp = f"{v:.{max(digits - 2, 0)}e}".split("e")
    return f"{mant}e{int(exp):+03d}"


def fmt_p(p: object) -> str:
    """Format a p-value: three decimals, ``< 0.001`` below that, a dash for NaN.

    Examples
    --------
    >>> fmt_p(0.04321), fmt_p(2e-7), fmt_p(float("nan"))
    ('0.043', '< 0.001', '–')
    """
    if _missing(p):
        return _DASH
    v = float(p)  # type: ignore[arg-type]
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def fmt_ci(low: object, high: object, digits: int = 3) -> str:
    """Format a confidence interval as ``[low, high]``.

    Examples
    --------
    >>> fmt_ci(0.1234, 0.5678)
    '[0.123, 0.568]'
    """
    if _missing(low) and _missing(high):
        return _DASH
    return f"[{fmt_num(low, digits)}, {fmt_num(high, digits)}]"


@functools.cache
def environment() -> Environment:
    """The one Jinja2 environment of etr reports (autoescape, StrictUndefined, fmt filters)."""
    env = Environment(
        loader=PackageLoader("etr.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters.update(fmt_p=fmt_p, fmt_ci=fmt_ci, fmt_num=fmt_num)
    env.finalize = _shown
    return env


def _shown(value: Any) -> Any:
    """Every value a template prints, with format and control characters neutralised
    (`etr._validation.neutralise`): a right-to-left override in a task label would otherwise
    reverse the sentence around it (autoescaping leaves such characters in place)."""
    if isinstance(value, Markup):
        return Markup(neutralise(str(value)))
    return neutralise(value) if isinstance(value, str) else value


# --- charts and JavaScript ------------------------------------------------------------------


def chart_spec(chart: Any) -> dict:
    """The Vega-Lite spec of an Altair chart with its data inlined (no row limit), every string
    in it neutralised (`etr._validation.neutralise`: labels from data are drawn as text)."""
    with alt.data_transformers.enable("default", max_rows=None):
        return _neutralised(chart.to_dict())


def pack_datasets(spec: Mapping[str, Any]) -> dict:
    """`spec` with each inline dataset of records stored by column, as the page embeds it.

    A dataset that is a list of records with the same keys becomes ``{"etr_columns": [[key,
    column], ...], "n": rows}``; a column whose values are all strings (or null) is stored as
    ``{"levels": [...], "codes": [...]}``. The page's script (``templates/page.html.j2``) turns
    it back into the same records before drawing, so Vega sees the values it would have seen.
    Other datasets are left as they are.

    Why by hand: Vega-Lite reads inline data as an array of records, which repeats every key and
    every category string in every row; the scatter charts of the study's report (7,200 runs a
    chart) were 22 of its 23 MB that way. Neither Vega-Lite nor Altair has a columnar inline
    format (Arrow data needs a loader the offline page does not have).

    Examples
    --------
    >>> spec = {"datasets": {"d": [{"task": "a", "y": 1.5}, {"task": "a", "y": None}]}}
    >>> pack_datasets(spec)["datasets"]["d"]
    {'etr_columns': [['task', {'levels': ['a'], 'codes': [0, 0]}], ['y', [1.5, None]]], 'n': 2}
    """
    datasets = spec.get("datasets")
    if not isinstance(datasets, Mapping):
        return dict(spec)
    return {**spec, "datasets": {name: _packed(rows) for name, rows in datasets.items()}}


def _packed(rows: Any) -> Any:
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        return rows
    keys = list(rows[0])
    if any(list(r) != keys for r in rows):
        return rows
    columns = []
    for k in keys:
        values = [r[k] for r in rows]
        if all(v is None or isinstance(v, str) for v in values):
            levels = list(dict.fromkeys(values))
            code = {v: i for i, v in enumerate(levels)}
            columns.append([k, {"levels": levels, "codes": [code[v] for v in values]}])
        else:
            columns.append([k, values])
    return {"etr_columns": columns, "n": len(rows)}


def _neutralised(obj: Any) -> Any:
    if isinstance(obj, str):
        return neutralise(obj)
    if isinstance(obj, dict):
        return {_neutralised(k): _neutralised(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_neutralised(v) for v in obj]
    return obj


def spec_json(spec: Mapping[str, Any]) -> str:
    """JSON safe to place inside ``<script type="application/json">``.

    ``<``, ``>``, ``&`` and the JavaScript line separators are written as ``\\uXXXX`` escapes, so
    no data label can close the script element. NaN/inf become ``null``.

    Examples
    --------
    >>> text = spec_json({"label": "</script><b>"})
    >>> "<" in text, json.loads(text)["label"]
    (False, '</script><b>')
    """
    text = json.dumps(_finite(spec), allow_nan=False, default=_json_default,
                      separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, pd.Timestamp | datetime):
        return obj.isoformat()
    if obj is pd.NA:
        return None
    return str(obj)


@functools.cache
def _vega_javascript() -> str:
    import vl_convert as vlc

    js = vlc.javascript_bundle(vl_version=VEGA_LITE_VERSION)
    return re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)


@functools.cache
def _css() -> str:
    return files("etr.report").joinpath("static/report.css").read_text(encoding="utf-8")


# --- context and rendering ------------------------------------------------------------------


def _numeric_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding only numbers (e.g. after concatenating NaN rows) become numeric,
    so they are formatted and right-aligned as numbers."""
    out = frame
    for c in frame.columns:
        s = frame[c]
        if s.dtype != object or not s.notna().any():
            continue
        if not all(isinstance(v, int | float | np.integer | np.floating)
                   and not isinstance(v, bool | np.bool_) for v in s.dropna()):
            continue
        conv = pd.to_numeric(s)
        if conv.dropna().eq(conv.dropna().round()).all() and s.isna().sum() == 0:
            conv = conv.astype("int64")
        if out is frame:
            out = frame.copy()
        out[c] = conv
    return out


def _table_context(table: pd.DataFrame | Table) -> dict[str, Any]:
    if not isinstance(table, Table):
        table = Table(table)
    df = _numeric_objects(table.frame)
    cols = list(df.columns)
    plan: list[tuple[str, str, str | None]] = []  # (kind, column, high column)
    used: set[str] = set()
    for c in cols:
        if c in used:
            continue
        if c.endswith("ci_low") and c[: -len("low")] + "high" in cols:
            high = c[: -len("low")] + "high"
            plan.append(("ci", c, high))
            used.update({c, high})
            continue
        if c.endswith("ci_high") and c[: -len("high")] + "low" in cols:
            continue
        s = df[c]
        if c in table.badges:
            kind = "badge"
        elif c == "p_value" or c == "p_adj" or c.startswith("p_"):
            kind = "p"
        elif pd.api.types.is_bool_dtype(s):
            kind = "text"
        elif pd.api.types.is_integer_dtype(s):
            kind = "int"
        elif pd.api.types.is_float_dtype(s):
            kind = "num"
        else:
            kind = "text"
        plan.append((kind, c, None))
    header = []
    for kind, c, _ in plan:
        default = (c[: -len("_low")].replace("_ci", " CI") if kind == "ci" else c)
        if kind == "ci" and c == "ci_low":
            default = "CI"
        header.append({"label": table.labels.get(c, default), "kind": kind})
    rows = []
    for rec in df.itertuples(index=False, name=None):
        row = dict(zip(cols, rec))
        cells = []
        for kind, c, high in plan:
            v = row[c]
            if kind in ("text", "badge"):
                v = fmt_num(v) if _missing(v) or isinstance(v, bool | np.bool_) else str(v)
            cells.append({"kind": kind, "value": v, "high": row[high] if high else None,
                          "slug": _slug(v) if kind == "badge" else ""})
        rows.append(cells)
    return {"caption": table.caption, "header": header, "rows": rows,
            "collapsed": table.collapsed, "name": _slug(table.name)}


def _slug(value: object) -> str:
    """Lower-case letters and hyphens only (safe as a CSS class)."""
    return re.sub(r"[^a-z]+", "-", str(value).lower()).strip("-")


def _anchor(heading: str, seen: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-") or "section"
    anchor, i = base, 2
    while anchor in seen:
        anchor, i = f"{base}-{i}", i + 1
    seen.add(anchor)
    return anchor


def page_context(title: str, sections: Sequence[Section],
                 provenance: Mapping[str, Any]) -> dict[str, Any]:
    """The plain context dict the template renders (no Markup except trusted package assets)."""
    seen: set[str] = set()
    out_sections = []
    n_charts = 0
    for s in sections:
        charts = []
        for ch in s.charts:
            fig = ch if isinstance(ch, Figure) else Figure(ch)
            n_charts += 1
            charts.append({"id": f"chart-{n_charts}", "caption": fig.caption,
                           "spec_json": Markup(spec_json(pack_datasets(chart_spec(fig.chart))))})
        out_sections.append({
            "heading": s.heading,
            "anchor": _anchor(s.heading, seen),
            "intro": [p.strip() for p in re.split(r"\n\s*\n", s.intro) if p.strip()],
            "bullets": list(s.items),
            "warnings": list(s.warnings),
            "tables": [_table_context(t) for t in s.tables],
            "lead": [_table_context(t) for t in s.lead],
            "charts": charts,
            "details": [{"summary": a, "text": b} for a, b in s.details],
        })
    prov = dict(provenance)
    head = {
        "etr_version": str(prov.get("etr_version", __version__)),
        "spec_sha256": str(prov.get("spec_sha256", "") or ""),
        "dataset_sha256": str(prov.get("dataset_sha256", "") or ""),
        "created": str(prov.get("report_created")
                       or datetime.now(UTC).isoformat(timespec="seconds")),
    }
    shown = [(k, _prov_value(v)) for k, v in prov.items() if k != "spec"]
    return {"title": title, "sections": out_sections, "provenance": shown, "head": head,
            "n_charts": n_charts,
            "css": Markup(_css()),
            "vega_js": Markup(_vega_javascript()) if n_charts else ""}


def _prov_value(v: Any) -> str:
    if isinstance(v, Mapping | list | tuple):
        return json.dumps(v, default=_json_default, sort_keys=True)
    return fmt_num(v) if _missing(v) else str(v)


def render_page(title: str, sections: Sequence[Section], provenance: Mapping[str, Any]) -> str:
    """Render sections into one self-contained HTML page (JavaScript and CSS inlined).

    Parameters
    ----------
    title : page title (escaped).
    sections : the `Section` objects, in order.
    provenance : shown in the footer; the keys ``etr_version``, ``spec_sha256``,
        ``dataset_sha256`` and ``report_created`` also go into ``<meta>`` tags of the page head
        (the current etr version and time when absent). A ``spec`` key is not shown in the footer
        (add it to a section's ``details`` instead).

    Returns
    -------
    str
        The HTML document. It makes no network request when opened.

    Examples
    --------
    >>> import pandas as pd
    >>> html = render_page("Demo", [Section("Numbers", "A <b> table.",
    ...                    tables=[pd.DataFrame({"x": ["<i>"], "p_value": [0.01]})])], {})
    >>> "&lt;i&gt;" in html and "<i>" not in html and "0.010" in html
    True
    """
    ctx = page_context(title, sections, provenance)
    return environment().get_template("page.html.j2").render(**ctx)


def write_report(html: str, path: str | os.PathLike[str]) -> Path:
    """Write an HTML page atomically (UTF-8), creating parent folders; return the path.

    A failed write (e.g. a full disk) leaves no temporary file and any old page untouched
    (`etr._outputs.atomic_write`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as fh:
        fh.write(html)
    return path


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_text(text: str) -> str:
    """Hex sha256 of a string's UTF-8 bytes ("" for an empty string)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text else ""
