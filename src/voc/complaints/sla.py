"""Per-ticket complaint metrics: response and resolution times (hours), SLA breaches, recurrence.

Times are calendar hours unless the column says ``business``. ``resolution_hours`` is the full resolution
(to the last resolution: a ticket reopened after its recorded resolution is open again);
``first_resolution_hours`` is to the first resolution (null when a reopen hides it). SLA breaches use the
clock named by ``complaints.sla_clock`` (calendar or business hours). A duration is null until both of its events
exist: an unanswered ticket has no first-response time, never a zero. An SLA breach is ``True`` once the
target is exceeded (also for a ticket still waiting at the as-of time), ``False`` once the event happened in
time, and null while it is still undecided.
"""

from __future__ import annotations

import datetime as dt
import logging
import numpy as np
import polars as pl

from voc.complaints.config import BusinessCalendar, ComplaintsConfig

log = logging.getLogger(__name__)

TICKETS_FILE = "data/interim/tickets.parquet"
TICKET_COLUMNS = (
    "ticket_id",
    "customer_id",
    "channel",
    "created_at",
    "first_response_at",
    "resolved_at",
    "reopened_at",
    "status",
    "priority",
    "escalated",
)
_EVENTS = ("first_response_at", "resolved_at", "reopened_at")
_US_PER_HOUR = 3_600_000_000.0
QUARANTINE_SCHEMA = {
    "source": pl.String,
    "file": pl.String,
    "record": pl.Int64,
    "field": pl.String,
    "value": pl.String,
    "reason": pl.String,
}


def require_columns(frame: pl.DataFrame, columns: tuple[str, ...] | list[str], *, name: str) -> None:
    """Raise ``ValueError`` naming ``name`` and the missing columns when ``frame`` lacks any of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}; found {frame.columns}")


def resolve_as_of(tickets: pl.DataFrame, as_of: str | None = None) -> dt.datetime:
    """The as-of time (UTC): ``as_of`` when given (ISO 8601), else the latest timestamp in ``tickets``."""
    if as_of is not None:
        parsed = dt.datetime.fromisoformat(as_of)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.astimezone(dt.UTC)
    cols = [c for c in ("created_at", *_EVENTS) if c in tickets.columns]
    if tickets.height == 0 or not cols:
        raise ValueError(f"{TICKETS_FILE}: no timestamps to take the as-of time from; set complaints.as_of")
    latest = tickets.select(pl.max_horizontal(pl.col(cols).max())).item()
    if latest is None:
        raise ValueError(f"{TICKETS_FILE}: all timestamps are null; set complaints.as_of")
    return latest


def ticket_topics(feedback: pl.DataFrame, topics: pl.DataFrame) -> pl.DataFrame:
    """Theme of each ticket: the topic of the feedback row the ticket opened (earliest row if several).

    Returns ``ticket_id, topic_id, topic_label``, sorted by ``ticket_id``.
    """
    require_columns(feedback, ("feedback_id", "ticket_id", "created_at"), name="data/interim/feedback.parquet")
    require_columns(topics, ("feedback_id", "topic_id", "topic_label"), name="data/processed/topics.parquet")
    return (
        feedback.filter(pl.col("ticket_id").is_not_null())
        .join(topics.select("feedback_id", "topic_id", "topic_label"), on="feedback_id", how="inner")
        .sort("ticket_id", "created_at", "feedback_id")
        .unique("ticket_id", keep="first", maintain_order=True)
        .select("ticket_id", pl.col("topic_id").cast(pl.Int32), pl.col("topic_label").cast(pl.String))
    )


def _hours(end: str, start: str = "created_at") -> pl.Expr:
    return (pl.col(end) - pl.col(start)).dt.total_microseconds() / _US_PER_HOUR


def _business_clock(ts: pl.Series, cal: BusinessCalendar) -> np.ndarray:
    """Business seconds from a fixed origin to each timestamp (NaN for null), in ``cal``'s local time."""
    local = ts.dt.convert_time_zone(cal.timezone).dt.replace_time_zone(None)
    null = local.is_null().to_numpy()
    values = local.fill_null(dt.datetime(1970, 1, 1)).to_numpy().astype("datetime64[us]")
    days = values.astype("datetime64[D]")
    seconds_in_day = (values - days).astype("timedelta64[us]").astype(np.float64) / 1e6
    opening, closing = cal.open_hour * 3600.0, cal.close_hour * 3600.0
    holidays = np.array(cal.holidays, dtype="datetime64[D]")
    origin = np.datetime64("1970-01-01", "D")
    n_days = np.busday_count(origin, days, weekmask=cal.weekmask, holidays=holidays).astype(np.float64)
    is_open = np.is_busday(days, weekmask=cal.weekmask, holidays=holidays)
    within = np.clip(seconds_in_day - opening, 0.0, closing - opening) * is_open
    clock = n_days * (closing - opening) + within
    clock[null] = np.nan
    return clock


def business_hours_between(start: pl.Series, end: pl.Series, calendar: BusinessCalendar) -> pl.Series:
    """Business hours (opening hours on working days, local time) from ``start`` to ``end``; null if either is."""
    if not calendar.close_hour > calendar.open_hour:
        raise ValueError("params complaints.business_calendar: close_hour must be after open_hour")
    hours = (_business_clock(end, calendar) - _business_clock(start, calendar)) / 3600.0
    return pl.Series(hours).fill_nan(None)


def compute_ticket_metrics(
    tickets: pl.DataFrame,
    topics: pl.DataFrame | None = None,
    *,
    config: ComplaintsConfig,
    as_of: dt.datetime,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-ticket SLA metrics as of ``as_of`` (UTC) and a quarantine table of rows with impossible times.

    ``topics`` is ``ticket_topics()``'s output (theme per ticket). Events after ``as_of`` are treated as not
    yet happened; tickets created after it are left out (and logged). A time that runs backwards (an event
    before the ticket's creation) is set to null and reported in the quarantine table, the ticket stays.
    Returns (metrics sorted by ``ticket_id``, quarantine in the ingest quarantine schema).
    """
    require_columns(tickets, TICKET_COLUMNS, name=TICKETS_FILE)
    dupes = tickets.filter(pl.col("ticket_id").is_duplicated())["ticket_id"].unique().sort()
    if dupes.len():
        raise ValueError(f"{TICKETS_FILE}: duplicate ticket_id {dupes.head(5).to_list()}")
    nulls = tickets.with_row_index("record", offset=1).filter(pl.col("created_at").is_null())
    if nulls.height:
        raise ValueError(
            f"{TICKETS_FILE}: row {nulls['record'][0]} (ticket {nulls['ticket_id'][0]}): field created_at is null"
        )
    frame = tickets.with_row_index("record", offset=1).with_columns(
        pl.col("record").cast(pl.Int64), pl.col("priority").cast(pl.String).str.to_lowercase()
    )
    if config.default_priority is not None:
        n_null = frame["priority"].null_count()
        if n_null:
            log.info("%d tickets without a priority get complaints.default_priority %r", n_null, config.default_priority)
        frame = frame.with_columns(pl.col("priority").fill_null(config.default_priority))
    late = frame.filter(pl.col("created_at") > as_of).height
    if late:
        log.info("%d tickets created after the as-of time %s are left out", late, as_of.isoformat())
    frame = frame.filter(pl.col("created_at") <= as_of).with_columns(
        pl.when(pl.col(e) <= as_of).then(pl.col(e)).otherwise(None).alias(e) for e in _EVENTS
    )

    quarantine = []
    for event in _EVENTS:
        bad = frame.filter(pl.col(event) < pl.col("created_at"))
        if bad.height:
            log.warning("%d tickets have %s before created_at; set to null (quarantined)", bad.height, event)
            quarantine.append(
                bad.select(
                    pl.lit("tickets").alias("source"),
                    pl.lit(TICKETS_FILE).alias("file"),
                    "record",
                    pl.lit(event).alias("field"),
                    pl.col(event).dt.to_string("%Y-%m-%dT%H:%M:%S%.f%z").alias("value"),
                    pl.lit(f"{event} is before created_at").alias("reason"),
                )
            )
        frame = frame.with_columns(
            pl.when(pl.col(event) < pl.col("created_at")).then(None).otherwise(pl.col(event)).alias(event)
        )
    unknown = frame.filter(~pl.col("priority").is_in(list(config.first_response_hours)))
    if unknown.height:
        log.warning("%d tickets have an unknown priority; their SLA breach is null (quarantined)", unknown.height)
        quarantine.append(
            unknown.select(
                pl.lit("tickets").alias("source"),
                pl.lit(TICKETS_FILE).alias("file"),
                "record",
                pl.lit("priority").alias("field"),
                pl.col("priority").alias("value"),
                pl.lit(f"priority not in {sorted(config.first_response_hours)}").alias("reason"),
            )
        )

    fr_target = pl.col("priority").replace_strict(dict(config.first_response_hours), default=None, return_dtype=pl.Float64)
    res_target = pl.col("priority").replace_strict(dict(config.resolution_hours), default=None, return_dtype=pl.Float64)
    # Reopened tickets count until their last resolution: a reopen after the recorded resolution means that
    # resolution was only the first one and the ticket is open again. A reopen before it means the recorded
    # resolution is the final one and the first resolution's time is not in the export (null).
    reopened_after = pl.col("reopened_at").is_not_null() & pl.col("resolved_at").is_not_null() & (
        pl.col("reopened_at") > pl.col("resolved_at")
    )
    frame = frame.with_columns(
        first_resolved_at=pl.when(pl.col("reopened_at").is_null() | reopened_after).then(pl.col("resolved_at")),
        resolved_at=pl.when(reopened_after).then(None).otherwise(pl.col("resolved_at")),
        # Closed in the help desk without a resolution time (exports such as the CFPB's): not open, but its
        # resolution SLA cannot be decided.
        # (A status counts as closed when it starts with one of complaints.closed_statuses, case-insensitive:
        # "Closed with explanation" is closed.)
        _closed_untimed=pl.col("resolved_at").is_null()
        & pl.any_horizontal(
            [pl.col("status").cast(pl.String).str.to_lowercase().str.starts_with(s.lower()) for s in config.closed_statuses]
            or [pl.lit(False)]
        ).fill_null(False),
    )
    cal = config.business_calendar
    as_of_col = pl.lit(as_of).cast(pl.Datetime("us", "UTC"))
    frame = frame.with_columns(_as_of=as_of_col)
    if cal.enabled:
        frame = frame.with_columns(
            first_response_business_hours=business_hours_between(frame["created_at"], frame["first_response_at"], cal),
            resolution_business_hours=business_hours_between(frame["created_at"], frame["resolved_at"], cal),
            _waited_business=business_hours_between(frame["created_at"], frame["_as_of"], cal),
        )
    waited = (as_of_col - pl.col("created_at")).dt.total_microseconds() / _US_PER_HOUR
    out = frame.with_columns(
        first_response_hours=_hours("first_response_at"),
        first_resolution_hours=_hours("first_resolved_at"),
        resolution_hours=_hours("resolved_at"),
        _waited=waited,
        _fr_target=fr_target,
        _res_target=res_target,
    )
    if config.sla_clock == "business":
        fr_h, res_h, wait_h = "first_response_business_hours", "resolution_business_hours", "_waited_business"
    else:
        fr_h, res_h, wait_h = "first_response_hours", "resolution_hours", "_waited"
    out = out.with_columns(
        # Response clock: stops at the first response; a ticket solved without any response counts as met
        # if it was solved within the response target; one still waiting is breached once past its target.
        first_response_breached=pl.when(pl.col("_fr_target").is_null())
        .then(None)
        .when(pl.col(fr_h).is_not_null())
        .then(pl.col(fr_h) > pl.col("_fr_target"))
        .when(pl.col(res_h).is_not_null())
        .then(pl.col(res_h) > pl.col("_fr_target"))
        .when(pl.col("_closed_untimed"))
        .then(None)
        .when(pl.col(wait_h) > pl.col("_fr_target"))
        .then(True)
        .otherwise(None),
        resolution_breached=pl.when(pl.col("_res_target").is_null())
        .then(None)
        .when(pl.col(res_h).is_not_null())
        .then(pl.col(res_h) > pl.col("_res_target"))
        .when(pl.col("_closed_untimed"))
        .then(None)
        .when(pl.col(wait_h) > pl.col("_res_target"))
        .then(True)
        .otherwise(None),
        is_open=pl.col("resolved_at").is_null() & ~pl.col("_closed_untimed"),
        reopened=pl.col("reopened_at").is_not_null(),
        escalated=pl.col("escalated").cast(pl.Boolean),
        age_hours=pl.when(pl.col("resolved_at").is_null() & ~pl.col("_closed_untimed")).then(pl.col("_waited")),
        sla_target_hours=pl.col("_res_target"),
        sla_elapsed_hours=pl.when(pl.col("resolved_at").is_null() & ~pl.col("_closed_untimed")).then(pl.col(wait_h)),
    )
    if topics is not None:
        require_columns(topics, ("ticket_id", "topic_id", "topic_label"), name="ticket topics")
        out = out.join(topics.select("ticket_id", "topic_id", "topic_label"), on="ticket_id", how="left")
    else:
        out = out.with_columns(topic_id=pl.lit(None, pl.Int32), topic_label=pl.lit(None, pl.String))
    out = flag_recurrence(out, recurrence_days=config.recurrence_days)
    extra = [c for c in ("first_response_business_hours", "resolution_business_hours") if c in out.columns]
    if "category" not in out.columns:
        out = out.with_columns(category=pl.lit(None, pl.String))
    out = out.select(
        "ticket_id",
        "customer_id",
        "priority",
        "channel",
        "status",
        "created_at",
        "first_response_at",
        "resolved_at",
        "first_response_hours",
        "resolution_hours",
        "first_resolution_hours",
        "first_response_breached",
        "resolution_breached",
        *extra,
        "escalated",
        "reopened",
        "is_open",
        "age_hours",
        "sla_target_hours",
        "sla_elapsed_hours",
        pl.col("category").cast(pl.String),
        pl.col("topic_id").cast(pl.Int32),
        "topic_label",
        "recurring",
    ).sort("ticket_id")
    q = pl.concat(quarantine) if quarantine else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    return out, q.sort("record", "field")


def flag_recurrence(metrics: pl.DataFrame, *, recurrence_days: int) -> pl.DataFrame:
    """Add ``recurring``: the same customer raised the same theme before, within ``recurrence_days`` days.

    Tickets without a customer or a theme (null or a negative, i.e. outlier, topic id) are never recurring.
    """
    require_columns(metrics, ("ticket_id", "customer_id", "created_at", "topic_id"), name="ticket metrics")
    window = dt.timedelta(days=recurrence_days)
    keyed = pl.col("customer_id").is_not_null() & pl.col("topic_id").is_not_null() & (pl.col("topic_id") >= 0)
    previous = pl.col("created_at").shift(1).over(["customer_id", "topic_id"], order_by=["created_at", "ticket_id"])
    return metrics.with_columns(
        recurring=(keyed & previous.is_not_null() & ((pl.col("created_at") - previous) <= window)).fill_null(False)
    )



CHATS_FILE = "data/raw/chats"


def chat_response_times(chats: pl.DataFrame, *, target_hours: float) -> pl.DataFrame:
    """First response in each chat conversation: the first turn by a human ``agent``; bot turns never count.

    ``chats`` has ``conversation_id, customer_id, started_at`` (UTC datetime) and ``turns`` (list of structs
    ``speaker, at, text``; ``at`` an ISO 8601 string or a UTC datetime). Returns ``conversation_id,
    customer_id, started_at, first_agent_at, first_response_hours`` (from the start to the first agent turn,
    null when no agent ever answered), ``n_bot_turns``, ``n_agent_turns`` and ``first_response_breached``
    (against ``target_hours``; null when no agent answered), sorted by ``conversation_id``.
    """
    require_columns(chats, ("conversation_id", "customer_id", "started_at", "turns"), name=CHATS_FILE)
    turns = chats.select("conversation_id", pl.col("turns")).explode("turns").unnest("turns")
    at = pl.col("at")
    if turns.schema.get("at") == pl.String:
        at = at.str.to_datetime(time_zone="UTC", time_unit="us")
    turns = turns.with_columns(at.dt.convert_time_zone("UTC").alias("at"), pl.col("speaker").str.to_lowercase())
    unknown = turns.filter(pl.col("speaker").is_not_null() & ~pl.col("speaker").is_in(["agent", "bot", "customer"]))
    if unknown.height:
        raise ValueError(
            f"{CHATS_FILE}: conversation {unknown['conversation_id'][0]}: field turns.speaker "
            f"{unknown['speaker'][0]!r} is not agent/bot/customer"
        )
    per = turns.group_by("conversation_id").agg(
        first_agent_at=pl.col("at").filter(pl.col("speaker") == "agent").min(),
        n_bot_turns=(pl.col("speaker") == "bot").sum().cast(pl.Int32),
        n_agent_turns=(pl.col("speaker") == "agent").sum().cast(pl.Int32),
    )
    return (
        chats.select("conversation_id", "customer_id", pl.col("started_at").dt.convert_time_zone("UTC"))
        .join(per, on="conversation_id", how="left")
        .with_columns(
            first_response_hours=(pl.col("first_agent_at") - pl.col("started_at")).dt.total_microseconds()
            / _US_PER_HOUR,
            n_bot_turns=pl.col("n_bot_turns").fill_null(0),
            n_agent_turns=pl.col("n_agent_turns").fill_null(0),
        )
        .with_columns(first_response_breached=pl.col("first_response_hours") > target_hours)
        .sort("conversation_id")
    )
