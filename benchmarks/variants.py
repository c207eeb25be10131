"""Benchmark: ours under two values of one ``topics:`` setting, on the same layouts (run by hand).

    python benchmarks/variants.py merge_words all,core                 # Bitext and CFPB, 10 seeds
    python benchmarks/variants.py merge_sample 3000,null --datasets sample,cfpb_narratives --seeds 42,43,44

For each dataset and seed, ours is fitted once per value with the params.yaml ``topics:`` block, that one
setting changed, on the UMAP layout that ``benchmarks/topics.py`` computes and caches for ours, and scored as
there (``run_ours``: AMI and ARI with each label, parent themes, NPMI in the three shared vocabularies). The
values are read as YAML (``null``, numbers, words). The first value is the baseline.

Settings measured (``benchmarks/results/<setting>.json``):
  - ``merge_words``: with ``merge_by: words`` the leaf themes are grouped by the c-TF-IDF words of all their
    items (``all``) or of the items HDBSCAN placed in them (``core``, the words ``theme_words: core``
    describes them by). The leaves and the number of groups are the same; which leaves share a group may
    differ. Only a dataset whose themes merge can differ: of the four only the Bitext utterances' do
    (``benchmarks/topics.py``: ``ours_merge_none`` equals ``ours`` elsewhere); CFPB is the check that nothing
    else moves.
  - ``merge_sample``: the silhouette that picks the theme cut and the parent level, on a seeded sample of that
    many items or on every item (``null``, ``voc.topics.model.ThemeSilhouette``). The parents can change on
    every dataset, the leaves where the themes merge.

Figures, per dataset: each value's row, mean and standard deviation over the seeds, and ``<second>_minus_<first>``
paired per seed (mean, 95% t-interval, seeds ahead / level / behind). Writes the JSON, keeping the datasets not
run.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import topics as bench  # noqa: E402

from voc.config import load_section, read_params  # noqa: E402
from voc.topics import TopicsConfig  # noqa: E402
from voc.topics.model import make_reducer  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
log = logging.getLogger("benchmarks.variants")


def figures(row: dict[str, Any]) -> dict[str, float]:
    """The figures of a ``run_ours`` row that the comparison keeps (numbers only, no timings)."""
    keep = ("ami_", "ari_", "parent_ami_", "parent_ari_", "npmi_vocab_")
    return {k: float(v) for k, v in row.items()
            if k.startswith(keep) or k in ("n_topics", "n_parents", "diversity")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("setting", help="a field of the topics: block, e.g. merge_words")
    parser.add_argument("values", help="two values, comma-separated, read as YAML; the first is the baseline")
    parser.add_argument("--datasets", default="bitext_utterances,cfpb_narratives")
    parser.add_argument("--seeds", default=",".join(map(str, bench.SEEDS)))
    parser.add_argument("--params", default=str(ROOT / "params.yaml"))
    args = parser.parse_args()
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    seeds = [int(s) for s in args.seeds.split(",")]
    cfg = load_section(read_params(args.params), "topics", TopicsConfig)
    if args.setting not in {f.name for f in fields(TopicsConfig)}:
        raise SystemExit(f"topics has no setting {args.setting!r}")
    values = [yaml.safe_load(v) for v in args.values.split(",")]
    if len(values) != 2 or values[0] == values[1]:
        raise SystemExit(f"two different values, please: {args.values!r}")
    names = [str(v).lower() if v is not None else "null" for v in values]
    configs = [replace(cfg, **{args.setting: v}) for v in values]
    embedder = bench.lazy_embedder()
    datasets = bench.embedded_datasets(args.datasets.split(","), embedder)
    out: dict[str, Any] = {}
    for name, ds in datasets.items():
        bench.add_vocab_ours(ds, cfg)
        if name == "sample":
            bench.sample_sentences(ds, cfg, embedder)
            ds["mentions_min_similarity"] = cfg.mentions.bar("sentence-transformers")
        runs: dict[str, list[dict[str, float]]] = {n: [] for n in names}
        for seed in seeds:
            init = make_reducer(cfg, seed=seed, n_items=len(ds["texts"])).init
            layout = bench.umap_layout(ds["cache_name"], ds["embeddings"], seed, init=init,
                                       n_neighbors=cfg.n_neighbors, n_components=cfg.n_components)
            for n, c in zip(names, configs, strict=True):
                runs[n].append(figures(bench.run_ours(ds, layout, seed, c, None)))
                log.info("%s seed %d %s %s: %s", name, seed, args.setting, n, runs[n][-1])
        keys = sorted(set.intersection(*(set(r) for rows in runs.values() for r in rows)))
        first, second = (runs[n] for n in names)
        diffs = {k: [b[k] - a[k] for a, b in zip(first, second, strict=True)] for k in keys}
        out[name] = {
            "seeds": seeds,
            "command": f"python benchmarks/variants.py {args.setting} {args.values} --datasets {args.datasets} "
                       f"--seeds {args.seeds}",
            "methods": {n: {k: {"mean": round(float(np.mean([r[k] for r in rows])), 4),
                                "std": round(float(np.std([r[k] for r in rows])), 4)} for k in keys}
                        for n, rows in runs.items()},
            f"{names[1]}_minus_{names[0]}": bench.paired_summary({"d": diffs})["d"],
            "per_seed": runs,
        }
    path = RESULTS / f"{args.setting}.json"
    before = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    results = {
        "about": __doc__.strip().splitlines()[0],
        "setting": args.setting,
        "params_topics": {k: v for k, v in cfg.__dict__.items() if v is None or isinstance(v, (str, int, float, bool))},
        "datasets": {**{k: v for k, v in before.get("datasets", {}).items() if k not in out}, **out},
    }
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log.info("wrote %s", path)


if __name__ == "__main__":
    main()
