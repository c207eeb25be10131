"""Stage topics: themes on the precomputed embeddings, with stable keys, the taxonomy, shares and alerts."""

from __future__ import annotations

import logging
import os
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path("data/cache/numba").resolve()))

import polars as pl  # noqa: E402
import yaml  # noqa: E402

from pipelines._common import setup, timed  # noqa: E402
from voc.config import load_section  # noqa: E402
from voc.embedding import embeddings_matrix, load_embedder  # noqa: E402
from voc.io import write_json, write_parquet  # noqa: E402
from voc.topics import (  # noqa: E402
    OUTLIER,
    TopicsConfig,
    apply_taxonomy,
    assign_topics,
    detect_emerging_themes,
    fit_topic_model,
    npmi_coherence,
    parse_taxonomy,
    stabilise_themes,
    theme_shares,
    topic_diversity,
    topics_over_time,
)
from voc.topics.store import ThemeIndex, save_topic_model  # noqa: E402

log = logging.getLogger("voc.pipeline.topics")


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
        registry = pl.read_parquet(reg_path) if reg_path.exists() else None
        docs, matrix = docs_frame["text"].to_list(), embeddings_matrix(emb)
        embedder = load_embedder(threads=2)
        result = fit_topic_model(
            docs, matrix, config=cfg, seed=base.seed, embedding_model=getattr(embedder, "model", None)
        )
        stable = stabilise_themes(result.topics, result.info, result.centroids, registry,
                                  config=cfg.identity, pinned=taxonomy.pin)
        topics, info, unapplied = apply_taxonomy(stable.topics, stable.info, taxonomy)
        if unapplied:
            log.warning("taxonomy entries for themes absent this run: %s", ", ".join(unapplied))
        assigned = assign_topics(emb["feedback_id"], topics, info)
        write_parquet(assigned, root / "data/processed/topics.parquet")
        write_parquet(info, root / "data/processed/topic_info.parquet")
        write_parquet(topics_over_time(assigned, feedback), root / "data/processed/topics_over_time.parquet")
        customers = pl.read_parquet(root / "data/interim/customers.parquet").select("customer_id", "plan", "region")
        groups = feedback.select("feedback_id", "channel", "customer_id").join(customers, on="customer_id", how="left")
        shares = pl.concat([theme_shares(assigned, groups, by=c) for c in ("channel", "plan", "region")])
        write_parquet(shares, root / "data/processed/topics_by_segment.parquet")
        alerts = detect_emerging_themes(assigned, feedback, config=cfg.alerts)
        write_parquet(alerts, root / "data/processed/theme_alerts.parquet")
        save_topic_model(result.model, ThemeIndex(matrix, topics, info), root / "data/models/topic_model")
        write_parquet(stable.registry, reg_path)
        words = [w.split(", ")[:10] for w in info.filter(pl.col("topic_id") != OUTLIER)["top_words"].to_list()]
        n = len(topics)
        write_json(
            {
                "n_items": n,
                "n_topics": int(info.filter(pl.col("topic_id") != OUTLIER).height),
                "n_parents": int(info.filter(pl.col("topic_id") != OUTLIER)["parent_id"].n_unique()),
                "n_new_themes": int(info["is_new"].sum()),
                "raw_outlier_share": round(float((result.raw_topics == OUTLIER).mean()), 4) if n else None,
                "coverage": round(float((topics != OUTLIER).mean()), 4) if n else None,
                "npmi": round(npmi_coherence(words, docs), 4),
                "diversity": round(topic_diversity(words), 4),
                "n_alerts": int(alerts["flagged"].sum()),
                "taxonomy_unapplied": unapplied,
            },
            root / "data/metrics/topics.json",
        )
        log.info("topics: %d items, %d themes, %d alerts", n, info.height - 1, int(alerts["flagged"].sum()))


if __name__ == "__main__":
    main()
