"""Complaint aggregates: per month, per theme, per priority and channel, and the headline metrics.

Rates are shares in [0, 1]. SLA achievement is the share of *decided* tickets (breach flag not null) that
met the target; it is null when no ticket is decided yet. Times are medians in calendar hours.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from voc.complaints.sla import require_columns

_METRIC_COLUMNS = (
    "ticket_id",
    "priority",
    "channel",
    "created_at",
    "resolved_at",
    "first_response_hours",
    "resolution_hours",
    "first_response_breached",
    "resolution_breached",
    "escalated",
    "reopened",
    "is_open",
    "topic_id",
    "topic_label",
    "recurring",
)


def _stats(columns: list[str] | tuple[str, ...] = ()) -> list[pl.Expr]:
    """The statistics of a group; with a status history (``requester_wait_hours`` in ``columns``) also the
    median requester wait (hours, solved tickets)."""
    extra = [pl.col("requester_wait_hours").median().alias("median_requester_wait_hours")] \
        if "requester_wait_hours" in columns else []
    return [*extra,
        pl.len().cast(pl.Int64).alias("n_tickets"),
        pl.col("first_response_hours").median().alias("median_first_response_hours"),
        pl.col("resolution_hours").median().alias("median_resolution_hours"),
        (1.0 - pl.col("first_response_breached").cast(pl.Float64).mean()).alias("sla_first_response_achievement"),
        (1.0 - pl.col("resolution_breached").cast(pl.Float64).mean()).alias("sla_resolution_achievement"),
        pl.col("resolution_breached").cast(pl.Float64).mean().alias("resolution_breach_rate"),
        (pl.col("first_response_breached") | pl.col("resolution_breached"))
        .cast(pl.Float64)
        .mean()
        .alias("breach_rate"),
        pl.col("escalated").cast(pl.Float64).mean().alias("escalation_rate"),
        pl.col("reopened").cast(pl.Float64).mean().alias("reopen_rate"),
        pl.col("recurring").cast(pl.Float64).mean().alias("recurrence_rate"),
        pl.col("is_open").sum().cast(pl.Int64).alias("n_open"),
    ]


def summarise_by_month(metrics: pl.DataFrame, *, as_of: dt.datetime) -> pl.DataFrame:
    """Per calendar month (UTC) of creation: volume, median times, SLA achievement, escalation rate, and the
    backlog at month end (tickets created by then and not resolved by then; the last month is cut at
    ``as_of``). Every month from the first ticket to ``as_of`` appears, empty months with zero volume."""
    require_columns(metrics, _METRIC_COLUMNS, name="ticket metrics")
    schema_month = pl.Date
    if metrics.height == 0:
        return pl.DataFrame(schema={"month": schema_month, "n_tickets": pl.Int64, "backlog_end": pl.Int64})
    first = metrics["created_at"].min()
    months = pl.date_range(
        dt.date(first.year, first.month, 1), dt.date(as_of.year, as_of.month, 1), interval="1mo", eager=True
    ).alias("month")
    grouped = metrics.with_columns(month=pl.col("created_at").dt.truncate("1mo").cast(pl.Date)).group_by("month").agg(_stats(metrics.columns))
    as_of_us = pl.lit(as_of).cast(pl.Datetime("us", "UTC"))
    ends = pl.DataFrame({"month": months}).with_columns(
        _end=pl.min_horizontal(
            pl.col("month").dt.offset_by("1mo").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"), as_of_us
        )
    )
    backlog = (
        ends.join(metrics.select("created_at", "resolved_at"), how="cross")
        .filter((pl.col("created_at") < pl.col("_end")) & (pl.col("resolved_at").is_null() | (pl.col("resolved_at") >= pl.col("_end"))))
        .group_by("month")
        .agg(pl.len().cast(pl.Int64).alias("backlog_end"))
    )
    return (
        ends.select("month")
        .join(grouped, on="month", how="left")
        .join(backlog, on="month", how="left")
        .with_columns(pl.col("n_tickets", "n_open", "backlog_end").fill_null(0))
        .sort("month")
    )


def summarise_by_theme(metrics: pl.DataFrame) -> pl.DataFrame:
    """Per theme (topic): volume, breach rates, median resolution hours, escalation and recurrence rates.

    Tickets without a theme are grouped under a null ``topic_id``."""
    require_columns(metrics, _METRIC_COLUMNS, name="ticket metrics")
    return (
        metrics.group_by("topic_id")
        .agg(pl.col("topic_label").drop_nulls().first(), *_stats(metrics.columns))
        .sort("topic_id", nulls_last=True)
    )


def summarise_by_segment(metrics: pl.DataFrame) -> pl.DataFrame:
    """The same statistics per priority and per channel, stacked: ``segment_type`` (priority/channel), ``segment``."""
    require_columns(metrics, _METRIC_COLUMNS, name="ticket metrics")
    parts = [
        metrics.group_by(col)
        .agg(_stats(metrics.columns))
        .rename({col: "segment"})
        .with_columns(pl.lit(col).alias("segment_type"))
        .select("segment_type", "segment", pl.exclude("segment_type", "segment"))
        for col in ("priority", "channel")
    ]
    return pl.concat(parts).sort("segment_type", "segment")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    return value


def summarise_complaints(metrics: pl.DataFrame, *, as_of: dt.datetime) -> dict[str, Any]:
    """The headline metrics for ``data/metrics/complaints.json`` (keys per docs/data-contracts.md)."""
    require_columns(metrics, _METRIC_COLUMNS, name="ticket metrics")
    overall = metrics.select(_stats(metrics.columns)).row(0, named=True)
    segments = summarise_by_segment(metrics)
    keep = (
        "n_tickets",
        "median_first_response_hours",
        "median_resolution_hours",
        "sla_first_response_achievement",
        "sla_resolution_achievement",
        "escalation_rate",
        "reopen_rate",
        "recurrence_rate",
        "n_open",
    ) + (("median_requester_wait_hours",) if "requester_wait_hours" in metrics.columns else ())

    def by(kind: str) -> dict[str, dict[str, Any]]:
        rows = segments.filter(pl.col("segment_type") == kind).iter_rows(named=True)
        return {
            str(r["segment"]): {("n" if k == "n_tickets" else k): _clean(r[k]) for k in keep} for r in rows
        }

    out = {k: _clean(overall[k]) for k in keep}
    out.update(as_of=as_of.isoformat(), by_priority=by("priority"), by_channel=by("channel"))
    return out


def summarise_ageing(metrics: pl.DataFrame, *, buckets_days: tuple[float, ...]) -> pl.DataFrame:
    """Open backlog by age (days since creation at the as-of time) and priority.

    Buckets are ``<b0 d``, ``b0-b1 d``, ..., ``>=bn d``; returns ``priority, age_bucket, bucket_order, n_open,
    n_past_sla, oldest_hours``, sorted by priority then bucket. Every bucket appears for every priority."""
    require_columns(metrics, ("priority", "is_open", "age_hours", "resolution_breached"), name="ticket metrics")
    edges = [0.0, *buckets_days, float("inf")]
    labels = [
        f"<{hi:g} d" if i == 0 else (f">={lo:g} d" if hi == float("inf") else f"{lo:g}-{hi:g} d")
        for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True))
    ]
    days = pl.col("age_hours") / 24.0
    bucket = pl.lit(len(labels) - 1, pl.Int32)
    for i in reversed(range(len(labels) - 1)):
        bucket = pl.when(days < edges[i + 1]).then(pl.lit(i, pl.Int32)).otherwise(bucket)
    open_ = metrics.filter(pl.col("is_open")).with_columns(bucket_order=bucket)
    counts = open_.group_by("priority", "bucket_order").agg(
        n_open=pl.len().cast(pl.Int64),
        n_past_sla=pl.col("resolution_breached").fill_null(False).sum().cast(pl.Int64),
        oldest_hours=pl.col("age_hours").max(),
    )
    grid = pl.DataFrame({"priority": metrics["priority"].unique().sort().cast(pl.String)}).join(
        pl.DataFrame({"bucket_order": list(range(len(labels))), "age_bucket": labels},
                     schema={"bucket_order": pl.Int32, "age_bucket": pl.String}),
        how="cross",
    )
    return (
        grid.join(counts, on=["priority", "bucket_order"], how="left")
        .with_columns(pl.col("n_open", "n_past_sla").fill_null(0))
        .select("priority", "age_bucket", "bucket_order", "n_open", "n_past_sla", "oldest_hours")
        .sort("priority", "bucket_order")
    )


def summarise_chats(chats: pl.DataFrame) -> dict[str, Any]:
    """Headline chat figures from ``chat_response_times()``: counts, first agent response (minutes), SLA."""
    require_columns(chats, ("first_response_hours", "first_response_breached"), name="chat response times")
    answered = chats.filter(pl.col("first_response_hours").is_not_null())
    row = chats.select(
        median=pl.col("first_response_hours").median() * 60.0,
        p90=pl.col("first_response_hours").quantile(0.9, interpolation="nearest") * 60.0,
        achievement=1.0 - pl.col("first_response_breached").cast(pl.Float64).mean(),
    ).row(0, named=True)
    return {
        "n_conversations": chats.height,
        "n_answered_by_agent": answered.height,
        "median_first_response_minutes": _clean(row["median"]),
        "p90_first_response_minutes": _clean(row["p90"]),
        "sla_first_response_achievement": _clean(row["achievement"]),
    }
