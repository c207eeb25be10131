"""Churn features per customer as of a cutoff, from data strictly before the cutoff, and the window label.

Units: days for tenure, overdue and recency; counts for events, tickets and feedback; NPS 0-10; sentiment
in [-1, 1]. Customer attributes (plan, region, monthly charges) come from the CRM snapshot as they are.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence

import polars as pl

from voc.complaints import ComplaintsConfig, compute_ticket_metrics
from voc.complaints.sla import require_columns

log = logging.getLogger(__name__)

_US_PER_DAY = 86_400_000_000.0
ATTRIBUTE_PREFIX = "attr_"
_TICKETS_EMPTY = ("tickets", "tickets_open", "sla_breaches", "escalations")


def days_between(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    """``later - earlier`` in days (Float64)."""
    return (later - earlier).dt.total_microseconds() / _US_PER_DAY


def utc_lit(ts: dt.datetime) -> pl.Expr:
    """A ``Datetime("us", "UTC")`` literal."""
    return pl.lit(ts).cast(pl.Datetime("us", "UTC"))


def data_end(*frames_and_columns: tuple[pl.DataFrame, Sequence[str]]) -> dt.datetime:
    """The latest timestamp over the given (frame, columns) pairs: the end of the data, never the clock."""
    latest: list[dt.datetime] = []
    for frame, cols in frames_and_columns:
        present = [c for c in cols if c in frame.columns]
        if frame.height and present:
            value = frame.select(pl.max_horizontal(pl.col(present).max())).item()
            if value is not None:
                latest.append(value)
    if not latest:
        raise ValueError("no timestamps in the churn inputs; set churn.as_of")
    return max(latest)


def eligible_customers(customers: pl.DataFrame, *, cutoff: dt.datetime, include_cancelled: bool = False) -> pl.DataFrame:
    """Customers signed up before ``cutoff`` (or with no signup date: a snapshot may have none; their tenure
    is null) and (unless ``include_cancelled``) not cancelled by it."""
    require_columns(customers, ("customer_id", "signup_at", "plan", "region", "monthly_charges", "cancelled_at"),
                    name="data/interim/customers.parquet")
    keep = pl.col("signup_at").is_null() | (pl.col("signup_at") < cutoff)
    if not include_cancelled:
        keep = keep & (pl.col("cancelled_at").is_null() | (pl.col("cancelled_at") > cutoff))
    return customers.filter(keep)


def label_window(customers: pl.DataFrame, *, cutoff: dt.datetime, horizon_days: int) -> pl.DataFrame:
    """``customer_id, churned`` (Int8): cancelled within (cutoff, cutoff + horizon_days] among the eligible."""
    end = cutoff + dt.timedelta(days=horizon_days)
    return (
        eligible_customers(customers, cutoff=cutoff)
        .select(
            "customer_id",
            ((pl.col("cancelled_at") > cutoff) & (pl.col("cancelled_at") <= end)).fill_null(False).cast(pl.Int8).alias("churned"),
        )
        .sort("customer_id")
    )


def top_themes(feedback: pl.DataFrame, topics: pl.DataFrame, *, before: dt.datetime, k: int) -> list[int]:
    """The ``k`` most mentioned topic ids (outliers, id < 0, excluded) in customer feedback before ``before``."""
    return (
        feedback.filter(pl.col("customer_id").is_not_null() & (pl.col("created_at") < before))
        .join(topics.select("feedback_id", "topic_id"), on="feedback_id")
        .filter(pl.col("topic_id") >= 0)
        .group_by("topic_id")
        .len()
        .sort(["len", "topic_id"], descending=[True, False])
        .head(k)["topic_id"]
        .to_list()
    )


def customer_attributes(customers: pl.DataFrame) -> pl.DataFrame:
    """``customer_id`` plus one ``attr_<name>`` column per key of the optional ``customers.attributes`` JSON
    objects (extra CRM fields of snapshot data, e.g. Telco's ``Contract``, ``PaymentMethod``, ``tenure``).

    A key whose non-blank values all parse as numbers becomes Float64, any other key a String (blank -> null).
    No ``attributes`` column, or only nulls: just ``customer_id``. A value that is not a JSON object raises
    naming the row and the customer.
    """
    if "attributes" not in customers.columns or customers["attributes"].is_null().all():
        return customers.select("customer_id")
    rows: list[dict[str, str | None]] = []
    for i, (cid, raw) in enumerate(customers.select("customer_id", "attributes").iter_rows(), start=1):
        try:
            obj = json.loads(raw) if raw is not None else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"data/interim/customers.parquet: row {i} (customer {cid}), field attributes: "
                             f"not valid JSON ({exc.msg})") from exc
        if not isinstance(obj, dict):
            raise ValueError(f"data/interim/customers.parquet: row {i} (customer {cid}), field attributes: "
                             f"expected a JSON object, got {type(obj).__name__}")
        rows.append({k: (None if v is None or str(v).strip() == "" else str(v).strip()) for k, v in obj.items()})
    keys = sorted({k for r in rows for k in r})
    cols: dict[str, pl.Series] = {}
    for key in keys:
        text = pl.Series([r.get(key) for r in rows], dtype=pl.String)
        num = text.cast(pl.Float64, strict=False)
        cols[f"{ATTRIBUTE_PREFIX}{key}"] = num if num.null_count() == text.null_count() else text
    return pl.DataFrame({"customer_id": customers["customer_id"], **cols})


def _payment_features(payments: pl.DataFrame, cutoff: dt.datetime, recent_days: int) -> pl.DataFrame:
    require_columns(payments, ("invoice_id", "customer_id", "due_at", "paid_at", "failed_attempts"),
                    name="data/interim/payments.parquet")
    recent = cutoff - dt.timedelta(days=recent_days)
    due = payments.filter(pl.col("due_at") < cutoff).with_columns(
        _paid=pl.when(pl.col("paid_at") < cutoff).then(pl.col("paid_at")).otherwise(None)
    ).with_columns(
        _overdue=days_between(pl.col("_paid").fill_null(utc_lit(cutoff)), pl.col("due_at")).clip(lower_bound=0.0),
        _recent=pl.col("due_at") >= recent,
    ).with_columns(_late=pl.col("_overdue") > 0)
    return due.group_by("customer_id").agg(
        pl.col("_late").cast(pl.Float64).mean().alias("late_share"),
        pl.col("_late").sum().cast(pl.Float64).alias("late_payments"),
        pl.col("_late").filter(pl.col("_recent")).sum().cast(pl.Float64).alias("late_payments_90d"),
        pl.col("_overdue").mean().alias("mean_days_overdue"),
        pl.col("failed_attempts").sum().cast(pl.Float64).alias("failed_attempts"),
        pl.col("failed_attempts").filter(pl.col("_recent")).sum().cast(pl.Float64).alias("failed_attempts_90d"),
        pl.col("_paid").is_null().sum().cast(pl.Float64).alias("unpaid_count"),
        (
            pl.col("_late").filter(pl.col("_recent")).cast(pl.Float64).mean()
            - pl.col("_late").filter(~pl.col("_recent")).cast(pl.Float64).mean()
        ).alias("late_trend"),
    )


def _usage_features(events: pl.DataFrame, cutoff: dt.datetime, recent_days: int, baseline_days: int) -> pl.DataFrame:
    require_columns(events, ("customer_id", "ts"), name="data/interim/events.parquet")
    recent = cutoff - dt.timedelta(days=recent_days)
    base = recent - dt.timedelta(days=baseline_days)
    scale = baseline_days / recent_days
    return (
        events.filter(pl.col("ts") < cutoff)
        .group_by("customer_id")
        .agg(
            (pl.col("ts") >= recent).sum().cast(pl.Float64).alias("events_30d"),
            ((pl.col("ts") >= base) & (pl.col("ts") < recent)).sum().cast(pl.Float64).alias("events_prev_90d"),
            days_between(utc_lit(cutoff), pl.col("ts").max()).alias("days_since_last_event"),
        )
        .with_columns(
            usage_trend=(pl.col("events_30d") - pl.col("events_prev_90d") / scale) / (pl.col("events_prev_90d") / scale + 1.0)
        )
    )


def _ticket_features(tickets: pl.DataFrame, cutoff: dt.datetime, config: ComplaintsConfig) -> pl.DataFrame:
    before = tickets.filter(pl.col("created_at") < cutoff)
    if before.height == 0:
        return pl.DataFrame(schema={"customer_id": pl.String, **{c: pl.Float64 for c in _TICKETS_EMPTY}})
    # as of one microsecond before the cutoff: events at or after it are unseen
    metrics, _ = compute_ticket_metrics(before, config=config, as_of=cutoff - dt.timedelta(microseconds=1))
    return metrics.group_by("customer_id").agg(
        pl.len().cast(pl.Float64).alias("tickets"),
        pl.col("is_open").sum().cast(pl.Float64).alias("tickets_open"),
        (pl.col("first_response_breached").fill_null(False) | pl.col("resolution_breached").fill_null(False))
        .sum()
        .cast(pl.Float64)
        .alias("sla_breaches"),
        pl.col("escalated").sum().cast(pl.Float64).alias("escalations"),
    )


def _feedback_features(
    feedback: pl.DataFrame,
    cutoff: dt.datetime,
    sentiment: pl.DataFrame | None,
    topics: pl.DataFrame | None,
    themes: Sequence[int],
    detractor_max_nps: int,
    recent_days: int,
) -> pl.DataFrame:
    require_columns(feedback, ("feedback_id", "customer_id", "created_at", "nps"), name="data/interim/feedback.parquet")
    fb = feedback.filter(pl.col("customer_id").is_not_null() & (pl.col("created_at") < cutoff))
    recent = cutoff - dt.timedelta(days=recent_days)
    if sentiment is not None:
        fb = fb.join(sentiment.select("feedback_id", "sentiment_score", "sentiment_label"), on="feedback_id", how="left")
    else:
        fb = fb.with_columns(sentiment_score=pl.lit(None, pl.Float64), sentiment_label=pl.lit(None, pl.String))
    if topics is not None and themes:
        fb = fb.join(topics.select("feedback_id", "topic_id"), on="feedback_id", how="left")
    else:
        fb = fb.with_columns(topic_id=pl.lit(None, pl.Int32))
    return fb.sort("created_at", "feedback_id").group_by("customer_id").agg(
        pl.len().cast(pl.Float64).alias("feedback_count"),
        pl.col("nps").cast(pl.Float64).mean().alias("mean_nps"),
        (pl.col("nps").drop_nulls().last() <= detractor_max_nps).fill_null(False).cast(pl.Float64).alias("detractor"),
        pl.col("sentiment_score").mean().alias("mean_sentiment"),
        (pl.col("sentiment_label") == "negative").cast(pl.Float64).mean().alias("share_negative"),
        ((pl.col("sentiment_label") == "negative") & (pl.col("created_at") >= recent)).sum().cast(pl.Float64)
        .alias("negative_feedback_90d"),
        *[(pl.col("topic_id") == t).sum().cast(pl.Float64).alias(f"theme_{t}") for t in themes],
    )


def build_features(
    customers: pl.DataFrame,
    payments: pl.DataFrame,
    events: pl.DataFrame,
    tickets: pl.DataFrame,
    feedback: pl.DataFrame,
    *,
    cutoff: dt.datetime,
    sentiment: pl.DataFrame | None = None,
    topics: pl.DataFrame | None = None,
    themes: Sequence[int] = (),
    complaints_config: ComplaintsConfig | None = None,
    usage_recent_days: int = 30,
    usage_baseline_days: int = 90,
    payment_recent_days: int = 90,
    feedback_recent_days: int = 90,
    include_cancelled: bool = False,
) -> pl.DataFrame:
    """One row per customer eligible at ``cutoff`` (UTC), with features from records strictly before it.

    Counts are zero when a customer has no records of a kind; means and trends stay null (no data is not
    the same as zero). Snapshot attributes (``customers.attributes``, see ``customer_attributes``) come as
    ``attr_<name>`` columns; they are as of the snapshot, so use them only with a static label.
    Sorted by ``customer_id``.
    """
    cfg = complaints_config or ComplaintsConfig()
    base = eligible_customers(customers, cutoff=cutoff, include_cancelled=include_cancelled).select(
        "customer_id",
        pl.col("plan").cast(pl.String),
        pl.col("region").cast(pl.String),
        days_between(utc_lit(cutoff), pl.col("signup_at")).alias("tenure_days"),
        pl.col("monthly_charges").cast(pl.Float64),
    )
    parts = [
        customer_attributes(customers),
        _payment_features(payments, cutoff, payment_recent_days),
        _usage_features(events, cutoff, usage_recent_days, usage_baseline_days),
        _ticket_features(tickets, cutoff, cfg),
        _feedback_features(feedback, cutoff, sentiment, topics, themes, cfg.detractor_max_nps, feedback_recent_days),
    ]
    out = base
    for part in parts:
        out = out.join(part, on="customer_id", how="left")
    counts = [
        "late_payments", "late_payments_90d", "failed_attempts", "failed_attempts_90d",
        "unpaid_count", "events_30d", "events_prev_90d", *_TICKETS_EMPTY, "feedback_count", "detractor",
        "negative_feedback_90d",
        *[f"theme_{t}" for t in themes],
    ]
    return out.with_columns(pl.col(counts).fill_null(0.0)).sort("customer_id")
