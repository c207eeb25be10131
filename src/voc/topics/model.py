"""Themes: BERTopic on precomputed embeddings, seeded, with outlier reduction and readable labels."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from voc.topics.alerts import AlertsConfig

log = logging.getLogger(__name__)

OUTLIER = -1


@dataclass(frozen=True)
class TopicsConfig:
    """The ``topics:`` block of params.yaml."""

    min_topic_size: int = 40
    min_samples: int = 10
    n_neighbors: int = 15
    n_components: int = 5
    ngram_max: int = 2
    min_df: int = 3
    top_n_words: int = 10
    label_words: int = 3
    representation: Literal["ctfidf", "keybert", "mmr", "keybert+mmr"] = "keybert+mmr"
    mmr_diversity: float = 0.3
    outlier_strategy: Literal["none", "embeddings", "c-tf-idf", "distributions"] = "embeddings"
    outlier_threshold: float = 0.0
    nr_topics: int | None = None
    extra_stop_words: tuple[str, ...] = field(default_factory=tuple)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)


@dataclass
class TopicResult:
    """A fitted topic model, the raw and final assignment per document, and the topic table."""

    model: Any
    raw_topics: np.ndarray
    topics: np.ndarray
    info: pl.DataFrame


def _vectorizer(config: TopicsConfig, n_docs: int) -> Any:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    stop = sorted(set(ENGLISH_STOP_WORDS) | set(config.extra_stop_words))
    return CountVectorizer(
        stop_words=stop,
        ngram_range=(1, config.ngram_max),
        min_df=min(config.min_df, max(1, n_docs // 50)),
        token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b",
    )


def _representation(config: TopicsConfig) -> Any:
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance

    if config.representation == "ctfidf":
        return None
    if config.representation == "keybert":
        return KeyBERTInspired(top_n_words=config.top_n_words, random_state=42)
    if config.representation == "mmr":
        return MaximalMarginalRelevance(diversity=config.mmr_diversity, top_n_words=config.top_n_words)
    return [
        KeyBERTInspired(top_n_words=config.top_n_words * 2, random_state=42),
        MaximalMarginalRelevance(diversity=config.mmr_diversity, top_n_words=config.top_n_words),
    ]


def fit_topic_model(
    docs: list[str],
    embeddings: np.ndarray,
    *,
    config: TopicsConfig,
    seed: int,
    embedding_model: Any | None = None,
) -> TopicResult:
    """Fit BERTopic on precomputed embeddings; deterministic for a given seed.

    The number of themes comes from the data (HDBSCAN), not from a preset k. Outliers (topic -1) are then
    reassigned to their nearest theme when the similarity allows (``outlier_strategy``); the raw assignment
    is kept so the raw outlier share can be reported. ``embedding_model`` (the same sentence-transformer that
    made ``embeddings``) is needed for the KeyBERT-inspired and MMR labels; without it labels are c-TF-IDF.
    """
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from umap import UMAP

    if len(docs) != embeddings.shape[0]:
        raise ValueError(f"fit_topic_model: {len(docs)} docs but {embeddings.shape[0]} embeddings")
    if len(docs) < max(3 * config.min_topic_size, 20):
        raise ValueError(
            f"fit_topic_model: {len(docs)} documents are too few for min_topic_size={config.min_topic_size}; "
            "lower topics.min_topic_size in params.yaml or add data"
        )
    umap_model = UMAP(
        n_neighbors=config.n_neighbors,
        n_components=config.n_components,
        min_dist=0.0,
        metric="cosine",
        random_state=seed,
        n_jobs=1,
    )
    hdbscan_model = HDBSCAN(
        min_cluster_size=config.min_topic_size,
        min_samples=config.min_samples,
        metric="euclidean",
        cluster_selection_method="eom",
        prediction_data=True,
    )
    representation = _representation(config) if embedding_model is not None else None
    model = BERTopic(
        embedding_model=embedding_model,
        umap_model=umap_model,
        hdbscan_model=hdbscan_model,
        vectorizer_model=_vectorizer(config, len(docs)),
        representation_model=representation,
        top_n_words=config.top_n_words,
        nr_topics=config.nr_topics,
        calculate_probabilities=False,
        verbose=False,
    )
    raw = np.asarray(model.fit_transform(docs, embeddings=embeddings)[0])
    topics = raw.copy()
    if config.outlier_strategy != "none" and (raw == OUTLIER).any() and len(set(raw.tolist()) - {OUTLIER}) > 0:
        kwargs: dict[str, Any] = {"strategy": config.outlier_strategy, "threshold": config.outlier_threshold}
        if config.outlier_strategy == "embeddings":
            kwargs["embeddings"] = embeddings
        topics = np.asarray(model.reduce_outliers(docs, raw.tolist(), **kwargs))
        model.update_topics(
            docs,
            topics=topics.tolist(),
            top_n_words=config.top_n_words,
            vectorizer_model=_vectorizer(config, len(docs)),
            representation_model=representation,
        )
    info = topic_table(model, topics, docs, label_words=config.label_words)
    log.info(
        "themes: %d, raw outlier share %.3f, coverage %.3f",
        info.filter(pl.col("topic_id") != OUTLIER).height,
        float((raw == OUTLIER).mean()),
        float((topics != OUTLIER).mean()),
    )
    return TopicResult(model=model, raw_topics=raw, topics=topics, info=info)


def label_from_words(words: list[str], *, n: int) -> str:
    """A readable label from ranked words: the first ``n`` that are not contained in an earlier one."""
    chosen: list[str] = []
    seen: set[str] = set()
    for w in words:
        tokens = set(w.split())
        if not tokens or tokens & seen:
            continue
        chosen.append(w)
        seen |= tokens
        if len(chosen) == n:
            break
    return " · ".join(chosen) if chosen else "(no words)"


def _representative(docs: list[str], topics: np.ndarray, topic_id: int, model: Any) -> str:
    reps = model.get_representative_docs(topic_id) if hasattr(model, "get_representative_docs") else None
    if reps:
        return min(reps, key=len) if len(reps) > 1 else reps[0]
    idx = np.flatnonzero(topics == topic_id)
    return docs[int(idx[0])] if idx.size else ""


def topic_table(model: Any, topics: np.ndarray, docs: list[str], *, label_words: int) -> pl.DataFrame:
    """One row per theme: id, readable label, document count, top words and a representative verbatim."""
    rows = []
    ids, counts = np.unique(topics, return_counts=True)
    for topic_id, count in zip(ids.tolist(), counts.tolist(), strict=True):
        if topic_id == OUTLIER:
            rows.append((OUTLIER, "(no theme)", count, "", ""))
            continue
        words = [w for w, _ in (model.get_topic(topic_id) or [])]
        rows.append(
            (
                int(topic_id),
                label_from_words(words, n=label_words),
                int(count),
                ", ".join(words),
                _representative(docs, topics, topic_id, model),
            )
        )
    return pl.DataFrame(
        rows,
        schema={
            "topic_id": pl.Int32,
            "topic_label": pl.String,
            "count": pl.Int64,
            "top_words": pl.String,
            "representative": pl.String,
        },
        orient="row",
    ).sort("topic_id")


def assign_topics(feedback_ids: pl.Series, topics: np.ndarray, info: pl.DataFrame) -> pl.DataFrame:
    """The per-item assignment: feedback_id, topic_id, topic_label, sorted by feedback_id."""
    frame = pl.DataFrame({"feedback_id": feedback_ids, "topic_id": pl.Series(topics, dtype=pl.Int32)})
    return frame.join(info.select("topic_id", "topic_label"), on="topic_id", how="left").sort("feedback_id")


def topics_over_time(assigned: pl.DataFrame, feedback: pl.DataFrame) -> pl.DataFrame:
    """Monthly count and share of each theme among the items with text that month."""
    joined = assigned.join(feedback.select("feedback_id", "created_at"), on="feedback_id", how="inner")
    monthly = joined.with_columns(pl.col("created_at").dt.truncate("1mo").dt.date().alias("month"))
    counts = monthly.group_by("month", "topic_id").agg(pl.len().alias("count"))
    totals = monthly.group_by("month").agg(pl.len().alias("total"))
    return (
        counts.join(totals, on="month")
        .with_columns((pl.col("count") / pl.col("total")).alias("share"))
        .select("month", "topic_id", pl.col("count").cast(pl.Int64), "share")
        .sort("month", "topic_id")
    )
