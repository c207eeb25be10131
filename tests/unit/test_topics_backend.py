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
    rare = _vectorizer(TopicsConfig(min_df=3), items + ["zebra crossing"])
    assert "zebra" not in rare.vocabulary   # in one item only: below min_df
    with pytest.raises(ValueError, match="min_df"):
        _vectorizer(TopicsConfig(min_df=3, extra_stop_words=("late", "invoice", "copy", "needed", "router", "keeps",
                                                            "dropping", "light", "red", "reset", "failed")),
                    items)
