"""BERTopic's KeyBERT-inspired theme words, adapted to the texts the themes stage hands BERTopic.

A module of its own because importing BERTopic is slow; ``voc.topics.model`` imports it only when the
KeyBERT-inspired representation is asked for.
"""

from __future__ import annotations

from typing import Any

from bertopic.representation import KeyBERTInspired

from voc.topics.model import ITEM_END


class KeyBERTOnTexts(KeyBERTInspired):
    """KeyBERT-inspired words computed on the texts as written: ``ITEM_END`` (see ``voc.topics.model``) is taken
    off before BERTopic re-embeds representative texts. ``then``: a further step run on its words (e.g. the
    plural dedupe), so that this step can stay BERTopic's single representation model, the only way BERTopic
    hands it the precomputed item embeddings."""

    def __init__(self, then: Any = None, top_n_words: int = 10, nr_repr_docs: int = 5, nr_samples: int = 500,
                 nr_candidate_words: int = 100, random_state: int = 42) -> None:
        super().__init__(top_n_words=top_n_words, nr_repr_docs=nr_repr_docs, nr_samples=nr_samples,
                         nr_candidate_words=nr_candidate_words, random_state=random_state)
        self.then = then

    def extract_topics(self, topic_model: Any, documents: Any, c_tf_idf: Any, topics: Any,
                       embeddings: Any = None) -> Any:
        texts = documents.assign(Document=documents["Document"].str.removesuffix(ITEM_END))
        out = super().extract_topics(topic_model, texts, c_tf_idf, topics, embeddings)
        return out if self.then is None else self.then.extract_topics(topic_model, texts, c_tf_idf, out)
