"""Benchmark of the whole pipeline: what a 1% append costs against a cold run, the embed stage against the bare
encoder, and how far the stages scale (time and peak memory at 300k items). Writes
benchmarks/results/pipeline.json (one key per mode; a run replaces only its own key).

    python benchmarks/pipeline.py append                 # default sample: cold `dvc repro`, +1% feedback, again
    python benchmarks/pipeline.py scale --items 300000 --backend model2vec
    python benchmarks/pipeline.py scale --items 300000 --backend model2vec --unit sentence

``append`` builds a throwaway DVC project in a temp folder (this repo's dvc.yaml, params.yaml, taxonomy.yaml,
pipelines/, notebooks/ and src/; `dvc init --no-scm`), generates the sample, holds back ``--share`` of the
survey responses, runs a cold `dvc repro`, appends the held-back rows and runs `dvc repro` again. It records
wall time per stage (from each stage's own "finished in" log line) and the ratio of the append run to the cold
run, for the embed stage and for the whole pipeline. In the same run it times the bare encoder
(``SentenceTransformer.encode`` on the very texts the stage embedded, chunks included) to compare the embed
stage's throughput with it: in the stage's ``embed.precision`` (the stage's overhead) and in float32 (what the
float64 arithmetic costs).

``scale`` generates ``--items`` feedback items (cached under benchmarks/cache/ingest/, shared with
benchmarks/ingest.py) and runs the stage CLIs one by one under ``/usr/bin/time``, recording wall seconds and
the peak resident memory of each stage's process. The machine may be shared: the 1-minute load average is
recorded next to every timing. Once the topics stage has run, its alerts are read against the generated
sample's planted emerging theme (``planted_emerging_theme_alerts``: false alerts, whether the theme holding
most of its items was flagged, the share of its items in flagged themes, and each flagged theme's label,
lift and make-up in and before the alert window).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl
import yaml

REPO = Path(__file__).resolve().parents[1]
RESULT = REPO / "benchmarks" / "results" / "pipeline.json"
CACHE = REPO / "benchmarks" / "cache" / "ingest"
STAGES = ("ingest", "embed", "topics", "sentiment", "insights", "churn", "complaints", "reports")
_FINISHED = re.compile(r"INFO voc\.pipeline: (\w+) finished in ([0-9.]+) s")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", DVC_NO_ANALYTICS="1", PLOTLY_RENDERER="notebook",
               PYTHONHASHSEED="0", PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}")
    return env


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _project(tmp: Path) -> Path:
    """A throwaway DVC project with this repo's pipeline definition and code."""
    root = tmp / "project"
    root.mkdir()
    for name in ("dvc.yaml", "params.yaml", "taxonomy.yaml"):
        shutil.copy2(REPO / name, root / name)
    for name in ("pipelines", "notebooks", "src"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    subprocess.run(["dvc", "init", "--no-scm", "-q"], cwd=root, env=_env(), check=True)
    return root


def _repro(root: Path) -> dict[str, Any]:
    """Run `dvc repro` in ``root``; wall seconds overall and per stage (the stages' own timers)."""
    load = _load()
    start = time.perf_counter()
    proc = subprocess.run(["dvc", "repro"], cwd=root, env=_env(), capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"dvc repro failed in {root} (exit {proc.returncode})")
    log = proc.stdout + proc.stderr
    stages = {m.group(1): float(m.group(2)) for m in _FINISHED.finditer(log)}
    return {"seconds": round(seconds, 1), "stage_seconds": stages, "stages_run": sorted(stages),
            "load_avg_1m_before": load, "load_avg_1m_after": _load()}


def _bare_encoder(root: Path, precision: str) -> dict[str, Any]:
    """Throughput of the bare encoder on the texts the embed stage embedded (chunks and all), in this process:
    ``SentenceTransformer.encode`` in ``precision`` (the stage's ``embed.precision``, or float32 to show what
    float64 costs)."""
    import torch
    from sentence_transformers import SentenceTransformer

    from voc.embedding.base import chunk_text, default_model_path

    params = yaml.safe_load((root / "params.yaml").read_text())["embed"]
    feedback = pl.read_parquet(root / "data/interim/feedback.parquet", columns=["text"])
    texts = feedback.filter(pl.col("text").is_not_null() & (pl.col("text").str.strip_chars() != ""))["text"]
    texts = texts.unique(maintain_order=True).to_list()
    pieces = [c for t in texts for c in chunk_text(t, max_words=params.get("max_words") or 10**9)]
    torch.set_num_threads(int(params.get("threads", 2)))
    model = SentenceTransformer(default_model_path(), device="cpu")
    if precision == "float64":
        model = model.double()
    load = _load()
    start = time.perf_counter()
    model.encode(pieces, batch_size=int(params.get("batch_size", 64)), normalize_embeddings=True)
    seconds = time.perf_counter() - start
    return {"precision": precision, "texts": len(texts), "pieces": len(pieces), "seconds": round(seconds, 1),
            "texts_per_second": round(len(texts) / seconds, 1), "load_avg_1m_before": load,
            "load_avg_1m_after": _load()}


def run_append(args: argparse.Namespace) -> dict[str, Any]:
    """Cold `dvc repro` on the sample less ``share`` of its survey rows, then again after appending them."""
    with tempfile.TemporaryDirectory(prefix="voc-append-") as tmp:
        root = _project(Path(tmp))
        raw = root / "data" / "raw"
        subprocess.run([sys.executable, "-m", "voc.cli", "sample", "--out", str(raw), "--items", str(args.items)],
                       cwd=root, env=_env(), check=True, capture_output=True)
        surveys = sorted(raw.glob("surveys/*.csv"))
        if len(surveys) != 1:
            raise SystemExit(f"expected one survey CSV under {raw / 'surveys'}, found {surveys}")
        full = pl.read_csv(surveys[0], infer_schema=False)
        feedback_total = args.items
        n_hold = max(1, round(args.share * feedback_total))
        base, held = full.head(full.height - n_hold), full.tail(n_hold)
        base.write_csv(surveys[0])
        cold = _repro(root)
        embed_cold = json.loads((root / "data/metrics/embed.json").read_text())
        precision = yaml.safe_load((root / "params.yaml").read_text())["embed"].get("precision", "float64")
        bare = _bare_encoder(root, precision)
        bare_float32 = _bare_encoder(root, "float32") if precision != "float32" else bare
        pl.concat([base, held]).write_csv(surveys[0])
        warm = _repro(root)
        embed_warm = json.loads((root / "data/metrics/embed.json").read_text())
        noop = _repro(root)
    ratio = {s: round(warm["stage_seconds"][s] / cold["stage_seconds"][s], 3)
             for s in warm["stage_seconds"] if cold["stage_seconds"].get(s)}
    return {
        "command": f"python benchmarks/pipeline.py append --items {args.items} --share {args.share}",
        "n_items": args.items, "appended_survey_rows": n_hold,
        "appended_share_of_items": round(n_hold / feedback_total, 4),
        "cold": cold, "after_append": warm, "noop_repro": noop,
        "embed_cold": embed_cold, "embed_after_append": embed_warm,
        "ratio_after_append_to_cold": {"embed_stage": ratio.get("embed"), "whole_repro":
                                       round(warm["seconds"] / cold["seconds"], 3), "per_stage": ratio},
        "bare_encoder": bare,
        "embed_stage_vs_bare_encoder": round(embed_cold["texts_per_second"] / bare["texts_per_second"], 3),
        "bare_encoder_float32": bare_float32,
        "embed_stage_vs_bare_encoder_float32": round(
            embed_cold["texts_per_second"] / bare_float32["texts_per_second"], 3),
        "notes": "stage_seconds are each stage's own timer (model load and I/O included); the embed stage's "
                 "texts_per_second counts the encode call only; the bare encoder encodes the same unique texts "
                 "(chunked the same way) in this benchmark's process after the cold run, in the stage's "
                 "precision (bare_encoder) and in float32 (bare_encoder_float32: what float64 costs).",
    }


def _sample_root(n_items: int, seed: int) -> Path:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from ingest import generate  # the same cached generation as the ingest benchmark

    return generate(n_items, seed)


def _save(key: str, result: dict[str, Any]) -> None:
    """Write one mode's result into benchmarks/results/pipeline.json, keeping the other keys."""
    result = {**result, "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    existing = json.loads(RESULT.read_text()) if RESULT.exists() else {}
    existing[key] = result
    RESULT.write_text(json.dumps(existing, indent=1, sort_keys=True) + "\n")


DEFAULT_STAGES = "ingest,embed,topics,sentiment,insights,churn,complaints"


def _scale_key(args: argparse.Namespace) -> str:
    """The result key: a run of a subset of the stages does not replace the full run's figures."""
    key = f"scale_{args.items}_{args.backend}" + ("" if args.unit == "item" else f"_unit-{args.unit}")
    return key if args.stages == DEFAULT_STAGES else f"{key}_{args.stages.replace(',', '-')}"


def _planted_alerts(root: Path, truth_path: Path) -> dict[str, Any] | None:
    """The topics stage's alerts against the generated sample's planted emerging theme (``alert_recovery``),
    with each flagged theme's label, lift and make-up. The make-up is read from the membership the alert counts
    (``theme_presence`` with ``item_theme="fallback"``: the themes an item's sentences mention, its own theme
    only where none is): the theme's items in and before the alert window, the share of them that carry the
    emerging theme in the truth, and how many of those in the window carry the theme only through a sentence
    mention (their own theme, in topics.parquet, is another). None before the topics stage has run."""
    from voc.topics.mentions import theme_presence
    from voc.topics.quality import alert_recovery

    alerts_path = root / "data/processed/theme_alerts.parquet"
    if not alerts_path.exists():
        return None
    truth = json.loads(truth_path.read_text())
    emerging = truth["emerging_theme"]["theme"]
    first = {f: (v["themes"] or [None])[0] for f, v in truth["items"].items()}
    carries = {f for f, v in truth["items"].items() if emerging in v["themes"]}
    day = {f: v["created_at"][:10] for f, v in truth["items"].items()}
    topics = pl.read_parquet(root / "data/processed/topics.parquet")
    mentions_path = root / "data/processed/theme_mentions.parquet"
    mentions = pl.read_parquet(mentions_path) if mentions_path.exists() else None
    presence = theme_presence(topics, mentions, item_theme="fallback")
    own = dict(zip(topics["feedback_id"].to_list(), topics["topic_id"].to_list(), strict=True))
    flagged = pl.read_parquet(alerts_path).filter("flagged").sort("topic_id")

    def emerging_share(ids: list[str]) -> float | None:
        return round(sum(f in carries for f in ids) / len(ids), 4) if ids else None

    themes = []
    for row in flagged.iter_rows(named=True):
        ids = presence.filter(pl.col("topic_id") == row["topic_id"])["feedback_id"].to_list()
        inside = [f for f in ids if day[f] >= str(row["window_start"])]
        before = [f for f in ids if day[f] < str(row["window_start"])]
        by_mention = [f for f in inside if own[f] != row["topic_id"]]
        themes.append({"label": row["topic_label"], "lift": row["lift"], "items": len(ids),
                       "items_in_window": len(inside), "emerging_share_in_window": emerging_share(inside),
                       "emerging_share_before": emerging_share(before),
                       "in_window_by_mention_only": len(by_mention),
                       "emerging_share_by_mention_only": emerging_share(by_mention)})
    primary = [first[f] for f in topics["feedback_id"].to_list()]
    return {**alert_recovery(topics, flagged["topic_id"].to_list(), primary, emerging),
            "labels": flagged["topic_label"].to_list(), "flagged_themes": themes}


def _scale_summary(args: argparse.Namespace, rows: dict[str, Any], metrics: dict[str, Any],
                   alerts: dict[str, Any] | None = None) -> dict[str, Any]:
    stages = args.stages.split(",")
    return {
        "command": f"python benchmarks/pipeline.py scale --items {args.items} --backend {args.backend} "
                   f"--unit {args.unit} --stages {args.stages}",
        "n_items": args.items, "backend": args.backend, "unit": args.unit, "stages": rows,
        "complete": list(rows) == stages,
        "stages_not_run": [s for s in stages if s not in rows],
        "total_seconds": round(sum(r["seconds"] for r in rows.values()), 1),
        "max_peak_rss_mb": max((r["peak_rss_mb"] for r in rows.values()), default=None),
        "feedback_items_ingested": metrics.get("ingest", {}).get("tables", {}).get("feedback"),
        "topics": {k: metrics.get("topics", {}).get(k) for k in (
            "n_units", "n_topics", "n_leaf_themes", "merge_silhouette", "n_parents", "parent_silhouette", "coverage",
            "raw_outlier_share", "n_alerts")},
        "embed": metrics.get("embed"),
        "planted_emerging_theme_alerts": alerts,
    }


def run_scale(args: argparse.Namespace) -> dict[str, Any]:
    """Run the stage CLIs on ``items`` feedback items, timing each and taking its peak memory.

    The result is written after every stage (``complete: false`` until the last), so a long run that is
    stopped still leaves the stages it finished in benchmarks/results/pipeline.json.
    """
    cached = _sample_root(args.items, args.seed)
    stages = args.stages.split(",")
    key = _scale_key(args)
    with tempfile.TemporaryDirectory(prefix="voc-scale-") as tmp:
        root = Path(args.keep).resolve() if args.keep else Path(tmp)
        if args.keep and root.exists():
            raise SystemExit(f"--keep {root}: the folder exists; give a new one")
        (root / "data").mkdir(parents=True)
        (root / "data" / "raw").symlink_to(cached / "data" / "raw")
        params = yaml.safe_load((REPO / "params.yaml").read_text())
        params["embed"]["backend"] = args.backend
        params["topics"]["unit"] = args.unit
        params_path = root / "params.yaml"
        params_path.write_text(yaml.safe_dump(params, sort_keys=False))
        shutil.copy2(REPO / "taxonomy.yaml", root / "taxonomy.yaml")
        rows: dict[str, Any] = {}
        metrics: dict[str, Any] = {}
        alerts: dict[str, Any] | None = None
        for stage in stages:
            load = _load()
            proc = subprocess.run(
                ["/usr/bin/time", "-f", "TIME %e %M", sys.executable, "-m", f"pipelines.{stage}", "--root", str(root),
                 "--params", str(params_path)],
                cwd=REPO, env=_env(), capture_output=True, text=True, check=False,
            )
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr[-4000:])
                raise SystemExit(f"stage {stage} failed at {args.items} items (exit {proc.returncode})")
            wall, kb = proc.stderr.strip().splitlines()[-1].split()[1:]
            rows[stage] = {"seconds": float(wall), "peak_rss_mb": round(int(kb) / 1024, 1),
                           "load_avg_1m_before": load, "load_avg_1m_after": _load()}
            print(f"{stage}: {rows[stage]}", file=sys.stderr)
            metrics = {p.stem: json.loads(p.read_text()) for p in sorted((root / "data" / "metrics").glob("*.json"))}
            alerts = _planted_alerts(root, cached / "data" / "raw" / "_truth.json")
            _save(key, _scale_summary(args, rows, metrics, alerts))
    return _scale_summary(args, rows, metrics, alerts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("append")
    a.add_argument("--items", type=int, default=30000)
    a.add_argument("--share", type=float, default=0.01)
    s = sub.add_parser("scale")
    s.add_argument("--items", type=int, default=300000)
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--backend", default="sentence-transformers")
    s.add_argument("--stages", default=DEFAULT_STAGES)
    s.add_argument("--unit", default="item", choices=("item", "sentence"),
                   help="topics.unit: themes fitted on the items or on their sentences")
    s.add_argument("--keep", default=None,
                   help="run in this new folder and keep it (its data/ for inspection) instead of a temp folder")
    args = parser.parse_args()
    result = run_append(args) if args.mode == "append" else run_scale(args)
    _save("append" if args.mode == "append" else _scale_key(args), result)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
