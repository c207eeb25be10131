"""Ingest of the ticket status history (kind ``ticket_events``): contract, quarantine, optional source."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from voc.config import build
from voc.ingest import IngestConfig, IngestError, run_ingest
from voc.schemas import validate_table

HEADER = "ticket_id,event_id,at,actor,public,status_to,group\n"
GOOD = [
    "T1,T1-001,2026-03-02T09:00:00Z,customer,true,new,L1",
    "T1,T1-002,2026-03-02T09:00:30Z,bot,true,,",
    "T1,T1-003,2026-03-02T10:00:00Z,Agent,true,Pending,",  # case is normalised
    "T1,T1-004,2026-03-02T12:00:00Z,agent,false,on-hold,specialist",
]
BAD = {  # line -> (field, reason starts with)
    "T1,T1-005,2026-03-02T13:00:00Z,robot,true,open,": ("actor", "unknown value"),
    "T1,T1-006,2026-03-02T13:00:00Z,agent,true,escalated,": ("status_to", "unknown value"),
    "T1,T1-007,,agent,true,open,": ("at", "missing required field"),
    "T1,T1-008,yesterday,agent,true,open,": ("at", "unparseable timestamp"),
    "T1,T1-009,2026-03-02T13:00:00Z,agent,maybe,open,": ("public", "not a boolean"),
    ",T1-010,2026-03-02T13:00:00Z,agent,true,open,": ("ticket_id", "missing required field"),
    "T1,T1-001,2026-03-02T14:00:00Z,agent,true,solved,": ("event_id", "duplicate id"),
    "T1,T1-011,2027-01-01T00:00:00Z,agent,true,solved,": ("at", "timestamp in the future"),
}


def _config(path: str, *, optional: bool = False) -> IngestConfig:
    source = {"name": "ticket_events", "path": path, "kind": "ticket_events", "optional": optional}
    return build(IngestConfig, {"reference_time": "2026-07-01T00:00:00Z", "sources": [source]}, where="ingest")


def test_malformed_events_go_to_quarantine(tmp_path: Path) -> None:
    lines = GOOD + list(BAD)
    (tmp_path / "events.csv").write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    result = run_ingest(_config("events.csv"), tmp_path, timezone="UTC")
    table = result.tables["ticket_events"]
    validate_table("ticket_events", table)
    assert table["event_id"].to_list() == ["T1-001", "T1-002", "T1-003", "T1-004"]
    assert table.filter(pl.col("event_id") == "T1-003").select("actor", "status_to").row(0) == ("agent", "pending")
    assert table["status_to"].null_count() == 1 and table["group"].to_list() == ["L1", None, None, "specialist"]
    q = result.quarantine
    assert q.height == len(BAD)
    got = {(r["record"], r["field"]): r["reason"] for r in q.iter_rows(named=True)}
    for i, (field, reason) in enumerate(BAD.values()):
        line = 2 + len(GOOD) + i  # header = line 1
        assert got[(line, field)].startswith(reason), (line, field, got)
    m = result.metrics["sources"]["ticket_events"]
    assert m["rows_in"] == m["rows_out"] + m["rows_quarantined"] == len(lines)


def test_optional_source_without_files_gives_an_empty_table(tmp_path: Path) -> None:
    result = run_ingest(_config("ticket_events/*.csv", optional=True), tmp_path, timezone="UTC")
    assert result.tables["ticket_events"].height == 0
    validate_table("ticket_events", result.tables["ticket_events"])
    assert result.metrics["sources"]["ticket_events"] == {"rows_in": 0, "rows_out": 0, "rows_quarantined": 0}
    with pytest.raises(IngestError, match="no file matches"):
        run_ingest(_config("ticket_events/*.csv"), tmp_path, timezone="UTC")
