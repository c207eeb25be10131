"""Emerging themes: a theme whose share in the latest window rises significantly against its baseline.

For each theme, the count in the latest window is compared with what its share over the baseline window
predicts for the latest window's volume, with a one-sided Poisson test. A theme is flagged only when the
rise is significant after a Bonferroni correction over all themes, large (lift at least ``min_lift``) and
backed by enough items (``min_volume``), so small wobbles in stable themes do not raise alerts.

The counts are of the themes items mention (multi-label, ``voc.topics.mentions.theme_presence``). With
``confirm_filed`` the rise must also hold, by the same test, among the themes the items were filed under (one
per item): a rise carried only by sentences that matched a theme's centroid is not an alert. At 300k items
with the model2vec backend, the planted app-update complaints' "please roll it back." (similarity 0.64 to the
centroid of "rollover · data · soon", a static model's "roll") made that feature-request theme look emerging
(lift 2.06 by mentions; 0.95 by filed theme, p 0.73); the two real alerts rise 22-27 fold by mentions and
72-73 fold by filed theme (benchmarks/results/pipeline.json scale_300000_model2vec_ingest-embed-topics).
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
    confirm_filed: bool = True


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
    "filed_window_count": pl.Int64,
    "filed_lift": pl.Float64,
    "filed_p_value": pl.Float64,
    "flagged": pl.Boolean,
}


def _rise(count: int, b_count: int, w_total: int, b_total: int, *, config: AlertsConfig,
          n_themes: int) -> tuple[float, float, float, bool]:
    """Expected window count from the baseline share, the lift, the one-sided Poisson p-value, and whether the
    rise passes: enough items, a large enough lift, significant after Bonferroni over ``n_themes``."""
    # Add-half smoothing keeps a theme that was absent from the baseline testable instead of infinite.
    b_share = (b_count + 0.5) / (b_total + 1.0)
    expected = b_share * w_total
    p = float(stats.poisson.sf(count - 1, expected)) if count > 0 else 1.0
    lift = (count / w_total) / b_share if w_total else 0.0
    passes = w_total > 0 and count >= config.min_volume and lift >= config.min_lift and p * n_themes < config.alpha
    return expected, lift, p, passes


def _dated(assigned: pl.DataFrame, days: pl.DataFrame) -> pl.DataFrame:
    """One row per (item, theme) with the item's day; outliers (-1) and undated items left out."""
    return assigned.filter(pl.col("topic_id") >= 0).unique(["feedback_id", "topic_id"]).join(days, on="feedback_id")


def _window_counts(joined: pl.DataFrame, w_start: dt.date, end: dt.date,
                   b_start: dt.date) -> tuple[pl.DataFrame, int, int]:
    """Per theme of ``joined`` (``_dated``): its items in the window and in the baseline (columns topic_id,
    window_count, baseline_count), with the distinct items of each period."""
    window = joined.filter(pl.col("day").is_between(w_start, end))
    baseline = joined.filter((pl.col("day") >= b_start) & (pl.col("day") < w_start))
    counts = (
        window.group_by("topic_id").agg(pl.len().alias("window_count"))
        .join(baseline.group_by("topic_id").agg(pl.len().alias("baseline_count")), on="topic_id", how="full",
              coalesce=True)
        .fill_null(0)
    )
    return counts, window["feedback_id"].n_unique(), baseline["feedback_id"].n_unique()


def detect_emerging_themes(
    assigned: pl.DataFrame,
    feedback: pl.DataFrame,
    *,
    config: AlertsConfig,
    end: dt.date | None = None,
    filed: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per theme with the evidence for or against an emerging-theme alert.

    ``assigned`` has feedback_id, topic_id, topic_label: one row per item and theme. It may be multi-label
    (``voc.topics.mentions.theme_presence`` with ``item_theme="fallback"``: an item counts for every theme its
    sentences mention), so a theme's count is the items that carry it and the totals are distinct items.
    ``feedback`` has feedback_id and created_at. The latest window ends at ``end`` (default: the day of the
    newest item, never the clock). ``filed`` (feedback_id, topic_id: each item's own theme) gives the
    ``filed_*`` columns, the same test on the filed themes; with ``config.confirm_filed`` a theme is flagged
    only when that test passes too. Without ``filed`` those columns are null and do not gate.
    """
    days = feedback.select("feedback_id", pl.col("created_at").dt.date().alias("day"))
    joined = _dated(assigned, days)
    if joined.height == 0:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    end = end or joined["day"].max()
    assert isinstance(end, dt.date)
    w_start = end - dt.timedelta(days=config.window_days - 1)
    b_start = w_start - dt.timedelta(days=config.baseline_days)
    counts, w_total, b_total = _window_counts(joined, w_start, end, b_start)
    labels = joined.select("topic_id", "topic_label").unique("topic_id")
    table = labels.join(counts, on="topic_id", how="left").fill_null(0)
    if filed is not None:
        f_counts, f_w_total, f_b_total = _window_counts(_dated(filed.select("feedback_id", "topic_id"), days),
                                                        w_start, end, b_start)
        table = table.join(f_counts.rename({"window_count": "filed_count", "baseline_count": "filed_baseline"}),
                           on="topic_id", how="left").fill_null(0)
    n_themes = labels.height
    rows = []
    for r in table.iter_rows(named=True):
        wc, bc = int(r["window_count"]), int(r["baseline_count"])
        expected, lift, p, flagged = _rise(wc, bc, w_total, b_total, config=config, n_themes=n_themes)
        f_wc = f_lift = f_p = None
        if filed is not None:
            f_wc = int(r["filed_count"])
            _, f_lift, f_p, f_passes = _rise(f_wc, int(r["filed_baseline"]), f_w_total, f_b_total, config=config,
                                             n_themes=n_themes)
            flagged = flagged and (f_passes or not config.confirm_filed)
        rows.append({
            "topic_id": r["topic_id"], "topic_label": r["topic_label"], "window_start": w_start, "window_end": end,
            "window_count": wc, "window_total": w_total, "window_share": wc / w_total if w_total else 0.0,
            "baseline_count": bc, "baseline_total": b_total, "baseline_share": bc / b_total if b_total else 0.0,
            "expected_count": round(expected, 3), "lift": round(lift, 3), "p_value": p,
            "filed_window_count": f_wc, "filed_lift": None if f_lift is None else round(f_lift, 3),
            "filed_p_value": f_p, "flagged": flagged,
        })
    return pl.DataFrame(rows, schema=ALERT_SCHEMA).sort("topic_id")
