"""voc.metrics: NPS/CSAT/CES with intervals, per group, and sentiment per theme."""

from voc.metrics.scores import (
    Estimate,
    InsightsConfig,
    mean_estimate,
    net_sentiment,
    nps_estimate,
    overall_scores,
    proportion_estimate,
    score_table,
    theme_sentiment,
)

__all__ = [
    "Estimate",
    "InsightsConfig",
    "mean_estimate",
    "net_sentiment",
    "nps_estimate",
    "overall_scores",
    "proportion_estimate",
    "score_table",
    "theme_sentiment",
]
