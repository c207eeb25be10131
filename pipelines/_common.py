"""Shared wiring for the stage CLIs: argument parsing, logging, params, timing."""

from __future__ import annotations

import argparse
import logging
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from voc.config import BaseConfig, load_base, read_params

log = logging.getLogger("voc.pipeline")


def setup(stage: str, description: str) -> tuple[argparse.Namespace, dict[str, Any], BaseConfig]:
    """Parse ``--params``, configure logging once, seed the RNGs and return the params."""
    parser = argparse.ArgumentParser(prog=f"python -m pipelines.{stage}", description=description)
    parser.add_argument("--params", default="params.yaml", help="params file (default: params.yaml)")
    parser.add_argument("--root", default=".", help="project root that data/ paths are relative to")
    args = parser.parse_args()
    logging.basicConfig(
        level=os.environ.get("VOC_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    params = read_params(args.params)
    base = load_base(params)
    random.seed(base.seed)
    np.random.seed(base.seed)
    return args, params, base


@contextmanager
def timed(stage: str) -> Iterator[None]:
    """Log the wall time of a stage when it ends."""
    start = time.perf_counter()
    yield
    log.info("%s finished in %.1f s", stage, time.perf_counter() - start)
