"""The fast paths of ingest give exactly what the slow paths give: the hand-built e-mail tree against the
std-lib parser, the sender name against ``parseaddr``, and row-prefiltered PII redaction against every
pass on every row."""

from __future__ import annotations

import base64
import email
import email.message
import email.policy
import email.utils
import random

import polars as pl
import pytest

from voc.ingest.readers import _fast_message, _sender_name, parse_eml_bytes
from voc.text import pii

HEAD = "Message-ID: <m1@x>\nDate: Mon, 03 Jun 2024 10:15:00 +0100\nFrom: Harry Hughes <h.h@example.com>\nX-Customer-ID: C9\n"
MULTI = (
    HEAD + 'Subject: Broken\n  again\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="=b1="\n\n'
    "preamble line\n\n--=b1=\nContent-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\n\n"
    "Caf=C3=A9 app crashes =\nagain.\nBest,\nHarry\n\n--=b1=  \nContent-Type: text/html; charset=utf-8\n\n<p>Caf&eacute;</p>\n"
    "--=b1=--\nepilogue\n"
)
SINGLE_B64 = HEAD + "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + (
    base64.b64encode("Grüße, Harry".encode()).decode() + "\n"
)
# each is parsed by the fast path
FAST = {
    "multipart_qp_folded_preamble_epilogue": MULTI,
    "multipart_crlf": MULTI.replace("\n", "\r\n"),
    "single_base64_encoded_subject": SINGLE_B64,
    "html_only_latin1": HEAD + "Content-Type: text/html; charset=iso-8859-1\n\n<b>Gr\xfc\xdfe</b> from Harry",
    "no_content_type": HEAD + "Subject: plain\n\nJust text, Harry.\n",
    "part_without_headers": HEAD + 'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\nno headers\n--b--',
    "non_ascii_header": HEAD.replace("Harry Hughes", "H\xe4rry H\xfcghes") + "Subject: Gr\xfc\xdfe\n\nbody\n",
    "boundary_look_alike_in_body": HEAD + 'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\n--bx not a boundary\n --b\n--b--\n',
}
# each takes the std-lib path (and still gives the std-lib result)
SLOW = {
    "nested_multipart": HEAD + 'Content-Type: multipart/mixed; boundary="o"\n\n--o\nContent-Type: multipart/alternative; boundary="i"\n\n'
    "--i\nContent-Type: text/plain\n\ninner text\n--i--\n--o\nContent-Type: application/pdf\n\n%PDF\n--o--\n",
    "no_close_boundary": HEAD + 'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\nunterminated\n',
    "no_start_boundary": HEAD + 'Content-Type: multipart/mixed; boundary="b"\n\nno boundary at all\n',
    "doubled_boundary": HEAD + 'Content-Type: multipart/mixed; boundary="b"\n\n--b\n--b\n\ntext\n--b--\n',
    "bare_cr": HEAD + "Subject: x\n\nline one\rline two\n",
    "unix_from": "From someone Mon Jun  3 10:15:00 2024\n" + HEAD + "\nbody\n",
    "no_blank_line": HEAD + "this line is not a header\nbody\n",
    "first_line_continues": " folded\n" + HEAD + "\nbody\n",
    "headers_only": HEAD,
    "rfc822_attachment": HEAD + "Content-Type: message/rfc822\n\nSubject: inner\n\ninner body\n",
    "digest": HEAD + 'Content-Type: multipart/digest; boundary="b"\n\n--b\n\nSubject: in\n\nx\n--b--\n',
    "empty": "",
}


def _same_tree(a: email.message.Message, b: email.message.Message) -> None:
    assert a._headers == b._headers  # noqa: SLF001
    assert (a.get_default_type(), a.is_multipart(), a.preamble, a.epilogue) == (b.get_default_type(), b.is_multipart(), b.preamble, b.epilogue)
    assert [type(d) for d in a.defects] == [type(d) for d in b.defects]
    if a.is_multipart():
        parts_a, parts_b = a.get_payload(), b.get_payload()
        assert len(parts_a) == len(parts_b)
        for x, y in zip(parts_a, parts_b, strict=True):
            _same_tree(x, y)
    else:
        assert a.get_payload() == b.get_payload()


def _std_record(data: bytes) -> dict[str, str | None]:
    """What parse_eml returned before the fast path: the same code on the std-lib tree."""
    import voc.ingest.readers as readers

    fast = readers._fast_message
    readers._fast_message = lambda _data: None  # type: ignore[assignment]
    try:
        return readers.parse_eml_bytes(data)
    finally:
        readers._fast_message = fast


@pytest.mark.parametrize("name", sorted(FAST))
def test_fast_message_builds_the_std_lib_tree(name: str) -> None:
    data = FAST[name].encode("latin-1")
    fast = _fast_message(data)
    assert fast is not None
    _same_tree(fast, email.message_from_bytes(data, policy=email.policy.compat32))
    assert parse_eml_bytes(data) == _std_record(data)


@pytest.mark.parametrize("name", sorted(SLOW))
def test_messages_that_need_recovery_take_the_std_lib_path(name: str) -> None:
    data = SLOW[name].encode("latin-1")
    assert _fast_message(data) is None
    assert parse_eml_bytes(data) == _std_record(data)


def test_fast_record_fields() -> None:
    rec = parse_eml_bytes(MULTI.encode())
    assert rec["body"] == "Café app crashes again.\nBest,\n[NAME]"
    assert rec["Subject"] == "Broken\n  again" and rec["Message-ID"] == "m1@x" and rec["Date"] == "2024-06-03T10:15:00+01:00"
    assert parse_eml_bytes(SINGLE_B64.encode())["Subject"] == "Grüße"


@pytest.mark.parametrize(
    "sender",
    ["Harry Hughes <h.h@example.com>", "Harry  Hughes <h@example.com>", '"Hughes, Harry" <h@x.com>', "J. Smith <j@x.com>",
     "O'Brien Mary <m@x.com>", "h@example.com", "Harry <h@[10.0.0.1]>", "Harry <a@b.com>, Sally <s@b.com>", "Ann-Marie Lee <a..b@x.com>", ""],
)
def test_sender_name_is_parseaddrs(sender: str) -> None:
    assert _sender_name(sender) == email.utils.parseaddr(sender)[0]


def _redact_every_row(texts: pl.Series) -> pl.Series:
    """Reference: every pass of redact_pii on every row, in the same order."""
    out = texts.cast(pl.String).str.replace_all(pii.EMAIL_RE, "[EMAIL]")
    out = pii._replace_validated(out, pii.IBAN_RE, pii.iban_valid, "IBAN", sep=pii._WHITESPACE)
    out = pii._replace_validated(out, pii.CARD_RE, pii.luhn_valid, "CARD")
    out = pii._replace_validated(out, pii.IP_RE, pii.ip_valid, "IP")
    out = pii._replace_validated(out, pii.PHONE_RE, pii.phone_valid, "PHONE")
    for pattern in (pii.ADDRESS_RE, pii.EU_ADDRESS_RE, pii.POSTCODE_RE):
        out = out.str.replace_all(pattern, "[ADDRESS]")
    return out.alias(texts.name)


def test_prefiltered_redaction_equals_every_pass_on_every_row() -> None:
    rng = random.Random(7)
    pieces = [*"0123456789" * 3, *" .-:+()#/\n", *"abcDEFGBZ", "DE", "GB", " Street", " Rd", "rue ", "Hauptstrasse ", "@x.com",
              "::", "v", "٣", "²", "SW1A 1AA", "Order #", "no digits"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    texts += [
        None, "", "plain words only", "ip :: and fe80::1", "call 020 7946 0958 or mail a@b.com",
        "card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32", "10 Downing Street, London SW1A 2AA",
        "x1020 7946 09581x",  # holds the phone above only as a substring: replaced there too, as before
    ]
    s = pl.Series("text", texts)
    out = pii.redact_pii(s)
    assert out.name == "text" and out.dtype == pl.String
    assert out.to_list() == _redact_every_row(s).to_list()
    assert out[-1] == "x1[PHONE]1x" and out[-5] == "ip [IP] and [IP]"


def test_redaction_of_texts_without_digits_or_colons_only_touches_e_mails() -> None:
    s = pl.Series(["write to a@b.com", "nothing here", None])
    assert pii.redact_pii(s).to_list() == ["write to [EMAIL]", "nothing here", None]
