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


def theme_hierarchy_figure(topic_info: pl.DataFrame, theme_sentiment: pl.DataFrame) -> go.Figure:
    """Treemap of parent theme -> theme, sized by items, coloured by net sentiment (% positive minus %
    negative; a parent shows its item-weighted mean). A theme without a parent is its own parent."""
    _check_columns(topic_info, ("topic_id", "topic_label", "count", "parent_id", "parent_label"), "topic_info")
    _check_columns(theme_sentiment, ("topic_id", "net_sentiment"), "theme_sentiment")
    themes = (topic_info.filter(pl.col("topic_id") >= 0)
              .with_columns(pl.col("parent_id").fill_null(pl.col("topic_id")),
                            pl.col("parent_label").fill_null(pl.col("topic_label")))
              .join(theme_sentiment.select("topic_id", "net_sentiment"), on="topic_id", how="left")
              .with_columns(pl.col("net_sentiment").fill_null(0.0))
              .sort(["parent_id", "count", "topic_id"], descending=[False, True, False]))
    parents = (themes.group_by("parent_id").agg(
        pl.col("parent_label").first(), pl.col("count").sum(),
        ((pl.col("net_sentiment") * pl.col("count")).sum() / pl.col("count").sum()).alias("net_sentiment"),
        pl.len().alias("n_themes"))
        .with_columns(pl.col("net_sentiment").fill_nan(0.0)).sort("parent_id"))
    ids = [f"p{p}" for p in parents["parent_id"].to_list()] + [f"t{t}" for t in themes["topic_id"].to_list()]
    labels = ([html.escape(v) for v in parents["parent_label"].to_list()]
              + [html.escape(v) for v in themes["topic_label"].to_list()])
    tree_parents = [""] * parents.height + [f"p{p}" for p in themes["parent_id"].to_list()]
    values = parents["count"].to_list() + themes["count"].to_list()
    nets = parents["net_sentiment"].to_list() + themes["net_sentiment"].to_list()
    fig = go.Figure(go.Treemap(
        ids=ids, labels=labels, parents=tree_parents, values=values, branchvalues="total",
        marker={"colors": nets, "colorscale": [[0.0, NEGATIVE], [0.5, "#f7f7f7"], [1.0, POSITIVE]],
                "cmid": 0, "cmin": -100, "cmax": 100,
                "colorbar": {"title": {"text": "Net sentiment<br>(% pos − % neg)"}}},
        customdata=nets, texttemplate="%{label}<br>%{value} items",
        hovertemplate="%{label}: %{value} items, net sentiment %{customdata:+.0f}<extra></extra>",
    ))
    total = int(parents["count"].sum()) if parents.height else 0
    if parents.height:
        big = parents.sort(["count", "parent_id"], descending=[True, False]).row(0, named=True)
        worst = parents.sort(["net_sentiment", "parent_id"]).row(0, named=True)
        title = (f"{themes.height} themes group under {parents.height} parent themes; {quote(big['parent_label'])} "
                 f"holds {100.0 * big['count'] / total:.0f}% of themed feedback")
        if worst["parent_id"] != big["parent_id"]:
            title += f", {quote(worst['parent_label'])} is the most negative (net {signed(worst['net_sentiment'])})"
        else:
            title += f" and is the most negative (net {signed(worst['net_sentiment'])})"
    else:
        title = "No themes found: every item is an outlier"
    fig = style(fig, title=title, x_title=None, y_title=None)
    fig.update_layout(height=520, margin={"l": 10, "r": 10, "t": 90, "b": 10})
    return fig


def solicited_unsolicited_figure(theme_drivers: pl.DataFrame, *, top_n: int = 10) -> go.Figure:
    """Per theme (the ``top_n`` with most items), its share of survey items against its share of review and
    social items (%); themes whose gap is significant (``channels_disagree``) are flagged with ▲."""
    _check_columns(theme_drivers, ("topic_id", "topic_label", "n_items", "share_solicited", "share_unsolicited",
                                   "channels_disagree"), "theme_drivers")
    if top_n < 1:
        raise ValueError(f"top_n must be at least 1, got {top_n}")
    top = (theme_drivers.filter(pl.col("topic_id") >= 0)
           .filter(pl.col("share_solicited").is_not_null() | pl.col("share_unsolicited").is_not_null())
           .sort(["n_items", "topic_id"], descending=[True, False]).head(top_n)
           .with_columns(pl.col("channels_disagree").fill_null(False)))
    rows = top.rows(named=True)[::-1]
    names = [("▲ " if r["channels_disagree"] else "") + html.escape(r["topic_label"]) for r in rows]
    fig = go.Figure()
    for column, name, colour in (("share_solicited", "Surveys (solicited)", PALETTE[0]),
                                 ("share_unsolicited", "Reviews + social (unsolicited)", PALETTE[1])):
        fig.add_trace(go.Bar(x=[r[column] for r in rows], y=names, orientation="h", name=name,
                             marker={"color": colour},
                             hovertemplate="%{y}: %{x:.1f}% of themed items<extra>" + name + "</extra>"))
    differ = [r for r in rows if r["channels_disagree"]
              and r["share_solicited"] is not None and r["share_unsolicited"] is not None]
    if not rows:
        title = "Solicited vs unsolicited: no survey, review or social items carry a theme"
    elif differ:
        gap = max(differ, key=lambda r: (abs(r["share_unsolicited"] - r["share_solicited"]), -r["topic_id"]))
        where = ("reviews and social" if gap["share_unsolicited"] > gap["share_solicited"] else "surveys")
        title = (f"{len(differ)} of {len(rows)} themes differ between surveys and reviews+social (▲); "
                 f"{quote(gap['topic_label'])} is raised more in {where} ({gap['share_solicited']:.0f}% of survey "
                 f"vs {gap['share_unsolicited']:.0f}% of review/social items)")
    else:
        title = (f"Surveys and reviews+social raise the same themes: no significant share gap "
                 f"in the {len(rows)} largest themes")
    fig = style(fig, title=title, x_title="Share of the channel group's items that carry the theme (%)",
                y_title="Theme")
    fig.update_layout(barmode="group", height=max(340, 46 * len(rows) + 160),
                      legend={"orientation": "h", "y": -0.15})
    return fig


def theme_sentiment_over_time_figure(topics: pl.DataFrame, sentiment: pl.DataFrame, feedback: pl.DataFrame, *,
                                     top_n: int = 5, min_items: int = 10) -> go.Figure:
    """Monthly net sentiment (% positive minus % negative, points) of the ``top_n`` largest themes.

    Months with fewer than ``min_items`` items of a theme are left as gaps rather than drawn from noise. The
    title names the theme whose net sentiment moved most between its first and last readable month.
    """
    _check_columns(topics, ("feedback_id", "topic_id", "topic_label"), "topics")
    _check_columns(sentiment, ("feedback_id", "sentiment_label"), "sentiment")
    _check_columns(feedback, ("feedback_id", "created_at"), "feedback")
    joined = (topics.filter(pl.col("topic_id") >= 0)
              .join(sentiment.select("feedback_id", "sentiment_label"), on="feedback_id")
              .join(feedback.select("feedback_id", "created_at"), on="feedback_id")
              .with_columns(pl.col("created_at").dt.truncate("1mo").dt.date().alias("month")))
    sizes = joined.group_by("topic_id", "topic_label").agg(pl.len().alias("n")).sort(["n", "topic_id"],
                                                                                     descending=[True, False])
    top = sizes.head(top_n)
    monthly = (joined.filter(pl.col("topic_id").is_in(top["topic_id"].implode()))
               .group_by("topic_id", "month")
               .agg(pl.len().alias("n"),
                    (100 * ((pl.col("sentiment_label") == "positive").mean()
                            - (pl.col("sentiment_label") == "negative").mean())).alias("net")))
    months = sorted(joined["month"].unique().to_list())
    fig = go.Figure()
    moves: list[tuple[float, int, str, float, float]] = []
    for i, (topic_id, label) in enumerate(zip(top["topic_id"].to_list(), top["topic_label"].to_list(), strict=True)):
        rows = monthly.filter((pl.col("topic_id") == topic_id) & (pl.col("n") >= min_items))
        by_month = dict(zip(rows["month"].to_list(), rows["net"].to_list(), strict=True))
        values = [by_month.get(m) for m in months]
        fig.add_trace(go.Scatter(x=months, y=values, mode="lines+markers", name=html.escape(label),
                                 connectgaps=False, line={"color": PALETTE[i % len(PALETTE)]},
                                 hovertemplate="%{x|%b %Y}: net %{y:+.0f}<extra>" + html.escape(label) + "</extra>"))
        readable = [v for v in values if v is not None]
        if len(readable) >= 2:
            moves.append((readable[-1] - readable[0], topic_id, label, readable[0], readable[-1]))
    if moves:
        delta, _, label, first, last = max(moves, key=lambda m: (abs(m[0]), -m[1]))
        verb = "improved" if delta > 0 else "worsened"
        title = (f"Sentiment about {quote(label)} {verb} most: net {signed(first)} to {signed(last)} "
                 f"from its first to its latest readable month")
        if abs(delta) < 5:
            title = "Net sentiment of the largest themes held steady (within 5 points)"
    else:
        title = f"Net sentiment per theme: fewer than two months with {min_items} or more items"
    return style(fig, title=title, x_title="Month",
                 y_title="Net sentiment (points: % positive minus % negative)")
