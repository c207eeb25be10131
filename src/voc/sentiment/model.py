"""Sentiment per item: a calibrated classifier trained on weak labels from ratings, VADER as the baseline.

Rated feedback (stars, NPS, CSAT) says how the customer felt; its text teaches a classifier that then scores
the unrated channels (tickets, social, chat, email, calls). The classifier reads three blocks of features:

- the sentence embedding (meaning, carries across wording),
- lexicon features (VADER's polarity scores and a few cues: negations, contrasts, !, ?),
- TF-IDF word n-grams (the in-domain vocabulary: "runs small", "charged twice").

A multinomial logistic regression with balanced classes is fitted on them; its out-of-fold probabilities are
calibrated by a small multinomial regression on their logs (so probabilities match observed frequencies),
and two class offsets are tuned on the same out-of-fold predictions to maximise macro-F1 (so the minority
neutral class is not swallowed). Where too few rated items exist, the stage falls back to VADER and says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

from voc.sentiment.lexicon import lexicon_features, vader_compound, vader_labels, vader_scores

log = logging.getLogger(__name__)

LABELS = ("negative", "neutral", "positive")
Method = Literal["auto", "classifier", "vader"]
Feature = Literal["embedding", "lexicon", "tfidf"]

__all__ = [
    "LABELS", "SentimentClassifier", "SentimentConfig", "SentimentResult", "fit_sentiment_classifier",
    "macro_f1", "score_sentiment", "vader_compound", "vader_labels", "weak_labels",
]


@dataclass(frozen=True)
class SentimentConfig:
    """The ``sentiment:`` block of params.yaml."""

    method: Method = "auto"
    min_labelled_per_class: int = 50
    holdout_fraction: float = 0.2
    C: float = 1.0
    vader_neutral_band: float = 0.05
    features: tuple[Feature, ...] = ("embedding", "lexicon", "tfidf")
    lexicon_weight: float = 1.0      # scale of the lexicon block against the unit-norm embedding
    ngram_max: int = 2
    min_df: int = 2
    max_tfidf_features: int = 50000
    cv_folds: int = 5                # out-of-fold predictions for calibration and the macro-F1 offsets
    tune_offsets: bool = True
    n_jobs: int = 2                  # folds fitted at once (threads; the same result for any value)


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

    exprs = [band(col, lo, hi) for col, lo, hi in (("stars", 2, 3), ("nps", 6, 8), ("csat", 2, 3))
             if col in feedback.columns]
    if not exprs:
        return pl.Series("weak_label", [None] * feedback.height, dtype=pl.String)
    return feedback.select(pl.coalesce(exprs).alias("weak_label")).to_series()


def macro_f1(truth: np.ndarray, pred: np.ndarray, *, labels: tuple[str, ...] = LABELS) -> float:
    """Unweighted mean of per-class F1 over ``labels`` (a class absent from both scores 0)."""
    scores = []
    for lab in labels:
        tp = float(np.sum((pred == lab) & (truth == lab)))
        fp = float(np.sum((pred == lab) & (truth != lab)))
        fn = float(np.sum((pred != lab) & (truth == lab)))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def _tune_offsets(proba: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Log-offsets per class (positive fixed at 0) that maximise macro-F1 of argmax(log p + offset)."""
    logp = np.log(np.clip(proba, 1e-9, 1.0))
    grid = np.round(np.arange(-1.5, 1.51, 0.1), 2)
    best, best_off = -1.0, np.zeros(3)
    lab = np.asarray(LABELS)
    for a in grid:
        for b in grid:
            off = np.array([a, b, 0.0])
            score = macro_f1(truth, lab[np.argmax(logp + off, axis=1)])
            # ties go to the smaller adjustment, so the offsets stay at 0 unless they help
            if score > best + 1e-9 or (abs(score - best) <= 1e-9 and np.abs(off).sum() < np.abs(best_off).sum()):
                best, best_off = score, off
    return best_off


@dataclass
class _Fitted:
    vectorizer: object | None
    model: object


@dataclass
class SentimentClassifier:
    """A fitted classifier: features -> balanced logistic regression -> calibration -> macro-F1 offsets."""

    config: SentimentConfig
    fitted: _Fitted
    calibrator: object
    offsets: np.ndarray
    oof_macro_f1: float
    classes: tuple[str, ...] = field(default=LABELS)

    def predict_proba(self, texts: list[str], embeddings: np.ndarray | None, *,
                      vader: np.ndarray | None = None) -> np.ndarray:
        """Calibrated probabilities, shape (n, 3), columns in ``LABELS`` order."""
        raw = _predict_raw(self.fitted, texts, embeddings, vader, self.config)
        return self.calibrator.predict_proba(np.log(np.clip(raw, 1e-9, 1.0)))  # type: ignore[attr-defined]

    def predict(self, texts: list[str], embeddings: np.ndarray | None, *,
                vader: np.ndarray | None = None) -> np.ndarray:
        """Labels: argmax of the calibrated log-probabilities plus the tuned class offsets."""
        return label_from_proba(self.predict_proba(texts, embeddings, vader=vader), self.offsets)


def label_from_proba(proba: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The label per row: argmax of log p + offsets, in ``LABELS`` order."""
    return np.asarray(LABELS)[np.argmax(np.log(np.clip(proba, 1e-9, 1.0)) + offsets, axis=1)]


def _dense(texts: list[str], embeddings: np.ndarray | None, vader: np.ndarray | None,
           config: SentimentConfig) -> np.ndarray | None:
    blocks = []
    if "embedding" in config.features:
        if embeddings is None:
            raise ValueError("sentiment.features includes 'embedding' but no embeddings were given")
        blocks.append(np.asarray(embeddings, dtype=np.float64))
    if "lexicon" in config.features:
        blocks.append(config.lexicon_weight * lexicon_features(texts, vader=vader))
    return np.hstack(blocks) if blocks else None


def _fit_raw(texts: list[str], embeddings: np.ndarray | None, vader: np.ndarray | None, y: np.ndarray,
             config: SentimentConfig, seed: int) -> _Fitted:
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    dense = _dense(texts, embeddings, vader, config)
    vectorizer = None
    blocks: list[object] = [] if dense is None else [sp.csr_matrix(dense, dtype=np.float32)]
    if "tfidf" in config.features:
        vectorizer = TfidfVectorizer(ngram_range=(1, config.ngram_max), min_df=config.min_df,
                                     max_features=config.max_tfidf_features, sublinear_tf=True, dtype=np.float32,
                                     strip_accents="unicode", lowercase=True)
        blocks.append(vectorizer.fit_transform(texts))
    if not blocks:
        raise ValueError("sentiment.features is empty: choose at least one of embedding, lexicon, tfidf")
    X = sp.hstack(blocks, format="csr", dtype=np.float32)
    model = LogisticRegression(C=config.C, class_weight="balanced", max_iter=3000, random_state=seed)
    model.fit(X, y)
    if tuple(model.classes_) != LABELS:
        raise ValueError(f"sentiment: training labels {list(model.classes_)} must cover {list(LABELS)}")
    return _Fitted(vectorizer, model)


def _predict_raw(fitted: _Fitted, texts: list[str], embeddings: np.ndarray | None, vader: np.ndarray | None,
                 config: SentimentConfig) -> np.ndarray:
    import scipy.sparse as sp

    dense = _dense(texts, embeddings, vader, config)
    blocks: list[object] = [] if dense is None else [sp.csr_matrix(dense, dtype=np.float32)]
    if fitted.vectorizer is not None:
        blocks.append(fitted.vectorizer.transform(texts))  # type: ignore[attr-defined]
    return fitted.model.predict_proba(sp.hstack(blocks, format="csr", dtype=np.float32))  # type: ignore[attr-defined]


def fit_sentiment_classifier(
    texts: list[str],
    embeddings: np.ndarray | None,
    labels: np.ndarray,
    *,
    config: SentimentConfig,
    seed: int,
    vader: np.ndarray | None = None,
) -> SentimentClassifier:
    """Fit the classifier on labelled texts (labels in ``LABELS``), with out-of-fold calibration.

    ``embeddings`` is row-aligned with ``texts`` (None when the config uses no embedding block);
    ``vader`` optionally passes precomputed ``vader_scores`` to save time.
    """
    from joblib import Parallel, delayed
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(labels).astype(str)
    bad = sorted(str(x) for x in set(labels.tolist()) - set(LABELS))
    if bad:
        raise ValueError(f"fit_sentiment_classifier: unknown labels {bad}; expected {list(LABELS)}")
    if len(texts) != labels.size or (embeddings is not None and embeddings.shape[0] != labels.size):
        raise ValueError("fit_sentiment_classifier: texts, embeddings and labels must have the same length")
    vader = vader_scores(texts) if vader is None and "lexicon" in config.features else vader
    counts = {lab: int((labels == lab).sum()) for lab in LABELS}
    folds = max(2, min(config.cv_folds, min(counts.values())))
    oof = np.zeros((labels.size, 3))
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)

    def fold(train: np.ndarray, test: np.ndarray | None) -> tuple[np.ndarray | None, object]:
        """Fit on ``train``; with ``test``, return its out-of-fold probabilities, else the fitted model."""
        sub = _fit_raw([texts[i] for i in train], None if embeddings is None else embeddings[train],
                       None if vader is None else vader[train], labels[train], config, seed)
        if test is None:
            return None, sub
        return test, _predict_raw(sub, [texts[i] for i in test], None if embeddings is None else embeddings[test],
                                  None if vader is None else vader[test], config)

    # The final fit on every item and the folds are independent jobs (the largest first), run in threads: the
    # time goes to scipy's sparse products, which release the GIL. Results do not depend on n_jobs.
    jobs = [(np.arange(labels.size), None), *skf.split(np.zeros(labels.size), labels)]
    done = Parallel(n_jobs=max(1, config.n_jobs), prefer="threads")(delayed(fold)(tr, te) for tr, te in jobs)
    fitted = done[0][1]
    for test, proba in done[1:]:
        oof[test] = proba
    logp = np.log(np.clip(oof, 1e-9, 1.0))
    calibrator = LogisticRegression(C=100.0, max_iter=2000)
    calibrator.fit(logp, labels)
    cal = calibrator.predict_proba(logp)
    offsets = _tune_offsets(cal, labels) if config.tune_offsets else np.zeros(3)
    oof_f1 = macro_f1(labels, label_from_proba(cal, offsets))
    log.info("sentiment classifier: %d labelled items %s, out-of-fold macro-F1 %.3f, offsets %s",
             labels.size, counts, oof_f1, offsets.round(2).tolist())
    return SentimentClassifier(config=config, fitted=fitted, calibrator=calibrator, offsets=offsets,
                               oof_macro_f1=oof_f1)


def score_sentiment(
    items: pl.DataFrame,
    embeddings: np.ndarray,
    *,
    config: SentimentConfig,
    seed: int,
) -> SentimentResult:
    """Score each item in [-1, 1] (calibrated P(positive) - P(negative)) with a label.

    ``items`` has ``feedback_id``, ``text`` and the rating columns, row-aligned with ``embeddings``.
    The classifier is evaluated on a stratified held-out split of the rated items against VADER before it
    is refitted on all of them; both macro-F1 figures go into the metrics.
    """
    from sklearn.model_selection import train_test_split

    for col in ("feedback_id", "text"):
        if col not in items.columns:
            raise ValueError(f"score_sentiment: items lack the column {col!r}")
    if items.height != embeddings.shape[0]:
        raise ValueError(f"score_sentiment: {items.height} items but {embeddings.shape[0]} embeddings")
    empty = items.filter(pl.col("text").is_null() | (pl.col("text").str.strip_chars() == ""))
    if empty.height:
        raise ValueError(f"score_sentiment: feedback_id {empty['feedback_id'][0]!r} has an empty text")
    texts = items["text"].to_list()
    vader = vader_scores(texts)
    compound = vader[:, 0]
    weak = weak_labels(items).to_numpy()
    rated = np.flatnonzero(np.array([w is not None for w in weak], dtype=bool))
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
                                  "rated_per_class": counts, "features": list(config.features)}
    if method == "vader":
        if config.method == "auto":
            log.warning("sentiment: too few rated items per class (%s); falling back to VADER", counts)
            metrics["fallback_reason"] = f"fewer than {config.min_labelled_per_class} rated items in a class"
        score = compound
        label = vader_labels(compound, band=config.vader_neutral_band)
    else:
        y = weak[rated].astype(str)
        train_idx, test_idx = train_test_split(rated, test_size=config.holdout_fraction, random_state=seed,
                                               stratify=y)
        clf = fit_sentiment_classifier([texts[i] for i in train_idx], embeddings[train_idx],
                                       weak[train_idx].astype(str), config=config, seed=seed,
                                       vader=vader[train_idx])
        pred = clf.predict([texts[i] for i in test_idx], embeddings[test_idx], vader=vader[test_idx])
        truth = weak[test_idx].astype(str)
        metrics["holdout"] = {
            "n": int(test_idx.size),
            "macro_f1_classifier": round(macro_f1(truth, pred), 4),
            "macro_f1_vader": round(macro_f1(truth, vader_labels(compound[test_idx],
                                                                 band=config.vader_neutral_band)), 4),
        }
        clf = fit_sentiment_classifier([texts[i] for i in rated], embeddings[rated], weak[rated].astype(str),
                                       config=config, seed=seed, vader=vader[rated])
        metrics["oof_macro_f1"] = round(clf.oof_macro_f1, 4)
        metrics["offsets"] = [round(float(o), 2) for o in clf.offsets]
        proba = clf.predict_proba(texts, embeddings, vader=vader)
        score = proba[:, 2] - proba[:, 0]
        label = label_from_proba(proba, clf.offsets)
    scores = pl.DataFrame(
        {
            "feedback_id": items["feedback_id"],
            "sentiment_score": np.clip(score, -1.0, 1.0).round(6),
            "sentiment_label": label.astype(str),
            "vader_compound": compound.round(6),
            "weak_label": [None if w is None else str(w) for w in weak],
        },
        schema_overrides={"weak_label": pl.String},
    ).sort("feedback_id")
    for lab in LABELS:
        metrics[f"share_{lab}"] = round(float((scores["sentiment_label"] == lab).mean()), 4) if scores.height else 0.0
    return SentimentResult(scores=scores, metrics=metrics)
