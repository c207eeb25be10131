"""HTML pieces for the reports. Every value that reaches the page goes through ``html.escape``: customer
text is data, never markup."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from voc.reports.provenance import DataVersion

#: report name -> title shown in the navigation bar.
REPORT_TITLES: dict[str, str] = {
    "index": "Overview",
    "themes": "Themes",
    "complaints": "Complaints",
    "churn": "Churn",
    "customer360": "Customer 360",
}

_STYLE = (
    "<style>.voc-table{border-collapse:collapse;font-size:13px;margin:8px 0}"
    ".voc-table th,.voc-table td{border:1px solid #ccc;padding:4px 8px;text-align:left!important;vertical-align:top}"
    ".voc-table th{background:#f2f2f2}.voc-nav a{margin-right:14px;font-weight:600}"
    ".voc-version{color:#555;font-size:12px}.voc-scope{font-weight:600;margin:6px 0}.voc-cards{display:flex;gap:16px;flex-wrap:wrap}"
    ".voc-card{border:1px solid #ccc;border-radius:6px;padding:8px 14px;min-width:150px}"
    ".voc-card b{font-size:22px;display:block}</style>"
)


def _cell(value: Any, fmt: Callable[[Any], str] | None) -> str:
    if value is None:
        return ""
    return html.escape(fmt(value) if fmt else str(value))


def html_table(frame: pl.DataFrame, *, columns: Mapping[str, str] | None = None,
               formats: Mapping[str, Callable[[Any], str]] | None = None, caption: str | None = None) -> str:
    """``frame`` as an HTML table; ``columns`` maps column -> header (and picks the order), ``formats``
    maps column -> formatter. Headers, caption and every cell are HTML-escaped."""
    columns = dict(columns) if columns is not None else {c: c for c in frame.columns}
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"html_table: missing column(s) {missing}; has {frame.columns}")
    formats = formats or {}
    head = "".join(f"<th>{html.escape(h)}</th>" for h in columns.values())
    rows = [
        "<tr>" + "".join(f"<td>{_cell(row[c], formats.get(c))}</td>" for c in columns) + "</tr>"
        for row in frame.select(list(columns)).iter_rows(named=True)
    ]
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'{_STYLE}<table class="voc-table">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


#: the data version line exactly as ``report_header`` writes it: fixed words, a count and hex digests only
VERSION_LINE_RE = re.compile(
    r"Data version: git commit (?:[0-9a-f]{12}|not a git checkout); md5 of the \d{1,4} input files [0-9a-f]{32}"
    r"(?:; dvc\.lock digest [0-9a-f]{32} \(its stages before the reports\)|; no dvc\.lock)"
)


def report_header(name: str, *, version: DataVersion, reports: Sequence[str], scope: str | None = None) -> str:
    """Navigation links to the other reports (relative ``<name>.html``), the data version line and, when
    given, what the report shows (``scope``: e.g. ``segment region = EU; period Jan 2026 to Jun 2026``)."""
    links = " ".join(
        f'<a href="{html.escape(r)}.html">{html.escape(REPORT_TITLES.get(r, r))}</a>' if r != name
        else f"<span>{html.escape(REPORT_TITLES.get(r, r))}</span>"
        for r in reports
    )
    commit = version.commit[:12] if version.commit else "not a git checkout"
    lock = "; no dvc.lock"
    if version.dvc_lock_md5:
        lock = f"; dvc.lock digest {version.dvc_lock_md5} (its stages before the reports)"
    line = (f"Data version: git commit {commit}; md5 of the {version.n_inputs} input files "
            f"{version.inputs_md5}{lock}")
    shown = f'<p class="voc-scope">Showing: {html.escape(scope)}</p>' if scope else ""
    return f'{_STYLE}<nav class="voc-nav">{links}</nav>{shown}<p class="voc-version">{html.escape(line)}</p>'


def headline_cards(cards: Sequence[tuple[str, str, str]]) -> str:
    """A row of (label, value, note) cards for the overview page; all text escaped."""
    body = "".join(
        f'<div class="voc-card">{html.escape(label)}<b>{html.escape(value)}</b>{html.escape(note)}</div>'
        for label, value, note in cards
    )
    return f'{_STYLE}<div class="voc-cards">{body}</div>'
