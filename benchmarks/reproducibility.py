"""How close the themes are on a machine with other CPU kernels (run by hand; after `make report`).

    python benchmarks/reproducibility.py                      # writes benchmarks/results/reproducibility.json
    python benchmarks/reproducibility.py --variants generic   # without the control run

A reviewer's `dvc repro` on another kind of CPU runs other kernels: torch and MKL in the encoder, numba in UMAP
and pynndescent, numpy's AVX-512 loops, OpenBLAS. In float32 the encoder's kernels move the embeddings' last
bits, and UMAP and HDBSCAN can turn such bits into other themes; numba's and numpy's targets do the same from
identical embeddings. The pipeline therefore embeds in float64 (``embed.precision``; rounded to float32 at the
end) and holds numba, numpy and OpenBLAS to the Haswell target on every x86-64 CPU with AVX2 (``voc.kernels``,
from ``pipelines/__init__.py``). This checks both on one machine: it reruns the embed and topics stages cold on
the pipeline's sample (a throwaway root with this repo's params.yaml and taxonomy.yaml and the ingest stage's
tables), each stage in a process with the variant's environment, and compares what they write with the working
tree's outputs (`make report` on this machine, which `dvc status` must show up to date with dvc.lock).

Variants (``--variants``):
  native   no kernel setting: the control, which should give the working tree's bytes;
  generic  ``ATEN_CPU_CAPABILITY=default`` (torch's generic kernels, not AVX2 or AVX-512),
           ``MKL_ENABLE_INSTRUCTIONS=SSE4_2`` (MKL's matrix products without AVX) and
           ``ONEDNN_MAX_CPU_ISA=SSE41`` (oneDNN likewise): an older CPU, or another vendor's kernels;
  unheld   ``VOC_CPU_KERNELS=native``: the working tree's embeddings (and vector caches), the topics stage
           alone with numba compiling for this CPU and numpy's AVX-512 loops on, as without ``voc.kernels``:
           what holding the kernels prevents;
  seed     this machine's kernels and the working tree's embeddings (and vector caches), the topics stage
           alone with ``base.seed`` one higher: how far the themes move when only UMAP's and the merge's
           seeded draws change, the yardstick for ``generic`` and ``unheld``.

Figures per variant: the embeddings (share of values that differ, largest difference, smallest cosine of an
item's two vectors); the themes (count; ARI and AMI of the items' themes and of their parents between the two
runs; the share of items whose theme has the same label, its top words; how many themes of each run have a
counterpart in the other, same items, Jaccard at least 0.5); the theme mentions (share of the sentences that
carry a theme labelled alike in both); the emerging-theme alerts (the labels flagged in each run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml

from voc.kernels import PORTABLE, TORCH_GENERIC_KERNELS

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "reproducibility.json"
VARIANTS: dict[str, dict[str, str]] = {
    "native": {},
    "generic": TORCH_GENERIC_KERNELS,
    "unheld": {"VOC_CPU_KERNELS": "native"},
    "seed": {},
}
TOPICS_ONLY = ("unheld", "seed")    # these rerun the topics stage alone, on the working tree's vectors
INPUTS = ("data/interim/feedback.parquet", "data/interim/customers.parquet")
EMBEDDED = ("data/interim/embeddings.parquet", "data/cache/embeddings.parquet",
            "data/cache/sentence_embeddings.parquet")
OUTPUTS = ("data/interim/embeddings.parquet", "data/processed/topics.parquet", "data/processed/topic_info.parquet",
           "data/processed/theme_mentions.parquet", "data/processed/theme_alerts.parquet",
           "data/metrics/topics.json", "data/metrics/embed.json")


def _env(extra: dict[str, str]) -> dict[str, str]:
    """The stage environment of benchmarks/pipeline.py (offline, seeded hashing), never the caller's kernel
    settings, plus the variant's."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from pipeline import _env as stage_env

    caller = {k for v in VARIANTS.values() for k in v} | set(PORTABLE) | {"NPY_DISABLE_CPU_FEATURES"}
    env = {k: v for k, v in stage_env().items() if k not in caller}
    env.update(NUMBA_CACHE_DIR=str(ROOT / "benchmarks" / "cache" / "numba"), **extra)
    return env


def run_stages(root: Path, variant: str) -> dict[str, float]:
    """The embed and topics stages, cold, in ``root``, each in a process with the variant's environment; for
    ``unheld`` and ``seed``, the topics stage alone on the working tree's vectors (``seed``: the next seed)."""
    copied = (*INPUTS, *EMBEDDED) if variant in TOPICS_ONLY else INPUTS
    for rel in copied:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, root / rel)
    shutil.copy2(ROOT / "taxonomy.yaml", root / "taxonomy.yaml")
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    if variant == "seed":
        params["base"]["seed"] += 1
    if variant in TOPICS_ONLY:
        (root / "data/metrics").mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "data/metrics/embed.json", root / "data/metrics/embed.json")   # the vectors' machine
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    seconds: dict[str, float] = {}
    for stage in ("topics",) if variant in TOPICS_ONLY else ("embed", "topics"):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", f"pipelines.{stage}", "--root", str(root),
                               "--params", str(root / "params.yaml")],
                              cwd=ROOT, env=_env(VARIANTS[variant]), capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-4000:])
            raise SystemExit(f"stage {stage} failed (exit {proc.returncode})")
        seconds[stage] = round(time.perf_counter() - start, 1)
        print(f"  {stage}: {seconds[stage]} s", file=sys.stderr)
    return seconds


def _matrix(path: Path) -> tuple[list[str], np.ndarray]:
    from voc.embedding import embeddings_matrix

    frame = pl.read_parquet(path).sort("feedback_id")
    return frame["feedback_id"].to_list(), embeddings_matrix(frame)


def compare_embeddings(ours: Path, theirs: Path) -> dict[str, Any]:
    ids_a, a = _matrix(ours)
    ids_b, b = _matrix(theirs)
    if ids_a != ids_b:
        raise SystemExit(f"{theirs}: other items than {ours}")
    differ = a != b
    ulps = np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32).astype(np.int64))   # same-sign floats
    a, b = a.astype(np.float64), b.astype(np.float64)
    diff = np.abs(a - b)
    cos = np.einsum("ij,ij->i", a, b) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {"n_items": len(ids_a), "n_values": int(differ.size),
            "values_differing": int(differ.sum()), "items_differing": int(differ.any(axis=1).sum()),
            "values_differing_share": round(float(differ.mean()), 4),
            "items_differing_share": round(float(differ.any(axis=1).mean()), 4),
            "max_ulps": int(ulps[differ & (np.sign(a) == np.sign(b))].max(initial=0)),
            "min_abs_of_differing_values": float(np.abs(a[differ]).min(initial=np.inf)),
            "max_abs_difference": float(diff.max()), "min_item_cosine": float(cos.min())}


def _counterparts(a: np.ndarray, b: np.ndarray, bar: float = 0.5) -> float:
    """Share of the themes of ``a`` (outliers left out) whose items some theme of ``b`` shares at Jaccard >= bar."""
    themes = [t for t in np.unique(a) if t != -1]
    hits = 0
    for t in themes:
        in_a = a == t
        overlap = np.bincount(b[in_a] + 1)              # items of t in each theme of b (index 0: outliers)
        best = int(np.argmax(overlap[1:])) if overlap.size > 1 else -1
        if best >= 0:
            union = in_a.sum() + (b == best).sum() - overlap[best + 1]
            hits += overlap[best + 1] / union >= bar
    return round(hits / len(themes), 4) if themes else 1.0


def compare_themes(ours: Path, theirs: Path) -> dict[str, Any]:
    """The item themes, parents, mentions and alerts of two runs of the topics stage (``ours``/``theirs``: roots)."""
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

    def table(root: Path, name: str) -> pl.DataFrame:
        return pl.read_parquet(root / f"data/processed/{name}.parquet")

    a, b = (table(r, "topics").sort("feedback_id") for r in (ours, theirs))
    if a["feedback_id"].to_list() != b["feedback_id"].to_list():   # same items, same order
        raise SystemExit(f"{theirs}: topics.parquet holds other items")
    ta, tb = a["topic_id"].to_numpy(), b["topic_id"].to_numpy()
    keys = ["feedback_id", "sentence_no"]
    ma, mb = (table(r, "theme_mentions").select(*keys, "topic_label") for r in (ours, theirs))
    mentions = ma.join(mb, on=keys, how="full", suffix="_b", coalesce=True)
    flagged = [sorted(table(r, "theme_alerts").filter(pl.col("flagged"))["topic_label"].to_list())
               for r in (ours, theirs)]
    metrics = [json.loads((r / "data/metrics/topics.json").read_text()) for r in (ours, theirs)]
    return {
        "n_topics": [m["n_topics"] for m in metrics],
        "n_parents": [m["n_parents"] for m in metrics],
        "raw_outlier_share": [m["raw_outlier_share"] for m in metrics],
        "item_themes_identical": bool(np.array_equal(ta, tb) and a["topic_label"].equals(b["topic_label"])),
        "ari_items": round(float(adjusted_rand_score(ta, tb)), 4),
        "ami_items": round(float(adjusted_mutual_info_score(ta, tb)), 4),
        "ari_parents": round(float(adjusted_rand_score(a["parent_id"].to_numpy(), b["parent_id"].to_numpy())), 4),
        "items_same_label_share": round(float((a["topic_label"] == b["topic_label"]).mean()), 4),
        "themes_with_counterpart_share": [_counterparts(ta, tb), _counterparts(tb, ta)],
        "mention_sentences": [ma.height, mb.height],
        "mentions_same_label_share": round(float(
            (mentions["topic_label"] == mentions["topic_label_b"]).fill_null(False).sum() / mentions.height), 4),
        "alerts_flagged": flagged,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default="native,generic", help=f"comma-separated, of {', '.join(VARIANTS)}")
    args = parser.parse_args()
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; known: {list(VARIANTS)}")
    missing = [p for p in (*INPUTS, *OUTPUTS) if not (ROOT / p).exists()]
    if missing:
        raise SystemExit(f"{', '.join(missing)} missing: run `make report` first")
    status = subprocess.run([sys.executable, "-m", "dvc", "status", "embed", "topics"], cwd=ROOT, env=_env({}),
                            capture_output=True, text=True, check=False)
    if "up to date" not in status.stdout:
        raise SystemExit(f"the working tree's embed and topics outputs are not dvc.lock's:\n{status.stdout}")
    result: dict[str, Any] = {
        "command": f"python benchmarks/reproducibility.py --variants {args.variants}",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "embed_cpu": json.loads((ROOT / "data/metrics/embed.json").read_text()).get("cpu")},
        "reference": "the working tree's embed and topics outputs (dvc status: up to date with dvc.lock)",
        "variants": {},     # a run of some variants keeps the others' results (each names its command)
    }
    if RESULT.exists():   # earlier variants, and the figures from before float64 and voc.kernels, are kept
        earlier = json.loads(RESULT.read_text(encoding="utf-8"))
        result["variants"] = earlier.get("variants", {})
        result |= {k: v for k, v in earlier.items() if k.startswith("before_")}
    for name in variants:
        print(f"{name}: {VARIANTS[name] or 'no kernel setting'}", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix=f"voc-repro-{name}-") as tmp:
            root = Path(tmp)
            seconds = run_stages(root, name)
            result["variants"][name] = {
                "command": result["command"],
                "environment": VARIANTS[name],
                "embed_cpu": json.loads((root / "data/metrics/embed.json").read_text()).get("cpu"),
                "stage_seconds": seconds,
                "embeddings": compare_embeddings(ROOT / OUTPUTS[0], root / OUTPUTS[0]),
                "themes": compare_themes(ROOT, root),
            }
        print(json.dumps(result["variants"][name], indent=1), file=sys.stderr)
        RESULT.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
