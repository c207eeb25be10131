"""Atomic writers used by the stage CLIs: a crash never leaves half a file behind."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import polars as pl


def _atomic_target(path: Path) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are meant to be read by others (reports, web servers)
    return fd, tmp


def write_parquet(frame: pl.DataFrame, path: str | Path) -> None:
    """Write ``frame`` to ``path`` via a temp file and an atomic rename."""
    path = Path(path)
    fd, tmp = _atomic_target(path)
    os.close(fd)
    try:
        frame.write_parquet(tmp, compression="zstd", statistics=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(obj: Any, path: str | Path) -> None:
    """Write ``obj`` as sorted, indented JSON via a temp file and an atomic rename."""
    write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", path)


def write_text(text: str, path: str | Path) -> None:
    """Write ``text`` (UTF-8) via a temp file and an atomic rename."""
    path = Path(path)
    fd, tmp = _atomic_target(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
