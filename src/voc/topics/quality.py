"""Theme quality figures: NPMI coherence and topic diversity of each theme's top words; agreement of
multi-label themes with known labels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl


TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z]+\b"   # words of two letters or more, as the NPMI counts them


class CoherenceCorpus:
    """Documents tokenised once for ``npmi_coherence``: a binary document-term matrix of every word and word
    sequence up to ``max_n`` words. For scoring many descriptions against one corpus (a benchmark's methods
    and seeds); one call on a list of documents counts only the words it is asked about."""

    def __init__(self, docs: list[str], *, max_n: int = 2) -> None:
        from scipy import sparse
        from sklearn.feature_extraction.text import CountVectorizer

        self.docs, self.n_docs, self.max_n = docs, len(docs), max_n
        if not docs:
            self.matrix, self.index = sparse.csc_matrix((0, 1)), {}
            return
        vec = CountVectorizer(binary=True, ngram_range=(1, max_n), token_pattern=TOKEN_PATTERN)
        counts = vec.fit_transform(docs).astype(np.float64)
        self.index = vec.vocabulary_    # the last column, all zero, stands for every word the corpus lacks
        self.matrix = sparse.hstack([counts, sparse.csr_matrix((len(docs), 1))]).tocsc()

    def columns(self, vocab: list[str]) -> Any:
        """The binary document columns (sparse, one per word of ``vocab``; all zero for a word absent)."""
        absent = self.matrix.shape[1] - 1
        return self.matrix[:, [self.index.get(w, absent) for w in vocab]]


def npmi_coherence(topic_words: list[list[str]], docs: list[str] | CoherenceCorpus, *, top_n: int = 10) -> float:
    """Mean NPMI (-1..1) over word pairs of each theme's ``top_n`` words, co-occurrence within documents.

    Probabilities are document frequencies in ``docs`` (the corpus the themes came from; a ``CoherenceCorpus``
    of it gives the same figure without tokenising it again). A pair that never co-occurs scores -1. Words
    (unigrams or bigrams) absent from the corpus are skipped. Returns the mean over themes with at least two
    words found; NaN when there is none.
    """
    lists = [[w.lower() for w in words[:top_n] if w] for words in topic_words]
    vocab = sorted({w for words in lists for w in words})
    n_docs = docs.n_docs if isinstance(docs, CoherenceCorpus) else len(docs)
    if not vocab or not n_docs:
        return float("nan")
    max_n = max(len(w.split()) for w in vocab)
    if isinstance(docs, CoherenceCorpus) and max_n <= docs.max_n:
        x = docs.columns(vocab)
    else:
        from sklearn.feature_extraction.text import CountVectorizer

        texts = docs.docs if isinstance(docs, CoherenceCorpus) else docs
        vec = CountVectorizer(vocabulary=vocab, binary=True, ngram_range=(1, max_n), token_pattern=TOKEN_PATTERN)
        x = vec.fit_transform(texts).tocsc().astype(np.float64)
    n = float(n_docs)
    df = np.asarray(x.sum(axis=0)).ravel() / n
    index = {w: i for i, w in enumerate(vocab)}
    scores: list[float] = []
    for words in lists:
        ids = [index[w] for w in dict.fromkeys(words) if df[index[w]] > 0]
        if len(ids) < 2:
            continue
        sub = x[:, ids]
        co = (sub.T @ sub).toarray() / n
        pair_scores = []
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                p_ab = co[a, b]
                if p_ab <= 0:
                    pair_scores.append(-1.0)
                elif p_ab >= 1.0:
                    pair_scores.append(1.0)
                else:
                    pmi = np.log(p_ab / (df[ids[a]] * df[ids[b]]))
                    pair_scores.append(float(pmi / -np.log(p_ab)))
        scores.append(float(np.mean(pair_scores)))
    return float(np.mean(scores)) if scores else float("nan")


def topic_diversity(topic_words: list[list[str]], *, top_n: int = 10) -> float:
    """Share (0..1) of distinct words among all themes' ``top_n`` words; 1 means no word is repeated."""
    words = [w for ws in topic_words for w in ws[:top_n] if w]
    return len(set(words)) / len(words) if words else float("nan")


def majority_labels(topic_ids: Sequence[int], labels: Sequence[str]) -> dict[int, str]:
    """Each theme (not -1) mapped to the label most of its items carry (ties: the label seen first); items
    without a label (None) do not vote."""
    tally: dict[int, Counter[str]] = {}
    for topic, label in zip(topic_ids, labels, strict=True):
        if topic != -1 and label is not None:
            tally.setdefault(int(topic), Counter())[label] += 1
    return {topic: counts.most_common(1)[0][0] for topic, counts in tally.items()}


def label_set_recovery(found: Sequence[set[str]], truth: Sequence[set[str]]) -> dict[str, float]:
    """How well the label sets ``found`` for each item match its true sets ``truth`` (multi-label): precision
    and recall over (item, label) pairs (precision 0 when nothing is found), their F1, ``two_found`` (share of
    the items with two or more true labels of which two or more were found; NaN when no item has two) and
    ``labels_per_item`` (mean size of the found sets)."""
    if len(found) != len(truth):
        raise ValueError(f"label_set_recovery: {len(found)} found sets but {len(truth)} true ones")
    if not found:
        return dict.fromkeys(("precision", "recall", "f1", "two_found", "labels_per_item"), float("nan"))
    hit = sum(len(f & t) for f, t in zip(found, truth, strict=True))
    n_found, n_true = sum(len(f) for f in found), sum(len(t) for t in truth)
    precision = hit / n_found if n_found else 0.0      # nothing found: nothing right
    recall = hit / n_true if n_true else float("nan")
    multi = [len(f & t) >= 2 for f, t in zip(found, truth, strict=True) if len(t) >= 2]
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall > 0 else precision + recall,
        "two_found": float(np.mean(multi)) if multi else float("nan"),
        "labels_per_item": n_found / len(found),
    }


def presence_recovery(topics: pl.DataFrame, presence: pl.DataFrame, primary: Sequence[str | None],
                      truth: Sequence[set[str]]) -> dict[str, float]:
    """``label_set_recovery`` of the themes each item of ``topics`` (feedback_id, topic_id: each item's own
    theme, in the order of ``primary`` and ``truth``) carries in ``presence`` (one row per item and theme, as
    ``voc.topics.mentions.theme_presence`` gives it). Each theme is read as the ``primary`` label most of the
    items filed under it carry (``majority_labels``); a theme without one, and an item with no row, add
    nothing."""
    ids = topics["feedback_id"].to_list()
    stands_for = majority_labels(topics["topic_id"].to_list(), primary)
    found: dict[str, set[str]] = {f: set() for f in ids}
    for f, t in presence.select("feedback_id", "topic_id").iter_rows():
        if f in found and t in stands_for:
            found[f].add(stands_for[t])
    return label_set_recovery([found[f] for f in ids], truth)


def alert_recovery(topics: pl.DataFrame, flagged: Sequence[int], primary: Sequence[str | None],
                   emerging: str) -> dict[str, float | int | bool]:
    """How the emerging-theme alerts match a planted emerging theme. ``topics``: each item's own theme
    (feedback_id, topic_id), in the order of ``primary`` (its first planted theme; None for none); ``flagged``:
    the themes that raised an alert. Each theme is read as the planted theme most of its items carry
    (``majority_labels``). Returns ``flagged`` (themes flagged), ``false_alerts`` (flagged themes that stand for
    another planted theme), ``holder_flagged`` (whether the theme holding most of the emerging theme's items is
    flagged; False when no item carries it) and ``recall`` (share of those items that sit in a flagged theme;
    NaN when none)."""
    ids = topics["topic_id"].to_list()
    if len(ids) != len(primary):
        raise ValueError(f"alert_recovery: {len(ids)} items but {len(primary)} planted themes")
    stands_for = majority_labels(ids, primary)
    flagged = {int(t) for t in flagged}
    holders = Counter(t for t, p in zip(ids, primary, strict=True) if p == emerging)
    n_emerging = sum(holders.values())
    return {
        "flagged": len(flagged),
        "false_alerts": sum(stands_for.get(t) != emerging for t in flagged),
        "holder_flagged": bool(holders) and holders.most_common(1)[0][0] in flagged,
        "recall": sum(n for t, n in holders.items() if t in flagged) / n_emerging if n_emerging else float("nan"),
    }
