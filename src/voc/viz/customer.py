"""One customer's omnichannel timeline: feedback, tickets, payments and product usage on one time axis."""

from __future__ import annotations

import html

import plotly.graph_objects as go
import polars as pl

from voc.viz._style import NEGATIVE, NEUTRAL, PALETTE, POSITIVE, plural, style

LANES: tuple[str, ...] = ("usage", "payments", "tickets", "feedback")


def _short(text: str | None, limit: int = 120) -> str:
    """Escaped, cut to ``limit`` characters: customer text is data, never markup (plotly reads some tags)."""
    if not text:
        return ""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return html.escape(text)


def customer_timeline_figure(customer_id: str, *, feedback: pl.DataFrame, tickets: pl.DataFrame,
                             payments: pl.DataFrame, events: pl.DataFrame, churn_probability: float) -> go.Figure:
    """Every touchpoint of ``customer_id`` (frames already filtered or not) on one time axis, one lane each:
    feedback coloured by sentiment (needs ``sentiment_score``), tickets by escalation, invoices by payment,
    product events as weekly counts. ``churn_probability`` is in [0, 1]."""
    if not 0.0 <= churn_probability <= 1.0:
        raise ValueError(f"churn_probability must be in [0, 1], got {churn_probability}")
    for frame, cols, what in ((feedback, ("customer_id", "created_at", "channel", "text", "sentiment_score"),
                               "feedback"),
                              (tickets, ("customer_id", "created_at", "priority", "status", "escalated"), "tickets"),
                              (payments, ("customer_id", "due_at", "paid_at", "amount", "failed_attempts"),
                               "payments"),
                              (events, ("customer_id", "ts", "event"), "events")):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"{what}: missing column(s) {missing}; has {frame.columns}")
    fb = feedback.filter(pl.col("customer_id") == customer_id).sort("created_at")
    tk = tickets.filter(pl.col("customer_id") == customer_id).sort("created_at")
    pay = payments.filter(pl.col("customer_id") == customer_id).sort("due_at")
    ev = (events.filter(pl.col("customer_id") == customer_id)
          .with_columns(pl.col("ts").dt.truncate("1w").alias("week"))
          .group_by("week").agg(pl.len().alias("n")).sort("week"))
    fig = go.Figure()
    scores = fb["sentiment_score"].fill_null(0.0).to_list()
    fig.add_trace(go.Scatter(
        x=fb["created_at"].to_list(), y=["feedback"] * fb.height, mode="markers", name="feedback",
        marker={"size": 13, "symbol": "circle",
                "color": [NEGATIVE if s < -0.05 else POSITIVE if s > 0.05 else NEUTRAL for s in scores]},
        text=[f"{html.escape(c)} ({s:+.2f}): {_short(t)}" for c, s, t in
              zip(fb["channel"].to_list(), scores, fb["text"].to_list(), strict=True)],
        hovertemplate="%{x|%Y-%m-%d}<br>%{text}<extra>feedback</extra>"))
    esc = tk["escalated"].fill_null(False).to_list()
    fig.add_trace(go.Scatter(
        x=tk["created_at"].to_list(), y=["tickets"] * tk.height, mode="markers", name="tickets",
        marker={"size": 13, "symbol": "square", "color": [NEGATIVE if e else PALETTE[1] for e in esc]},
        text=[f"{html.escape(str(p))} priority, {html.escape(str(s))}{', escalated' if e else ''}" for p, s, e in
              zip(tk["priority"].to_list(), tk["status"].to_list(), esc, strict=True)],
        hovertemplate="%{x|%Y-%m-%d}: %{text}<extra>ticket</extra>"))
    unpaid = [p is None or f > 0 for p, f in zip(pay["paid_at"].to_list(), pay["failed_attempts"].fill_null(0)
                                                  .to_list(), strict=True)]
    fig.add_trace(go.Scatter(
        x=pay["due_at"].to_list(), y=["payments"] * pay.height, mode="markers", name="invoices",
        marker={"size": 12, "symbol": ["x" if u else "diamond" for u in unpaid],
                "color": [NEGATIVE if u else PALETTE[2] for u in unpaid]},
        text=[f"{a:,.2f}: {'unpaid' if p is None else 'paid'}, {f} failed attempt(s)" for a, p, f in
              zip(pay["amount"].to_list(), pay["paid_at"].to_list(), pay["failed_attempts"].fill_null(0).to_list(),
                  strict=True)],
        hovertemplate="due %{x|%Y-%m-%d}: %{text}<extra>invoice</extra>"))
    top = max(ev["n"].to_list(), default=1)
    fig.add_trace(go.Scatter(
        x=ev["week"].to_list(), y=["usage"] * ev.height, mode="markers", name="product use (events a week)",
        marker={"size": [6 + 14 * n / top for n in ev["n"].to_list()], "color": PALETTE[4]},
        customdata=ev["n"].to_list(), hovertemplate="week of %{x|%Y-%m-%d}: %{customdata} events<extra></extra>"))
    negative = sum(s < -0.05 for s in scores)
    title = (f"{html.escape(customer_id)}: {churn_probability:.0%} churn risk; "
             f"{plural(fb.height, 'feedback item')} ({negative} negative), {plural(tk.height, 'ticket')} "
             f"({sum(esc)} escalated), {sum(unpaid)} of {pay.height} invoices unpaid or failed, "
             f"{plural(int(ev['n'].sum()), 'product event')}")
    fig = style(fig, title=title, x_title="Date (UTC)", y_title=None)
    fig.update_yaxes(categoryorder="array", categoryarray=list(LANES), range=[-0.5, len(LANES) - 0.5])
    fig.update_layout(height=300, showlegend=False, margin={"t": 70, "b": 50})
    return fig
