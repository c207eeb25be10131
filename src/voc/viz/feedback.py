"""Figures for a first look at the feedback table."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from voc.viz._style import PALETTE, month_label, style


def volume_by_channel_figure(feedback: pl.DataFrame) -> go.Figure:
    """Feedback items per UTC month, stacked by channel; the title names the busiest channel and month."""
    for col in ("channel", "created_at"):
        if col not in feedback.columns:
            raise ValueError(f"feedback: missing column {col!r}; has {feedback.columns}")
    frame = (feedback.with_columns(pl.col("created_at").dt.truncate("1mo").dt.date().alias("month"))
             .group_by("month", "channel").agg(pl.len().alias("n")).sort("month", "channel"))
    fig = go.Figure()
    channels = (frame.group_by("channel").agg(pl.col("n").sum()).sort(["n", "channel"], descending=[True, False]))
    for i, channel in enumerate(channels["channel"].to_list()):
        part = frame.filter(pl.col("channel") == channel)
        fig.add_trace(go.Bar(x=part["month"].to_list(), y=part["n"].to_list(), name=channel,
                             marker={"color": PALETTE[i % len(PALETTE)]}))
    if feedback.height:
        top = channels.row(0, named=True)
        months = frame.group_by("month").agg(pl.col("n").sum()).sort(["n", "month"], descending=[True, False])
        busiest = months.row(0, named=True)
        title = (f"{feedback.height:,} items; {top['channel']} brings the most ({100 * top['n'] / feedback.height:.0f}%),"
                 f" and {month_label(busiest['month'])} was the busiest month ({busiest['n']:,} items)")
    else:
        title = "No feedback items"
    fig = style(fig, title=title, x_title="Month (UTC)", y_title="Feedback items (count)")
    fig.update_layout(barmode="stack")
    return fig
