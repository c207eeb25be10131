"""Each file in tests/data/malformed gets the outcome its manifest says; counts in = out + quarantined."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from voc.ingest import IngestConfig, IngestError, run_ingest
from voc.config import build

FOLDER = Path(__file__).resolve().parents[1] / "data" / "malformed"
MANIFEST = yaml.safe_load((FOLDER / "manifest.yaml").read_text(encoding="utf-8"))


def _config(case: dict[str, Any]) -> IngestConfig:
    name = Path(case["file"]).stem
    source = {"name": name, "path": case["file"], **case["source"]}
    return build(IngestConfig, {"reference_time": "2026-07-01T00:00:00Z", "sources": [source]}, where="ingest")


def test_every_file_has_a_case() -> None:
    listed = {c["file"] for c in MANIFEST["cases"]}
    present = {p.name for p in FOLDER.iterdir() if p.name != "manifest.yaml"}
    assert listed == present


@pytest.mark.parametrize("case", MANIFEST["cases"], ids=[c["file"] for c in MANIFEST["cases"]])
def test_malformed_case(case: dict[str, Any]) -> None:
    config = _config(case)
    if "error" in case:
        with pytest.raises(IngestError, match=case["error"]):
            run_ingest(config, FOLDER, timezone="Europe/London")
        return
    result = run_ingest(config, FOLDER, timezone="Europe/London")
    expect = case["expect"]
    name = config.sources[0].name
    counts = result.metrics["sources"][name]
    assert counts["rows_out"] == expect["rows_out"]
    assert counts["rows_in"] == counts["rows_out"] + counts["rows_quarantined"]
    got = [(r["record"], r["field"], r["reason"]) for r in result.quarantine.sort("record").iter_rows(named=True)]
    want = [(q["record"], q["field"], q["reason"]) for q in expect["quarantined"]]
    assert len(got) == len(want)
    for (g_rec, g_field, g_reason), (w_rec, w_field, w_reason) in zip(got, want, strict=True):
        assert (g_rec, g_field) == (w_rec, w_field)
        assert g_reason.startswith(w_reason), (g_reason, w_reason)
    assert all(f == str(Path(FOLDER / case["file"])) for f in result.quarantine["file"].to_list())
    rows = {r["feedback_id"]: r for r in result.tables["feedback"].iter_rows(named=True)}
    for fid, text in expect.get("texts", {}).items():
        assert rows[fid]["text"] == text
    for fid, ts in expect.get("created_at", {}).items():
        assert rows[fid]["created_at"] == dt.datetime.fromisoformat(ts)


def test_error_messages_name_the_fix() -> None:
    for case in MANIFEST["cases"]:
        if "error" in case:
            with pytest.raises(IngestError) as info:
                run_ingest(_config(case), FOLDER, timezone="UTC")
            assert re.search(re.escape(case["file"]), str(info.value))
