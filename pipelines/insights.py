"""Stage insights: NPS, CSAT and CES with intervals overall, per channel, month and segment; sentiment per theme."""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl

from pipelines._common import setup, timed
from voc.config import load_section
from voc.io import write_json, write_parquet
from voc.metrics import InsightsConfig, net_sentiment, overall_scores, score_table, theme_sentiment

log = logging.getLogger("voc.pipeline.insights")


def main() -> None:
    args, params, base = setup("insights", __doc__ or "")
    cfg = load_section(params, "insights", InsightsConfig)
    root = Path(args.root)
    with timed("insights"):
        feedback = pl.read_parquet(root / "data/interim/feedback.parquet")
        customers = pl.read_parquet(root / "data/interim/customers.parquet")
        topics = pl.read_parquet(root / "data/processed/topics.parquet")
        sentiment = pl.read_parquet(root / "data/processed/sentiment.parquet")
        local = feedback.with_columns(
            pl.col("created_at").dt.convert_time_zone(base.timezone).dt.truncate("1mo").dt.date().alias("month")
        )
        write_parquet(score_table(local, ["channel"], config=cfg), root / "data/processed/scores_by_channel.parquet")
        write_parquet(score_table(local, ["month"], config=cfg), root / "data/processed/scores_by_month.parquet")
        with_seg = local.join(customers.select("customer_id", *cfg.segments), on="customer_id", how="left")
        segs = [
            score_table(with_seg.rename({s: "segment"}), ["segment"], config=cfg)
            .with_columns(pl.lit(s).alias("segment_type"))
            .with_columns(pl.col("segment").cast(pl.String))
            for s in cfg.segments
        ]
        seg_table = pl.concat(segs).select("segment_type", "segment", pl.exclude("segment_type", "segment"))
        write_parquet(seg_table.sort("segment_type", "segment", "metric", nulls_last=True),
                      root / "data/processed/scores_by_segment.parquet")
        themes = theme_sentiment(topics, sentiment)
        write_parquet(themes, root / "data/processed/theme_sentiment.parquet")
        metrics = overall_scores(feedback, config=cfg) | {
            "n_items": feedback.height,
            "net_sentiment": net_sentiment(sentiment),
            "min_n": cfg.min_n,
            "confidence": cfg.confidence,
        }
        write_json(metrics, root / "data/metrics/insights.json")
        log.info("insights: NPS %s on %s responses", metrics["nps"]["value"], metrics["nps"]["n"])


if __name__ == "__main__":
    main()
