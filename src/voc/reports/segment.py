"""Show a report for one segment (``plan:premium``, ``region:EU``, ``channel:social``) and/or one period
(``2026-01..2026-06``, months inclusive): parse the ``reports.segment`` / ``reports.period`` params and filter
the item-level tables (feedback, tickets, customers and what hangs off them) to it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping

import polars as pl

#: segment fields read from ``customers`` columns; ``channel`` is the feedback or ticket channel.
CUSTOMER_FIELDS: tuple[str, ...] = ("plan", "region")
SEGMENT_FIELDS: tuple[str, ...] = (*CUSTOMER_FIELDS, "channel")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

# table -> (column holding the item's time, column linking it to a customer); None: not filtered on that
_TIME_COLUMN: dict[str, str] = {"feedback": "created_at", "tickets": "created_at", "ticket_metrics": "created_at",
                                "payments": "due_at", "events": "ts", "follow_up": "triggered_at"}
_BY_FEEDBACK = ("topics", "sentiment", "theme_mentions")   # keyed by feedback_id
_BY_CUSTOMER = ("churn_scores", "follow_up", "payments", "events")


@dataclasses.dataclass(frozen=True)
class Scope:
    """What a report shows: ``field``/``value`` of the segment (None: everyone) and the period as
    [``start``, ``end``) UTC month starts (None: all months)."""

    field: str | None = None
    value: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None

    @property
    def is_all(self) -> bool:
        """True when nothing is filtered."""
        return self.field is None and self.start is None

    def describe(self) -> str:
        """``segment region = EU; period Jan 2026 to Jun 2026`` (or ``all customers, all months``)."""
        seg = "all customers" if self.field is None else f"segment {self.field} = {self.value}"
        if self.start is None or self.end is None:
            return f"{seg}, all months"
        last = self.end - dt.timedelta(days=1)
        return f"{seg}; period {self.start:%b %Y} to {last:%b %Y}"


def _month(text: str, spec: str) -> dt.datetime:
    m = _MONTH.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"params reports.period: {spec!r} is not 'YYYY-MM..YYYY-MM' ({text!r} is not a YYYY-MM month)")
    return dt.datetime(int(m.group(1)), int(m.group(2)), 1, tzinfo=dt.UTC)


def parse_scope(segment: str, period: str) -> Scope:
    """Parse ``reports.segment`` (``""`` or ``field:value``, field one of :data:`SEGMENT_FIELDS`) and
    ``reports.period`` (``""`` or ``YYYY-MM..YYYY-MM``, both months included). Errors name the param."""
    field = value = None
    if segment.strip():
        if ":" not in segment:
            raise ValueError(f"params reports.segment: {segment!r} is not 'field:value' (e.g. 'region:EU')")
        field, value = (s.strip() for s in segment.split(":", 1))
        if field not in SEGMENT_FIELDS:
            raise ValueError(f"params reports.segment: unknown field {field!r} in {segment!r}; "
                             f"known: {', '.join(SEGMENT_FIELDS)}")
        if not value:
            raise ValueError(f"params reports.segment: {segment!r} has no value after ':'")
    start = end = None
    if period.strip():
        if ".." not in period:
            raise ValueError(f"params reports.period: {period!r} is not 'YYYY-MM..YYYY-MM'")
        a, b = period.split("..", 1)
        start, last = _month(a, period), _month(b, period)
        if last < start:
            raise ValueError(f"params reports.period: {period!r} ends before it starts")
        end = dt.datetime(last.year + last.month // 12, last.month % 12 + 1, 1, tzinfo=dt.UTC)
    return Scope(field, value, start, end)


def _in_period(frame: pl.DataFrame, column: str, scope: Scope) -> pl.DataFrame:
    if scope.start is None or column not in frame.columns:
        return frame
    col = pl.col(column)
    if frame.schema[column] == pl.String:  # CSV tables (follow_up) keep ISO text
        col = col.str.to_datetime(time_zone="UTC")
    return frame.filter((col >= scope.start) & (col < scope.end))


def filter_frames(frames: Mapping[str, pl.DataFrame], scope: Scope) -> dict[str, pl.DataFrame]:
    """The item-level tables of ``frames`` narrowed to ``scope``; other tables (aggregates) come back as
    they are. A plan/region segment keeps the customers with that value and everything of theirs; a channel
    segment keeps feedback and tickets from that channel and the customers who used it (in the period).
    The period keeps feedback, tickets, payments and usage dated in it, and customers active in it. Needs
    ``customers`` for a plan/region segment; ``topics``/``sentiment``/``theme_mentions`` follow ``feedback``,
    ``ticket_metrics``
    follows ``tickets`` (by ``ticket_id``) when both are given."""
    out = dict(frames)
    if scope.is_all:
        return out
    customers = out.get("customers")
    if scope.field in CUSTOMER_FIELDS:
        if customers is None:
            raise ValueError(f"segment {scope.field}:{scope.value}: needs the customers table")
        values = sorted(str(v) for v in customers[scope.field].drop_nulls().unique())
        if scope.value not in values:
            raise ValueError(f"params reports.segment: no customer has {scope.field} = {scope.value!r}; "
                             f"values present: {', '.join(values)}")
        customers = customers.filter(pl.col(scope.field) == scope.value)
    if customers is not None and scope.start is not None:
        customers = customers.filter((pl.col("signup_at") < scope.end)
                                     & (pl.col("cancelled_at").is_null() | (pl.col("cancelled_at") >= scope.start)))
    for name in ("feedback", "tickets", "ticket_metrics"):
        if name in out:
            frame = _in_period(out[name], _TIME_COLUMN[name], scope)
            if scope.field == "channel":
                frame = frame.filter(pl.col("channel") == scope.value)
            elif customers is not None and "customer_id" in frame.columns:
                frame = frame.filter(pl.col("customer_id").is_in(customers["customer_id"].implode()))
            out[name] = frame
    if "tickets" in out and "ticket_metrics" in out:
        out["ticket_metrics"] = out["ticket_metrics"].filter(
            pl.col("ticket_id").is_in(out["tickets"]["ticket_id"].implode()))
    if scope.field == "channel" and customers is not None:
        used = pl.concat([out[n].select("customer_id") for n in ("feedback", "tickets") if n in out])
        customers = customers.filter(pl.col("customer_id").is_in(used["customer_id"].implode()))
    if customers is not None:
        out["customers"] = customers
        keep = customers["customer_id"].implode()
        for name in _BY_CUSTOMER:
            if name in out:
                out[name] = _in_period(out[name].filter(pl.col("customer_id").is_in(keep)),
                                       _TIME_COLUMN.get(name, ""), scope)
    if "feedback" in out:
        ids = out["feedback"]["feedback_id"].implode()
        for name in _BY_FEEDBACK:
            if name in out:
                out[name] = out[name].filter(pl.col("feedback_id").is_in(ids))
    return out
