"""Small aggregations the reports show that no stage writes: ticket SLA by month and priority, the top
at-risk customers, the most negative verbatims per theme."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


def summarise_tickets(ticket_metrics: pl.DataFrame, *, by: Sequence[str]) -> pl.DataFrame:
    """Per group of ``by`` (``month`` is the UTC month the ticket was opened, as a Date): ``n_tickets``,
    median first-response and resolution hours, SLA achievement (% of tickets whose breach is decided that
    met the SLA; null when none is decided) and ``escalation_rate`` (% of tickets). Sorted by ``by``."""
    frame = ticket_metrics
    if "month" in by:
        frame = frame.with_columns(pl.col("created_at").dt.truncate("1mo").dt.date().alias("month"))
    return (
        frame.group_by(list(by))
        .agg(
            pl.len().cast(pl.Int64).alias("n_tickets"),
            pl.col("first_response_hours").median().alias("median_first_response_hours"),
            pl.col("resolution_hours").median().alias("median_resolution_hours"),
            (100.0 * (~pl.col("first_response_breached")).cast(pl.Float64).mean())
            .alias("sla_first_response_achievement"),
            (100.0 * (~pl.col("resolution_breached")).cast(pl.Float64).mean()).alias("sla_resolution_achievement"),
            (100.0 * pl.col("escalated").cast(pl.Float64).mean()).alias("escalation_rate"),
        )
        .sort(list(by))
    )


def top_at_risk_customers(churn_scores: pl.DataFrame, customers: pl.DataFrame, *, top_n: int) -> pl.DataFrame:
    """The ``top_n`` customers by churn probability (ties: revenue at risk, then id), with plan, region and
    monthly charges from the CRM. A scored customer missing from ``customers`` is an error."""
    if top_n < 1:
        raise ValueError(f"top_n must be at least 1, got {top_n}")
    joined = churn_scores.join(customers.select("customer_id", "plan", "region", "monthly_charges"),
                               on="customer_id", how="left")
    orphans = joined.filter(pl.col("plan").is_null() & pl.col("monthly_charges").is_null())
    if orphans.height:
        raise ValueError(f"churn_scores: {orphans.height} customer_id(s) not in customers, e.g. "
                         f"{orphans['customer_id'][0]!r}")
    return (
        joined.sort(["churn_probability", "revenue_at_risk", "customer_id"], descending=[True, True, False],
                    nulls_last=True)
        .head(top_n)
        .select("customer_id", "churn_probability", "revenue_at_risk", "plan", "region", "monthly_charges",
                "top_reasons")
    )


def negative_verbatims(feedback: pl.DataFrame, topics: pl.DataFrame, sentiment: pl.DataFrame, *,
                       topic_ids: Sequence[int], per_topic: int) -> pl.DataFrame:
    """The ``per_topic`` most negative feedback texts (lowest sentiment score, ties by id) of each theme in
    ``topic_ids``, in that order. Texts are returned raw: escape them when writing HTML."""
    if per_topic < 1:
        raise ValueError(f"per_topic must be at least 1, got {per_topic}")
    order = {t: i for i, t in enumerate(topic_ids)}
    joined = (
        topics.filter(pl.col("topic_id").is_in(list(topic_ids)))
        .join(sentiment.select("feedback_id", "sentiment_score"), on="feedback_id", how="inner")
        .join(feedback.select("feedback_id", "channel", "created_at", "text"), on="feedback_id", how="inner")
    )
    return (
        joined.sort(["sentiment_score", "feedback_id"])
        .group_by("topic_id", maintain_order=True)
        .head(per_topic)
        .with_columns(pl.col("topic_id").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
        .sort(["_o", "sentiment_score", "feedback_id"])
        .select("topic_label", "feedback_id", "channel", "created_at", "sentiment_score", "text")
    )


def month_on_month(scores_by_month: pl.DataFrame, *, metric: str) -> str:
    """``+4 vs Feb 2024`` for the last two reliable months of ``metric`` (in its units), with ``(significant)``
    when the table's ``significant`` column says so; a plain note when there are fewer than two."""
    part = (scores_by_month.filter((pl.col("metric") == metric) & pl.col("reliable").fill_null(False))
            .drop_nulls("value").sort("month"))
    if part.height < 2:
        return "too few responses a month for a trend"
    prev, last = part.row(-2, named=True), part.row(-1, named=True)
    digits = 1 if metric == "ces" else 0
    delta = last["value"] - prev["value"]
    sig = ""
    if "significant" in part.columns and last.get("significant") is not None:
        sig = " (significant)" if last["significant"] else " (not significant)"
    return f"{delta:+.{digits}f} in {last['month']:%b %Y} vs {prev['month']:%b %Y}{sig}"


def churn_risk_summary(churn_scores: pl.DataFrame, *, threshold: float) -> tuple[int, int, float]:
    """(customers at or above ``threshold`` churn probability, customers scored, their revenue at risk)."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    above = churn_scores.filter(pl.col("churn_probability") >= threshold)
    return above.height, churn_scores.height, float(above["revenue_at_risk"].fill_null(0).sum())


def emerging_themes(theme_alerts: pl.DataFrame) -> pl.DataFrame:
    """The flagged themes of ``theme_alerts`` (share now vs baseline), largest lift first; shares in %.

    ``filed_lift`` (the same rise counted among the items filed under the theme, which the topics stage also
    requires with ``topics.alerts.confirm_filed``) is kept when the table has it."""
    filed = ["filed_lift"] if "filed_lift" in theme_alerts.columns else []
    return (
        theme_alerts.filter(pl.col("flagged").fill_null(False))
        .sort(["lift", "topic_id"], descending=[True, False], nulls_last=True)
        .with_columns((100 * pl.col("window_share")).alias("window_pct"),
                      (100 * pl.col("baseline_share")).alias("baseline_pct"))
        .select("topic_label", "window_count", "window_pct", "baseline_pct", "lift", *filed, "p_value")
    )


def themes_by_impact(theme_drivers: pl.DataFrame, *, top_n: int) -> pl.DataFrame:
    """The ``top_n`` themes that drag NPS down most (largest positive ``nps_impact``, points)."""
    if top_n < 1:
        raise ValueError(f"top_n must be at least 1, got {top_n}")
    return (theme_drivers.filter(pl.col("topic_id") >= 0).drop_nulls("nps_impact")
            .sort(["nps_impact", "topic_id"], descending=[True, False]).head(top_n)
            .select("topic_label", "n_nps", "nps_impact", "impact_p_value"))
