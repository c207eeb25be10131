"""voc.topics: themes from BERTopic on precomputed embeddings, with stable keys, a taxonomy and alerts."""

from voc.topics.alerts import AlertsConfig, detect_emerging_themes
from voc.topics.identity import (
    StableThemes,
    Taxonomy,
    apply_taxonomy,
    empty_registry,
    parse_taxonomy,
    stabilise_themes,
    theme_key,
)
from voc.topics.model import (
    NO_THEME,
    OUTLIER,
    IdentityConfig,
    TopicResult,
    TopicsConfig,
    add_parents,
    assign_topics,
    fit_topic_model,
    harmonise_duplicates,
    label_from_words,
    min_cluster_size,
    theme_centroids,
    theme_shares,
    topic_table,
    topics_over_time,
)
from voc.topics.quality import npmi_coherence, topic_diversity

__all__ = [
    "AlertsConfig",
    "IdentityConfig",
    "NO_THEME",
    "OUTLIER",
    "StableThemes",
    "Taxonomy",
    "TopicResult",
    "TopicsConfig",
    "add_parents",
    "apply_taxonomy",
    "assign_topics",
    "detect_emerging_themes",
    "empty_registry",
    "fit_topic_model",
    "harmonise_duplicates",
    "label_from_words",
    "min_cluster_size",
    "npmi_coherence",
    "parse_taxonomy",
    "stabilise_themes",
    "theme_centroids",
    "theme_key",
    "theme_shares",
    "topic_diversity",
    "topic_table",
    "topics_over_time",
]
