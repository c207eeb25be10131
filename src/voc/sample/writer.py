"""Write a generated :class:`SampleData` to a raw data folder, each channel in its native format."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import polars as pl

from voc import io
from voc.sample.generate import SampleData

log = logging.getLogger(__name__)

RAW_FILES = (
    "surveys/survey_export.csv", "reviews/reviews.jsonl", "social/posts.json", "tickets/tickets.csv",
    "ticket_events/ticket_events.csv",
    "chats/chats.jsonl", "customers.csv", "payments.csv", "events.csv", "_truth.json",
)
RAW_GLOBS = ("emails/*.eml", "calls/*.txt")


class OutputNotEmptyError(FileExistsError):
    """The output folder already holds files and ``force`` was not given."""


def _csv(frame: pl.DataFrame) -> str:
    return frame.write_csv(null_value="", line_terminator="\n")


def write_sample(data: SampleData, out: str | Path, *, force: bool = False) -> list[Path]:
    """Write every raw file under ``out``; refuse a non-empty folder unless ``force``.

    With ``force`` the files this writer owns (the paths above and ``emails/*.eml``, ``calls/*.txt``) are
    removed first, so a smaller run leaves no stale messages behind; other files are left alone.
    Returns the paths written, sorted.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out}: exists and is not a folder")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise OutputNotEmptyError(f"{out}: folder is not empty; pass --force to overwrite the sample files")
        for pattern in RAW_FILES + RAW_GLOBS:
            for old in out.glob(pattern):
                old.unlink()
    written: list[Path] = []

    def text(rel: str, content: str) -> None:
        path = out / rel
        io.write_text(content, path)
        written.append(path)

    text("surveys/survey_export.csv", _csv(data.surveys))
    text("reviews/reviews.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data.reviews))
    text("social/posts.json", json.dumps(data.social, ensure_ascii=False, indent=1) + "\n")
    text("tickets/tickets.csv", _csv(data.tickets))
    if data.ticket_events is not None:  # its own folder: the tickets glob (tickets/*.csv) must not read it
        text("ticket_events/ticket_events.csv", _csv(data.ticket_events))
    text("chats/chats.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data.chats))
    for stem, eml in data.emails.items():
        text(f"emails/{stem}.eml", eml)
    for call_id, transcript in data.calls.items():
        text(f"calls/{call_id}.txt", transcript)
    text("customers.csv", _csv(data.customers))
    text("payments.csv", _csv(data.payments))
    text("events.csv", _csv(data.events))
    io.write_json(data.truth, out / "_truth.json")
    written.append(out / "_truth.json")
    log.info("wrote %d files under %s", len(written), out)
    return sorted(written)
