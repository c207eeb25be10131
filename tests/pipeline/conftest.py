"""A small multichannel workspace in a temporary folder, run stage by stage through the real CLIs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

# Small enough to run in a minute or two, large enough that every channel and stage has something to do.
SMALL = {"n_customers": 300, "n_items": 1500}
OVERRIDES = {
    "topics": {"min_topic_size": 12, "min_samples": 4, "alerts": {"min_volume": 5}},
    "sentiment": {"min_labelled_per_class": 15},
    "insights": {"min_n": 10},
}

STAGES = ["ingest", "embed", "topics", "sentiment", "insights", "churn", "complaints", "reports"]


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def stage_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PLOTLY_RENDERER="notebook", PYTHONHASHSEED="0",
               VOC_LOG_LEVEL="WARNING", NUMBA_CACHE_DIR=str(ROOT / "data/cache/numba"))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_stage(stage: str, root: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pipelines.<stage>`` on the workspace at ``root``; fail with its stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", f"pipelines.{stage}", "--root", str(root), "--params", str(root / "params.yaml")],
        cwd=ROOT, env=stage_env(), capture_output=True, text=True, timeout=900,
    )
    if proc.returncode != 0:
        pytest.fail(f"stage {stage} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc


def make_workspace(root: Path, *, params_overrides: dict | None = None) -> Path:
    """Write params.yaml and the small sample into ``root``."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params = _merge(params, {"sample": SMALL, **OVERRIDES})
    if params_overrides:
        params = _merge(params, params_overrides)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "voc.cli", "sample", "--out", str(root / "data/raw"), "--params", str(root / "params.yaml")],
        cwd=ROOT, env=stage_env(), capture_output=True, text=True, timeout=300,
    )
    if proc.returncode != 0:
        pytest.fail(f"voc sample failed:\n{proc.stderr[-4000:]}")
    return root


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small sample, with every stage run once in DAG order."""
    root = make_workspace(tmp_path_factory.mktemp("ws"))
    for stage in STAGES:
        run_stage(stage, root)
    return root


def read_metrics(root: Path, name: str) -> dict:
    return json.loads((root / "data/metrics" / f"{name}.json").read_text(encoding="utf-8"))


def read(root: Path, rel: str) -> pl.DataFrame:
    return pl.read_parquet(root / rel)
