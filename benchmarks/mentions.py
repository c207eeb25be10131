"""Benchmark: how strict a sentence must be to carry a theme (the topics stage's mentions step; run by hand).

    python benchmarks/mentions.py                     # the workspace of `make report` (the default encoder)
    python benchmarks/mentions.py --root DIR --backend model2vec --truth DIR/data/raw/_truth.json
        # a workspace kept by `benchmarks/pipeline.py scale --keep DIR` (another encoder, another sample size)

Reads the workspace's item themes (data/processed/topics.parquet), its item vectors, its sentence cache and the
themes the generator planted (``_truth.json``), and scores the mentions step against those planted themes with
one global similarity bar (``topics.mentions.min_similarity``) at several heights, against two ways to ask more
of a sentence where a theme is tight: a bar per theme read off the theme's own items (``theme_quantile_<q>``:
the q-quantile of each of its items' best sentence cosine; ``theme_bars``) and a margin over the runner-up
theme (``margin_<m>``), both over the global 0.4. Measured on the sample (27k items), neither beat one global
bar set for the encoder: at equal recall one bar had the higher precision, for MiniLM and for model2vec; the
right height differs by encoder (F1 peaks near 0.6-0.65 for MiniLM, 0.75 for model2vec), hence
``topics.mentions.min_similarity_by_backend``.
Figures, as ``benchmarks/topics.py`` reports them (``voc.topics.quality.presence_recovery``):
precision, recall and F1 over (item, planted theme) pairs, each theme read as the planted theme most of its
items carry; ``two_found``, the share of the items with two or more planted themes of which two or more are
found; ``themes_per_item``; and ``mentions_off_planted``, the share of mentions whose theme stands for a planted
theme the item lacks (an upper bound on wrong mentions: the generator's filler sentences, "I've been with Acme
for 8 years.", carry no planted theme, so any theme they reach counts here). One fit of the themes, so the
figures compare bars on the same partition; they do not carry a seed-to-seed spread. Writes
benchmarks/results/mentions.json under the key ``<backend>_<n items>``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import topics as bench  # noqa: E402

from voc.config import load_section, read_params  # noqa: E402
from voc.embedding.base import load_embedder  # noqa: E402
from voc.topics.mentions import nearest_themes, theme_presence  # noqa: E402
from voc.topics.model import TopicsConfig, theme_centroids  # noqa: E402
from voc.topics.quality import majority_labels, presence_recovery  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "mentions.json"
GLOBAL_BARS = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75)
QUANTILES = (0.05, 0.1, 0.2, 0.3, 0.5)
MARGINS = (0.02, 0.05, 0.1, 0.15)
FLOOR = 0.4            # the global bar under the per-theme and margin variants (the stage's bar until 2026-12)
log = logging.getLogger("benchmarks.mentions")


def theme_bars(embeddings: np.ndarray, item_topics: np.ndarray, item_ids: np.ndarray,
               centroids: dict[int, np.ndarray], *, quantile: float, floor: float) -> dict[int, float]:
    """A bar per theme, read off its own items: the ``quantile`` of each of its items' best sentence cosine to
    its centroid, never below ``floor``. (Tried for the stage and left out: one bar did as well; see main.)"""
    bars = dict.fromkeys((int(t) for t in centroids), float(floor))
    for topic_id, centroid in centroids.items():
        rows = np.flatnonzero(item_topics == topic_id)
        if rows.size:
            sims = embeddings[rows].astype(np.float32) @ centroid.astype(np.float32)
            best = pl.DataFrame({"item": item_ids[rows], "sim": sims}).group_by("item").agg(pl.col("sim").max())
            bars[int(topic_id)] = max(float(floor), float(np.quantile(best["sim"].to_numpy(), quantile)))
    return bars


def score(ds: dict[str, Any], items: pl.DataFrame, assigned: np.ndarray, stands: dict[int, str]) -> dict[str, float]:
    """The recovery figures of one assignment of the sentences to themes (-1: no theme)."""
    sentences = ds["sentences"]
    mentions = sentences.select("feedback_id", pl.Series("topic_id", assigned, dtype=pl.Int32),
                                pl.lit("").alias("topic_label"))
    found = presence_recovery(items, theme_presence(items, mentions, item_theme="fallback"), ds["labels"]["theme"],
                              ds["planted"])
    planted = dict(zip(ds["feedback_ids"].to_list(), ds["planted"], strict=True))
    said = [(f, int(t)) for f, t in zip(sentences["feedback_id"].to_list(), assigned.tolist(), strict=True) if t >= 0]
    off = sum(t in stands and stands[t] not in planted[f] for f, t in said)
    names = {"labels_per_item": "themes_per_item"}
    return {**{names.get(k, k): round(v, 4) for k, v in found.items()},
            "n_mentions": len(said), "mentions_off_planted": round(off / len(said), 4) if said else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=str(ROOT), help="workspace (its data/ and params.yaml)")
    parser.add_argument("--backend", default=None, help="embed.backend of the workspace (default: its params)")
    parser.add_argument("--truth", default=None, help="the generator's _truth.json (default: ROOT/data/raw)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = Path(args.root).resolve()
    params = read_params(root / "params.yaml")
    cfg = load_section(params, "topics", TopicsConfig)
    backend = args.backend or params["embed"]["backend"]
    truth = Path(args.truth) if args.truth else root / "data/raw/_truth.json"
    bench.SAMPLE_INPUTS = (root / "data/interim/feedback.parquet", root / "data/interim/embeddings.parquet", truth)
    bench.ROOT = root                  # sample_sentences reads the workspace's sentence cache
    start = time.perf_counter()
    ds = bench.load_sample()
    bench.sample_sentences(ds, cfg, lambda: load_embedder(backend, threads=2, cache_dir=root / "data/models/embedders",
                                                           precision=params["embed"].get("precision", "float64")))
    filed = pl.read_parquet(root / "data/processed/topics.parquet").select("feedback_id", "topic_id")
    items = (pl.DataFrame({"feedback_id": ds["feedback_ids"]}).join(filed, on="feedback_id", how="left")
             .with_columns(pl.col("topic_id").fill_null(-1).cast(pl.Int32), pl.lit("").alias("topic_label")))
    topics = items["topic_id"].to_numpy()
    centroids = theme_centroids(ds["embeddings"], topics)
    stands = majority_labels(topics.tolist(), ds["labels"]["theme"])
    vectors = ds["sentence_embeddings"]
    item_ids = ds["sentences"]["feedback_id"].to_numpy()
    own = dict(zip(ds["feedback_ids"].to_list(), topics.tolist(), strict=True))
    item_topics = np.array([own[f] for f in item_ids])
    rows: dict[str, Any] = {}
    for bar in GLOBAL_BARS:
        rows[f"global_{bar}"] = score(ds, items, nearest_themes(vectors, centroids, min_similarity=bar)[0], stands)
        log.info("global %.2f: %s", bar, rows[f"global_{bar}"])
    sims = vectors.astype(np.float32) @ np.stack([centroids[t] for t in sorted(centroids)]).astype(np.float32).T
    ids = np.array(sorted(centroids))
    best = ids[np.argmax(sims, axis=1)]
    order = np.sort(sims, axis=1)
    for q in QUANTILES:
        bars = theme_bars(vectors, item_topics, item_ids, centroids, quantile=q, floor=FLOOR)
        values = np.array(list(bars.values()))
        assigned = np.where(order[:, -1] >= np.array([bars[int(t)] for t in best]), best, -1)
        rows[f"theme_quantile_{q}"] = {
            **score(ds, items, assigned, stands),
            "bars": {k: round(float(f(values)), 4) for k, f in (("min", np.min), ("median", np.median),
                                                                  ("max", np.max))}}
        log.info("theme quantile %.2f: %s", q, rows[f"theme_quantile_{q}"])
    margin = order[:, -1] - order[:, -2]
    for m in MARGINS:
        assigned = np.where((order[:, -1] >= FLOOR) & (margin >= m), best, -1)
        rows[f"margin_{m}"] = score(ds, items, assigned, stands)
        log.info("margin %.2f: %s", m, rows[f"margin_{m}"])
    key = f"{backend}_{len(ds['texts'])}"
    result = {
        "command": " ".join(["python benchmarks/mentions.py", *sys.argv[1:]]),
        "workspace": "the repository's (make report)" if root == ROOT else "a scale workspace (--keep)",
        "n_items": len(ds["texts"]), "n_sentences": int(vectors.shape[0]), "n_themes": len(centroids),
        "floor": FLOOR, "stage_min_similarity": cfg.mentions.bar(backend),
        "seconds": round(time.perf_counter() - start, 1), "bars": rows,
    }
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    saved[key] = result
    RESULTS.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")
    print(json.dumps({k: {m: v.get(m) for m in ("f1", "precision", "recall", "two_found")} for k, v in rows.items()},
                     indent=1))


if __name__ == "__main__":
    main()
