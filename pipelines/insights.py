"""Stage insights: NPS, CSAT and CES with intervals and significance tests per channel, month, segment and
theme; sentiment per theme; theme drivers of NPS."""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl

from pipelines._common import setup, timed
from voc.config import load_section
from voc.io import write_json, write_parquet
from voc.metrics import InsightsConfig, net_sentiment, overall_scores, score_table, theme_drivers, theme_sentiment
from voc.topics.mentions import theme_presence

log = logging.getLogger("voc.pipeline.insights")


def main() -> None:
    args, params, base = setup("insights", __doc__ or "")
    cfg = load_section(params, "insights", InsightsConfig)
    root = Path(args.root)
    out = root / "data/processed"
    with timed("insights"):
        feedback = pl.read_parquet(root / "data/interim/feedback.parquet")
        customers = pl.read_parquet(root / "data/interim/customers.parquet")
        topics = pl.read_parquet(root / "data/processed/topics.parquet")
        sentiment = pl.read_parquet(root / "data/processed/sentiment.parquet")
        local = feedback.with_columns(
            pl.col("created_at").dt.convert_time_zone(base.timezone).dt.truncate("1mo").dt.date().alias("month")
        )
        write_parquet(score_table(local, ["channel"], config=cfg, compare="rest"), out / "scores_by_channel.parquet")
        write_parquet(score_table(local, ["month"], config=cfg, compare="previous"), out / "scores_by_month.parquet")
        with_seg = local.join(customers.select("customer_id", *cfg.segments), on="customer_id", how="left")
        segs = [
            score_table(with_seg.rename({s: "segment"}).with_columns(pl.col("segment").cast(pl.String)),
                        ["segment"], config=cfg, compare="rest")
            .with_columns(pl.lit(s).alias("segment_type"))
            for s in cfg.segments
        ]
        seg_table = pl.concat(segs).select("segment_type", "segment", pl.exclude("segment_type", "segment"))
        write_parquet(seg_table.sort("segment_type", "segment", "metric", nulls_last=True),
                      out / "scores_by_segment.parquet")
        with_theme = local.join(topics.select("feedback_id", "topic_id", "topic_label"), on="feedback_id", how="inner")
        write_parquet(score_table(with_theme, ["topic_id", "topic_label"], config=cfg, compare="rest"),
                      out / "scores_by_theme.parquet")
        write_parquet(theme_sentiment(topics, sentiment), out / "theme_sentiment.parquet")
        mentions_path = root / "data/processed/theme_mentions.parquet"
        mentions = pl.read_parquet(mentions_path) if mentions_path.exists() else None
        presence = theme_presence(topics, mentions)      # every theme an item mentions (multi-label)
        drivers = theme_drivers(feedback, topics, sentiment, config=cfg, seed=base.seed, presence=presence)
        write_parquet(drivers.table, out / "theme_drivers.parquet")
        metrics = overall_scores(feedback, config=cfg) | {
            "n_items": feedback.height,
            "net_sentiment": net_sentiment(sentiment),
            "min_n": cfg.min_n,
            "confidence": cfg.confidence,
            "drivers": drivers.summary | {"multi_label": bool(mentions is not None and mentions.height),
                                          "n_theme_memberships": presence.height},
        }
        write_json(metrics, root / "data/metrics/insights.json")
        log.info("insights: NPS %s on %s responses", metrics["nps"]["value"], metrics["nps"]["n"])


if __name__ == "__main__":
    main()
