"""voc.ingest: config-driven raw sources -> contract-checked interim tables, quarantine and counts."""

from voc.ingest.config import IngestConfig, SourceConfig
from voc.ingest.core import IngestResult, ingest_batches, read_sources, run_ingest
from voc.ingest.readers import IngestError, RawBatch, read_file

__all__ = [
    "IngestConfig", "IngestError", "IngestResult", "RawBatch", "SourceConfig", "ingest_batches", "read_file",
    "read_sources", "run_ingest",
]
