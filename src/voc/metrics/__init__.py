"""voc.metrics."""
