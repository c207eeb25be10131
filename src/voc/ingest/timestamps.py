"""Vectorised timestamp parsing to ``Datetime("us", "UTC")`` from mixed formats."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

AWARE_FORMATS: tuple[str, ...] = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z")
NAIVE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M", "%Y/%m/%d %H:%M:%S",
)
DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y",
)
UTC = pl.Datetime("us", "UTC")


def parse_timestamps(
    column: str, dtype: pl.DataType, *, timezone: str, formats: Sequence[str] = ()
) -> pl.Expr:
    """Parse ``column`` to UTC. Aware strings (offset or ``Z``) are converted; naive date-times are read in
    ``timezone`` (ambiguous -> earliest, non-existent -> null); date-only values are midnight UTC so the
    calendar date is kept. Formats are tried in order; a value no format parses becomes null.
    ``formats`` replaces the defaults; each is classed as aware (``%z``), naive (``%H``) or date-only."""
    col = pl.col(column)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return col.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC").cast(UTC)
        return col.dt.convert_time_zone("UTC").cast(UTC)
    if isinstance(dtype, pl.Date):
        return col.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    s = (
        col.cast(pl.String)
        .str.strip_chars()
        .str.replace(r"(?i)(?:\s*Z|\s+UTC|\s+GMT)$", "+00:00")
    )
    fmts = list(formats)
    aware = [f for f in fmts if "%z" in f] if fmts else list(AWARE_FORMATS)
    naive = [f for f in fmts if "%z" not in f and "%H" in f] if fmts else list(NAIVE_FORMATS)
    dates = [f for f in fmts if "%z" not in f and "%H" not in f] if fmts else list(DATE_FORMATS)
    parts: list[pl.Expr] = [s.str.strptime(UTC, f, strict=False) for f in aware]
    parts += [
        s.str.strptime(pl.Datetime("us"), f, strict=False)
        .dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        for f in naive
    ]
    parts += [s.str.strptime(pl.Date, f, strict=False).cast(pl.Datetime("us")).dt.replace_time_zone("UTC") for f in dates]
    return pl.coalesce(parts).cast(UTC)


def parse_timestamp_series(values: pl.Series, *, timezone: str, formats: Sequence[str] = ()) -> pl.Series:
    """Eager :func:`parse_timestamps` that stops trying formats once every non-blank value has parsed,
    so a clean column costs one ``strptime`` pass instead of one per format."""
    frame = values.to_frame("v")
    dtype = values.dtype
    if isinstance(dtype, (pl.Datetime, pl.Date)):
        return frame.select(parse_timestamps("v", dtype, timezone=timezone)).to_series().alias(values.name)
    fmts = list(formats) or [*AWARE_FORMATS, *NAIVE_FORMATS, *DATE_FORMATS]
    if len(values) > 1000 and values.head(10_000).n_unique() * 2 < min(len(values), 10_000):
        # parsing is per value, so repeated values (dates, a few times a day) are parsed once and joined
        # back: a column of 600k dates has ~600 distinct values, and each missed format costs a full pass.
        # (The first 10,000 values tell whether hashing the column is worth it: 7M event times are not.)
        distinct = values.cast(pl.String).unique().drop_nulls()
        if len(distinct) * 2 < len(values):
            parsed = parse_timestamp_series(distinct, timezone=timezone, formats=formats)
            lookup = pl.DataFrame({"v": distinct, "p": parsed})
            out = values.cast(pl.String).to_frame("v").join(lookup, on="v", how="left", maintain_order="left")
            return out["p"].alias(values.name)
    out = pl.Series(values.name, [None] * len(values), dtype=UTC)
    todo = values.cast(pl.String).str.strip_chars().str.len_chars().fill_null(0) > 0
    for fmt in fmts:
        if not bool(todo.any()):
            break
        parsed = frame.select(parse_timestamps("v", pl.String(), timezone=timezone, formats=[fmt])).to_series()
        fill = todo & parsed.is_not_null()
        out = out.zip_with(~fill, parsed) if bool(fill.any()) else out
        todo = todo & ~fill
    return out.alias(values.name)
