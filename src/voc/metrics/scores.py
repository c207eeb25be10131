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
    min_theme_n: int = 10          # themes with fewer NPS answers get no driver estimate (shown as too small)
    driver_bootstrap: int = 200    # bootstrap resamples for the relative-weight intervals (0: none)
    driver_target: Literal["likelihood", "nps_points"] = "likelihood"  # 0-10 answer, or +100/0/-100
    driver_reference: Literal["median_theme", "average"] = "median_theme"
    solicited_channels: tuple[str, ...] = ("survey",)
    unsolicited_channels: tuple[str, ...] = ("review", "social")


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


Comparison = Literal["none", "previous", "rest"]
_COUNT_KEYS = ("promoters", "passives", "detractors", "csat_top2", "csat_n", "ces_mean", "ces_std", "ces_n")


def _estimates(r: dict[str, object], confidence: float) -> dict[str, Estimate]:
    return {
        "nps": nps_estimate(r["promoters"], r["passives"], r["detractors"], confidence=confidence),  # type: ignore[arg-type]
        "csat": proportion_estimate(r["csat_top2"], r["csat_n"], confidence=confidence),  # type: ignore[arg-type]
        "ces": mean_estimate(r["ces_mean"], r["ces_std"], r["ces_n"], confidence=confidence),  # type: ignore[arg-type]
    }


def compare_scores(a: dict[str, object], b: dict[str, object], metric: Metric) -> tuple[float | None, float | None]:
    """Difference a - b of one metric between two independent groups of counts, with a two-sided p-value.

    NPS: z-test on the difference of two NPS with multinomial variances (points). CSAT: two-proportion
    z-test with the pooled share (percentage points). CES: Welch's t-test on the means. ``a`` and ``b`` are
    rows of ``score_counts``. Returns (None, None) when either side has too few answers (n < 2).
    """
    if metric == "nps":
        na = int(a["promoters"]) + int(a["passives"]) + int(a["detractors"])  # type: ignore[arg-type]
        nb = int(b["promoters"]) + int(b["passives"]) + int(b["detractors"])  # type: ignore[arg-type]
        if na < 2 or nb < 2:
            return None, None
        pa, da = int(a["promoters"]) / na, int(a["detractors"]) / na  # type: ignore[arg-type]
        pb, db = int(b["promoters"]) / nb, int(b["detractors"]) / nb  # type: ignore[arg-type]
        diff = (pa - da) - (pb - db)
        var = (pa + da - (pa - da) ** 2) / na + (pb + db - (pb - db) ** 2) / nb
    elif metric == "csat":
        na, nb = int(a["csat_n"]), int(b["csat_n"])  # type: ignore[arg-type]
        if na < 2 or nb < 2:
            return None, None
        xa, xb = int(a["csat_top2"]), int(b["csat_top2"])  # type: ignore[arg-type]
        diff = xa / na - xb / nb
        pooled = (xa + xb) / (na + nb)
        var = pooled * (1 - pooled) * (1 / na + 1 / nb)
    else:
        na, nb = int(a["ces_n"]), int(b["ces_n"])  # type: ignore[arg-type]
        if na < 2 or nb < 2 or a["ces_std"] is None or b["ces_std"] is None:
            return None, None
        ma, mb = float(a["ces_mean"]), float(b["ces_mean"])  # type: ignore[arg-type]
        va, vb = float(a["ces_std"]) ** 2 / na, float(b["ces_std"]) ** 2 / nb  # type: ignore[arg-type]
        diff = ma - mb
        if va + vb == 0:
            return round(diff, 3), (1.0 if diff == 0 else 0.0)
        dof = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1)) if va and vb else float(na + nb - 2)
        return round(diff, 3), float(2 * stats.t.sf(abs(diff) / math.sqrt(va + vb), dof))
    scale = 100.0
    if var <= 0:
        return round(scale * diff, 2), (1.0 if diff == 0 else 0.0)
    return round(scale * diff, 2), float(2 * stats.norm.sf(abs(diff) / math.sqrt(var)))


def _rest(total: dict[str, object], group: dict[str, object]) -> dict[str, object]:
    """Counts of everyone outside ``group`` (CES mean and std recovered from sums and sums of squares)."""
    out: dict[str, object] = {k: int(total[k]) - int(group[k])  # type: ignore[arg-type]
                              for k in ("promoters", "passives", "detractors", "csat_top2", "csat_n", "ces_n")}
    n_t, n_g, n_r = int(total["ces_n"]), int(group["ces_n"]), int(out["ces_n"])  # type: ignore[arg-type]

    def sums(r: dict[str, object], n: int) -> tuple[float, float]:
        if n == 0:
            return 0.0, 0.0
        m = float(r["ces_mean"])  # type: ignore[arg-type]
        sd = float(r["ces_std"]) if r["ces_std"] is not None else 0.0  # type: ignore[arg-type]
        return m * n, sd**2 * (n - 1) + n * m**2

    (s_t, q_t), (s_g, q_g) = sums(total, n_t), sums(group, n_g)
    if n_r >= 1:
        mean = (s_t - s_g) / n_r
        out["ces_mean"] = mean
        out["ces_std"] = math.sqrt(max((q_t - q_g - n_r * mean**2) / (n_r - 1), 0.0)) if n_r >= 2 else None
    else:
        out["ces_mean"], out["ces_std"] = None, None
    return out


def holm_adjust(p_values: list[float | None]) -> list[float | None]:
    """Holm-Bonferroni adjusted p-values (None stays None): controls the family-wise error rate."""
    idx = sorted((i for i, p in enumerate(p_values) if p is not None), key=lambda i: p_values[i])  # type: ignore[arg-type,return-value]
    m = len(idx)
    out: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, i in enumerate(idx):
        running = max(running, min(1.0, (m - rank) * float(p_values[i])))  # type: ignore[arg-type]
        out[i] = running
    return out


def score_table(
    feedback: pl.DataFrame,
    by: list[str],
    *,
    config: InsightsConfig,
    compare: Comparison = "none",
) -> pl.DataFrame:
    """Long table: one row per group and metric with value, interval, n and the minimum-n flag.

    ``compare="previous"`` tests each group against the one before it in sort order (period over period);
    ``compare="rest"`` tests each group against all other answers (segment vs rest). Both add ``delta``
    (in the metric's units: NPS points, CSAT percentage points, CES scale points), ``p_value``,
    ``p_adjusted`` (Holm, within each metric of the table) and ``significant`` (``p_adjusted`` below
    1 - confidence and both sides at or above the minimum n).
    """
    counts = score_counts(feedback, by)
    total = score_counts(feedback, []).row(0, named=True)
    rows: list[dict[str, object]] = []
    previous: dict[str, object] | None = None
    for r in counts.iter_rows(named=True):
        keys = {k: r[k] for k in by}
        other = previous if compare == "previous" else (_rest(total, r) if compare == "rest" else None)
        for metric, est in _estimates(r, config.confidence).items():
            if est.n == 0:
                continue
            row = {**keys, "metric": metric, **est.as_dict(), "reliable": est.n >= config.min_n}
            if compare != "none":
                delta, p = (None, None) if other is None else compare_scores(r, other, metric)  # type: ignore[arg-type]
                other_n = 0 if other is None else _estimates(other, config.confidence)[metric].n
                row |= {"delta": delta, "p_value": p, "_both_reliable": est.n >= config.min_n and other_n >= config.min_n}
            rows.append(row)
        previous = r
    schema = {k: feedback.schema[k] for k in by} | {
        "metric": pl.String, "value": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64,
        "n": pl.Int64, "reliable": pl.Boolean,
    }
    if compare == "none":
        return pl.DataFrame(rows, schema=schema).sort([*by, "metric"])
    schema |= {"delta": pl.Float64, "p_value": pl.Float64, "_both_reliable": pl.Boolean}
    table = pl.DataFrame(rows, schema=schema)
    adjusted = pl.Series("p_adjusted", [None] * table.height, dtype=pl.Float64)
    if table.height:
        adj = [None] * table.height
        for metric in ("nps", "csat", "ces"):
            where = [i for i, m in enumerate(table["metric"].to_list()) if m == metric]
            for i, a in zip(where, holm_adjust([table["p_value"][i] for i in where]), strict=True):
                adj[i] = a
        adjusted = pl.Series("p_adjusted", adj, dtype=pl.Float64)
    alpha = 1 - config.confidence
    return (
        table.with_columns(adjusted)
        .with_columns(
            pl.lit(compare).alias("comparison"),
            ((pl.col("p_adjusted") < alpha) & pl.col("_both_reliable")).fill_null(False).alias("significant"),
        )
        .drop("_both_reliable")
        .sort([*by, "metric"])
    )


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
