"""Tests of the sample data set generator (``voc sample``) on a small, fast size."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
from pathlib import Path

import polars as pl
import pytest

from voc.cli import main
from voc.config import ConfigError, load_section
from voc.sample import (
    RAW_FILES,
    SOURCES,
    OutputNotEmptyError,
    SampleConfig,
    generate_sample,
    write_sample,
)
from voc.sample.text import iban_valid, luhn_valid

SMALL = SampleConfig(n_customers=150, n_items=800)


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("raw")
    write_sample(generate_sample(SMALL, seed=7), out)
    return out


@pytest.fixture(scope="module")
def truth(raw: Path) -> dict:
    return json.loads((raw / "_truth.json").read_text(encoding="utf-8"))


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _eml_text(path: Path) -> str:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None, path
    return part.get_content()


def _texts(raw: Path) -> dict[str, str]:
    """feedback_id -> the customer's text, read back from the raw files with the std lib and polars."""
    out: dict[str, str] = {}
    sv = pl.read_csv(raw / "surveys/survey_export.csv", schema_overrides={"Q4_Comment": pl.String})
    for rid, comment in sv.select("ResponseId", "Q4_Comment").iter_rows():
        out[f"surveys:{rid}"] = comment or ""
    for line in (raw / "reviews/reviews.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        out[f"reviews:{r['review_id']}"] = f"{r['title']}\n{r['body']}"
    for p in json.loads((raw / "social/posts.json").read_text(encoding="utf-8")):
        out[f"social:{p['post_id']}"] = p["text"]
    tk = pl.read_csv(raw / "tickets/tickets.csv")
    for tid, msg in tk.select("ticket_id", "message").iter_rows():
        out[f"tickets:{tid}"] = msg
    for line in (raw / "chats/chats.jsonl").read_text(encoding="utf-8").splitlines():
        c = json.loads(line)
        out[f"chats:{c['conversation_id']}"] = " ".join(t["text"] for t in c["turns"] if t["speaker"] == "customer")
    for path in sorted((raw / "emails").glob("*.eml")):
        out[f"emails:{path.stem}"] = _eml_text(path)
    for path in sorted((raw / "calls").glob("*.txt")):
        head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        fields = dict(line.split(": ", 1) for line in head.splitlines())
        said = [ln[len("CUSTOMER: "):] for ln in body.splitlines() if ln.startswith("CUSTOMER: ")]
        out[f"calls:{fields['Call-ID']}"] = " ".join(said)
    return out


def test_same_seed_gives_same_bytes(raw: Path, tmp_path: Path) -> None:
    write_sample(generate_sample(SMALL, seed=7), tmp_path / "again")
    assert _files(raw) == _files(tmp_path / "again")
    write_sample(generate_sample(SMALL, seed=8), tmp_path / "other")
    assert _files(raw)["tickets/tickets.csv"] != _files(tmp_path / "other")["tickets/tickets.csv"]


def test_every_raw_path_present_with_contract_columns(raw: Path) -> None:
    for rel in RAW_FILES:
        assert (raw / rel).is_file(), rel
    cols = {
        "surveys/survey_export.csv": ["ResponseId", "ExternalReference", "RecordedDate", "Q1_NPS", "Q2_CSAT",
                                      "Q3_CES", "Q4_Comment"],
        "tickets/tickets.csv": ["ticket_id", "customer_id", "channel", "created_at", "first_response_at",
                                "resolved_at", "reopened_at", "status", "priority", "category", "escalated",
                                "message"],
        "customers.csv": ["customer_id", "signup_date", "plan", "region", "monthly_charges", "cancelled_at"],
        "payments.csv": ["invoice_id", "customer_id", "due_date", "paid_date", "amount", "failed_attempts"],
        "events.csv": ["customer_id", "ts", "event", "feature"],
    }
    for rel, expected in cols.items():
        assert pl.read_csv(raw / rel, infer_schema_length=0).columns == expected, rel
    sv = pl.read_csv(raw / "surveys/survey_export.csv")
    assert sv["RecordedDate"].str.to_datetime("%Y-%m-%d %H:%M:%S").null_count() == 0
    assert sv["Q1_NPS"].drop_nulls().is_between(0, 10).all()
    assert sv["Q2_CSAT"].drop_nulls().is_between(1, 5).all()
    assert sv["Q3_CES"].drop_nulls().is_between(1, 7).all()
    assert sv["Q1_NPS"].null_count() > 0 and sv["Q3_CES"].null_count() > 0  # some questions skipped
    review = json.loads((raw / "reviews/reviews.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert list(review) == ["review_id", "customer_id", "created_at", "stars", "title", "body"]
    assert review["created_at"].endswith("Z")
    posts = json.loads((raw / "social/posts.json").read_text(encoding="utf-8"))
    assert {p["posted_at"][-6] for p in posts} <= {"+", "-"}  # ISO 8601 with an offset
    assert any(p["customer_id"] is None for p in posts) and any(p["customer_id"] for p in posts)
    assert all(len(p["text"]) <= 280 for p in posts)
    chat = json.loads((raw / "chats/chats.jsonl").read_text(encoding="utf-8").splitlines()[0])
    speakers = [t["speaker"] for t in chat["turns"]]
    assert speakers[0] == "bot" and "agent" in speakers and "customer" in speakers
    ev = pl.read_csv(raw / "events.csv")
    assert set(ev["event"].unique()) == {"login", "feature_use"}
    assert ev.filter(pl.col("event") == "login")["feature"].null_count() == ev.filter(pl.col("event") == "login").height


def test_emails_parse_with_multipart_quoted_printable_and_replies(raw: Path) -> None:
    kinds = set()
    for path in sorted((raw / "emails").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for header in ("Message-ID", "Date", "From", "To", "Subject", "X-Customer-ID"):
            assert msg[header], (path.name, header)
        if msg.is_multipart():
            kinds.add("multipart")
            assert msg.get_content_type() == "multipart/alternative"
        if any(p.get("Content-Transfer-Encoding") == "quoted-printable" for p in msg.walk()):
            kinds.add("qp")
        body = _eml_text(path)
        assert body.strip()
        if "\n> " in body or " wrote:\n" in body:
            kinds.add("reply")
    assert kinds == {"multipart", "qp", "reply"}


def test_truth_keys_match_the_items_written(raw: Path, truth: dict) -> None:
    texts = _texts(raw)
    assert set(texts) == set(truth["items"])
    assert len(texts) == SMALL.n_items
    for fid, item in truth["items"].items():
        assert fid.split(":", 1)[0] == item["source"]
        if texts[fid]:
            assert item["themes"] and item["sentiment_label"] in ("negative", "neutral", "positive")
            assert -1.0 <= item["sentiment_score"] <= 1.0
        else:
            assert fid.startswith("surveys:") and item["themes"] == [] and item["sentiment_label"] is None
    names = {t["name"] for t in truth["themes"]}
    assert len(names) >= 12
    assert all(set(i["themes"]) <= names for i in truth["items"].values())


def test_every_channel_present(truth: dict) -> None:
    assert set(SOURCES) == {i["source"] for i in truth["items"].values()}
    channels = {i["channel"] for i in truth["items"].values()}
    assert {"survey", "review", "social", "ticket", "chat", "email", "call", "ivr"} <= channels


def test_pii_is_about_five_percent_and_verbatim(raw: Path, truth: dict) -> None:
    texts = _texts(raw)
    planted = truth["pii"]["planted"]
    with_text = sum(1 for t in texts.values() if t)
    share = len({p["feedback_id"] for p in planted}) / with_text
    assert 0.035 <= share <= 0.065
    for p in planted:
        assert p["value"] in texts[p["feedback_id"]], p
        if p["type"] == "card":
            assert luhn_valid(p["value"])
        if p["type"] == "iban":
            assert iban_valid(p["value"])
    assert {p["type"] for p in planted} >= {"email", "phone"}


def test_luhn_and_iban_checks_reject_bad_numbers() -> None:
    assert luhn_valid("4111 1111 1111 1111") and not luhn_valid("4111 1111 1111 1112")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and not iban_valid("GB82 WEST 1234 5698 7654 33")


def test_emerging_theme_concentrates_in_the_last_weeks(truth: dict) -> None:
    em = truth["emerging_theme"]
    start = em["start_date"]
    dates = [i["created_at"][:10] for i in truth["items"].values() if em["theme"] in i["themes"]]
    after = sum(d >= start for d in dates)
    assert after >= 5 and after / len(dates) >= 0.7
    # the theme's share of items is much higher after the start than before
    n_after = sum(i["created_at"][:10] >= start for i in truth["items"].values())
    n_before = len(truth["items"]) - n_after
    assert after / n_after > 10 * ((len(dates) - after) / n_before + 1e-9) or len(dates) == after


def test_ticket_timestamps_are_ordered(raw: Path) -> None:
    tk = pl.read_csv(raw / "tickets/tickets.csv").with_columns(
        pl.col(c).str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC")
        for c in ("created_at", "first_response_at", "resolved_at", "reopened_at")
    )
    assert tk["ticket_id"].is_sorted() and tk["ticket_id"].is_unique().all()
    assert (tk["first_response_at"] > tk["created_at"]).drop_nulls().all()
    assert (tk["resolved_at"] > tk["first_response_at"]).drop_nulls().all()
    assert (tk["reopened_at"] > tk["first_response_at"]).drop_nulls().all()
    assert (tk["resolved_at"] > tk["reopened_at"]).drop_nulls().all()
    assert tk["resolved_at"].null_count() > 0 and tk["reopened_at"].null_count() < tk.height
    solved = tk.filter(pl.col("resolved_at").is_not_null())
    assert set(solved["status"].unique()) <= {"solved", "closed"}
    assert set(tk.filter(pl.col("resolved_at").is_null())["status"].unique()) <= {"open", "pending"}
    assert set(tk["priority"].unique()) <= {"low", "normal", "high", "urgent"}


def test_survey_scores_follow_the_comment_sentiment(raw: Path, truth: dict) -> None:
    sv = pl.read_csv(raw / "surveys/survey_export.csv")
    label = {k.split(":", 1)[1]: v["sentiment_label"] for k, v in truth["items"].items() if k.startswith("surveys:")}
    sv = sv.with_columns(pl.col("ResponseId").replace_strict(label, default=None).alias("label"))
    means = dict(sv.group_by("label").agg(pl.col("Q1_NPS").mean()).iter_rows())
    assert means["negative"] + 2 < means["positive"]


def test_churned_customers_have_no_activity_after_cancelling(raw: Path, truth: dict) -> None:
    cu = pl.read_csv(raw / "customers.csv")
    assert 0 < cu["cancelled_at"].null_count() < cu.height
    assert cu["customer_id"].is_unique().all() and set(cu["plan"].unique()) <= {"basic", "standard", "premium"}
    cancelled = dict(cu.filter(pl.col("cancelled_at").is_not_null()).select("customer_id", "cancelled_at").iter_rows())
    for item in truth["items"].values():
        if item["customer_id"] in cancelled:
            assert item["created_at"][:10] < cancelled[item["customer_id"]]
    pay = pl.read_csv(raw / "payments.csv")
    assert pay["invoice_id"].is_unique().all()
    assert (pay["paid_date"].null_count() > 0) and (pay["failed_attempts"] > 0).any()


def test_refuses_a_non_empty_folder_unless_forced(tmp_path: Path) -> None:
    data = generate_sample(dataclasses.replace(SMALL, n_items=300, n_customers=60), seed=1)
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputNotEmptyError, match="not empty"):
        write_sample(data, tmp_path)
    write_sample(data, tmp_path, force=True)
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert (tmp_path / "_truth.json").is_file()


def test_config_validation_and_unknown_keys() -> None:
    with pytest.raises(ValueError, match="n_items"):
        SampleConfig(n_items=10)
    with pytest.raises(ValueError, match="end_date"):
        SampleConfig(end_date="30/06/2026")
    with pytest.raises(ConfigError, match="n_item"):
        load_section({"sample": {"n_item": 5}}, "sample", SampleConfig)
    assert load_section({}, "sample", SampleConfig) == SampleConfig()


def test_cli_writes_then_refuses_without_force(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("base:\n  seed: 3\nsample:\n  n_customers: 60\n  n_items: 300\n", encoding="utf-8")
    out = tmp_path / "raw"
    assert main(["sample", "--out", str(out), "--params", str(params)]) == 0
    truth = json.loads((out / "_truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 3 and len(truth["items"]) == 300
    assert main(["sample", "--out", str(out), "--params", str(params)]) == 2
    assert main(["sample", "--out", str(out), "--params", str(tmp_path / "none.yaml"), "--customers", "50",
                 "--items", "200", "--seed", "5", "--force"]) == 0
    assert len(json.loads((out / "_truth.json").read_text(encoding="utf-8"))["items"]) == 200
    assert len(list((out / "emails").glob("*.eml"))) < 200 * 0.2
