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
    chat_response_times,
    compare_categories,
    compute_ticket_metrics,
    measure_service_recovery,
    prioritise_open_tickets,
    root_cause_pareto,
    summarise_ageing,
    summarise_chats,
    summarise_outcomes,
    ticket_outcomes,
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


# Targets the tests below were written against (the defaults now follow the sample's help desk).
CFG = ComplaintsConfig(resolution_hours={"urgent": 24.0, "high": 72.0, "normal": 120.0, "low": 240.0})


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


def test_reopened_after_resolution_is_open_until_last_resolution() -> None:
    t = tickets([
        # reopened before the final resolution: full = 30 h, first resolution hidden (null)
        {"ticket_id": "a", "created_at": h(0), "first_response_at": h(1), "reopened_at": h(10), "resolved_at": h(30)},
        # reopened after the recorded resolution: that was the first resolution; open again
        {"ticket_id": "b", "created_at": h(0), "first_response_at": h(1), "resolved_at": h(5), "reopened_at": h(8)},
        {"ticket_id": "c", "created_at": h(0), "first_response_at": h(1), "resolved_at": h(5)},
    ])
    m, _ = compute_ticket_metrics(t, config=CFG, as_of=h(40))
    assert m["resolution_hours"].to_list() == [30.0, None, 5.0]
    assert m["first_resolution_hours"].to_list() == [None, 5.0, 5.0]
    assert m["is_open"].to_list() == [False, True, False]
    assert m["reopened"].to_list() == [True, True, False]


def test_closed_without_resolution_time_is_not_open_and_undecided() -> None:
    t = tickets([{"ticket_id": "a", "created_at": h(0), "status": "closed"}])
    m, _ = compute_ticket_metrics(t, config=CFG, as_of=h(24 * 30))
    assert m["is_open"].to_list() == [False]
    assert m["resolution_breached"].to_list() == [None]
    assert m["first_response_breached"].to_list() == [None]


def test_business_clock_breach_and_holidays() -> None:
    # Friday 1 March 2024 16:00 UTC, answered Monday 10:00: 66 calendar hours, 2 business hours.
    cal = BusinessCalendar(timezone="UTC")
    cfg = dataclasses.replace(CFG, business_calendar=cal, sla_clock="business")
    t = tickets([{"ticket_id": "a", "created_at": dt.datetime(2024, 3, 1, 16, tzinfo=UTC),
                  "first_response_at": dt.datetime(2024, 3, 4, 10, tzinfo=UTC)}])
    as_of = dt.datetime(2024, 3, 5, tzinfo=UTC)
    m, _ = compute_ticket_metrics(t, config=cfg, as_of=as_of)
    assert m["first_response_hours"].to_list() == [66.0]
    assert m["first_response_business_hours"].to_list() == [2.0]
    assert m["first_response_breached"].to_list() == [False]
    m_cal, _ = compute_ticket_metrics(t, config=dataclasses.replace(cfg, sla_clock="calendar"), as_of=as_of)
    assert m_cal["first_response_breached"].to_list() == [True]
    # Monday 4 March as a holiday: 1 h Friday + 1 h Tuesday
    hol = BusinessCalendar(timezone="UTC", holidays=("2024-03-04",))
    start = pl.Series([dt.datetime(2024, 3, 1, 16, tzinfo=UTC)], dtype=TS)
    end = pl.Series([dt.datetime(2024, 3, 5, 10, tzinfo=UTC)], dtype=TS)
    assert business_hours_between(start, end, hol).to_list() == [2.0]
    # Europe/London in summer time: 08:00 UTC is 09:00 local, so 08:00-10:00 UTC on a Monday is 2 h
    bst = BusinessCalendar(timezone="Europe/London")
    s2 = pl.Series([dt.datetime(2024, 7, 1, 7, tzinfo=UTC)], dtype=TS)
    e2 = pl.Series([dt.datetime(2024, 7, 1, 10, tzinfo=UTC)], dtype=TS)
    assert business_hours_between(s2, e2, bst).to_list() == [2.0]


def test_business_calendar_rejects_bad_params() -> None:
    with pytest.raises(ValueError, match="holidays"):
        BusinessCalendar(holidays=("2024-13-01",))
    with pytest.raises(ValueError, match="weekmask"):
        BusinessCalendar(weekmask="11111")
    with pytest.raises(ValueError, match="unknown zone"):
        BusinessCalendar(timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="sla_clock"):
        ComplaintsConfig(sla_clock="business", business_calendar=BusinessCalendar(enabled=False))


def test_chat_first_response_ignores_bot_turns() -> None:
    def turns(*spec: tuple[str, int]) -> list[dict]:
        return [{"speaker": s, "at": (h(0) + dt.timedelta(minutes=mins)).strftime("%Y-%m-%dT%H:%M:%SZ"), "text": "x"}
                for s, mins in spec]
    chats = pl.DataFrame({
        "conversation_id": ["k2", "k1", "k3"],
        "customer_id": ["c1", "c2", None],
        "started_at": [h(0)] * 3,
        "turns": [turns(("bot", 0), ("customer", 1), ("bot", 2), ("agent", 30)),
                  turns(("bot", 0), ("customer", 1), ("agent", 6)),
                  turns(("bot", 0), ("customer", 1), ("bot", 2))],
    }, schema_overrides={"started_at": TS})
    out = chat_response_times(chats, target_hours=0.25)
    assert out["conversation_id"].to_list() == ["k1", "k2", "k3"]
    assert out["first_response_hours"].head(2).to_list() == pytest.approx([0.1, 0.5])
    assert out["first_response_hours"][2] is None
    assert out["first_response_breached"].to_list() == [False, True, None]
    assert out["n_bot_turns"].to_list() == [1, 2, 2]
    summary = summarise_chats(out)
    assert summary["n_answered_by_agent"] == 2 and summary["sla_first_response_achievement"] == 0.5
    bad = chats.with_columns(pl.col("turns").list.eval(pl.element().struct.with_fields(speaker=pl.lit("robot"))))
    with pytest.raises(ValueError, match="turns.speaker"):
        chat_response_times(bad, target_hours=0.25)


def test_ageing_buckets() -> None:
    t = tickets([
        {"ticket_id": "a", "created_at": h(0), "priority": "high"},
        {"ticket_id": "b", "created_at": h(24 * 9.5), "priority": "high"},
        {"ticket_id": "c", "created_at": h(0), "resolved_at": h(3), "first_response_at": h(1)},
    ])
    m, _ = compute_ticket_metrics(t, config=CFG, as_of=h(24 * 10))
    age = summarise_ageing(m, buckets_days=(1.0, 7.0))
    high = age.filter(pl.col("priority") == "high")
    assert high["age_bucket"].to_list() == ["<1 d", "1-7 d", ">=7 d"]
    assert high["n_open"].to_list() == [1, 0, 1]
    assert high["n_past_sla"].to_list() == [0, 0, 1]
    assert age.filter(pl.col("priority") == "normal")["n_open"].sum() == 0


def _closed_loop_frames() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    t = tickets([
        {"ticket_id": "t1", "customer_id": "c1", "created_at": h(0), "first_response_at": h(1), "resolved_at": h(5),
         "category": "billing"},
        {"ticket_id": "t2", "customer_id": "c2", "created_at": h(0), "first_response_at": h(1), "resolved_at": h(5),
         "category": "billing"},
        {"ticket_id": "t3", "customer_id": "c3", "created_at": h(0), "category": "network", "priority": "urgent"},
    ])
    topics = pl.DataFrame({"ticket_id": ["t1", "t2", "t3"], "topic_id": [0, 0, 1], "topic_label": ["bill", "bill", "net"]},
                          schema_overrides={"topic_id": pl.Int32})
    fb = pl.DataFrame({
        "feedback_id": ["s1", "s2", "s3"], "customer_id": ["c1", "c2", "c1"],
        "created_at": [h(10), h(10), h(-10)], "csat": [5, 2, 1],
    }, schema_overrides={"csat": pl.Int8, "created_at": TS})
    customers = pl.DataFrame({
        "customer_id": ["c1", "c2", "c3", "c4", "c5"], "monthly_charges": [10.0, 20.0, 90.0, 5.0, 5.0],
        "cancelled_at": [None, h(24 * 5), None, h(24), None],
    }, schema_overrides={"cancelled_at": TS})
    m, _ = compute_ticket_metrics(t, topics, config=CFG, as_of=h(24 * 10))
    return m, fb, customers


def test_service_recovery() -> None:
    m, fb, customers = _closed_loop_frames()
    out = measure_service_recovery(m, fb, customers, as_of=h(24 * 10), good_csat_min=4, window_days=30)
    # c1 answered 5 after resolution (the 1 was before it), c2 answered 2; c3 never answered.
    assert out["n_with_post_resolution_csat"] == 2 and out["recovery_rate"] == 0.5
    assert out["churn_rate_recovered"] == 0.0 and out["churn_rate_not_recovered"] == 1.0
    assert out["churn_rate_complainants"] == pytest.approx(1 / 3)
    assert out["n_never_complained"] == 2 and out["churn_rate_never_complained"] == 0.5


def test_category_agreement_and_confusion() -> None:
    m, _, _ = _closed_loop_frames()
    confusion, agree = compare_categories(m)
    assert confusion.select("topic_id", "category", "n").rows() == [(0, "billing", 2), (1, "network", 1)]
    assert agree["ami"] == pytest.approx(1.0) and agree["purity"] == 1.0 and agree["inverse_purity"] == 1.0
    noisy = m.with_columns(category=pl.Series(["billing", "network", "network"]))
    _, agree2 = compare_categories(noisy)
    assert agree2["purity"] == pytest.approx(2 / 3)
    assert agree2["by_category"]["network"]["dominant_share"] == 0.5
    with pytest.raises(ValueError, match="missing column"):
        compare_categories(m.drop("category"))


def test_prioritisation_score_and_reason() -> None:
    m, _, customers = _closed_loop_frames()
    open_more = m.with_columns(
        is_open=pl.lit(True), sla_elapsed_hours=pl.lit(48.0), resolution_breached=pl.Series([None, None, True]))
    signals = pl.DataFrame({"ticket_id": ["t1", "t3"], "sentiment_score": [0.5, -0.8], "intent": ["praise", "complaint"],
                            "is_complaint": [False, True], "urgency_score": [0.0, 1.0]})
    churn = pl.DataFrame({"customer_id": ["c3"], "churn_probability": [0.9]})
    out = prioritise_open_tickets(open_more, signals, customers, churn, weights=CFG.priority_weights)
    assert out["ticket_id"].to_list() == ["t1", "t2", "t3"]
    assert out.filter(pl.col("ticket_id") == "t3")["priority_rank"].item() == 1
    assert 0.0 <= out["priority_score"].min() and out["priority_score"].max() <= 1.0
    reason = out.filter(pl.col("ticket_id") == "t3")["reason"].item()
    assert "resolution target used (breached)" in reason and "churn risk 0.90" in reason
    assert "no sentiment" in out.filter(pl.col("ticket_id") == "t2")["reason"].item()
    only_open = prioritise_open_tickets(m, None, customers, None, weights=CFG.priority_weights)
    assert only_open["ticket_id"].to_list() == ["t3"]


def test_root_cause_pareto() -> None:
    m, _, customers = _closed_loop_frames()
    out = root_cause_pareto(m, customers, as_of=h(24 * 10), churn_window_days=90)
    assert out["topic_id"].to_list() == [0, 1]
    assert out["n_tickets"].to_list() == [2, 1]
    assert out["volume_rank"].to_list() == [1, 2]
    assert out["cumulative_share"].to_list() == pytest.approx([2 / 3, 1.0])
    assert out["vital_few"].to_list() == [True, True]
    assert out["churn_following_rate"].to_list() == [0.5, 0.0]  # c2 cancelled 5 days after its bill ticket
    assert out["breach_rate"].to_list() == [0.0, 1.0]  # t3 urgent, unanswered 240 h > 1 h


def test_ticket_outcomes_from_meta() -> None:
    fb = pl.DataFrame({
        "feedback_id": ["f1", "f2", "f3"], "ticket_id": ["a", "b", "c"], "created_at": [h(0)] * 3,
        "meta": ['{"Timely?": "Yes", "Resp": "Closed", "Sent": "03/04/24"}',
                 '{"Timely?": "No", "Resp": "None", "Sent": "03/01/24"}',
                 '{"Timely?": "N/A", "Resp": "Closed", "Sent": "None"}'],
    }, schema_overrides={"created_at": TS})
    out = ticket_outcomes(fb, timely_field="Timely?", outcome_field="Resp", handoff_field="Sent",
                          handoff_format="%m/%d/%y")
    assert out["timely"].to_list() == [True, False, None]
    assert out["outcome"].to_list() == ["Closed", None, "Closed"]
    t = tickets([{"ticket_id": x, "created_at": dt.datetime(2024, 3, 1, tzinfo=UTC)} for x in "abc"])
    m, _ = compute_ticket_metrics(t, config=CFG, as_of=h(24 * 10))
    s = summarise_outcomes(m, out)
    assert s["timely_rate"] == 0.5 and s["outcome_counts"] == {"Closed": 2}
    assert s["median_handoff_days"] == 1.5 and s["max_handoff_days"] == 3.0
    bad = fb.with_columns(meta=pl.lit('{"Timely?": "maybe"}'))
    with pytest.raises(ValueError, match="feedback f1: field meta.Timely"):
        ticket_outcomes(bad, timely_field="Timely?", outcome_field=None, handoff_field=None, handoff_format="%m/%d/%y")
