import numpy as np
import pytest

from voc.sentiment import (
    LABELS,
    SentimentConfig,
    fit_sentiment_classifier,
    lexicon_features,
    macro_f1,
    vader_labels,
)

NEG = ["terrible quality, it broke", "awful fit and cheap fabric", "worst purchase, sending it back"]
NEU = ["it is ok, nothing special", "fine but runs a bit small", "average, the colour is as shown"]
POS = ["love it, great quality", "perfect fit and lovely fabric", "excellent, would buy again"]


def _corpus(k: int) -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for lab, pool in zip(LABELS, (NEG, NEU, POS), strict=True):
        for i in range(k):
            texts.append(f"{pool[i % 3]} item {i}")
            labels.append(lab)
    return texts, np.array(labels)


def test_macro_f1_matches_hand_computation():
    truth = np.array(["negative", "negative", "neutral", "positive"])
    pred = np.array(["negative", "neutral", "neutral", "positive"])
    # negative: P=1 R=.5 F=2/3; neutral: P=.5 R=1 F=2/3; positive: 1
    assert macro_f1(truth, pred) == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)


def test_text_only_classifier_without_embeddings_learns_the_words():
    texts, y = _corpus(12)
    cfg = SentimentConfig(features=("lexicon", "tfidf"), cv_folds=3, min_df=1)
    clf = fit_sentiment_classifier(texts, None, y, config=cfg, seed=0)
    proba = clf.predict_proba(["awful fit and cheap fabric", "love it, great quality"], None)
    assert proba.shape == (2, 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert list(clf.predict(["awful fit and cheap fabric", "love it, great quality"], None)) == ["negative", "positive"]
    assert clf.oof_macro_f1 > 0.8


def test_folds_in_parallel_give_the_same_classifier():
    """n_jobs only changes how many folds are fitted at once: out-of-fold figures and probabilities match."""
    texts, y = _corpus(12)
    emb = np.random.default_rng(3).normal(size=(len(texts), 8))
    fits = [fit_sentiment_classifier(texts, emb, y, seed=0,
                                     config=SentimentConfig(cv_folds=3, min_df=1, n_jobs=n)) for n in (1, 2)]
    assert fits[0].oof_macro_f1 == fits[1].oof_macro_f1
    assert np.array_equal(fits[0].offsets, fits[1].offsets)
    assert np.array_equal(fits[0].predict_proba(texts, emb), fits[1].predict_proba(texts, emb))


def test_embedding_feature_requires_embeddings():
    texts, y = _corpus(6)
    with pytest.raises(ValueError, match="no embeddings were given"):
        fit_sentiment_classifier(texts, None, y, config=SentimentConfig(cv_folds=2), seed=0)


def test_unknown_training_label_is_rejected():
    texts, y = _corpus(6)
    y[0] = "angry"
    with pytest.raises(ValueError, match="unknown labels \\['angry'\\]"):
        fit_sentiment_classifier(texts, None, y, config=SentimentConfig(features=("tfidf",)), seed=0)


def test_lexicon_features_shape_and_ranges():
    feats = lexicon_features(["I do not like it!!! But ok?", "great"])
    assert feats.shape == (2, 9)
    assert feats[0, 4] == pytest.approx(1.0) and feats[0, 6] > 0 and feats[0, 7] > 0
    assert -1 <= feats[1, 0] <= 1 and feats[1, 0] > 0.5


def test_vader_labels_band():
    assert list(vader_labels(np.array([-0.5, 0.0, 0.04, 0.05]), band=0.05)) == [
        "negative", "neutral", "neutral", "positive"]
