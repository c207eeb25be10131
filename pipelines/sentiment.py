"""Stage sentiment: a score in [-1, 1], a label, an intent and effort / urgency signals per feedback item."""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl

from pipelines._common import setup, timed
from voc.config import load_section
from voc.embedding import embeddings_matrix
from voc.io import write_json, write_parquet
from voc.sentiment import SentimentConfig, detect_intent, score_sentiment

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
        texts = items.sort("feedback_id")["text"].to_list()
        intent = detect_intent(texts, result.scores["sentiment_label"].to_list())
        scores = pl.concat([result.scores, intent], how="horizontal")
        write_parquet(scores, root / "data/processed/sentiment.parquet")
        metrics = result.metrics | {
            "intent_share": {k: round(v, 4) for k, v in
                             scores["intent"].value_counts(normalize=True).sort("intent").iter_rows()},
            "mean_effort_score": round(float(scores["effort_score"].mean() or 0.0), 4),
            "mean_urgency_score": round(float(scores["urgency_score"].mean() or 0.0), 4),
            "share_negative_by_channel": {
                ch: round(float(s), 4) for ch, s in
                scores.join(items.select("feedback_id", "channel"), on="feedback_id")
                .group_by("channel").agg((pl.col("sentiment_label") == "negative").mean()).sort("channel").iter_rows()
            },
        }
        write_json(metrics, root / "data/metrics/sentiment.json")
        log.info("sentiment: %d items scored with %s", scores.height, result.metrics["method"])


if __name__ == "__main__":
    main()
