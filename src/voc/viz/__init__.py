"""voc.viz."""
