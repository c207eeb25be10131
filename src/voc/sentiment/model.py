"""Sentiment per item: a calibrated classifier trained on weak labels from ratings, VADER as the baseline.

Rated feedback (stars, NPS, CSAT) says how the customer felt; its text and embedding teach a classifier
that then scores the unrated channels (tickets, social, chat, email, calls). Where too few rated items
exist, the stage falls back to VADER and says so in its metrics.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

log = logging.getLogger(__name__)

LABELS = ("negative", "neutral", "positive")
Method = Literal["auto", "classifier", "vader"]


@dataclass(frozen=True)
class SentimentConfig:
    """The ``sentiment:`` block of params.yaml."""

    method: Method = "auto"
    min_labelled_per_class: int = 50
    holdout_fraction: float = 0.2
    C: float = 1.0
    vader_neutral_band: float = 0.05


@dataclass
class SentimentResult:
    """Scores per item and an honest account of how they were made."""

    scores: pl.DataFrame
    metrics: dict[str, object]


def weak_labels(feedback: pl.DataFrame) -> pl.Series:
    """A sentiment label from the customer's own rating: stars, else NPS, else CSAT; null when unrated.

    stars 1-2 / 3 / 4-5; NPS 0-6 / 7-8 / 9-10; CSAT 1-2 / 3 / 4-5 -> negative / neutral / positive.
    """
    def band(col: str, neg_max: int, neu_max: int) -> pl.Expr:
        c = pl.col(col)
        return (
            pl.when(c.is_null()).then(None)
            .when(c <= neg_max).then(pl.lit("negative"))
            .when(c <= neu_max).then(pl.lit("neutral"))
            .otherwise(pl.lit("positive"))
        )

    exprs = [band(col, lo, hi) for col, lo, hi in (("stars", 2, 3), ("nps", 6, 8), ("csat", 2, 3)) if col in feedback.columns]
    if not exprs:
        return pl.Series("weak_label", [None] * feedback.height, dtype=pl.String)
    return feedback.select(pl.coalesce(exprs).alias("weak_label")).to_series()


def vader_compound(texts: list[str]) -> np.ndarray:
    """VADER's compound score in [-1, 1] per text (a lexicon baseline; no training)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return np.array([analyzer.polarity_scores(t)["compound"] for t in texts], dtype=np.float64)


def vader_labels(compound: np.ndarray, *, band: float) -> np.ndarray:
    """VADER's conventional thresholds: compound >= band positive, <= -band negative, else neutral."""
    return np.where(compound >= band, "positive", np.where(compound <= -band, "negative", "neutral"))


def _features(embeddings: np.ndarray, compound: np.ndarray) -> np.ndarray:
    return np.hstack([embeddings, compound.reshape(-1, 1)]).astype(np.float64)


def _classifier(C: float, seed: int) -> object:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    base = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, random_state=seed)
    return CalibratedClassifierCV(base, method="sigmoid", cv=3)


def score_sentiment(
    items: pl.DataFrame,
    embeddings: np.ndarray,
    *,
    config: SentimentConfig,
    seed: int,
) -> SentimentResult:
    """Score each item in [-1, 1] (P(positive) - P(negative)) with a label.

    ``items`` has ``feedback_id``, ``text`` and the rating columns, row-aligned with ``embeddings``.
    The classifier is evaluated on a stratified held-out split of the rated items against VADER before it
    is refitted on all of them; both macro-F1 figures go into the metrics.
    """
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split

    if items.height != embeddings.shape[0]:
        raise ValueError(f"score_sentiment: {items.height} items but {embeddings.shape[0]} embeddings")
    texts = items["text"].to_list()
    compound = vader_compound(texts)
    weak = weak_labels(items).to_numpy()
    rated = np.flatnonzero(np.array([w is not None for w in weak]))
    counts = {lab: int((weak[rated] == lab).sum()) for lab in LABELS}
    enough = min(counts.values()) >= config.min_labelled_per_class
    method = config.method
    if method == "auto":
        method = "classifier" if enough else "vader"
    if method == "classifier" and not enough:
        raise ValueError(
            f"sentiment.method=classifier but the rated items per class are {counts}; at least "
            f"{config.min_labelled_per_class} per class are needed (or set sentiment.method: auto)"
        )
    metrics: dict[str, object] = {"method": method, "n_items": items.height, "n_rated": int(rated.size),
                                  "rated_per_class": counts}
    if method == "vader":
        log.warning("sentiment: too few rated items per class (%s); falling back to VADER", counts)
        score = compound
        label = vader_labels(compound, band=config.vader_neutral_band)
        metrics["fallback_reason"] = f"fewer than {config.min_labelled_per_class} rated items in a class"
    else:
        X = _features(embeddings, compound)
        y = weak[rated].astype(str)
        train_idx, test_idx = train_test_split(
            rated, test_size=config.holdout_fraction, random_state=seed, stratify=y
        )
        clf = _classifier(config.C, seed)
        clf.fit(X[train_idx], weak[train_idx].astype(str))
        pred = clf.predict(X[test_idx])
        truth = weak[test_idx].astype(str)
        metrics["holdout"] = {
            "n": int(test_idx.size),
            "macro_f1_classifier": round(float(f1_score(truth, pred, average="macro")), 4),
            "macro_f1_vader": round(
                float(f1_score(truth, vader_labels(compound[test_idx], band=config.vader_neutral_band), average="macro")), 4
            ),
        }
        clf = _classifier(config.C, seed)
        clf.fit(X[rated], weak[rated].astype(str))
        proba = clf.predict_proba(X)
        classes = list(clf.classes_)
        p = {lab: proba[:, classes.index(lab)] for lab in LABELS}
        score = p["positive"] - p["negative"]
        label = np.array(LABELS)[np.argmax(np.column_stack([p[lab] for lab in LABELS]), axis=1)]
    scores = pl.DataFrame(
        {
            "feedback_id": items["feedback_id"],
            "sentiment_score": np.clip(score, -1.0, 1.0).round(6),
            "sentiment_label": label.astype(str),
            "vader_compound": compound.round(6),
        }
    ).sort("feedback_id")
    shares = scores["sentiment_label"].value_counts(normalize=True)
    for lab in LABELS:
        hit = shares.filter(pl.col("sentiment_label") == lab)
        metrics[f"share_{lab}"] = round(float(hit["proportion"][0]), 4) if hit.height else 0.0
    return SentimentResult(scores=scores, metrics=metrics)
