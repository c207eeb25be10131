"""The data version a report was built from: git commit, md5 of its input files, md5 of ``dvc.lock``.

The lock's md5 leaves out the ``reports`` stage's own entry. DVC rewrites ``dvc.lock`` after each stage, so
while the reports run, that entry still holds the previous reports' hash: hashing it made every report depend
on the report before it, and no two runs gave the same bytes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any


@dataclasses.dataclass(frozen=True)
class DataVersion:
    """Identifies the code and data behind a report."""

    commit: str | None
    inputs_md5: str
    n_inputs: int
    dvc_lock_md5: str | None  # of the stages upstream of the reports (``lock_md5``)


def git_commit(root: str | Path) -> str | None:
    """``git rev-parse HEAD`` in ``root``, or None when git or the repository is not there."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and out else None


def md5_file(path: str | Path) -> str:
    """The md5 hex digest of one file's bytes."""
    digest = hashlib.md5(usedforsecurity=False)
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def md5_of_inputs(paths: Iterable[str | Path]) -> str:
    """One md5 over the (file name, content md5) of every input, in name order: same data, same digest."""
    digest = hashlib.md5(usedforsecurity=False)
    for path in sorted(Path(p) for p in paths):
        if not path.is_file():
            raise FileNotFoundError(f"{path}: input file not found")
        digest.update(f"{path.parent.name}/{path.name}\0{md5_file(path)}\n".encode())
    return digest.hexdigest()


def lock_md5(path: str | Path, *, without: Iterable[str] = ("reports",)) -> str:
    """md5 of a ``dvc.lock`` without the stages in ``without``: the stages read as YAML and written back as
    sorted JSON, so only their content counts, not the order or layout of the file (a digest of the lock's
    content, not the md5 of its bytes)."""
    import json

    import yaml

    try:
        lock = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not a readable dvc.lock ({exc})") from exc
    if not isinstance(lock, dict):
        raise ValueError(f"{path}: not a dvc.lock (a mapping of stages is expected)")
    skip = set(without)
    stages = {k: v for k, v in (lock.get("stages") or {}).items() if k not in skip}
    kept = _string_keys({**lock, "stages": stages})
    digest = hashlib.md5(json.dumps(kept, sort_keys=True, default=str).encode("utf-8"), usedforsecurity=False)
    return digest.hexdigest()


def _string_keys(value: Any) -> Any:
    """``value`` with every mapping key a string: YAML reads a recorded param ``1:`` or ``on:`` as an int or a
    bool, and sorted JSON cannot order keys of mixed types."""
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


def data_version(paths: Iterable[str | Path], *, root: str | Path) -> DataVersion:
    """The git commit of ``root``, the md5 of ``paths`` and of ``root/dvc.lock`` (its stages before the
    reports; ``lock_md5``) when it exists."""
    paths = list(paths)
    lock = Path(root) / "dvc.lock"
    return DataVersion(
        commit=git_commit(root),
        inputs_md5=md5_of_inputs(paths),
        n_inputs=len(paths),
        dvc_lock_md5=lock_md5(lock) if lock.is_file() else None,
    )
