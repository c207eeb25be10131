"""Benchmark the four embedding backends on the same real texts (run by hand).

    python benchmarks/embed.py                  # 3,000 texts of each corpus (CFPB narratives, clothing reviews,
                                                # Bitext utterances), all backends, 5 seeds
    python benchmarks/embed.py --n-cfpb 1000    # fewer of the long narratives (~1 hour less on 2 busy cores)
    python benchmarks/embed.py --n 500 --backends sentence-transformers,onnx --seeds 1    # a quick look

For each backend (voc.embedding.load_embedder, threads 2, batch 64, long texts chunked at 180 words and pooled,
as the embed stage does; ``sentence-transformers@float32`` is the PyTorch model in single precision, the
default runs in params embed.precision, float64): setup seconds (a fresh export, quantisation or distillation
into an empty folder, plus loading), texts per second on each corpus, mean and min cosine of each text's vector
to the default one, and the AMI of our topic model (params.yaml topics:, ``--seeds`` seeded UMAP layouts and
fits, 42 on) against the corpus labels on that backend's embeddings, with its change from the default paired
by seed. One fit is not enough: vectors equal to six decimals (float32 against float64) moved one seed's AMI
by up to 0.075, as another UMAP layout does. The machine is shared: the 1-minute load average is recorded
before and after every timing. Writes benchmarks/results/embed.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from topics import ROOT, add_vocab_ours, load_datasets, run_ours, umap_layout  # benchmarks/topics.py (sets offline env)

from voc.config import load_section, read_params
from voc.embedding import BACKENDS, embed_texts, embeddings_matrix, load_embedder
from voc.topics import TopicsConfig
from voc.topics.model import make_reducer

log = logging.getLogger("benchmarks.embed")
SEED = 42
DEFAULT = "sentence-transformers"
VARIANTS = (DEFAULT, f"{DEFAULT}@float32", *[b for b in BACKENDS if b != DEFAULT])


def load_average() -> float:
    """The 1-minute load average (runnable processes; this machine has os.cpu_count() cores)."""
    return round(os.getloadavg()[0], 2)


def sample(ds: dict[str, Any], n: int, seed: int) -> dict[str, Any]:
    """``n`` texts drawn without replacement (seeded), kept in their file order, with their labels."""
    total = len(ds["texts"])
    idx = np.sort(np.random.default_rng(seed).choice(total, size=min(n, total), replace=False))
    return {"texts": [ds["texts"][i] for i in idx],
            "labels": {k: [v[i] for i in idx] for k, v in ds["labels"].items()}}


def embed_timed(embedder: Any, texts: list[str]) -> tuple[np.ndarray, dict[str, Any]]:
    """Embed as the embed stage does; the seconds and the load average around it."""
    items = pl.DataFrame({"feedback_id": [f"{i:07d}" for i in range(len(texts))], "text": texts})
    load_before = load_average()
    start = time.perf_counter()
    result = embed_texts(items, embedder, batch_size=64, max_words=180, show_progress=False)
    seconds = time.perf_counter() - start
    if result.embeddings.height != len(texts):
        raise ValueError(f"{len(texts) - result.embeddings.height} texts were not embedded")
    emb = embeddings_matrix(result.embeddings.sort("feedback_id"))
    return emb, {"seconds": round(seconds, 2), "texts_per_second": round(len(texts) / seconds, 1),
                 "load_before": load_before, "load_after": load_average()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=3000, help="texts per corpus (seeded sample)")
    parser.add_argument("--n-cfpb", type=int, default=None,
                        help="CFPB narratives only (long: ~5 texts/s on PyTorch on 2 busy cores); default --n")
    parser.add_argument("--backends", default=",".join(VARIANTS),
                        help="comma-separated backends, a PyTorch precision as @float32; the default always runs")
    parser.add_argument("--params", default=str(ROOT / "params.yaml"), help="params file whose topics: block is ours")
    parser.add_argument("--seeds", type=int, default=5, help="topic-model fits per backend and corpus (seeds 42..)")
    args = parser.parse_args()
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    backends = [DEFAULT, *[b for b in args.backends.split(",") if b != DEFAULT]]
    unknown = sorted(set(backends) - set(VARIANTS))
    if unknown:
        raise SystemExit(f"--backends: unknown {unknown}; expected some of {list(VARIANTS)}")
    params = read_params(args.params)
    cfg = load_section(params, "topics", TopicsConfig)
    default_precision = params.get("embed", {}).get("precision", "float64")   # the stage's, for the default
    seeds = list(range(SEED, SEED + args.seeds))
    sizes = {"cfpb_narratives": args.n_cfpb or args.n}
    corpora = {name: sample(ds, sizes.get(name, args.n), SEED) for name, ds in load_datasets().items()}
    results: dict[str, Any] = {
        "command": f"python benchmarks/embed.py --n {args.n} --n-cfpb {sizes['cfpb_narratives']} "
                   f"--backends {','.join(backends)} --seeds {args.seeds}",
        "seeds": seeds,
        "about": __doc__.strip().splitlines()[0],
        "cpu_count": os.cpu_count(),
        "conventions": "threads 2, batch 64, max_words 180 (chunked and pooled); cosine per text to the "
                       f"sentence-transformers vector in {default_precision} (params embed.precision); AMI of "
                       "voc.topics.fit_topic_model against each label (mean and std over the seeds, each on its "
                       "own UMAP layout of that backend's vectors), outliers (-1) as one cluster; ami_change: "
                       "minus the default's AMI, paired by seed; load = 1-minute load average before/after.",
        "corpora": {name: {"n_texts": len(c["texts"]), "labels": {k: len(set(v)) for k, v in c["labels"].items()},
                           "mean_words": round(float(np.mean([len(t.split()) for t in c["texts"]])), 1)}
                    for name, c in corpora.items()},
        "backends": {},
    }
    reference: dict[str, np.ndarray] = {}
    reference_ami: dict[str, dict[str, float]] = {}
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="embedders-") as models_dir:  # each backend built from scratch
            load_before = load_average()
            start = time.perf_counter()
            kind, _, precision = backend.partition("@")
            precision = precision or default_precision
            embedder = load_embedder(kind, threads=2, cache_dir=Path(models_dir),  # type: ignore[arg-type]
                                     precision=precision)
            setup = {"seconds": round(time.perf_counter() - start, 2), "load_before": load_before,
                     "load_after": load_average(),
                     "folder_mb": round(sum(f.stat().st_size for f in Path(models_dir).rglob("*")
                                            if f.is_file()) / 1e6, 1)}
            log.info("%s: set up in %.1f s", backend, setup["seconds"])
            out: dict[str, Any] = {"model": embedder.name, "dim": embedder.dim, "setup": setup, "corpora": {},
                                   "precision": precision if kind == DEFAULT else None}
            for name, corpus in corpora.items():
                emb, timing = embed_timed(embedder, corpus["texts"])
                log.info("%s on %s: %s", backend, name, timing)
                if backend == DEFAULT:
                    reference[name] = emb
                cosine = (emb.astype(np.float64) * reference[name]).sum(axis=1)
                digest = hashlib.sha256(emb.tobytes()).hexdigest()[:12]   # the layout cache follows the vectors
                init = make_reducer(cfg, seed=SEED, n_items=len(emb)).init    # the UMAP start the stage takes
                ds = {"texts": corpus["texts"], "embeddings": emb, "labels": corpus["labels"]}
                add_vocab_ours(ds, cfg)
                row: dict[str, Any] = {
                    **timing,
                    "cosine_to_default": {"mean": round(float(cosine.mean()), 6), "min": round(float(cosine.min()), 6)},
                }
                try:
                    fits = [run_ours(ds, umap_layout(f"embed-{name}-{digest}", emb, seed, init=init,
                                                     n_neighbors=cfg.n_neighbors, n_components=cfg.n_components),
                                     seed, cfg, None) for seed in seeds]
                except ValueError as exc:  # e.g. too few themes for the c-TF-IDF vocabulary on a small sample
                    log.warning("%s on %s: the topic model failed: %s", backend, name, exc)
                    row["topic_model_error"] = str(exc)
                else:
                    ami = {k[4:]: [f[k] for f in fits] for k in fits[0] if k.startswith("ami_")}
                    if backend == DEFAULT:
                        reference_ami[name] = ami
                    base = reference_ami.get(name, {})
                    change = {k: np.subtract(v, base[k]) for k, v in ami.items() if k in base}   # paired by seed
                    row.update(
                        ami={k: round(float(np.mean(v)), 4) for k, v in ami.items()},
                        ami_std={k: round(float(np.std(v, ddof=1)), 4) for k, v in ami.items()},
                        n_topics=round(float(np.mean([f["n_topics"] for f in fits])), 1),
                        coverage=round(float(np.mean([f["coverage"] for f in fits])), 4),
                        ami_change={k: round(float(v.mean()), 4) for k, v in change.items()},
                        ami_change_per_seed={k: [round(float(x), 4) for x in v] for k, v in change.items()},
                    )
                out["corpora"][name] = row
            results["backends"][backend] = out
            del embedder
    path = ROOT / "benchmarks" / "results" / "embed.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log.info("wrote %s", path)


if __name__ == "__main__":
    main()
