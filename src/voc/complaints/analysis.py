"""Closed-loop analyses on the per-ticket metrics: service recovery, categorisation agreement, the
prioritisation of open tickets, the root-cause Pareto, and regulator-style outcome fields (timely flag,
company response, hand-off date) carried in the ticket's feedback ``meta``.

Rates are shares in [0, 1]. Churn means ``cancelled_at`` at or before the as-of time.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any

import polars as pl
from sklearn.metrics import adjusted_mutual_info_score

from voc.complaints.sla import require_columns

log = logging.getLogger(__name__)

_TS = pl.Datetime("us", "UTC")
FEEDBACK_FILE = "data/interim/feedback.parquet"


def _rate(num: int, den: int) -> float | None:
    return None if den == 0 else num / den


def _churned(as_of: dt.datetime) -> pl.Expr:
    return pl.col("cancelled_at").is_not_null() & (pl.col("cancelled_at") <= pl.lit(as_of).cast(_TS))


def measure_service_recovery(
    metrics: pl.DataFrame,
    feedback: pl.DataFrame,
    customers: pl.DataFrame,
    *,
    as_of: dt.datetime,
    good_csat_min: int,
    window_days: int,
) -> dict[str, Any]:
    """Service recovery: of complainants (customers with a ticket) who answered CSAT within ``window_days``
    days after one of their tickets was resolved, the share whose first such answer is good (CSAT at or
    above ``good_csat_min``); and churn (cancelled by ``as_of``) of recovered, not-recovered and all
    complainants against customers who never complained."""
    require_columns(metrics, ("ticket_id", "customer_id", "resolved_at"), name="ticket metrics")
    require_columns(feedback, ("customer_id", "created_at", "csat"), name=FEEDBACK_FILE)
    require_columns(customers, ("customer_id", "cancelled_at"), name="data/interim/customers.parquet")
    window = dt.timedelta(days=window_days)
    complainants = metrics.filter(pl.col("customer_id").is_not_null()).select("customer_id").unique()
    answers = feedback.filter(pl.col("customer_id").is_not_null() & pl.col("csat").is_not_null()).select(
        "customer_id", pl.col("created_at").alias("answered_at"), "csat"
    )
    post = (
        metrics.filter(pl.col("resolved_at").is_not_null() & pl.col("customer_id").is_not_null())
        .select("customer_id", "resolved_at")
        .join(answers, on="customer_id", how="inner")
        .filter((pl.col("answered_at") > pl.col("resolved_at")) & (pl.col("answered_at") <= pl.col("resolved_at") + window))
        .sort("customer_id", "answered_at")
        .unique("customer_id", keep="first", maintain_order=True)
        .select("customer_id", recovered=pl.col("csat") >= good_csat_min)
    )
    status = customers.select("customer_id", churned=_churned(as_of))
    groups = {
        "recovered": post.filter(pl.col("recovered")).select("customer_id"),
        "not_recovered": post.filter(~pl.col("recovered")).select("customer_id"),
        "complainants": complainants,
        "never_complained": customers.select("customer_id").join(complainants, on="customer_id", how="anti"),
    }
    out: dict[str, Any] = {
        "n_complainants": complainants.height,
        "n_with_post_resolution_csat": post.height,
        "recovery_rate": _rate(int(post["recovered"].sum()), post.height),
        "good_csat_min": good_csat_min,
        "window_days": window_days,
    }
    for name, ids in groups.items():
        joined = ids.join(status, on="customer_id", how="inner")
        out[f"n_{name}"] = joined.height
        out[f"churn_rate_{name}"] = _rate(int(joined["churned"].sum()), joined.height)
    return out


def compare_categories(metrics: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The discovered theme next to the agent's category, for tickets with both (theme id >= 0).

    Returns the confusion table (``topic_id, topic_label, category, n, share_of_theme, share_of_category``,
    sorted by ``topic_id, category``) and the agreement: adjusted mutual information (0 = chance, 1 = the
    same partition), purity (share of tickets in their theme's majority category), inverse purity (share in
    their category's majority theme), and per category the share in its dominant theme (low = unreliable)."""
    require_columns(metrics, ("ticket_id", "category", "topic_id", "topic_label"), name="ticket metrics")
    both = metrics.filter(pl.col("category").is_not_null() & pl.col("topic_id").is_not_null() & (pl.col("topic_id") >= 0))
    confusion = (
        both.group_by("topic_id", "category")
        .agg(pl.col("topic_label").first(), n=pl.len().cast(pl.Int64))
        .with_columns(
            share_of_theme=pl.col("n") / pl.col("n").sum().over("topic_id"),
            share_of_category=pl.col("n") / pl.col("n").sum().over("category"),
        )
        .select("topic_id", "topic_label", "category", "n", "share_of_theme", "share_of_category")
        .sort("topic_id", "category")
    )
    n = both.height
    if n == 0:
        return confusion, {"n": 0, "ami": None, "purity": None, "inverse_purity": None, "by_category": {}}
    purity = confusion.group_by("topic_id").agg(pl.col("n").max())["n"].sum() / n
    by_cat = (
        confusion.sort("n", "topic_id", descending=[True, False])
        .group_by("category", maintain_order=True)
        .agg(n=pl.col("n").sum(), dominant_share=pl.col("share_of_category").first(),
             dominant_theme=pl.col("topic_label").first())
        .sort("category")
    )
    ami = adjusted_mutual_info_score(both["category"].to_list(), both["topic_id"].to_list())
    return confusion, {
        "n": n,
        "ami": float(ami),
        "purity": float(purity),
        "inverse_purity": float(by_cat["n"].dot(by_cat["dominant_share"]) / n),
        "by_category": {r["category"]: {k: r[k] for k in ("n", "dominant_share", "dominant_theme")}
                        for r in by_cat.iter_rows(named=True)},
    }


def ticket_signals(feedback: pl.DataFrame, sentiment: pl.DataFrame) -> pl.DataFrame:
    """Sentiment and intent of each ticket's opening text: ``ticket_id, sentiment_score, intent, is_complaint,
    urgency_score`` (earliest feedback row of the ticket), sorted by ``ticket_id``."""
    require_columns(feedback, ("feedback_id", "ticket_id", "created_at"), name=FEEDBACK_FILE)
    cols = ("feedback_id", "sentiment_score", "intent", "is_complaint", "urgency_score")
    require_columns(sentiment, cols, name="data/processed/sentiment.parquet")
    return (
        feedback.filter(pl.col("ticket_id").is_not_null())
        .join(sentiment.select(cols), on="feedback_id", how="inner")
        .sort("ticket_id", "created_at", "feedback_id")
        .unique("ticket_id", keep="first", maintain_order=True)
        .select("ticket_id", *cols[1:])
    )


def prioritise_open_tickets(
    metrics: pl.DataFrame,
    signals: pl.DataFrame | None,
    customers: pl.DataFrame,
    churn_scores: pl.DataFrame | None,
    *,
    weights: Mapping[str, float],
) -> pl.DataFrame:
    """A score in [0, 1] per open ticket, the weighted mean of four parts in [0, 1], with the reason in words:

    - ``severity``: 0.5 x negativity (max(0, -sentiment score)) + 0.3 x urgency cues + 0.2 x complaint intent;
    - ``value``: the customer's monthly charges as a percentile among all customers;
    - ``churn_risk``: the churn model's probability (0 when no score);
    - ``sla_clock``: resolution-SLA time used (``sla_elapsed_hours / sla_target_hours``), 0.5 at the
      target, 1 at twice the target or more.

    Missing parts count 0 and the reason says so. ``priority_rank`` 1 is the ticket to take first.
    Sorted by ``ticket_id``."""
    require_columns(metrics, ("ticket_id", "customer_id", "priority", "is_open", "sla_target_hours",
                              "sla_elapsed_hours", "resolution_breached"), name="ticket metrics")
    require_columns(customers, ("customer_id", "monthly_charges"), name="data/interim/customers.parquet")
    sig = signals if signals is not None else pl.DataFrame(
        schema={"ticket_id": pl.String, "sentiment_score": pl.Float64, "intent": pl.String,
                "is_complaint": pl.Boolean, "urgency_score": pl.Float64})
    churn = churn_scores if churn_scores is not None else pl.DataFrame(
        schema={"customer_id": pl.String, "churn_probability": pl.Float64})
    value = customers.select(
        "customer_id", "monthly_charges",
        value=(pl.col("monthly_charges").rank("max") / pl.col("monthly_charges").count()).cast(pl.Float64),
    )
    w = {k: float(weights.get(k, 0.0)) for k in ("severity", "value", "churn_risk", "sla_clock")}
    total = sum(w.values())
    frame = (
        metrics.filter(pl.col("is_open"))
        .join(sig.select("ticket_id", "sentiment_score", "intent", "is_complaint", "urgency_score"),
              on="ticket_id", how="left")
        .join(value, on="customer_id", how="left")
        .join(churn.select("customer_id", "churn_probability"), on="customer_id", how="left")
        .with_columns(
            severity=(
                0.5 * (-pl.col("sentiment_score")).clip(0.0, 1.0)
                + 0.3 * pl.col("urgency_score").clip(0.0, 1.0)
                + 0.2 * pl.col("is_complaint").cast(pl.Float64)
            ),
            sla_clock=((pl.col("sla_elapsed_hours") / pl.col("sla_target_hours")).clip(0.0, 2.0) / 2.0),
            churn_risk=pl.col("churn_probability"),
        )
    )
    parts = ("severity", "value", "churn_risk", "sla_clock")
    frame = frame.with_columns(
        priority_score=pl.sum_horizontal([pl.col(p).fill_null(0.0) * w[p] for p in parts]) / total
    )
    reasons = []
    for r in frame.iter_rows(named=True):
        text = {
            "sla_clock": "no SLA target" if r["sla_clock"] is None else
            f"{100 * r['sla_elapsed_hours'] / r['sla_target_hours']:.0f}% of the {r['sla_target_hours']:g} h "
            f"{r['priority']} resolution target used" + (" (breached)" if r["resolution_breached"] else ""),
            "severity": "no sentiment for its text" if r["severity"] is None else
            f"severity {r['severity']:.2f} (sentiment {r['sentiment_score']:+.2f}, intent {r['intent']}, "
            f"urgency {r['urgency_score']:.2f})",
            "value": "customer value unknown" if r["value"] is None else
            f"customer value {r['monthly_charges']:.2f}/month (top {max(1.0, 100 * (1 - r['value'])):.0f}%)",
            "churn_risk": "no churn score" if r["churn_risk"] is None else f"churn risk {r['churn_risk']:.2f}",
        }
        order = sorted(parts, key=lambda p: -(r[p] or 0.0) * w[p])
        reasons.append("; ".join(text[p] for p in order if w[p] > 0))
    return (
        frame.with_columns(reason=pl.Series(reasons, dtype=pl.String))
        .with_columns(priority_rank=pl.col("priority_score").rank("ordinal", descending=True).cast(pl.Int32))
        .select("ticket_id", "customer_id", "priority", "priority_score", "priority_rank", *parts, "reason")
        .sort("ticket_id")
    )


def root_cause_pareto(
    metrics: pl.DataFrame, customers: pl.DataFrame, *, as_of: dt.datetime, churn_window_days: int
) -> pl.DataFrame:
    """Complaint themes (ticket theme; -1 = no theme) ranked three ways: by volume (with the cumulative share
    and the ``vital_few`` that make up the first 80%), by breach rate (either SLA breached, among decided
    tickets) and by the churn that follows (share of the theme's complainants who cancelled within
    ``churn_window_days`` days after their first ticket on it, by ``as_of``). Sorted by ``topic_id``."""
    require_columns(metrics, ("ticket_id", "customer_id", "created_at", "topic_id", "topic_label",
                              "first_response_breached", "resolution_breached"), name="ticket metrics")
    require_columns(customers, ("customer_id", "cancelled_at"), name="data/interim/customers.parquet")
    window = dt.timedelta(days=churn_window_days)
    m = metrics.with_columns(
        topic_id=pl.col("topic_id").fill_null(-1).cast(pl.Int32),
        breached=pl.col("first_response_breached") | pl.col("resolution_breached"),
    )
    first = (
        m.filter(pl.col("customer_id").is_not_null())
        .group_by("topic_id", "customer_id")
        .agg(first_at=pl.col("created_at").min())
        .join(customers.select("customer_id", "cancelled_at"), on="customer_id", how="left")
        .with_columns(
            churned=(pl.col("cancelled_at") > pl.col("first_at"))
            & (pl.col("cancelled_at") <= pl.col("first_at") + window)
            & (pl.col("cancelled_at") <= pl.lit(as_of).cast(_TS))
        )
        .group_by("topic_id")
        .agg(n_complainants=pl.len().cast(pl.Int64), churn_following_rate=pl.col("churned").fill_null(False).mean())
    )
    themes = (
        m.group_by("topic_id")
        .agg(
            topic_label=pl.col("topic_label").drop_nulls().first().fill_null("(no theme)"),
            n_tickets=pl.len().cast(pl.Int64),
            breach_rate=pl.col("breached").cast(pl.Float64).mean(),
        )
        .join(first, on="topic_id", how="left")
        .sort(["n_tickets", "topic_id"], descending=[True, False])
        .with_columns(share=pl.col("n_tickets") / pl.col("n_tickets").sum())
        .with_columns(cumulative_share=pl.col("share").cum_sum())
        .with_columns(
            volume_rank=pl.int_range(1, pl.len() + 1).cast(pl.Int32),
            vital_few=(pl.col("cumulative_share") - pl.col("share")) < 0.8,
            breach_rank=pl.col("breach_rate").rank("min", descending=True).cast(pl.Int32),
            churn_rank=pl.col("churn_following_rate").rank("min", descending=True).cast(pl.Int32),
        )
    )
    return themes.select(
        "topic_id", "topic_label", "n_tickets", "share", "cumulative_share", "volume_rank", "vital_few",
        "breach_rate", "breach_rank", "n_complainants", "churn_following_rate", "churn_rank",
    ).sort("topic_id")


_YES = {"yes", "true", "1", "y"}
_NO = {"no", "false", "0", "n"}


def ticket_outcomes(
    feedback: pl.DataFrame,
    *,
    timely_field: str | None,
    outcome_field: str | None,
    handoff_field: str | None,
    handoff_format: str,
    missing_values: tuple[str, ...] = ("", "None", "N/A"),
) -> pl.DataFrame:
    """Outcome fields of each ticket read from its opening feedback row's ``meta`` (JSON): ``timely`` (bool
    from yes/no), ``outcome`` (str) and ``handoff_at`` (date parsed with ``handoff_format``, as a UTC
    datetime at midnight). Strings in ``missing_values`` are missing. A value that does not parse raises,
    naming the file, the feedback id and the field. Sorted by ``ticket_id``."""
    require_columns(feedback, ("feedback_id", "ticket_id", "created_at", "meta"), name=FEEDBACK_FILE)
    rows = (
        feedback.filter(pl.col("ticket_id").is_not_null())
        .sort("ticket_id", "created_at", "feedback_id")
        .unique("ticket_id", keep="first", maintain_order=True)
    )
    timely: list[bool | None] = []
    outcome: list[str | None] = []
    handoff: list[dt.datetime | None] = []
    for fid, meta in zip(rows["feedback_id"], rows["meta"], strict=True):
        try:
            data = json.loads(meta) if meta else {}
        except json.JSONDecodeError:
            raise ValueError(f"{FEEDBACK_FILE}: feedback {fid}: field meta is not JSON") from None

        def get(field: str | None) -> str | None:
            if field is None:
                return None
            value = data.get(field)
            return None if value is None or str(value).strip() in missing_values else str(value).strip()

        t = get(timely_field)
        if t is not None and t.lower() not in _YES | _NO:
            raise ValueError(f"{FEEDBACK_FILE}: feedback {fid}: field meta.{timely_field} {t!r} is not yes/no")
        timely.append(None if t is None else t.lower() in _YES)
        outcome.append(get(outcome_field))
        h = get(handoff_field)
        try:
            handoff.append(None if h is None else dt.datetime.strptime(h, handoff_format).replace(tzinfo=dt.UTC))
        except ValueError:
            raise ValueError(
                f"{FEEDBACK_FILE}: feedback {fid}: field meta.{handoff_field} {h!r} does not match {handoff_format!r}"
            ) from None
    return pl.DataFrame(
        {"ticket_id": rows["ticket_id"], "timely": timely, "outcome": outcome, "handoff_at": handoff},
        schema={"ticket_id": pl.String, "timely": pl.Boolean, "outcome": pl.String, "handoff_at": _TS},
    ).sort("ticket_id")


def summarise_outcomes(metrics: pl.DataFrame, outcomes: pl.DataFrame) -> dict[str, Any]:
    """Timely-response rate (among tickets with the flag), counts per outcome, and the days from creation to
    hand-off (median, max; null when no hand-off date)."""
    require_columns(metrics, ("ticket_id", "created_at"), name="ticket metrics")
    require_columns(outcomes, ("ticket_id", "timely", "outcome", "handoff_at"), name="ticket outcomes")
    j = metrics.select("ticket_id", "created_at").join(outcomes, on="ticket_id", how="left").with_columns(
        handoff_days=(pl.col("handoff_at") - pl.col("created_at")).dt.total_seconds() / 86400.0
    )
    flagged = j.filter(pl.col("timely").is_not_null())
    counts = j.filter(pl.col("outcome").is_not_null()).group_by("outcome").len().sort("outcome")
    return {
        "n_with_timely_flag": flagged.height,
        "timely_rate": _rate(int(flagged["timely"].sum()), flagged.height),
        "outcome_counts": dict(zip(counts["outcome"].to_list(), counts["len"].to_list(), strict=True)),
        "n_with_handoff": int(j["handoff_days"].is_not_null().sum()),
        "median_handoff_days": j["handoff_days"].median(),
        "max_handoff_days": j["handoff_days"].max(),
    }
