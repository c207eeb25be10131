"""voc.text."""
