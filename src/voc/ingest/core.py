"""Ingest: raw sources -> contract-checked interim tables plus a quarantine table and counts.

``read_sources`` does the file I/O (glob, one reader per format); ``ingest_batches`` is pure: it maps native
columns to target fields, cleans and redacts text, checks every record against the contract and routes
the ones that break it to quarantine with source, file, record, field, value and reason. Checks are
polars expressions over whole frames; the first failing check of a record names its reason.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import glob as globlib
import logging
import multiprocessing
import os
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl

from voc import schemas
from voc.ingest.config import CHANNELS, IngestConfig, SourceConfig
from voc.ingest.readers import EXTENSIONS, FOLDER_GLOB, PER_FILE_FORMATS, IngestError, RawBatch, read_files, submit_chunks
from voc.ingest.timestamps import parse_timestamp_series
from voc.text.clean import clean_texts
from voc.text.pii import redact_pii

log = logging.getLogger(__name__)

# target field -> (type, required); type: str | ts | text | int8:lo:hi | int32:lo | float | bool | channel
# | enum:a|b|c (lower-cased, one of the listed values)
KIND_FIELDS: dict[str, dict[str, tuple[str, bool]]] = {
    "feedback": {
        "feedback_id": ("str", True), "customer_id": ("str", False), "channel": ("channel", False),
        "created_at": ("ts", True), "text": ("text", False), "nps": ("int8:0:10", False),
        "csat": ("int8:1:5", False), "ces": ("int8:1:7", False), "stars": ("int8:1:5", False),
        "ticket_id": ("str", False),
    },
    "tickets": {
        "ticket_id": ("str", True), "customer_id": ("str", True), "channel": ("str", False),
        "created_at": ("ts", True), "first_response_at": ("ts", False), "resolved_at": ("ts", False),
        "reopened_at": ("ts", False), "status": ("str", False), "priority": ("str", False),
        "category": ("str", False), "escalated": ("bool", False),
    },
    "customers": {
        "customer_id": ("str", True), "signup_at": ("ts", True), "plan": ("str", False),
        "region": ("str", False), "monthly_charges": ("float:0", False), "cancelled_at": ("ts", False),
        "churned": ("bool", False),
    },
    "payments": {
        "invoice_id": ("str", True), "customer_id": ("str", True), "due_at": ("ts", True),
        "paid_at": ("ts", False), "amount": ("float", True), "failed_attempts": ("int32:0", False),
    },
    "events": {
        "customer_id": ("str", True), "ts": ("ts", True), "event": ("str", True), "feature": ("str", False),
    },
    # help-desk status history (audit log), one row per event; optional: without it the complaints stage
    # leaves requester wait and escalation paths null
    "ticket_events": {
        "ticket_id": ("str", True), "event_id": ("str", True), "at": ("ts", True),
        "actor": ("enum:" + "|".join(schemas.TICKET_EVENT_ACTORS), True), "public": ("bool", False),
        "status_to": ("enum:" + "|".join(schemas.TICKET_STATUSES), False), "group": ("str", False),
    },
}
ID_COLUMN: dict[str, str | None] = {
    "feedback": "feedback_id", "tickets": "ticket_id", "customers": "customer_id", "payments": "invoice_id",
    "events": None, "ticket_events": "event_id",
}
# required fields an export may lack entirely (``absent_fields``): the contract lets them be null, because
# real snapshots have no such column (review dumps without dates, a churn snapshot without signup dates,
# complaint exports without customer ids). A source that maps them still gets missing values quarantined.
MAY_BE_ABSENT: dict[str, frozenset[str]] = {
    "feedback": frozenset({"created_at"}), "tickets": frozenset({"customer_id"}),
    "customers": frozenset({"signup_at"}), "payments": frozenset(), "events": frozenset(),
    "ticket_events": frozenset(),
}
# kinds whose table carries a JSON object column built from ``meta_fields`` (feedback.meta,
# customers.attributes: extra CRM fields of snapshot data, read by voc.churn.features.customer_attributes)
META_KINDS = ("feedback", "customers")
META_COLUMN = {"feedback": "meta", "customers": "attributes"}
SORT_KEYS: dict[str, list[str]] = {
    "feedback": ["feedback_id"], "tickets": ["ticket_id"], "customers": ["customer_id"],
    "payments": ["invoice_id"], "events": ["customer_id", "ts", "event", "feature"],
    "ticket_events": ["ticket_id", "at", "event_id"],
}
SCORES = ("nps", "csat", "ces", "stars")
POS = ["_source", "_file", "_record"]
_TRUE = ["true", "t", "yes", "y", "1"]
_FALSE = ["false", "f", "no", "n", "0"]


@dataclasses.dataclass(frozen=True)
class IngestResult:
    """The interim tables (``feedback, tickets, customers, payments, events, ticket_events``; a kind no
    source declares is an empty table), the quarantine table and the ``ingest.json`` metrics."""

    tables: dict[str, pl.DataFrame]
    quarantine: pl.DataFrame
    metrics: dict[str, Any]


def infer_format(source: SourceConfig, path: str) -> str:
    """The source's ``format`` or the one its extension implies."""
    if source.format:
        return source.format
    ext = Path(path).suffix.lower()
    if ext not in EXTENSIONS:
        raise IngestError(
            f"source {source.name!r}: cannot infer the format of {path!r} from its extension; "
            f"set `format:` to one of csv, tsv, jsonl, json, parquet, eml, transcript, chat_jsonl"
        )
    return EXTENSIONS[ext]


_ENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def expand_path(path: str, env: Mapping[str, str]) -> str:
    """``path`` with ``$VAR``, ``${VAR}`` and ``${VAR:-default}`` replaced from ``env`` and ``~`` expanded.
    An unset variable without a default is an :class:`IngestError` naming it."""

    def value(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(3)
        if env.get(name):
            return env[name]
        if m.group(2) is not None:
            return m.group(2)
        raise IngestError(f"path {path!r}: environment variable {name} is not set; set it or write ${{{name}:-default}}")

    return os.path.expanduser(_ENV_VAR.sub(value, path))


def resolve_files(source: SourceConfig, root: Path) -> list[Path]:
    """The files of ``source.path`` (a glob, a file or a folder of .eml/.txt; relative to ``root``, with
    environment variables expanded, see :func:`expand_path`), sorted."""
    try:
        expanded = expand_path(source.path, os.environ)
    except IngestError as exc:
        raise IngestError(f"source {source.name!r}: {exc}") from exc
    pattern = root / expanded
    if pattern.is_dir():
        fmt = source.format or ("eml" if any(pattern.glob("*.eml")) else "transcript")
        pattern = pattern / FOLDER_GLOB.get(fmt, "*")
    # sorted by path parts (the order of sorting Path objects), without Path.__lt__ per comparison
    files = sorted((Path(p) for p in globlib.glob(str(pattern)) if os.path.isfile(p)), key=lambda p: p.parts)
    if not files:
        raise IngestError(
            f"source {source.name!r}: no file matches {str(pattern)!r}; "
            "fix `path:` in params.yaml ingest.sources (or the environment variable it names), "
            "or run `voc sample` to write data/raw/"
        )
    return files


def read_sources(config: IngestConfig, root: Path, *, workers: int = 2, parallel_min_files: int = 2000) -> dict[str, RawBatch]:
    """Read every source (the file I/O of ingest): source name -> its native records and malformed ones.

    When the one-record-per-file sources (eml, transcript) hold ``parallel_min_files`` files or more,
    their files are parsed by a pool of ``workers`` processes (spawned, so no fork of polars' threads)
    while this process reads the other sources; the records are the same, in the same order."""
    plan: list[tuple[SourceConfig, list[Path], str]] = []
    missing: dict[str, RawBatch] = {}
    for source in config.sources:
        try:
            paths = resolve_files(source, root)
        except IngestError as exc:
            if not source.optional:
                raise
            log.warning("optional %s; it adds no rows", exc)
            missing[source.name] = empty_batch()
            continue
        fmts = sorted({infer_format(source, str(p)) for p in paths})
        if len(fmts) > 1:
            raise IngestError(f"source {source.name!r}: {source.path!r} matches files of several formats {fmts}; narrow the glob or set `format:`")
        plan.append((source, paths, fmts[0]))
    per_file = [(s, p, f) for s, p, f in plan if f in PER_FILE_FORMATS]
    use_pool = workers > 1 and sum(len(p) for _, p, _ in per_file) >= parallel_min_files
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) if use_pool else None
    try:
        parsed = {s.name: submit_chunks(executor, p, f, encoding=s.encoding) for s, p, f in per_file} if executor else {}
        # the other sources first, so this process works while the pool parses the per-file ones
        order = sorted(range(len(plan)), key=lambda i: plan[i][0].name in parsed)
        batches: dict[str, RawBatch] = dict(missing)
        for i in order:
            source, paths, fmt = plan[i]
            try:
                batch = read_files(paths, fmt, encoding=source.encoding, parsed=parsed.get(source.name))
            except IngestError as exc:
                raise IngestError(f"source {source.name!r}: {exc}") from exc
            except Exception as exc:  # noqa: BLE001 - wrap any reader failure with the source and its files
                raise IngestError(f"source {source.name!r}: cannot read {source.path!r} as {fmt}: {exc}") from exc
            batches[source.name] = batch
            log.info("source %s: %d file(s), %d records, %d malformed", source.name, len(paths), batch.records.height, batch.malformed.height)
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
    return {s.name: batches[s.name] for s in config.sources}


def empty_batch() -> RawBatch:
    """A source with no file (an ``optional`` source whose path matches nothing): no records."""
    return RawBatch(
        pl.DataFrame(schema={"_file": pl.String, "_record": pl.Int64}),
        pl.DataFrame(schema={"_file": pl.String, "_record": pl.Int64, "value": pl.String, "reason": pl.String}),
    )


def _as_string(frame: pl.DataFrame, native: str) -> pl.Expr:
    dtype = frame.schema[native]
    if isinstance(dtype, (pl.List, pl.Struct, pl.Array)):
        return pl.col(native).cast(pl.String, strict=False)
    return pl.col(native).cast(pl.String)


def stage_source(records: pl.DataFrame, source: SourceConfig) -> tuple[pl.DataFrame, dict[str, pl.DataType]]:
    """Map native columns to the target fields of the source's kind (raw, as strings; timestamps keep a
    temporal dtype if the file had one). Raises :class:`IngestError` when a mapping names a column the
    file lacks or a required field has no column."""
    fields = KIND_FIELDS[source.kind]
    files = records["_file"].unique().sort().to_list() if "_file" in records.columns else []
    where = files[0] if len(files) == 1 else f"{len(files)} files under {source.path!r}"
    unknown = sorted(set(source.columns) - set(fields))
    if unknown:
        raise IngestError(f"source {source.name!r}: `columns` maps unknown target field(s) {unknown}; allowed: {sorted(fields)}")
    allowed_absent = MAY_BE_ABSENT[source.kind] | {f for f, (_, req) in fields.items() if not req}
    bad_absent = sorted(set(source.absent_fields) - allowed_absent)
    if bad_absent:
        raise IngestError(f"source {source.name!r}: `absent_fields` {bad_absent} must be present in a {source.kind} table; allowed absent: {sorted(allowed_absent)}")
    both = sorted(set(source.absent_fields) & set(source.columns))
    if both:
        raise IngestError(f"source {source.name!r}: {both} are both mapped in `columns` and listed in `absent_fields`; keep one")
    if source.null_values:
        nulls = list(source.null_values)
        strings = [c for c, t in records.schema.items() if t == pl.String and not c.startswith("_")]
        records = records.with_columns([pl.when(pl.col(c).str.strip_chars().is_in(nulls)).then(None).otherwise(pl.col(c)).alias(c) for c in strings])
    wanted = list(source.columns.values()) + list(source.text_fields) + list(source.meta_fields)
    wanted += [source.feedback_text] if source.feedback_text else []
    missing = [c for c in wanted if c not in records.columns]
    if missing and records.height > 0:
        raise IngestError(
            f"source {source.name!r}: {where} has no column(s) {missing} (columns: {sorted(c for c in records.columns if not c.startswith('_'))}); "
            "fix `columns`/`text_fields`/`meta_fields` in params.yaml ingest.sources"
        )
    exprs: list[pl.Expr] = [pl.lit(source.name).alias("_source"), pl.col("_file"), pl.col("_record")]
    temporal: dict[str, pl.DataType] = {}
    for field, (ftype, required) in fields.items():
        native = source.columns.get(field, field if field in records.columns else None)
        if field == "text" and source.text_fields:
            parts = [_as_string(records, c) for c in source.text_fields if c in records.columns]
            exprs.append(pl.concat_str(parts, separator="\n", ignore_nulls=True).alias(field) if parts else pl.lit(None, pl.String).alias(field))
            continue
        if native is None or native not in records.columns:
            if required and records.height > 0 and field != "channel" and field not in source.absent_fields:
                raise IngestError(
                    f"source {source.name!r}: required field {field!r} has no column in {where}; "
                    f"map it with `columns: {{{field}: <native column>}}` in params.yaml ingest.sources"
                )
            exprs.append(pl.lit(None, pl.String).alias(field))
            continue
        dtype = records.schema[native]
        if ftype == "ts" and isinstance(dtype, (pl.Datetime, pl.Date)):
            temporal[field] = dtype
            exprs.append(pl.col(native).alias(field))
        else:
            exprs.append(_as_string(records, native).alias(field))
    if source.kind in META_KINDS or source.feedback_text:
        meta = [_as_string(records, c).alias(c) for c in source.meta_fields if c in records.columns]
        exprs.append(pl.struct(meta).alias("_meta") if meta else pl.lit(None, pl.Struct({})).alias("_meta"))
    if source.feedback_text:
        exprs.append(_as_string(records, source.feedback_text).alias("_feedback_text"))
    staged = records.select(exprs) if records.height or records.columns else records
    for field in fields:
        if field not in staged.columns:
            staged = staged.with_columns(pl.lit(None, pl.String).alias(field))
    return staged, temporal


def _first_failure(checks: Sequence[tuple[pl.Expr, str, str]]) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(index, field, reason) of the first check that fails, null when all pass.

    The conditions are evaluated once, in the index expression; field and reason read the ``_qidx`` column
    that the index is written to, so add the index first (eager ``with_columns`` shares no sub-expressions)."""
    if not checks:
        none = pl.lit(None, pl.String)
        return pl.lit(None, pl.Int32), none, none
    index: Any = pl
    for i, (cond, _, _) in enumerate(checks):
        index = index.when(cond).then(pl.lit(i, pl.Int32))
    positions = list(range(len(checks)))
    field = pl.col("_qidx").replace_strict(positions, [f for _, f, _ in checks], default=None, return_dtype=pl.String)
    reason = pl.col("_qidx").replace_strict(positions, [w for _, _, w in checks], default=None, return_dtype=pl.String)
    return index.otherwise(pl.lit(None, pl.Int32)), field, reason


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    stripped = expr.str.strip_chars()
    return pl.when(stripped.str.len_chars() > 0).then(stripped)


def check_contract(
    staged: pl.DataFrame,
    kind: str,
    *,
    source: SourceConfig,
    reference_time: dt.datetime,
    timezone: str,
    temporal: Mapping[str, pl.DataType] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Type, clean and check the staged records of one source. Returns (records that pass, typed, with
    ``_source/_file/_record``; quarantine rows). Text and string meta are cleaned and PII-redacted here."""
    fields = KIND_FIELDS[kind]
    temporal = dict(temporal or {})
    frame = staged
    for field, mapping in source.values.items():
        if field not in fields:
            raise IngestError(f"source {source.name!r}: `values` names unknown target field {field!r}; allowed: {sorted(fields)}")
        as_str = {str(k): ("true" if v is True else "false" if v is False else None if v is None else str(v)) for k, v in mapping.items()}
        frame = frame.with_columns(
            pl.col(field).alias(f"_raw_{field}"),
            pl.col(field).replace_strict(as_str, default="\x00unmapped", return_dtype=pl.String).alias(field),
        )
    checks: list[tuple[pl.Expr, str, str]] = []
    typed: list[pl.Expr] = []
    ref = pl.lit(reference_time).cast(pl.Datetime("us", "UTC"))
    for field, (ftype, required) in fields.items():
        required = required and field not in source.absent_fields
        raw = pl.col(field)
        if field in source.values:
            checks.append((raw == "\x00unmapped", field, f"unmapped value (allowed: {sorted(map(str, source.values[field]))})"))
            raw = pl.when(raw != "\x00unmapped").then(raw)
        if ftype == "ts":
            parsed = parse_timestamp_series(frame[field], timezone=source.timezone or timezone, formats=source.timestamp_formats)
            frame = frame.with_columns(parsed.alias(f"_ts_{field}"))
            val = pl.col(f"_ts_{field}")
            present = pl.col(field).is_not_null()
            if field not in temporal:
                present = _blank_to_null(pl.col(field)).is_not_null()
            if required:
                checks.append((~present, field, "missing required field"))
            checks.append((present & val.is_null(), field, "unparseable timestamp"))
            checks.append((val > ref, field, f"timestamp in the future (after {reference_time.isoformat()})"))
        elif ftype == "text":
            val = pl.col("_text_clean")  # cleaned and redacted below, on the whole column
        elif ftype in ("str", "channel"):
            val = _blank_to_null(raw)
            if required:
                checks.append((val.is_null(), field, "missing required field"))
            if ftype == "channel":
                val = pl.coalesce(val.str.to_lowercase(), pl.lit(source.channel, pl.String))
                checks.append((val.is_null(), field, "missing channel (set `channel:` or map a column)"))
                checks.append((~val.is_in(list(CHANNELS)), field, f"unknown channel (allowed: {list(CHANNELS)})"))
        elif ftype.startswith("enum:"):
            allowed = ftype.split(":", 1)[1].split("|")
            val = _blank_to_null(raw).str.to_lowercase()
            if required:
                checks.append((val.is_null(), field, "missing required field"))
            checks.append((val.is_not_null() & ~val.is_in(allowed), field, f"unknown value (allowed: {allowed})"))
        elif ftype.startswith(("int8", "int32", "float")):
            parts = ftype.split(":")
            clean = _blank_to_null(raw).str.replace_all(r"[£$€,\s]", "")
            num = clean.cast(pl.Float64, strict=False)
            if required:
                checks.append((clean.is_null(), field, "missing required field"))
            checks.append((clean.is_not_null() & num.is_null(), field, "not a number"))
            if parts[0] != "float":
                checks.append((num.is_not_null() & (num != num.round()), field, "not an integer"))
            lo = float(parts[1]) if len(parts) > 1 else None
            hi = float(parts[2]) if len(parts) > 2 else None
            if lo is not None or hi is not None:
                bad = (num < lo if lo is not None else pl.lit(False)) | (num > hi if hi is not None else pl.lit(False))
                rng = f"[{lo:g}, {hi:g}]" if hi is not None else f">= {lo:g}"
                checks.append((num.is_not_null() & bad, field, f"out of range {rng}"))
            target = {"int8": pl.Int8, "int32": pl.Int32, "float": pl.Float64}[parts[0]]
            val = pl.when(num.is_finite() & (num.abs() < 2.0**31)).then(num).cast(target, strict=False) if target != pl.Float64 else num
        elif ftype == "bool":
            low = _blank_to_null(raw).str.to_lowercase()
            val = pl.when(low.is_in(_TRUE)).then(True).when(low.is_in(_FALSE)).then(False).otherwise(None)
            if required:
                checks.append((low.is_null(), field, "missing required field"))
            checks.append((low.is_not_null() & val.is_null(), field, "not a boolean"))
        else:  # pragma: no cover - KIND_FIELDS is fixed
            raise AssertionError(ftype)
        typed.append(val.alias(field))
    if kind == "feedback":
        frame = frame.with_columns(redact_pii(clean_texts(frame["text"])).alias("_text_clean"))
        no_score = pl.all_horizontal([pl.col(s).is_null() for s in SCORES])
        checks.append((pl.col("_text_clean").is_null() & no_score, "text", "empty text and no score"))
    if "_feedback_text" in frame.columns:
        frame = frame.with_columns(redact_pii(clean_texts(frame["_feedback_text"])).alias("_feedback_text"))
    fail_index, fail_field, fail_reason = _first_failure(checks)
    frame = frame.with_columns(fail_index.alias("_qidx"))
    frame = frame.with_columns(fail_field.alias("_qfield"), fail_reason.alias("_qreason"), *typed).drop("_qidx")
    frame = frame.drop([c for c in frame.columns if c == "_text_clean" or c.startswith("_ts_")])
    bad = frame.filter(pl.col("_qreason").is_not_null())
    quarantine = quarantine_rows(bad, staged)
    good = frame.filter(pl.col("_qreason").is_null()).drop("_qfield", "_qreason")
    return good.drop([c for c in good.columns if c.startswith("_raw_")]), quarantine


def quarantine_rows(bad: pl.DataFrame, staged: pl.DataFrame) -> pl.DataFrame:
    """Quarantine rows for the failing records of ``bad`` (value = the raw staged value of the field)."""
    if bad.height == 0:
        return empty_quarantine()
    raw = staged.join(bad.select(POS + ["_qfield"]), on=POS, how="inner")
    fields = [f for f in bad["_qfield"].unique().to_list() if f in staged.columns]
    value = pl.lit(None, pl.String)
    for f in fields:
        value = pl.when(pl.col("_qfield") == f).then(pl.col(f).cast(pl.String, strict=False)).otherwise(value)
    raw = raw.select(POS + [value.alias("value")])
    return bad.select(POS + [pl.col("_qfield").alias("field"), pl.col("_qreason").alias("reason")]).join(raw, on=POS, how="left").select(
        pl.col("_source").alias("source"), pl.col("_file").alias("file"), pl.col("_record").cast(pl.Int64).alias("record"),
        "field", "value", "reason",
    )


def empty_quarantine() -> pl.DataFrame:
    """A quarantine table with no rows."""
    return pl.DataFrame(schema=schemas.QUARANTINE_COLUMNS)


def find_duplicates(frame: pl.DataFrame, kind: str, *, window_minutes: float) -> pl.DataFrame:
    """Boolean ``_dup`` reason column: 'duplicate id' for the second and later records of an id (records
    in source order, then file, then record number); for feedback also 'duplicate post' when the same
    customer posted the same text within ``window_minutes`` of an earlier post."""
    order = frame.with_row_index("_order")
    id_col = ID_COLUMN[kind]
    reason = pl.lit(None, pl.String)
    if id_col is not None:
        reason = pl.when(~pl.col(id_col).is_first_distinct()).then(pl.lit("duplicate id")).otherwise(reason)
    order = order.with_columns(reason.alias("_dup"))
    if kind == "feedback":
        keyed = order.filter(pl.col("_dup").is_null() & pl.col("customer_id").is_not_null() & pl.col("text").is_not_null())
        keyed = keyed.sort(["customer_id", "text", "created_at", "_order"]).with_columns(
            ((pl.col("created_at") - pl.col("created_at").shift(1).over(["customer_id", "text"])).dt.total_seconds() <= window_minutes * 60).fill_null(False).alias("_post")
        )
        dup_posts = keyed.filter(pl.col("_post")).select("_order")
        order = order.with_columns(
            pl.when(pl.col("_order").is_in(dup_posts["_order"].implode())).then(pl.lit(f"duplicate post (same customer and text within {window_minutes:g} minutes)")).otherwise(pl.col("_dup")).alias("_dup")
        )
    return order.drop("_order")


def _meta_json(frame: pl.DataFrame, source: SourceConfig) -> pl.Expr:
    fields = [f.name for f in frame.schema["_meta"].fields] if isinstance(frame.schema.get("_meta"), pl.Struct) else []
    parts = [pl.col("_meta").struct.field(f).alias(f) for f in fields]
    if source.meta_customer_linked:
        parts.append(pl.col("customer_id").is_not_null().alias("customer_linked"))
    if not parts:
        return pl.lit("{}")
    return pl.struct(parts).struct.json_encode()


def _redact_meta(frame: pl.DataFrame) -> pl.DataFrame:
    if not isinstance(frame.schema.get("_meta"), pl.Struct) or not frame.schema["_meta"].fields:
        return frame
    meta = frame["_meta"].struct.unnest()
    meta = meta.with_columns([redact_pii(clean_texts(meta[c])) for c in meta.columns])
    return frame.with_columns(meta.to_struct("_meta"))


def _check_source(batch: RawBatch, source: SourceConfig, *, reference_time: dt.datetime, timezone: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Stage and check one source, and build its meta JSON: (records that pass, quarantine rows)."""
    staged, temporal = stage_source(batch.records, source)
    good, bad = check_contract(staged, source.kind, source=source, reference_time=reference_time, timezone=timezone, temporal=temporal)
    del staged
    if source.kind in META_KINDS or source.feedback_text:
        good = _redact_meta(good)
        good = good.with_columns(_meta_json(good, source).alias("_meta"))
    return good, bad


def ingest_batches(batches: Mapping[str, RawBatch], config: IngestConfig, *, timezone: str, threads: int = 2,
                   consume: bool = False) -> IngestResult:
    """Turn each source's raw records into the interim tables, a quarantine table and counts (pure).

    Sources are checked by ``threads`` threads (polars releases the GIL; its eager string work on one
    column runs on one core), the largest first; results are combined in source order, so the output
    does not depend on ``threads``. ``consume=True`` (``batches`` must then be a dict) pops each raw batch
    as its check is queued, so its memory is freed once checked instead of held to the end (the CLI's
    peak at 1M items); the caller's dict is left empty."""
    reference = config.reference_datetime()
    per_kind: dict[str, list[pl.DataFrame]] = {k: [] for k in KIND_FIELDS}
    quarantine: list[pl.DataFrame] = []
    counts: dict[str, dict[str, int]] = {}
    largest_first = sorted(config.sources, key=lambda s: -batches[s.name].records.height)
    sizes = {s.name: (batches[s.name].records.height, batches[s.name].malformed) for s in config.sources}
    take = batches.pop if consume else batches.__getitem__  # type: ignore[attr-defined]
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        futures = {s.name: pool.submit(_check_source, take(s.name), s, reference_time=reference, timezone=timezone) for s in largest_first}
        try:
            checked = {s.name: futures[s.name].result() for s in config.sources}
        finally:
            for future in futures.values():
                future.cancel()
    for source in config.sources:
        n_records, batch_malformed = sizes[source.name]
        good, bad = checked.pop(source.name)
        malformed = batch_malformed.select(
            pl.lit(source.name).alias("source"), pl.col("_file").alias("file"), pl.col("_record").alias("record"),
            pl.lit("").alias("field"), "value", "reason",
        )
        quarantine += [malformed, bad]
        counts[source.name] = {"rows_in": n_records + batch_malformed.height, "rows_quarantined": bad.height + malformed.height}
        if source.kind == "feedback":
            good = good.with_columns(pl.concat_str([pl.lit(f"{source.name}:"), pl.col("feedback_id")]).alias("feedback_id"))
        per_kind[source.kind].append(good)
        if source.feedback_text:
            fb = good.select(
                *POS, pl.concat_str([pl.lit(f"{source.name}:"), pl.col("ticket_id")]).alias("feedback_id"), "customer_id",
                pl.lit("ticket").alias("channel"), "created_at", pl.col("_feedback_text").alias("text"),
                *[pl.lit(None, pl.Int8).alias(s) for s in SCORES], "ticket_id", "_meta",
            ).with_columns(pl.lit(True).alias("_derived"))
            bad_fb = fb.filter(pl.col("text").is_null())
            quarantine.append(bad_fb.select(
                pl.col("_source").alias("source"), pl.col("_file").alias("file"), pl.col("_record").alias("record"),
                pl.lit(source.feedback_text).alias("field"), pl.lit(None, pl.String).alias("value"),
                pl.lit("empty text and no score (ticket kept, no feedback item)").alias("reason"),
            ))
            counts[source.name]["feedback_quarantined"] = bad_fb.height
            per_kind["feedback"].append(fb.filter(pl.col("text").is_not_null()))
    sources = {s.name: s for s in config.sources}
    tables: dict[str, pl.DataFrame] = {}
    for kind in list(per_kind):
        cols = list(KIND_FIELDS[kind])
        extra = ["_meta", "_derived"] if kind == "feedback" else ["_meta"] if kind in META_KINDS else []
        # popped, so the per-source frames are freed once combined (the events table is ~7M rows at 1M items)
        frames = [f.with_columns([pl.lit(None).alias(c) for c in extra if c not in f.columns]).select(POS + cols + extra) for f in per_kind.pop(kind)]
        frame = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
        del frames
        if frame.height == 0:
            tables[kind] = pl.DataFrame(schema=schemas.TABLE_COLUMNS[kind])
            continue
        frame = find_duplicates(frame, kind, window_minutes=config.duplicate_window_minutes)
        dups = frame.filter(pl.col("_dup").is_not_null())
        id_col = ID_COLUMN[kind]
        quarantine.append(dups.select(
            pl.col("_source").alias("source"), pl.col("_file").alias("file"), pl.col("_record").alias("record"),
            pl.lit(id_col or "").alias("field"),
            (pl.col(id_col).cast(pl.String) if id_col else pl.lit(None, pl.String)).alias("value"), pl.col("_dup").alias("reason"),
        ))
        derived = pl.col("_derived").fill_null(False) if kind == "feedback" else pl.lit(False)
        for name, is_derived, n in dups.group_by(["_source", derived.alias("d")]).len().iter_rows():
            key = "feedback_quarantined" if is_derived else "rows_quarantined"
            counts[name][key] = counts[name].get(key, 0) + int(n)
        frame = frame.filter(pl.col("_dup").is_null()) if dups.height else frame
        del dups
        if kind == "feedback":
            frame = frame.with_columns(pl.col("_source").alias("source"))
        if kind in META_KINDS:
            frame = frame.with_columns(pl.col("_meta").fill_null("{}").alias(META_COLUMN[kind]))
        tables[kind] = frame
    for name, c in counts.items():
        src = sources[name]
        table = tables[src.kind]
        c["rows_out"] = int(table.filter((pl.col("_source") == name) & ~(pl.col("_derived").fill_null(False) if "_derived" in table.columns else pl.lit(False))).height) if "_source" in table.columns else 0
        if src.feedback_text:
            fb = tables["feedback"]
            c["feedback_out"] = int(fb.filter((pl.col("_source") == name) & pl.col("_derived").fill_null(False)).height) if "_source" in fb.columns else 0
            c.setdefault("feedback_quarantined", 0)
    for kind in list(tables):
        cols = list(schemas.TABLE_COLUMNS[kind])
        frame = tables[kind]
        frame = frame.select([pl.col(c).cast(t) if c in frame.columns else pl.lit(None, t).alias(c) for c, t in schemas.TABLE_COLUMNS[kind].items()])
        tables[kind] = frame.select(cols).sort(SORT_KEYS[kind], nulls_last=True)
    q = pl.concat([f.select([pl.col(c).cast(t) for c, t in schemas.QUARANTINE_COLUMNS.items()]) for f in quarantine], how="vertical") if quarantine else empty_quarantine()
    q = q.with_columns(redact_pii(q["value"]).str.slice(0, config.max_value_chars).alias("value")).sort(["source", "file", "record", "field"])
    for kind, frame in tables.items():
        schemas.validate_table(kind, frame)
    schemas.QuarantineSchema.validate(q)
    metrics = build_metrics(counts, tables, q)
    return IngestResult(tables=tables, quarantine=q, metrics=metrics)


def build_metrics(counts: Mapping[str, Mapping[str, int]], tables: Mapping[str, pl.DataFrame], quarantine: pl.DataFrame) -> dict[str, Any]:
    """``ingest.json``: per-source rows in/out/quarantined, totals, and rows per table. Checks that every
    source's rows in = out + quarantined (a mismatch is a bug, so it raises)."""
    for name, c in counts.items():
        if c["rows_in"] != c["rows_out"] + c["rows_quarantined"]:
            raise AssertionError(f"source {name}: rows_in {c['rows_in']} != rows_out {c['rows_out']} + rows_quarantined {c['rows_quarantined']}")
    total = {k: sum(c[k] for c in counts.values()) for k in ("rows_in", "rows_out", "rows_quarantined")}
    return {
        "sources": {n: dict(sorted(c.items())) for n, c in sorted(counts.items())},
        **total,
        "tables": {**{k: v.height for k, v in sorted(tables.items())}, "quarantine": quarantine.height},
    }


def run_ingest(config: IngestConfig, root: Path, *, timezone: str, workers: int = 2, threads: int = 2) -> IngestResult:
    """Read every source under ``root`` and ingest it (the function the CLI calls); ``workers`` processes
    parse eml/transcript files, ``threads`` threads check sources (the output does not depend on them)."""
    return ingest_batches(read_sources(config, root, workers=workers), config, timezone=timezone, threads=threads,
                          consume=True)
