"""Stage `complaints`: ticket SLA metrics, complaint aggregates, closed-loop analyses, the follow-up list, and
requester wait and escalation paths from the ticket status history (when ingest has one)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines._common import log, setup, timed
from voc import complaints as c
from voc.config import load_section
from voc.io import write_json, write_parquet, write_text


def _optional(path: Path, what: str) -> pl.DataFrame | None:
    if path.exists():
        return pl.read_parquet(path)
    log.warning("%s not found: %s", path, what)
    return None


def main() -> None:
    args, params, _ = setup("complaints", __doc__ or "")
    cfg = load_section(params, "complaints", c.ComplaintsConfig)
    root = Path(args.root)
    interim, processed = root / "data/interim", root / "data/processed"
    with timed("complaints"):
        tickets = pl.read_parquet(interim / "tickets.parquet")
        feedback = pl.read_parquet(interim / "feedback.parquet")
        customers = pl.read_parquet(interim / "customers.parquet")
        topics = _optional(processed / "topics.parquet", "tickets get no theme")
        sentiment = _optional(processed / "sentiment.parquet", "open tickets get no severity")
        churn = _optional(processed / "churn_scores.parquet", "open tickets get no churn risk")
        themes = c.ticket_topics(feedback, topics) if topics is not None else None
        as_of = c.resolve_as_of(tickets, cfg.as_of)
        metrics, quarantine = c.compute_ticket_metrics(tickets, themes, config=cfg, as_of=as_of)
        events_file = interim / "ticket_events.parquet"
        events = pl.read_parquet(events_file) if events_file.exists() else None
        if events is not None and events.height:
            history, events_quarantine = c.ticket_status_history(events, tickets, as_of=as_of,
                                                                 calendar=cfg.business_calendar)
            quarantine = pl.concat([quarantine, events_quarantine]).sort("source", "record", "field")
        else:
            history = pl.DataFrame(schema=c.HISTORY_SCHEMA)
        metrics = c.add_status_history(metrics, history)
        paths = c.summarise_escalation_paths(metrics)
        follow_up = c.build_follow_up(metrics, feedback, customers, config=cfg, as_of=as_of)
        signals = c.ticket_signals(feedback, sentiment) if sentiment is not None else None
        priority = c.prioritise_open_tickets(metrics, signals, customers, churn, weights=cfg.priority_weights)
        confusion, agreement = c.compare_categories(metrics)
        pareto = c.root_cause_pareto(metrics, customers, as_of=as_of, churn_window_days=cfg.churn_window_days)
        summary = c.summarise_complaints(metrics, as_of=as_of)
        summary["sla_clock"] = cfg.sla_clock
        summary["n_follow_up"] = follow_up.height
        summary["n_quarantined"] = quarantine.height
        summary["service_recovery"] = c.measure_service_recovery(
            metrics, feedback, customers, as_of=as_of, good_csat_min=cfg.good_csat_min,
            window_days=cfg.recovery_window_days,
        )
        summary["category_agreement"] = agreement
        summary["status_history"] = (
            c.summarise_status_history(metrics, paths, n_events=events.height)
            if events is not None and events.height else c.status_history_unavailable(
                f"no ticket event log (data/interim/ticket_events.parquet {'is empty' if events is not None else 'not found'}): "
                "requester wait and escalation paths not measured")
        )
        if any(f is not None for f in (cfg.timely_field, cfg.outcome_field, cfg.handoff_field)):
            outcomes = c.ticket_outcomes(feedback, timely_field=cfg.timely_field, outcome_field=cfg.outcome_field,
                                         handoff_field=cfg.handoff_field, handoff_format=cfg.handoff_format)
            summary["outcomes"] = c.summarise_outcomes(metrics, outcomes)
        chat_files = sorted((root / "data/raw/chats").glob("*.jsonl"))
        if chat_files:
            chats = c.chat_response_times(
                pl.concat([pl.read_ndjson(f) for f in chat_files]).with_columns(
                    pl.col("started_at").str.to_datetime(time_zone="UTC", time_unit="us")
                ),
                target_hours=cfg.chat_first_response_hours,
            )
            summary["chats"] = c.summarise_chats(chats)
            write_parquet(chats, processed / "chat_metrics.parquet")

        write_parquet(metrics, processed / "ticket_metrics.parquet")
        write_parquet(c.summarise_by_month(metrics, as_of=as_of), processed / "complaints_by_month.parquet")
        write_parquet(c.summarise_by_theme(metrics), processed / "complaints_by_theme.parquet")
        write_parquet(c.summarise_by_segment(metrics), processed / "complaints_by_segment.parquet")
        write_parquet(c.summarise_ageing(metrics, buckets_days=cfg.ageing_buckets_days),
                      processed / "backlog_ageing.parquet")
        write_parquet(priority, processed / "ticket_priority.parquet")
        write_parquet(confusion, processed / "category_confusion.parquet")
        write_parquet(pareto, processed / "root_cause_pareto.parquet")
        write_parquet(quarantine, processed / "complaints_quarantine.parquet")
        write_parquet(paths, processed / "escalation_paths.parquet")
        write_text(follow_up.write_csv(), processed / "follow_up.csv")
        write_json(summary, root / "data/metrics/complaints.json")
        log.info(
            "complaints: %d tickets as of %s, %d open, %d quarantined, %d customers to follow up",
            metrics.height, as_of.isoformat(), priority.height, quarantine.height, follow_up.height,
        )


if __name__ == "__main__":
    main()
