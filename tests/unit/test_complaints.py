"""Unit tests for voc.complaints on inline frames."""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
import pytest

from voc.complaints import (
    BusinessCalendar,
    ComplaintsConfig,
    build_follow_up,
    business_hours_between,
    compute_ticket_metrics,
    resolve_as_of,
    summarise_by_month,
    summarise_by_segment,
    summarise_by_theme,
    summarise_complaints,
    ticket_topics,
)
from voc.config import ConfigError, build

UTC = dt.UTC
T0 = dt.datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
TS = pl.Datetime("us", "UTC")


def h(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def tickets(rows: list[dict]) -> pl.DataFrame:
    base = {
        "customer_id": "c1",
        "channel": "email",
        "first_response_at": None,
        "resolved_at": None,
        "reopened_at": None,
        "status": "open",
        "priority": "normal",
        "category": "billing",
        "escalated": False,
    }
    schema = {
        "ticket_id": pl.String, "customer_id": pl.String, "channel": pl.String, "created_at": TS,
        "first_response_at": TS, "resolved_at": TS, "reopened_at": TS, "status": pl.String,
        "priority": pl.String, "category": pl.String, "escalated": pl.Boolean,
    }
    return pl.DataFrame([{**base, **r} for r in rows], schema=schema)


CFG = ComplaintsConfig()


def test_times_are_hours_and_null_not_zero() -> None:
    t = tickets([
        {"ticket_id": "t1", "created_at": h(0), "first_response_at": h(2.5), "resolved_at": h(30)},
        {"ticket_id": "t2", "created_at": h(0)},
        {"ticket_id": "t3", "created_at": h(1), "first_response_at": h(1)},
    ])
    m, q = compute_ticket_metrics(t, config=CFG, as_of=h(40))
    assert m["ticket_id"].to_list() == ["t1", "t2", "t3"]
    assert m["first_response_hours"].to_list() == [2.5, None, 0.0]
    assert m["resolution_hours"].to_list() == [30.0, None, None]
    assert m["is_open"].to_list() == [False, True, True]
    assert q.height == 0


def test_breach_per_priority_and_undecided() -> None:
    # 2 h response: breached for urgent (1 h), met for high (4 h); open ticket 30 h old: high resolution (72 h)
    # undecided, urgent resolution (24 h) breached.
    t = tickets([
        {"ticket_id": "a", "priority": "urgent", "created_at": h(0), "first_response_at": h(2)},
        {"ticket_id": "b", "priority": "high", "created_at": h(0), "first_response_at": h(2)},
        {"ticket_id": "c", "priority": "low", "created_at": h(0)},
    ])
    m, _ = compute_ticket_metrics(t, config=CFG, as_of=h(30))
    assert m["first_response_breached"].to_list() == [True, False, None]
    assert m["resolution_breached"].to_list() == [True, None, None]
    m2, _ = compute_ticket_metrics(t, config=CFG, as_of=h(49))
    assert m2["first_response_breached"].to_list() == [True, False, True]


def test_events_after_as_of_are_not_seen_and_late_tickets_left_out() -> None:
    t = tickets([
        {"ticket_id": "a", "created_at": h(0), "first_response_at": h(5), "resolved_at": h(50)},
        {"ticket_id": "b", "created_at": h(20)},
    ])
    m, _ = compute_ticket_metrics(t, config=CFG, as_of=h(10))
    assert m["ticket_id"].to_list() == ["a"]
    assert m["resolution_hours"].to_list() == [None]
    assert m["first_response_hours"].to_list() == [5.0]


def test_backwards_time_is_quarantined_not_dropped() -> None:
    t = tickets([
        {"ticket_id": "a", "created_at": h(5), "first_response_at": h(1)},
        {"ticket_id": "b", "created_at": h(0), "priority": "weird"},
    ])
    m, q = compute_ticket_metrics(t, config=CFG, as_of=h(10))
    assert m.height == 2
    assert m["first_response_hours"].to_list() == [None, None]
    assert m.filter(pl.col("ticket_id") == "b")["first_response_breached"].to_list() == [None]
    assert q.select("record", "field").rows() == [(1, "first_response_at"), (2, "priority")]


def test_bad_input_errors_name_the_field() -> None:
    with pytest.raises(ValueError, match="missing column"):
        compute_ticket_metrics(tickets([{"ticket_id": "a", "created_at": h(0)}]).drop("priority"), config=CFG, as_of=h(1))
    with pytest.raises(ValueError, match="duplicate ticket_id"):
        compute_ticket_metrics(
            tickets([{"ticket_id": "a", "created_at": h(0)}, {"ticket_id": "a", "created_at": h(1)}]), config=CFG, as_of=h(1)
        )
    with pytest.raises(ValueError, match="row 1 .*created_at"):
        compute_ticket_metrics(tickets([{"ticket_id": "a", "created_at": None}]), config=CFG, as_of=h(1))


def test_as_of_is_data_max_or_param() -> None:
    t = tickets([{"ticket_id": "a", "created_at": h(0), "resolved_at": h(7)}])
    assert resolve_as_of(t) == h(7)
    assert resolve_as_of(t, "2024-03-02T00:00:00") == dt.datetime(2024, 3, 2, tzinfo=UTC)


def test_recurrence_window() -> None:
    t = tickets([
        {"ticket_id": "a", "created_at": h(0)},
        {"ticket_id": "b", "created_at": h(24 * 29)},
        {"ticket_id": "c", "created_at": h(24 * 29 + 24 * 31)},
        {"ticket_id": "d", "created_at": h(24), "customer_id": "c2"},
    ])
    topics = pl.DataFrame({"ticket_id": ["a", "b", "c", "d"], "topic_id": [1, 1, 1, 1], "topic_label": ["x"] * 4},
                          schema_overrides={"topic_id": pl.Int32})
    m, _ = compute_ticket_metrics(t, topics, config=CFG, as_of=h(24 * 100))
    assert m["recurring"].to_list() == [False, True, False, False]
    short = dataclasses.replace(CFG, recurrence_days=10)
    m2, _ = compute_ticket_metrics(t, topics, config=short, as_of=h(24 * 100))
    assert m2["recurring"].to_list() == [False, False, False, False]


def test_ticket_topics_from_feedback() -> None:
    fb = pl.DataFrame({"feedback_id": ["ticket:a", "survey:1"], "ticket_id": ["a", None], "created_at": [h(0), h(1)]})
    tp = pl.DataFrame({"feedback_id": ["ticket:a", "survey:1"], "topic_id": [3, 4], "topic_label": ["billing", "app"]})
    out = ticket_topics(fb, tp)
    assert out.rows() == [("a", 3, "billing")]


def test_aggregates_and_metrics_keys() -> None:
    t = tickets([
        {"ticket_id": "a", "created_at": h(0), "first_response_at": h(2), "resolved_at": h(10), "escalated": True},
        {"ticket_id": "b", "created_at": h(24 * 40), "priority": "urgent", "channel": "chat"},
        {"ticket_id": "c", "created_at": h(1), "first_response_at": h(30), "resolved_at": h(24 * 35)},
    ])
    as_of = h(24 * 41)
    m, _ = compute_ticket_metrics(t, config=CFG, as_of=as_of)
    by_month = summarise_by_month(m, as_of=as_of)
    assert by_month["month"].to_list() == [dt.date(2024, 3, 1), dt.date(2024, 4, 1)]
    assert by_month["n_tickets"].to_list() == [2, 1]
    # end of March: c still unresolved (resolved 4 April); end of April cut at as_of: only b open.
    assert by_month["backlog_end"].to_list() == [1, 1]
    assert by_month["escalation_rate"].to_list() == [0.5, 0.0]
    assert by_month["sla_first_response_achievement"].to_list() == [0.5, 0.0]
    seg = summarise_by_segment(m)
    assert set(seg["segment_type"]) == {"priority", "channel"}
    theme = summarise_by_theme(m)
    assert theme["n_tickets"].sum() == 3
    js = summarise_complaints(m, as_of=as_of)
    for key in ("n_tickets", "median_first_response_hours", "median_resolution_hours",
                "sla_first_response_achievement", "sla_resolution_achievement", "escalation_rate",
                "reopen_rate", "by_priority"):
        assert key in js
    assert js["n_tickets"] == 3
    assert js["by_priority"]["urgent"]["n"] == 1
    assert js["by_priority"]["urgent"]["sla_first_response_achievement"] == 0.0


def test_follow_up_reasons_and_order() -> None:
    as_of = h(24 * 10)
    t = tickets([
        {"ticket_id": "t1", "customer_id": "c1", "created_at": h(0), "priority": "high"},  # open, past SLA
        {"ticket_id": "t2", "customer_id": "c3", "created_at": h(24 * 5 + 10), "resolved_at": h(24 * 5 + 12)},  # c3 contacted after NPS
        {"ticket_id": "t3", "customer_id": "c4", "created_at": h(0), "priority": "high"},  # c4 cancelled
    ])
    m, _ = compute_ticket_metrics(t, config=CFG, as_of=as_of)
    fb = pl.DataFrame(
        {
            "feedback_id": ["ticket:t1", "survey:1", "survey:2", "survey:3"],
            "customer_id": ["c1", "c2", "c3", "c2"],
            "channel": ["ticket", "survey", "survey", "survey"],
            "created_at": [h(0), h(24 * 5), h(24 * 5), h(24 * 9.5)],
            "text": ["my bill is wrong", "awful app", "meh", "too recent"],
            "nps": [None, 2, 3, 1],
            "ticket_id": ["t1", None, None, None],
        },
        schema_overrides={"nps": pl.Int8, "created_at": TS},
    )
    customers = pl.DataFrame(
        {"customer_id": ["c1", "c2", "c3", "c4"], "monthly_charges": [10.0, 100.0, 50.0, 80.0],
         "cancelled_at": [None, None, None, h(24)]},
        schema_overrides={"cancelled_at": TS},
    )
    out = build_follow_up(m, fb, customers, config=CFG, as_of=as_of)
    assert out["customer_id"].to_list() == ["c2", "c1"]
    assert out["reasons"].to_list() == ["detractor_no_contact", "open_past_sla"]
    assert out["verbatim"].to_list() == ["awful app", "my bill is wrong"]
    assert out["value_at_risk"].to_list() == pytest.approx([40.0, 5.0])
    assert "NPS 2" in out["why"][0]


def test_business_hours() -> None:
    cal = BusinessCalendar(enabled=True, timezone="UTC", open_hour=9, close_hour=17)
    # Friday 16:00 -> Monday 10:00 = 1 h Friday + 1 h Monday
    start = pl.Series([dt.datetime(2024, 3, 1, 16, tzinfo=UTC), None], dtype=TS)
    end = pl.Series([dt.datetime(2024, 3, 4, 10, tzinfo=UTC), dt.datetime(2024, 3, 4, tzinfo=UTC)], dtype=TS)
    assert business_hours_between(start, end, cal).to_list() == [2.0, None]


def test_config_rejects_bad_params() -> None:
    with pytest.raises(ConfigError, match="unknown key"):
        build(ComplaintsConfig, {"recurence_days": 3}, where="complaints")
    with pytest.raises(ValueError, match="missing target"):
        build(ComplaintsConfig, {"first_response_hours": {"urgent": 1}}, where="complaints")
    cfg = build(ComplaintsConfig, {"recurrence_days": 7, "business_calendar": {"enabled": True}}, where="complaints")
    assert cfg.recurrence_days == 7 and cfg.business_calendar.enabled
