"""Benchmark: which items' words describe a theme (``topics.theme_words``), on the same fits (run by hand).

    python benchmarks/theme_words.py                                   # the public datasets, 10 seeds
    python benchmarks/theme_words.py --datasets sample --seeds 42,43,44

For each dataset and seed, ours is fitted once with the params.yaml ``topics:`` block, on the UMAP layout that
``benchmarks/topics.py`` computes and caches for ours. The one partition is then described twice, each time in
the three shared vocabularies of ``benchmarks/topics.py`` (``shared_vocab_npmi``):
  - ``core``: each theme by the items HDBSCAN placed in it (``voc.topics.model.described_by``), the stage's default;
  - ``all``: by every item it holds, including the outliers reassigned to it.
The themes and the items they hold are the same either way, so AMI and ARI do not change; only the words do.

Figures:
  - the NPMI of each description, as a mean and standard deviation over the seeds;
  - ``core_minus_all``, paired per seed, as in ``benchmarks/topics.py`` (mean, 95% t-interval, seeds ahead);
  - ``baselines``: the same NPMI of BERTopic's defaults and of k-means, read from
    ``benchmarks/results/topics.json``'s per-seed rows for the same seeds, and ``core_minus_<baseline>`` paired.
    Those rows do not depend on ``theme_words``: BERTopic's own outliers describe no theme, and k-means has none.

Writes ``benchmarks/results/theme_words.json``, keeping the datasets not run.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import topics as bench  # noqa: E402

from voc.config import load_section, read_params  # noqa: E402
from voc.topics import TopicsConfig, fit_topic_model  # noqa: E402
from voc.topics.model import make_reducer  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "theme_words.json"
TOPICS_RESULTS = ROOT / "benchmarks" / "results" / "topics.json"
VOCABS = ("npmi_vocab_ours", "npmi_vocab_default", "npmi_vocab_english")
log = logging.getLogger("benchmarks.theme_words")


def one_seed(ds: dict[str, Any], seed: int, cfg: TopicsConfig) -> dict[str, Any]:
    """Ours fitted once on the seed's cached layout, its themes described by their core items and by all."""
    init = make_reducer(cfg, seed=seed, n_items=len(ds["texts"])).init
    layout = bench.umap_layout(ds["cache_name"], ds["embeddings"], seed, init=init, n_neighbors=cfg.n_neighbors,
                               n_components=cfg.n_components)
    start = time.perf_counter()
    result = fit_topic_model(ds["texts"], ds["embeddings"], config=cfg, seed=seed, reducer=bench.CachedLayout(layout))
    seconds = time.perf_counter() - start
    core = result.described   # cfg.theme_words is core: the items HDBSCAN placed in each theme
    return {
        "n_topics": int(len(set(result.topics.tolist()) - {-1})),
        "raw_outlier_share": float((result.raw_topics == -1).mean()),
        "seconds": seconds,
        "core": bench.shared_vocab_npmi(ds["texts"], core, ds["vocab_ours"], ds["coherence"]),
        "all": bench.shared_vocab_npmi(ds["texts"], result.topics, ds["vocab_ours"], ds["coherence"]),
    }


def paired_rows(ours: list[float], other: list[float]) -> dict[str, Any]:
    """``bench.paired_summary``'s figures for one paired list (ours minus the other, per seed)."""
    return bench.paired_summary({"x": {"v": [a - b for a, b in zip(ours, other, strict=True)]}})["x"]["v"]


def baselines(name: str, seeds: list[int]) -> dict[str, dict[str, list[float]]]:
    """Per-seed NPMI of the baselines in ``topics.json`` for ``seeds`` (every seed there, or none)."""
    if not TOPICS_RESULTS.exists():
        return {}
    entry = json.loads(TOPICS_RESULTS.read_text(encoding="utf-8")).get("datasets", {}).get(name)
    if entry is None or not set(seeds) <= set(entry["seeds"]):
        log.warning("%s: topics.json has no baseline rows for seeds %s; baselines left out", name, seeds)
        return {}
    at = [entry["seeds"].index(s) for s in seeds]
    return {m: {v: [rows[i][v] for i in at] for v in VOCABS} for m, rows in entry["per_seed"].items()
            if m == "bertopic_default" or m.startswith("kmeans_k")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="cfpb_narratives,bitext_utterances,clothing_reviews")
    parser.add_argument("--seeds", default=",".join(map(str, bench.SEEDS)))
    parser.add_argument("--params", default=str(ROOT / "params.yaml"))
    args = parser.parse_args()
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    seeds = [int(s) for s in args.seeds.split(",")]
    cfg = replace(load_section(read_params(args.params), "topics", TopicsConfig), theme_words="core")
    embedder = bench.lazy_embedder()
    datasets = bench.embedded_datasets(args.datasets.split(","), embedder)
    out: dict[str, Any] = {}
    for name, ds in datasets.items():
        bench.add_vocab_ours(ds, cfg)
        runs = []
        for seed in seeds:
            runs.append(one_seed(ds, seed, cfg))
            log.info("%s seed %d: %s", name, seed, runs[-1])
        per = {d: {v: [r[d][v] for r in runs] for v in VOCABS} for d in ("core", "all")}
        entry: dict[str, Any] = {
            "seeds": seeds,
            "n_topics": [r["n_topics"] for r in runs],
            "raw_outlier_share": [round(r["raw_outlier_share"], 4) for r in runs],
            "npmi": {d: {v: {"mean": float(np.mean(x)), "std": float(np.std(x))} for v, x in per[d].items()}
                     for d in per},
            "core_minus_all": {v: paired_rows(per["core"][v], per["all"][v]) for v in VOCABS},
            "per_seed": per,
        }
        base = baselines(name, seeds)
        if base:
            entry["baselines"] = {m: {v: float(np.mean(x)) for v, x in b.items()} for m, b in base.items()}
            entry.update({f"core_minus_{m}": {v: paired_rows(per["core"][v], b[v]) for v in VOCABS}
                          for m, b in base.items()})
        out[name] = entry
    before = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results = {
        "about": __doc__.strip().splitlines()[0],
        "datasets": {**{k: v for k, v in before.get("datasets", {}).items() if k not in out}, **out},
    }
    for name in out:
        results["datasets"][name]["command"] = f"python benchmarks/theme_words.py --datasets {args.datasets} " \
                                               f"--seeds {args.seeds}"
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log.info("wrote %s", RESULTS)


if __name__ == "__main__":
    main()
