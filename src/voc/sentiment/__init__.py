"""voc.sentiment."""
