"""Shared look for every figure: a colour-blind-safe palette, titles that state findings, labelled axes."""

from __future__ import annotations

import datetime as dt
import html
import textwrap

import plotly.graph_objects as go

# Okabe-Ito: distinguishable with the common colour-vision deficiencies, readable on white.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # green
    "#CC79A7",  # pink
    "#56B4E9",  # sky
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",
)
NEGATIVE = "#D55E00"
NEUTRAL = "#999999"
POSITIVE = "#0072B2"
TEMPLATE = "plotly_white"


def style(fig: go.Figure, *, title: str, x_title: str | None, y_title: str | None) -> go.Figure:
    """Apply the house look, the finding-stating ``title`` and the axis labels (with units) to ``fig``."""
    fig.update_layout(
        template=TEMPLATE,
        title={"text": wrap(title), "x": 0.0, "xanchor": "left"},
        font={"size": 13},
        margin={"l": 70, "r": 30, "t": 80, "b": 60},
        legend={"title": {"text": ""}},
    )
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    return fig


def wrap(title: str, *, width: int = 95) -> str:
    """Break a long title into lines of about ``width`` characters (plotly does not wrap titles)."""
    return "<br>".join(textwrap.wrap(title, width=width, break_long_words=False)) or title


def month_label(value: dt.date | dt.datetime) -> str:
    """``March 2024``: how a month is named in titles."""
    return value.strftime("%B %Y")


def signed(value: float, *, digits: int = 0) -> str:
    """A number with an explicit sign: ``+12``, ``-3.5``, ``0``."""
    text = f"{value:+.{digits}f}"
    return "0" if float(text) == 0 else text


def change_phrase(delta: float, *, unit: str, tolerance: float, digits: int = 0) -> str:
    """``rose 6 points`` / ``fell 6 points`` / ``held steady (within 1 point)``."""
    size = f"{abs(delta):.{digits}f}"
    if abs(delta) <= tolerance:
        return f"held steady (within {tolerance:g} {unit})"
    return f"{'rose' if delta > 0 else 'fell'} {size} {unit}"


def quote(label: str, *, limit: int = 40) -> str:
    """A topic label in quotes, shortened and HTML-escaped for a plotly title."""
    label = label if len(label) <= limit else label[: limit - 1] + "…"
    return f"“{html.escape(label)}”"


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """``1 ticket``, ``2 tickets``, ``1,204 feedback items`` (``nouns`` for an irregular plural)."""
    return f"{n:,} {noun if n == 1 else (nouns or noun + 's')}"
