import hashlib

import numpy as np
import polars as pl
import pytest

from voc.embedding import Embedder, embed_texts, embeddings_matrix


class FakeEmbedder:
    """Deterministic vectors from the text's hash; counts what it was asked to encode."""

    name = "fake"
    dim = 8

    def __init__(self) -> None:
        self.calls: list[str] = []

    def encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        self.calls.extend(texts)
        out = np.array(
            [np.frombuffer(hashlib.sha256(t.encode()).digest()[: self.dim], dtype=np.uint8) for t in texts],
            dtype=np.float32,
        )
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_fake_satisfies_protocol():
    assert isinstance(FakeEmbedder(), Embedder)


def test_each_text_embedded_once_and_cache_reused():
    items = pl.DataFrame({"feedback_id": ["b", "a", "c", "d"], "text": ["hi", "bill wrong", "hi", None]})
    fake = FakeEmbedder()
    first = embed_texts(items, fake)
    assert sorted(fake.calls) == ["bill wrong", "hi"]
    assert first.embeddings["feedback_id"].to_list() == ["a", "b", "c"]  # null text skipped, sorted by id
    m = embeddings_matrix(first.embeddings)
    assert m.shape == (3, 8)
    np.testing.assert_array_equal(m[1], m[2])  # same text, same vector

    fake2 = FakeEmbedder()
    more = pl.concat([items, pl.DataFrame({"feedback_id": ["e"], "text": ["new one"]})])
    second = embed_texts(more, fake2, cache=first.cache)
    assert fake2.calls == ["new one"]
    assert second.n_embedded == 1 and second.n_from_cache == 3
    np.testing.assert_array_equal(embeddings_matrix(second.embeddings)[:3], m)


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="'text'"):
        embed_texts(pl.DataFrame({"feedback_id": ["a"]}), FakeEmbedder())


def test_wrong_shape_from_embedder_fails_loudly():
    class Broken(FakeEmbedder):
        def encode(self, texts, *, batch_size, show_progress):
            return np.zeros((1, 3), dtype=np.float32)

    with pytest.raises(ValueError, match="returned shape"):
        embed_texts(pl.DataFrame({"feedback_id": ["a", "b"], "text": ["x", "y"]}), Broken())


def test_chunk_text_keeps_sentences_and_every_word():
    from voc.embedding import chunk_text

    text = "One two three. Four five six seven. Eight nine."
    assert chunk_text(text, max_words=20) == [text]
    chunks = chunk_text(text, max_words=4)
    assert chunks == ["One two three.", "Four five six seven.", "Eight nine."]
    long_sentence = " ".join(f"w{i}" for i in range(10))
    assert [len(c.split()) for c in chunk_text(long_sentence, max_words=4)] == [4, 4, 2]
    assert " ".join(chunk_text(long_sentence, max_words=4)).split() == long_sentence.split()


def test_long_texts_are_pooled_not_truncated():
    fake = FakeEmbedder()
    long_text = "Bill wrong. " * 30 + "App crashes."
    res = embed_texts(pl.DataFrame({"feedback_id": ["a"], "text": [long_text]}), fake, max_words=8)
    assert len(fake.calls) > 1 and any("App crashes." in c for c in fake.calls)
    v = embeddings_matrix(res.embeddings)[0]
    assert np.linalg.norm(v) == pytest.approx(1.0, abs=1e-5)
