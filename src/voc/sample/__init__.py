"""voc.sample: the embedded multichannel sample data set generator (``voc sample``)."""

from voc.sample.config import SampleConfig
from voc.sample.generate import SOURCES, SampleData, generate_sample
from voc.sample.writer import RAW_FILES, RAW_GLOBS, OutputNotEmptyError, write_sample

__all__ = [
    "RAW_FILES",
    "RAW_GLOBS",
    "SOURCES",
    "OutputNotEmptyError",
    "SampleConfig",
    "SampleData",
    "generate_sample",
    "write_sample",
]
