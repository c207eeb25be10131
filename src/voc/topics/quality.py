"""Theme quality figures: NPMI coherence and topic diversity of each theme's top words."""

from __future__ import annotations

import numpy as np


def npmi_coherence(topic_words: list[list[str]], docs: list[str], *, top_n: int = 10) -> float:
    """Mean NPMI (-1..1) over word pairs of each theme's ``top_n`` words, co-occurrence within documents.

    Probabilities are document frequencies in ``docs`` (the corpus the themes came from). A pair that never
    co-occurs scores -1. Words (unigrams or bigrams) absent from the corpus are skipped. Returns the mean over
    themes with at least two words found; NaN when there is none.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    lists = [[w.lower() for w in words[:top_n] if w] for words in topic_words]
    vocab = sorted({w for words in lists for w in words})
    if not vocab or not docs:
        return float("nan")
    max_n = max(len(w.split()) for w in vocab)
    vec = CountVectorizer(
        vocabulary=vocab, binary=True, ngram_range=(1, max_n), token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b"
    )
    x = vec.fit_transform(docs).tocsc().astype(np.float64)
    n = float(len(docs))
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
