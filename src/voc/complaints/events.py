"""Ticket status history (the help-desk event log): requester wait, on-hold and agent wait, escalation paths.

Definitions follow Zendesk. A ticket is ``new`` from its ``created_at`` until its first status change.
**Requester wait** is the time in ``new``, ``open`` and ``on-hold`` from creation to the *final* solve (the
start of the last run of ``solved``/``closed`` statuses): time in ``solved`` between a solve and a reopen
does not count, the time after the reopen does. **On-hold** hours are the time in ``on-hold`` (waiting on a
third party), **agent wait** hours the time in ``pending`` (waiting on the requester), both to the final
solve. All three are null while the ticket is not solved at the as-of time (open tickets have no final
value yet; the backlog's age is ``ticket_metrics.age_hours``). Business-hours variants use the complaints
business calendar. The **escalation path** is the sequence of groups the ticket was in (consecutive
repeats collapsed), e.g. ``L1 > L2 > specialist``; a ticket moved out of its first group is escalated.
Hours are float hours; rates are shares in [0, 1].
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import polars as pl

from voc.complaints.config import BusinessCalendar
from voc.complaints.sla import QUARANTINE_SCHEMA, business_hours_between, require_columns

log = logging.getLogger(__name__)

EVENTS_FILE = "data/interim/ticket_events.parquet"
EVENT_COLUMNS = ("ticket_id", "event_id", "at", "actor", "public", "status_to", "group")
WAIT_STATUSES = ("new", "open", "on-hold")
DONE_STATUSES = ("solved", "closed")
PATH_SEPARATOR = " > "
_TS = pl.Datetime("us", "UTC")
_US_PER_HOUR = 3_600_000_000.0

HISTORY_SCHEMA: dict[str, pl.DataType] = {
    "ticket_id": pl.String(), "n_status_events": pl.Int32(), "final_solved_at": _TS,
    "requester_wait_hours": pl.Float64(), "requester_wait_business_hours": pl.Float64(),
    "on_hold_hours": pl.Float64(), "agent_wait_hours": pl.Float64(), "escalation_path": pl.String(),
    "n_escalations": pl.Int32(), "escalated_by_events": pl.Boolean(), "first_public_agent_at": _TS,
}
HISTORY_COLUMNS = tuple(c for c in HISTORY_SCHEMA if c != "ticket_id")


def _quarantine(frame: pl.DataFrame, field: str, value: pl.Expr, reason: str) -> pl.DataFrame:
    return frame.select(
        pl.lit("ticket_events").alias("source"), pl.lit(EVENTS_FILE).alias("file"), pl.col("_record").cast(pl.Int64).alias("record"),
        pl.lit(field).alias("field"), value.cast(pl.String).alias("value"), pl.lit(reason).alias("reason"),
    )


def ticket_status_history(
    events: pl.DataFrame,
    tickets: pl.DataFrame,
    *,
    as_of: dt.datetime,
    calendar: BusinessCalendar | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per ticket with events: requester wait, on-hold and agent wait hours (calendar; requester wait also in
    business hours when ``calendar`` is given and enabled), the escalation path and the first public agent reply.

    ``events`` is the ``ticket_events`` table, ``tickets`` needs ``ticket_id, created_at``. Events after
    ``as_of`` have not happened yet and are ignored (logged). Events of a ticket not in ``tickets``, or
    before its ``created_at``, go to the quarantine table (ingest's schema; ``record`` is the 1-based row of
    ``ticket_events.parquet``). Returns (one row per ticket with events, sorted by ``ticket_id``; quarantine)."""
    require_columns(events, EVENT_COLUMNS, name=EVENTS_FILE)
    require_columns(tickets, ("ticket_id", "created_at"), name="data/interim/tickets.parquet")
    ev = events.with_row_index("_record", offset=1).join(
        tickets.select("ticket_id", pl.col("created_at").alias("_created")), on="ticket_id", how="left"
    )
    unknown = ev.filter(pl.col("_created").is_null())
    early = ev.filter(pl.col("_created").is_not_null() & (pl.col("at") < pl.col("_created")))
    quarantine = [
        _quarantine(unknown, "ticket_id", pl.col("ticket_id"), "ticket_id not in tickets.parquet"),
        _quarantine(early, "at", pl.col("at").dt.to_string("%Y-%m-%dT%H:%M:%S%z"), "event before the ticket's created_at"),
    ]
    if unknown.height or early.height:
        log.warning("%d events of unknown tickets and %d before their ticket's creation quarantined", unknown.height, early.height)
    ev = ev.filter(pl.col("_created").is_not_null() & (pl.col("at") >= pl.col("_created")))
    as_of_lit = pl.lit(as_of).cast(_TS)
    later = ev.filter(pl.col("at") > as_of_lit).height
    if later:
        log.info("%d events after the as-of time %s are ignored (not happened yet)", later, as_of.isoformat())
    ev = ev.filter((pl.col("at") <= as_of_lit) & (pl.col("_created") <= as_of_lit)).sort("ticket_id", "at", "event_id")
    q = pl.concat(quarantine).sort("record", "field")
    if ev.height == 0:
        return pl.DataFrame(schema=HISTORY_SCHEMA), q

    # status segments: an implicit "new" at creation, then every status change, each lasting to the next one
    created = ev.group_by("ticket_id").agg(pl.col("_created").first()).select(
        "ticket_id", pl.col("_created").alias("at"), pl.lit("new").alias("status"), pl.lit(0, pl.UInt32).alias("_order")
    )
    changes = ev.filter(pl.col("status_to").is_not_null()).select(
        "ticket_id", "at", pl.col("status_to").str.to_lowercase().alias("status"), pl.lit(1, pl.UInt32).alias("_order")
    )
    seg = (
        pl.concat([created, changes])
        .sort("ticket_id", "at", "_order", maintain_order=True)
        .with_columns(
            _k=pl.int_range(pl.len()).over("ticket_id"),
            _end=pl.col("at").shift(-1).over("ticket_id"),
            _done=pl.col("status").is_in(DONE_STATUSES),
        )
        .with_columns(_last_open=pl.col("_k").filter(~pl.col("_done")).max().over("ticket_id"))
        .with_columns(
            # the final solve: the first status of the trailing run of solved/closed (null when the ticket is open)
            final_solved_at=pl.col("at").filter(pl.col("_k") == pl.col("_last_open") + 1).first().over("ticket_id")
        )
    )
    seg = seg.with_columns(_hours=(pl.col("_end") - pl.col("at")).dt.total_microseconds() / _US_PER_HOUR)
    use_business = calendar is not None and calendar.enabled
    if use_business:
        seg = seg.with_columns(_bhours=business_hours_between(seg["at"], seg["_end"], calendar))
    else:
        seg = seg.with_columns(_bhours=pl.lit(None, pl.Float64))
    solved = pl.col("final_solved_at").is_not_null()

    def spent(statuses: tuple[str, ...], col: str = "_hours") -> pl.Expr:
        # every segment before the final solve has an end; the ones after it are solved/closed
        return pl.when(solved.first()).then(pl.col(col).filter(pl.col("status").is_in(statuses)).sum())

    waits = seg.group_by("ticket_id").agg(
        pl.col("final_solved_at").first(),
        requester_wait_hours=spent(WAIT_STATUSES),
        requester_wait_business_hours=spent(WAIT_STATUSES, "_bhours") if use_business else pl.lit(None, pl.Float64),
        on_hold_hours=spent(("on-hold",)),
        agent_wait_hours=spent(("pending",)),
    )
    groups = (
        ev.filter(pl.col("group").is_not_null())
        .with_columns(pl.col("group").str.strip_chars())
        .filter(pl.col("group") != pl.col("group").shift(1).over("ticket_id").fill_null(""))
        .group_by("ticket_id", maintain_order=True)
        .agg(escalation_path=pl.col("group").str.join(PATH_SEPARATOR), n_escalations=(pl.len() - 1).cast(pl.Int32))
    )
    per = ev.group_by("ticket_id").agg(
        n_status_events=pl.len().cast(pl.Int32),
        first_public_agent_at=pl.col("at").filter((pl.col("actor") == "agent") & pl.col("public").fill_null(False)).min(),
    )
    out = (
        per.join(waits, on="ticket_id", how="left")
        .join(groups, on="ticket_id", how="left")
        .with_columns(escalated_by_events=pl.when(pl.col("n_escalations").is_not_null()).then(pl.col("n_escalations") > 0))
    )
    out = out.select([pl.col(c).cast(t) for c, t in HISTORY_SCHEMA.items()]).sort("ticket_id")
    return out, q


def add_status_history(metrics: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """``metrics`` (``compute_ticket_metrics``) with the history columns joined (null for a ticket without
    events: ``n_status_events`` null). A ticket without an ``escalated`` flag takes the one its escalation path implies."""
    require_columns(metrics, ("ticket_id", "escalated"), name="ticket metrics")
    require_columns(history, tuple(HISTORY_SCHEMA), name="ticket status history")
    out = metrics.join(history.select("ticket_id", *HISTORY_COLUMNS), on="ticket_id", how="left")
    return out.with_columns(pl.coalesce("escalated", "escalated_by_events").alias("escalated")).sort("ticket_id")


def _breached() -> pl.Expr:
    return (pl.col("first_response_breached") | pl.col("resolution_breached")).cast(pl.Float64)


def summarise_escalation_paths(metrics: pl.DataFrame) -> pl.DataFrame:
    """Per escalation path (tickets with group information): ``escalation_path, n_escalations, n_tickets,
    share`` (of tickets with a path), ``n_open``, ``median_resolution_hours`` (full resolution, calendar),
    ``median_requester_wait_hours``, ``breach_rate`` (either SLA breached, among decided tickets) and
    ``resolution_breach_rate``; sorted by ``escalation_path``."""
    cols = ("ticket_id", "escalation_path", "n_escalations", "is_open", "resolution_hours", "requester_wait_hours",
            "first_response_breached", "resolution_breached")
    require_columns(metrics, cols, name="ticket metrics")
    with_path = metrics.filter(pl.col("escalation_path").is_not_null())
    return (
        with_path.group_by("escalation_path")
        .agg(
            n_escalations=pl.col("n_escalations").first().cast(pl.Int32),
            n_tickets=pl.len().cast(pl.Int64),
            n_open=pl.col("is_open").sum().cast(pl.Int64),
            median_resolution_hours=pl.col("resolution_hours").median(),
            median_requester_wait_hours=pl.col("requester_wait_hours").median(),
            breach_rate=_breached().mean(),
            resolution_breach_rate=pl.col("resolution_breached").cast(pl.Float64).mean(),
        )
        .with_columns(share=pl.col("n_tickets") / pl.col("n_tickets").sum())
        .select("escalation_path", "n_escalations", "n_tickets", "share", "n_open", "median_resolution_hours",
                "median_requester_wait_hours", "breach_rate", "resolution_breach_rate")
        .sort("escalation_path")
    )


def _num(value: Any) -> Any:
    return None if isinstance(value, float) and value != value else value


def _wait_stats(frame: pl.DataFrame) -> dict[str, Any]:
    solved = frame.filter(pl.col("requester_wait_hours").is_not_null())
    row = solved.select(
        median=pl.col("requester_wait_hours").median(),
        p90=pl.col("requester_wait_hours").quantile(0.9, interpolation="nearest"),
        median_business=pl.col("requester_wait_business_hours").median(),
        on_hold=pl.col("on_hold_hours").median(),
        agent=pl.col("agent_wait_hours").median(),
    ).row(0, named=True)
    return {
        "n_solved": solved.height,
        "median_requester_wait_hours": _num(row["median"]),
        "p90_requester_wait_hours": _num(row["p90"]),
        "median_requester_wait_business_hours": _num(row["median_business"]),
        "median_on_hold_hours": _num(row["on_hold"]),
        "median_agent_wait_hours": _num(row["agent"]),
    }


def summarise_status_history(metrics: pl.DataFrame, paths: pl.DataFrame, *, n_events: int, top: int = 10) -> dict[str, Any]:
    """The ``status_history`` block of ``complaints.json``: requester wait overall and by priority, the
    escalation rate by path (overall, per priority and per channel), the ``top`` paths by volume, and how
    far the log agrees with the tickets table (escalated flag, first response time)."""
    require_columns(metrics, ("ticket_id", "priority", "channel", "escalated", "first_response_at", *HISTORY_COLUMNS),
                    name="ticket metrics")
    logged = metrics.filter(pl.col("n_status_events").is_not_null())
    with_path = metrics.filter(pl.col("escalated_by_events").is_not_null())

    def rate_by(col: str) -> dict[str, float | None]:
        rows = with_path.group_by(col).agg(r=pl.col("escalated_by_events").cast(pl.Float64).mean()).sort(col)
        return {str(k): _num(v) for k, v in rows.iter_rows()}

    by_priority = {
        str(p): _wait_stats(part) for (p,), part in sorted(metrics.group_by("priority"), key=lambda kv: str(kv[0][0]))
    }
    flagged = with_path.filter(pl.col("escalated").is_not_null())
    answered = logged.filter(pl.col("first_response_at").is_not_null() | pl.col("first_public_agent_at").is_not_null())
    top_paths = paths.sort(["n_tickets", "escalation_path"], descending=[True, False]).head(top)
    return {
        "available": True,
        "n_events": n_events,
        "n_tickets_with_events": logged.height,
        **_wait_stats(metrics),
        "by_priority": by_priority,
        "escalation_rate": _num(with_path["escalated_by_events"].cast(pl.Float64).mean()) if with_path.height else None,
        "escalation_rate_by_priority": rate_by("priority"),
        "escalation_rate_by_channel": rate_by("channel"),
        "n_paths": paths.height,
        "top_paths": [{k: _num(v) for k, v in r.items()} for r in top_paths.iter_rows(named=True)],
        "n_escalated_flag_mismatch": int((flagged["escalated"] != flagged["escalated_by_events"]).sum()),
        "n_first_response_mismatch": int(
            answered.select((pl.col("first_response_at") != pl.col("first_public_agent_at")).fill_null(True).sum()).item()
        ),
        "definition": "requester wait: hours in new, open and on-hold from creation to the final solve (Zendesk); "
                      "null for tickets not solved at the as-of time. Escalation path: groups in order, repeats "
                      "collapsed; escalated = moved out of the first group.",
    }


def status_history_unavailable(reason: str) -> dict[str, Any]:
    """The ``status_history`` block when there is no event log: every figure null, with the reason."""
    return {"available": False, "reason": reason, "n_events": 0, "n_tickets_with_events": 0, "n_solved": 0,
            "median_requester_wait_hours": None, "p90_requester_wait_hours": None,
            "median_requester_wait_business_hours": None, "median_on_hold_hours": None,
            "median_agent_wait_hours": None, "by_priority": {}, "escalation_rate": None,
            "escalation_rate_by_priority": {}, "escalation_rate_by_channel": {}, "n_paths": 0, "top_paths": []}
