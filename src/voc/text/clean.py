"""Text cleaning: HTML tags stripped, entities unescaped, whitespace normalised, empty text to null."""

from __future__ import annotations

import html

import polars as pl

_SCRIPT = r"(?is)<(script|style)\b[^>]*>.*?</(script|style)\s*>"
_BREAK_TAGS = r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>"
_TAG = r"<[A-Za-z/!][^<>]*>"
_ENTITY = r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
_CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\u200B\uFEFF]"


def strip_html(texts: pl.Series) -> pl.Series:
    """Remove ``<script>``/``<style>`` blocks and tags (block tags become line breaks), unescape entities.

    Tags are removed with vectorised regexes; entities go through ``html.unescape`` only on the rows that
    contain one (``&name;`` or ``&#nn;``), so plain text costs no Python call.
    """
    out = (
        texts.cast(pl.String)
        .str.replace_all(_SCRIPT, " ")
        .str.replace_all(_BREAK_TAGS, "\n")
        .str.replace_all(_TAG, " ")
    )
    has_entity = out.str.contains(_ENTITY).fill_null(False)
    if bool(has_entity.any()):
        idx = has_entity.arg_true()
        fixed = out.gather(idx).map_elements(html.unescape, return_dtype=pl.String)
        out = out.scatter(idx, fixed)
    return out


def clean_texts(texts: pl.Series) -> pl.Series:
    """Strip HTML, drop control characters, collapse runs of spaces, trim; empty or blank text becomes null.

    Line breaks are kept (at most one blank line in a row). Emoji and other non-ASCII text are kept as is.
    """
    out = (
        strip_html(texts)
        .str.replace_all("\r\n?", "\n")
        .str.replace_all(_CONTROL, "")
        .str.replace_all(r"[ \t\u00A0]+", " ")
        .str.replace_all(r" ?\n ?", "\n")
        .str.replace_all(r"\n{3,}", "\n\n")
        .str.strip_chars()
    )
    return out.set(out.str.len_chars().fill_null(0) == 0, None).alias(texts.name)
