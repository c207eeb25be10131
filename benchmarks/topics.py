"""Benchmark the themes stage against labelled public data and two baselines (run by hand).

    python benchmarks/topics.py                 # all datasets, 10 seeds; writes benchmarks/results/topics.json
                                                # (the sample only once `make report` has written its outputs)
    python benchmarks/topics.py --embed-only    # only fill the embedding cache of the public data sets

Datasets: the generated sample with the themes its generator planted (``theme``: each item's primary one;
``theme_single``: the items with one planted theme only; read from the pipeline's ingest and embed outputs, so
run ``make report`` first), and in ../shared/data the CFPB complaint narratives with their Product label, the
Bitext support utterances with their category and intent labels, and the women's clothing reviews with their
department and class labels (the reviews with a text and a department). Reviews talk about fit, fabric and size
as well as the garment, so no partition matches those labels closely; the reviews are here above all for the
coherence of themes in natural customer language, which the machine-generated Bitext utterances are not.
Methods, all on the same MiniLM embeddings:
  ours             voc.topics.fit_topic_model with the params.yaml defaults (not told k);
  ours_merge_<m>   the same with the other topics.merge setting (the ablation: "none" keeps every HDBSCAN
                   theme, "silhouette" cuts the theme dendrogram where the items separate best);
  ours_best_cut    (or ours_one_se) the same with the other topics.merge_one_se setting: the cut with the best
                   silhouette, or the fewest themes within one standard error of it;
  ours_merge_by_<m>  the same with the other topics.merge_by setting: the themes that merge are those sharing
                   their words ("words") or those closest in meaning ("centroids"), as many either way;
  ours_parent_linkage_<l>  the same with the other topics.parent_linkage: the parent dendrogram weighs each
                   theme by its items ("items") or counts it as one point ("centroids"); only parent_* differ;
  ours_unit_sentence  (clothing reviews, CFPB narratives, sample) the same with ``topics.unit: sentence``: themes
                   fitted on the items' sentences, an item's theme its primary one (on the sample, ``planted_*``
                   read the fit's own sentence themes); ``ours_unit_sentence_minus_baseline`` compares it with
                   every other method as ``ours_minus_baseline`` does for ours;
  kmeans_sentences_first_seed  k-means on the same sentence vectors told ours_unit_sentence's theme count,
                   scored as that row (first seed only: k-means on 100k sentences takes minutes);
  bertopic_default BERTopic() with its default UMAP/HDBSCAN/vectorizer (UMAP seeded so seeds are comparable);
  kmeans_k<k>      k-means on the embeddings told the true k of each label set, words by BERTopic's c-TF-IDF.
Figures: AMI and ARI against each label (BERTopic's -1 outliers count as one cluster), number of themes, raw
outlier share, NPMI coherence and topic diversity of each theme's top-10 words; mean and standard deviation over
the seeds. ``npmi`` scores each method's words as it reports them (ours: stop words removed, phrases of adjacent
words, each in 3+ items, a plural left out after its singular; BERTopic and k-means: sklearn's default
CountVectorizer, stop words kept). Every method's themes are also described by three shared vocabularies, with
the same c-TF-IDF, so the clusterings are compared on equal words (each theme by the items its method describes
it by: BERTopic's -1 outliers describe none; ours, with ``topics.theme_words: core``, leaves out the outliers it
reassigned, as its themes stage does; k-means places every item): ``npmi_vocab_ours`` (our vectorizer and plural
step), ``npmi_vocab_default`` (the default CountVectorizer, stop words kept) and ``npmi_vocab_english`` (the
default CountVectorizer less sklearn's English stop-word list: single words, none of our choices; stop words are
removed before NPMI is scored in the usual practice, e.g. gensim's CoherenceModel on preprocessed text). With
stop words kept, a theme's top words are mostly stop words, whose score hardly depends on the theme: ten stop
words alone ("the to and my of that this was is it") score 0.147 on the CFPB narratives, more than any method's
themes there in the default vocabulary (0.116-0.132).
For ours, ``parent_ami_*`` and ``parent_ari_*`` score the parent themes; ``leaf_fallback`` is 1 on a seed where
HDBSCAN's eom selection left one theme holding more than ``topics.max_theme_share`` of the units and was redone
with leaf selection (its mean: the share of seeds). On the sample, ``planted_*`` (every
method) scores every planted theme of an item, as the topics stage's mentions find them (``planted_recovery``;
``*_item``: the item's own theme only); its ``reference_labels`` row does the same with the primary planted
themes as the partition. Mapping each theme to its majority planted theme favours many small themes (one theme
per item would score precision 1; BERTopic's default ~570 themes score above that reference row), so compare
methods with similar theme counts.
``reference_labels`` scores the true labels themselves as if they were themes (NPMI in the three vocabularies): the
coherence of the partition the agreement figures reward. ``representations_first_seed``: our themes of the first
seed with each ``topics.representation`` (c-TF-IDF, KeyBERT-inspired, MMR, both): NPMI and diversity of their
words, seconds of the whole fit. ``ours_minus_baseline_per_seed``: ours minus each other method on each seed
(AMI, ARI, NPMI, planted F1 and recall; ``parent_ami_*`` and ``parent_ari_*``: ours' parent level against the
other method's parents, or its themes where it has none, e.g. k-means told the labels' k);
``ours_minus_baseline``: its mean, a 95% t-interval of the mean, and on how many seeds ours was ahead, level or
behind.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "cache"
os.environ.setdefault("NUMBA_CACHE_DIR", str(WORK / "numba"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from voc.config import load_section, read_params  # noqa: E402
from voc.embedding import embed_texts, embeddings_matrix, load_embedder  # noqa: E402
from voc.embedding.base import embedder_name  # noqa: E402
from voc.topics import TopicsConfig, fit_topic_model  # noqa: E402
from voc.topics.model import (  # noqa: E402
    ITEM_END, PluralDedupe, _vectorizer, make_reducer, plural_singulars,
)
from voc.topics.quality import CoherenceCorpus, npmi_coherence, topic_diversity  # noqa: E402

log = logging.getLogger("benchmarks.topics")
DATA = ROOT.parent / "shared" / "data"
# ours_unit_sentence: reviews mention several aspects each, a complaint narrative several events, 39% of the
# sample's items two or three planted themes (the Bitext utterances are one sentence each)
SENTENCE_UNIT_DATASETS = ("clothing_reviews", "cfpb_narratives", "sample")
SEEDS = tuple(range(42, 52))  # 10 seeds: the seed-to-seed spread of NPMI is as large as the gaps between methods


def load_datasets() -> dict[str, dict[str, Any]]:
    """The labelled corpora: texts and one or more label columns each."""
    cfpb = pl.read_csv(DATA / "complaints_cfpb" / "cfpb_narratives_by_product_sample.csv")
    cfpb = cfpb.rename({"": "row", "Consumer complaint narrative": "text"}).filter(
        pl.col("text").is_not_null() & (pl.col("text").str.strip_chars() != "")
    )
    bitext_path = next((DATA / "support_intents_bitext").glob("*.csv"))
    bitext = pl.read_csv(bitext_path).rename({"utterance": "text"}).filter(pl.col("text").is_not_null())
    reviews = pl.read_csv(DATA / "reviews_womens_clothing" / "Womens Clothing E-Commerce Reviews.csv").filter(
        pl.col("Review Text").is_not_null() & pl.col("Department Name").is_not_null()
    )
    return {
        "cfpb_narratives": {"texts": cfpb["text"].to_list(), "labels": {"product": cfpb["Product"].to_list()}},
        "clothing_reviews": {
            "texts": reviews["Review Text"].to_list(),
            "labels": {"department": reviews["Department Name"].to_list(), "class": reviews["Class Name"].to_list()},
        },
        "bitext_utterances": {
            "texts": bitext["text"].to_list(),
            "labels": {"category": bitext["category"].to_list(), "intent": bitext["intent"].to_list()},
        },
    }


SAMPLE_INPUTS = (ROOT / "data/interim/feedback.parquet", ROOT / "data/interim/embeddings.parquet",
                 ROOT / "data/raw/_truth.json")


def load_sample() -> dict[str, Any]:
    """The generated sample as the topics stage sees it (``make report`` or ``dvc repro embed`` writes it): the
    redacted texts of ``data/interim/feedback.parquet`` with the embed stage's vectors, labelled with the themes
    the generator planted (``data/raw/_truth.json``). ``theme``: each item's primary planted theme (the first
    listed; 39% of the texts carry two or three); ``theme_single``: the same for the items with one planted
    theme only, the others left out (None)."""
    from voc.embedding import embeddings_matrix

    paths = SAMPLE_INPUTS
    missing = [str(p.relative_to(ROOT)) for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"sample: {', '.join(missing)} missing; run `make report` (or `dvc repro embed`) first")
    emb = pl.read_parquet(paths[1]).sort("feedback_id")
    frame = emb.select("feedback_id").join(pl.read_parquet(paths[0]).select("feedback_id", "text"),
                                           on="feedback_id", how="left")
    truth = json.loads(paths[2].read_text(encoding="utf-8"))["items"]
    unknown = [i for i in frame["feedback_id"].to_list() if i not in truth or not truth[i]["themes"]]
    if unknown or frame["text"].null_count():
        raise SystemExit(f"sample: {len(unknown)} embedded items have no planted theme in _truth.json (first: "
                         f"{unknown[:1]}) or no text in feedback.parquet; rerun `make report`")
    planted = [truth[i]["themes"] for i in frame["feedback_id"].to_list()]
    return {
        "texts": frame["text"].to_list(),
        "feedback_ids": frame["feedback_id"],
        "planted": [set(t) for t in planted],
        "embeddings": embeddings_matrix(emb),
        "labels": {"theme": [t[0] for t in planted], "theme_single": [t[0] if len(t) == 1 else None for t in planted]},
    }


def labelled(values: list[Any]) -> np.ndarray:
    """Positions of the items a label set scores (None: left out, as ``theme_single`` leaves multi-theme items)."""
    return np.flatnonzero(np.array([v is not None for v in values]))


def sample_sentences(ds: dict[str, Any], cfg: TopicsConfig, embedder: Any) -> None:
    """The sample's sentences as the topics stage splits them, and their vectors: from the stage's sentence
    cache (``data/cache/sentence_embeddings.parquet``), embedding only what it lacks."""
    from voc.topics.mentions import embed_sentences, split_sentences

    items = pl.DataFrame({"feedback_id": ds["feedback_ids"], "text": ds["texts"]})
    ds["sentences"] = split_sentences(items, min_words=cfg.mentions.min_words)
    cache_path = ROOT / "data/cache/sentence_embeddings.parquet"
    cache = pl.read_parquet(cache_path) if cache_path.exists() else None
    vectors, res = embed_sentences(ds["sentences"], embedder(), cache=cache, show_progress=False)
    ds["sentence_embeddings"] = vectors
    log.info("sample: %d sentences, %d embedded (the others from the stage's cache)", len(vectors), res.n_embedded)


def planted_recovery(ds: dict[str, Any], topics: np.ndarray, min_similarity: float,
                     mentions: pl.DataFrame | None = None) -> dict[str, float]:
    """How well a partition, with the topics stage's mentions step, recovers every theme planted in an item.

    Each theme stands for the planted theme most of its items carry as their primary one. An item's found
    themes are its own theme's (``planted_*_item``), or, as the stage gives them to the alerts, the themes its
    sentences mention, each sentence taking the nearest theme centroid within ``min_similarity``
    (``voc.topics.mentions.nearest_themes``), and its own theme only when no sentence does (``planted_*``).
    Precision and recall are over (item, planted theme) pairs; ``planted_two_found`` is the share of the items
    with two or more planted themes of which two or more are found. ``mentions`` (themes fitted on the
    sentences, ``topics.unit: sentence``): the fit's own sentence themes, in place of the nearest centroids."""
    from voc.topics.mentions import nearest_themes, theme_presence
    from voc.topics.model import theme_centroids
    from voc.topics.quality import presence_recovery

    topics = np.asarray(topics)
    items = pl.DataFrame({"feedback_id": ds["feedback_ids"], "topic_id": pl.Series(topics, dtype=pl.Int32),
                          "topic_label": ""})
    if mentions is None:
        ids, _ = nearest_themes(ds["sentence_embeddings"], theme_centroids(ds["embeddings"], topics),
                                min_similarity=min_similarity)
        mentions = ds["sentences"].select("feedback_id", pl.Series("topic_id", ids, dtype=pl.Int32),
                                          pl.lit("").alias("topic_label"))
    names = {"labels_per_item": "themes_per_item"}
    return {f"planted_{names.get(k, k)}{suffix}": v
            for suffix, presence in (("", theme_presence(items, mentions, item_theme="fallback")),
                                     ("_item", theme_presence(items)))
            for k, v in presence_recovery(items, presence, ds["labels"]["theme"], ds["planted"]).items()}


# The encoder the benchmark embeds with: the stage's default (params embed.precision: float64). Its name is in
# the cache file's name, so vectors of another precision or backend are never read as these.
ENCODER = embedder_name("sentence-transformers", "float64")


def cached_embeddings(name: str, texts: list[str], embedder: Any) -> np.ndarray:
    """Embed with voc.embedding (long texts chunked and pooled), cached under benchmarks/cache/."""
    path = WORK / f"{name}.{ENCODER}.embeddings.npy"
    if path.exists():
        emb = np.load(path)
        if emb.shape[0] == len(texts):
            return emb
    start = time.perf_counter()
    if embedder().name != ENCODER:
        raise ValueError(f"{name}: the embedder is {embedder().name}, the cache key says {ENCODER}")
    items = pl.DataFrame({"feedback_id": [f"{i:07d}" for i in range(len(texts))], "text": texts})
    result = embed_texts(items, embedder(), batch_size=64, max_words=180, show_progress=True)
    if result.embeddings.height != len(texts):
        raise ValueError(f"{name}: {len(texts) - result.embeddings.height} texts were not embedded")
    emb = embeddings_matrix(result.embeddings.sort("feedback_id"))
    WORK.mkdir(parents=True, exist_ok=True)
    np.save(path, emb)
    log.info("%s: embedded %d texts in %.0f s", name, len(texts), time.perf_counter() - start)
    return emb


class CachedLayout:
    """A stand-in for UMAP that returns a precomputed layout of the same embeddings (fit is a no-op)."""

    def __init__(self, layout: np.ndarray) -> None:
        self.layout = layout

    def fit(self, x: Any, y: Any = None) -> CachedLayout:
        if x.shape[0] != self.layout.shape[0]:
            raise ValueError(f"CachedLayout: {x.shape[0]} rows but the layout has {self.layout.shape[0]}")
        return self

    def transform(self, x: Any) -> np.ndarray:
        return self.layout


def umap_layout(name: str, emb: np.ndarray, seed: int, *, n_neighbors: int = 15, n_components: int = 5,
                init: str = "spectral") -> np.ndarray:
    """BERTopic's default UMAP (15 neighbours, 5 dims, min_dist 0, cosine), seeded; cached per seed. Ours
    starts from PCA (``init``, as ``voc.topics.model.make_reducer`` does), BERTopic's default from spectral."""
    from umap import UMAP

    suffix = "" if init == "spectral" else f".{init}"
    path = WORK / f"{name}.umap{n_neighbors}x{n_components}.seed{seed}{suffix}.npy"
    if path.exists():
        return np.load(path)
    start = time.perf_counter()
    layout = UMAP(n_neighbors=n_neighbors, n_components=n_components, min_dist=0.0, metric="cosine",
                  init=init, random_state=seed, n_jobs=1).fit_transform(emb)
    np.save(path, layout)
    log.info("%s: UMAP layout for seed %d in %.0f s", name, seed, time.perf_counter() - start)
    return layout


def topic_words(model: Any, topics: np.ndarray) -> list[list[str]]:
    """Top-10 words of each theme (outliers excluded), as the model reports them."""
    ids = sorted(set(np.asarray(topics).tolist()) - {-1})
    return [[w for w, _ in (model.get_topic(t) or [])][:10] for t in ids]


def shared_vocab_words(texts: list[str], topics: np.ndarray, vectorizer: Any, dedupe: Any = None) -> list[list[str]]:
    """Top-10 c-TF-IDF words of each theme (outliers excluded) under a given vectorizer, as BERTopic computes
    them: one document per theme (its items joined, each ended by ``ITEM_END`` as our themes stage does),
    BERTopic's ClassTfidfTransformer; ``dedupe`` (our ``PluralDedupe``) then drops plural repeats from the top
    30, as our themes stage does."""
    from bertopic.vectorizers import ClassTfidfTransformer

    members: dict[int, list[str]] = {}
    for text, k in zip(texts, np.asarray(topics).tolist(), strict=True):
        if k != -1:
            members.setdefault(k, []).append(text)
    joined = [" ".join(t + ITEM_END for t in members[i]) for i in sorted(members)]  # no phrase across two texts
    x = vectorizer.fit_transform(joined)
    used = np.flatnonzero(np.asarray(x.sum(axis=0)).ravel() > 0)   # a fixed vocabulary: words no theme's texts use
    weights = ClassTfidfTransformer().fit_transform(x[:, used]).toarray()   # would get idf log(1 + n/0)
    vocab = vectorizer.get_feature_names_out()[used]
    ranked = {i: [(str(vocab[j]), float(row[j])) for j in np.argsort(-row, kind="stable")[:30] if row[j] > 0]
              for i, row in enumerate(weights)}
    if dedupe is not None:
        ranked = dedupe.extract_topics(None, None, None, ranked)
    return [[w for w, _ in ranked[i]][:10] for i in sorted(ranked)]


def shared_vocab_npmi(texts: list[str], topics: np.ndarray, ours: tuple[Any, Any],
                      reference: list[str] | CoherenceCorpus | None = None) -> dict[str, float]:
    """NPMI of a partition of ``texts`` described in our vocabulary (``ours``: ``voc.topics.model._vectorizer``
    of the dataset's items and our plural dedupe step or None, built once per dataset), in sklearn's default one
    and in the default one less sklearn's English stop words (``shared_vocab_words``), co-occurrence counted in
    ``reference`` (default: ``texts``; the dataset's ``CoherenceCorpus``, ``ds["coherence"]``, saves
    tokenising its items again)."""
    from sklearn.feature_extraction.text import CountVectorizer

    ref = texts if reference is None else reference
    return {
        "npmi_vocab_ours": npmi_coherence(shared_vocab_words(texts, topics, *ours), ref),
        "npmi_vocab_default": npmi_coherence(shared_vocab_words(texts, topics, CountVectorizer()), ref),
        "npmi_vocab_english": npmi_coherence(
            shared_vocab_words(texts, topics, CountVectorizer(stop_words="english")), ref),
    }


def add_vocab_ours(ds: dict[str, Any], cfg: TopicsConfig) -> None:
    """Set ``ds["vocab_ours"]``, our c-TF-IDF vocabulary and plural step, which ``score`` compares methods on,
    and ``ds["coherence"]``, the items tokenised once for every NPMI (both depend on the texts only)."""
    ds["coherence"] = CoherenceCorpus(ds["texts"])
    vec = _vectorizer(cfg, ds["texts"])
    ds["vocab_ours"] = (vec, PluralDedupe(plural_singulars(vec.vocabulary)) if cfg.dedupe_plurals else None)


def score(topics: np.ndarray, raw: np.ndarray, words: list[list[str]], ds: dict[str, Any],
          seconds: float, mentions: pl.DataFrame | None = None, described: np.ndarray | None = None) -> dict[str, Any]:
    """Agreement with each label, theme count, outliers, coherence and diversity of one fitted run
    (``mentions``: the sentence themes of a fit on the sentences, for ``planted_recovery``; ``described``: the
    assignment whose items the shared vocabularies describe each theme by, default ``topics``)."""
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

    texts = ds["texts"]
    out: dict[str, Any] = {
        "n_topics": int(len(set(topics.tolist()) - {-1})),
        "raw_outlier_share": float((raw == -1).mean()),
        "coverage": float((topics != -1).mean()),
        "npmi": npmi_coherence(words, ds["coherence"]),
        **shared_vocab_npmi(texts, topics if described is None else described, ds["vocab_ours"], ds["coherence"]),
        "diversity": topic_diversity(words),
        "seconds": seconds,
    }
    for label, values in ds["labels"].items():
        keep = labelled(values)
        truth, found = [values[i] for i in keep], np.asarray(topics)[keep]
        out[f"ami_{label}"] = float(adjusted_mutual_info_score(truth, found))
        out[f"ari_{label}"] = float(adjusted_rand_score(truth, found))
    if "planted" in ds:     # the sample: every planted theme of an item, found through the mentions step
        out.update(planted_recovery(ds, topics, ds["mentions_min_similarity"], mentions))
    return out


def run_ours(ds: dict[str, Any], layout: np.ndarray, seed: int, cfg: TopicsConfig, st_model: Any) -> dict[str, Any]:
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

    start = time.perf_counter()
    result = fit_topic_model(ds["texts"], ds["embeddings"], config=cfg, seed=seed, embedding_model=st_model,
                             reducer=CachedLayout(layout))
    seconds = time.perf_counter() - start
    out = score(result.topics, result.raw_topics, topic_words(result.model, result.topics), ds, seconds,
                described=result.described)
    parents = dict(zip(result.info["topic_id"].to_list(), result.info["parent_id"].to_list(), strict=True))
    parent_of = np.array([parents[int(t)] for t in result.topics])
    out["n_parents"] = int(len(set(parent_of.tolist()) - {-1}))
    out["n_leaf_themes"] = result.n_leaf_themes
    out["leaf_fallback"] = float(result.cluster_selection != cfg.cluster_selection)  # eom redone with leaf
    if result.merge_silhouette is not None:     # the kept cut's silhouette (absent with topics.merge = none)
        out["merge_silhouette"] = result.merge_silhouette
    if result.parent_silhouette is not None:    # the parent level's silhouette (topics.parents = silhouette)
        out["parent_silhouette"] = result.parent_silhouette
    for label, values in ds["labels"].items():
        keep = labelled(values)
        truth, found = [values[i] for i in keep], parent_of[keep]
        out[f"parent_ami_{label}"] = float(adjusted_mutual_info_score(truth, found))
        out[f"parent_ari_{label}"] = float(adjusted_rand_score(truth, found))
    return out


def run_ours_sentences(ds: dict[str, Any], layout: np.ndarray, seed: int, cfg: TopicsConfig,
                       st_model: Any) -> dict[str, Any]:
    """Ours with ``topics.unit: sentence``, as the topics stage runs it: the themes are fitted on the sentences
    (``ds["sentences"]``, their vectors ``ds["sentence_embeddings"]``); an item's theme for AMI is its primary
    one (the theme of most of its words). NPMI is co-occurrence in the items, as for every method. The shared
    vocabularies describe each theme by its members, the sentences (``npmi_vocab_*``), and also, as for the
    item methods, by the items whose primary theme it is (``npmi_vocab_*_items``). ``n_topics`` counts the
    themes of the sentences, ``raw_outlier_share`` is of the sentences, ``coverage`` of the items."""
    from voc.topics.mentions import items_from_mentions, sentence_theme_mentions

    sentences, semb = ds["sentences"], ds["sentence_embeddings"]
    texts = sentences["sentence"].to_list()
    start = time.perf_counter()
    result = fit_topic_model(texts, semb, config=cfg, seed=seed, embedding_model=st_model,
                             reducer=CachedLayout(layout))
    mentions = sentence_theme_mentions(sentences, semb, result.topics, result.info)
    item_topics, _ = items_from_mentions(ds["feedback_ids"], mentions, result.info)
    seconds = time.perf_counter() - start
    out = score(item_topics, result.raw_topics, topic_words(result.model, result.topics), ds, seconds, mentions)
    out = {**out, **{f"{k}_items": out[k] for k in ("npmi_vocab_ours", "npmi_vocab_default", "npmi_vocab_english")}}
    out.update({
        "n_topics": int(len(set(result.topics.tolist()) - {-1})),
        **shared_vocab_npmi(texts, result.described, ds["vocab_ours"], reference=ds["coherence"]),
        "n_sentences": len(texts),
        "leaf_fallback": float(result.cluster_selection != cfg.cluster_selection),   # eom redone with leaf
        "mean_themes_per_item": float(mentions.select("feedback_id", "topic_id").unique().height / len(item_topics)),
    })
    return out


def run_kmeans_sentences(ds: dict[str, Any], seed: int, k: int) -> dict[str, Any]:
    """The like-for-like baseline of ``ours_unit_sentence``: k-means on the sentence vectors, told ``k`` (ours'
    theme count on the sentences), each item's theme its primary one, described and scored as that row."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_mutual_info_score

    from voc.topics.mentions import items_from_mentions, sentence_theme_mentions

    sentences, semb = ds["sentences"], ds["sentence_embeddings"]
    texts = sentences["sentence"].to_list()
    clusters = KMeans(n_clusters=k, random_state=seed, n_init=10).fit_predict(semb).astype(np.int32)
    info = pl.DataFrame({"topic_id": np.arange(k, dtype=np.int32), "topic_label": [str(i) for i in range(k)],
                         "count": np.bincount(clusters, minlength=k).astype(np.int64)})
    mentions = sentence_theme_mentions(sentences, semb, clusters, info)
    item_topics, _ = items_from_mentions(ds["feedback_ids"], mentions, info)
    items = shared_vocab_npmi(ds["texts"], item_topics, ds["vocab_ours"], ds["coherence"])
    out: dict[str, Any] = {"k": k, **shared_vocab_npmi(texts, clusters, ds["vocab_ours"], reference=ds["coherence"]),
                           **{f"{key}_items": v for key, v in items.items()}}
    for label, values in ds["labels"].items():
        keep = labelled(values)
        truth, found = [values[i] for i in keep], np.asarray(item_topics)[keep]
        out[f"ami_{label}"] = float(adjusted_mutual_info_score(truth, found))
    return out


def run_bertopic_default(ds: dict[str, Any], layout: np.ndarray, seed: int, st_model: Any) -> dict[str, Any]:
    from bertopic import BERTopic

    start = time.perf_counter()
    model = BERTopic(embedding_model=st_model, umap_model=CachedLayout(layout))
    topics = np.asarray(model.fit_transform(ds["texts"], embeddings=ds["embeddings"])[0])
    seconds = time.perf_counter() - start
    return score(topics, topics, topic_words(model, topics), ds, seconds)


def run_kmeans(ds: dict[str, Any], seed: int, k: int, st_model: Any) -> dict[str, Any]:
    from bertopic import BERTopic
    from bertopic.dimensionality import BaseDimensionalityReduction
    from sklearn.cluster import KMeans

    start = time.perf_counter()
    model = BERTopic(embedding_model=st_model, umap_model=BaseDimensionalityReduction(),
                     hdbscan_model=KMeans(n_clusters=k, random_state=seed, n_init=10))
    topics = np.asarray(model.fit_transform(ds["texts"], embeddings=ds["embeddings"])[0])
    seconds = time.perf_counter() - start
    return score(topics, topics, topic_words(model, topics), ds, seconds)


def label_reference(ds: dict[str, Any]) -> dict[str, Any]:
    """NPMI of each true label set described as themes (same c-TF-IDF words, the three shared vocabularies)."""
    out: dict[str, Any] = {}
    for label, values in ds["labels"].items():
        keep = labelled(values)
        codes = {v: i for i, v in enumerate(sorted({values[i] for i in keep}))}
        npmi = shared_vocab_npmi([ds["texts"][i] for i in keep], np.array([codes[values[i]] for i in keep]),
                                 ds["vocab_ours"], reference=ds["coherence"])
        if "planted" in ds and label == "theme":   # the primary planted themes as the partition (a reference)
            npmi |= planted_recovery(ds, np.array([codes[v] for v in values]), ds["mentions_min_similarity"])
        out[label] = {"n_labels": len(codes), **{k: round(v, 4) for k, v in npmi.items()}}
    return out


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and standard deviation (population, over seeds) of every figure."""
    out: dict[str, Any] = {}
    for key in runs[0]:
        values = np.array([r[key] for r in runs], dtype=np.float64)
        out[key] = {"mean": round(float(values.mean()), 4), "std": round(float(values.std()), 4)}
    return out


def paired(runs: dict[str, list[dict[str, Any]]], base: str = "ours") -> dict[str, dict[str, list[float]]]:
    """``base`` (ours) minus each other method, seed by seed, for agreement and coherence: a gap smaller than
    the seeds' spread shows here as differences of both signs. A figure the other method lacks is left out, but
    ours' ``parent_ami_*`` and ``parent_ari_*`` are set against the themes of a method without parents (ours'
    parent level, with about as many groups as the labels, against k-means told that k)."""
    agreement = ("ami_", "ari_", "parent_ami_", "parent_ari_")
    keys = [k for k in runs[base][0] if k.startswith((*agreement, "npmi", "planted_f1", "planted_recall"))]

    def theirs(key: str, row: dict[str, Any]) -> str | None:
        if key in row:
            return key
        plain = key.removeprefix("parent_")
        return plain if key.startswith("parent_") and plain in row else None

    return {m: {k: [round(o[k] - b[theirs(k, b)], 4) for o, b in zip(runs[base], r, strict=True)]
                for k in keys if theirs(k, r[0]) is not None}
            for m, r in runs.items() if m != base}


def paired_summary(diffs: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per method and figure, over the seeds: the mean of ours minus that method, a 95% interval of that mean
    (Student t; it excludes 0 when the gap is larger than the seed-to-seed noise; None with one seed, which
    says nothing about noise) and on how many seeds ours was ahead, level (equal to 4 decimals) or behind."""
    from scipy import stats

    out: dict[str, dict[str, dict[str, Any]]] = {}
    for method, figures in diffs.items():
        out[method] = {}
        for key, values in figures.items():
            x = np.asarray(values, dtype=np.float64)
            mean = float(x.mean())
            half = float(stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else None
            out[method][key] = {
                "mean": round(mean, 4),
                "ci95_low": None if half is None else round(mean - half, 4),
                "ci95_high": None if half is None else round(mean + half, 4),
                "ours_ahead": int((x > 0).sum()), "level": int((x == 0).sum()), "ours_behind": int((x < 0).sum()),
                "seeds": int(x.size),
            }
    return out


def lazy_embedder() -> Any:
    """A function that returns the float64 MiniLM encoder, loaded on its first call (a run whose vectors are
    all cached never loads it)."""
    loaded: list[Any] = []

    def embedder() -> Any:
        if not loaded:
            loaded.append(load_embedder(threads=2, precision="float64"))
        return loaded[0]

    return embedder


def embedded_datasets(wanted: list[str], embedder: Any, *, sample: bool = True) -> dict[str, dict[str, Any]]:
    """The datasets named in ``wanted`` (the public ones, and ``sample`` unless ``sample`` is False), each with
    its vectors (``cached_embeddings``; the sample's are the embed stage's) and ``cache_name``, the key its
    cached layouts go under. An unknown name fails."""
    datasets = {k: v for k, v in load_datasets().items() if k in wanted}
    if "sample" in wanted and sample:
        datasets["sample"] = load_sample()
    unknown = set(wanted) - set(datasets) - ({"sample"} if not sample else set())
    if unknown:
        raise SystemExit(f"unknown datasets: {sorted(unknown)}")
    for name, ds in datasets.items():
        if "embeddings" not in ds:
            ds["embeddings"] = cached_embeddings(name, ds["texts"], embedder)
        # the layouts are cached under the vectors' digest: a regenerated sample, or vectors of another
        # precision, never reuse the layouts of others
        ds["cache_name"] = f"{name}-{hashlib.sha256(ds['embeddings'].tobytes()).hexdigest()[:12]}"
    return datasets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embed-only", action="store_true")
    parser.add_argument("--datasets", default=None,
                        help="comma-separated (default: the public ones, and the sample when `make report` has run); "
                             "results for other datasets already in the JSON are kept")
    parser.add_argument("--seeds", default=",".join(map(str, SEEDS)), help="comma-separated seeds")
    parser.add_argument("--params", default=str(ROOT / "params.yaml"), help="params file whose topics: block is ours")
    args = parser.parse_args()
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    embedder = lazy_embedder()

    if args.datasets is None:
        args.datasets = "cfpb_narratives,bitext_utterances,clothing_reviews"
        if all(p.exists() for p in SAMPLE_INPUTS) and not args.embed_only:
            args.datasets = "sample," + args.datasets
        else:
            log.warning("sample left out: it needs the pipeline's outputs (`make report`); --embed-only skips it")
    wanted = args.datasets.split(",")
    # the sample's vectors are the embed stage's: nothing to cache for it
    datasets = embedded_datasets(wanted, embedder, sample=not args.embed_only)
    if args.embed_only:
        return
    seeds = [int(x) for x in args.seeds.split(",")]
    params = read_params(args.params)
    cfg = load_section(params, "topics", TopicsConfig)
    if cfg.unit != "item":    # ours is the item-level fit; ours_unit_sentence is the sentence-level one
        raise SystemExit(f"{args.params}: topics.unit is {cfg.unit!r}; the benchmark's ours row needs unit: item")
    st_model = embedder().model
    results: dict[str, Any] = {
        "command": f"python benchmarks/topics.py --datasets {args.datasets} --seeds {args.seeds}",
        "about": __doc__.strip().splitlines()[0],
        "seeds": seeds,
        "params_topics": {k: v for k, v in (params.get("topics") or {}).items() if k != "alerts"},
        "conventions": "AMI/ARI over all items; outliers (-1) count as one cluster. NPMI over document "
                       "co-occurrence in the same corpus, top-10 words per theme. std over seeds.",
        "datasets": {},
    }
    for name, ds in datasets.items():
        add_vocab_ours(ds, cfg)
        if name == "sample":
            sample_sentences(ds, cfg, embedder)
            ds["mentions_min_similarity"] = cfg.mentions.bar("sentence-transformers")   # the encoder used here
        ks = sorted({len(set(v) - {None}) for v in ds["labels"].values()})
        other = "none" if cfg.merge == "silhouette" else "silhouette"
        alt = f"ours_merge_{other}"
        alt_se = "ours_best_cut" if cfg.merge_one_se else "ours_one_se"
        other_by = "centroids" if cfg.merge_by == "words" else "words"
        alt_by = f"ours_merge_by_{other_by}"
        other_linkage = "centroids" if cfg.parent_linkage == "items" else "items"
        alt_linkage = f"ours_parent_linkage_{other_linkage}"
        runs: dict[str, list[dict[str, Any]]] = {"ours": [], alt: [], alt_se: [], alt_by: [], alt_linkage: [],
                                                 "bertopic_default": []}
        by_sentence = name in SENTENCE_UNIT_DATASETS
        if by_sentence and "sentences" not in ds:    # the sample's come from the stage's cache (sample_sentences)
            from voc.topics.mentions import split_sentences

            items = pl.DataFrame({"feedback_id": [f"{i:07d}" for i in range(len(ds["texts"]))], "text": ds["texts"]})
            ds["feedback_ids"] = items["feedback_id"]
            ds["sentences"] = split_sentences(items, min_words=cfg.mentions.min_words)
            ds["sentence_embeddings"] = cached_embeddings(f"{name}_sentences", ds["sentences"]["sentence"].to_list(),
                                                          embedder)
        if by_sentence:
            runs["ours_unit_sentence"] = []
        runs.update({f"kmeans_k{k}": [] for k in ks})
        umap_seconds = []
        representations: dict[str, dict[str, float]] = {}
        for seed in seeds:
            start = time.perf_counter()
            layout = umap_layout(ds["cache_name"], ds["embeddings"], seed)
            umap_seconds.append(time.perf_counter() - start)
            ours_init = make_reducer(cfg, seed=seed, n_items=len(ds["texts"])).init
            layout_ours = umap_layout(ds["cache_name"], ds["embeddings"], seed, init=ours_init,
                                      n_neighbors=cfg.n_neighbors, n_components=cfg.n_components)
            runs["ours"].append(run_ours(ds, layout_ours, seed, cfg, st_model))
            log.info("%s seed %d ours: %s", name, seed, runs["ours"][-1])
            runs[alt].append(run_ours(ds, layout_ours, seed, replace(cfg, merge=other), st_model))
            runs[alt_se].append(run_ours(ds, layout_ours, seed, replace(cfg, merge_one_se=not cfg.merge_one_se),
                                         st_model))
            runs[alt_by].append(run_ours(ds, layout_ours, seed, replace(cfg, merge_by=other_by), st_model))
            runs[alt_linkage].append(run_ours(ds, layout_ours, seed, replace(cfg, parent_linkage=other_linkage),
                                              st_model))
            if seed == seeds[0]:   # the label representations, on one seed: same themes, other words
                for rep in ("ctfidf", "keybert", "mmr", "keybert+mmr"):
                    r = runs["ours"][-1] if rep == cfg.representation else run_ours(
                        ds, layout_ours, seed, replace(cfg, representation=rep), st_model)
                    representations[rep] = {k: r[k] for k in ("n_topics", "npmi", "diversity", "seconds")}
                    log.info("%s seed %d ours, representation %s: %s", name, seed, rep, representations[rep])
            log.info("%s seed %d ours, merge %s: %s", name, seed, other, runs[alt][-1])
            if by_sentence:
                semb = ds["sentence_embeddings"]
                init = make_reducer(cfg, seed=seed, n_items=semb.shape[0]).init
                layout_s = umap_layout(f"{ds['cache_name']}_sentences", semb, seed, init=init,
                                       n_neighbors=cfg.n_neighbors, n_components=cfg.n_components)
                runs["ours_unit_sentence"].append(run_ours_sentences(ds, layout_s, seed, cfg, st_model))
                log.info("%s seed %d ours, unit sentence: %s", name, seed, runs["ours_unit_sentence"][-1])
                if seed == seeds[0]:   # k-means on the sentences, told ours' theme count: one seed (minutes)
                    kmeans_sentences = run_kmeans_sentences(ds, seed, runs["ours_unit_sentence"][-1]["n_topics"])
                    log.info("%s seed %d k-means on the sentences: %s", name, seed, kmeans_sentences)
            runs["bertopic_default"].append(run_bertopic_default(ds, layout, seed, st_model))
            log.info("%s seed %d bertopic: %s", name, seed, runs["bertopic_default"][-1])
            for k in ks:
                runs[f"kmeans_k{k}"].append(run_kmeans(ds, seed, k, st_model))
                log.info("%s seed %d kmeans k=%d: %s", name, seed, k, runs[f"kmeans_k{k}"][-1])
        results["datasets"][name] = {
            "command": results["command"],  # a run of some datasets keeps the others' results and commands
            "seeds": seeds,
            "n_items": len(ds["texts"]),
            "labels": {k: len(set(v) - {None}) for k, v in ds["labels"].items()},
            "labelled_items": {k: int(labelled(v).size) for k, v in ds["labels"].items()},
            "kmeans_k": ks,
            "umap_seconds_per_seed": [round(x, 1) for x in umap_seconds],
            "methods": {m: summarise(r) for m, r in runs.items()},
            "ours_minus_baseline_per_seed": (diffs := paired(runs)),
            "ours_minus_baseline": paired_summary(diffs),
            **({"ours_unit_sentence_minus_baseline": paired_summary(paired(runs, base="ours_unit_sentence")),
                "kmeans_sentences_first_seed": kmeans_sentences} if by_sentence else {}),
            "reference_labels": label_reference(ds),
            "per_seed": runs,
            "representations_first_seed": representations,
        }
    out = ROOT / "benchmarks" / "results" / "topics.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        before = json.loads(out.read_text(encoding="utf-8"))
        kept = {k: v for k, v in before.get("datasets", {}).items() if k not in datasets}
        for entry in kept.values():    # results written before datasets carried their command
            entry.setdefault("command", before.get("command"))
        results["datasets"] = {**kept, **results["datasets"]}
    out.write_text(json.dumps(results, indent=2, sort_keys=True, default=float) + "\n", encoding="utf-8")
    log.info("wrote %s", out)


if __name__ == "__main__":
    main()
