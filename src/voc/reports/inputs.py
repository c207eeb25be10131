"""Read the stage outputs a report needs, failing loudly with the file and the missing column or key.

Column lists follow ``docs/data-contracts.md``; a report reads only what it names here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl

FEEDBACK = ("feedback_id", "customer_id", "channel", "source", "created_at", "text", "nps", "csat", "ces",
            "stars", "ticket_id", "meta")
TICKETS = ("ticket_id", "customer_id", "channel", "created_at", "first_response_at", "resolved_at",
           "reopened_at", "status", "priority", "category", "escalated")
CUSTOMERS = ("customer_id", "signup_at", "plan", "region", "monthly_charges", "cancelled_at", "churned")
TOPICS = ("feedback_id", "topic_id", "topic_label")
THEME_MENTIONS = ("feedback_id", "sentence_no", "topic_id", "topic_label")
TOPIC_INFO = ("topic_id", "topic_label", "count", "top_words", "representative", "representatives", "parent_id",
              "parent_label")
TOPICS_BY_SEGMENT = ("segment_type", "segment", "topic_id", "count", "share")
TOPICS_OVER_TIME = ("month", "topic_id", "count", "share")
SENTIMENT = ("feedback_id", "sentiment_score", "sentiment_label")
TICKET_METRICS = ("ticket_id", "priority", "channel", "created_at", "first_response_hours", "resolution_hours",
                  "first_response_breached", "resolution_breached", "escalated", "topic_id", "topic_label")
CHURN_SCORES = ("customer_id", "churn_probability", "top_reasons", "revenue_at_risk")
_SCORES = ("metric", "n", "value", "ci_low", "ci_high", "reliable")
SCORES_BY_CHANNEL = ("metric", "channel", *_SCORES[1:])
SCORES_BY_MONTH = ("metric", "month", *_SCORES[1:])
THEME_SENTIMENT = ("topic_id", "topic_label", "n", "mean_sentiment", "share_negative", "share_positive",
                   "net_sentiment")

PAYMENTS = ("invoice_id", "customer_id", "due_at", "paid_at", "amount", "failed_attempts")
EVENTS = ("customer_id", "ts", "event", "feature")
COMPLAINTS_BY_MONTH = ("month", "n_tickets", "n_open", "backlog_end", "recurrence_rate")
COMPLAINTS_BY_THEME = ("topic_id", "topic_label", "n_tickets", "recurrence_rate", "sla_resolution_achievement")
THEME_ALERTS = ("topic_id", "topic_label", "window_count", "baseline_share", "window_share", "lift", "p_value",
                "flagged")
THEME_DRIVERS = ("topic_id", "topic_label", "n_items", "n_nps", "nps_impact", "impact_p_value", "effect", "significant",
                 "enough_data", "driver_rank", "share_solicited", "share_unsolicited", "channels_disagree",
                 "sentiment_solicited", "sentiment_unsolicited")
FOLLOW_UP = ("customer_id", "value_at_risk", "monthly_charges", "reasons", "why", "verbatim", "triggered_at")
ESCALATION_PATHS = ("escalation_path", "n_escalations", "n_tickets", "share", "n_open", "median_resolution_hours",
                    "median_requester_wait_hours", "breach_rate", "resolution_breach_rate")
CHURN_THEME_DRIVERS = ("topic_id", "topic_label", "n_customers", "n_events", "hazard_ratio", "ci_low", "ci_high",
                       "p_value", "q_value", "significant", "status", "driver_rank")

#: tables stored as CSV (``<name>.csv``) rather than parquet.
CSV_TABLES: frozenset[str] = frozenset({"follow_up"})

#: file name -> (folder kind, required columns)
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "feedback": ("interim", FEEDBACK),
    "tickets": ("interim", TICKETS),
    "customers": ("interim", CUSTOMERS),
    "topics": ("processed", TOPICS),
    "topic_info": ("processed", TOPIC_INFO),
    "theme_mentions": ("processed", THEME_MENTIONS),
    "topics_over_time": ("processed", TOPICS_OVER_TIME),
    "topics_by_segment": ("processed", TOPICS_BY_SEGMENT),
    "sentiment": ("processed", SENTIMENT),
    "ticket_metrics": ("processed", TICKET_METRICS),
    "churn_scores": ("processed", CHURN_SCORES),
    "scores_by_channel": ("processed", SCORES_BY_CHANNEL),
    "scores_by_month": ("processed", SCORES_BY_MONTH),
    "theme_sentiment": ("processed", THEME_SENTIMENT),
    "payments": ("interim", PAYMENTS),
    "events": ("interim", EVENTS),
    "complaints_by_month": ("processed", COMPLAINTS_BY_MONTH),
    "complaints_by_theme": ("processed", COMPLAINTS_BY_THEME),
    "theme_alerts": ("processed", THEME_ALERTS),
    "theme_drivers": ("processed", THEME_DRIVERS),
    "follow_up": ("processed", FOLLOW_UP),
    "escalation_paths": ("processed", ESCALATION_PATHS),
    "churn_theme_drivers": ("processed", CHURN_THEME_DRIVERS),
}

#: metrics file -> keys a report reads from it.
METRICS: dict[str, tuple[str, ...]] = {
    "ingest": ("rows_in", "rows_out", "rows_quarantined"),
    "topics": ("n_topics", "coverage", "n_items"),
    "sentiment": ("n_items", "share_negative", "share_neutral", "share_positive"),
    "insights": ("nps", "csat", "ces", "net_sentiment", "n_items"),
    "complaints": ("n_tickets", "median_first_response_hours", "median_resolution_hours",
                   "sla_first_response_achievement", "sla_resolution_achievement", "escalation_rate",
                   "reopen_rate", "by_priority"),
    "churn": ("cutoff", "horizon_days", "n_customers", "base_rate", "models", "chosen_model"),
}


class ReportInputError(ValueError):
    """A stage output a report needs is missing or does not match the data contract."""


def read_table(path: str | Path, columns: Iterable[str]) -> pl.DataFrame:
    """Read a parquet table, raising :class:`ReportInputError` naming the file and any missing column."""
    path = Path(path)
    if not path.exists():
        raise ReportInputError(f"{path}: file not found (run the stage that writes it, or `dvc repro`)")
    if path.suffix == ".csv":
        frame = pl.read_csv(path, try_parse_dates=True, infer_schema_length=None)
    else:
        frame = pl.read_parquet(path)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReportInputError(f"{path}: missing column(s) {missing}; found {frame.columns}")
    return frame


def read_metrics(path: str | Path, keys: Iterable[str]) -> dict[str, Any]:
    """Read a metrics JSON object, raising :class:`ReportInputError` naming the file and any missing key."""
    path = Path(path)
    if not path.exists():
        raise ReportInputError(f"{path}: file not found (run the stage that writes it, or `dvc repro`)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ReportInputError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ReportInputError(f"{path}: expected a JSON object, got {type(data).__name__}")
    missing = [k for k in keys if k not in data]
    if missing:
        raise ReportInputError(f"{path}: missing key(s) {missing}; found {sorted(data)}")
    return data


def table_path(name: str, *, interim_dir: str | Path, processed_dir: str | Path) -> Path:
    """Where the contract puts table ``name``."""
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; known: {sorted(TABLES)}")
    kind, _ = TABLES[name]
    suffix = "csv" if name in CSV_TABLES else "parquet"
    return Path(interim_dir if kind == "interim" else processed_dir) / f"{name}.{suffix}"


def load_inputs(tables: Iterable[str], metrics: Iterable[str], *, interim_dir: str | Path,
                processed_dir: str | Path, metrics_dir: str | Path, optional: Iterable[str] = ()
                ) -> tuple[dict[str, pl.DataFrame], dict[str, dict[str, Any]], list[Path]]:
    """Read the named tables and metrics files; also return every path read (for the data version).
    Tables in ``optional`` are read when their file exists and left out of the result otherwise."""
    frames: dict[str, pl.DataFrame] = {}
    paths: list[Path] = []
    for name in optional:
        path = table_path(name, interim_dir=interim_dir, processed_dir=processed_dir)
        if path.exists():
            frames[name] = read_table(path, TABLES[name][1])
            paths.append(path)
    for name in tables:
        path = table_path(name, interim_dir=interim_dir, processed_dir=processed_dir)
        frames[name] = read_table(path, TABLES[name][1])
        paths.append(path)
    found: dict[str, dict[str, Any]] = {}
    for name in metrics:
        if name not in METRICS:
            raise KeyError(f"unknown metrics file {name!r}; known: {sorted(METRICS)}")
        path = Path(metrics_dir) / f"{name}.json"
        found[name] = read_metrics(path, METRICS[name])
        paths.append(path)
    return frames, found, paths
