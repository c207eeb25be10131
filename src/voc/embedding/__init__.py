"""voc.embedding: texts to vectors behind a small Protocol (four backends), with a cache across runs."""

from voc.embedding.base import (
    BACKENDS,
    EmbedResult,
    Embedder,
    SentenceTransformerEmbedder,
    chunk_text,
    cpu_signature,
    default_model_path,
    embed_texts,
    embedder_name,
    embeddings_matrix,
    empty_cache,
    load_embedder,
)

__all__ = [
    "BACKENDS",
    "EmbedResult",
    "Embedder",
    "SentenceTransformerEmbedder",
    "chunk_text",
    "cpu_signature",
    "default_model_path",
    "embed_texts",
    "embedder_name",
    "embeddings_matrix",
    "empty_cache",
    "load_embedder",
]
