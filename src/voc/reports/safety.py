"""Checks on a rendered report before anyone forwards it: its size, and no PII pattern in the text a reader
sees (ingest redacts; this catches anything that slipped through)."""

from __future__ import annotations

from html.parser import HTMLParser

from voc.reports.markup import VERSION_LINE_RE
from voc.text.pii import redact_text


class ReportSafetyError(ValueError):
    """A rendered report is too large or shows text that looks like PII."""


class _TextOf(HTMLParser):
    """Collects the text nodes of a page, less ``<script>`` and ``<style>`` contents."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(page: str) -> list[str]:
    """The text nodes of an HTML page as a reader sees them (entities decoded, scripts and styles left out)."""
    parser = _TextOf()
    parser.feed(page)
    parser.close()
    return parser.parts


def find_pii(lines: list[str]) -> list[str]:
    """The lines that ``voc.text.pii.redact_text`` would change: they hold an e-mail, phone, card, IBAN, IP
    or street address. The data version line (``VERSION_LINE_RE``, matched whole) is not checked: a run of
    digits inside its hex digests can look like a phone number (md5 ``…3bcb3d0645526574c87…`` did)."""
    return [line for line in lines if not VERSION_LINE_RE.fullmatch(line) and redact_text(line) != line]


def check_report(name: str, page: str, *, max_bytes: int) -> None:
    """Raise :class:`ReportSafetyError` when ``page`` is over ``max_bytes`` (UTF-8) or shows PII."""
    size = len(page.encode("utf-8"))
    if size > max_bytes:
        raise ReportSafetyError(f"report {name}: {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit")
    leaked = find_pii(visible_text(page))
    if leaked:
        shown = "; ".join(repr(line[:80]) for line in leaked[:3])
        raise ReportSafetyError(f"report {name}: {len(leaked)} text node(s) look like PII, e.g. {shown}")
