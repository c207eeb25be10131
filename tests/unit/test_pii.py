"""PII redaction: validators, the labelled corpus (tests/data/pii_cases.jsonl) and its precision/recall."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from voc.text.pii import iban_valid, ip_valid, luhn_valid, phone_valid, redact_pii, redact_text, score_redaction

CASES = [json.loads(line) for line in (Path(__file__).resolve().parents[1] / "data" / "pii_cases.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize(("number", "ok"), [("4111 1111 1111 1111", True), ("4111-1111-1111-1112", False), ("378282246310005", True), ("0000000000000000", False), ("12345", False)])
def test_luhn(number: str, ok: bool) -> None:
    assert luhn_valid(number) is ok


@pytest.mark.parametrize(("iban", "ok"), [("GB82 WEST 1234 5698 7654 32", True), ("DE89370400440532013000", True), ("GB00 WEST 1234 5698 7654 32", False), ("GB82", False)])
def test_iban(iban: str, ok: bool) -> None:
    assert iban_valid(iban) is ok


@pytest.mark.parametrize(("ip", "ok"), [("10.0.0.1", True), ("256.1.1.1", False), ("v1.2.3.4", False), ("2001:db8::1", True), ("10:30:00", False)])
def test_ip(ip: str, ok: bool) -> None:
    assert ip_valid(ip) is ok


@pytest.mark.parametrize(("phone", "ok"), [("+44 20 7946 0958", True), ("(555) 123-4567", True), ("07700 900123", True), ("#123456789", False), ("2024-01-15", False), ("12345678", False)])
def test_phone(phone: str, ok: bool) -> None:
    assert phone_valid(phone) is ok


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:30] for c in CASES])
def test_corpus_case(case: dict[str, object]) -> None:
    assert redact_text(str(case["text"])) == case["expected"]


def test_corpus_precision_recall() -> None:
    assert sum(c["negative"] for c in CASES) >= 10 and sum(not c["negative"] for c in CASES) >= 20
    pred = redact_pii(pl.Series([c["text"] for c in CASES])).to_list()
    scores = score_redaction(pred, [str(c["expected"]) for c in CASES])
    assert scores["overall"]["precision"] >= 0.95
    assert scores["overall"]["recall"] >= 0.95
    assert scores["overall"]["tp"] > 0


def test_nulls_and_score_counts() -> None:
    out = redact_pii(pl.Series("t", [None, "x@y.com", ""]))
    assert out.to_list() == [None, "[EMAIL]", ""] and out.name == "t"
    s = score_redaction(["[PHONE] and [EMAIL]"], ["[PHONE] and 123"])
    assert s["EMAIL"]["fp"] == 1 and s["PHONE"]["tp"] == 1 and s["overall"]["exact_match"] == 0.0


@pytest.mark.parametrize(
    ("text", "iban"),
    [
        ("my IBAN is DE47445830547574971763\nI am absolutely fed up.", "DE47445830547574971763"),
        ("my IBAN is GB86 SEMW 5525 4030 9258 83\nI've called 6 times", "GB86 SEMW 5525 4030 9258 83"),
        ("IBAN IE98 PTMI 3680 5557 0687 79\nI AM SO ANGRY", "IE98 PTMI 3680 5557 0687 79"),
    ],
)
def test_iban_before_a_line_break_and_a_capital_is_redacted(text: str, iban: str) -> None:
    out = redact_text(text)
    assert iban not in out
    assert out.startswith(text.split(iban)[0] + "[IBAN]\n")


def test_invalid_iban_before_a_line_break_is_kept() -> None:
    assert redact_text("ref GB00 WEST 1234 5698 7654 32\nThanks") == "ref GB00 WEST 1234 5698 7654 32\nThanks"
