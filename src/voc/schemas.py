"""Pandera schemas (polars backend) of the interim tables in ``docs/data-contracts.md``.

``ingest`` routes records that break these rules to the quarantine table before writing, then validates
each table with its schema, so a schema failure at write time is a bug in ingest, not bad input.

Feedback text rule (a decision, recorded in the contract): ``text`` is non-empty when present; it may be
null only when at least one score (nps, csat, ces, stars) is present, because a survey answer with scores
and no comment still counts for NPS/CSAT/CES. A record with neither text nor score is quarantined.
"""

from __future__ import annotations

from typing import Annotated

import pandera.polars as pa
import polars as pl

UTC = pl.Datetime("us", "UTC")
CHANNELS = ["survey", "review", "social", "ticket", "chat", "email", "sms", "call", "ivr"]
#: help-desk conventions (Zendesk): who acted, and the statuses a ticket moves through
TICKET_EVENT_ACTORS = ("customer", "agent", "bot", "system")
TICKET_STATUSES = ("new", "open", "pending", "on-hold", "solved", "closed")

TABLE_COLUMNS: dict[str, dict[str, pl.DataType]] = {
    "feedback": {
        "feedback_id": pl.String(), "customer_id": pl.String(), "channel": pl.String(), "source": pl.String(),
        "created_at": UTC, "text": pl.String(), "nps": pl.Int8(), "csat": pl.Int8(), "ces": pl.Int8(),
        "stars": pl.Int8(), "ticket_id": pl.String(), "meta": pl.String(),
    },
    "tickets": {
        "ticket_id": pl.String(), "customer_id": pl.String(), "channel": pl.String(), "created_at": UTC,
        "first_response_at": UTC, "resolved_at": UTC, "reopened_at": UTC, "status": pl.String(),
        "priority": pl.String(), "category": pl.String(), "escalated": pl.Boolean(),
    },
    "customers": {
        "customer_id": pl.String(), "signup_at": UTC, "plan": pl.String(), "region": pl.String(),
        "monthly_charges": pl.Float64(), "cancelled_at": UTC, "churned": pl.Boolean(),
        "attributes": pl.String(),
    },
    "payments": {
        "invoice_id": pl.String(), "customer_id": pl.String(), "due_at": UTC, "paid_at": UTC,
        "amount": pl.Float64(), "failed_attempts": pl.Int32(),
    },
    "events": {"customer_id": pl.String(), "ts": UTC, "event": pl.String(), "feature": pl.String()},
    "ticket_events": {
        "ticket_id": pl.String(), "event_id": pl.String(), "at": UTC, "actor": pl.String(), "public": pl.Boolean(),
        "status_to": pl.String(), "group": pl.String(),
    },
}
QUARANTINE_COLUMNS: dict[str, pl.DataType] = {
    "source": pl.String(), "file": pl.String(), "record": pl.Int64(), "field": pl.String(),
    "value": pl.String(), "reason": pl.String(),
}

Timestamp = Annotated[pl.Datetime, "us", "UTC"]


class _Strict:
    strict = True
    ordered = True
    coerce = False


class FeedbackSchema(pa.DataFrameModel):
    """``feedback.parquet``: one row per feedback item, PII redacted (see the module docstring for text)."""

    feedback_id: str = pa.Field(unique=True, str_matches=r"^[^:]+:.+")
    customer_id: str = pa.Field(nullable=True)
    channel: str = pa.Field(isin=CHANNELS)
    source: str
    created_at: Timestamp = pa.Field(nullable=True)  # null only for a source with `absent_fields: [created_at]`
    text: str = pa.Field(nullable=True, str_length={"min_value": 1})
    nps: pl.Int8 = pa.Field(nullable=True, ge=0, le=10)
    csat: pl.Int8 = pa.Field(nullable=True, ge=1, le=5)
    ces: pl.Int8 = pa.Field(nullable=True, ge=1, le=7)
    stars: pl.Int8 = pa.Field(nullable=True, ge=1, le=5)
    ticket_id: str = pa.Field(nullable=True)
    meta: str = pa.Field(str_startswith="{")

    Config = _Strict

    @pa.dataframe_check(error="text is null and no score is present")
    @classmethod
    def text_or_score(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Null text is allowed only with at least one score."""
        return data.lazyframe.select(
            pl.col("text").is_not_null() | pl.any_horizontal([pl.col(c).is_not_null() for c in ("nps", "csat", "ces", "stars")])
        )

    @pa.dataframe_check(error="text is blank")
    @classmethod
    def text_not_blank(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Text, when present, has a non-space character."""
        return data.lazyframe.select(pl.col("text").is_null() | (pl.col("text").str.strip_chars().str.len_chars() > 0))


class TicketsSchema(pa.DataFrameModel):
    """``tickets.parquet``."""

    ticket_id: str = pa.Field(unique=True)
    customer_id: str = pa.Field(nullable=True)  # null only for a source with `absent_fields: [customer_id]`
    channel: str = pa.Field(nullable=True)
    created_at: Timestamp
    first_response_at: Timestamp = pa.Field(nullable=True)
    resolved_at: Timestamp = pa.Field(nullable=True)
    reopened_at: Timestamp = pa.Field(nullable=True)
    status: str = pa.Field(nullable=True)
    priority: str = pa.Field(nullable=True)
    category: str = pa.Field(nullable=True)
    escalated: bool = pa.Field(nullable=True)

    Config = _Strict


class CustomersSchema(pa.DataFrameModel):
    """``customers.parquet``: ``churned`` is a static label for snapshot data (nullable); ``attributes`` a
    JSON object of extra native CRM fields (``meta_fields`` of the source, e.g. Telco's tenure, Contract)."""

    customer_id: str = pa.Field(unique=True)
    signup_at: Timestamp = pa.Field(nullable=True)  # null only for a source with `absent_fields: [signup_at]`
    plan: str = pa.Field(nullable=True)
    region: str = pa.Field(nullable=True)
    monthly_charges: float = pa.Field(nullable=True, ge=0)
    cancelled_at: Timestamp = pa.Field(nullable=True)
    churned: bool = pa.Field(nullable=True)
    attributes: str = pa.Field(str_startswith="{")

    Config = _Strict


class PaymentsSchema(pa.DataFrameModel):
    """``payments.parquet``: amounts in ``base.currency``."""

    invoice_id: str = pa.Field(unique=True)
    customer_id: str
    due_at: Timestamp
    paid_at: Timestamp = pa.Field(nullable=True)
    amount: float
    failed_attempts: pl.Int32 = pa.Field(nullable=True, ge=0)

    Config = _Strict


class EventsSchema(pa.DataFrameModel):
    """``events.parquet``: product analytics events (no id; sorted by customer, time, event)."""

    customer_id: str
    ts: Timestamp
    event: str
    feature: str = pa.Field(nullable=True)

    Config = _Strict


class TicketEventsSchema(pa.DataFrameModel):
    """``ticket_events.parquet``: the help-desk status history, one row per event (sorted by ticket, time,
    event id). ``status_to`` is null when the event leaves the status alone, ``group`` when the ticket stays
    in its group."""

    ticket_id: str
    event_id: str = pa.Field(unique=True)
    at: Timestamp
    actor: str = pa.Field(isin=list(TICKET_EVENT_ACTORS))
    public: bool = pa.Field(nullable=True)
    status_to: str = pa.Field(nullable=True, isin=list(TICKET_STATUSES))
    group: str = pa.Field(nullable=True)

    Config = _Strict


class QuarantineSchema(pa.DataFrameModel):
    """``quarantine.parquet``: one row per rejected record; ``record`` is the 1-based line or record."""

    source: str
    file: str
    record: pl.Int64 = pa.Field(ge=1)
    field: str
    value: str = pa.Field(nullable=True)
    reason: str

    Config = _Strict


SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "feedback": FeedbackSchema, "tickets": TicketsSchema, "customers": CustomersSchema,
    "payments": PaymentsSchema, "events": EventsSchema, "ticket_events": TicketEventsSchema,
    "quarantine": QuarantineSchema,
}


def validate_table(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Validate ``frame`` against the schema of interim table ``name`` (raises pandera's SchemaErrors)."""
    return SCHEMAS[name].validate(frame, lazy=True)
