"""Theme mentions: the sentences of an item that carry a theme, so one item can carry several themes.

Customers often raise several things in one message ("the app crashes. the agent was lovely."). A single theme
per item hides all but one of them, and a driver model fed one theme per item cannot see the others. Here each
item is split into sentences (short fragments such as "yeah go on" merged into their neighbour), each sentence
is embedded and given the nearest theme centroid when it is similar enough, and the item's themes are the set
of its sentences' themes; its primary theme is the one with the most words.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

import numpy as np
import polars as pl

from voc.topics.model import NO_THEME, OUTLIER, MentionsConfig

__all__ = [
    "SENTENCE_END", "MentionsConfig", "build_mentions", "centroid_similarity", "embed_sentences", "item_themes",
    "items_from_mentions",
    "nearest_themes", "sentence_theme_mentions", "split_sentences", "split_text", "theme_presence",
    "vader_scores",
]

log = logging.getLogger(__name__)

# the sentence boundary of voc.embedding.base.chunk_text: after . ! ? and whitespace, or at line breaks
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def split_text(text: str, *, min_words: int) -> list[str]:
    """The sentences of ``text``; fragments shorter than ``min_words`` words join the previous sentence.

    A short first fragment joins the next sentence; a text with no sentence of ``min_words`` words is one
    sentence. Every word of the text is kept, in order.
    """
    if min_words < 1:
        raise ValueError(f"split_text: min_words must be at least 1, got {min_words}")
    parts = [s.strip() for s in SENTENCE_END.split(text) if s and s.strip()]
    out: list[str] = []
    pending = ""                       # short fragments seen before the first full sentence
    for part in parts:
        if len(part.split()) >= min_words or not out:
            if out or len((pending + " " + part).split()) >= min_words:
                out.append(f"{pending} {part}".strip())
                pending = ""
            else:
                pending = f"{pending} {part}".strip()
        else:
            out[-1] = f"{out[-1]} {part}"
    if pending:                        # the whole text is shorter than min_words
        out.append(pending)
    return out


def split_sentences(items: pl.DataFrame, *, min_words: int) -> pl.DataFrame:
    """One row per sentence: ``feedback_id``, ``sentence_no`` (Int32, from 0), ``sentence``, ``n_words``.

    ``items`` has ``feedback_id`` and ``text``; items with null or blank text have no sentences. Sorted by
    feedback_id, sentence_no.
    """
    for col in ("feedback_id", "text"):
        if col not in items.columns:
            raise ValueError(f"split_sentences: input lacks the column {col!r}")
    ids: list[str] = []
    nos: list[int] = []
    sents: list[str] = []
    for fid, text in items.select("feedback_id", "text").iter_rows():
        if text is None or not text.strip():
            continue
        for k, s in enumerate(split_text(text, min_words=min_words)):
            ids.append(fid)
            nos.append(k)
            sents.append(s)
    frame = pl.DataFrame(
        {"feedback_id": ids, "sentence_no": nos, "sentence": sents},
        schema={"feedback_id": pl.String, "sentence_no": pl.Int32, "sentence": pl.String},
    )
    return frame.with_columns(
        pl.col("sentence").str.split(" ").list.len().cast(pl.Int32).alias("n_words")
    ).sort("feedback_id", "sentence_no")


def embed_sentences(
    sentences: pl.DataFrame, embedder: Any, *, cache: pl.DataFrame | None = None, batch_size: int = 128,
    show_progress: bool = True,
) -> tuple[np.ndarray, Any]:
    """Unit-length vectors of ``sentences`` (``split_sentences``' table), one row each in its order, and the
    ``voc.embedding.embed_texts`` result (its ``cache`` and ``n_embedded``). Sentences are keyed
    ``feedback_id#sentence_no`` and never chunked."""
    from voc.embedding import embed_texts, embeddings_matrix

    keyed = sentences.select(pl.format("{}#{}", "feedback_id", "sentence_no").alias("feedback_id"),
                             pl.col("sentence").alias("text"))
    res = embed_texts(keyed, embedder, cache=cache, batch_size=batch_size, max_words=None,
                      show_progress=show_progress)
    vectors = embeddings_matrix(keyed.select("feedback_id").join(res.embeddings, on="feedback_id", how="left",
                                                                 maintain_order="left"))
    return vectors, res


def nearest_themes(
    embeddings: np.ndarray, centroids: dict[int, np.ndarray], *, min_similarity: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's nearest theme centroid (cosine) and that similarity; -1 where it is below ``min_similarity``.

    Rows and centroids are expected L2-normalised (cosine = dot product). Ties go to the lower theme id.
    """
    n = embeddings.shape[0]
    if not centroids:
        return np.full(n, OUTLIER, dtype=np.int32), np.zeros(n, dtype=np.float32)
    ids = np.array(sorted(centroids), dtype=np.int32)
    matrix = np.stack([centroids[int(i)] for i in ids]).astype(np.float32)
    if matrix.shape[1] != embeddings.shape[1]:
        raise ValueError(f"nearest_themes: embeddings have {embeddings.shape[1]} dims, centroids {matrix.shape[1]}")
    sims = embeddings.astype(np.float32) @ matrix.T
    best = np.argmax(sims, axis=1)                      # first maximum: the lower id on ties
    sim = sims[np.arange(n), best] if n else np.zeros(0, dtype=np.float32)
    topic = np.where(sim >= min_similarity, ids[best] if n else ids[:0], OUTLIER).astype(np.int32)
    return topic, sim.astype(np.float32)


def centroid_similarity(embeddings: np.ndarray, topics: np.ndarray, centroids: dict[int, np.ndarray]) -> np.ndarray:
    """Cosine of each row to the centroid of its own theme (rows and centroids unit length); 0 for outliers."""
    if len(topics) != embeddings.shape[0]:
        raise ValueError(f"centroid_similarity: {embeddings.shape[0]} rows but {len(topics)} topic ids")
    sim = np.zeros(len(topics), dtype=np.float32)
    for topic_id, centroid in centroids.items():
        rows = np.flatnonzero(np.asarray(topics) == topic_id)
        sim[rows] = embeddings[rows].astype(np.float32) @ centroid.astype(np.float32)
    return sim


def sentence_theme_mentions(
    sentences: pl.DataFrame, embeddings: np.ndarray, topics: np.ndarray, info: pl.DataFrame, *,
    sentiment: list[float] | None = None,
) -> pl.DataFrame:
    """The mentions table when the themes were fitted on ``sentences`` (``topics.unit: sentence``): each
    sentence carries its own theme (``topics``, one per row of ``sentences`` and ``embeddings``), with its cosine
    to that theme's centroid; no ``min_similarity`` bar, the fit already decided. See ``build_mentions``."""
    from voc.topics.model import theme_centroids

    sim = centroid_similarity(embeddings, topics, theme_centroids(embeddings, topics))
    return build_mentions(sentences, topics, sim, info, sentiment=sentiment)


def items_from_mentions(
    feedback_ids: pl.Series, mentions: pl.DataFrame, info: pl.DataFrame
) -> tuple[np.ndarray, pl.DataFrame]:
    """Item themes when the themes were fitted on sentences (``topics.unit: sentence``).

    Returns each item's primary theme (``item_themes``; -1 for an item none of whose sentences carries a theme),
    in the order of ``feedback_ids``, and ``info`` with ``count`` recounted as the items whose primary theme it
    is (it counted sentences), with a "(no theme)" row exactly when some item has none. A theme that is no
    item's primary theme keeps its row, with count 0: its sentences are still mentions.
    """
    primary = dict(item_themes(mentions).select("feedback_id", "primary_topic_id").iter_rows())
    topics = np.array([primary.get(fid, OUTLIER) for fid in feedback_ids.to_list()], dtype=np.int32)
    ids, counts = np.unique(topics, return_counts=True)
    count_of = dict(zip(ids.tolist(), counts.tolist(), strict=True))
    if OUTLIER in count_of and OUTLIER not in info["topic_id"].to_list():
        # as topic_table and add_parents write the outlier row; the columns identity adds stay null
        row = {"topic_id": OUTLIER, "topic_label": NO_THEME, "count": 0, "top_words": "", "representative": "",
               "representatives": [], "parent_id": OUTLIER, "parent_label": NO_THEME, "is_new": False}
        known = {k: [v] for k, v in row.items() if k in info.columns}
        outlier = pl.DataFrame(known, schema={k: info.schema[k] for k in known})
        info = pl.concat([outlier, info], how="diagonal").select(info.columns)
    elif OUTLIER not in count_of:      # sentences the fit left without a theme, but every item has one
        info = info.filter(pl.col("topic_id") != OUTLIER)
    recount = pl.Series([count_of.get(t, 0) for t in info["topic_id"].to_list()], dtype=info.schema["count"])
    return topics, info.with_columns(recount.alias("count")).sort("topic_id")


def vader_scores(sentences: list[str]) -> list[float]:
    """VADER compound score in [-1, 1] per sentence (a lexicon baseline: cheap, no model)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    return [float(analyser.polarity_scores(s)["compound"]) for s in sentences]


def build_mentions(
    sentences: pl.DataFrame,
    topic_ids: np.ndarray,
    similarity: np.ndarray,
    info: pl.DataFrame,
    *,
    sentiment: list[float] | None = None,
) -> pl.DataFrame:
    """The theme mentions table: one row per sentence that carries a theme (``topic_id >= 0``).

    Columns: feedback_id, sentence_no, topic_id (Int32), topic_label, theme_key (when ``info`` has it),
    sentence, n_words, similarity (cosine to the theme centroid), sentiment_score (VADER compound, when given).
    Sentences with no theme close enough are not mentions; they are counted in the stage metrics.
    """
    if len(topic_ids) != sentences.height or len(similarity) != sentences.height:
        raise ValueError(f"build_mentions: {sentences.height} sentences but {len(topic_ids)} topic ids")
    frame = sentences.with_columns(
        pl.Series("topic_id", topic_ids, dtype=pl.Int32),
        pl.Series("similarity", np.round(similarity.astype(np.float64), 4), dtype=pl.Float64),
    )
    if sentiment is not None:
        if len(sentiment) != sentences.height:
            raise ValueError(f"build_mentions: {sentences.height} sentences but {len(sentiment)} sentiment scores")
        frame = frame.with_columns(pl.Series("sentiment_score", sentiment, dtype=pl.Float64))
    cols = ["topic_id", "topic_label"] + [c for c in ("theme_key",) if c in info.columns]
    frame = frame.filter(pl.col("topic_id") != OUTLIER).join(info.select(cols), on="topic_id", how="left")
    keep = ["feedback_id", "sentence_no", *cols, "sentence", "n_words", "similarity"]
    keep += ["sentiment_score"] if sentiment is not None else []
    return frame.select(keep).sort("feedback_id", "sentence_no")


def item_themes(mentions: pl.DataFrame) -> pl.DataFrame:
    """Per item with at least one mention: its primary theme and all its themes.

    The primary theme has the most words among the item's mentions (ties: the earliest mention, then the lower
    id). Columns: feedback_id, primary_topic_id (Int32), topic_ids (List(Int32), ascending), n_themes.
    """
    for col in ("feedback_id", "sentence_no", "topic_id", "n_words"):
        if col not in mentions.columns:
            raise ValueError(f"item_themes: mentions lacks the column {col!r}")
    mass = mentions.group_by("feedback_id", "topic_id").agg(
        pl.col("n_words").sum().alias("words"), pl.col("sentence_no").min().alias("first")
    )
    primary = (
        mass.sort(["feedback_id", "words", "first", "topic_id"], descending=[False, True, False, False])
        .unique("feedback_id", keep="first")
        .select("feedback_id", pl.col("topic_id").alias("primary_topic_id"))
    )
    sets = mass.group_by("feedback_id").agg(pl.col("topic_id").sort().alias("topic_ids"))
    return (
        primary.join(sets, on="feedback_id")
        .with_columns(pl.col("topic_ids").list.len().cast(pl.Int32).alias("n_themes"))
        .sort("feedback_id")
    )


def theme_presence(
    topics: pl.DataFrame,
    mentions: pl.DataFrame | None = None,
    *,
    item_theme: Literal["always", "fallback"] = "always",
) -> pl.DataFrame:
    """Multi-label theme membership, one row per (feedback_id, topic_id), for driver models and alerts.

    An item carries every theme it mentions. With ``item_theme="always"`` it also carries its item-level theme
    from ``topics`` (the driver models: nothing an item was filed under is lost). With ``"fallback"`` the
    item-level theme counts only for an item none of whose sentences reached a centroid: a long item whose
    pooled vector landed in a theme that none of its sentences is about then does not count there (the
    emerging-theme alerts: on the sample, 34 chats about the planted app-update theme had pooled into a
    product-quality theme and made it look emerging). Outliers (-1) are left out.
    Columns: feedback_id, topic_id (Int32), topic_label; sorted by feedback_id, topic_id.
    """
    for col in ("feedback_id", "topic_id", "topic_label"):
        if col not in topics.columns:
            raise ValueError(f"theme_presence: topics lacks the column {col!r}")
    parts = [topics.select("feedback_id", pl.col("topic_id").cast(pl.Int32), "topic_label")]
    if mentions is not None:
        for col in ("feedback_id", "topic_id", "topic_label"):
            if col not in mentions.columns:
                raise ValueError(f"theme_presence: mentions lacks the column {col!r}")
        said = mentions.select("feedback_id", pl.col("topic_id").cast(pl.Int32), "topic_label").filter(
            pl.col("topic_id") != OUTLIER
        )
        if item_theme == "fallback":
            parts[0] = parts[0].filter(~pl.col("feedback_id").is_in(said["feedback_id"].unique().implode()))
        parts.append(said)
    return (
        pl.concat(parts)
        .filter(pl.col("topic_id") != OUTLIER)
        .unique(["feedback_id", "topic_id"], keep="first")
        .sort("feedback_id", "topic_id")
    )
