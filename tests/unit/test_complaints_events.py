"""Ticket status history: requester wait, on-hold and agent wait, escalation paths, quarantine, and the
sample's planted truths (``_truth.json["ticket_events"]``)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
import pytest

from voc import viz
from voc.complaints import (
    BusinessCalendar,
    ComplaintsConfig,
    add_status_history,
    compute_ticket_metrics,
    summarise_by_segment,
    summarise_escalation_paths,
    summarise_status_history,
    ticket_status_history,
)
from voc.sample import SampleConfig, generate_sample

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
AS_OF = dt.datetime(2026, 4, 1, tzinfo=UTC)


def _h(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def _events(rows: list[tuple]) -> pl.DataFrame:
    """(ticket_id, hours after T0, actor, public, status_to, group) -> a ticket_events frame."""
    seq: dict[str, int] = {}
    out = []
    for tid, hours, actor, public, status, group in rows:
        seq[tid] = seq.get(tid, 0) + 1
        out.append({"ticket_id": tid, "event_id": f"{tid}-{seq[tid]:03d}", "at": _h(hours), "actor": actor,
                    "public": public, "status_to": status, "group": group})
    return pl.DataFrame(out, schema={"ticket_id": pl.String, "event_id": pl.String, "at": pl.Datetime("us", "UTC"),
                                     "actor": pl.String, "public": pl.Boolean, "status_to": pl.String,
                                     "group": pl.String})


def _tickets(ids: dict[str, float]) -> pl.DataFrame:
    return pl.DataFrame({"ticket_id": list(ids), "created_at": [_h(h) for h in ids.values()]},
                        schema={"ticket_id": pl.String, "created_at": pl.Datetime("us", "UTC")})


# t1: new 1 h, open 2 h, pending 2 h, open 1 h, on-hold 2 h, open 1 h, solved 3 h (not counted), reopened:
# open 2 h, solved, closed. Requester wait 1+2+1+2+1+2 = 9 h; on-hold 2 h; agent wait (pending) 2 h.
REOPEN = [
    ("t1", 0, "customer", True, "new", "L1"),
    ("t1", 0.01, "bot", True, None, None),
    ("t1", 1, "system", False, "open", None),
    ("t1", 3, "agent", True, "pending", None),
    ("t1", 5, "customer", True, "open", None),
    ("t1", 6, "agent", False, "on-hold", "specialist"),
    ("t1", 8, "agent", False, "open", None),
    ("t1", 9, "agent", True, "solved", None),
    ("t1", 12, "customer", True, "open", None),
    ("t1", 14, "agent", True, "solved", None),
    ("t1", 110, "system", False, "closed", None),
]


def test_requester_wait_counts_new_open_on_hold_until_the_final_solve() -> None:
    hist, q = ticket_status_history(_events(REOPEN), _tickets({"t1": 0}), as_of=AS_OF)
    row = hist.row(0, named=True)
    assert q.height == 0
    assert row["requester_wait_hours"] == pytest.approx(9.0)
    assert row["on_hold_hours"] == pytest.approx(2.0)
    assert row["agent_wait_hours"] == pytest.approx(2.0)
    assert row["final_solved_at"] == _h(14)
    assert row["first_public_agent_at"] == _h(3)  # the bot's reply is not a human response
    assert row["escalation_path"] == "L1 > specialist" and row["escalated_by_events"]


def test_open_tickets_and_events_after_as_of_have_no_wait() -> None:
    rows = [("t2", 0, "customer", True, "new", "L1"), ("t2", 2, "agent", True, "pending", None),
            ("t3", 0, "customer", True, "new", "L1"), ("t3", 4, "agent", True, "solved", None)]
    hist, _ = ticket_status_history(_events(rows), _tickets({"t2": 0, "t3": 0}), as_of=_h(3))
    by = {r["ticket_id"]: r for r in hist.iter_rows(named=True)}
    assert by["t2"]["requester_wait_hours"] is None and by["t2"]["agent_wait_hours"] is None
    assert by["t3"]["requester_wait_hours"] is None  # its solve is after the as-of time
    hist, _ = ticket_status_history(_events(rows), _tickets({"t2": 0, "t3": 0}), as_of=_h(5))
    assert hist.filter(pl.col("ticket_id") == "t3")["requester_wait_hours"].item() == pytest.approx(4.0)


def test_requester_wait_in_business_hours() -> None:
    # created Friday 16:00 UTC, solved Monday 10:00: 66 calendar hours, 2 business hours (Fri 16-17, Mon 9-10)
    cal = BusinessCalendar(timezone="UTC", open_hour=9, close_hour=17)
    rows = [("b1", 4 * 24 + 16, "customer", True, "new", None), ("b1", 7 * 24 + 10, "agent", True, "solved", None)]
    hist, _ = ticket_status_history(_events(rows), _tickets({"b1": 4 * 24 + 16}), as_of=AS_OF, calendar=cal)
    row = hist.row(0, named=True)
    assert row["requester_wait_hours"] == pytest.approx(66.0)
    assert row["requester_wait_business_hours"] == pytest.approx(2.0)
    assert row["escalation_path"] is None and row["escalated_by_events"] is None  # no group information


def test_escalation_path_collapses_repeats_and_counts_moves() -> None:
    rows = [("e1", 0, "customer", True, "new", "L1"), ("e1", 1, "agent", False, None, "L1"),
            ("e1", 2, "agent", False, "open", "L2"), ("e1", 3, "agent", False, "on-hold", "specialist"),
            ("e1", 4, "agent", False, "open", "L1"), ("e1", 5, "agent", True, "solved", None),
            ("e2", 0, "customer", True, "new", "L1"), ("e2", 1, "agent", True, "solved", None)]
    hist, _ = ticket_status_history(_events(rows), _tickets({"e1": 0, "e2": 0}), as_of=AS_OF)
    by = {r["ticket_id"]: r for r in hist.iter_rows(named=True)}
    assert by["e1"]["escalation_path"] == "L1 > L2 > specialist > L1" and by["e1"]["n_escalations"] == 3
    assert by["e2"]["escalation_path"] == "L1" and by["e2"]["escalated_by_events"] is False


def test_unknown_tickets_and_events_before_creation_are_quarantined() -> None:
    rows = [("t1", 1, "customer", True, "new", "L1"), ("zz", 1, "customer", True, "new", "L1"),
            ("t1", 0.5, "agent", True, "open", None), ("t1", 2, "agent", True, "solved", None)]
    hist, q = ticket_status_history(_events(rows), _tickets({"t1": 1}), as_of=AS_OF)
    assert q.sort("record").select("record", "field", "reason").rows() == [
        (2, "ticket_id", "ticket_id not in tickets.parquet"), (3, "at", "event before the ticket's created_at")]
    assert q["file"].unique().to_list() == ["data/interim/ticket_events.parquet"]
    assert hist["n_status_events"].to_list() == [2]  # in = kept + quarantined
    assert hist["requester_wait_hours"].item() == pytest.approx(1.0)


def test_missing_event_column_names_the_file() -> None:
    with pytest.raises(ValueError, match=r"ticket_events\.parquet: missing column\(s\) \['group'\]"):
        ticket_status_history(_events(REOPEN).drop("group"), _tickets({"t1": 0}), as_of=AS_OF)


def _metrics(rows: list[tuple], created: dict[str, float], priority: dict[str, str]) -> pl.DataFrame:
    tickets = _tickets(created).with_columns(
        customer_id=pl.lit("c1"), channel=pl.lit("email"), first_response_at=pl.lit(None, pl.Datetime("us", "UTC")),
        resolved_at=pl.lit(None, pl.Datetime("us", "UTC")), reopened_at=pl.lit(None, pl.Datetime("us", "UTC")),
        status=pl.lit("open"), priority=pl.col("ticket_id").replace_strict(priority), escalated=pl.lit(None, pl.Boolean),
    )
    metrics, _ = compute_ticket_metrics(tickets, config=ComplaintsConfig(), as_of=AS_OF)
    hist, _ = ticket_status_history(_events(rows), tickets, as_of=AS_OF)
    return add_status_history(metrics, hist)


def test_paths_table_and_summary() -> None:
    rows = REOPEN + [("t2", 0, "customer", True, "new", "L1"), ("t2", 1, "agent", True, "solved", None),
                     ("t3", 0, "customer", True, "new", "L1"), ("t3", 1, "agent", False, "open", "L2"),
                     ("t3", 5, "agent", True, "solved", None)]
    m = _metrics(rows, {"t1": 0, "t2": 0, "t3": 0, "t4": 0}, {"t1": "high", "t2": "low", "t3": "high", "t4": "low"})
    assert m.filter(pl.col("ticket_id") == "t4")["n_status_events"].item() is None  # no events: nulls
    assert m.filter(pl.col("ticket_id") == "t3")["escalated"].item() is True  # null flag: taken from the path
    paths = summarise_escalation_paths(m)
    assert paths["escalation_path"].to_list() == ["L1", "L1 > L2", "L1 > specialist"]
    assert paths["n_tickets"].to_list() == [1, 1, 1] and paths["share"].sum() == pytest.approx(1.0)
    s = summarise_status_history(m, paths, n_events=len(rows))
    assert s["available"] and s["n_tickets_with_events"] == 3 and s["n_solved"] == 3
    assert s["escalation_rate"] == pytest.approx(2 / 3)
    assert s["escalation_rate_by_priority"] == {"high": 1.0, "low": 0.0}
    assert s["by_priority"]["high"]["median_requester_wait_hours"] == pytest.approx((9.0 + 5.0) / 2)
    seg = summarise_by_segment(m)
    assert "median_requester_wait_hours" in seg.columns
    fig = viz.escalation_paths_figure(paths)
    assert "of tickets are escalated" in fig.layout.title.text
    assert "high" in viz.requester_wait_figure(m).layout.title.text


@pytest.fixture(scope="module")
def sample() -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    data = generate_sample(SampleConfig(n_customers=200, n_items=1000), seed=5)
    ts = ("created_at", "first_response_at", "resolved_at", "reopened_at")
    tickets = data.tickets.with_columns(pl.col(c).str.to_datetime(time_zone="UTC", time_unit="us") for c in ts)
    assert data.ticket_events is not None
    events = data.ticket_events.with_columns(pl.col("at").str.to_datetime(time_zone="UTC", time_unit="us"))
    return tickets, events, data.truth


def test_stage_reproduces_the_planted_waits_and_paths(sample: tuple[pl.DataFrame, pl.DataFrame, dict]) -> None:
    tickets, events, truth = sample
    snapshot = dt.datetime.fromisoformat(truth["window"]["snapshot"].replace("Z", "+00:00"))
    cfg = dataclasses.replace(ComplaintsConfig(), business_calendar=BusinessCalendar(enabled=False))
    metrics, _ = compute_ticket_metrics(tickets, config=cfg, as_of=snapshot)
    hist, q = ticket_status_history(events, tickets, as_of=snapshot)
    assert q.height == 0
    m = add_status_history(metrics, hist)
    te = truth["ticket_events"]
    got = {k: v for k, v in m.select("ticket_id", "requester_wait_hours").iter_rows() if v is not None}
    assert set(got) == set(te["requester_wait_hours"]) and len(got) == te["n_solved"] > 50
    for tid, hours in te["requester_wait_hours"].items():
        assert got[tid] == pytest.approx(hours, abs=1e-5), tid
    for col in ("on_hold_hours", "agent_wait_hours"):
        vals = dict(m.select("ticket_id", col).drop_nulls().iter_rows())
        assert vals == pytest.approx(te[col], abs=1e-5)
    paths = summarise_escalation_paths(m)
    assert dict(paths.select("escalation_path", "n_tickets").iter_rows()) == te["escalation_paths"]
    s = summarise_status_history(m, paths, n_events=events.height)
    assert s["escalation_rate"] == pytest.approx(te["escalation_rate"], abs=1e-6)
    assert s["median_requester_wait_hours"] == pytest.approx(te["median_requester_wait_hours"], abs=1e-5)
    assert s["n_escalated_flag_mismatch"] == 0 and s["n_first_response_mismatch"] == 0


def test_sample_log_agrees_with_the_tickets_table(sample: tuple[pl.DataFrame, pl.DataFrame, dict]) -> None:
    tickets, events, _ = sample
    assert events["event_id"].is_unique().all() and set(events["ticket_id"]) == set(tickets["ticket_id"])
    ordered = events.sort("ticket_id", "at", "event_id")
    assert ordered["event_id"].to_list() == events.sort("ticket_id", "event_id")["event_id"].to_list()
    per = ordered.group_by("ticket_id", maintain_order=True).agg(
        first_at=pl.col("at").first(), first_status=pl.col("status_to").first(),
        last_status=pl.col("status_to").drop_nulls().last(),
        bot_at=pl.col("at").filter(pl.col("actor") == "bot").min(),
        agent_at=pl.col("at").filter((pl.col("actor") == "agent") & pl.col("public")).min(),
    ).join(tickets, on="ticket_id")
    assert (per["first_at"] == per["created_at"]).all() and (per["first_status"] == "new").all()
    assert per.select((pl.col("agent_at") == pl.col("first_response_at")) | (pl.col("agent_at").is_null()
                      & pl.col("first_response_at").is_null())).to_series().all()
    assert per.filter(pl.col("bot_at").is_not_null() & pl.col("agent_at").is_not_null()).select(
        (pl.col("bot_at") < pl.col("agent_at")).all()).item()
    assert (per["last_status"] == per["status"]).all()
