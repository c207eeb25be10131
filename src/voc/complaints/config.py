"""Typed config for the ``complaints:`` section of ``params.yaml``."""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping

PRIORITIES = ("urgent", "high", "normal", "low")


def _frozen(d: dict[str, float]) -> Mapping[str, float]:
    return types.MappingProxyType(dict(d))


@dataclasses.dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours for the business-hours SLA variant (local time in ``timezone``)."""

    enabled: bool = False
    timezone: str = "Europe/London"
    open_hour: int = 9
    close_hour: int = 17
    weekmask: str = "1111100"
    holidays: tuple[str, ...] = ()


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
        default_factory=lambda: _frozen({"urgent": 24.0, "high": 72.0, "normal": 120.0, "low": 240.0})
    )
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

    def __post_init__(self) -> None:
        for name in ("first_response_hours", "resolution_hours"):
            targets = getattr(self, name)
            missing = [p for p in PRIORITIES if p not in targets]
            if missing:
                raise ValueError(f"params complaints.{name}: missing target(s) for priority {missing}")
            bad = {k: v for k, v in targets.items() if not v > 0}
            if bad:
                raise ValueError(f"params complaints.{name}: targets must be > 0 hours, got {bad}")
        if self.recurrence_days <= 0:
            raise ValueError("params complaints.recurrence_days: must be > 0")
        unknown = sorted(set(self.risk_weights) - {"open_past_sla", "detractor_no_contact", "recurring_complaint"})
        if unknown:
            raise ValueError(f"params complaints.risk_weights: unknown reason(s) {unknown}")
        if any(not 0 <= w <= 1 for w in self.risk_weights.values()):
            raise ValueError("params complaints.risk_weights: weights must be in [0, 1]")
