"""Stage `complaints`: ticket SLA metrics, complaint aggregates and the follow-up list."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines._common import log, setup, timed
from voc import complaints as c
from voc.config import load_section
from voc.io import write_json, write_parquet, write_text


def main() -> None:
    args, params, _ = setup("complaints", __doc__ or "")
    cfg = load_section(params, "complaints", c.ComplaintsConfig)
    root = Path(args.root)
    interim, processed = root / "data/interim", root / "data/processed"
    with timed("complaints"):
        tickets = pl.read_parquet(interim / "tickets.parquet")
        feedback = pl.read_parquet(interim / "feedback.parquet")
        customers = pl.read_parquet(interim / "customers.parquet")
        topics_path = processed / "topics.parquet"
        if topics_path.exists():
            themes = c.ticket_topics(feedback, pl.read_parquet(topics_path))
        else:
            log.warning("%s not found: tickets get no theme", topics_path)
            themes = None
        as_of = c.resolve_as_of(tickets, cfg.as_of)
        metrics, quarantine = c.compute_ticket_metrics(tickets, themes, config=cfg, as_of=as_of)
        follow_up = c.build_follow_up(metrics, feedback, customers, config=cfg, as_of=as_of)
        summary = c.summarise_complaints(metrics, as_of=as_of)
        summary["n_follow_up"] = follow_up.height
        summary["n_quarantined"] = quarantine.height

        write_parquet(metrics, processed / "ticket_metrics.parquet")
        write_parquet(c.summarise_by_month(metrics, as_of=as_of), processed / "complaints_by_month.parquet")
        write_parquet(c.summarise_by_theme(metrics), processed / "complaints_by_theme.parquet")
        write_parquet(c.summarise_by_segment(metrics), processed / "complaints_by_segment.parquet")
        write_parquet(quarantine, processed / "complaints_quarantine.parquet")
        write_text(follow_up.write_csv(), processed / "follow_up.csv")
        write_json(summary, root / "data/metrics/complaints.json")
        log.info(
            "complaints: %d tickets as of %s, %d quarantined, %d customers to follow up",
            metrics.height, as_of.isoformat(), quarantine.height, follow_up.height,
        )


if __name__ == "__main__":
    main()
