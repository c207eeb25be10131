"""voc.metrics: NPS/CSAT/CES with intervals and tests, per group; sentiment and drivers per theme."""

from voc.metrics.drivers import DriverResult, ols_hc3, relative_weights, theme_drivers
from voc.metrics.scores import (
    Estimate,
    InsightsConfig,
    compare_scores,
    holm_adjust,
    mean_estimate,
    net_sentiment,
    nps_estimate,
    overall_scores,
    proportion_estimate,
    score_counts,
    score_table,
    theme_sentiment,
)

__all__ = [
    "DriverResult",
    "Estimate",
    "InsightsConfig",
    "compare_scores",
    "holm_adjust",
    "mean_estimate",
    "net_sentiment",
    "nps_estimate",
    "ols_hc3",
    "overall_scores",
    "proportion_estimate",
    "relative_weights",
    "score_counts",
    "score_table",
    "theme_drivers",
    "theme_sentiment",
]
