"""NPS, CSAT and CES with honest confidence intervals, overall and per group.

- NPS in points (-100..100): % promoters (9-10) minus % detractors (0-6); its standard error comes from the
  multinomial variance of the promoter/passive/detractor shares.
- CSAT: the top-2-box share (4 or 5 on 1-5) in percent, with a Wilson score interval.
- CES: the mean on 1-7 with a t interval.
A minimum-n guard marks groups too small to read (``reliable`` false) rather than hiding them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import polars as pl
from scipy import stats

Metric = Literal["nps", "csat", "ces"]


@dataclass(frozen=True)
class InsightsConfig:
    """The ``insights:`` block of params.yaml."""

    confidence: float = 0.95
    min_n: int = 30
    segments: tuple[str, ...] = ("plan", "region")


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its interval and sample size."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {"value": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high, "n": self.n}


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def nps_estimate(promoters: int, passives: int, detractors: int, *, confidence: float = 0.95) -> Estimate:
    """NPS in points with a normal interval from the multinomial variance (clipped to -100..100)."""
    n = promoters + passives + detractors
    if n == 0:
        return Estimate(None, None, None, 0)
    p, d = promoters / n, detractors / n
    value = p - d
    se = math.sqrt(max(p + d - value**2, 0.0) / n)
    z = _z(confidence)
    return Estimate(
        round(100 * value, 2), round(max(-100.0, 100 * (value - z * se)), 2),
        round(min(100.0, 100 * (value + z * se)), 2), n,
    )


def proportion_estimate(successes: int, n: int, *, confidence: float = 0.95) -> Estimate:
    """A share in percent with a Wilson score interval."""
    if n == 0:
        return Estimate(None, None, None, 0)
    z = _z(confidence)
    phat = successes / n
    denom = 1 + z**2 / n
    centre = (phat + z**2 / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z**2 / (4 * n**2)) / denom
    return Estimate(round(100 * phat, 2), round(100 * (centre - half), 2), round(100 * (centre + half), 2), n)


def mean_estimate(mean: float | None, std: float | None, n: int, *, confidence: float = 0.95) -> Estimate:
    """A mean with a t interval (no interval for n < 2)."""
    if n == 0 or mean is None:
        return Estimate(None, None, None, n)
    if n < 2 or std is None:
        return Estimate(round(mean, 3), None, None, n)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * std / math.sqrt(n)
    return Estimate(round(mean, 3), round(mean - half, 3), round(mean + half, 3), n)


def _check_ranges(feedback: pl.DataFrame) -> None:
    for col, lo, hi in (("nps", 0, 10), ("csat", 1, 5), ("ces", 1, 7)):
        if col not in feedback.columns:
            raise ValueError(f"score columns: feedback lacks the column {col!r}")
        bad = feedback.filter(pl.col(col).is_not_null() & ~pl.col(col).is_between(lo, hi))
        if bad.height:
            row = bad.row(0, named=True)
            raise ValueError(
                f"score columns: {col}={row[col]} is outside {lo}-{hi} for feedback_id {row.get('feedback_id')!r}"
            )


def score_counts(feedback: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Per group: NPS category counts, CSAT top-2-box counts, and CES mean/std/n."""
    _check_ranges(feedback)
    nps, csat, ces = pl.col("nps"), pl.col("csat"), pl.col("ces")
    aggs = [
        (nps >= 9).sum().alias("promoters"),
        nps.is_between(7, 8).sum().alias("passives"),
        (nps <= 6).sum().alias("detractors"),
        (csat >= 4).sum().alias("csat_top2"),
        csat.is_not_null().sum().alias("csat_n"),
        ces.cast(pl.Float64).mean().alias("ces_mean"),
        ces.cast(pl.Float64).std().alias("ces_std"),
        ces.is_not_null().sum().alias("ces_n"),
    ]
    if by:
        return feedback.group_by(by).agg(aggs).sort(by)
    return feedback.select(aggs)


def score_table(feedback: pl.DataFrame, by: list[str], *, config: InsightsConfig) -> pl.DataFrame:
    """Long table: one row per group and metric with value, interval, n and the minimum-n flag."""
    counts = score_counts(feedback, by)
    rows: list[dict[str, object]] = []
    for r in counts.iter_rows(named=True):
        keys = {k: r[k] for k in by}
        ests = {
            "nps": nps_estimate(r["promoters"], r["passives"], r["detractors"], confidence=config.confidence),
            "csat": proportion_estimate(r["csat_top2"], r["csat_n"], confidence=config.confidence),
            "ces": mean_estimate(r["ces_mean"], r["ces_std"], r["ces_n"], confidence=config.confidence),
        }
        for metric, est in ests.items():
            if est.n == 0:
                continue
            rows.append({**keys, "metric": metric, **est.as_dict(), "reliable": est.n >= config.min_n})
    schema = {k: feedback.schema[k] for k in by} | {
        "metric": pl.String, "value": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64,
        "n": pl.Int64, "reliable": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema).sort([*by, "metric"])


def overall_scores(feedback: pl.DataFrame, *, config: InsightsConfig) -> dict[str, dict[str, float | int | None]]:
    """NPS, CSAT and CES over all feedback, as a metrics dict."""
    r = score_counts(feedback, []).row(0, named=True)
    return {
        "nps": nps_estimate(r["promoters"], r["passives"], r["detractors"], confidence=config.confidence).as_dict(),
        "csat": proportion_estimate(r["csat_top2"], r["csat_n"], confidence=config.confidence).as_dict(),
        "ces": mean_estimate(r["ces_mean"], r["ces_std"], r["ces_n"], confidence=config.confidence).as_dict(),
    }


def theme_sentiment(topics: pl.DataFrame, sentiment: pl.DataFrame) -> pl.DataFrame:
    """Per theme: volume, mean sentiment, shares negative/positive and net sentiment (points)."""
    joined = topics.join(sentiment, on="feedback_id", how="inner")
    return (
        joined.group_by("topic_id", "topic_label")
        .agg(
            pl.len().alias("n"),
            pl.col("sentiment_score").mean().alias("mean_sentiment"),
            (pl.col("sentiment_label") == "negative").mean().alias("share_negative"),
            (pl.col("sentiment_label") == "positive").mean().alias("share_positive"),
        )
        .with_columns(
            (100 * (pl.col("share_positive") - pl.col("share_negative"))).round(2).alias("net_sentiment"),
            pl.col("n").cast(pl.Int64),
        )
        .sort("topic_id")
    )


def net_sentiment(sentiment: pl.DataFrame) -> float | None:
    """Percent positive minus percent negative over all scored items."""
    if sentiment.height == 0:
        return None
    s = sentiment["sentiment_label"]
    return round(100 * (float((s == "positive").mean()) - float((s == "negative").mean())), 2)
