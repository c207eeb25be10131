"""voc.embedding."""
