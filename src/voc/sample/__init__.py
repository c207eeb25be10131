"""voc.sample."""
