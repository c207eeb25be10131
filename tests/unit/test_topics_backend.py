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


def test_ctfidf_vocabulary_never_asks_more_themes_than_exist():
    """BERTopic fits the vectorizer on one document per theme: two themes cannot meet min_df=3."""
    from voc.topics import TopicsConfig
    from voc.topics.model import _vectorizer

    cfg = TopicsConfig(min_df=3)
    assert _vectorizer(cfg, 300_000).min_df == 3
    vec = _vectorizer(cfg, 300_000, n_topics=2)
    assert vec.min_df == 2
    vec.fit(["late bill charge again", "bill charge refund please"])  # two theme documents: no error
    assert "charge" in vec.vocabulary_  # ("bill" is one of sklearn's English stop words)
