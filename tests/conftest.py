"""Settings for the whole test session, made before any test module imports numba, torch or huggingface_hub."""

from __future__ import annotations

import os
from pathlib import Path

# One on-disk compile cache (gitignored) for every test that runs UMAP, HDBSCAN or pynndescent: numba compiles
# them once, not in every run.
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".numba_cache"))
# numba's own thread pool, not OpenMP. Measured here (2 cores): after the browser tests and tests/data had run, a
# numba kernel (UMAP) on the OpenMP layer left the encoder that ran next in the same process creating ~2,000
# threads a second, inside torch's and MKL's nested OpenMP regions. 400 reviews took 157 s to embed instead of 7 s,
# and the whole suite 1,475 s. With the workqueue layer the same sequence took 7 s, and the suite 592 s in a fresh
# clone. The topics stage sets the same layer (pipelines/topics.py).
os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
# Never the hub: huggingface_hub reads this when it is first imported, which may be before any embedder loads.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
