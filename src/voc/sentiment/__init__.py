"""voc.sentiment: a score in [-1, 1], a label and an intent per item."""

from voc.sentiment.intent import INTENTS, IntentConfig, detect_intent
from voc.sentiment.lexicon import lexicon_features, vader_compound, vader_labels, vader_scores
from voc.sentiment.model import (
    LABELS,
    SentimentClassifier,
    SentimentConfig,
    SentimentResult,
    fit_sentiment_classifier,
    macro_f1,
    score_sentiment,
    weak_labels,
)

__all__ = [
    "INTENTS",
    "LABELS",
    "IntentConfig",
    "SentimentClassifier",
    "SentimentConfig",
    "SentimentResult",
    "detect_intent",
    "fit_sentiment_classifier",
    "lexicon_features",
    "macro_f1",
    "score_sentiment",
    "vader_compound",
    "vader_labels",
    "vader_scores",
    "weak_labels",
]
