"""Saving a fitted theme model and assigning themes with the reloaded one.

This module does file I/O by design (like ``voc.io``); the stage functions stay pure. A saved model is a
folder: ``bertopic/`` (BERTopic's safetensors: topic words and c-TF-IDF, for inspection; BERTopic saves our
vocabulary but not our analyzer, so a reloaded BERTopic counts single words only),
``index.npz`` (the training embeddings and their final theme ids) and ``themes.parquet`` (the theme table).
Assignment is a nearest-neighbour vote over the training items in embedding space, so a training item gets
back exactly the theme it was given, and a new item the theme of the training items it is closest to.
With ``topics.unit: sentence`` the training units are sentences: assign themes to sentence vectors, then give
each item its primary theme with ``voc.topics.mentions.items_from_mentions``, as the stage does.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from voc.topics.model import OUTLIER

log = logging.getLogger(__name__)

EXACT = 1.0 - 1e-6  # cosine at or above which a query is the same text as a training item


@dataclass(frozen=True)
class ThemeIndex:
    """What assignment needs: unit-length training embeddings, their theme ids, and the theme table."""

    embeddings: np.ndarray
    topics: np.ndarray
    info: pl.DataFrame


def save_topic_model(model: Any, index: ThemeIndex, path: str | Path) -> None:
    """Write the model folder atomically (a temp folder renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        if model is not None:
            model.save(str(tmp / "bertopic"), serialization="safetensors", save_ctfidf=True,
                       save_embedding_model=False)
        np.savez(tmp / "index.npz", embeddings=index.embeddings.astype(np.float32),
                 topics=index.topics.astype(np.int32))
        index.info.write_parquet(tmp / "themes.parquet", statistics=False)
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def load_theme_index(path: str | Path) -> ThemeIndex:
    """Read the index and theme table of a saved model folder."""
    path = Path(path)
    if not (path / "index.npz").exists():
        raise FileNotFoundError(f"{path}: no index.npz; not a saved theme model (run the topics stage)")
    with np.load(path / "index.npz") as data:
        return ThemeIndex(data["embeddings"], data["topics"].astype(np.int64),
                          pl.read_parquet(path / "themes.parquet"))


def predict_themes(index: ThemeIndex, embeddings: np.ndarray, *, k: int = 10, block: int = 2048) -> np.ndarray:
    """Theme id per row of ``embeddings`` (unit-length): the same text's theme, else a cosine-weighted k-NN vote.

    Ties in the vote go to the lower theme id. Cost: one (block x n_train) similarity matrix at a time.
    """
    if embeddings.ndim != 2 or embeddings.shape[1] != index.embeddings.shape[1]:
        raise ValueError(f"predict_themes: embeddings of shape {embeddings.shape}, the index has "
                         f"{index.embeddings.shape[1]} dims")
    out = np.full(embeddings.shape[0], OUTLIER, dtype=np.int64)
    train = index.embeddings.astype(np.float32)
    k = min(k, train.shape[0])
    labels = np.unique(index.topics)
    for start in range(0, embeddings.shape[0], block):
        sims = embeddings[start:start + block].astype(np.float32) @ train.T
        best = sims.argmax(axis=1)
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        for row in range(sims.shape[0]):
            if sims[row, best[row]] >= EXACT:
                out[start + row] = index.topics[best[row]]
                continue
            votes = np.zeros(labels.size)
            np.add.at(votes, np.searchsorted(labels, index.topics[top[row]]), np.clip(sims[row, top[row]], 0, None))
            out[start + row] = labels[int(votes.argmax())]
    return out
