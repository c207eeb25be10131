"""voc.embedding: texts to vectors behind a small Protocol, with a cache across runs."""

from voc.embedding.base import (
    EmbedResult,
    Embedder,
    SentenceTransformerEmbedder,
    chunk_text,
    default_model_path,
    embed_texts,
    embeddings_matrix,
    empty_cache,
    load_embedder,
)

__all__ = [
    "EmbedResult",
    "Embedder",
    "SentenceTransformerEmbedder",
    "chunk_text",
    "default_model_path",
    "embed_texts",
    "embeddings_matrix",
    "empty_cache",
    "load_embedder",
]
