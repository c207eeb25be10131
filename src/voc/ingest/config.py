"""Typed config of the ``ingest:`` params section: the sources are described by configuration, not code."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

Kind = Literal["feedback", "tickets", "customers", "payments", "events", "ticket_events"]
Channel = Literal["survey", "review", "social", "ticket", "chat", "email", "sms", "call", "ivr"]
Format = Literal["csv", "tsv", "jsonl", "json", "parquet", "eml", "transcript", "chat_jsonl"]

CHANNELS: tuple[str, ...] = ("survey", "review", "social", "ticket", "chat", "email", "sms", "call", "ivr")


@dataclasses.dataclass(frozen=True)
class SourceConfig:
    """One raw source.

    ``columns`` maps a target field to the native column (``{feedback_id: ResponseId}``); a target field
    whose native column has the same name needs no entry. ``text_fields`` joins several native columns
    into ``text``. ``feedback_text`` (kind ``tickets`` only) names the native column whose text also
    becomes a feedback item (channel ``ticket``, ``ticket_id`` set). ``meta_fields`` are native columns
    kept in ``feedback.meta`` (text ones are PII-redacted); ``meta_customer_linked`` adds
    ``customer_linked`` (whether ``customer_id`` is known). ``values`` maps native values to target values
    per target field. ``timezone`` applies to naive timestamps (default ``base.timezone``).
    ``null_values`` are native strings that mean "missing" in every column (e.g. ``None``, ``N/A``).
    ``absent_fields`` names target fields the export does not have at all (e.g. ``created_at`` of a
    review dump without dates); they are left null instead of stopping the stage. Only fields the
    contract allows to be null may be absent (see ``voc.ingest.core.MAY_BE_ABSENT``).
    ``path`` may hold ``$VAR``, ``${VAR}`` or ``${VAR:-default}``; a relative path is read from the
    project root. ``optional``: a path that matches no file adds no rows (logged) instead of stopping the
    stage, e.g. a help-desk status history (kind ``ticket_events``) that not every export has.
    """

    name: str
    path: str
    kind: Kind
    channel: Channel | None = None
    format: Format | None = None
    columns: Mapping[str, str] = dataclasses.field(default_factory=dict)
    text_fields: tuple[str, ...] = ()
    feedback_text: str | None = None
    meta_fields: tuple[str, ...] = ()
    meta_customer_linked: bool = False
    values: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    timezone: str | None = None
    timestamp_formats: tuple[str, ...] = ()
    encoding: str | None = None
    null_values: tuple[str, ...] = ()
    absent_fields: tuple[str, ...] = ()
    optional: bool = False


@dataclasses.dataclass(frozen=True)
class IngestConfig:
    """The ``ingest:`` section.

    ``reference_time``: ISO 8601; timestamps after it are quarantined as in the future (never the clock).
    ``duplicate_window_minutes``: the same customer posting the same text within this many minutes is a
    duplicate post. ``max_value_chars``: quarantine values are cut to this length.
    """

    reference_time: str
    sources: tuple[SourceConfig, ...]
    duplicate_window_minutes: float = 10.0
    max_value_chars: int = 200

    def reference_datetime(self) -> dt.datetime:
        """``reference_time`` as an aware UTC datetime (naive values are read as UTC)."""
        text = self.reference_time.strip().replace("Z", "+00:00")
        value = dt.datetime.fromisoformat(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)

    def __post_init__(self) -> None:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"params ingest.sources: duplicate source name(s) {dupes}")
        try:
            self.reference_datetime()
        except ValueError as exc:
            raise ValueError(f"params ingest.reference_time: {self.reference_time!r} is not ISO 8601") from exc
