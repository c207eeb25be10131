"""Emerging themes: a theme whose share in the latest window rises significantly against its baseline.

For each theme, the count in the latest window is compared with what its share over the baseline window
predicts for the latest window's volume, with a one-sided Poisson test. A theme is flagged only when the
rise is significant after a Bonferroni correction over all themes, large (lift at least ``min_lift``) and
backed by enough items (``min_volume``), so small wobbles in stable themes do not raise alerts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
from scipy import stats


@dataclass(frozen=True)
class AlertsConfig:
    """The ``topics.alerts`` parameters."""

    window_days: int = 42
    baseline_days: int = 182
    min_volume: int = 20
    min_lift: float = 2.0
    alpha: float = 0.01


ALERT_SCHEMA = {
    "topic_id": pl.Int32,
    "topic_label": pl.String,
    "window_start": pl.Date,
    "window_end": pl.Date,
    "window_count": pl.Int64,
    "window_total": pl.Int64,
    "window_share": pl.Float64,
    "baseline_count": pl.Int64,
    "baseline_total": pl.Int64,
    "baseline_share": pl.Float64,
    "expected_count": pl.Float64,
    "lift": pl.Float64,
    "p_value": pl.Float64,
    "flagged": pl.Boolean,
}


def detect_emerging_themes(
    assigned: pl.DataFrame,
    feedback: pl.DataFrame,
    *,
    config: AlertsConfig,
    end: dt.date | None = None,
) -> pl.DataFrame:
    """One row per theme with the evidence for or against an emerging-theme alert.

    ``assigned`` has feedback_id, topic_id, topic_label: one row per item and theme. It may be multi-label
    (``voc.topics.mentions.theme_presence`` with ``item_theme="fallback"``: an item counts for every theme its
    sentences mention), so a theme's count is the items that carry it and the totals are distinct items.
    ``feedback`` has feedback_id and created_at. The latest window ends at ``end`` (default: the day of the
    newest item, never the clock).
    """
    joined = assigned.filter(pl.col("topic_id") >= 0).unique(["feedback_id", "topic_id"]).join(
        feedback.select("feedback_id", pl.col("created_at").dt.date().alias("day")), on="feedback_id"
    )
    if joined.height == 0:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    end = end or joined["day"].max()
    assert isinstance(end, dt.date)
    w_start = end - dt.timedelta(days=config.window_days - 1)
    b_start = w_start - dt.timedelta(days=config.baseline_days)
    window = joined.filter(pl.col("day").is_between(w_start, end))
    baseline = joined.filter((pl.col("day") >= b_start) & (pl.col("day") < w_start))
    w_total, b_total = window["feedback_id"].n_unique(), baseline["feedback_id"].n_unique()
    labels = joined.select("topic_id", "topic_label").unique("topic_id")
    w = window.group_by("topic_id").agg(pl.len().alias("window_count"))
    b = baseline.group_by("topic_id").agg(pl.len().alias("baseline_count"))
    n_themes = labels.height
    rows = []
    for r in labels.join(w, on="topic_id", how="left").join(b, on="topic_id", how="left").iter_rows(named=True):
        wc, bc = int(r["window_count"] or 0), int(r["baseline_count"] or 0)
        # Add-half smoothing keeps a theme that was absent from the baseline testable instead of infinite.
        b_share = (bc + 0.5) / (b_total + 1.0)
        expected = b_share * w_total
        p = float(stats.poisson.sf(wc - 1, expected)) if wc > 0 else 1.0
        lift = (wc / w_total) / b_share if w_total else 0.0
        flagged = bool(
            w_total > 0 and wc >= config.min_volume and lift >= config.min_lift and p * n_themes < config.alpha
        )
        rows.append({
            "topic_id": r["topic_id"], "topic_label": r["topic_label"], "window_start": w_start, "window_end": end,
            "window_count": wc, "window_total": w_total, "window_share": wc / w_total if w_total else 0.0,
            "baseline_count": bc, "baseline_total": b_total, "baseline_share": bc / b_total if b_total else 0.0,
            "expected_count": round(expected, 3), "lift": round(lift, 3), "p_value": p, "flagged": flagged,
        })
    return pl.DataFrame(rows, schema=ALERT_SCHEMA).sort("topic_id")
