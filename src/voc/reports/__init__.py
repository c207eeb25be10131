"""voc.reports."""
