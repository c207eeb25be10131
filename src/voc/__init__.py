"""voc: an open, offline, reproducible voice-of-customer research workspace."""

__version__ = "0.1.0"
