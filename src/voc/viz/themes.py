"""Figures for themes (topics): volume, sentiment per theme, share over time. Outlier topic -1 is left out."""

from __future__ import annotations

import html

import plotly.graph_objects as go
import polars as pl

from voc.viz._style import NEGATIVE, NEUTRAL, PALETTE, POSITIVE, month_label, quote, signed, style


def _check_columns(frame: pl.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; has {frame.columns}")


def _net_colour(net: float) -> str:
    return POSITIVE if net > 10 else NEGATIVE if net < -10 else NEUTRAL


def top_themes_figure(theme_sentiment: pl.DataFrame, *, top_n: int = 8) -> go.Figure:
    """The ``top_n`` largest themes by item count, coloured by net sentiment (% positive minus % negative)."""
    _check_columns(theme_sentiment, ("topic_id", "topic_label", "n", "net_sentiment"), "theme_sentiment")
    themes = theme_sentiment.filter(pl.col("topic_id") >= 0)
    total = int(theme_sentiment["n"].sum())
    top = themes.sort(["n", "topic_id"], descending=[True, False]).head(top_n)
    fig = go.Figure(go.Bar(
        x=top["n"].to_list()[::-1], y=[html.escape(v) for v in top["topic_label"].to_list()[::-1]],
        orientation="h", marker={"color": [_net_colour(v) for v in top["net_sentiment"].to_list()[::-1]]},
        customdata=top["net_sentiment"].to_list()[::-1],
        hovertemplate="%{y}: %{x} items, net sentiment %{customdata:+.0f}<extra></extra>",
    ))
    if top.height:
        largest = top.row(0, named=True)
        worst = top.sort(["net_sentiment", "topic_id"]).row(0, named=True)
        share = 100.0 * largest["n"] / total if total else 0.0
        title = f"{quote(largest['topic_label'])} is the largest theme ({share:.0f}% of feedback)"
        if worst["topic_id"] != largest["topic_id"]:
            title += f"; {quote(worst['topic_label'])} is the most negative (net {signed(worst['net_sentiment'])})"
        else:
            title += f" and the most negative (net {signed(worst['net_sentiment'])})"
    else:
        title = "No themes found: every item is an outlier"
    fig = style(fig, title=title, x_title="Feedback items (count; blue positive, orange negative, grey mixed)",
                y_title="Theme")
    fig.update_layout(height=max(320, 40 * top.height + 140))
    return fig


def theme_sentiment_figure(theme_sentiment: pl.DataFrame, *, top_n: int = 8) -> go.Figure:
    """Net sentiment per theme for the ``top_n`` largest themes, most negative first."""
    _check_columns(theme_sentiment, ("topic_id", "topic_label", "n", "net_sentiment", "share_negative"),
                   "theme_sentiment")
    top = (theme_sentiment.filter(pl.col("topic_id") >= 0)
           .sort(["n", "topic_id"], descending=[True, False]).head(top_n)
           .sort(["net_sentiment", "topic_id"]))
    fig = go.Figure(go.Bar(
        x=[html.escape(v) for v in top["topic_label"].to_list()], y=top["net_sentiment"].to_list(),
        marker={"color": [_net_colour(v) for v in top["net_sentiment"].to_list()]},
        customdata=top["n"].to_list(),
        hovertemplate="%{x}: net %{y:+.0f} (n=%{customdata})<extra></extra>",
    ))
    negative = top.filter(pl.col("net_sentiment") < 0).height
    if top.height:
        worst = top.row(0, named=True)
        title = (f"{negative} of the {top.height} largest themes lean negative; "
                 f"{quote(worst['topic_label'])} is worst (net {signed(worst['net_sentiment'])})")
    else:
        title = "No themes to compare"
    fig = style(fig, title=title, x_title="Theme", y_title="Net sentiment (% positive minus % negative)")
    fig.add_hline(y=0, line={"color": "#444", "width": 1})
    return fig


def topics_over_time_figure(topics_over_time: pl.DataFrame, topic_info: pl.DataFrame, *,
                            top_n: int = 5) -> go.Figure:
    """Monthly share of feedback (%) for the ``top_n`` largest themes; the title names the biggest mover
    between the first and the last month."""
    _check_columns(topics_over_time, ("month", "topic_id", "count", "share"), "topics_over_time")
    _check_columns(topic_info, ("topic_id", "topic_label", "count"), "topic_info")
    if topics_over_time.height and not 0.0 <= float(topics_over_time["share"].max()) <= 1.0:  # type: ignore[arg-type]
        raise ValueError("topics_over_time.share must be a fraction of the month's items in [0, 1]")
    top = (topic_info.filter(pl.col("topic_id") >= 0)
           .sort(["count", "topic_id"], descending=[True, False]).head(top_n))
    labels = dict(zip(top["topic_id"].to_list(), top["topic_label"].to_list(), strict=True))
    frame = topics_over_time.filter(pl.col("topic_id").is_in(list(labels))).sort(["topic_id", "month"])
    fig = go.Figure()
    moves: list[tuple[float, int, str, float, float]] = []
    months = sorted(topics_over_time["month"].unique().to_list())
    for i, (topic_id, label) in enumerate(labels.items()):
        series = frame.filter(pl.col("topic_id") == topic_id)
        # share is a fraction of the month's items; missing months mean 0 items of that theme.
        by_month = dict(zip(series["month"].to_list(), series["share"].to_list(), strict=True))
        shares = [100.0 * (by_month.get(m) or 0.0) for m in months]
        fig.add_trace(go.Scatter(x=months, y=shares, mode="lines+markers", name=html.escape(label),
                                 line={"color": PALETTE[i % len(PALETTE)]},
                                 hovertemplate="%{x|%b %Y}: %{y:.0f}%<extra>" + html.escape(label) + "</extra>"))
        if len(months) >= 2:
            moves.append((shares[-1] - shares[0], topic_id, label, shares[0], shares[-1]))
    if moves:
        delta, _, label, first, last = max(moves, key=lambda m: (abs(m[0]), -m[1]))
        verb = "grew" if delta > 0 else "shrank"
        title = (f"{quote(label)} {verb} most: {first:.0f}% to {last:.0f}% of feedback "
                 f"from {month_label(months[0])} to {month_label(months[-1])}")
        if abs(delta) < 1:
            title = f"Theme shares held steady (within 1 point) from {month_label(months[0])}"
    else:
        title = "Theme shares: fewer than two months of data"
    return style(fig, title=title, x_title="Month", y_title="Share of the month's feedback (%)")
