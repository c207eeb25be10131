"""voc.topics: themes from BERTopic on precomputed embeddings."""

from voc.topics.alerts import AlertsConfig, detect_emerging_themes
from voc.topics.model import (
    OUTLIER,
    TopicResult,
    TopicsConfig,
    assign_topics,
    fit_topic_model,
    label_from_words,
    topic_table,
    topics_over_time,
)

__all__ = [
    "AlertsConfig",
    "detect_emerging_themes",
    "OUTLIER",
    "TopicResult",
    "TopicsConfig",
    "assign_topics",
    "fit_topic_model",
    "label_from_words",
    "topic_table",
    "topics_over_time",
]
