"""Benchmark of the ingest stage: sample data sets of 100k, 300k and 1M feedback items, ingested with the
``ingest:`` section of params.yaml; rows per second, peak memory, growth; and PII recall/precision on
the sample's planted PII. Writes benchmarks/results/ingest.json.

    python benchmarks/ingest.py                       # all sizes (generation is cached in benchmarks/cache/)
    python benchmarks/ingest.py --sizes 100000        # one size
    python benchmarks/ingest.py --sizes 100000,300000 --result /tmp/ingest.json   # a comparison run

Each ingest runs in a fresh child process (``--child``), which reports its own wall time, phase times and
peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, imports included), and the CPU
seconds and peak memory of the largest of the worker processes that parse eml/transcript files. The machine may be
shared: the 1-minute load average is recorded before and after each run.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl
import yaml

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "cache" / "ingest"
RESULT = REPO / "benchmarks" / "results" / "ingest.json"
PII_TOKEN = {"email": "EMAIL", "phone": "PHONE", "card": "CARD", "iban": "IBAN", "address": "ADDRESS", "ip": "IP"}


def generate(n_items: int, seed: int) -> Path:
    """Write the sample with ``n_items`` feedback items (customers scaled with it) under benchmarks/cache."""
    from voc.sample import SampleConfig, generate_sample, write_sample

    root = WORK / f"n{n_items}"
    raw = root / "data" / "raw"
    if (raw / "_truth.json").exists():
        return root
    n_customers = max(5000, n_items // 6)  # the default sample has 30,000 items for 5,000 customers
    start = time.perf_counter()
    data = generate_sample(SampleConfig(n_items=n_items, n_customers=n_customers), seed=seed)
    write_sample(data, raw, force=True)
    print(f"generated {n_items} items ({n_customers} customers) in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return root


def child(root: Path) -> None:
    """Ingest ``root`` like the CLI does (read, check, write parquet) and print the figures as JSON."""
    from voc.config import load_base, load_section, read_params
    from voc.ingest import IngestConfig
    from voc.ingest.core import ingest_batches, read_sources
    from voc.io import write_json, write_parquet

    logging.basicConfig(level=logging.WARNING)
    params = read_params(REPO / "params.yaml")
    config = load_section(params, "ingest", IngestConfig)
    base = load_base(params)
    c0 = time.process_time()
    t0 = time.perf_counter()
    batches = read_sources(config, root)
    t1 = time.perf_counter()
    result = ingest_batches(batches, config, timezone=base.timezone, consume=True)  # as run_ingest does
    t2 = time.perf_counter()
    out = root / "data"
    for name, frame in {**result.tables, "quarantine": result.quarantine}.items():
        write_parquet(frame, out / "interim" / f"{name}.parquet")
    write_json(result.metrics, out / "metrics" / "ingest.json")
    t3 = time.perf_counter()
    m = result.metrics
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the worker processes that parse eml/transcript files
    print(json.dumps({
        "seconds": round(t3 - t0, 2), "cpu_seconds": round(time.process_time() - c0, 2),
        "cpu_seconds_workers": round(kids.ru_utime + kids.ru_stime, 2), "peak_rss_worker_mb": round(kids.ru_maxrss / 1024, 1), "seconds_read": round(t1 - t0, 2), "seconds_check": round(t2 - t1, 2),
        "seconds_write": round(t3 - t2, 2), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rows_in": m["rows_in"], "rows_out": m["rows_out"], "rows_quarantined": m["rows_quarantined"],
        "feedback_rows": m["tables"]["feedback"], "tables": m["tables"],
        "source_rows_in": {k: v["rows_in"] for k, v in m["sources"].items()},
    }))


def pii_scores(root: Path) -> dict[str, Any]:
    """Recall (planted value gone from the redacted text, and its token there) per PII type, and
    precision (share of tokens in texts of items without planted PII that are false alarms, per type)."""
    truth = json.loads((root / "data" / "raw" / "_truth.json").read_text(encoding="utf-8"))
    planted = pl.DataFrame(truth["pii"]["planted"], schema={"feedback_id": pl.String, "type": pl.String, "value": pl.String})
    feedback = pl.read_parquet(root / "data" / "interim" / "feedback.parquet", columns=["feedback_id", "text"])
    joined = planted.join(feedback, on="feedback_id", how="left")
    out: dict[str, Any] = {"n_planted": planted.height, "n_planted_items_missing": int(joined["text"].is_null().sum())}
    texts = joined.drop_nulls("text")
    per_type: dict[str, Any] = {}
    for ptype, group in texts.group_by("type", maintain_order=True):
        name = str(ptype[0])
        token = f"[{PII_TOKEN.get(name, name.upper())}]"
        leaked = [v in t for v, t in zip(group["value"].to_list(), group["text"].to_list(), strict=True)]
        tokened = group["text"].str.contains(token, literal=True).to_list()
        per_type[name] = {
            "n": group.height, "recall": round(1 - sum(leaked) / group.height, 4),
            "recall_typed": round(sum(t and not lk for t, lk in zip(tokened, leaked, strict=True)) / group.height, 4),
            "leaked_examples": [v for v, lk in zip(group["value"].to_list(), leaked, strict=True) if lk][:3],
        }
    out["by_type"] = dict(sorted(per_type.items()))
    clean = feedback.filter(~pl.col("feedback_id").is_in(planted["feedback_id"].implode())).drop_nulls("text")
    tokens = clean["text"].str.extract_all(r"\[(?:EMAIL|PHONE|CARD|IBAN|IP|ADDRESS)\]").explode().drop_nulls()
    counts = dict(tokens.value_counts().iter_rows())
    planted_tokens = sum(texts["text"].str.count_matches(r"\[(?:EMAIL|PHONE|CARD|IBAN|IP|ADDRESS)\]").to_list())
    true_hits = sum(int(v["recall_typed"] * v["n"]) for v in per_type.values())
    false_alarms = sum(counts.values())
    out["false_alarm_tokens_in_clean_items"] = {k: int(v) for k, v in sorted(counts.items())}
    out["n_clean_items"] = clean.height
    out["precision"] = round(true_hits / (true_hits + false_alarms), 4) if true_hits + false_alarms else 1.0
    out["tokens_in_planted_items"] = planted_tokens
    # names in e-mail signatures are not planted by the sample and not redacted (known gap)
    return out


def fit_growth(sizes: list[int], seconds: list[float]) -> dict[str, float]:
    """Exponent b of seconds = a * n^b (least squares on logs): 1 is linear."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(t) for t in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return {"exponent": round(b, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--result", type=Path, default=RESULT, help="where to write the JSON (default: %(default)s)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    runs: list[dict[str, Any]] = []
    pii: dict[str, Any] = {}
    for n in sizes:
        root = generate(n, args.seed)
        load_before = os.getloadavg()[0]
        proc = subprocess.run([sys.executable, __file__, "--child", str(root)], capture_output=True, text=True, check=False)
        load_after = os.getloadavg()[0]
        if proc.returncode != 0:
            raise SystemExit(f"ingest of {root} failed:\n{proc.stderr[-3000:]}")
        run = json.loads(proc.stdout.strip().splitlines()[-1])
        run.update(n_items=n, rows_per_second=round(run["rows_in"] / run["seconds"]),
                   cpu_seconds_total=round(run["cpu_seconds"] + run["cpu_seconds_workers"], 2),
                   feedback_per_second=round(run["feedback_rows"] / run["seconds"]),
                   load_avg_1m_before=round(load_before, 2), load_avg_1m_after=round(load_after, 2))
        runs.append(run)
        print(json.dumps(run), file=sys.stderr)
        if n == min(sizes):
            pii = pii_scores(root)
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "polars": pl.__version__,
                    "note": "shared machine: see load_avg_1m_* next to each run"},
        "params": yaml.safe_load((REPO / "params.yaml").read_text())["ingest"] | {"sources": "params.yaml ingest.sources"},
        "runs": runs,
        "goal": {"n_items": 1_000_000, "seconds": 60, "peak_rss_mb": 4096},
        "pii_on_sample": {"n_items": min(sizes), **pii},
    }
    if len(runs) > 1:
        result["growth"] = fit_growth([r["n_items"] for r in runs], [r["seconds"] for r in runs])
        result["growth"]["seconds_per_100k"] = [round(r["seconds"] / r["n_items"] * 1e5, 2) for r in runs]
    args.result.parent.mkdir(parents=True, exist_ok=True)
    args.result.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.result}", file=sys.stderr)


if __name__ == "__main__":
    main()
