"""One reader per raw format. Each returns the native records of one file as a frame of strings (nested
JSON kept) with ``_file`` and ``_record`` (1-based: CSV line where the record starts, JSONL line, JSON
array position, parquet row, 1 for a one-record file) and a frame of malformed records
(``_file, _record, value, reason``). Readers are the only file I/O of ingest."""

from __future__ import annotations

import csv
import email
import email.header
import email.message
import email.policy
import email.utils
import io
import json
import logging
import functools
import re
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from voc.text.clean import strip_html

log = logging.getLogger(__name__)

EXTENSIONS: dict[str, str] = {
    ".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".parquet": "parquet", ".eml": "eml", ".txt": "transcript",
}
FOLDER_GLOB: dict[str, str] = {"eml": "*.eml", "transcript": "*.txt"}
MALFORMED_SCHEMA = {"_file": pl.String, "_record": pl.Int64, "value": pl.String, "reason": pl.String}


class IngestError(ValueError):
    """A source that cannot be read at all: the message names the source, the file and the fix."""


@dataclass(frozen=True)
class RawBatch:
    """Native records of one file, and the records that could not be parsed."""

    records: pl.DataFrame
    malformed: pl.DataFrame


def decode_bytes(data: bytes, *, encoding: str | None = None) -> str:
    """UTF-8 (BOM stripped) first, then cp1252, then latin-1 (which never fails); or ``encoding`` if set."""
    if encoding:
        return data.decode(encoding).lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _malformed(rows: list[tuple[str, int, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=MALFORMED_SCHEMA, orient="row")


def _with_position(frame: pl.DataFrame, file: str, records: pl.Series) -> pl.DataFrame:
    return frame.with_columns(pl.lit(file).alias("_file"), records.cast(pl.Int64).alias("_record"))


_BARE_CR = re.compile(r"\r(?!\n)")
_CR_MARK = "\ue000"  # a private-use character that stands in for a bare CR while the csv module parses


def _read_unquoted(text: str, file: str, separator: str) -> RawBatch | None:
    """Vectorised fast path for a delimited file without quotes or bare CRs (most machine exports): split
    lines and fields with polars. Returns None when any non-blank line has the wrong field count, so the
    caller's ``csv`` path reports the malformed lines. Same output as the ``csv`` path."""
    lines = pl.Series(text.split("\n")).str.strip_suffix("\r")
    header = [h.strip() for h in lines[0].split(separator)] if len(lines) else []
    if not header or len(set(header)) != len(header):
        return None
    keep = (lines.str.strip_chars().str.len_chars() > 0)
    keep[0] = False
    idx = keep.arg_true()
    body = lines.gather(idx)
    n = len(header)
    if not bool((body.str.count_matches(separator, literal=True) == n - 1).all()):
        return None
    parts = body.str.split_exact(separator, n - 1).struct.unnest()
    frame = parts.rename(dict(zip(parts.columns, header, strict=True))).with_columns(pl.all().replace("", None))
    return RawBatch(_with_position(frame, file, idx + 1), _malformed([]))


def read_delimited(path: Path, *, separator: str = ",", encoding: str | None = None) -> RawBatch:
    """CSV/TSV via the C ``csv`` parser (quoted newlines, doubled quotes). A record whose field count
    differs from the header is malformed; blank lines are not records. (polars' reader pads short rows
    with empty strings, so it cannot tell a malformed line from empty fields.)"""
    text = decode_bytes(path.read_bytes(), encoding=encoding)
    if '"' not in text and "\r" not in text.replace("\r\n", ""):
        fast = _read_unquoted(text, str(path), separator)
        if fast is not None:
            return fast
    # A bare CR in a file whose lines end in LF or CRLF is content, not a line end (e.g. a tweet pasted
    # with CRs into an unquoted field): protect it so the record stays whole; restored after parsing.
    bare_cr = "\n" in text and _BARE_CR.search(text) is not None
    if bare_cr:
        text = _BARE_CR.sub(_CR_MARK, text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    file = str(path)
    try:
        header = next(reader)
    except StopIteration:
        return RawBatch(pl.DataFrame({"_file": [], "_record": []}, schema={"_file": pl.String, "_record": pl.Int64}), _malformed([]))
    except csv.Error as exc:
        raise IngestError(f"{file}: cannot read the header line ({exc})") from exc
    header = [h.strip() for h in header]
    n = len(header)
    rows: list[list[str]] = []
    starts: list[int] = []
    bad: list[tuple[str, int, str, str]] = []
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            bad.append((file, line, "", f"malformed line: {exc}"))
            line = reader.line_num + 1
            continue
        if row and (len(row) == n or any(c.strip() for c in row)):
            if len(row) == n:
                rows.append(row)
                starts.append(line)
            else:
                bad.append((file, line, separator.join(row), f"malformed line: expected {n} fields, got {len(row)}"))
        line = reader.line_num + 1
    frame = pl.DataFrame(rows, schema=dict.fromkeys(header, pl.String), orient="row") if rows else pl.DataFrame(schema=dict.fromkeys(header, pl.String))
    frame = frame.with_columns(pl.all().replace("", None))
    bad_frame = _malformed(bad)
    if bare_cr:
        frame = frame.with_columns(pl.all().str.replace_all(_CR_MARK, "\r", literal=True))
        bad_frame = bad_frame.with_columns(pl.col("value").str.replace_all(_CR_MARK, "\r", literal=True))
    return RawBatch(_with_position(frame, file, pl.Series(starts, dtype=pl.Int64)), bad_frame)


def read_jsonl(path: Path, *, encoding: str | None = None) -> RawBatch:
    """JSON Lines: one vectorised ``read_ndjson`` pass; only when it fails are lines parsed one by one to
    find the malformed ones. Blank lines are not records."""
    text = decode_bytes(path.read_bytes(), encoding=encoding)
    lines = pl.Series(text.split("\n")).str.strip_chars()
    keep = (lines.str.len_chars() > 0).arg_true()
    numbers = keep + 1
    body = lines.gather(keep)
    file = str(path)
    if body.len() == 0:
        return RawBatch(_with_position(pl.DataFrame(), file, pl.Series([], dtype=pl.Int64)), _malformed([]))
    try:
        frame = pl.read_ndjson(io.BytesIO("\n".join(body.to_list()).encode()), infer_schema_length=None)
        if frame.height == body.len():
            return RawBatch(_with_position(frame, file, numbers), _malformed([]))
    except Exception:  # noqa: BLE001 - polars raises several types; the slow path below names the line
        pass
    good: list[dict[str, object]] = []
    good_no: list[int] = []
    bad: list[tuple[str, int, str, str]] = []
    for no, raw in zip(numbers.to_list(), body.to_list(), strict=True):
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            bad.append((file, no, raw, f"malformed JSON: {exc.msg}"))
            continue
        if not isinstance(obj, dict):
            bad.append((file, no, raw, "malformed JSON: not an object"))
            continue
        good.append(obj)
        good_no.append(no)
    frame = pl.DataFrame(good, infer_schema_length=None, strict=False) if good else pl.DataFrame()
    return RawBatch(_with_position(frame, file, pl.Series(good_no, dtype=pl.Int64)), _malformed(bad))


def read_json(path: Path, *, encoding: str | None = None) -> RawBatch:
    """One JSON array of objects (or ``{"records": [...]}``); a non-object element is malformed."""
    file = str(path)
    try:
        data = json.loads(decode_bytes(path.read_bytes(), encoding=encoding))
    except json.JSONDecodeError as exc:
        raise IngestError(f"{file}: not valid JSON ({exc.msg} at line {exc.lineno}); fix or re-export the file") from exc
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        data = data["records"]
    if not isinstance(data, list):
        raise IngestError(f"{file}: expected a JSON array of records, got {type(data).__name__}")
    good = [r for r in data if isinstance(r, dict)]
    nums = [i + 1 for i, r in enumerate(data) if isinstance(r, dict)]
    bad = [(file, i + 1, json.dumps(r)[:500], "malformed record: not an object") for i, r in enumerate(data) if not isinstance(r, dict)]
    frame = pl.DataFrame(good, infer_schema_length=None, strict=False) if good else pl.DataFrame()
    return RawBatch(_with_position(frame, file, pl.Series(nums, dtype=pl.Int64)), _malformed(bad))


def read_parquet_file(path: Path) -> RawBatch:
    """Parquet, record = 1-based row."""
    frame = pl.read_parquet(path)
    return RawBatch(_with_position(frame, str(path), pl.int_range(1, frame.height + 1, eager=True)), _malformed([]))


_NLCRE_EOL = re.compile(r"(?:\r\n|\r|\n)\Z")  # one line end at the end (``NLCRE_eol`` in email.feedparser)
_QUOTE_HEADER = re.compile(
    r"^(?:On\s.*(?:\n.*)?wrote:\s*$|-{2,}\s*Original Message\s*-{2,}|From:\s.*\n(?:Sent|Date):\s)", re.M | re.I
)


def strip_quoted_reply(body: str) -> str:
    """Only the new text of a reply: drops ``>`` lines and everything from an "On ... wrote:" line (which
    may wrap onto a second line), an "Original Message" separator or an Outlook "From:/Sent:" block."""
    match = _QUOTE_HEADER.search(body)
    if match:
        body = body[: match.start()]
    kept = [ln for ln in body.splitlines() if not ln.lstrip().startswith(">")]
    return "\n".join(kept).strip()


_COMPAT32 = email.policy.compat32
# one header field as the std-lib feed parser reads it: a name (``headerRE`` in email.feedparser; the
# "From " envelope line and an empty name take the std-lib path), the value after the colon and blanks,
# and its continuation lines (which keep their line ends, as compat32 keeps them)
_FIELD = re.compile(r"([\041-\071\073-\176]+):[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)\n?")
# what may follow "--boundary" on a boundary line (``boundaryre`` in email.feedparser; bare CRs take the
# std-lib path, so a line ends in LF or CRLF)
_BOUNDARY_TAIL = re.compile(r"(--)?[ \t]*(?:\r\n|\n)?")


def _fast_headers(text: str, start: int, end: int) -> tuple[list[tuple[str, str]], int] | None:
    """The header fields of ``text[start:end]`` as compat32 stores them (name, value without the final
    line end: ``Compat32.header_source_parse``) and where the body starts; None unless the block is
    header lines ended by a blank line (the std-lib path then handles and reports the defect)."""
    headers: list[tuple[str, str]] = []
    pos = start
    while pos < end:
        if text.startswith("\n", pos) or text.startswith("\r\n", pos):
            return headers, text.index("\n", pos) + 1
        field = _FIELD.match(text, pos, end)
        if field is None:
            return None
        headers.append((field.group(1), field.group(2).rstrip("\r\n")))
        pos = field.end()
    return None  # headers up to the end: no blank line, no body


def _new_message(headers: list[tuple[str, str]]) -> email.message.Message:
    msg = email.message.Message(policy=_COMPAT32)
    msg._headers = headers  # noqa: SLF001 - what FeedParser builds with set_raw, one field at a time
    return msg


def _fast_message(data: bytes) -> email.message.Message | None:
    """The message tree that ``email.message_from_bytes(data, policy=compat32)`` builds, for a message
    that needs no recovery: header lines, a blank line, then a single part (not ``message/*``) or one
    multipart level of single parts with a start and a close boundary and no doubled boundary line.
    None for anything else (the caller then uses the std-lib parser). Several times faster: the body is
    sliced instead of fed line by line, and no regex is compiled per boundary. Line ends must be LF or
    CRLF (the std-lib also ends a line at a bare CR)."""
    text = data.decode("ascii", "surrogateescape")  # as BytesParser does
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None
    parsed = _fast_headers(text, 0, len(text))
    if parsed is None or not parsed[0]:
        return None
    headers, body = parsed
    msg = _new_message(headers)
    maintype = msg.get_content_maintype()
    if maintype == "message":
        return None
    if maintype != "multipart":
        msg._payload = text[body:]  # noqa: SLF001 - as FeedParser's set_payload
        return msg
    boundary = msg.get_boundary()
    if (
        boundary is None
        or msg.get_content_type() == "multipart/digest"
        or str(msg.get("content-transfer-encoding", "8bit")).lower() not in ("7bit", "8bit", "binary")
    ):
        return None
    sep = "--" + boundary
    marks: list[tuple[int, int]] = []  # boundary lines up to the closing one: start, end (after the line end)
    closed = False
    pos, n = body, len(text)
    while not closed:
        at = text.find(sep, pos)
        if at < 0:
            break
        if text[at - 1] != "\n":  # not at the start of a line
            pos = at + 1
            continue
        nl = text.find("\n", at)
        stop = n if nl < 0 else nl + 1
        tail = _BOUNDARY_TAIL.fullmatch(text, at + len(sep), stop)
        if tail is not None:
            closed = tail.group(1) is not None
            marks.append((at, stop))
        pos = stop
    if not closed or len(marks) < 2 or any(a[1] == b[0] for a, b in zip(marks, marks[1:])):
        return None  # no start or no close boundary, or doubled boundary lines
    if marks[0][0] > body:
        msg.preamble = _NLCRE_EOL.sub("", text[body : marks[0][0]], count=1)
    parts: list[email.message.Message] = []
    for (_, start), (end, _) in zip(marks, marks[1:]):
        parsed = _fast_headers(text, start, end)
        if parsed is None:
            return None
        part = _new_message(parsed[0])
        if part.get_content_maintype() in ("multipart", "message"):
            return None
        # the line end before a boundary belongs to the boundary (RFC 2046)
        part._payload = _NLCRE_EOL.sub("", text[parsed[1] : end], count=1)  # noqa: SLF001
        parts.append(part)
    msg._payload = parts  # noqa: SLF001 - as FeedParser's attach
    msg.epilogue = text[marks[-1][1] :]
    return msg


@functools.lru_cache(maxsize=256)
def _content_charset(content_type: str) -> str | None:
    """``get_content_charset()`` of a message whose first Content-Type field is ``content_type``
    (memoised: the parameter parser is the costly part, and parts share a few header values)."""
    return _new_message([("Content-Type", content_type)]).get_content_charset()


def _part_charset(part: email.message.Message) -> str | None:
    raw = part.get("content-type")
    if isinstance(raw, str):
        return _content_charset(raw)
    return part.get_content_charset()  # absent, or a Header object (8-bit bytes in the field)


def _email_body(msg: email.message.Message) -> str:
    """The text of a message parsed with the fast ``compat32`` policy: the first text/plain part (else
    text/html, stripped), transfer encoding and charset decoded, quoted reply removed."""
    parts = list(msg.walk()) if msg.is_multipart() else [msg]
    leaves = [(p.get_content_type(), p) for p in parts if not p.is_multipart()]
    part = next((p for t, p in leaves if t == "text/plain"), None)
    if part is None:
        part = next((p for t, p in leaves if t == "text/html"), None)
    if part is None:
        return ""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(payload or "").encode()
    charset = _part_charset(part) or "utf-8"
    try:
        content = payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        content = decode_bytes(payload)
    if part.get_content_type() == "text/html":
        content = str(strip_html(pl.Series([content])).item() or "")
    return strip_quoted_reply(content.replace("\r\n", "\n"))


def _header(msg: email.message.Message, name: str) -> str | None:
    raw = msg.get(name)
    if raw is None:
        return None
    if isinstance(raw, str) and "=?" not in raw:
        # no encoded word: decode_header returns the value as is, make_header/str give it back
        return raw.strip()
    return str(email.header.make_header(email.header.decode_header(str(raw)))).strip()


def parse_eml(path: Path) -> dict[str, str | None]:
    """One RFC 822 message: headers ``Message-ID`` (angle brackets dropped), ``Date`` (as ISO 8601),
    ``Subject`` (RFC 2047 decoded), ``X-Customer-ID``, and ``body`` (text/plain preferred, HTML stripped,
    transfer encoding decoded, quoted reply removed). ``From``/``To`` are not kept (PII). Parsed with the
    ``compat32`` policy (about 5x faster than ``email.policy.default``, whose header objects ingest does
    not need), and for well-formed messages by :func:`_fast_message`, which builds the same tree."""
    return parse_eml_bytes(path.read_bytes())


def parse_eml_bytes(data: bytes) -> dict[str, str | None]:
    """:func:`parse_eml` of the bytes of one ``.eml`` file."""
    msg = _fast_message(data)
    if msg is None:
        msg = email.message_from_bytes(data, policy=_COMPAT32)
    date, mid, subject, cust = (_header(msg, h) for h in ("Date", "Message-ID", "Subject", "X-Customer-ID"))
    try:
        date_iso = email.utils.parsedate_to_datetime(date).isoformat() if date else None
    except (TypeError, ValueError):
        date_iso = date
    return {
        "Message-ID": mid.strip("<>") or None if mid else None,
        "Date": date_iso,
        "Subject": subject,
        "X-Customer-ID": cust or None,
        "body": redact_sender_name(_email_body(msg), _header(msg, "From")),
    }


# "First Last <local@domain>": ``parseaddr`` gives the words joined by single spaces, so the name is
# read without it (a quarter of the e-mail parse time); any other form goes through ``parseaddr``
_SIMPLE_SENDER = re.compile(r"([A-Za-z]+(?: [A-Za-z]+)*) <[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*>")


def _sender_name(sender: str) -> str:
    simple = _SIMPLE_SENDER.fullmatch(sender)
    return simple.group(1) if simple else email.utils.parseaddr(sender)[0]


def redact_sender_name(body: str, sender: str | None) -> str:
    """Replace the sender's display name from ``From`` (the full name, then each part of 2+ letters,
    whole words, case-sensitive) by ``[NAME]``: catches the name in the signature ("Best,\\nHarry").
    A first name that is also a capitalised word (``Will``) is redacted there too: over-redaction is
    the safe side."""
    if not sender or not body:
        return body
    name = _sender_name(sender).strip().strip('"')
    parts = [p for p in re.split(r"[\s,]+", name) if len(p) >= 2 and p[0].isupper() and "@" not in p]
    if not parts:
        return body
    words = sorted({name, *parts} - {""}, key=len, reverse=True)
    # a word that is not a substring of the body can never match: leaving it out gives the same result
    # and most bodies then need no regex at all (compiling one per sender was 25% of e-mail parsing)
    present = tuple(w for w in words if w in body)
    if not present:
        return body
    return _name_pattern(present).sub("[NAME]", body)


@functools.lru_cache(maxsize=4096)
def _name_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b")


def _one_record_per_file(
    paths: list[Path], parse: Callable[[Path], dict[str, Any]], *, rows: list[dict[str, Any]] | None = None
) -> RawBatch:
    """One record per file, plus a ``file_stem`` column (the file name without extension). ``rows`` are
    the already parsed records of ``paths`` (from :func:`parse_chunk` in worker processes), if any."""
    if rows is None:
        rows = [parse(p) for p in paths]
    keys = list(dict.fromkeys(k for r in rows for k in r))
    frame = pl.DataFrame(rows, schema=dict.fromkeys(keys, pl.String)) if rows else pl.DataFrame()
    frame = frame.with_columns(
        pl.Series("file_stem", [p.stem for p in paths], dtype=pl.String),
        pl.Series("_file", [str(p) for p in paths], dtype=pl.String),
        pl.lit(1, pl.Int64).alias("_record"),
    )
    return RawBatch(frame, _malformed([]))


def read_eml(path: Path) -> RawBatch:
    """One ``.eml`` file as a one-record batch (see :func:`parse_eml`)."""
    return _one_record_per_file([path], parse_eml)


_SPEAKER = re.compile(r"^([A-Z][A-Z _-]{0,20}):\s?(.*)$")
SPEAKERS = ("AGENT", "CUSTOMER", "IVR", "BOT")


def parse_transcript(path: Path, *, encoding: str | None = None) -> dict[str, str | None]:
    """A call transcript: ``Key: value`` header lines up to the first blank line, then speaker lines
    (``AGENT:``, ``CUSTOMER:``, ``IVR:``; a line without a speaker continues the previous one). Native
    columns: the header keys, ``text`` (customer lines joined by newlines), ``n_turns``, ``speakers``."""
    text = decode_bytes(path.read_bytes(), encoding=encoding).replace("\r\n", "\n")
    row: dict[str, object] = {}
    turns: list[tuple[str, str]] = []
    in_header = True
    for raw in text.splitlines():
        line = raw.strip()
        speaker = _SPEAKER.match(line)
        if in_header and (not line or (speaker and speaker.group(1) in SPEAKERS)):
            in_header = False
            if not line:
                continue
        if in_header:
            key, sep, value = line.partition(":")
            if sep and key.strip():
                row[key.strip()] = value.strip() or None
        elif speaker:
            turns.append((speaker.group(1).strip(), speaker.group(2).strip()))
        elif line and turns:
            turns[-1] = (turns[-1][0], f"{turns[-1][1]} {line}")
    row["text"] = "\n".join(t for s, t in turns if s == "CUSTOMER" and t) or None
    row["n_turns"] = str(len(turns))
    row["speakers"] = ",".join(sorted({s for s, _ in turns}))
    return {k: (None if v is None else str(v)) for k, v in row.items()}


def read_transcript(path: Path, *, encoding: str | None = None) -> RawBatch:
    """One transcript file as a one-record batch (see :func:`parse_transcript`)."""
    return _one_record_per_file([path], lambda p: parse_transcript(p, encoding=encoding))


PER_FILE_FORMATS = ("eml", "transcript")
CHUNK_FILES = 2000  # files per task when per-file formats are parsed in worker processes


def parse_chunk(paths: Sequence[str], fmt: str, encoding: str | None = None) -> list[dict[str, str | None]]:
    """The records of a chunk of one-record-per-file files (eml, transcript), in order; module-level so
    that a process pool can run it."""
    if fmt == "eml":
        out = []
        for p in paths:
            with open(p, "rb") as fh:  # not Path(p).read_bytes(): building the Path costs more than the read
                out.append(parse_eml_bytes(fh.read()))
        return out
    return [parse_transcript(Path(p), encoding=encoding) for p in paths]


def submit_chunks(executor: Executor, paths: Sequence[Path], fmt: str, *, encoding: str | None = None) -> list[Future[list[dict[str, str | None]]]]:
    """Submit the parsing of ``paths`` (a per-file format) to ``executor`` in chunks of ``CHUNK_FILES``."""
    names = [str(p) for p in paths]
    return [executor.submit(parse_chunk, names[i : i + CHUNK_FILES], fmt, encoding) for i in range(0, len(names), CHUNK_FILES)]


def read_files(
    paths: list[Path], fmt: str, *, encoding: str | None = None, parsed: Sequence[Future[list[dict[str, str | None]]]] | None = None
) -> RawBatch:
    """All files of one source: one-record-per-file formats (eml, transcript) are built into one frame
    directly (from ``parsed``, the futures of :func:`submit_chunks`, when given); the others are read
    file by file and concatenated."""
    if fmt in PER_FILE_FORMATS and parsed is not None:
        try:
            rows = [row for future in parsed for row in future.result()]
            return _one_record_per_file(paths, parse_eml, rows=rows)
        except BrokenProcessPool:
            # e.g. a calling script without an ``if __name__ == "__main__":`` guard, which spawned
            # workers cannot import: same records, parsed in this process
            log.warning("worker processes failed to start; parsing %d %s file(s) in this process", len(paths), fmt)
    if fmt == "eml":
        return _one_record_per_file(paths, parse_eml)
    if fmt == "transcript":
        return _one_record_per_file(paths, lambda p: parse_transcript(p, encoding=encoding))
    batches = [read_file(p, fmt, encoding=encoding) for p in paths]
    records = pl.concat([b.records for b in batches], how="diagonal_relaxed", rechunk=True)
    return RawBatch(records, pl.concat([b.malformed for b in batches], how="vertical"))


def chat_to_flat(frame: pl.DataFrame) -> pl.DataFrame:
    """Chat conversations (``turns: [{speaker, at, text}]``) to one row each: ``text`` = customer turns
    joined by newlines, ``n_turns``; vectorised over list columns."""
    if "turns" not in frame.columns:
        return frame
    turns = pl.col("turns")
    return frame.with_columns(
        turns.list.eval(
            pl.when(pl.element().struct.field("speaker") == "customer").then(pl.element().struct.field("text"))
        ).list.drop_nulls().list.join("\n").alias("text"),
        turns.list.len().cast(pl.String).alias("n_turns"),
    ).drop("turns")


def read_file(path: Path, fmt: str, *, separator: str | None = None, encoding: str | None = None) -> RawBatch:
    """Dispatch to the reader of ``fmt``."""
    if fmt in ("csv", "tsv"):
        return read_delimited(path, separator=separator or ("\t" if fmt == "tsv" else ","), encoding=encoding)
    if fmt in ("jsonl", "chat_jsonl"):
        batch = read_jsonl(path, encoding=encoding)
        return RawBatch(chat_to_flat(batch.records), batch.malformed) if fmt == "chat_jsonl" else batch
    if fmt == "json":
        return read_json(path, encoding=encoding)
    if fmt == "parquet":
        return read_parquet_file(path)
    if fmt == "eml":
        return read_eml(path)
    if fmt == "transcript":
        return read_transcript(path, encoding=encoding)
    raise IngestError(f"{path}: unknown format {fmt!r}; use one of csv, tsv, jsonl, json, parquet, eml, transcript, chat_jsonl")
