"""PII redaction: e-mail addresses, phone numbers, payment cards, IBANs, IP addresses and street addresses
are replaced by typed tokens ``[EMAIL] [PHONE] [CARD] [IBAN] [IP] [ADDRESS]``.

Patterns that need no check (e-mail, street address, UK postcode) are vectorised ``str.replace_all``
regexes. The others follow find -> validate -> replace: polars ``str.extract_all`` finds candidates, each
*distinct* candidate is validated once in Python (Luhn for cards, ISO 13616 mod-97 for IBANs, octet ranges
for IPs, shape and context rules for phones), and the valid ones are replaced in one Aho-Corasick pass
(``str.replace_many``). Cost is per distinct candidate, not per row.

Phone rule (documented, conservative on numbers that are not phones): 8-15 digits after ``+``; 10-11
digits when the number starts with ``0`` or ``(``; North-American ``NXX-NXX-XXXX`` shapes. Numbers preceded
by ``#`` or by order/invoice/ref/ticket/account/case/tracking words, dates and version-like strings are kept.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import polars as pl

TOKENS: tuple[str, ...] = ("EMAIL", "PHONE", "CARD", "IBAN", "IP", "ADDRESS", "NAME")  # NAME: e-mail sender, in the reader

EMAIL_RE = r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_STREET_SUFFIX = (
    "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Way|Court|Ct|Place|Pl|Boulevard|Blvd|Terrace|"
    "Crescent|Square|Sq|Gardens|Grove|Mews|Parade|Hill|Row|Walk|Highway|Hwy|Park"
)
ADDRESS_RE = (
    r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z'-]+\s+){1,3}(?:" + _STREET_SUFFIX + r")\b\.?"
    r"(?:,\s*(?:[A-Z][a-z]+\s?){1,3})?(?:,?\s*[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b)?"
)
_NAME_WORD = r"(?:di|del|della|dei|de|da|do|dos|la|le|du|des|d'|l'|[A-ZÀ-Ý][A-Za-zÀ-ÿ'-]+)"
_EU_STREET = (
    r"(?:[A-Z][a-zäöüß]+(?:strasse|straße|str\.|weg|platz|allee|gasse|laan|straat|gracht|kade|singel|plein|dijk)"
    r"|(?:Via|Viale|Piazza|Corso|Calle|Avenida|Plaza|Rua)(?:\s" + _NAME_WORD + r"){1,3})"
)
_EU_POSTCODE = r",?\s*\d{4,5}(?:\s?[A-Z]{2})?\s[A-ZÀ-Ý][A-Za-zÀ-ÿ-]+"
EU_ADDRESS_RE = (
    r"\b" + _EU_STREET + r"\s\d{1,4}[a-z]?(?:" + _EU_POSTCODE + r")?"
    r"|\b\d{1,4}(?:\s?(?:bis|ter))?,?\s(?:rue|avenue|boulevard|bd|place|allée|impasse|chemin|quai)"
    r"(?:\s" + _NAME_WORD + r"){1,4}(?:" + _EU_POSTCODE + r")?"
)
POSTCODE_RE = r"\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b"
IBAN_RE = r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]){11,30}\b"
CARD_RE = r"\b\d(?:[ -]?\d){12,18}\b"
IP_RE = r"(?i:\bv(?:ersion)?\.?\s?)?\b\d{1,3}(?:\.\d{1,3}){3}(?:\.\d+)*\b|\b(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}\b"
_CONTEXT = r"(?i:\b(?:order|invoice|inv|ref|reference|ticket|account|acct|case|tracking|serial|booking|id)\b\.?\s*(?:no\.?|number|num|#)?\s*[:#]?\s*|#)?"
PHONE_RE = _CONTEXT + r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d+(?:[ .-]\d+)*"

_SEP = re.compile(r"[ .-]")
_WHITESPACE = re.compile(r"\s")
_DATE = re.compile(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$")
_NANP = re.compile(r"^(?:1[ .-])?[2-9]\d{2}[ .-]\d{3}[ .-]\d{4}$")


def luhn_valid(number: str) -> bool:
    """True when the digits of ``number`` (13-19 of them, separators ignored) pass the Luhn check."""
    digits = [int(c) for c in number if c.isdigit()]
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """True when ``candidate`` (spaces ignored) is an IBAN with a valid ISO 13616 mod-97 checksum."""
    s = candidate.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def ip_valid(candidate: str) -> bool:
    """True for a dotted-quad IPv4 (octets <= 255, not preceded by 'v'/'version') or an IPv6 address."""
    if candidate[:1] in "vV":
        return False
    if "." in candidate and ":" not in candidate and candidate.count(".") != 3:
        return False
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def phone_valid(candidate: str) -> bool:
    """True when ``candidate`` looks like a phone number (see the module docstring for the rule)."""
    if not candidate or not (candidate[0].isdigit() or candidate[0] in "+("):
        return False  # preceded by '#' or an order/invoice word
    digits = re.sub(r"\D", "", candidate)
    if _DATE.match(candidate):
        return False
    n = len(digits)
    if candidate.startswith("+"):
        return 8 <= n <= 15
    if candidate.startswith("(") or candidate.startswith("0"):
        return 10 <= n <= 11
    return bool(_NANP.match(candidate))


def _longest_valid(candidate: str, valid: Callable[[str], bool], sep: re.Pattern[str] = _SEP) -> str | None:
    """The longest prefix of ``candidate`` ending at a group boundary (``sep``) that passes ``valid``."""
    cuts = [m.start() for m in sep.finditer(candidate)] + [len(candidate)]
    for cut in reversed(cuts):
        piece = candidate[:cut].rstrip(" .-\t\r\n")
        if piece and valid(piece):
            return piece
    return None


def _replace_validated(
    texts: pl.Series,
    pattern: str,
    valid: Callable[[str], bool],
    token: str,
    *,
    sep: re.Pattern[str] = _SEP,
    rows: pl.Series | None = None,
) -> pl.Series:
    """Find -> validate -> replace on the rows where ``rows`` is true (all if None). ``rows`` must hold
    every row that contains a valid hit: a hit is replaced wherever its string occurs, not only where
    the pattern found it, so a row left out must be one that cannot contain any hit."""
    if rows is not None:
        idx = rows.arg_true()
        if len(idx) == 0:
            return texts
        if len(idx) < len(texts):
            return texts.scatter(idx, _replace_validated(texts.gather(idx), pattern, valid, token, sep=sep))
    found = texts.str.extract_all(pattern).explode().drop_nulls().unique()
    hits = {v for c in found.to_list() if (v := _longest_valid(c, valid, sep)) is not None}
    if not hits:
        return texts
    patterns = sorted(hits, key=lambda s: (-len(s), s))
    return texts.str.replace_many(patterns, [f"[{token}]"] * len(patterns), leftmost=True)


# Row prefilters, each true on every row that can hold a valid hit of its type (so leaving the other
# rows out changes nothing, see _replace_validated): an IBAN starts with two capitals and two digits; a
# card has 13-19 digits and a phone 8 or more; an IPv4 address has three dots between digits, and an
# IPv6 address "::" or six hex groups ending in a colon (8 groups, or 6 and an IPv4); street addresses and
# postcodes hold a digit and their street words or postcode shape. About half of feedback has no digit
# (and skips every pass but the e-mail one); few rows reach the validation of a type.
_IBAN_ROW = r"[A-Z]{2}\d{2}"
_ADDRESS_ROW = r"\b(?:" + _STREET_SUFFIX + r")\b"
_EU_ADDRESS_ROW = (
    r"strasse|straße|str\.|weg|platz|allee|gasse|laan|straat|gracht|kade|singel|plein|dijk"
    r"|Via|Viale|Piazza|Corso|Calle|Avenida|Plaza|Rua|rue|avenue|boulevard|bd|place|allée|impasse|chemin|quai"
)
_POSTCODE_ROW = r"[A-Z]\d[A-Z\d]?\s\d[A-Z]{2}"
_IP_ROW = r"\d\.\d+\.\d+\.\d|::|(?:[0-9A-Fa-f]{1,4}:){6}"


def redact_pii(texts: pl.Series) -> pl.Series:
    """Replace PII in each text by typed tokens; nulls stay null. Order: e-mail, IBAN, card, IP, phone,
    address (so a card number is never half-eaten as a phone). Passes after the e-mail one run only on
    the rows that can hold their type (a digit, or colons for IPv6)."""
    out = texts.cast(pl.String).str.replace_all(EMAIL_RE, "[EMAIL]")
    digits = out.str.count_matches(r"\d").fill_null(0)  # tokens hold no digit: counts only fall below
    maybe = ((digits > 0) | out.str.contains(":", literal=True).fill_null(False)).arg_true()
    if len(maybe) == 0:
        return out.alias(texts.name)
    some = len(maybe) < len(out)
    sub = out.gather(maybe) if some else out
    digits = digits.gather(maybe) if some else digits
    # an IBAN candidate may run across a line break into the next word ("DE47...63\nI am"): cut at any
    # whitespace, not only at spaces, so the IBAN before it is still found
    sub = _replace_validated(sub, IBAN_RE, iban_valid, "IBAN", sep=_WHITESPACE, rows=sub.str.contains(_IBAN_ROW))
    sub = _replace_validated(sub, CARD_RE, luhn_valid, "CARD", rows=digits >= 13)
    sub = _replace_validated(sub, IP_RE, ip_valid, "IP", rows=sub.str.contains(_IP_ROW))
    sub = _replace_validated(sub, PHONE_RE, phone_valid, "PHONE", rows=digits >= 8)
    has_digit = digits > 0
    if not bool(has_digit.all()):
        idx = has_digit.arg_true()
        sub = sub.scatter(idx, _redact_addresses(sub.gather(idx))) if len(idx) else sub
    else:
        sub = _redact_addresses(sub)
    out = out.scatter(maybe, sub) if some else sub
    return out.alias(texts.name)


def _redact_addresses(texts: pl.Series) -> pl.Series:
    """The three address passes, in order, each on the rows that hold its street words (a literal
    prefilter: the address regexes themselves cannot skip a row that fast)."""
    for pattern, row in ((ADDRESS_RE, _ADDRESS_ROW), (EU_ADDRESS_RE, _EU_ADDRESS_ROW), (POSTCODE_RE, _POSTCODE_ROW)):
        idx = texts.str.contains(row).arg_true()
        if len(idx) == len(texts):
            texts = texts.str.replace_all(pattern, "[ADDRESS]")
        elif len(idx):
            texts = texts.scatter(idx, texts.gather(idx).str.replace_all(pattern, "[ADDRESS]"))
    return texts


def redact_text(text: str) -> str:
    """Redact one string (convenience wrapper over :func:`redact_pii`)."""
    return str(redact_pii(pl.Series([text])).item())


def count_tokens(text: str) -> Counter[str]:
    """How many of each PII token ``text`` holds."""
    return Counter(m for m in re.findall(r"\[(" + "|".join(TOKENS) + r")\]", text))


def score_redaction(predicted: Sequence[str], expected: Iterable[str]) -> dict[str, dict[str, float]]:
    """Token-level precision/recall per PII type and overall, plus the share of texts redacted exactly.

    A predicted token counts as a true positive up to the number of the same tokens in the expected text.
    """
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    exact = 0
    n = 0
    for pred, exp in zip(predicted, expected, strict=True):
        n += 1
        exact += pred == exp
        p, e = count_tokens(pred), count_tokens(exp)
        for t in TOKENS:
            hit = min(p[t], e[t])
            tp[t] += hit
            fp[t] += p[t] - hit
            fn[t] += e[t] - hit

    def _pr(a: int, b: int, c: int) -> dict[str, float]:
        return {
            "precision": a / (a + b) if a + b else 1.0,
            "recall": a / (a + c) if a + c else 1.0,
            "tp": float(a),
            "fp": float(b),
            "fn": float(c),
        }

    result = {t: _pr(tp[t], fp[t], fn[t]) for t in TOKENS}
    result["overall"] = _pr(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    result["overall"]["exact_match"] = exact / n if n else 1.0
    return result
