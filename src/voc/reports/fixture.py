"""A tiny, contract-conforming set of stage outputs (a few dozen rows) so the report notebooks and their
tests run without the pipeline. The aggregates are computed from the generated rows, so they agree."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import polars as pl

from voc import topics as voc_topics
from voc.io import write_json, write_parquet, write_text
from voc.topics.mentions import theme_presence

#: planted in one feedback text, one theme's representative and one churn reason: reports must escape it.
XSS_TEXT = '<script>alert("xss")</script> the app crashed & lost my order'

_UTC = "UTC"
_CHANNELS = ("survey", "review", "ticket", "chat")
_THEMES = {
    0: ("billing errors", "billing, charge, refund", -0.5),
    1: ("late delivery", "delivery, late, courier", -0.3),
    2: ("friendly staff", "staff, friendly, helpful", 0.6),
    3: ("app crashes", "app, crash, login", -0.6),
}
_RANGES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "ces": (1.0, 7.0)}
#: theme -> parent theme (a head theme is its own parent); the outliers stay alone.
_PARENTS = {-1: -1, 0: 0, 1: 1, 2: 2, 3: 0}
_SOLICITED, _UNSOLICITED = ("survey",), ("review",)
_PRIORITIES = ("low", "normal", "high", "urgent")
_SLA_HOURS = {"low": (24.0, 120.0), "normal": (8.0, 72.0), "high": (4.0, 24.0), "urgent": (1.0, 8.0)}


def _ts(values: list[dt.datetime]) -> pl.Series:
    return pl.Series(values, dtype=pl.Datetime("us", _UTC))


def _score_rows(frame: pl.DataFrame, group: str, *, min_n: int) -> list[dict[str, object]]:
    """NPS (points), CSAT (top-2-box %), CES (mean) with normal-approximation 95% CIs per group."""
    rows: list[dict[str, object]] = []
    for metric in ("nps", "csat", "ces"):
        for key, part in sorted(frame.drop_nulls(metric).group_by(group), key=lambda kv: kv[0][0]):
            x = part[metric].cast(pl.Float64).to_numpy()
            if metric == "nps":
                per = np.where(x >= 9, 100.0, np.where(x <= 6, -100.0, 0.0))
            elif metric == "csat":
                per = np.where(x >= 4, 100.0, 0.0)
            else:
                per = x
            n = len(per)
            value = float(per.mean())
            half = 1.96 * float(per.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
            low, high = _RANGES[metric]
            rows.append({"metric": metric, group: key[0], "n": n, "value": value,
                         "ci_low": max(low, value - half), "ci_high": min(high, value + half),
                         "reliable": n >= min_n})
    return rows


def _channel_mix(items: pl.DataFrame) -> pl.DataFrame:
    """Per theme: share (%) of survey items vs review items that carry it, a two-proportion z-test of the gap
    (``channels_disagree`` below 0.05) and the mean sentiment in each group, as ``theme_drivers`` holds them."""
    sol = items.filter(pl.col("channel").is_in(list(_SOLICITED)))
    uns = items.filter(pl.col("channel").is_in(list(_UNSOLICITED)))
    rows = []
    for t in sorted(t for t in _THEMES):
        s_in, u_in = sol.filter(pl.col("topic_id") == t), uns.filter(pl.col("topic_id") == t)
        s_share, u_share = s_in.height / sol.height, u_in.height / uns.height
        pooled = (s_in.height + u_in.height) / (sol.height + uns.height)
        var = pooled * (1 - pooled) * (1 / sol.height + 1 / uns.height)
        p = math.erfc(abs(s_share - u_share) / math.sqrt(var) / math.sqrt(2)) if var > 0 else 1.0
        rows.append({"topic_id": t, "share_solicited": 100 * s_share, "share_unsolicited": 100 * u_share,
                     "share_gap_p_value": p, "channels_disagree": p < 0.05,
                     "sentiment_solicited": s_in["sentiment_score"].mean() if s_in.height else None,
                     "sentiment_unsolicited": u_in["sentiment_score"].mean() if u_in.height else None})
    return pl.DataFrame(rows, schema={"topic_id": pl.Int32, "share_solicited": pl.Float64,
                                      "share_unsolicited": pl.Float64, "share_gap_p_value": pl.Float64,
                                      "channels_disagree": pl.Boolean, "sentiment_solicited": pl.Float64,
                                      "sentiment_unsolicited": pl.Float64})


def build_fixture_frames(*, seed: int) -> tuple[dict[str, pl.DataFrame], dict[str, dict[str, object]]]:
    """The fixture tables (by contract name) and metrics (by file stem), built from ``seed``."""
    rng = np.random.default_rng(seed)
    start = dt.datetime(2024, 1, 3, 9, 0, tzinfo=dt.UTC)
    n_customers, n_feedback, n_tickets = 20, 48, 24

    customer_ids = [f"C{i:03d}" for i in range(n_customers)]
    churned = rng.random(n_customers) < 0.3
    customers = pl.DataFrame({
        "customer_id": customer_ids,
        "signup_at": _ts([start - dt.timedelta(days=int(d)) for d in rng.integers(30, 900, n_customers)]),
        "plan": [str(p) for p in rng.choice(["basic", "standard", "premium"], n_customers)],
        "region": [str(r) for r in rng.choice(["north", "south", "east", "west"], n_customers)],
        "monthly_charges": np.round(rng.uniform(10, 90, n_customers), 2),
        "cancelled_at": _ts([start + dt.timedelta(days=100) if c else None for c in churned]),  # type: ignore[list-item]
        "churned": churned.tolist(),
        "attributes": ["{}"] * n_customers,  # src/voc/schemas.py CustomersSchema: extra CRM fields as JSON
    })

    topic_ids = [int(t) for t in rng.choice([-1, 0, 1, 2, 3], n_feedback, p=[0.1, 0.3, 0.2, 0.25, 0.15])]
    topic_ids[0] = 3  # the planted text belongs to a real theme
    created = [start + dt.timedelta(days=int(d), hours=int(h))
               for d, h in zip(rng.integers(0, 118, n_feedback), rng.integers(0, 24, n_feedback), strict=True)]
    scores = []
    for t in topic_ids:
        base = _THEMES[t][2] if t >= 0 else 0.0
        scores.append(float(np.clip(base + rng.normal(0, 0.3), -1, 1)))
    scores[0] = -0.95
    channels = [str(c) for c in rng.choice(_CHANNELS, n_feedback)]
    texts = [f"feedback {i} about {_THEMES[t][0] if t >= 0 else 'something else'}" for i, t in enumerate(topic_ids)]
    texts[0] = XSS_TEXT
    is_survey = [c == "survey" or i % 3 == 0 for i, c in enumerate(channels)]
    nps = [int(np.clip(round(7 + 4 * s + rng.normal(0, 1.5)), 0, 10)) if sv else None
           for s, sv in zip(scores, is_survey, strict=True)]
    csat = [int(np.clip(round(3.6 + 2 * s + rng.normal(0, 0.7)), 1, 5)) if sv else None
            for s, sv in zip(scores, is_survey, strict=True)]
    ces = [int(np.clip(round(4 - 3 * s + rng.normal(0, 1)), 1, 7)) if sv else None
           for s, sv in zip(scores, is_survey, strict=True)]
    ids = [f"{c}:{i:04d}" for i, c in enumerate(channels)]
    feedback = pl.DataFrame({
        "feedback_id": ids,
        "customer_id": [customer_ids[int(i)] for i in rng.integers(0, n_customers, n_feedback)],
        "channel": channels,
        "source": channels,
        "created_at": _ts(created),
        "text": texts,
        "nps": pl.Series(nps, dtype=pl.Int8),
        "csat": pl.Series(csat, dtype=pl.Int8),
        "ces": pl.Series(ces, dtype=pl.Int8),
        "stars": pl.Series([None] * n_feedback, dtype=pl.Int8),
        "ticket_id": pl.Series([None] * n_feedback, dtype=pl.String),
        "meta": ["{}"] * n_feedback,
    }).sort("feedback_id")

    labels = {t: (_THEMES[t][0] if t >= 0 else "outliers") for t in (-1, 0, 1, 2, 3)}
    topics = pl.DataFrame({
        "feedback_id": ids,
        "topic_id": pl.Series(topic_ids, dtype=pl.Int32),
        "topic_label": [labels[t] for t in topic_ids],
    }).sort("feedback_id")
    # themed items mention their own theme, every fourth also the next one; every seventh mentions only the
    # next one, and every ninth nothing (its own theme then counts, as the alerts count it)
    themed_items = [(f, t) for f, t in zip(ids, topic_ids, strict=True) if t >= 0]
    rows = [(f, n, theme)
            for i, (f, t) in enumerate(themed_items) if i % 9 != 4
            for n, theme in enumerate([(t + 1) % 4] if i % 7 == 3 else [t, (t + 1) % 4] if i % 4 == 0 else [t])]
    theme_mentions = pl.DataFrame(rows, schema={"feedback_id": pl.String, "sentence_no": pl.Int32,
                                                "topic_id": pl.Int32}, orient="row").with_columns(
        pl.col("topic_id").replace_strict(labels, return_dtype=pl.String).alias("topic_label"),
        pl.format("a sentence about theme {}", "topic_id").alias("sentence"),
    ).sort("feedback_id", "sentence_no")
    label_of = {0: "negative", 1: "neutral", 2: "positive"}
    sentiment = pl.DataFrame({
        "feedback_id": ids,
        "sentiment_score": scores,
        "sentiment_label": [label_of[int(np.digitize(s, [-0.05, 0.05]))] for s in scores],
    }).sort("feedback_id")

    joined = topics.join(sentiment, on="feedback_id").join(feedback.select("feedback_id", "created_at"),
                                                             on="feedback_id")
    counts = joined.group_by("topic_id").agg(pl.len().alias("count"))
    topic_info = (
        counts.with_columns(
            pl.col("topic_id").replace_strict(labels, return_dtype=pl.String).alias("topic_label"),
            pl.col("topic_id").replace_strict({t: v[1] for t, v in _THEMES.items()} | {-1: ""},
                                              return_dtype=pl.String).alias("top_words"),
            pl.col("topic_id").replace_strict({t: f"a typical comment on {v[0]}" for t, v in _THEMES.items()}
                                              | {-1: ""}, return_dtype=pl.String).alias("representative"),
        )
        .with_columns(pl.when(pl.col("topic_id") == 3).then(pl.lit(XSS_TEXT)).otherwise("representative")
                      .alias("representative"), pl.col("count").cast(pl.Int64))
        .with_columns(pl.concat_list("representative", pl.format("another comment on {}", "topic_label"))
                      .alias("representatives"),
                      pl.col("topic_id").replace_strict(_PARENTS, return_dtype=pl.Int32).alias("parent_id"))
        .with_columns(pl.col("parent_id").replace_strict(labels, return_dtype=pl.String).alias("parent_label"))
        .select("topic_id", "topic_label", "count", "top_words", "representative", "representatives", "parent_id",
                "parent_label")
        .sort("topic_id")
    )
    themed = topics.join(feedback.select("feedback_id", "channel"), on="feedback_id")
    # as the topics stage writes them: every theme an item mentions (its own when none does)
    presence = theme_presence(topics, theme_mentions, item_theme="fallback")
    topics_by_segment = voc_topics.theme_shares(topics, feedback, by="channel", presence=presence)
    topics_over_time = voc_topics.topics_over_time(topics, feedback, presence)
    theme_sentiment = (
        joined.group_by("topic_id", "topic_label").agg(
            pl.len().cast(pl.Int64).alias("n"),
            pl.col("sentiment_score").mean().alias("mean_sentiment"),
            (pl.col("sentiment_score") < -0.05).mean().alias("share_negative"),
            (pl.col("sentiment_score") > 0.05).mean().alias("share_positive"),
        )
        .with_columns((100 * (pl.col("share_positive") - pl.col("share_negative"))).alias("net_sentiment"))
        .sort("topic_id")
    )
    scored = feedback.with_columns(pl.col("created_at").dt.truncate("1mo").dt.date().alias("month"))
    scores_by_month = pl.DataFrame(_score_rows(scored, "month", min_n=3)).sort("metric", "month")
    scores_by_channel = pl.DataFrame(_score_rows(scored, "channel", min_n=3)).sort("metric", "channel")

    t_created = [start + dt.timedelta(days=int(d), hours=int(h))
                 for d, h in zip(rng.integers(0, 118, n_tickets), rng.integers(0, 24, n_tickets), strict=True)]
    priorities = [_PRIORITIES[int(i)] for i in rng.integers(0, 4, n_tickets)]
    first = [float(np.round(rng.gamma(2.0, _SLA_HOURS[p][0] / 1.5), 2)) for p in priorities]
    resolution: list[float | None] = [float(np.round(rng.gamma(2.0, _SLA_HOURS[p][1] / 1.6), 2))
                                      for p in priorities]
    resolution[-1] = None  # one ticket still open
    escalated = (rng.random(n_tickets) < 0.25).tolist()
    ticket_ids = [f"T{i:04d}" for i in range(n_tickets)]
    t_topics = [int(t) for t in rng.choice([0, 1, 3], n_tickets)]
    ticket_metrics = pl.DataFrame({
        "ticket_id": ticket_ids,
        "priority": priorities,
        "channel": [str(c) for c in rng.choice(["email", "chat", "phone", "web"], n_tickets)],
        "created_at": _ts(t_created),
        "first_response_hours": first,
        "resolution_hours": pl.Series(resolution, dtype=pl.Float64),
        "first_response_breached": [f > _SLA_HOURS[p][0] for f, p in zip(first, priorities, strict=True)],
        "resolution_breached": pl.Series([None if r is None else r > _SLA_HOURS[p][1]
                                          for r, p in zip(resolution, priorities, strict=True)], dtype=pl.Boolean),
        "escalated": escalated,
        "topic_id": pl.Series(t_topics, dtype=pl.Int32),
        "topic_label": [labels[t] for t in t_topics],
    }).sort("ticket_id")
    tickets = pl.DataFrame({
        "ticket_id": ticket_ids,
        "customer_id": [customer_ids[int(i)] for i in rng.integers(0, n_customers, n_tickets)],
        "channel": ticket_metrics["channel"],
        "created_at": _ts(t_created),
        "first_response_at": _ts([c + dt.timedelta(hours=f) for c, f in zip(t_created, first, strict=True)]),
        "resolved_at": _ts([None if r is None else c + dt.timedelta(hours=r)  # type: ignore[misc]
                            for c, r in zip(t_created, resolution, strict=True)]),
        "reopened_at": _ts([None] * n_tickets),  # type: ignore[list-item]
        "status": ["open" if r is None else "solved" for r in resolution],
        "priority": priorities,
        "category": [labels[t] for t in t_topics],
        "escalated": escalated,
    }).sort("ticket_id")

    prob = np.clip(0.15 + 0.6 * churned + rng.normal(0, 0.15, n_customers), 0.01, 0.99)
    reasons = [f"{rng.integers(2, 9)} tickets in 90 days; plan {p}" for p in customers["plan"]]
    reasons[int(np.argmax(prob))] = XSS_TEXT
    churn_scores = pl.DataFrame({
        "customer_id": customer_ids,
        "churn_probability": np.round(prob, 4),
        "top_reasons": reasons,
        "revenue_at_risk": np.round(prob * customers["monthly_charges"].to_numpy() * 12, 2),
    }).sort("customer_id")

    churn_scores = churn_scores.with_columns(
        pl.when(pl.col("churn_probability") >= 0.5).then(pl.lit("call: offer a plan review"))
        .otherwise(pl.lit("no action")).alias("next_best_action"))
    payments = pl.DataFrame({
        "invoice_id": [f"I{i:04d}" for i in range(n_customers * 3)],
        "customer_id": [c for c in customer_ids for _ in range(3)],
        "due_at": _ts([start + dt.timedelta(days=30 * k) for _ in customer_ids for k in range(3)]),
        "paid_at": _ts([None if (i % 7 == 3) else start + dt.timedelta(days=30 * (i % 3) + 2)  # type: ignore[misc]
                        for i in range(n_customers * 3)]),
        "amount": [float(m) for m in customers["monthly_charges"] for _ in range(3)],
        "failed_attempts": pl.Series([1 if i % 7 == 3 else 0 for i in range(n_customers * 3)], dtype=pl.Int32),
    })
    events = pl.DataFrame({
        "customer_id": [c for c in customer_ids for _ in range(4)],
        "ts": _ts([start + dt.timedelta(days=int(d)) for d in rng.integers(0, 118, n_customers * 4)]),
        "event": ["login", "feature_use"] * (n_customers * 2),
        "feature": [None, "export"] * (n_customers * 2),
    }).sort("customer_id", "ts")
    months = sorted(set(scored["month"].to_list()))
    per_month = (ticket_metrics.with_columns(pl.col("created_at").dt.truncate("1mo").dt.date().alias("month"))
                 .group_by("month").agg(pl.len().cast(pl.Int64).alias("n_tickets"),
                                        pl.col("resolution_hours").is_null().sum().cast(pl.Int64).alias("n_open"),
                                        pl.col("escalated").cast(pl.Float64).mean().alias("recurrence_rate")))
    complaints_by_month = (pl.DataFrame({"month": months}).join(per_month, on="month", how="left")
                           .with_columns(pl.col("n_tickets", "n_open").fill_null(0), pl.col("recurrence_rate"))
                           .with_columns(pl.col("n_open").cum_sum().alias("backlog_end")).sort("month"))
    complaints_by_theme = (ticket_metrics.group_by("topic_id").agg(
        pl.col("topic_label").first(), pl.len().cast(pl.Int64).alias("n_tickets"),
        pl.col("escalated").cast(pl.Float64).mean().alias("recurrence_rate"),
        (1.0 - pl.col("resolution_breached").cast(pl.Float64).mean()).alias("sla_resolution_achievement"),
    ).sort("topic_id"))
    alert_counts = joined.filter(pl.col("topic_id") >= 0).group_by("topic_id", "topic_label").agg(
        pl.len().cast(pl.Int64).alias("window_count"))
    theme_alerts = alert_counts.with_columns(
        (pl.col("window_count") / n_feedback).alias("window_share"),
        (pl.col("window_count") / n_feedback / 2).alias("baseline_share"),
    ).with_columns(
        (pl.col("window_share") / pl.col("baseline_share")).alias("lift"),
        pl.when(pl.col("topic_id") == 3).then(0.001).otherwise(0.4).alias("p_value"),
        pl.when(pl.col("topic_id") == 3).then(3.5).otherwise(1.0).alias("filed_lift"),  # the rise among filed items
        (pl.col("topic_id") == 3).alias("flagged"),
    ).sort("topic_id")
    follow_up = (churn_scores.sort("churn_probability", descending=True).head(4)
                 .join(customers.select("customer_id", "monthly_charges"), on="customer_id")
                 .select("customer_id", (pl.col("monthly_charges") * 0.6).alias("value_at_risk"), "monthly_charges",
                         pl.lit(0.6).alias("risk_weight"), pl.lit("detractor_no_contact").alias("reasons"),
                         pl.lit("detractor (NPS 2), no contact within 48 h").alias("why"),
                         pl.lit(XSS_TEXT).alias("verbatim"), pl.lit("survey:0000").alias("trigger_id"),
                         pl.lit(start).alias("triggered_at"))
                 .sort(["value_at_risk", "customer_id"], descending=[True, False]))

    theme_drivers = (theme_sentiment.filter(pl.col("topic_id") >= 0).select(
        "topic_id", "topic_label", pl.col("n").alias("n_items"), pl.col("n").alias("n_nps"),
        (-pl.col("net_sentiment") / 10).alias("nps_impact"), pl.lit(0.04).alias("impact_p_value"),
        (pl.col("mean_sentiment") * 3).alias("effect"), (pl.col("mean_sentiment").abs() > 0.4).alias("significant"),
        (pl.col("n") >= 5).alias("enough_data"))
        .with_columns(pl.col("nps_impact").rank("ordinal", descending=True).cast(pl.Int32).alias("driver_rank"))
        .join(_channel_mix(themed.join(sentiment, on="feedback_id")), on="topic_id", how="left")
        .sort("topic_id"))

    ticket_metrics, escalation_paths, status_history = _status_history(tickets, ticket_metrics, seed=seed)
    churn_theme_drivers = _churn_theme_drivers(customers, feedback, sentiment, topics,
                                               origin=start + dt.timedelta(days=90), end=start + dt.timedelta(days=118))

    metrics = _fixture_metrics(feedback, sentiment, scored, ticket_metrics, customers, topic_info)
    metrics["complaints"]["status_history"] = status_history
    frames = {
        "escalation_paths": escalation_paths, "churn_theme_drivers": churn_theme_drivers,
        "theme_drivers": theme_drivers, "topics_by_segment": topics_by_segment,
        "payments": payments, "events": events, "complaints_by_month": complaints_by_month,
        "complaints_by_theme": complaints_by_theme, "theme_alerts": theme_alerts, "follow_up": follow_up,
        "feedback": feedback, "tickets": tickets, "customers": customers, "topics": topics,
        "topic_info": topic_info, "theme_mentions": theme_mentions, "topics_over_time": topics_over_time,
        "sentiment": sentiment,
        "ticket_metrics": ticket_metrics, "churn_scores": churn_scores, "scores_by_channel": scores_by_channel,
        "scores_by_month": scores_by_month, "theme_sentiment": theme_sentiment,
    }
    return frames, metrics


def _status_history(tickets: pl.DataFrame, ticket_metrics: pl.DataFrame, *, seed: int
                    ) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, object]]:
    """The sample generator's help-desk event log for the fixture tickets, run through the complaints stage's
    own functions: ``ticket_metrics`` with ``is_open`` and the status-history columns, ``escalation_paths`` and
    the ``status_history`` block of ``complaints.json``. As of one day after the last ticket event."""
    from voc.complaints.events import (
        add_status_history,
        summarise_escalation_paths,
        summarise_status_history,
        ticket_status_history,
    )
    from voc.sample.ticket_events import ticket_event_log

    iso = "%Y-%m-%dT%H:%M:%SZ"
    raw = tickets.with_columns(pl.col("created_at", "first_response_at", "resolved_at", "reopened_at").dt.strftime(iso))
    last = tickets.select(pl.max_horizontal(pl.col("created_at", "first_response_at", "resolved_at").max())).item()
    as_of = (last + dt.timedelta(days=1)).replace(microsecond=0)
    log, _ = ticket_event_log(raw, seed=seed, snapshot=as_of.timestamp())
    events = log.with_columns(pl.col("at").str.to_datetime(iso, time_zone=_UTC, time_unit="us"))
    history, quarantine = ticket_status_history(events, tickets, as_of=as_of)
    if quarantine.height:  # the generator's log agrees with the tickets by construction
        raise ValueError(f"fixture ticket events quarantined: {quarantine.to_dicts()[:3]}")
    metrics = add_status_history(ticket_metrics.with_columns(pl.col("resolution_hours").is_null().alias("is_open")),
                                 history)
    paths = summarise_escalation_paths(metrics)
    block = summarise_status_history(
        metrics.join(tickets.select("ticket_id", "first_response_at"), on="ticket_id", how="left"), paths,
        n_events=events.height)
    return metrics, paths, block


def _churn_theme_drivers(customers: pl.DataFrame, feedback: pl.DataFrame, sentiment: pl.DataFrame,
                         topics: pl.DataFrame, *, origin: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    """``churn_theme_drivers`` as the churn stage computes it (``voc.churn.theme_drivers``), on the fixture
    customers followed from ``origin`` to ``end`` (days; churn at ``cancelled_at``), every item before the origin
    counted, guards lowered to the fixture's size (3 customers, 1 churner per theme)."""
    from voc.churn.theme_drivers import churn_theme_drivers

    days = 86_400.0
    churned = (pl.col("cancelled_at") <= end).fill_null(False)
    stop = pl.when(churned).then(pl.col("cancelled_at")).otherwise(pl.lit(end).cast(pl.Datetime("us", _UTC)))
    survival = customers.select(
        "customer_id",
        duration_days=(stop - pl.lit(origin).cast(pl.Datetime("us", _UTC))).dt.total_seconds() / days,
        event=churned.cast(pl.Int8),
        tenure_days=(pl.lit(origin).cast(pl.Datetime("us", _UTC)) - pl.col("signup_at")).dt.total_seconds() / days,
        cutoff_at=pl.lit(origin).cast(pl.Datetime("us", _UTC)),
    )
    items = feedback.join(sentiment, on="feedback_id").select(
        "feedback_id", "customer_id", "created_at", negative=pl.col("sentiment_label") == "negative")
    return churn_theme_drivers(survival, items, theme_presence(topics), lookback_days=None, min_customers=3,
                               min_events=1).table


def _fixture_metrics(feedback: pl.DataFrame, sentiment: pl.DataFrame, scored: pl.DataFrame,
                     ticket_metrics: pl.DataFrame, customers: pl.DataFrame,
                     topic_info: pl.DataFrame) -> dict[str, dict[str, object]]:
    n = feedback.height
    shares = {lab: sentiment.filter(pl.col("sentiment_label") == lab).height / n
              for lab in ("negative", "neutral", "positive")}
    overall = {r["metric"]: {k: r[k] for k in ("value", "ci_low", "ci_high", "n")}
               for r in _score_rows(scored.with_columns(pl.lit("all").alias("all")), "all", min_n=3)}
    decided = ticket_metrics.drop_nulls("resolution_breached")

    def achievement(frame: pl.DataFrame, col: str) -> float | None:
        part = frame.drop_nulls(col)
        return float((~part[col]).mean()) if part.height else None  # type: ignore[arg-type]

    by_priority = {
        str(p[0]): {"n": part.height,
                    "sla_first_response_achievement": achievement(part, "first_response_breached"),
                    "sla_resolution_achievement": achievement(part, "resolution_breached")}
        for p, part in sorted(ticket_metrics.group_by("priority"), key=lambda kv: str(kv[0][0]))
    }
    base_rate = float(customers["churned"].mean())  # type: ignore[arg-type]
    models = {
        "logistic": {"roc_auc": 0.74, "pr_auc": 0.52, "brier": 0.18, "lift_top_decile": 2.1,
                     "capture_top_decile": 0.21},
        "lightgbm": {"roc_auc": 0.81, "pr_auc": 0.61, "brier": 0.15, "lift_top_decile": 2.8,
                     "capture_top_decile": 0.28},
    }
    return {
        "ingest": {"sources": {c: {"rows_in": feedback.filter(pl.col("source") == c).height,
                                   "rows_out": feedback.filter(pl.col("source") == c).height,
                                   "rows_quarantined": 0} for c in sorted(set(feedback["source"]))},
                   "rows_in": n, "rows_out": n, "rows_quarantined": 0,
                   "tables": {"feedback": n, "tickets": ticket_metrics.height, "customers": customers.height}},
        "topics": {"n_topics": int((topic_info["topic_id"] >= 0).sum()),
                   "coverage": float(topic_info.filter(pl.col("topic_id") >= 0)["count"].sum() / n),
                   "raw_outlier_share": float(topic_info.filter(pl.col("topic_id") < 0)["count"].sum() / n),
                   "n_items": n},
        "sentiment": {"n_items": n, "method": "fixture", "share_negative": shares["negative"],
                      "share_neutral": shares["neutral"], "share_positive": shares["positive"]},
        "insights": {**overall, "net_sentiment": 100 * (shares["positive"] - shares["negative"]), "n_items": n},
        "complaints": {
            "n_tickets": ticket_metrics.height,
            "median_first_response_hours": float(ticket_metrics["first_response_hours"].median()),  # type: ignore[arg-type]
            "median_resolution_hours": float(ticket_metrics["resolution_hours"].median()),  # type: ignore[arg-type]
            "sla_first_response_achievement": achievement(ticket_metrics, "first_response_breached"),
            "sla_resolution_achievement": achievement(decided, "resolution_breached"),
            "escalation_rate": float(ticket_metrics["escalated"].mean()),  # type: ignore[arg-type]
            "reopen_rate": 0.0,
            "by_priority": by_priority,
        },
        "churn": {"cutoff": "2024-04-30", "horizon_days": 90, "n_customers": customers.height,
                  "base_rate": base_rate, "models": models, "chosen_model": "lightgbm",
                  **{k: models["lightgbm"][k] for k in ("roc_auc", "pr_auc", "brier", "lift_top_decile")}},
    }


def write_fixture_outputs(root: Path, *, seed: int) -> dict[str, Path]:
    """Write the fixture under ``root/data/{interim,processed,metrics}``; return every path written."""
    from voc.reports.inputs import CSV_TABLES, TABLES

    frames, metrics = build_fixture_frames(seed=seed)
    written: dict[str, Path] = {}
    for name, frame in frames.items():
        kind, _ = TABLES[name]
        path = root / "data" / kind / f"{name}.{'csv' if name in CSV_TABLES else 'parquet'}"
        if name in CSV_TABLES:
            write_text(frame.write_csv(), path)
        else:
            write_parquet(frame, path)
        written[name] = path
    for name, obj in metrics.items():
        path = root / "data" / "metrics" / f"{name}.json"
        write_json(json.loads(json.dumps(obj)), path)
        written[f"metrics/{name}"] = path
    return written


def render_fixture_reports(base: Path, *, seed: int = 11,
                           reports: tuple[str, ...] | None = None) -> tuple[Path, dict[str, Path], float]:
    """Write the fixture under ``base`` and render the reports there, once: a second call with the same
    ``base`` (another test folder in the same pytest session) reuses the HTML. Returns the fixture root, the
    report paths and the seconds the first render took."""
    import time

    from voc.reports.render import ReportsConfig, render_reports

    config = ReportsConfig() if reports is None else ReportsConfig(reports=reports)
    done = base / "rendered.json"
    if done.is_file():
        record = json.loads(done.read_text(encoding="utf-8"))
        return base, {k: Path(v) for k, v in record["written"].items()}, float(record["seconds"])
    write_fixture_outputs(base, seed=seed)
    notebooks = Path(__file__).resolve().parents[3] / "notebooks" / "reports"
    start = time.perf_counter()
    written = render_reports(
        config, notebooks_dir=notebooks, output_dir=base / "data" / "reports",
        interim_dir=base / "data" / "interim", processed_dir=base / "data" / "processed",
        metrics_dir=base / "data" / "metrics", project_root=base, currency="GBP",
    )
    seconds = time.perf_counter() - start
    write_json({"written": {k: str(v) for k, v in written.items()}, "seconds": seconds}, done)
    return base, written, seconds
