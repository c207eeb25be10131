"""Stage topics: themes on the precomputed embeddings, with stable keys, the taxonomy, shares and alerts."""

from __future__ import annotations

import logging
import os
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path("data/cache/numba").resolve()))
# numba's own thread pool, not OpenMP: with its OpenMP layer, the encoder (torch, also OpenMP) that runs after UMAP
# in the same process (the sentence mentions) was once seen creating ~2,000 threads a second and running 20 times
# slower (tests/conftest.py says where)
os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import yaml  # noqa: E402

from pipelines._common import setup, timed  # noqa: E402
from pipelines.embed import EmbedConfig  # noqa: E402
from voc.config import load_section  # noqa: E402
from voc.embedding import Embedder, embeddings_matrix, load_embedder  # noqa: E402
from voc.embedding.base import hash_texts  # noqa: E402
from voc.io import write_json, write_parquet  # noqa: E402
from voc.topics import (  # noqa: E402
    bertopic_embedder,
    OUTLIER,
    TopicsConfig,
    apply_taxonomy,
    assign_topics,
    detect_emerging_themes,
    fit_topic_model,
    npmi_coherence,
    parse_taxonomy,
    registry_for_unit,
    stabilise_themes,
    theme_centroids,
    theme_shares,
    topic_diversity,
    topics_over_time,
)
from voc.topics.mentions import (  # noqa: E402
    MentionsConfig,
    build_mentions,
    embed_sentences,
    item_themes,
    items_from_mentions,
    nearest_themes,
    sentence_theme_mentions,
    split_sentences,
    theme_presence,
    vader_scores,
)
from voc.topics.store import ThemeIndex, save_topic_model  # noqa: E402

log = logging.getLogger("voc.pipeline.topics")


def _sentence_vectors(root: Path, mcfg: MentionsConfig, sentences: pl.DataFrame,
                      embedder: Embedder) -> tuple[np.ndarray, int]:
    """Unit-length vectors of ``sentences`` (one row each) and how many had to be embedded; the sentence cache
    (data/cache/sentence_embeddings.parquet) keeps the vectors of these sentences only."""
    cache_path = root / "data/cache/sentence_embeddings.parquet"
    caches = [pl.read_parquet(p) for p in (root / "data/cache/embeddings.parquet", cache_path) if p.exists()]
    cache = pl.concat(caches).unique(["model", "text_hash"], keep="first") if caches else None
    vectors, res = embed_sentences(sentences, embedder, cache=cache, batch_size=mcfg.batch_size)
    hashes = hash_texts(sentences["sentence"]).unique().implode()
    write_parquet(res.cache.filter(pl.col("text_hash").is_in(hashes)).sort("model", "text_hash"), cache_path)
    return vectors, res.n_embedded


def _mention_stats(sentences: pl.DataFrame, mentions: pl.DataFrame, n_items: int,
                   n_embedded: int) -> dict[str, object]:
    """The mention figures for topics.json."""
    per_item = item_themes(mentions)
    stats: dict[str, object] = {
        "n_sentences": sentences.height,
        "n_mentions": mentions.height,
        "sentences_embedded": n_embedded,
        "sentence_coverage": round(mentions.height / sentences.height, 4) if sentences.height else None,
        "items_with_mention": per_item.height,
        "mean_themes_per_item": round(float(per_item["n_themes"].sum()) / n_items, 4) if n_items else None,
        "multi_theme_share": round(float((per_item["n_themes"] > 1).sum()) / n_items, 4) if n_items else None,
    }
    log.info("mentions: %d sentences (%d embedded), %d mentions, %.2f themes per item", sentences.height,
             n_embedded, mentions.height, stats["mean_themes_per_item"] or 0.0)
    return stats


def _mentions(root: Path, cfg: TopicsConfig, docs_frame: pl.DataFrame, matrix: np.ndarray, topics: np.ndarray,
              info: pl.DataFrame, embedder: Embedder,
              backend: str) -> tuple[pl.DataFrame | None, dict[str, object] | None]:
    """Theme mentions per sentence (data/processed/theme_mentions.parquet) of item-level themes: each sentence
    takes the nearest theme centroid when it is close enough.

    Returns the mentions (None when they are disabled) and their figures for topics.json."""
    mcfg = cfg.mentions
    sentences = split_sentences(docs_frame if mcfg.enabled else docs_frame.clear(), min_words=mcfg.min_words)
    if not mcfg.enabled:                 # an empty table, so insights falls back to one theme per item
        empty = np.zeros(0, dtype=np.int32)
        write_parquet(build_mentions(sentences, empty, empty.astype(np.float32), info, sentiment=[]),
                      root / "data/processed/theme_mentions.parquet")
        return None, None
    vectors, n_embedded = _sentence_vectors(root, mcfg, sentences, embedder)
    bar = mcfg.bar(backend)
    ids, sim = nearest_themes(vectors, theme_centroids(matrix, topics), min_similarity=bar)
    mentions = build_mentions(sentences, ids, sim, info, sentiment=vader_scores(sentences["sentence"].to_list()))
    write_parquet(mentions, root / "data/processed/theme_mentions.parquet")
    return mentions, {**_mention_stats(sentences, mentions, docs_frame.height, n_embedded), "min_similarity": bar}


def main() -> None:
    args, params, base = setup("topics", __doc__ or "")
    cfg = load_section(params, "topics", TopicsConfig)
    root = Path(args.root)
    with timed("topics"):
        feedback = pl.read_parquet(root / "data/interim/feedback.parquet")
        emb = pl.read_parquet(root / "data/interim/embeddings.parquet").sort("feedback_id")
        docs_frame = emb.select("feedback_id").join(
            feedback.select("feedback_id", "text"), on="feedback_id", how="left"
        )
        if docs_frame["text"].null_count():
            raise ValueError("topics: embeddings.parquet holds ids that feedback.parquet lacks; rerun embed")
        tax_path = root / "taxonomy.yaml"
        taxonomy = parse_taxonomy(
            yaml.safe_load(tax_path.read_text(encoding="utf-8")) if tax_path.exists() else None, source=str(tax_path)
        )
        reg_path = root / "data/models/theme_registry.parquet"
        registry = registry_for_unit(pl.read_parquet(reg_path), cfg.unit) if reg_path.exists() else None
        docs, matrix = docs_frame["text"].to_list(), embeddings_matrix(emb)
        # the embed stage's backend: mention sentences must land in the same vector space as the items
        ecfg = load_section(params, "embed", EmbedConfig)
        embedder = load_embedder(ecfg.backend, threads=ecfg.threads, cache_dir=root / "data/models/embedders",
                                 precision=ecfg.precision)
        if cfg.unit == "sentence":       # the themes are fitted on the sentences; items carry what they mention
            sentences = split_sentences(docs_frame, min_words=cfg.mentions.min_words)
            unit_matrix, n_embedded = _sentence_vectors(root, cfg.mentions, sentences, embedder)
            unit_docs = sentences["sentence"].to_list()
        else:
            unit_docs, unit_matrix = docs, matrix
        result = fit_topic_model(unit_docs, unit_matrix, config=cfg, seed=base.seed,
                                 embedding_model=bertopic_embedder(embedder))
        stable = stabilise_themes(result.topics, result.info, result.centroids, registry,
                                  config=cfg.identity, pinned=taxonomy.pin)
        unit_topics, info, unapplied = apply_taxonomy(stable.topics, stable.info, taxonomy)
        if unapplied:
            log.warning("taxonomy entries for themes absent this run: %s", ", ".join(unapplied))
        if cfg.unit == "sentence":
            mentions = sentence_theme_mentions(sentences, unit_matrix, unit_topics, info,
                                               sentiment=vader_scores(unit_docs))
            write_parquet(mentions, root / "data/processed/theme_mentions.parquet")
            mention_stats = _mention_stats(sentences, mentions, docs_frame.height, n_embedded)
            topics, info = items_from_mentions(emb["feedback_id"], mentions, info)
        else:
            topics = unit_topics
            mentions, mention_stats = _mentions(root, cfg, docs_frame, matrix, topics, info, embedder,
                                                    ecfg.backend)
        assigned = assign_topics(emb["feedback_id"], topics, info)
        write_parquet(assigned, root / "data/processed/topics.parquet")
        write_parquet(info, root / "data/processed/topic_info.parquet")
        # an item counts for the themes its sentences mention (its pooled theme only when none is mentioned), in
        # the trends, the segments and the alerts alike
        presence = theme_presence(assigned, mentions, item_theme="fallback")
        write_parquet(topics_over_time(assigned, feedback, presence), root / "data/processed/topics_over_time.parquet")
        customers = pl.read_parquet(root / "data/interim/customers.parquet").select("customer_id", "plan", "region")
        groups = feedback.select("feedback_id", "channel", "customer_id").join(customers, on="customer_id", how="left")
        shares = pl.concat([theme_shares(assigned, groups, by=c, presence=presence)
                            for c in ("channel", "plan", "region")])
        write_parquet(shares, root / "data/processed/topics_by_segment.parquet")
        alerts = detect_emerging_themes(presence, feedback, config=cfg.alerts, filed=assigned)
        write_parquet(alerts, root / "data/processed/theme_alerts.parquet")
        save_topic_model(result.model, ThemeIndex(unit_matrix, unit_topics, info), root / "data/models/topic_model")
        write_parquet(stable.registry.with_columns(pl.lit(cfg.unit).alias("unit")), reg_path)
        words = [w.split(", ")[:10] for w in info.filter(pl.col("topic_id") != OUTLIER)["top_words"].to_list()]
        n = len(topics)
        write_json(
            {
                "n_items": n,
                "unit": cfg.unit,            # what the themes were fitted on: items, or their sentences
                "n_units": len(unit_docs),
                "n_topics": int(info.filter(pl.col("topic_id") != OUTLIER).height),
                "n_parents": int(info.filter(pl.col("topic_id") != OUTLIER)["parent_id"].n_unique()),
                "n_leaf_themes": result.n_leaf_themes,  # HDBSCAN's themes before the silhouette cut merged any
                "cluster_selection": result.cluster_selection,  # eom, or leaf where eom left one giant theme
                "merge_silhouette": None if result.merge_silhouette is None else round(result.merge_silhouette, 4),
                "parent_silhouette": None if result.parent_silhouette is None else round(result.parent_silhouette, 4),
                "n_new_themes": int(info["is_new"].sum()),
                # of the units fitted; coverage is of the items
                "raw_outlier_share": round(float((result.raw_topics == OUTLIER).mean()), 4) if n else None,
                "coverage": round(float((topics != OUTLIER).mean()), 4) if n else None,
                "npmi": round(npmi_coherence(words, docs), 4),
                "diversity": round(topic_diversity(words), 4),
                "n_alerts": int(alerts["flagged"].sum()),
                "alerts_basis": ("items per theme mentioned" if mentions is not None else "items per item theme")
                + (", confirmed by the filed themes" if cfg.alerts.confirm_filed else ""),
                "taxonomy_unapplied": unapplied,
                "mentions": mention_stats,
            },
            root / "data/metrics/topics.json",
        )
        log.info("topics: %d items, %d themes, %d alerts", n, int(info.filter(pl.col("topic_id") != OUTLIER).height),
                 int(alerts["flagged"].sum()))


if __name__ == "__main__":
    main()
