"""The follow-up list: customers to contact now, ordered by value at risk (monthly charges x risk weight).

Reasons (their weights are params, in [0, 1], combined as 1 - prod(1 - w)):

- ``open_past_sla``: an open ticket already past its first-response or resolution target at the as-of time;
- ``detractor_no_contact``: an NPS answer at or below ``detractor_max_nps`` within the lookback, with no
  ticket or contact (a ticket created or answered, or feedback on a contact channel) in the following
  ``follow_up_contact_hours`` hours, once those hours have passed;
- ``recurring_complaint``: a ticket within the lookback that repeats the same customer's theme within
  ``recurrence_days`` days.

Each row says why in words and quotes the redacted verbatim that triggered the top reason.
"""

from __future__ import annotations

import datetime as dt
import logging

import polars as pl

from voc.complaints.config import ComplaintsConfig
from voc.complaints.sla import require_columns

log = logging.getLogger(__name__)

_TRIGGER_SCHEMA = {
    "customer_id": pl.String,
    "reason": pl.String,
    "why": pl.String,
    "trigger_id": pl.String,
    "triggered_at": pl.Datetime("us", "UTC"),
    "verbatim": pl.String,
}


def _ticket_text(feedback: pl.DataFrame) -> pl.DataFrame:
    return (
        feedback.filter(pl.col("ticket_id").is_not_null())
        .sort("ticket_id", "created_at", "feedback_id")
        .unique("ticket_id", keep="first", maintain_order=True)
        .select("ticket_id", pl.col("text").alias("verbatim"))
    )


def _open_past_sla(metrics: pl.DataFrame, texts: pl.DataFrame, as_of: dt.datetime) -> pl.DataFrame:
    hours_open = (pl.lit(as_of).cast(pl.Datetime("us", "UTC")) - pl.col("created_at")).dt.total_hours()
    return (
        metrics.filter(
            pl.col("is_open")
            & (
                pl.col("resolution_breached").fill_null(False)
                | (pl.col("first_response_breached").fill_null(False) & pl.col("first_response_at").is_null())
            )
        )
        .join(texts, on="ticket_id", how="left")
        .select(
            "customer_id",
            pl.lit("open_past_sla").alias("reason"),
            pl.format(
                "open {} ticket {} past its SLA ({} h open{})",
                "priority",
                "ticket_id",
                hours_open,
                pl.when(pl.col("first_response_at").is_null()).then(pl.lit(", no response yet")).otherwise(pl.lit("")),
            ).alias("why"),
            pl.col("ticket_id").alias("trigger_id"),
            pl.col("created_at").alias("triggered_at"),
            "verbatim",
        )
    )


def _recurring(metrics: pl.DataFrame, texts: pl.DataFrame, since: dt.datetime, days: int) -> pl.DataFrame:
    return (
        metrics.filter(pl.col("recurring") & (pl.col("created_at") >= since))
        .join(texts, on="ticket_id", how="left")
        .select(
            "customer_id",
            pl.lit("recurring_complaint").alias("reason"),
            pl.format(
                "complained about '{}' again within {} days (ticket {})",
                pl.col("topic_label").fill_null("?"),
                pl.lit(days),
                "ticket_id",
            ).alias("why"),
            pl.col("ticket_id").alias("trigger_id"),
            pl.col("created_at").alias("triggered_at"),
            "verbatim",
        )
    )


def _detractors(
    metrics: pl.DataFrame, feedback: pl.DataFrame, config: ComplaintsConfig, as_of: dt.datetime
) -> pl.DataFrame:
    wait = dt.timedelta(hours=config.follow_up_contact_hours)
    since = as_of - dt.timedelta(days=config.follow_up_lookback_days)
    detractors = feedback.filter(
        pl.col("customer_id").is_not_null()
        & (pl.col("nps") <= config.detractor_max_nps)
        & (pl.col("created_at") >= since)
        & (pl.col("created_at") <= as_of - wait)
    ).select("customer_id", "feedback_id", "created_at", "nps", "text")
    contacts = pl.concat(
        [
            metrics.select("customer_id", pl.col("created_at").alias("contact_at")),
            metrics.select("customer_id", pl.col("first_response_at").alias("contact_at")),
            feedback.filter(pl.col("channel").is_in(list(config.contact_channels))).select(
                "customer_id", pl.col("created_at").alias("contact_at")
            ),
        ]
    ).drop_nulls()
    contacted = (
        detractors.join(contacts, on="customer_id", how="inner")
        .filter((pl.col("contact_at") > pl.col("created_at")) & (pl.col("contact_at") <= pl.col("created_at") + wait))
        .select("feedback_id")
        .unique()
    )
    return detractors.join(contacted, on="feedback_id", how="anti").select(
        "customer_id",
        pl.lit("detractor_no_contact").alias("reason"),
        pl.format(
            "detractor (NPS {}) on {}, no contact within {} h",
            "nps",
            pl.col("created_at").dt.strftime("%Y-%m-%d"),
            pl.lit(f"{config.follow_up_contact_hours:g}"),
        ).alias("why"),
        pl.col("feedback_id").alias("trigger_id"),
        pl.col("created_at").alias("triggered_at"),
        pl.col("text").alias("verbatim"),
    )


def build_follow_up(
    metrics: pl.DataFrame,
    feedback: pl.DataFrame,
    customers: pl.DataFrame,
    *,
    config: ComplaintsConfig,
    as_of: dt.datetime,
) -> pl.DataFrame:
    """Customers to contact now, one row each, ordered by ``value_at_risk`` (currency per month) descending.

    ``metrics`` is ``compute_ticket_metrics()``'s output. Customers cancelled by ``as_of`` and triggers without
    a customer id are left out (counted in the log). Columns: ``customer_id, value_at_risk, monthly_charges,
    risk_weight, reasons, why, verbatim, trigger_id, triggered_at``.
    """
    require_columns(feedback, ("feedback_id", "customer_id", "channel", "created_at", "text", "nps", "ticket_id"),
                    name="data/interim/feedback.parquet")
    require_columns(customers, ("customer_id", "monthly_charges", "cancelled_at"), name="data/interim/customers.parquet")
    texts = _ticket_text(feedback)
    since = as_of - dt.timedelta(days=config.follow_up_lookback_days)
    triggers = pl.concat(
        [
            _open_past_sla(metrics, texts, as_of).cast(_TRIGGER_SCHEMA),  # type: ignore[arg-type]
            _detractors(metrics, feedback, config, as_of).cast(_TRIGGER_SCHEMA),  # type: ignore[arg-type]
            _recurring(metrics, texts, since, config.recurrence_days).cast(_TRIGGER_SCHEMA),  # type: ignore[arg-type]
        ]
    )
    anonymous = triggers.filter(pl.col("customer_id").is_null()).height
    if anonymous:
        log.info("%d follow-up triggers have no customer id and cannot be contacted", anonymous)
    cancelled = customers.filter(pl.col("cancelled_at").is_not_null() & (pl.col("cancelled_at") <= as_of)).select(
        "customer_id"
    )
    triggers = triggers.filter(pl.col("customer_id").is_not_null()).join(cancelled, on="customer_id", how="anti")
    unknown = triggers.join(customers.select("customer_id"), on="customer_id", how="anti")["customer_id"].n_unique()
    if unknown:
        log.warning("%d follow-up customers are not in customers.parquet; their value at risk is null", unknown)
    weights = dict(config.risk_weights)
    ranked = triggers.with_columns(
        weight=pl.col("reason").replace_strict(weights, default=0.0, return_dtype=pl.Float64)
    ).sort(["customer_id", "weight", "triggered_at", "trigger_id"], descending=[False, True, True, False])
    risk = (
        ranked.unique(["customer_id", "reason"])
        .group_by("customer_id")
        .agg(risk_weight=1.0 - (1.0 - pl.col("weight")).product())
    )
    per_customer = ranked.group_by("customer_id", maintain_order=True).agg(
        reasons=pl.col("reason").unique(maintain_order=True).str.join(";"),
        why=pl.col("why").str.join("; "),
        verbatim=pl.col("verbatim").first(),
        trigger_id=pl.col("trigger_id").first(),
        triggered_at=pl.col("triggered_at").first(),
    )
    return (
        per_customer.join(risk, on="customer_id", how="left")
        .join(customers.select("customer_id", "monthly_charges"), on="customer_id", how="left")
        .with_columns(value_at_risk=pl.col("monthly_charges") * pl.col("risk_weight"))
        .select(
            "customer_id", "value_at_risk", "monthly_charges", "risk_weight", "reasons", "why", "verbatim",
            "trigger_id", "triggered_at",
        )
        .sort(["value_at_risk", "customer_id"], descending=[True, False], nulls_last=True)
    )
