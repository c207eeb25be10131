"""The model2vec backend: a static model distilled locally from the shipped MiniLM (no download).

``model2vec.distill`` runs every word piece of MiniLM's vocabulary through the transformer once, keeps the
vectors (PCA without reduction, so 384 dimensions like MiniLM, then SIF weighting) and embeds a text as the
mean of its pieces' vectors. Tens of times faster than the transformer, with a thinner margin between
paraphrases and unrelated texts (../shared/STACK.md, benchmarks/results/embed.json).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from voc.embedding.store import ensure_built

log = logging.getLogger(__name__)

PCA_DIMS = "auto"        # PCA that keeps every dimension: the cache and the data contracts stay 384-wide
SIF_COEFFICIENT = 1e-4   # model2vec's default down-weighting of frequent pieces


def _require() -> Any:
    try:
        import model2vec
    except ImportError as exc:
        raise ImportError(
            "embed.backend model2vec needs model2vec: pip install model2vec==0.10.0 'skeletoken>=0.6,<0.7'"
        ) from exc
    return model2vec


def distill_static(model_path: str | Path, out_dir: Path) -> None:
    """Distil a model2vec static model from the transformer in ``model_path`` into ``out_dir``."""
    _require()
    from model2vec.distill import distill_from_model
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_path), local_files_only=True)
    model = AutoModel.from_pretrained(str(model_path), local_files_only=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        static = distill_from_model(model, tokenizer, device="cpu", pca_dims=PCA_DIMS,
                                    sif_coefficient=SIF_COEFFICIENT)
    static.save_pretrained(str(out_dir))


def build_static(model_path: str | Path, cache_dir: str | Path) -> Path:
    """The folder holding the static model distilled from ``model_path``, distilled (once) if missing."""
    model2vec = _require()
    recipe = f"model2vec={model2vec.__version__} pca_dims={PCA_DIMS} sif={SIF_COEFFICIENT}"
    return ensure_built(cache_dir, "model2vec", model_path, recipe=recipe,
                        build=lambda out: distill_static(model_path, out))


class Model2VecEmbedder:
    """A model2vec static model: the mean of per-piece vectors, L2-normalised. No sequence limit."""

    def __init__(self, static_dir: str | Path, *, name: str) -> None:
        _require()
        from model2vec import StaticModel

        self._model = StaticModel.from_pretrained(str(static_dir))  # encode() passes max_length=None
        self.name = name
        self.dim = int(self._model.dim)
        unk = self._model.tokenizer.token_to_id("[UNK]")
        fallback = np.asarray(self._model.embedding[unk], dtype=np.float32) if unk is not None else None
        if fallback is None or not np.linalg.norm(fallback):
            raise ValueError(f"{static_dir}: the static model has no usable [UNK] vector")
        # A text with no known piece (emoji only) would get a zero vector; MiniLM reads it as [UNK]: so do we.
        self._unknown = fallback / np.linalg.norm(fallback)

    def encode(self, texts: list[str], *, batch_size: int = 1024, show_progress: bool = False) -> np.ndarray:
        """Embed ``texts``; rows with no known word piece get the normalised [UNK] vector."""
        vectors = np.asarray(
            self._model.encode(texts, batch_size=max(batch_size, 1024), show_progress_bar=show_progress,
                               max_length=None, use_multiprocessing=False),
            dtype=np.float32,
        ).reshape(len(texts), self.dim)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        empty = norms[:, 0] == 0
        if empty.any():
            log.debug("%d texts had no known word piece: [UNK] vector", int(empty.sum()))
            vectors[empty] = self._unknown
            norms[empty] = 1.0
        return vectors / norms
