"""Ingest end to end on a tiny raw tree written per the Raw table of docs/data-contracts.md."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import yaml

from voc.config import load_section
from voc.ingest.config import IngestConfig
from voc.ingest.core import IngestError, run_ingest
from voc import schemas

PARAMS = Path(__file__).resolve().parents[2] / "params.yaml"

EML_PLAIN = """Message-ID: <m1@example.com>
Date: Mon, 03 Jun 2024 10:15:00 +0100
From: Ann <ann@example.com>
To: support@acme.test
Subject: Refund please
X-Customer-ID: C1
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

Still no refund, call me on 07700 900123 =E2=80=94 thanks

On Fri, 31 May 2024, Support <support@acme.test> wrote:
> We are looking into it.
"""

EML_HTML = """Message-ID: <m2@example.com>
Date: Tue, 04 Jun 2024 09:00:00 +0000
Subject: App crash
X-Customer-ID: C2
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: text/html; charset="utf-8"

<html><body><p>The app <b>crashes</b> &amp; logs me out</p></body></html>
--b--
"""

CALL = """Call-ID: CALL-1
Customer-ID: C3
Started: 2024-06-05T12:00:00Z
Type: ivr

IVR: Press 1 for billing.
CUSTOMER: I was charged twice
AGENT: Sorry about that.
CUSTOMER: Please fix it
"""


def write_raw(root: Path) -> None:
    """A 1-3 record file per raw source (with a few planted problems)."""
    raw = root / "data" / "raw"
    for sub in ("surveys", "reviews", "social", "tickets", "chats", "emails", "calls"):
        (raw / sub).mkdir(parents=True, exist_ok=True)
    (raw / "surveys" / "survey_export.csv").write_bytes(
        "\ufeffResponseId,ExternalReference,RecordedDate,Q1_NPS,Q2_CSAT,Q3_CES,Q4_Comment\n"
        'R1,C1,2024-06-01 10:00:00,9,5,2,"Great, fast\ndelivery 😀"\n'
        "R2,C2,2024-06-01 11:00:00,6,,,\n"
        "R3,C3,2024-06-01 12:00:00,11,4,3,too high\n"
        "R4,C4,2024-06-01 12:30:00,,,,   \n".encode()
    )
    reviews = [
        {"review_id": "V1", "customer_id": "C1", "created_at": "2024-06-02T08:00:00Z", "stars": 2, "title": "Meh", "body": "Mail me at ann@example.com"},
        {"review_id": "V1", "customer_id": "C2", "created_at": "2024-06-02T09:00:00Z", "stars": 5, "title": "Dup", "body": "second"},
    ]
    (raw / "reviews" / "reviews.jsonl").write_text("\n".join(json.dumps(r) for r in reviews) + "\n", encoding="utf-8")
    posts = [
        {"post_id": "P1", "handle": "@ann", "customer_id": "C1", "posted_at": "2024-06-03T10:00:00+02:00", "text": "Down again", "likes": 3},
        {"post_id": "P2", "handle": "@zed", "customer_id": None, "posted_at": "2024-06-03T11:00:00+02:00", "text": "Love it", "likes": 0},
        {"post_id": "P3", "handle": "@ann", "customer_id": "C1", "posted_at": "2024-06-03T10:05:00+02:00", "text": "Down again", "likes": 1},
    ]
    (raw / "social" / "posts.json").write_text(json.dumps(posts), encoding="utf-8")
    (raw / "tickets" / "tickets.csv").write_text(
        "ticket_id,customer_id,channel,created_at,first_response_at,resolved_at,reopened_at,status,priority,category,escalated,message\n"
        "T1,C1,email,2024-06-01T09:00:00Z,2024-06-01T10:00:00Z,,,open,high,billing,true,Charged twice for June\n"
        "T2,C2,web,2024-06-02T09:00:00Z,,,,pending,low,other,false,\n"
        "T3,C3,chat,2027-01-01T00:00:00Z,,,,open,low,other,false,from the future\n",
        encoding="utf-8",
    )
    chat = {"conversation_id": "K1", "customer_id": "C2", "started_at": "2024-06-04T10:00:00Z", "turns": [
        {"speaker": "bot", "at": "2024-06-04T10:00:00Z", "text": "Hi"},
        {"speaker": "customer", "at": "2024-06-04T10:00:05Z", "text": "Where is my order?"},
        {"speaker": "agent", "at": "2024-06-04T10:01:00Z", "text": "Checking"},
        {"speaker": "customer", "at": "2024-06-04T10:02:00Z", "text": "Thanks"}]}
    (raw / "chats" / "chats.jsonl").write_text(json.dumps(chat) + "\n", encoding="utf-8")
    (raw / "emails" / "a.eml").write_text(EML_PLAIN, encoding="utf-8")
    (raw / "emails" / "b.eml").write_text(EML_HTML, encoding="utf-8")
    (raw / "calls" / "call1.txt").write_text(CALL, encoding="utf-8")
    (raw / "customers.csv").write_text(
        "customer_id,signup_date,plan,region,monthly_charges,cancelled_at\nC1,2023-01-05,basic,north,9.99,\nC2,2023-02-01,premium,EU,29.5,2024-05-01\nC3,2023-03-01,basic,south,abc,\n",
        encoding="utf-8",
    )
    (raw / "payments.csv").write_text(
        "invoice_id,customer_id,due_date,paid_date,amount,failed_attempts\nI1,C1,2024-05-01,2024-05-02,9.99,0\nI2,C2,2024-05-01,,29.5,2\n",
        encoding="utf-8",
    )
    (raw / "events.csv").write_text(
        "customer_id,ts,event,feature\nC1,2024-06-01T08:00:00Z,login,\nC1,2024-06-01T08:01:00Z,feature_use,export\n",
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("raw")
    write_raw(root)
    cfg = load_section(yaml.safe_load(PARAMS.read_text()), "ingest", IngestConfig)
    return run_ingest(cfg, root, timezone="Europe/London")


def test_counts_balance(result) -> None:
    m = result.metrics
    for name, c in m["sources"].items():
        assert c["rows_in"] == c["rows_out"] + c["rows_quarantined"], name
    assert m["rows_in"] == m["rows_out"] + m["rows_quarantined"]
    assert m["tables"]["quarantine"] == result.quarantine.height
    assert m["sources"]["surveys"] == {"rows_in": 4, "rows_out": 2, "rows_quarantined": 2}
    assert m["sources"]["tickets"]["feedback_out"] == 1 and m["sources"]["tickets"]["feedback_quarantined"] == 1


def test_tables_match_schemas_and_are_sorted(result) -> None:
    for kind, frame in result.tables.items():
        schemas.validate_table(kind, frame)
        assert frame.schema == pl.Schema(schemas.TABLE_COLUMNS[kind])
    fb = result.tables["feedback"]
    assert fb["feedback_id"].to_list() == sorted(fb["feedback_id"].to_list())
    schemas.QuarantineSchema.validate(result.quarantine)


def test_quarantine_reasons(result) -> None:
    q = {(r["source"], r["record"]): r for r in result.quarantine.iter_rows(named=True)}
    # R1's comment holds a quoted newline, so R3 starts on line 5 and R4 on line 6
    assert q[("surveys", 5)]["field"] == "nps" and q[("surveys", 5)]["reason"].startswith("out of range")
    assert q[("surveys", 6)]["reason"] == "empty text and no score"
    assert q[("reviews", 2)]["reason"] == "duplicate id"
    assert q[("social", 3)]["reason"].startswith("duplicate post")
    assert q[("tickets", 4)]["reason"].startswith("timestamp in the future")
    assert q[("customers", 4)]["reason"] == "not a number" and q[("customers", 4)]["value"] == "abc"


def test_feedback_content(result) -> None:
    fb = {r["feedback_id"]: r for r in result.tables["feedback"].iter_rows(named=True)}
    assert fb["surveys:R1"]["text"] == "Great, fast\ndelivery 😀"
    assert fb["surveys:R2"]["text"] is None and fb["surveys:R2"]["nps"] == 6
    assert fb["reviews:V1"]["text"] == "Meh\nMail me at [EMAIL]" and json.loads(fb["reviews:V1"]["meta"]) == {"title": "Meh"}
    assert json.loads(fb["social:P2"]["meta"]) == {"likes": "0", "customer_linked": False}
    assert fb["tickets:T1"]["channel"] == "ticket" and fb["tickets:T1"]["ticket_id"] == "T1"
    assert fb["chats:K1"]["text"] == "Where is my order?\nThanks"
    assert fb["emails:a"]["text"] == "Still no refund, call me on [PHONE] — thanks"
    assert fb["emails:b"]["text"] == "The app crashes & logs me out"
    assert fb["calls:CALL-1"]["channel"] == "ivr" and fb["calls:CALL-1"]["text"] == "I was charged twice\nPlease fix it"
    # naive London time in June (BST, UTC+1) -> 09:00 UTC; +02:00 offset -> 08:00 UTC
    assert str(fb["surveys:R1"]["created_at"]) == "2024-06-01 09:00:00+00:00"
    assert str(fb["social:P1"]["created_at"]) == "2024-06-03 08:00:00+00:00"


def test_missing_file_and_column_raise_clear_errors(tmp_path: Path) -> None:
    cfg = IngestConfig(reference_time="2026-07-01T00:00:00Z", sources=())
    bad = load_section({"ingest": {"reference_time": "2026-07-01", "sources": [
        {"name": "s", "path": "nope/*.csv", "kind": "events"}]}}, "ingest", IngestConfig)
    with pytest.raises(IngestError, match=r"source 's': no file matches .*nope"):
        run_ingest(bad, tmp_path, timezone="UTC")
    (tmp_path / "e.csv").write_text("customer_id,ts,event\nC1,2024-01-01,login\n")
    bad = load_section({"ingest": {"reference_time": "2026-07-01", "sources": [
        {"name": "ev", "path": "e.csv", "kind": "events", "columns": {"ts": "timestamp"}}]}}, "ingest", IngestConfig)
    with pytest.raises(IngestError, match=r"source 'ev': .*e\.csv has no column\(s\) \['timestamp'\]"):
        run_ingest(bad, tmp_path, timezone="UTC")
    (tmp_path / "e.xyz").write_text("x")
    bad = load_section({"ingest": {"reference_time": "2026-07-01", "sources": [
        {"name": "ev", "path": "e.xyz", "kind": "events"}]}}, "ingest", IngestConfig)
    with pytest.raises(IngestError, match=r"source 'ev': cannot infer the format"):
        run_ingest(bad, tmp_path, timezone="UTC")
    assert cfg.sources == ()


def _one_source(**source: object) -> IngestConfig:
    from voc.config import build

    return build(IngestConfig, {"reference_time": "2026-07-01T00:00:00Z", "sources": [source]}, where="ingest")


def test_null_values_absent_fields_and_customer_attributes(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("id,Churn,tenure,Plan\nA,Yes,3,None\nB,No,N/A,basic\nC,Maybe,1,basic\n", encoding="utf-8")
    cfg = _one_source(name="crm", path="c.csv", kind="customers", null_values=["None", "N/A"], absent_fields=["signup_at"],
                      columns={"customer_id": "id", "churned": "Churn", "plan": "Plan"}, values={"churned": {"Yes": True, "No": False}},
                      meta_fields=["tenure"])
    res = run_ingest(cfg, tmp_path, timezone="UTC")
    cust = res.tables["customers"]
    assert cust["customer_id"].to_list() == ["A", "B"] and cust["churned"].to_list() == [True, False]
    assert cust["plan"].to_list() == [None, "basic"] and cust["signup_at"].null_count() == 2
    assert cust["attributes"].to_list() == ['{"tenure":"3"}', '{"tenure":null}']
    assert res.quarantine.select("record", "field").to_dicts() == [{"record": 4, "field": "churned"}]


def test_absent_fields_only_for_fields_the_contract_lets_be_null(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text("text\nhello\n", encoding="utf-8")
    cfg = _one_source(name="f", path="f.csv", kind="feedback", channel="review", absent_fields=["feedback_id"])
    with pytest.raises(IngestError, match=r"absent_fields.*feedback_id"):
        run_ingest(cfg, tmp_path, timezone="UTC")
    cfg = _one_source(name="f", path="f.csv", kind="feedback", channel="review", columns={"feedback_id": "_record"}, absent_fields=["created_at"])
    fb = run_ingest(cfg, tmp_path, timezone="UTC").tables["feedback"]
    assert fb["feedback_id"].to_list() == ["f:2"] and fb["created_at"].null_count() == 1


def test_path_expands_environment_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from voc.ingest.core import expand_path

    assert expand_path("${D:-../shared}/x.csv", {}) == "../shared/x.csv"
    assert expand_path("${D:-../shared}/x.csv", {"D": "/data"}) == "/data/x.csv"
    assert expand_path("$D/x.csv", {"D": "/data"}) == "/data/x.csv"
    with pytest.raises(IngestError, match="D is not set"):
        expand_path("${D}/x.csv", {})
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "f.csv").write_text("id,text\n1,hi\n", encoding="utf-8")
    monkeypatch.setenv("VOC_TEST_DIR", str(tmp_path / "in"))
    cfg = _one_source(name="f", path="${VOC_TEST_DIR}/f.csv", kind="feedback", channel="review", columns={"feedback_id": "id"}, absent_fields=["created_at"])
    assert run_ingest(cfg, Path("/nonexistent-root"), timezone="UTC").tables["feedback"].height == 1


def test_worker_processes_and_threads_give_the_same_result(tmp_path: Path) -> None:
    from polars.testing import assert_frame_equal

    from voc.ingest.core import ingest_batches, read_sources

    write_raw(tmp_path)
    cfg = load_section(yaml.safe_load(PARAMS.read_text()), "ingest", IngestConfig)
    serial = read_sources(cfg, tmp_path, workers=1)
    pooled = read_sources(cfg, tmp_path, workers=2, parallel_min_files=1)  # eml + transcript files in 2 processes
    assert list(pooled) == list(serial)
    for name in serial:
        assert_frame_equal(pooled[name].records, serial[name].records)
    one = ingest_batches(serial, cfg, timezone="Europe/London", threads=1)
    two = ingest_batches(pooled, cfg, timezone="Europe/London", threads=2)
    assert one.metrics == two.metrics
    for kind in one.tables:
        assert_frame_equal(two.tables[kind], one.tables[kind])
    assert_frame_equal(two.quarantine, one.quarantine)
