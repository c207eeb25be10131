"""Readers, cleaning and value mapping on inline data."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from voc.config import build
from voc.ingest import IngestConfig, RawBatch, ingest_batches, read_file
from voc.ingest.readers import decode_bytes, strip_quoted_reply
from voc.text.clean import clean_texts


def test_decode_bytes_fallbacks() -> None:
    assert decode_bytes("\ufeffcafé".encode()) == "café"
    assert decode_bytes("café – ok".encode("cp1252")) == "café – ok"
    assert decode_bytes(b"\x81abc") == "\x81abc"  # undefined in cp1252 -> latin-1


def test_tsv_and_parquet(tmp_path: Path) -> None:
    (tmp_path / "a.tsv").write_text("id\ttext\n1\thello\tthere\n2\tbye\n", encoding="utf-8")
    batch = read_file(tmp_path / "a.tsv", "tsv")
    assert batch.records["text"].to_list() == ["bye"] and batch.records["_record"].to_list() == [3]
    assert batch.malformed["_record"].to_list() == [2]
    pl.DataFrame({"id": ["x", "y"], "n": [1, 2]}).write_parquet(tmp_path / "b.parquet")
    assert read_file(tmp_path / "b.parquet", "parquet").records["_record"].to_list() == [1, 2]


def test_eml_quoted_printable_and_reply(tmp_path: Path) -> None:
    (tmp_path / "m.eml").write_bytes(
        b"Message-ID: <abc@x>\nDate: Mon, 03 Jun 2024 10:15:00 +0100\nSubject: Hi\nX-Customer-ID: C9\n"
        b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        b"Caf=C3=A9 closed =F0=9F=98=80\n> old text\nOn Mon, 3 Jun 2024 at 09:00, Support <s@x.com>\nwrote:\nolder\n"
    )
    rec = read_file(tmp_path / "m.eml", "eml").records.row(0, named=True)
    assert rec["body"] == "Café closed 😀"
    assert rec["Message-ID"] == "abc@x" and rec["X-Customer-ID"] == "C9"
    assert rec["Date"] == "2024-06-03T10:15:00+01:00"


def test_strip_quoted_reply_variants() -> None:
    assert strip_quoted_reply("New\n\n-----Original Message-----\nFrom: a\nold") == "New"
    assert strip_quoted_reply("Top\n> quoted\nmore") == "Top\nmore"


def test_transcript_and_chat(tmp_path: Path) -> None:
    (tmp_path / "c.txt").write_text("Call-ID: X1\nCustomer-ID: C1\nStarted: 2024-06-05T12:00:00Z\nType: call\n\n"
                                    "AGENT: Hello\nCUSTOMER: My bill\nis wrong\nIVR: bye\n", encoding="utf-8")
    rec = read_file(tmp_path / "c.txt", "transcript").records.row(0, named=True)
    assert (rec["Call-ID"], rec["Type"], rec["text"], rec["n_turns"]) == ("X1", "call", "My bill is wrong", "3")
    (tmp_path / "k.jsonl").write_text(
        '{"conversation_id": "K1", "customer_id": "C1", "started_at": "2024-06-04T10:00:00Z", "turns": '
        '[{"speaker": "customer", "at": "x", "text": "a"}, {"speaker": "agent", "at": "x", "text": "b"}, {"speaker": "customer", "at": "x", "text": "c"}]}\n',
        encoding="utf-8",
    )
    rec = read_file(tmp_path / "k.jsonl", "chat_jsonl").records.row(0, named=True)
    assert rec["text"] == "a\nc" and "turns" not in rec


def test_clean_texts() -> None:
    out = clean_texts(pl.Series(["<p>A &amp; B</p>", "  ", None, "x\r\n\r\n\r\ny", "😀  ok"])).to_list()
    assert out == ["A & B", None, None, "x\n\ny", "😀 ok"]


def _batch(records: dict[str, list[object]]) -> RawBatch:
    frame = pl.DataFrame(records).with_columns(pl.lit("inline.csv").alias("_file"), pl.int_range(1, len(next(iter(records.values()))) + 1).cast(pl.Int64).alias("_record"))
    return RawBatch(frame, pl.DataFrame(schema={"_file": pl.String, "_record": pl.Int64, "value": pl.String, "reason": pl.String}))


def test_value_mapping_and_naive_timezone() -> None:
    cfg = build(IngestConfig, {"reference_time": "2026-07-01T00:00:00Z", "sources": [{
        "name": "crm", "path": "x.csv", "kind": "customers", "timezone": "America/New_York",
        "columns": {"signup_at": "joined", "churned": "Churn"}, "values": {"churned": {"Yes": True, "No": False}}}]}, where="ingest")
    batch = _batch({"customer_id": ["A", "B", "C"], "joined": ["2024-01-01 12:00:00", "2024-01-02", "2024-01-03"], "Churn": ["Yes", "No", "Maybe"]})
    res = ingest_batches({"crm": batch}, cfg, timezone="UTC")
    cust = res.tables["customers"]
    assert cust["churned"].to_list() == [True, False]
    assert str(cust["signup_at"][0]) == "2024-01-01 17:00:00+00:00"  # EST = UTC-5
    q = res.quarantine.row(0, named=True)
    assert (q["record"], q["field"], q["value"]) == (3, "churned", "Maybe") and q["reason"].startswith("unmapped value")


def test_unknown_target_field_raises() -> None:
    cfg = build(IngestConfig, {"reference_time": "2026-07-01", "sources": [{
        "name": "ev", "path": "x.csv", "kind": "events", "columns": {"when": "ts"}}]}, where="ingest")
    with pytest.raises(ValueError, match="unknown target field"):
        ingest_batches({"ev": _batch({"ts": ["2024-01-01"], "customer_id": ["A"], "event": ["login"]})}, cfg, timezone="UTC")


def test_pii_in_quarantine_values_is_redacted() -> None:
    cfg = build(IngestConfig, {"reference_time": "2026-07-01", "sources": [{
        "name": "ev", "path": "x.csv", "kind": "events"}]}, where="ingest")
    res = ingest_batches({"ev": _batch({"customer_id": ["A"], "ts": ["call 07700 900123"], "event": ["login"]})}, cfg, timezone="UTC")
    assert res.quarantine["reason"].to_list() == ["unparseable timestamp"]
    assert res.quarantine["value"].to_list() == ["call [PHONE]"]
    assert res.metrics["rows_in"] == 1 and res.metrics["rows_quarantined"] == 1


def test_empty_files_give_empty_tables(tmp_path: Path) -> None:
    from voc.ingest import run_ingest

    (tmp_path / "e.csv").write_text("customer_id,ts,event,feature\n", encoding="utf-8")
    (tmp_path / "r.jsonl").write_text("\n", encoding="utf-8")
    cfg = build(IngestConfig, {"reference_time": "2026-07-01", "sources": [
        {"name": "ev", "path": "e.csv", "kind": "events"},
        {"name": "rv", "path": "r.jsonl", "kind": "feedback", "channel": "review", "columns": {"feedback_id": "review_id", "created_at": "created_at"}}]}, where="ingest")
    res = run_ingest(cfg, tmp_path, timezone="UTC")
    assert res.metrics["rows_in"] == 0 and res.metrics["tables"]["feedback"] == 0
    assert res.tables["events"].columns == ["customer_id", "ts", "event", "feature"]


def test_bare_carriage_returns_inside_an_unquoted_field_stay_in_the_record(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_bytes(b"id,text,n\n1,hello,1\n2,broken\r\rtext here,2\n3,bye,3\n")
    batch = read_file(tmp_path / "t.csv", "csv")
    assert batch.malformed.height == 0
    assert batch.records["text"].to_list() == ["hello", "broken\r\rtext here", "bye"]
    assert batch.records["_record"].to_list() == [2, 3, 4]


def test_unquoted_fast_path_matches_the_csv_module(tmp_path: Path) -> None:
    # no quotes: the vectorised path; a quote anywhere: the csv-module path; both give the same frame
    rows = "id,ts,event\r\n1,2024-01-01T00:00:00Z,login\r\n\r\n2,,feature_use\r\n"
    (tmp_path / "fast.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "slow.csv").write_text(rows.replace("login", '"login"'), encoding="utf-8")
    fast, slow = read_file(tmp_path / "fast.csv", "csv"), read_file(tmp_path / "slow.csv", "csv")
    assert fast.records.drop("_file").equals(slow.records.drop("_file"))
    assert fast.records["_record"].to_list() == [2, 4] and fast.records["ts"].to_list()[1] is None


def test_unquoted_file_with_a_short_line_is_reported_malformed(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,event\n1,login\n2\n3,logout\n", encoding="utf-8")
    batch = read_file(tmp_path / "a.csv", "csv")
    assert batch.records["id"].to_list() == ["1", "3"]
    assert batch.malformed["_record"].to_list() == [3] and "expected 2 fields" in batch.malformed["reason"].item()


def test_eml_encoded_subject_and_base64_body(tmp_path: Path) -> None:
    import base64

    body = base64.b64encode("Grüße, my order is late".encode()).decode()
    (tmp_path / "m.eml").write_text(
        "Message-ID: <x1@example.com>\nDate: Mon, 03 Jun 2024 10:15:00 +0100\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n"
        f"X-Customer-ID: C9\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n{body}\n",
        encoding="utf-8",
    )
    rec = read_file(tmp_path / "m.eml", "eml").records.row(0, named=True)
    assert rec["Subject"] == "Grüße" and rec["body"] == "Grüße, my order is late"
    assert rec["Message-ID"] == "x1@example.com" and rec["Date"] == "2024-06-03T10:15:00+01:00" and rec["X-Customer-ID"] == "C9"


def test_sender_name_in_the_signature_is_redacted() -> None:
    from voc.ingest.readers import redact_sender_name

    assert redact_sender_name("Still broken.\n\nBest,\nHarry", "Harry Hughes <h@example.com>") == "Still broken.\n\nBest,\n[NAME]"
    assert redact_sender_name("Regards, Harry Hughes", '"Harry Hughes" <h@example.com>') == "Regards, [NAME]"
    assert redact_sender_name("no name here", None) == "no name here"
    assert redact_sender_name("Harrys app", "Harry Hughes <h@example.com>") == "Harrys app"  # whole words only


def test_repeated_timestamps_are_parsed_once_with_the_same_result() -> None:
    from voc.ingest.timestamps import parse_timestamp_series

    values = ["2024-03-31", "31/03/2024 01:30", "2024-10-27T01:30:00", "2024-06-01T08:00:00Z", "not a date", None, " "]
    many = pl.Series("v", values * 300)  # > 1000 values, 6 distinct: takes the parse-distinct-values path
    few = parse_timestamp_series(pl.Series("v", values), timezone="Europe/London")
    out = parse_timestamp_series(many, timezone="Europe/London")
    assert out.name == "v" and out.dtype == pl.Datetime("us", "UTC")
    assert out.to_list() == few.to_list() * 300
    assert out.null_count() == 4 * 300  # 01:30 on 31 March 2024 does not exist in London (clocks go forward)


def test_sender_name_not_in_the_body_leaves_it_unchanged() -> None:
    from voc.ingest.readers import redact_sender_name

    assert redact_sender_name("Nothing to see.\nThanks", "Harry Hughes <h@example.com>") == "Nothing to see.\nThanks"
    assert redact_sender_name("Harry wrote; Hughes signed", "Harry Hughes <h@example.com>") == "[NAME] wrote; [NAME] signed"
