"""Benchmark: whose words decide which themes merge (``topics.merge_words``), on the same layouts (run by hand).

    python benchmarks/merge_words.py                                   # the public datasets, 10 seeds
    python benchmarks/merge_words.py --datasets sample --seeds 42,43,44

With ``topics.merge_by: words`` the leaf themes are grouped by the c-TF-IDF words of their items
(``voc.topics.model.word_groups``); the centroids' dendrogram and the silhouette decide only how many groups.
For each dataset and seed, ours is fitted twice with the params.yaml ``topics:`` block, on the UMAP layout that
``benchmarks/topics.py`` computes and caches for ours, changing only ``merge_words``:
  - ``all``: each theme's words for the grouping come from every item it holds, outliers reassigned to it included;
  - ``core``: from the items HDBSCAN placed in it (``voc.topics.model.described_by``), the words that
    ``theme_words: core`` describes it by.
The leaves and the number of groups are the same either way; which leaves share a group may differ, and so
may AMI, ARI and the words of the merged themes. Only a dataset whose themes merge can differ: of the four
(``benchmarks/topics.py``, where ``ours_merge_none`` equals ``ours`` when nothing merges), only the Bitext
utterances' do; CFPB is kept in the default run as the check that nothing else moves.

Figures, per dataset: each setting's row as ``benchmarks/topics.py`` scores ours (``run_ours``: AMI and ARI with
each label, parent themes, NPMI in the three shared vocabularies), mean and standard deviation over the seeds,
and ``core_minus_all`` paired per seed (mean, 95% t-interval, seeds ahead / level / behind).

Writes ``benchmarks/results/merge_words.json``, keeping the datasets not run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import topics as bench  # noqa: E402

from voc.config import load_section, read_params  # noqa: E402
from voc.embedding import load_embedder  # noqa: E402
from voc.topics import TopicsConfig  # noqa: E402
from voc.topics.model import make_reducer  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "merge_words.json"
SETTINGS = ("all", "core")
log = logging.getLogger("benchmarks.merge_words")


def figures(row: dict[str, Any]) -> dict[str, float]:
    """The figures of a ``run_ours`` row that the comparison keeps (numbers only, no timings)."""
    keep = ("ami_", "ari_", "parent_ami_", "parent_ari_", "npmi_vocab_")
    return {k: float(v) for k, v in row.items()
            if k.startswith(keep) or k in ("n_topics", "n_parents", "diversity")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="bitext_utterances,cfpb_narratives")
    parser.add_argument("--seeds", default=",".join(map(str, bench.SEEDS)))
    parser.add_argument("--params", default=str(ROOT / "params.yaml"))
    args = parser.parse_args()
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    seeds = [int(s) for s in args.seeds.split(",")]
    cfg = load_section(read_params(args.params), "topics", TopicsConfig)
    if cfg.merge != "silhouette" or cfg.merge_by != "words":
        raise SystemExit(f"{args.params}: topics.merge_words matters only with merge: silhouette, merge_by: words")
    wanted = args.datasets.split(",")
    datasets = {k: v for k, v in bench.load_datasets().items() if k in wanted}
    if "sample" in wanted:
        datasets["sample"] = bench.load_sample()
    unknown = set(wanted) - set(datasets)
    if unknown:
        raise SystemExit(f"unknown datasets: {sorted(unknown)}")
    encoder: list[Any] = []

    def embedder() -> Any:
        if not encoder:
            encoder.append(load_embedder(threads=2, precision="float64"))
        return encoder[0]

    out: dict[str, Any] = {}
    for name, ds in datasets.items():
        if "embeddings" not in ds:
            ds["embeddings"] = bench.cached_embeddings(name, ds["texts"], embedder)
        ds["cache_name"] = f"{name}-{hashlib.sha256(ds['embeddings'].tobytes()).hexdigest()[:12]}"
        bench.add_vocab_ours(ds, cfg)
        if name == "sample":
            bench.sample_sentences(ds, cfg, embedder)
            ds["mentions_min_similarity"] = cfg.mentions.bar("sentence-transformers")
        runs: dict[str, list[dict[str, float]]] = {s: [] for s in SETTINGS}
        for seed in seeds:
            init = make_reducer(cfg, seed=seed, n_items=len(ds["texts"])).init
            layout = bench.umap_layout(ds["cache_name"], ds["embeddings"], seed, init=init,
                                       n_neighbors=cfg.n_neighbors, n_components=cfg.n_components)
            for setting in SETTINGS:
                row = bench.run_ours(ds, layout, seed, replace(cfg, merge_words=setting), None)
                runs[setting].append(figures(row))
                log.info("%s seed %d merge_words %s: %s", name, seed, setting, runs[setting][-1])
        keys = sorted(set.intersection(*(set(r) for rows in runs.values() for r in rows)))
        diffs = {k: [c[k] - a[k] for a, c in zip(runs["all"], runs["core"], strict=True)] for k in keys}
        out[name] = {
            "seeds": seeds,
            "command": f"python benchmarks/merge_words.py --datasets {args.datasets} --seeds {args.seeds}",
            "methods": {s: {k: {"mean": round(float(np.mean([r[k] for r in rows])), 4),
                                "std": round(float(np.std([r[k] for r in rows])), 4)} for k in keys}
                        for s, rows in runs.items()},
            "core_minus_all": bench.paired_summary({"core": diffs})["core"],
            "per_seed": runs,
        }
    before = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results = {
        "about": __doc__.strip().splitlines()[0],
        "params_topics": {k: v for k, v in cfg.__dict__.items() if isinstance(v, (str, int, float, bool))},
        "datasets": {**{k: v for k, v in before.get("datasets", {}).items() if k not in out}, **out},
    }
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log.info("wrote %s", RESULTS)


if __name__ == "__main__":
    main()
