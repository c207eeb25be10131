"""Stage embed: feedback texts -> sentence embeddings, with a cache so no text is embedded twice."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines._common import setup, timed
from voc.config import load_section
from voc.embedding import cpu_signature, empty_cache, embed_texts, load_embedder
from voc.embedding.base import Backend, Precision
from voc.io import write_json, write_parquet

log = logging.getLogger("voc.pipeline.embed")


@dataclass(frozen=True)
class EmbedConfig:
    """The ``embed:`` block of params.yaml."""

    backend: Backend = "sentence-transformers"   # | onnx | onnx-int8 | model2vec (built once in data/models/embedders/)
    precision: Precision = "float64"   # the PyTorch model's arithmetic: float64 gives the same bits on any CPU
    batch_size: int = 64
    threads: int = 2
    max_words: int | None = 180   # longer texts are chunked by sentences and pooled, never truncated


def main() -> None:
    args, params, base = setup("embed", __doc__ or "")
    cfg = load_section(params, "embed", EmbedConfig)
    root = Path(args.root)
    with timed("embed"):
        feedback = pl.read_parquet(root / "data/interim/feedback.parquet", columns=["feedback_id", "text"])
        cache_path = root / "data/cache/embeddings.parquet"
        models_dir = root / "data/models/embedders"   # a persisting DVC output: exports survive reruns
        models_dir.mkdir(parents=True, exist_ok=True)
        setup_start = time.perf_counter()
        embedder = load_embedder(cfg.backend, threads=cfg.threads, cache_dir=models_dir,
                                 precision=cfg.precision)
        setup_seconds = time.perf_counter() - setup_start
        cache = pl.read_parquet(cache_path) if cache_path.exists() else empty_cache(embedder.dim)
        start = time.perf_counter()
        result = embed_texts(feedback, embedder, cache=cache, batch_size=cfg.batch_size,
                              max_words=cfg.max_words, show_progress=True)
        seconds = time.perf_counter() - start
        write_parquet(result.embeddings, root / "data/interim/embeddings.parquet")
        if result.n_embedded:
            write_parquet(result.cache, cache_path)
        write_json(
            {
                "model": embedder.name,
                "backend": cfg.backend,
                "precision": cfg.precision if cfg.backend == "sentence-transformers" else "float32",
                "setup_seconds": round(setup_seconds, 2),   # load, plus the one-off export or distillation
                "n_items": feedback.height,
                "n_with_text": result.embeddings.height,
                "n_embedded": result.n_embedded,
                "n_from_cache": result.n_from_cache,
                "seconds": round(seconds, 2),
                "texts_per_second": round(result.n_embedded / seconds, 1) if result.n_embedded else None,
                "cpu": cpu_signature(),   # the kernels decide the vectors' last float bits (README)
            },
            root / "data/metrics/embed.json",
        )
        log.info("embed: %d items with text, %d newly embedded by %s", result.embeddings.height,
                 result.n_embedded, embedder.name)


if __name__ == "__main__":
    main()
