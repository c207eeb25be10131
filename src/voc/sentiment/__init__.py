"""voc.sentiment: a score in [-1, 1] and a label per item."""

from voc.sentiment.model import SentimentConfig, SentimentResult, score_sentiment, vader_compound, weak_labels

__all__ = ["SentimentConfig", "SentimentResult", "score_sentiment", "vader_compound", "weak_labels"]
