"""The data version a report was built from: git commit, md5 of its input files, md5 of ``dvc.lock``."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
from collections.abc import Iterable
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class DataVersion:
    """Identifies the code and data behind a report."""

    commit: str | None
    inputs_md5: str
    n_inputs: int
    dvc_lock_md5: str | None


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


def data_version(paths: Iterable[str | Path], *, root: str | Path) -> DataVersion:
    """The git commit of ``root``, the md5 of ``paths`` and of ``root/dvc.lock`` when it exists."""
    paths = list(paths)
    lock = Path(root) / "dvc.lock"
    return DataVersion(
        commit=git_commit(root),
        inputs_md5=md5_of_inputs(paths),
        n_inputs=len(paths),
        dvc_lock_md5=md5_file(lock) if lock.is_file() else None,
    )
