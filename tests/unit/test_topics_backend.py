"""The topics stage hands BERTopic an embedder of any backend (KeyBERT-inspired labels need one)."""

import numpy as np
from bertopic.backend import BaseEmbedder

from voc.topics import bertopic_embedder


class _Fixed:
    """A stand-in for the ONNX / model2vec embedders: no ``model`` attribute, only ``encode``."""

    name = "fixed"
    dim = 3

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        self.calls.append(texts)
        return np.tile(np.array([[0.6, 0.8, 0.0]], dtype=np.float32), (len(texts), 1))


def test_backend_without_a_sentence_transformer_is_wrapped_for_bertopic():
    inner = _Fixed()
    wrapped = bertopic_embedder(inner)
    assert isinstance(wrapped, BaseEmbedder)
    out = wrapped.embed(["late bill", "rude agent"])
    assert out.shape == (2, 3) and inner.calls == [["late bill", "rude agent"]]


def test_sentence_transformer_backend_passes_its_model_through():
    class _ST(_Fixed):
        model = object()

    st = _ST()
    assert bertopic_embedder(st) is st.model


def test_umap_starts_from_pca_only_past_the_spectral_limit():
    from voc.topics import TopicsConfig
    from voc.topics.model import make_reducer

    assert make_reducer(TopicsConfig(), seed=1, n_items=10).init == "pca"   # default: always PCA (reproducible)
    cfg = TopicsConfig(umap_spectral_max_items=1000)
    assert make_reducer(cfg, seed=1).init == "spectral"
    assert make_reducer(cfg, seed=1, n_items=1000).init == "spectral"
    assert make_reducer(cfg, seed=1, n_items=1001).init == "pca"


def test_ctfidf_vocabulary_counts_items_not_themes():
    """BERTopic fits the vectorizer on one joined document per theme; min_df must still count items, so a word
    said in many items of only one theme stays in the vocabulary (and two themes never trip sklearn's min_df)."""
    import pytest

    from voc.topics import TopicsConfig
    from voc.topics.model import _vectorizer

    items = ["late invoice again", "invoice copy needed", "where is my invoice", "router keeps dropping",
             "router light red", "router reset failed"] * 20
    vec = _vectorizer(TopicsConfig(min_df=3), items)
    vec.fit(["late invoice again invoice copy needed", "router keeps dropping router light red"])  # two themes
    assert {"invoice", "router", "late invoice"} <= set(vec.vocabulary_)
    vec.fit(["invoice copy needed router keeps dropping"])   # items joined: no bigram across their boundary
    assert "copy needed" in vec.vocabulary_ and "needed router" not in vec.vocabulary_
    words = _vectorizer(TopicsConfig(min_df=3), ["I want to check the cancellation fee"] * 3).vocabulary
    assert "cancellation fee" in words and "want check" not in words and "check" in words  # adjacent words only
    assert not {"want to", "the", "to check"} & set(words)
    negated = _vectorizer(TopicsConfig(min_df=1), ["The card did n't arrive", "My refund didn't arrive"]).vocabulary
    assert "did arrive" not in negated and "card" in negated and not {"didnt", "didn", "nt"} & set(negated)
    rare = _vectorizer(TopicsConfig(min_df=3), items + ["zebra crossing"])
    assert "zebra" not in rare.vocabulary   # in one item only: below min_df
    with pytest.raises(ValueError, match="min_df"):
        _vectorizer(TopicsConfig(min_df=3, extra_stop_words=("late", "invoice", "copy", "needed", "router", "keeps",
                                                            "dropping", "light", "red", "reset", "failed")),
                    items)


def test_ctfidf_vocabulary_is_the_text_bertopic_scores():
    """BERTopic strips punctuation from its theme documents but not from texts it scores later: every word of our
    vocabulary must occur in the cleaned texts (an absent one got an infinite idf and broke the fit)."""
    from voc.topics import TopicsConfig
    from voc.topics.model import _vectorizer, bertopic_clean

    items = ["stay up-to-date with the e-mail newsletter", "up-to-date e-mail please", "XX/XX/2019 account XXXX",
             "account closed XX/XX/XXXX"] * 3
    vec = _vectorizer(TopicsConfig(min_df=3), items)
    counts = vec.fit_transform([bertopic_clean(" ".join(items))]).toarray().ravel()
    assert (counts > 0).all(), [w for w, c in zip(vec.get_feature_names_out(), counts, strict=True) if c == 0]
    assert {"uptodate", "email", "account"} <= set(vec.vocabulary) and not any("xx" in w for w in vec.vocabulary)


def test_theme_words_drop_a_plural_their_singular_already_says():
    """ "invoice · invoices · download" reads as one word said twice: the plural goes, the next word moves up.
    Words without their singular in the vocabulary, verb forms and plurals with their own sense stay."""
    from voc.topics.model import PluralDedupe, plural_singulars

    vocab = ["invoice", "invoices", "fee", "fees", "penalty", "penalties", "news", "new", "goods", "good", "status",
             "refunds", "cancelled", "cancel", "cancellation penalty", "cancellation penalties"]
    singular = plural_singulars(vocab)
    assert singular == {"invoices": "invoice", "fees": "fee", "penalties": "penalty"}
    topics = {0: [("invoice", 0.9), ("invoices", 0.8), ("download", 0.7), ("fees", 0.6), ("fee", 0.5), ("view", 0.4)],
              1: [("cancellation penalty", 0.9), ("cancellation penalties", 0.8), ("penalties", 0.7), ("news", 0.6),
                  ("new", 0.5), ("", 1e-5), ("", 1e-5)]}
    out = PluralDedupe(singular, top_n_words=3).extract_topics(None, None, None, topics)
    assert [w for w, _ in out[0]] == ["invoice", "download", "fees"]
    assert [w for w, _ in PluralDedupe(singular).extract_topics(None, None, None, topics)[1]] == [
        "cancellation penalty", "penalties", "news", "new", "", ""]
    assert out[0][1] == ("download", 0.7)   # weights as c-TF-IDF gave them


def test_theme_words_keep_what_customers_write_about():
    """sklearn's English stop list holds "bill", "call", "interest" and "amount": they stay theme words, while
    function words and contractions do not."""
    from voc.topics import TopicsConfig
    from voc.topics.model import _vectorizer

    items = ["my bill is wrong", "the interest rate went up", "nobody returned my call", "charged the wrong amount",
             "I've been waiting and they don't answer", "they did nothing and it does not work"] * 3
    words = set(_vectorizer(TopicsConfig(min_df=3), items).vocabulary)
    assert {"bill", "interest", "interest rate", "call", "amount", "charged", "wrong amount"} <= words
    assert not {"ive", "dont", "they", "been", "the", "and", "did", "does"} & words


def test_theme_words_lose_accents_not_letters():
    """BERTopic's cleaning would cut "café" to "caf": accents come off first."""
    from voc.topics import TopicsConfig
    from voc.topics.model import _vectorizer

    texts = ["Café naïve résumé", "café naïve", "ﬁx the café"]
    words = set(_vectorizer(TopicsConfig(min_df=2), texts).vocabulary)
    assert {"cafe", "naive", "cafe naive"} <= words and not {"caf", "nave"} & words


def test_a_label_says_each_word_once():
    """Label words share no word with an earlier one, a plural counting as its singular."""
    from voc.topics import label_from_words

    words = ["raised", "monthly price", "price went", "prices", "deal", "warning"]
    assert label_from_words(words, n=3) == "raised · monthly price · prices"
    assert label_from_words(words, n=3, singular={"prices": "price"}) == "raised · monthly price · deal"
    assert label_from_words([], n=3) == "(no words)"
