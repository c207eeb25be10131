import numpy as np
import polars as pl
import pytest

from voc.sentiment import SentimentConfig, score_sentiment, weak_labels


def test_weak_labels_prefer_stars_then_nps_then_csat():
    fb = pl.DataFrame({"stars": [1, None, None, None, 3], "nps": [10, 9, None, None, None],
                       "csat": [5, 1, 2, None, None]})
    assert weak_labels(fb).to_list() == ["negative", "positive", "negative", None, "neutral"]


def _rated_items(n_per_class: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    rows, vecs = [], []
    centres = {"negative": np.eye(4)[0], "neutral": np.eye(4)[1], "positive": np.eye(4)[2]}
    stars = {"negative": 1, "neutral": 3, "positive": 5}
    text = {"negative": "terrible awful service", "neutral": "it arrived", "positive": "great lovely thanks"}
    for lab in centres:
        for i in range(n_per_class):
            rows.append({"feedback_id": f"{lab}{i:03d}", "text": text[lab], "stars": stars[lab]})
            vecs.append(centres[lab] + rng.normal(0, 0.1, 4))
    rows.append({"feedback_id": "unrated", "text": "terrible awful service", "stars": None})
    vecs.append(centres["negative"])
    return pl.DataFrame(rows), np.array(vecs)


def test_classifier_learns_from_ratings_and_scores_unrated_items():
    items, emb = _rated_items(60)
    res = score_sentiment(items, emb, config=SentimentConfig(min_labelled_per_class=50, cv_folds=3), seed=1)
    assert res.metrics["method"] == "classifier"
    assert res.metrics["holdout"]["macro_f1_classifier"] > 0.9
    un = res.scores.filter(pl.col("feedback_id") == "unrated").row(0, named=True)
    assert un["sentiment_label"] == "negative" and un["sentiment_score"] < -0.5
    assert res.scores["sentiment_score"].is_between(-1, 1).all()
    assert res.scores["feedback_id"].is_sorted()


def test_falls_back_to_vader_when_too_few_ratings_and_says_so():
    items, emb = _rated_items(5)
    res = score_sentiment(items, emb, config=SentimentConfig(min_labelled_per_class=50), seed=1)
    assert res.metrics["method"] == "vader" and "fallback_reason" in res.metrics
    pos = res.scores.filter(pl.col("feedback_id") == "positive000").row(0, named=True)
    assert pos["sentiment_label"] == "positive"


def test_forced_classifier_without_data_fails_loudly():
    items, emb = _rated_items(5)
    with pytest.raises(ValueError, match="at least 50 per class"):
        score_sentiment(items, emb, config=SentimentConfig(method="classifier"), seed=1)


def test_scores_carry_vader_and_weak_label_columns_and_metrics_name_the_features():
    items, emb = _rated_items(60)
    res = score_sentiment(items, emb, config=SentimentConfig(min_labelled_per_class=50, cv_folds=3), seed=1)
    assert {"vader_compound", "weak_label"} <= set(res.scores.columns)
    assert res.metrics["features"] == ["embedding", "lexicon", "tfidf"]
    assert res.scores.filter(pl.col("feedback_id") == "unrated")["weak_label"].to_list() == [None]
    shares = sum(res.metrics[f"share_{lab}"] for lab in ("negative", "neutral", "positive"))
    assert shares == pytest.approx(1.0, abs=1e-3)


def test_empty_text_is_rejected_with_its_id():
    items = pl.DataFrame({"feedback_id": ["a", "b"], "text": ["fine", "  "], "stars": [5, 1]})
    with pytest.raises(ValueError, match="feedback_id 'b' has an empty text"):
        score_sentiment(items, np.zeros((2, 4)), config=SentimentConfig(), seed=0)


def test_row_count_mismatch_is_rejected():
    items = pl.DataFrame({"feedback_id": ["a"], "text": ["fine"], "stars": [5]})
    with pytest.raises(ValueError, match="1 items but 2 embeddings"):
        score_sentiment(items, np.zeros((2, 4)), config=SentimentConfig(), seed=0)
