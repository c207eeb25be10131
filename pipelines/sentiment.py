"""Stage sentiment: a score in [-1, 1] and a label per feedback item with text."""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl

from pipelines._common import setup, timed
from voc.config import load_section
from voc.embedding import embeddings_matrix
from voc.io import write_json, write_parquet
from voc.sentiment import SentimentConfig, score_sentiment

log = logging.getLogger("voc.pipeline.sentiment")


def main() -> None:
    args, params, base = setup("sentiment", __doc__ or "")
    cfg = load_section(params, "sentiment", SentimentConfig)
    root = Path(args.root)
    with timed("sentiment"):
        feedback = pl.read_parquet(root / "data/interim/feedback.parquet")
        emb = pl.read_parquet(root / "data/interim/embeddings.parquet").sort("feedback_id")
        items = emb.select("feedback_id").join(feedback, on="feedback_id", how="left")
        result = score_sentiment(items, embeddings_matrix(emb), config=cfg, seed=base.seed)
        write_parquet(result.scores, root / "data/processed/sentiment.parquet")
        write_json(result.metrics, root / "data/metrics/sentiment.json")
        log.info("sentiment: %d items scored with %s", result.scores.height, result.metrics["method"])


if __name__ == "__main__":
    main()
