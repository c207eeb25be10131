"""Typed config for the ``complaints:`` section of ``params.yaml``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import zoneinfo
from collections.abc import Mapping
from typing import Literal

PRIORITIES = ("urgent", "high", "normal", "low")


def _frozen(d: dict[str, float]) -> Mapping[str, float]:
    return types.MappingProxyType(dict(d))


@dataclasses.dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours for the business-hours SLA variant (local time in ``timezone``)."""

    enabled: bool = True
    timezone: str = "Europe/London"
    open_hour: int = 9
    close_hour: int = 17
    weekmask: str = "1111100"
    holidays: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.open_hour < self.close_hour <= 24:
            raise ValueError("params complaints.business_calendar: need 0 <= open_hour < close_hour <= 24")
        if len(self.weekmask) != 7 or set(self.weekmask) - {"0", "1"}:
            raise ValueError("params complaints.business_calendar.weekmask: seven 0/1 digits, Monday first")
        for day in self.holidays:
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                raise ValueError(f"params complaints.business_calendar.holidays: {day!r} is not YYYY-MM-DD") from None
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"params complaints.business_calendar.timezone: unknown zone {self.timezone!r}") from None


@dataclasses.dataclass(frozen=True)
class ComplaintsConfig:
    """SLA targets (hours), recurrence window (days) and follow-up rules.

    ``as_of`` (ISO 8601, UTC when no offset) pins the as-of time; when null it is the latest timestamp
    in the tickets, never the clock.
    """

    first_response_hours: Mapping[str, float] = dataclasses.field(
        default_factory=lambda: _frozen({"urgent": 1.0, "high": 4.0, "normal": 24.0, "low": 48.0})
    )
    resolution_hours: Mapping[str, float] = dataclasses.field(
        default_factory=lambda: _frozen({"urgent": 8.0, "high": 24.0, "normal": 72.0, "low": 120.0})
    )
    sla_clock: Literal["calendar", "business"] = "calendar"
    default_priority: str | None = None
    closed_statuses: tuple[str, ...] = ("solved", "closed")
    chat_first_response_hours: float = 0.25
    as_of: str | None = None
    recurrence_days: int = 30
    detractor_max_nps: int = 6
    follow_up_contact_hours: float = 48.0
    follow_up_lookback_days: int = 30
    contact_channels: tuple[str, ...] = ("ticket", "chat", "email", "call", "sms")
    risk_weights: Mapping[str, float] = dataclasses.field(
        default_factory=lambda: _frozen(
            {"open_past_sla": 0.5, "detractor_no_contact": 0.4, "recurring_complaint": 0.3}
        )
    )
    business_calendar: BusinessCalendar = dataclasses.field(default_factory=BusinessCalendar)
    ageing_buckets_days: tuple[float, ...] = (1.0, 3.0, 7.0, 30.0)
    good_csat_min: int = 4
    recovery_window_days: int = 30
    churn_window_days: int = 90
    priority_weights: Mapping[str, float] = dataclasses.field(
        default_factory=lambda: _frozen({"severity": 0.3, "value": 0.2, "churn_risk": 0.2, "sla_clock": 0.3})
    )
    timely_field: str | None = None
    outcome_field: str | None = None
    handoff_field: str | None = None
    handoff_format: str = "%Y-%m-%d"

    def __post_init__(self) -> None:
        for name in ("first_response_hours", "resolution_hours"):
            targets = getattr(self, name)
            missing = [p for p in PRIORITIES if p not in targets]
            if missing:
                raise ValueError(f"params complaints.{name}: missing target(s) for priority {missing}")
            bad = {k: v for k, v in targets.items() if not v > 0}
            if bad:
                raise ValueError(f"params complaints.{name}: targets must be > 0 hours, got {bad}")
        if self.default_priority is not None and self.default_priority not in self.first_response_hours:
            raise ValueError(f"params complaints.default_priority: {self.default_priority!r} has no SLA target")
        if self.sla_clock == "business" and not self.business_calendar.enabled:
            raise ValueError("params complaints.sla_clock: 'business' needs business_calendar.enabled: true")
        if list(self.ageing_buckets_days) != sorted(self.ageing_buckets_days) or any(
            b <= 0 for b in self.ageing_buckets_days
        ):
            raise ValueError("params complaints.ageing_buckets_days: positive and increasing")
        unknown_w = sorted(set(self.priority_weights) - {"severity", "value", "churn_risk", "sla_clock"})
        if unknown_w or any(w < 0 for w in self.priority_weights.values()) or not sum(self.priority_weights.values()) > 0:
            raise ValueError(
                "params complaints.priority_weights: keys from severity/value/churn_risk/sla_clock, "
                f"non-negative, not all zero (unknown: {unknown_w})"
            )
        if not 1 <= self.good_csat_min <= 5:
            raise ValueError("params complaints.good_csat_min: must be in 1..5")
        for name in ("recovery_window_days", "churn_window_days"):
            if getattr(self, name) <= 0:
                raise ValueError(f"params complaints.{name}: must be > 0")
        if self.recurrence_days <= 0:
            raise ValueError("params complaints.recurrence_days: must be > 0")
        unknown = sorted(set(self.risk_weights) - {"open_past_sla", "detractor_no_contact", "recurring_complaint"})
        if unknown:
            raise ValueError(f"params complaints.risk_weights: unknown reason(s) {unknown}")
        if any(not 0 <= w <= 1 for w in self.risk_weights.values()):
            raise ValueError("params complaints.risk_weights: weights must be in [0, 1]")
