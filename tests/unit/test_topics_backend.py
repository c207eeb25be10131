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

    cfg = TopicsConfig(umap_spectral_max_items=1000)
    assert make_reducer(cfg, seed=1).init == "spectral"
    assert make_reducer(cfg, seed=1, n_items=1000).init == "spectral"
    assert make_reducer(cfg, seed=1, n_items=1001).init == "pca"
