"""Headline numbers from the stage metrics files, shaped for cards and tables.

Rates and achievements in ``complaints.json`` and ``churn.json`` are fractions in [0, 1]; they are shown
as percentages. A value outside [0, 1] is an error rather than a silently wrong percentage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from voc.metrics.scores import InsightsConfig, net_sentiment, overall_scores


def _fraction(value: Any, where: str) -> float | None:
    if value is None:
        return None
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{where}: expected a fraction in [0, 1], got {value}")
    return value


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun if n == 1 else noun + 's'}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def _score(insights: Mapping[str, Any], metric: str) -> tuple[str, str]:
    block = insights[metric]
    value, low, high, n = block.get("value"), block.get("ci_low"), block.get("ci_high"), block.get("n")
    if value is None:
        return "n/a", f"no responses (n={n})"
    fmt = {"nps": "{:+.0f}", "csat": "{:.0f}%", "ces": "{:.1f} / 7"}[metric]
    return fmt.format(value), f"95% CI {fmt.format(low)} to {fmt.format(high)}, n={n:,}"


def scope_insights(feedback: pl.DataFrame, sentiment: pl.DataFrame, *, confidence: float = 0.95) -> dict[str, Any]:
    """NPS (points), CSAT (top-2-box %) and CES (mean, 1-7) with their intervals (``voc.metrics.scores``),
    net sentiment (points) and the item count, computed from the (filtered) feedback and its sentiment:
    shaped like ``insights.json`` for :func:`overview_cards`."""
    scores = overall_scores(feedback, config=InsightsConfig(confidence=confidence))
    scored = sentiment.filter(pl.col("feedback_id").is_in(feedback["feedback_id"].implode()))
    return {**scores, "net_sentiment": net_sentiment(scored), "n_items": feedback.height}


def scope_complaints(ticket_metrics: pl.DataFrame) -> dict[str, Any]:
    """Ticket counts, median hours, SLA achievements and escalation rate (fractions of decided tickets) of
    the (filtered) ``ticket_metrics``: the keys of ``complaints.json`` that :func:`complaint_cards` and
    :func:`overview_cards` read, except ``reopen_rate`` (not in ticket_metrics: None) and ``by_priority``."""
    def achievement(col: str) -> float | None:
        part = ticket_metrics[col].drop_nulls()
        return float((~part).cast(pl.Float64).mean()) if part.len() else None  # type: ignore[arg-type]

    def median(col: str) -> float | None:
        value = ticket_metrics[col].median()
        return None if value is None else float(value)  # type: ignore[arg-type]

    return {
        "n_tickets": ticket_metrics.height,
        "median_first_response_hours": median("first_response_hours"),
        "median_resolution_hours": median("resolution_hours"),
        "sla_first_response_achievement": achievement("first_response_breached"),
        "sla_resolution_achievement": achievement("resolution_breached"),
        "escalation_rate": (float(ticket_metrics["escalated"].cast(pl.Float64).mean())  # type: ignore[arg-type]
                            if ticket_metrics.height else None),
        "reopen_rate": None,
    }


def overview_cards(insights: Mapping[str, Any], complaints: Mapping[str, Any], churn: Mapping[str, Any],
                   ingest: Mapping[str, Any], *, n_feedback: int | None = None) -> list[tuple[str, str, str]]:
    """(label, value, note) cards for the overview: scores with CIs, net sentiment, SLA, churn model.
    ``n_feedback``: feedback items in the report's segment/period (default: all ingested)."""
    cards = [("NPS", *_score(insights, "nps")), ("CSAT (top-2-box)", *_score(insights, "csat")),
             ("CES (1 = very hard, 7 = very easy)", *_score(insights, "ces")),
             ("Net sentiment", "n/a" if insights["net_sentiment"] is None else f"{insights['net_sentiment']:+.0f}",
              f"% positive minus % negative, {_plural(insights['n_items'], 'item')}")]
    sla = _fraction(complaints["sla_resolution_achievement"], "complaints.json sla_resolution_achievement")
    first = _fraction(complaints["sla_first_response_achievement"], "complaints.json sla_first_response_achievement")
    cards.append(("Resolved within SLA", _pct(sla),
                  f"first response within SLA {_pct(first)}; {_plural(complaints['n_tickets'], 'ticket')}"))
    chosen = churn["chosen_model"]
    model = churn["models"][chosen]
    cards.append(("Churn model ROC AUC", f"{model['roc_auc']:.2f}",
                  f"{chosen}; top-decile lift {model['lift_top_decile']:.1f}×; whole-population model metric"))
    feedback_items = ingest.get("tables", {}).get("feedback", ingest["rows_out"])
    if n_feedback is None:
        cards.append(("Feedback items", f"{feedback_items:,}",
                      f"{ingest['rows_out']:,} records ingested in all; {ingest['rows_quarantined']:,} quarantined"))
    else:
        cards.append(("Feedback items", f"{n_feedback:,}", f"in this view, of {feedback_items:,} in all; "
                      f"{ingest['rows_quarantined']:,} records quarantined at ingest"))
    return cards


def complaint_cards(complaints: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(label, value, note) cards for the complaints report."""
    def rate(key: str) -> str:
        return _pct(_fraction(complaints[key], f"complaints.json {key}"))

    def hours(key: str) -> str:
        return "n/a" if complaints[key] is None else f"{complaints[key]:.1f} h"

    def share(key: str) -> str:
        return "n/a" if complaints[key] is None else rate(key)

    return [
        ("Tickets", f"{complaints['n_tickets']:,}", ""),
        ("Median first response", hours("median_first_response_hours"), ""),
        ("Median resolution", hours("median_resolution_hours"), ""),
        ("First response within SLA", rate("sla_first_response_achievement"), "of decided tickets"),
        ("Resolved within SLA", rate("sla_resolution_achievement"), "of decided tickets"),
        ("Escalated", share("escalation_rate"), "of tickets"),
        ("Reopened", share("reopen_rate"), "of tickets"),
    ]


def sla_by_priority_from_metrics(complaints: Mapping[str, Any]) -> pl.DataFrame:
    """``complaints.json`` ``by_priority`` as a frame: priority, n_tickets, SLA achievements in percent."""
    rows = []
    for priority, block in sorted(complaints["by_priority"].items()):
        for key in ("n", "sla_first_response_achievement", "sla_resolution_achievement"):
            if key not in block:
                raise ValueError(f"complaints.json: by_priority.{priority} lacks {key!r}")
        rows.append({
            "priority": priority,
            "n_tickets": int(block["n"]),
            **{k: (None if (f := _fraction(block[k], f"complaints.json by_priority.{priority}.{k}")) is None
                   else 100.0 * f)
               for k in ("sla_first_response_achievement", "sla_resolution_achievement")},
        })
    schema = {"priority": pl.String, "n_tickets": pl.Int64, "sla_first_response_achievement": pl.Float64,
              "sla_resolution_achievement": pl.Float64}
    return pl.DataFrame(rows, schema=schema)


def churn_model_table(churn: Mapping[str, Any]) -> pl.DataFrame:
    """One row per model in ``churn.json`` with its quality figures (formatted as text for display)."""
    rows = []
    for name, m in sorted(churn["models"].items()):
        capture = m.get("capture_top_decile")
        rows.append({
            "Model": name + (" (chosen)" if name == churn["chosen_model"] else ""),
            "ROC AUC": f"{m['roc_auc']:.3f}", "PR AUC": f"{m['pr_auc']:.3f}",
            "Brier (lower is better)": f"{m['brier']:.3f}", "Top-decile lift": f"{m['lift_top_decile']:.2f}×",
            "Churners in top decile": "n/a" if capture is None else f"{capture:.0%}",
        })
    return pl.DataFrame(rows)


def scope_scores_by_month(feedback: pl.DataFrame, *, min_n: int = 30, confidence: float = 0.95) -> pl.DataFrame:
    """NPS/CSAT/CES per UTC month (``month`` a Date) of the (filtered) feedback, shaped like
    ``scores_by_month``, with ``significant`` from the month-over-month test of ``voc.metrics.scores``."""
    from voc.metrics.scores import score_table

    monthly = feedback.with_columns(pl.col("created_at").dt.truncate("1mo").dt.date().alias("month"))
    return score_table(monthly, ["month"], config=InsightsConfig(confidence=confidence, min_n=min_n),
                       compare="previous")
