"""Stage topics: BERTopic themes on the precomputed embeddings."""

from __future__ import annotations

import logging
import os
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path("data/cache/numba").resolve()))

import polars as pl  # noqa: E402

from pipelines._common import setup, timed  # noqa: E402
from voc.config import load_section  # noqa: E402
from voc.embedding import embeddings_matrix, load_embedder  # noqa: E402
from voc.io import write_json, write_parquet  # noqa: E402
from voc.topics import (  # noqa: E402
    OUTLIER,
    TopicsConfig,
    assign_topics,
    detect_emerging_themes,
    fit_topic_model,
    topics_over_time,
)

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
        embedder = load_embedder(threads=2)
        result = fit_topic_model(
            docs_frame["text"].to_list(), embeddings_matrix(emb), config=cfg, seed=base.seed,
            embedding_model=getattr(embedder, "model", None),
        )
        assigned = assign_topics(emb["feedback_id"], result.topics, result.info)
        write_parquet(assigned, root / "data/processed/topics.parquet")
        write_parquet(result.info, root / "data/processed/topic_info.parquet")
        write_parquet(topics_over_time(assigned, feedback), root / "data/processed/topics_over_time.parquet")
        alerts = detect_emerging_themes(assigned, feedback, config=cfg.alerts)
        write_parquet(alerts, root / "data/processed/theme_alerts.parquet")
        n = len(result.topics)
        write_json(
            {
                "n_items": n,
                "n_topics": int(result.info.filter(pl.col("topic_id") != OUTLIER).height),
                "raw_outlier_share": round(float((result.raw_topics == OUTLIER).mean()), 4) if n else None,
                "coverage": round(float((result.topics != OUTLIER).mean()), 4) if n else None,
                "n_alerts": int(alerts["flagged"].sum()),
            },
            root / "data/metrics/topics.json",
        )


if __name__ == "__main__":
    main()
