"""Figures for the survey scores: NPS (points, -100..100), CSAT (top-2-box %, 0..100), CES (mean, 1..7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from voc.viz._style import NEGATIVE, NEUTRAL, PALETTE, POSITIVE, change_phrase, month_label, signed, style

Metric = Literal["nps", "csat", "ces"]

#: name, axis label with unit, unit used in titles, change treated as "steady", decimals.
METRICS: dict[str, tuple[str, str, str, float, int]] = {
    "nps": ("NPS", "NPS (points, -100 to 100)", "points", 1.0, 0),
    "csat": ("CSAT", "CSAT (top-2-box, % of responses)", "percentage points", 1.0, 0),
    "ces": ("CES", "CES (mean, 1 = very hard to 7 = very easy)", "points", 0.05, 1),
}


def _fmt(metric: str, value: float) -> str:
    if metric == "nps":
        return signed(value)
    if metric == "csat":
        return f"{value:.0f}%"
    return f"{value:.1f}/7"


def _check_columns(frame: pl.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; has {frame.columns}")


def headline_scores_figure(insights: Mapping[str, Any]) -> go.Figure:
    """NPS, CSAT and CES from ``insights.json``, each a point with its 95% confidence interval."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=[METRICS[m][0] for m in ("nps", "csat", "ces")])
    parts = []
    for col, metric in enumerate(("nps", "csat", "ces"), start=1):
        if metric not in insights:
            raise ValueError(f"insights.json: missing key {metric!r}")
        block = insights[metric]
        value, low, high, n = block["value"], block["ci_low"], block["ci_high"], block["n"]
        name, axis, *_ = METRICS[metric]
        if value is None:
            parts.append(f"{name} n/a (no responses)")
            continue
        fig.add_trace(
            go.Scatter(
                x=[name],
                y=[value],
                error_y={"type": "data", "symmetric": False, "array": [high - value], "arrayminus": [value - low]},
                mode="markers",
                marker={"size": 14, "color": PALETTE[col - 1]},
                name=name,
                hovertemplate=f"{name} %{{y:.1f}} (95% CI {low:.1f} to {high:.1f}, n={n})<extra></extra>",
            ),
            row=1,
            col=col,
        )
        fig.update_yaxes(title_text=axis, row=1, col=col)
        fig.update_xaxes(title_text=f"n = {n} responses", showticklabels=False, row=1, col=col)
        parts.append(f"{name} {_fmt(metric, value)} (95% CI {_fmt(metric, low)} to {_fmt(metric, high)})")
    title = "Headline scores: " + "; ".join(parts)
    fig = style(fig, title=title, x_title=None, y_title=None)
    fig.update_layout(showlegend=False, height=380)
    return fig


def score_trend_figure(scores_by_month: pl.DataFrame, *, metric: Metric) -> go.Figure:
    """One score by month with its 95% CI band; the title states the change between the first and last
    reliable months (months below the minimum-n guard are drawn hollow and left out of the finding)."""
    _check_columns(scores_by_month, ("metric", "month", "n", "value", "ci_low", "ci_high", "reliable"),
                   "scores_by_month")
    name, axis, unit, steady, digits = METRICS[metric]
    frame = scores_by_month.filter(pl.col("metric") == metric).drop_nulls("value").sort("month")
    fig = go.Figure()
    if frame.height:
        months = frame["month"].to_list()
        fig.add_trace(go.Scatter(
            x=months + months[::-1],
            y=frame["ci_high"].to_list() + frame["ci_low"].to_list()[::-1],
            fill="toself", fillcolor="rgba(0,114,178,0.15)", line={"width": 0},
            name="95% CI", hoverinfo="skip",
        ))
        reliable = frame["reliable"].fill_null(False).to_list()
        fig.add_trace(go.Scatter(
            x=months, y=frame["value"].to_list(), mode="lines+markers", name=name,
            line={"color": PALETTE[0]},
            marker={"size": 9, "color": [PALETTE[0] if r else "white" for r in reliable],
                    "line": {"color": PALETTE[0], "width": 2}},
            customdata=frame["n"].to_list(),
            hovertemplate="%{x|%b %Y}: %{y:.1f} (n=%{customdata})<extra></extra>",
        ))
    good = frame.filter(pl.col("reliable").fill_null(False))
    if good.height >= 2:
        first, last = good.row(0, named=True), good.row(-1, named=True)
        delta = last["value"] - first["value"]
        title = (f"{name} {change_phrase(delta, unit=unit, tolerance=steady, digits=digits)} since "
                 f"{month_label(first['month'])} (now {_fmt(metric, last['value'])})")
    elif frame.height:
        title = f"{name}: too few responses per month to call a trend ({frame['n'].sum()} responses)"
    else:
        title = f"{name}: no responses in any month"
    fig = style(fig, title=title, x_title="Month", y_title=axis)
    fig.update_xaxes(dtick="M1", tickformat="%b %Y")
    return fig


def score_trends_figure(scores_by_month: pl.DataFrame) -> go.Figure:
    """NPS, CSAT and CES by month side by side, each with its 95% CI band; the title states each change
    between the first and last reliable months."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=[METRICS[m][0] for m in ("nps", "csat", "ces")])
    parts = []
    for col, metric in enumerate(("nps", "csat", "ces"), start=1):
        single = score_trend_figure(scores_by_month, metric=metric)  # type: ignore[arg-type]
        for trace in single.data:
            trace.showlegend = False
            fig.add_trace(trace, row=1, col=col)
        fig.update_yaxes(title_text=METRICS[metric][1], row=1, col=col)
        fig.update_xaxes(dtick="M2", tickformat="%b %Y", row=1, col=col)
        title = single.layout.title.text.replace("<br>", " ")
        parts.append(title.split(" (now")[0] if " since " in title else title)
    fig = style(fig, title="; ".join(parts), x_title=None, y_title=None)
    fig.update_layout(height=440, margin={"t": 120})
    return fig


def scores_by_channel_figure(scores_by_channel: pl.DataFrame, *, metric: Metric) -> go.Figure:
    """One score per channel with 95% CIs; the title names the best and worst reliable channels."""
    _check_columns(scores_by_channel, ("metric", "channel", "n", "value", "ci_low", "ci_high", "reliable"),
                   "scores_by_channel")
    name, axis, *_ = METRICS[metric]
    frame = scores_by_channel.filter(pl.col("metric") == metric).drop_nulls("value").sort("value",
                                                                                           descending=True)
    values = frame["value"].to_list()
    fig = go.Figure(go.Bar(
        x=frame["channel"].to_list(), y=values,
        error_y={"type": "data", "symmetric": False,
                 "array": (frame["ci_high"] - frame["value"]).to_list(),
                 "arrayminus": (frame["value"] - frame["ci_low"]).to_list()},
        marker={"color": [PALETTE[0] if r else NEUTRAL for r in frame["reliable"].fill_null(False)]},
        customdata=frame["n"].to_list(),
        hovertemplate="%{x}: %{y:.1f} (n=%{customdata})<extra></extra>",
    ))
    good = frame.filter(pl.col("reliable").fill_null(False))
    if good.height >= 2:
        top, bottom = good.row(0, named=True), good.row(-1, named=True)
        best, worst = (bottom, top) if metric == "ces" else (top, bottom)  # for CES lower is better
        title = (f"{name} is best on {best['channel']} ({_fmt(metric, best['value'])}) and worst on "
                 f"{worst['channel']} ({_fmt(metric, worst['value'])})")
    else:
        title = f"{name}: fewer than two channels have enough responses to compare"
    return style(fig, title=title, x_title="Channel (grey = below minimum n)", y_title=axis)


def sentiment_gauge_figure(net_sentiment: float, *, n_items: int) -> go.Figure:
    """A gauge of net sentiment (% positive minus % negative, -100..100) over ``n_items`` feedback items."""
    if not -100.0 <= net_sentiment <= 100.0:
        raise ValueError(f"net_sentiment must be in [-100, 100], got {net_sentiment}")
    colour = POSITIVE if net_sentiment > 5 else NEGATIVE if net_sentiment < -5 else NEUTRAL
    fig = go.Figure(go.Indicator(
        mode="gauge+number", value=net_sentiment, number={"suffix": " pts", "valueformat": "+.0f"},
        gauge={"axis": {"range": [-100, 100], "ticksuffix": " pts"},
               "bar": {"color": colour},
               "steps": [{"range": [-100, 0], "color": "#FBE3D6"}, {"range": [0, 100], "color": "#DCEBF5"}]},
    ))
    if net_sentiment > 5:
        verdict = "more feedback is positive than negative"
    elif net_sentiment < -5:
        verdict = "more feedback is negative than positive"
    else:
        verdict = "positive and negative feedback are about balanced"
    title = f"Net sentiment is {signed(net_sentiment)}: {verdict} ({n_items:,} items)"
    fig = style(fig, title=title, x_title=None, y_title=None)
    fig.add_annotation(text="Net sentiment = % positive minus % negative items (points, -100 to 100)",
                       x=0.5, y=-0.12, xref="paper", yref="paper", showarrow=False)
    fig.update_layout(height=340)
    return fig
