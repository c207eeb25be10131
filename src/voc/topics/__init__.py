"""voc.topics."""
