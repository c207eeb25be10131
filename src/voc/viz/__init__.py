"""Plotly figure builders for the reports: each takes frames or dicts and returns a titled Figure whose
title states the finding, computed from the data."""

from voc.viz.churn import churn_theme_hazard_figure, model_quality_figure, risk_distribution_figure
from voc.viz.complaints import (
    backlog_figure,
    root_cause_pareto_figure,
    escalation_paths_figure,
    escalation_trend_figure,
    requester_wait_figure,
    resolution_time_figure,
    sla_by_priority_figure,
    sla_trend_figure,
)
from voc.viz.customer import customer_timeline_figure
from voc.viz.feedback import volume_by_channel_figure
from voc.viz.scores import (
    headline_scores_figure,
    score_trend_figure,
    score_trends_figure,
    scores_by_channel_figure,
    sentiment_gauge_figure,
)
from voc.viz.themes import (
    solicited_unsolicited_figure,
    theme_hierarchy_figure,
    theme_sentiment_figure,
    theme_sentiment_over_time_figure,
    top_themes_figure,
    topics_over_time_figure,
)

__all__ = [
    "solicited_unsolicited_figure",
    "theme_hierarchy_figure",
    "theme_sentiment_over_time_figure",
    "backlog_figure",
    "churn_theme_hazard_figure",
    "customer_timeline_figure",
    "root_cause_pareto_figure",
    "score_trends_figure",
    "escalation_paths_figure",
    "escalation_trend_figure",
    "requester_wait_figure",
    "headline_scores_figure",
    "model_quality_figure",
    "resolution_time_figure",
    "risk_distribution_figure",
    "score_trend_figure",
    "scores_by_channel_figure",
    "sentiment_gauge_figure",
    "sla_by_priority_figure",
    "sla_trend_figure",
    "theme_sentiment_figure",
    "top_themes_figure",
    "topics_over_time_figure",
    "volume_by_channel_figure",
]
