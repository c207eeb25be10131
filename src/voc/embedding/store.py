"""Derived models (ONNX export, int8 quantisation, model2vec distillation), built once into a cache folder.

Each derived model lives in ``<cache_dir>/<backend>-<fingerprint>/``, where the fingerprint hashes the source
model's files together with the recipe that builds it. A change to either gives a new folder, so a stale
artefact is never reused. Building happens in a temporary folder beside the target, which is renamed into
place only when complete: a crash leaves no half-built model behind, and two processes racing to build the
same model both end with one complete folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"


def source_fingerprint(model_path: str | Path, *, recipe: str) -> str:
    """SHA-256 (first 16 hex digits) of every file under ``model_path`` (names and bytes) plus ``recipe``."""
    root = Path(model_path)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: the source model folder does not exist")
    digest = hashlib.sha256(recipe.encode("utf-8"))
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(".") or "/." in rel:
            continue  # .gitattributes, caches: not part of the model
        digest.update(rel.encode("utf-8") + b"\0")
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def ensure_built(
    cache_dir: str | Path,
    backend: str,
    model_path: str | Path,
    *,
    recipe: str,
    build: Callable[[Path], None],
) -> Path:
    """Return ``<cache_dir>/<backend>-<fingerprint>/``, calling ``build(tmp_folder)`` first if it is missing.

    ``build`` writes the derived model into the empty folder it is given; a manifest naming the source and the
    recipe is added, then the folder is renamed into place.
    """
    cache_dir = Path(cache_dir)
    fingerprint = source_fingerprint(model_path, recipe=recipe)
    target = cache_dir / f"{backend}-{fingerprint}"
    if (target / MANIFEST).is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=cache_dir))
    try:
        log.info("building the %s model from %s into %s (once)", backend, model_path, target)
        build(tmp)
        manifest = {"backend": backend, "source": str(model_path), "fingerprint": fingerprint, "recipe": recipe}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o755)  # mkdtemp makes 0700; the folder is meant to be read by others
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / MANIFEST).is_file():  # a concurrent build won the rename: keep theirs
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
