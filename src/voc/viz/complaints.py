"""Figures for complaint handling: SLA achievement (% of decided tickets within SLA), hours, escalation."""

from __future__ import annotations

import html

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from voc.viz._style import PALETTE, change_phrase, month_label, plural, quote, style

PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")


def _check_columns(frame: pl.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; has {frame.columns}")


def _priority_order(values: list[str]) -> list[str]:
    known = [p for p in PRIORITIES if p in values]
    return known + sorted(v for v in values if v not in PRIORITIES)


def sla_by_priority_figure(by_priority: pl.DataFrame) -> go.Figure:
    """First-response and resolution SLA achievement (%) per priority; the title names the weakest."""
    cols = ("priority", "n_tickets", "sla_first_response_achievement", "sla_resolution_achievement")
    _check_columns(by_priority, cols, "SLA by priority")
    order = _priority_order(by_priority["priority"].to_list())
    frame = by_priority.with_columns(pl.col("priority").replace_strict(
        {p: i for i, p in enumerate(order)}, return_dtype=pl.Int32).alias("_o")).sort("_o")
    fig = go.Figure()
    for i, (col, name) in enumerate((("sla_first_response_achievement", "First response"),
                                     ("sla_resolution_achievement", "Resolution"))):
        fig.add_trace(go.Bar(x=frame["priority"].to_list(), y=frame[col].to_list(), name=name,
                             marker={"color": PALETTE[i]}, customdata=frame["n_tickets"].to_list(),
                             hovertemplate="%{x}: %{y:.0f}% (n=%{customdata})<extra>" + name + "</extra>"))
    decided = frame.drop_nulls("sla_resolution_achievement")
    if decided.height:
        worst = decided.sort(["sla_resolution_achievement", "_o"]).row(0, named=True)
        best = decided.sort(["sla_resolution_achievement", "_o"], descending=[True, False]).row(0, named=True)
        title = (f"{worst['priority'].capitalize()} tickets meet the resolution SLA least often "
                 f"({worst['sla_resolution_achievement']:.0f}%, against {best['sla_resolution_achievement']:.0f}% "
                 f"for {best['priority']})")
    else:
        title = "No ticket has a decided resolution SLA yet"
    fig = style(fig, title=title, x_title="Priority", y_title="Within SLA (% of decided tickets)")
    fig.update_layout(barmode="group", yaxis_range=[0, 105])
    return fig


def sla_trend_figure(monthly_by_priority: pl.DataFrame, monthly: pl.DataFrame) -> go.Figure:
    """Resolution SLA achievement (%) by month, one line per priority plus all tickets (thick, black)."""
    cols = ("month", "n_tickets", "sla_resolution_achievement")
    _check_columns(monthly_by_priority, ("priority", *cols), "monthly SLA by priority")
    _check_columns(monthly, cols, "monthly SLA")
    fig = go.Figure()
    for i, priority in enumerate(_priority_order(monthly_by_priority["priority"].unique().to_list())):
        part = monthly_by_priority.filter(pl.col("priority") == priority).sort("month")
        fig.add_trace(go.Scatter(x=part["month"].to_list(), y=part["sla_resolution_achievement"].to_list(),
                                 mode="lines+markers", name=priority, line={"color": PALETTE[i % len(PALETTE)]},
                                 customdata=part["n_tickets"].to_list(),
                                 hovertemplate="%{x|%b %Y}: %{y:.0f}% (n=%{customdata})<extra>" + priority
                                 + "</extra>"))
    overall = monthly.sort("month").drop_nulls("sla_resolution_achievement")
    fig.add_trace(go.Scatter(x=overall["month"].to_list(), y=overall["sla_resolution_achievement"].to_list(),
                             mode="lines", name="all tickets", line={"color": "#000000", "width": 4}))
    if overall.height >= 2:
        first, last = overall.row(0, named=True), overall.row(-1, named=True)
        delta = last["sla_resolution_achievement"] - first["sla_resolution_achievement"]
        title = (f"Resolution SLA achievement {change_phrase(delta, unit='points', tolerance=1)} since "
                 f"{month_label(first['month'])} (now {last['sla_resolution_achievement']:.0f}%)")
    else:
        title = "Resolution SLA achievement: fewer than two months of decided tickets"
    fig = style(fig, title=title, x_title="Month ticket opened", y_title="Resolved within SLA (% of decided)")
    fig.update_layout(yaxis_range=[0, 105])
    return fig


def _hours_by_priority(ticket_metrics: pl.DataFrame, column: str) -> tuple[go.Figure, pl.DataFrame]:
    """Box plots of ``column`` (hours) per priority, tickets with a value only, and the medians per priority
    sorted ascending (columns ``priority``, ``median``)."""
    _check_columns(ticket_metrics, ("priority", column), "ticket_metrics")
    known = ticket_metrics.drop_nulls(column).with_columns(pl.col("priority").cast(pl.String))
    fig = go.Figure()
    for i, priority in enumerate(_priority_order(known["priority"].unique().to_list())):
        hours = known.filter(pl.col("priority") == priority)[column].to_list()
        fig.add_trace(go.Box(y=hours, name=priority, marker={"color": PALETTE[i % len(PALETTE)]},
                             boxpoints="outliers"))
    medians = known.group_by("priority").agg(pl.col(column).median().alias("median")).sort(["median", "priority"])
    return fig, medians


def resolution_time_figure(ticket_metrics: pl.DataFrame) -> go.Figure:
    """Resolution time (hours) per priority as box plots; the title compares the medians."""
    fig, medians = _hours_by_priority(ticket_metrics, "resolution_hours")
    if medians.height >= 2:
        fast, slow = medians.row(0, named=True), medians.row(-1, named=True)
        title = (f"Median resolution takes {slow['median']:.0f} h for {slow['priority']} tickets "
                 f"against {fast['median']:.0f} h for {fast['priority']}")
    elif medians.height == 1:
        title = f"Median resolution takes {medians['median'][0]:.0f} h ({medians['priority'][0]} tickets)"
    else:
        title = "No ticket is resolved yet"
    return style(fig, title=title, x_title="Priority", y_title="Resolution time (hours)")


def escalation_trend_figure(monthly: pl.DataFrame) -> go.Figure:
    """Tickets opened per month (bars) and the share escalated (%, line on the right axis)."""
    _check_columns(monthly, ("month", "n_tickets", "escalation_rate"), "monthly tickets")
    frame = monthly.sort("month")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=frame["month"].to_list(), y=frame["n_tickets"].to_list(), name="tickets opened",
                         marker={"color": "#BBBBBB"}), secondary_y=False)
    fig.add_trace(go.Scatter(x=frame["month"].to_list(), y=frame["escalation_rate"].to_list(),
                             mode="lines+markers", name="escalated (%)", line={"color": PALETTE[5], "width": 3}),
                  secondary_y=True)
    if frame.height >= 2:
        first, last = frame.row(0, named=True), frame.row(-1, named=True)
        delta = last["escalation_rate"] - first["escalation_rate"]
        title = (f"Escalation rate {change_phrase(delta, unit='points', tolerance=1)} since "
                 f"{month_label(first['month'])} (now {last['escalation_rate']:.0f}% of tickets)")
    else:
        title = "Escalation rate: fewer than two months of tickets"
    fig = style(fig, title=title, x_title="Month ticket opened", y_title=None)
    fig.update_yaxes(title_text="Tickets opened (count)", secondary_y=False)
    fig.update_yaxes(title_text="Escalated (% of tickets)", secondary_y=True, rangemode="tozero")
    return fig


def backlog_figure(complaints_by_month: pl.DataFrame) -> go.Figure:
    """Open tickets at each month end (bars) and the share of tickets that repeat a customer's theme
    (``recurrence_rate``, a fraction, drawn in %, right axis); the title states the latest backlog."""
    _check_columns(complaints_by_month, ("month", "backlog_end", "recurrence_rate"), "complaints_by_month")
    frame = complaints_by_month.sort("month")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=frame["month"].to_list(), y=frame["backlog_end"].to_list(), name="open at month end",
                         marker={"color": PALETTE[0]}), secondary_y=False)
    fig.add_trace(go.Scatter(x=frame["month"].to_list(), y=(frame["recurrence_rate"] * 100).to_list(),
                             mode="lines+markers", name="recurring (%)", line={"color": PALETTE[5], "width": 3}),
                  secondary_y=True)
    if frame.height:
        last = frame.row(-1, named=True)
        peak = frame.sort(["backlog_end", "month"], descending=[True, False]).row(0, named=True)
        title = f"{plural(last['backlog_end'], 'ticket')} open at the end of {month_label(last['month'])}"
        if peak["month"] != last["month"]:
            title += f" (peak {peak['backlog_end']:,} in {month_label(peak['month'])})"
        rec = frame.drop_nulls("recurrence_rate")
        if rec.height:
            title += f"; {100 * rec['recurrence_rate'][-1]:.0f}% of last month's tickets repeat an earlier complaint"
    else:
        title = "No tickets"
    fig = style(fig, title=title, x_title="Month", y_title=None)
    fig.update_yaxes(title_text="Open tickets at month end (count)", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text="Recurring (% of the month's tickets)", secondary_y=True, rangemode="tozero")
    fig.update_xaxes(dtick="M1", tickformat="%b %Y")
    return fig


def root_cause_pareto_figure(complaints_by_theme: pl.DataFrame, *, top_n: int = 12) -> go.Figure:
    """Tickets per theme, largest first (bars), with the cumulative share of tickets (%, line): the few
    themes that cause most complaints. Tickets without a theme are one bar, ``(no theme)``."""
    _check_columns(complaints_by_theme, ("topic_id", "topic_label", "n_tickets"), "complaints_by_theme")
    frame = (complaints_by_theme.with_columns(
        pl.when(pl.col("topic_id").is_null() | (pl.col("topic_id") < 0)).then(pl.lit("(no theme)"))
        .otherwise(pl.col("topic_label")).alias("label"))
        .sort(["n_tickets", "topic_id"], descending=[True, False], nulls_last=True))
    total = int(frame["n_tickets"].sum())
    top = frame.head(top_n)
    cumulative = (top["n_tickets"].cum_sum() * 100.0 / total).to_list() if total else []
    labels = [html.escape(v) for v in top["label"].to_list()]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=labels, y=top["n_tickets"].to_list(), name="tickets", marker={"color": PALETTE[0]}),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=labels, y=cumulative, mode="lines+markers", name="cumulative share (%)",
                             line={"color": PALETTE[1], "width": 3}), secondary_y=True)
    if total:
        k = next((i + 1 for i, c in enumerate(cumulative) if c >= 80.0), len(cumulative))
        title = (f"{k} of {plural(frame.height, 'theme')} cause {cumulative[k - 1]:.0f}% "
                 f"of the {plural(total, 'ticket')}; "
                 f"{quote(top['label'][0])} alone {100 * top['n_tickets'][0] / total:.0f}%")
    else:
        title = "No tickets"
    fig = style(fig, title=title, x_title="Theme (root cause)", y_title=None)
    fig.update_yaxes(title_text="Tickets (count)", secondary_y=False)
    fig.update_yaxes(title_text="Cumulative share of tickets (%)", secondary_y=True, range=[0, 105])
    return fig


def requester_wait_figure(ticket_metrics: pl.DataFrame) -> go.Figure:
    """Requester wait (hours in new, open and on-hold until the final solve) per priority as box plots,
    solved tickets only; the title compares the medians."""
    fig, medians = _hours_by_priority(ticket_metrics, "requester_wait_hours")
    if medians.height >= 2:
        short, long = medians.row(0, named=True), medians.row(-1, named=True)
        title = (f"Customers wait longest on {long['priority']} tickets (median {long['median']:.0f} h "
                 f"until solved) and least on {short['priority']} ({short['median']:.0f} h)")
    elif medians.height == 1:
        title = f"Customers wait a median {medians['median'][0]:.0f} h until solved ({medians['priority'][0]} tickets)"
    else:
        title = "No solved ticket has a status history yet"
    return style(fig, title=title, x_title="Priority",
                 y_title="Requester wait (hours in new, open, on-hold)")


def escalation_paths_figure(paths: pl.DataFrame, *, top_n: int = 8) -> go.Figure:
    """Tickets per escalation path (bars, largest first) with each path's breach rate (%, markers on the
    right axis); the title names the escalated path that breaches most, against tickets kept in one group."""
    _check_columns(paths, ("escalation_path", "n_escalations", "n_tickets", "share", "breach_rate",
                           "median_resolution_hours"), "escalation_paths")
    frame = paths.sort(["n_tickets", "escalation_path"], descending=[True, False]).head(top_n)
    labels = [html.escape(v) for v in frame["escalation_path"].to_list()]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=labels, y=frame["n_tickets"].to_list(), name="tickets", marker={"color": PALETTE[0]},
                         customdata=frame["median_resolution_hours"].to_list(),
                         hovertemplate="%{x}: %{y} tickets, median resolution %{customdata:.0f} h<extra></extra>"),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=labels, y=(frame["breach_rate"] * 100).to_list(), mode="markers",
                             name="SLA breached (%)", marker={"color": PALETTE[1], "size": 12}), secondary_y=True)
    escalated = paths.filter(pl.col("n_escalations") > 0).drop_nulls("breach_rate")
    direct = paths.filter(pl.col("n_escalations") == 0)
    n_all = int(paths["n_tickets"].sum())
    if escalated.height and n_all:
        worst = escalated.sort(["breach_rate", "n_tickets"], descending=[True, True]).row(0, named=True)
        share = 100 * int(escalated["n_tickets"].sum()) / n_all
        title = (f"{share:.0f}% of tickets are escalated; {quote(worst['escalation_path'])} breaches the SLA "
                 f"most ({100 * worst['breach_rate']:.0f}% of {plural(worst['n_tickets'], 'ticket')})")
        base = direct.drop_nulls("breach_rate")
        if base.height:
            rate = float((base["breach_rate"] * base["n_tickets"]).sum() / base["n_tickets"].sum())
            title += f" against {100 * rate:.0f}% for tickets kept in one group"
    elif n_all:
        title = f"No ticket was escalated ({plural(n_all, 'ticket')} with a status history)"
    else:
        title = "No ticket has a status history"
    fig = style(fig, title=title, x_title="Escalation path (groups in order)", y_title=None)
    fig.update_yaxes(title_text="Tickets (count)", secondary_y=False)
    fig.update_yaxes(title_text="SLA breached (% of decided tickets)", secondary_y=True, range=[0, 105])
    return fig
