"""Themes: BERTopic on precomputed embeddings, seeded, sized from the data, with outlier reduction.

The theme size floor scales with the corpus (``min_topic_share``), so the number of themes comes from the data
rather than from a preset k or from HDBSCAN's fixed default (which splits 20k short utterances into ~700
micro-topics). Outliers are reassigned to their nearest theme when similar enough; the raw share is kept.
HDBSCAN's leaf themes are then merged where the data says so (``merge``): the theme dendrogram is cut at the
level whose items have the best silhouette, when that cut shows cluster structure at all.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import polars as pl

from voc.topics.alerts import AlertsConfig

log = logging.getLogger(__name__)

OUTLIER = -1
NO_THEME = "(no theme)"


@dataclass(frozen=True)
class IdentityConfig:
    """The ``topics.identity`` parameters: how a refit's themes are matched to the previous run's."""

    min_similarity: float = 0.5     # a match needs at least this blended similarity (0..1)
    centroid_weight: float = 0.7    # weight of centroid cosine; the rest is top-word overlap (Jaccard)
    pinned_min_similarity: float = 0.35  # pinned themes (taxonomy.yaml) keep their key at a lower bar


@dataclass(frozen=True)
class MentionsConfig:
    """The ``topics.mentions`` parameters: theme mentions at the sentence level (voc.topics.mentions)."""

    enabled: bool = True
    min_words: int = 4            # a fragment with fewer words joins the previous sentence (or the next)
    min_similarity: float = 0.5   # cosine to the nearest theme centroid a sentence needs to carry that theme
    batch_size: int = 128         # sentences per encoder batch
    # the bar for encoders whose cosines run on another scale (model2vec's sit higher), by embed.backend
    min_similarity_by_backend: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        from voc.embedding.base import BACKENDS

        unknown = sorted(set(self.min_similarity_by_backend) - set(BACKENDS))
        if unknown:
            raise ValueError(f"params topics.mentions.min_similarity_by_backend: unknown backend(s) {unknown}; "
                             f"expected some of {list(BACKENDS)}")
        for name, bar in {"min_similarity": self.min_similarity, **self.min_similarity_by_backend}.items():
            if not -1.0 <= bar <= 1.0:
                raise ValueError(f"params topics.mentions: the bar for {name} is a cosine, between -1 and 1; "
                                 f"got {bar}")

    def bar(self, backend: str) -> float:
        """The cosine a sentence needs to carry a theme when the vectors come from ``backend``."""
        return float(self.min_similarity_by_backend.get(backend, self.min_similarity))


@dataclass(frozen=True)
class TopicsConfig:
    """The ``topics:`` block of params.yaml."""

    unit: Literal["item", "sentence"] = "item"  # what a theme is fitted on (see the topics stage)
    min_topic_share: float = 0.005  # smallest theme as a share of the units fitted: items, or sentences
    min_topic_size: int = 10        # ... but never fewer items than this
    max_topic_size: int = 500       # ... and the floor never rises above this, however large the corpus
    min_samples: int | None = None  # HDBSCAN min_samples; null: min_cluster_size (HDBSCAN's own default)
    cluster_selection: Literal["eom", "leaf"] = "eom"
    max_theme_share: float = 0.9    # eom: redone with leaf selection when one theme holds more of the clustered units
    n_neighbors: int = 15
    n_components: int = 5
    umap_spectral_max_items: int = 0  # UMAP starts from PCA past this many items; 0: always (reproducible)
    ngram_max: int = 2
    min_df: int = 3
    dedupe_plurals: bool = True     # theme words: no plural after its singular ("invoice · invoices")
    top_n_words: int = 10
    label_words: int = 3
    representation: Literal["ctfidf", "keybert", "mmr", "keybert+mmr"] = "ctfidf"
    mmr_diversity: float = 0.3
    outlier_strategy: Literal["none", "embeddings", "c-tf-idf", "distributions"] = "embeddings"
    outlier_threshold: float = 0.0
    theme_words: Literal["core", "all"] = "core"  # whose words describe a theme: the items HDBSCAN placed in it,
                                    # or also the outliers reassigned to it (see ``described_by``)
    nr_topics: int | None = None
    n_representatives: int = 3      # verbatims per theme, closest to its centroid
    parents: Literal["silhouette", "distance"] = "silhouette"  # how themes are grouped into parent themes
    parent_distance: float = 0.35   # parents="distance": themes closer than this (average-linkage cosine) share one
    parent_linkage: Literal["items", "centroids"] = "items"  # parents="silhouette": Ward's criterion on the items
                                    # (a theme weighs as many items as it holds) or on the theme centroids as points
    merge: Literal["silhouette", "none"] = "silhouette"  # cut the theme dendrogram where the items separate best
    merge_min_silhouette: float = 0.25  # ... only when that cut shows cluster structure (Kaufman & Rousseeuw)
    merge_sample: int | None = None  # None: the silhouette of each cut over every item, exactly
                                    # (``ThemeSilhouette``); a number: a seeded sample of that many items
    merge_one_se: bool = True       # the fewest themes whose silhouette is within one standard error of the best
    merge_by: Literal["words", "centroids"] = "words"  # which themes merge: those sharing their words (c-TF-IDF)
                                    # or those closest in meaning; the centroids' dendrogram decides how many
    merge_words: Literal["all", "core"] = "all"  # merge_by="words": the words compared are those of every item a
                                    # theme holds, or of its core items only (``described_by``), as ``theme_words``
    ctfidf_bm25: bool = False       # BM25 weighting in c-TF-IDF (BERTopic's ClassTfidfTransformer)
    ctfidf_reduce_frequent: bool = False  # square-root term frequencies in c-TF-IDF
    extra_stop_words: tuple[str, ...] = field(default_factory=tuple)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    mentions: MentionsConfig = field(default_factory=MentionsConfig)

    def __post_init__(self) -> None:
        if self.unit == "sentence" and not self.mentions.enabled:
            raise ValueError("params topics.unit: sentence fits the themes on the sentences of topics.mentions; "
                             "set topics.mentions.enabled: true (or unit: item)")


@dataclass
class TopicResult:
    """A fitted topic model, the raw and final assignment per document, and the topic table."""

    model: Any
    raw_topics: np.ndarray
    topics: np.ndarray
    described: np.ndarray   # the assignment whose items gave the themes' words: ``topics``, or ``described_by``'s
    info: pl.DataFrame
    centroids: dict[int, np.ndarray] = field(default_factory=dict)
    n_leaf_themes: int = 0          # themes HDBSCAN found, before the dendrogram cut merged any
    merge_silhouette: float | None = None  # silhouette (cosine, -1..1) of the chosen cut; None when not computed
    parent_silhouette: float | None = None  # silhouette of the parent level (parents="silhouette"); None otherwise
    cluster_selection: str = "eom"  # HDBSCAN's selection that made the leaf themes (see ThemeClusterer)


class ThemeClusterer:
    """HDBSCAN for BERTopic, with a guard on its excess-of-mass (EOM) selection.

    EOM keeps a parent cluster whenever it is more stable than its children together. On some layouts of
    the CFPB narratives' 36k sentences it kept one cluster of 97.5% of them, and three themes came out (4 of
    10 seeds; leaf selection gave 31 on each). A theme that holds nearly all of the corpus describes nothing, so
    when EOM leaves one theme holding more than ``max_share`` of the clustered units, the clustering is
    redone with leaf selection (the smallest stable clusters), which the silhouette merge then groups. A large
    theme alone is no collapse: on the CFPB narratives as items, EOM's largest theme holds 58-60% of the
    clustered items on every seed, and those are the best themes there (AMI product 0.42; leaf: 0.37).
    ``selection_`` says which selection made ``labels_``.
    """

    def __init__(self, *, min_cluster_size: int, min_samples: int | None, selection: str, max_share: float):
        self.params = {"min_cluster_size": min_cluster_size, "min_samples": min_samples, "metric": "euclidean"}
        self.selection, self.max_share = selection, max_share
        self.selection_ = selection
        self.labels_: np.ndarray | None = None

    def fit(self, X: np.ndarray, y: Any = None) -> ThemeClusterer:
        from hdbscan import HDBSCAN

        self.selection_ = self.selection
        labels = HDBSCAN(cluster_selection_method=self.selection, **self.params).fit(X).labels_
        share = largest_share(labels)
        if self.selection == "eom" and share > self.max_share:
            log.warning("HDBSCAN's eom selection left one theme holding %.1f%% of the clustered units; "
                        "redone with leaf selection (topics.max_theme_share %.2f)", 100 * share, self.max_share)
            labels = HDBSCAN(cluster_selection_method="leaf", **self.params).fit(X).labels_
            self.selection_ = "leaf"
        self.labels_ = labels
        return self


def largest_share(labels: np.ndarray) -> float:
    """The largest cluster's share of the clustered (non-outlier) labels; 0 when none is clustered."""
    counts = np.bincount(labels[labels != OUTLIER])
    return float(counts.max() / counts.sum()) if counts.size and counts.sum() else 0.0


def min_cluster_size(n_docs: int, config: TopicsConfig) -> int:
    """HDBSCAN's min_cluster_size for a corpus of ``n_docs`` items: a share of it, clipped to the bounds."""
    size = math.ceil(config.min_topic_share * n_docs)
    return int(max(config.min_topic_size, min(size, config.max_topic_size)))


# Contractions as the texts reach the vectorizer: BERTopic strips every character but letters, digits and spaces
# before its c-TF-IDF ("didn't" -> "didnt"); "didn", "ll", "ve" are what a plain token pattern leaves; "ca",
# "wo", "nt" come from tokenised text ("ca n't"). sklearn's stop list has "not", "cant" and "its" already.
CONTRACTION_STEMS = ("aren", "couldn", "didn", "doesn", "don", "hadn", "hasn", "haven", "isn", "ll", "mustn",
                     "shouldn", "ve", "wasn", "weren", "won", "wouldn",
                     "arent", "couldnt", "didnt", "doesnt", "dont", "hadnt", "hasnt", "havent", "isnt", "mustnt",
                     "shouldnt", "wasnt", "werent", "wont", "wouldnt", "im", "ive", "ill", "youre", "youve",
                     "youll", "youd", "theyre", "theyve", "theyll", "weve", "thats", "whats", "theres", "heres",
                     "lets", "hes", "shes", "ca", "wo", "nt")
# Words in sklearn's English stop list (Nothman et al. 2018 list its oddities) that name what customers write
# about: "bill", "call", "interest", "amount", "system". They stay theme words.
CONTENT_WORDS = frozenset({"amount", "bill", "bottom", "call", "cry", "detail", "empty", "fill", "fire",
                           "front", "full", "interest", "move", "name", "part", "serious", "show", "side", "system",
                           "thick", "thin", "top"})


# Forms of "do" and "have" that sklearn's list lacks (it has "do", "done", "have", "had"): "agent called · did ·
# promised" was a theme label of the sample.
AUXILIARIES = ("did", "does", "doing", "having")


def theme_stop_words(config: TopicsConfig) -> frozenset[str]:
    """Stop words of the theme vocabulary: sklearn's English list without ``CONTENT_WORDS``, contractions,
    ``AUXILIARIES`` and ``topics.extra_stop_words``."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    base = (frozenset(ENGLISH_STOP_WORDS) - CONTENT_WORDS) | frozenset(CONTRACTION_STEMS) | frozenset(AUXILIARIES)
    return base | {w.lower() for w in config.extra_stop_words}


_NOT_ALNUM = re.compile(r"[^A-Za-z0-9 ]+")
_TOKEN = re.compile(r"\w+")
_WORD = re.compile(r"[a-z][a-z]+")
# Redaction marks: "XX/XX/XXXX" in the CFPB narratives, glued to a word once punctuation goes ("XXXX/month")
_REDACTED = re.compile(r"x{2,}|\w*xxx\w*")
# Appended to every text handed to BERTopic, which joins a theme's texts with spaces before counting: a digit
# is no word, so no phrase is counted across two texts ("... the service" + "help me ..." is no "service help").
ITEM_END = " 0"


def ascii_fold(doc: str) -> str:
    """Accents off, other non-ASCII characters out ("café" -> "cafe", "ﬁx" -> "fix"): BERTopic's cleaning
    would cut "café" to "caf". Applied to every text before the theme vocabulary or BERTopic sees it."""
    return unicodedata.normalize("NFKD", doc).encode("ascii", "ignore").decode("ascii")


def bertopic_clean(doc: str) -> str:
    """The text as BERTopic's c-TF-IDF sees it (``BERTopic._preprocess_text`` for English): tabs and line
    breaks as spaces, every other character but ASCII letters, digits and spaces removed; then lower case."""
    return _NOT_ALNUM.sub("", doc.replace("\n", " ").replace("\t", " ")).lower()


# Plurals that are not the plural of their singular's usual sense ("goods arrived damaged" is not "good").
KEEP_PLURAL = frozenset({"goods"})


def plural_singulars(words: Iterable[str]) -> dict[str, str]:
    """Each plural among ``words`` whose singular is among them too: {"invoices": "invoice", "penalties":
    "penalty", "fees": "fee"}. simplemma's English dictionary decides what the singular is ("news", "means" and
    "status" have none); only regular plural endings count, so a verb form is never taken for another ("stole"
    stays, "cancelled" stays)."""
    import simplemma

    vocab = {w for w in words if " " not in w}
    out: dict[str, str] = {}
    for word in sorted(vocab):
        if len(word) < 4 or not word.endswith("s") or word in KEEP_PLURAL:
            continue
        lemma = simplemma.lemmatize(word, lang="en")
        if lemma == word or lemma not in vocab:
            continue
        if word in (lemma + "s", lemma + "es") or (lemma.endswith("y") and word == lemma[:-1] + "ies"):
            out[word] = lemma
    return out


class PluralDedupe:
    """A BERTopic representation step: a theme's words without the ones that only repeat a higher-ranked word
    in another number ("invoice · invoices · download" becomes "invoice · download · ..."; "cancellation
    penalties" after "cancellation penalty" goes too). The c-TF-IDF weights are left as they were: only
    repeats are dropped, and the next words move up. ``top_n_words``: how many to keep (None: all)."""

    def __init__(self, singular: dict[str, str], top_n_words: int | None = None) -> None:
        self.singular = singular
        self.top_n_words = top_n_words

    def extract_topics(self, topic_model: Any, documents: Any, c_tf_idf: Any,
                       topics: dict[int, list[tuple[str, float]]]) -> dict[int, list[tuple[str, float]]]:
        out: dict[int, list[tuple[str, float]]] = {}
        for label, values in topics.items():
            seen: set[str] = set()
            kept: list[tuple[str, float]] = []
            for word, score in values:
                key = " ".join(self.singular.get(w, w) for w in word.split())
                if word and key in seen:
                    continue
                seen.add(key)
                kept.append((word, score))
            out[label] = kept if self.top_n_words is None else kept[: self.top_n_words]
        return out


class ThemeTerms:
    """Analyzer of the c-TF-IDF vectorizer: the words (two or more letters, not a stop word) and the phrases of
    up to ``ngram_max`` *adjacent* such words of a text, after ``ascii_fold`` and ``bertopic_clean``.

    Every token counts for adjacency, so a phrase never spans a digit, a single letter or a stop word:
    "did n't arrive" gives no "did arrive", "I want to check the fee" no "want check". A class (not a
    closure) so that the fitted model pickles."""

    def __init__(self, stop_words: frozenset[str], ngram_max: int) -> None:
        self.stop_words = stop_words
        self.ngram_max = ngram_max

    def __call__(self, doc: str) -> list[str]:
        tokens = _TOKEN.findall(bertopic_clean(ascii_fold(doc)))
        ok = [bool(_WORD.fullmatch(t)) and t not in self.stop_words and not _REDACTED.fullmatch(t) for t in tokens]
        terms: list[str] = []
        for i, token in enumerate(tokens):
            if not ok[i]:
                continue
            terms.append(token)
            for j in range(i + 1, min(i + self.ngram_max, len(tokens))):
                if not ok[j]:
                    break
                terms.append(" ".join(tokens[i:j + 1]))
        return terms


def _vectorizer(config: TopicsConfig, docs: list[str]) -> Any:
    """The c-TF-IDF vectorizer, its vocabulary fixed from the items: the ``ThemeTerms`` (words and phrases of
    up to ``ngram_max`` adjacent words, none of them a stop word) found in at least ``min_df`` items (the bar
    is capped at 1 per 50 items for tiny corpora).

    What a plain ``CountVectorizer(stop_words=..., min_df=...)`` gets wrong here:
    - BERTopic fits its vectorizer on one joined document per theme, so ``min_df`` would count themes: with
      22 themes on the Bitext utterances, "invoice", said in only two of them, left the vocabulary and the
      invoice themes were labelled "didn · download · tell";
    - sklearn drops stop words and one-letter tokens before it forms n-grams, so "I want to check the fee"
      gave "want check" and "did n't arrive" gave "did arrive";
    - BERTopic strips punctuation from the joined documents but not from the texts it later scores against the
      model ("up-to-date" is "uptodate" to one and "up", "date" to the other): a vocabulary term absent from
      every theme gets an infinite idf, which broke the representative-document step on the Bitext data.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    analyzer = ThemeTerms(theme_stop_words(config), config.ngram_max)
    min_df = min(config.min_df, max(1, len(docs) // 50))
    try:
        vocab = CountVectorizer(analyzer=analyzer, min_df=min_df).fit(docs).get_feature_names_out().tolist()
    except ValueError:  # sklearn: "empty vocabulary"
        vocab = []
    if not vocab:
        raise ValueError(
            f"topics: no word but stop words occurs in {min_df} or more of the {len(docs)} items, so themes "
            "cannot be labelled (lower topics.min_df or shorten topics.extra_stop_words in params.yaml)"
        )
    return CountVectorizer(analyzer=analyzer, vocabulary=vocab)


def _ctfidf(config: TopicsConfig) -> Any:
    from bertopic.vectorizers import ClassTfidfTransformer

    return ClassTfidfTransformer(bm25_weighting=config.ctfidf_bm25, reduce_frequent_words=config.ctfidf_reduce_frequent)


def silhouette_cosine(embeddings: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette (-1..1) of ``labels`` under cosine distance; items alone in their cluster score 0.

    The same figure as ``sklearn.metrics.silhouette_score(..., metric="cosine")``, computed from one distance
    matrix and per-cluster sums so that many partitions of the same items cost little each.
    """
    dist = cosine_distances(embeddings)
    return _silhouette_from(dist, labels)


def cosine_distances(embeddings: np.ndarray) -> np.ndarray:
    """Pairwise cosine distances (0..2) of the rows, float64, zero diagonal."""
    x = embeddings.astype(np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    dist = np.clip(1.0 - x @ x.T, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    return dist


def _silhouette_from(dist: np.ndarray, labels: np.ndarray) -> float:
    return float(_silhouette_items(dist, labels).mean())


def _silhouette_items(dist: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each item's silhouette (-1..1) from the pairwise distances; items alone in their cluster score 0."""
    _, codes, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    if sizes.size < 2 or sizes.size >= labels.size:
        raise ValueError(f"silhouette needs 2..{labels.size - 1} clusters, got {sizes.size}")
    onehot = np.zeros((labels.size, sizes.size))
    onehot[np.arange(labels.size), codes] = 1.0
    sums = dist @ onehot                                  # item x cluster: summed distance to its members
    rows = np.arange(labels.size)
    own = sizes[codes]
    a = np.where(own > 1, sums[rows, codes] / np.maximum(own - 1, 1), 0.0)
    means = sums / sizes
    means[rows, codes] = np.inf
    b = means.min(axis=1)
    return np.where(own > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)


def _unit_blocks(embeddings: np.ndarray, rows: np.ndarray,
                 size: int = 20_000) -> Iterable[tuple[int, np.ndarray]]:
    """The ``rows`` of ``embeddings`` at unit length in float64, ``size`` at a time (start, block): 300k x 384
    at once would take 0.9 GB."""
    for start in range(0, rows.size, size):
        block = embeddings[rows[start:start + size]].astype(np.float64)
        yield start, block / np.maximum(np.linalg.norm(block, axis=1, keepdims=True), 1e-12)


def theme_sums(embeddings: np.ndarray, topics: np.ndarray, ids: list[int]) -> tuple[np.ndarray, np.ndarray,
                                                                                      np.ndarray, np.ndarray]:
    """The items of the themes ``ids`` (outliers left out): their rows, their theme (index into ``ids``), and
    per theme the sum of its items' unit vectors (float64) and its size."""
    from scipy.sparse import csr_matrix

    index = {t: i for i, t in enumerate(ids)}
    rows = np.flatnonzero(topics != OUTLIER)
    codes = np.array([index[t] for t in topics[rows].tolist()], dtype=np.int64)
    sums = np.zeros((len(ids), embeddings.shape[1]))
    for start, block in _unit_blocks(embeddings, rows):
        part = codes[start:start + block.shape[0]]
        sums += csr_matrix((np.ones(part.size), (part, np.arange(part.size))), shape=(len(ids), part.size)) @ block
    return rows, codes, sums, np.bincount(codes, minlength=len(ids)).astype(np.float64)


class ThemeSilhouette:
    """The silhouette (cosine) of every item under any grouping of the themes, from per-theme sums.

    For unit vectors the cosine distance is ``1 - x.y``, so an item's mean distance to a group is
    ``1 - x.s / n`` (``s`` the sum of the group's vectors, ``n`` its size), and to its own group, itself left
    out, ``(n - x.s) / (n - 1)``. The dot products of each item with each theme's sum are computed once
    (items x themes); a grouping of the themes then adds their columns. That is the exact silhouette of all
    the items (sklearn's, to float precision), with no sample drawn, at items x themes memory (300k items and
    126 themes: 0.3 GB) instead of the items' pairwise distances. Outliers (-1) are left out."""

    def __init__(self, embeddings: np.ndarray, topics: np.ndarray, ids: list[int]) -> None:
        rows, self.codes, sums, self.sizes = theme_sums(embeddings, topics, ids)
        dots = [block @ sums.T for _, block in _unit_blocks(embeddings, rows)]
        self.dots = np.vstack(dots) if dots else np.zeros((0, len(ids)))   # item . theme sum

    def items(self, groups: np.ndarray) -> np.ndarray:
        """Each item's silhouette (-1..1) when theme ``i`` (in ``ids`` order) joins group ``groups[i]`` (any
        integer labels); items alone in their group score 0."""
        from scipy.sparse import csr_matrix

        _, codes = np.unique(groups, return_inverse=True)
        k = int(codes.max()) + 1
        if k < 2:
            raise ValueError(f"silhouette needs 2 groups or more, got {k}")
        join = csr_matrix((np.ones(codes.size), (np.arange(codes.size), codes)), shape=(codes.size, k))
        dots = np.asarray((join.T @ self.dots.T).T)          # item . group sum
        size = join.T @ self.sizes
        own = codes[self.codes]
        rows = np.arange(own.size)
        n_own = size[own]
        a = np.where(n_own > 1, (n_own - dots[rows, own]) / np.maximum(n_own - 1, 1), 0.0)
        means = 1.0 - dots / size
        means[rows, own] = np.inf
        b = means.min(axis=1)
        return np.where(n_own > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)


def word_groups(word_weights: Any, k: int) -> np.ndarray:
    """Exactly ``k`` groups of themes (0..k-1 per theme row) from the average-linkage dendrogram of the cosine
    distances between their word weights (``theme_word_weights``); a theme without words is at distance 1 from
    all. ``cut_tree``, not ``fcluster(maxclust)``: tied heights (themes that share no word) would give fewer."""
    from scipy.cluster.hierarchy import cut_tree, linkage
    from scipy.spatial.distance import squareform
    from sklearn.metrics.pairwise import cosine_distances as pairwise_cosine

    square = np.clip(pairwise_cosine(word_weights), 0.0, None)
    np.fill_diagonal(square, 0.0)
    return cut_tree(linkage(squareform(square, checks=False), method="average"), n_clusters=k).ravel()


def choose_theme_cut(
    embeddings: np.ndarray,
    topics: np.ndarray,
    *,
    min_silhouette: float,
    sample_size: int | None,
    seed: int,
    min_groups: int = 2,
    max_groups: int | None = None,
    method: Literal["average", "ward", "ward_items"] = "average",
    word_weights: Callable[[], Any] | None = None,
    one_se: bool = False,
    purpose: str = "themes",
) -> tuple[dict[int, int], float | None]:
    """Merge themes by cutting their dendrogram where the items separate best (the data's choice, not a k).

    The theme centroids are clustered (``method``: average linkage on cosine distances, Ward linkage on
    the unit-length centroids, whose squared distances are twice the cosine distances, or ``ward_items``:
    Ward's criterion on the items themselves, ``ward_item_tree``); every cut from
    ``min_groups`` groups to ``max_groups`` (default: one group per theme) is scored by the mean silhouette of
    a seeded sample of ``sample_size`` items, or with ``sample_size=None`` of every item (``ThemeSilhouette``,
    exact and without a draw; cosine on the embeddings, outliers left out). On the Bitext utterances a sample
    of 3,000 decides between cuts whose silhouettes differ by less than its noise: redrawn 5 times, the cut
    kept changed on 5 of 10 seeds' themes (19 or 23-28 themes), 2 of 10 with 6,000 items; with every item
    the best cut was 19 themes on 8 of 10 seeds. The best cut is kept when it
    reaches ``min_silhouette`` (0.25: below it a partition shows no substantial structure, Kaufman &
    Rousseeuw 1990); otherwise, or (without ``one_se``) when the best cut is the leaves themselves, every theme
    stays. Without ``one_se``, ties go to the cut with more themes.

    ``one_se``: keep instead the cut with the fewest groups whose silhouette is within one standard error
    (of the best cut's mean over the sample) of the best, and at least ``min_silhouette`` (the one-standard-
    error rule, Hastie, Tibshirani & Friedman, *Elements of Statistical Learning* 7.10); the leaves too may
    then merge. On the Bitext utterances the silhouette is flat from ~19 to ~46 groups (within 0.001, a
    third of the standard error of 0.003), and the best cut jumped between 22 and 46 themes from seed to
    seed; the rule keeps 19-24. The band narrows as ``sample_size`` grows (the error of a mean), and a theme
    with no item in the sample cannot tell its cuts apart, so the rule merges it where the plain rule
    would keep it. That is rare: the smallest theme (``min_topic_share`` 0.5% of the items, at most 500)
    expects 15 of the 3,000 sampled items up to 100k items, 5 at 300k.

    The silhouette favours the coarsest split when one divide dominates (at 300k
    sample items, 126 themes scored best as 2), so callers bound the range (``fit_topic_model``: at least
    the square root of the number of themes). ``purpose`` names the cut in the log ("themes", "parents").

    ``word_weights`` (called only when a cut is kept; one row per theme, ``theme_word_weights``): the chosen
    number of groups is kept, but the groups are formed by the themes' words (``word_groups``), so that a merged
    theme's words describe every theme in it. The bar and the returned silhouette are the centroid cut's (they
    decide whether and into how many groups the themes merge); the word groups' own silhouette is logged, and
    is lower (0.22-0.26 on the Bitext utterances, against 0.32-0.34). The silhouette of the centroid cuts
    judges how many groups the items hold; it does not judge the word dendrogram's own cuts well (its curve
    rises slowly to ~60 groups on the Bitext utterances, and the rule picked anything from 17 to 40 themes
    there by seed). On the Bitext utterances (10 seeds, float64 vectors) the word groups raised the NPMI of the
    themes' words from 0.089 to 0.123 (default vocabulary), from -0.011 to -0.005 (ours) and from -0.050 to
    -0.014 (sklearn's English stop words left out), AMI with the categories from 0.777 to 0.800 and ARI with them
    from 0.578 to 0.582; ARI with the intents fell from 0.716 to 0.667 (``benchmarks/results/topics.json``).
    Returns the mapping old theme -> new theme (ids 0.. by size, largest first; -1 stays -1; the identity
    when nothing merges) and the silhouette of the cut kept (with ``one_se``, the cut within one standard
    error; when nothing merges, the best cut's, not applied; None with fewer than three themes).
    """
    ids = sorted(set(topics.tolist()) - {OUTLIER})
    identity = {OUTLIER: OUTLIER, **{t: t for t in ids}}
    if len(ids) < 3:
        return identity, None
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    if method == "ward_items":     # from the items; the centroids would be computed for nothing
        tree = ward_item_tree(embeddings, topics, ids)
    else:
        centroids = theme_centroids(embeddings, topics)
        matrix = np.stack([centroids[i] for i in ids]).astype(np.float64)
        if method == "ward":
            unit = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
            tree = linkage(unit, method="ward")
        else:
            tree = linkage(pdist(matrix, metric="cosine"), method="average")
    if sample_size is None:     # every item, exactly
        exact = ThemeSilhouette(embeddings, topics, ids)
        n_scored = exact.codes.size

        def silhouettes(groups: np.ndarray) -> np.ndarray | None:
            return exact.items(groups) if 2 <= np.unique(groups[exact.codes]).size < n_scored else None
    else:
        rng = np.random.default_rng(seed)
        candidates = np.flatnonzero(topics != OUTLIER)
        sample = np.sort(rng.choice(candidates, size=min(sample_size, candidates.size), replace=False))
        dist = cosine_distances(embeddings[sample])
        index = {t: i for i, t in enumerate(ids)}
        leaf_of = np.array([index[t] for t in topics[sample].tolist()])

        def silhouettes(groups: np.ndarray) -> np.ndarray | None:
            labels = groups[leaf_of]
            return _silhouette_items(dist, labels) if 2 <= np.unique(labels).size < labels.size else None
    cuts: list[tuple[float, int, np.ndarray, float]] = []   # silhouette, groups, cut, standard error
    top = len(ids) if max_groups is None else min(max_groups, len(ids))
    for k in range(top, max(min_groups, 2) - 1, -1):
        groups = fcluster(tree, t=k, criterion="maxclust")
        items = silhouettes(groups)
        if items is None:
            continue
        cuts.append((round(float(items.mean()), 6), k, groups, float(items.std(ddof=1) / np.sqrt(items.size))))
    if not cuts:
        return identity, None
    best = max(cuts, key=lambda c: c[0])   # the first of equals: the cut with more groups
    if one_se and best[0] >= min_silhouette:
        bar = max(best[0] - best[3], min_silhouette)
        best = min((c for c in cuts if c[0] >= bar), key=lambda c: c[1])
    score, k, groups, _ = best
    if k == len(ids) or score < min_silhouette:
        log.info("%s: %d themes kept (best cut %d groups, silhouette %.3f)", purpose, len(ids), k, score)
        return identity, score
    if word_weights is not None:    # as many groups, formed by the themes' words
        weights = word_weights()
        if weights.shape[0] != len(ids):
            raise ValueError(f"choose_theme_cut: {weights.shape[0]} rows of word weights for {len(ids)} themes")
        groups = word_groups(weights, k)
        items = silhouettes(groups)
        log.info("%s: the %d groups formed by their words (silhouette %.3f)", purpose, k,
                 float("nan") if items is None else float(items.mean()))
    counts = dict(zip(*np.unique(topics[topics != OUTLIER], return_counts=True), strict=True))
    members: dict[int, list[int]] = {}
    for t, g in zip(ids, groups.tolist(), strict=True):
        members.setdefault(int(g), []).append(t)
    order = sorted(members.values(), key=lambda m: (-sum(int(counts[t]) for t in m), min(m)))
    mapping = {OUTLIER: OUTLIER}
    for new, group in enumerate(order):
        for t in group:
            mapping[t] = new
    log.info("%s: %d themes grouped into %d (silhouette %.3f)", purpose, len(ids), len(order), score)
    return mapping, score


def _representation(config: TopicsConfig, seed: int, *, singular: dict[str, str], embeddings: bool) -> Any:
    """BERTopic's representation steps: KeyBERT-inspired and/or MMR when asked for and an embedding model is at
    hand (``embeddings``), then plural repeats dropped (``dedupe_plurals``; the steps before it return twice
    the words, so ``top_n_words`` remain; ``singular``: ``plural_singulars`` of the vocabulary); None for plain
    c-TF-IDF without the plural step."""
    n = config.top_n_words
    dedupe = PluralDedupe(singular, n) if config.dedupe_plurals else None
    wide = 2 * n if dedupe is not None else n
    if not (config.representation != "ctfidf" and embeddings):
        return [dedupe] if dedupe is not None else None
    from bertopic.representation import MaximalMarginalRelevance

    from voc.topics.represent import KeyBERTOnTexts

    if config.representation == "keybert":   # alone, not in a list: BERTopic then hands it the item embeddings
        return KeyBERTOnTexts(then=dedupe, top_n_words=n if dedupe is None else wide, random_state=seed)
    steps: list[Any] = []
    if config.representation == "keybert+mmr":
        steps.append(KeyBERTOnTexts(top_n_words=wide + n, random_state=seed))
    steps.append(MaximalMarginalRelevance(diversity=config.mmr_diversity, top_n_words=wide))
    return steps + ([dedupe] if dedupe is not None else [])


def make_reducer(config: TopicsConfig, *, seed: int, n_items: int | None = None) -> Any:
    """The seeded UMAP that BERTopic uses (single-threaded), started from PCA (UMAP's ``init="pca"``).

    UMAP's default spectral start is not reproducible here: on the sample (11 components in the neighbour
    graph) ``umap.spectral.spectral_layout`` returned different layouts on repeated calls with the same graph
    and seed, even with BLAS on one thread, and two cold runs of the stage on byte-identical embeddings gave 68
    and 69 themes. The PCA start gave byte-identical layouts in two concurrent runs. The spectral start is
    also slow at scale (over 20 minutes in ARPACK at 300k items). ``umap_spectral_max_items`` > 0 restores
    it for inputs up to that size."""
    from umap import UMAP

    spectral = config.umap_spectral_max_items > 0 and (n_items is None or n_items <= config.umap_spectral_max_items)
    return UMAP(
        n_neighbors=config.n_neighbors,
        n_components=config.n_components,
        min_dist=0.0,
        metric="cosine",
        init="spectral" if spectral else "pca",
        random_state=seed,
        n_jobs=1,
    )


def harmonise_duplicates(embeddings: np.ndarray, topics: np.ndarray) -> np.ndarray:
    """Give identical embeddings (the same text) one theme: their most frequent one, ties to the lower id.

    UMAP can place exact duplicates apart, so HDBSCAN may split them; one text, one theme keeps the saved
    model's nearest-neighbour assignment equal to training.
    """
    if topics.size == 0:
        return topics
    rows = np.ascontiguousarray(embeddings)
    _, group = np.unique(rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel(),
                         return_inverse=True)
    if group.max() + 1 == topics.size:
        return topics
    frame = pl.DataFrame({"g": group.ravel(), "t": topics})
    winner = (
        frame.group_by("g", "t").agg(pl.len().alias("n"))
        .sort(["g", "n", "t"], descending=[False, True, False])
        .unique("g", keep="first")
    )
    joined = frame.join(winner.select("g", pl.col("t").alias("w")), on="g", how="left", maintain_order="left")
    return joined["w"].to_numpy().astype(topics.dtype)


def theme_word_weights(docs: list[str], topics: np.ndarray, vectorizer: Any, config: TopicsConfig) -> Any:
    """The c-TF-IDF word weights of each theme (rows: theme ids in ascending order, outliers left out): one
    document per theme, its items joined, counted with ``vectorizer`` (its vocabulary fixed, ``_vectorizer``)
    and weighted by ``_ctfidf``. Unlike BERTopic's own c-TF-IDF, the outliers are no class of their own and the
    joined text is not stripped of punctuation (``ThemeTerms`` tokenises it). Columns: the vocabulary's words
    that some theme uses, in vocabulary order."""
    ids = sorted(set(topics.tolist()) - {OUTLIER})
    joined = [" ".join(docs[i] for i in np.flatnonzero(topics == t)) for t in ids]
    counts = vectorizer.transform(joined)
    used = np.flatnonzero(np.asarray(counts.sum(axis=0)).ravel() > 0)   # a word only outliers use: no weight
    return _ctfidf(config).fit_transform(counts[:, used])   # sparse: themes x the words they use


def theme_centroids(embeddings: np.ndarray, topics: np.ndarray) -> dict[int, np.ndarray]:
    """Unit-length mean embedding of each theme (outliers excluded)."""
    out: dict[int, np.ndarray] = {}
    for t in sorted(set(topics.tolist()) - {OUTLIER}):
        v = embeddings[topics == t].astype(np.float64).mean(axis=0)
        out[int(t)] = (v / (np.linalg.norm(v) or 1.0)).astype(np.float32)
    return out


def bertopic_embedder(embedder: Any) -> Any:
    """BERTopic's view of one of our embedders (needed by the KeyBERT-inspired representation): the
    sentence-transformer itself for the PyTorch backend, else a ``bertopic.backend.BaseEmbedder`` around
    ``encode`` (ONNX, int8, model2vec), so every backend keeps every representation."""
    model = getattr(embedder, "model", None)
    if model is not None:
        return model
    from bertopic.backend import BaseEmbedder

    class _Adapter(BaseEmbedder):  # type: ignore[misc]
        def embed(self, documents: Any, verbose: bool = False) -> np.ndarray:
            return embedder.encode([str(d) for d in documents], batch_size=64, show_progress=verbose)

    return _Adapter()


def fit_topic_model(
    docs: list[str],
    embeddings: np.ndarray,
    *,
    config: TopicsConfig,
    seed: int,
    embedding_model: Any | None = None,
    reducer: Any | None = None,
) -> TopicResult:
    """Fit BERTopic on precomputed embeddings; deterministic for a given seed.

    The number of themes comes from the data (HDBSCAN with a size floor proportional to the corpus), not
    from a preset k. Outliers (topic -1) are then reassigned to their nearest theme when the similarity
    allows (``outlier_strategy``); the raw assignment is kept so the raw outlier share can be reported, and
    (``theme_words="core"``) so that the reassigned outliers do not shape the themes' words (``described_by``).
    With ``merge="silhouette"`` the leaf themes are merged by ``choose_theme_cut`` (raw ids follow the merge),
    never into fewer than the square root of their number; with ``merge_by="words"`` the themes that merge are
    those whose c-TF-IDF words are alike (the words of all their items, or with ``merge_words="core"`` of
    their core items, ``described_by``). With ``parents="silhouette"`` the parent themes
    are the best-separated cut within ``theme_cut_bounds``; with ``"distance"``, ``parent_distance`` decides.
    ``embedding_model`` (the sentence-transformer that made ``embeddings``) is needed for the KeyBERT-inspired
    and MMR labels; without it labels are c-TF-IDF. ``reducer`` replaces the seeded UMAP (any object with
    ``fit``/``transform``, e.g. a cached layout in the benchmark).
    """
    if len(docs) != embeddings.shape[0]:
        raise ValueError(f"fit_topic_model: {len(docs)} docs but {embeddings.shape[0]} embeddings")
    mcs = min_cluster_size(len(docs), config)
    if len(docs) < max(3 * mcs, 20):
        raise ValueError(
            f"fit_topic_model: {len(docs)} documents are too few for a theme size of {mcs} items; "
            "lower topics.min_topic_size in params.yaml or add data"
        )
    from bertopic import BERTopic  # heavy imports (numba) only once the input is known to be usable

    hdbscan_model = ThemeClusterer(min_cluster_size=mcs, min_samples=config.min_samples,
                                   selection=config.cluster_selection, max_share=config.max_theme_share)
    vectorizer = _vectorizer(config, docs)
    singular = plural_singulars(vectorizer.vocabulary) if config.dedupe_plurals else {}
    representation = _representation(config, seed, singular=singular, embeddings=embedding_model is not None)
    model = BERTopic(
        embedding_model=embedding_model,
        umap_model=reducer if reducer is not None else make_reducer(config, seed=seed, n_items=len(docs)),
        hdbscan_model=hdbscan_model,
        vectorizer_model=vectorizer,
        ctfidf_model=_ctfidf(config),
        representation_model=representation,
        top_n_words=config.top_n_words,
        nr_topics=config.nr_topics,
        calculate_probabilities=False,
        verbose=False,
    )
    bt_docs = [ascii_fold(doc) + ITEM_END for doc in docs]   # what BERTopic sees; ``docs`` stay as written
    raw = np.asarray(model.fit_transform(bt_docs, embeddings=embeddings)[0])
    topics = raw.copy()
    if config.outlier_strategy != "none" and (raw == OUTLIER).any() and len(set(raw.tolist()) - {OUTLIER}) > 0:
        kwargs: dict[str, Any] = {"strategy": config.outlier_strategy, "threshold": config.outlier_threshold}
        if config.outlier_strategy == "embeddings":
            kwargs["embeddings"] = embeddings
        topics = np.asarray(model.reduce_outliers(bt_docs, raw.tolist(), **kwargs))
    topics = harmonise_duplicates(embeddings, topics)
    n_leaves = len(set(topics.tolist()) - {OUTLIER})
    silhouette = None
    if config.merge == "silhouette":
        words = config.merge_by == "words"
        mapping, silhouette = choose_theme_cut(
            embeddings, topics, min_silhouette=config.merge_min_silhouette, sample_size=config.merge_sample,
            seed=seed, min_groups=math.ceil(math.sqrt(n_leaves)), one_se=config.merge_one_se,
            word_weights=(lambda: theme_word_weights(
                bt_docs, described_by(topics, raw) if config.merge_words == "core" else topics, vectorizer, config,
            )) if words else None,
        )
        if any(k != v for k, v in mapping.items()):
            topics = np.array([mapping[t] for t in topics.tolist()], dtype=topics.dtype)
            raw = np.array([mapping.get(t, OUTLIER) for t in raw.tolist()], dtype=raw.dtype)
    described = described_by(topics, raw) if config.theme_words == "core" else topics
    if not np.array_equal(described, np.asarray(model.topics_)):
        model.update_topics(
            bt_docs,
            topics=described.tolist(),
            top_n_words=config.top_n_words,
            vectorizer_model=vectorizer,
            ctfidf_model=_ctfidf(config),
            representation_model=representation,
        )
    centroids = theme_centroids(embeddings, topics)
    info = topic_table(
        model, topics, docs, label_words=config.label_words, embeddings=embeddings, centroids=centroids,
        n_representatives=config.n_representatives, singular=singular,
    )
    groups, parent_silhouette = None, None
    if config.parents == "silhouette":
        groups, parent_silhouette = choose_parent_groups(embeddings, topics, sample_size=config.merge_sample,
                                                         seed=seed, linkage=config.parent_linkage)
    info = add_parents(info, centroids, max_distance=config.parent_distance, groups=groups,
                       label_words=config.label_words, singular=singular)
    log.info(
        "themes: %d (min size %d), raw outlier share %.3f, coverage %.3f",
        info.filter(pl.col("topic_id") != OUTLIER).height,
        mcs,
        float((raw == OUTLIER).mean()),
        float((topics != OUTLIER).mean()),
    )
    return TopicResult(model=model, raw_topics=raw, topics=topics, info=info, centroids=centroids,
                       n_leaf_themes=n_leaves, merge_silhouette=silhouette, parent_silhouette=parent_silhouette,
                       cluster_selection=hdbscan_model.selection_, described=described)


def described_by(topics: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """The assignment whose items shape each theme's words (c-TF-IDF): ``topics`` with the items that were
    outliers before ``reduce_outliers`` (``raw`` -1) left out, except in a theme that has no other item.

    A reassigned outlier carries its nearest theme, but it lay between the themes, and its words blur the
    theme's own: on the clothing reviews (seed 42; 20% outliers) the NPMI of the themes' top 10 words rose from
    0.040 to 0.051 in our vocabulary, on the sample (14%) from 0.343 to 0.361. BERTopic's default does the same:
    its words come from the clustered items, its outliers none. Counts, trends and verbatims still take every
    item of the theme."""
    core = np.where(raw == OUTLIER, OUTLIER, topics)
    lost = np.setdiff1d(topics, core)
    return core if lost.size == 0 else np.where(np.isin(topics, lost), topics, core)


def label_from_words(words: list[str], *, n: int, singular: dict[str, str] | None = None) -> str:
    """A readable label from ranked words: the first ``n`` that share no word with an earlier one, a plural in
    ``singular`` counting as its singular ("monthly price · prices" keeps only the first)."""
    singular = singular or {}
    chosen: list[str] = []
    seen: set[str] = set()
    for w in words:
        tokens = {singular.get(t, t) for t in w.split()}
        if not tokens or tokens & seen:
            continue
        chosen.append(w)
        seen |= tokens
        if len(chosen) == n:
            break
    return " · ".join(chosen) if chosen else "(no words)"


def _representatives(
    docs: list[str], topics: np.ndarray, topic_id: int, embeddings: np.ndarray | None,
    centroid: np.ndarray | None, n: int,
) -> list[str]:
    """Up to ``n`` distinct verbatims of a theme, closest to its centroid first (ties: earliest item)."""
    idx = np.flatnonzero(topics == topic_id)
    if embeddings is not None and centroid is not None and idx.size:
        sims = embeddings[idx] @ centroid
        idx = idx[np.lexsort((idx, -np.round(sims, 6)))]
    out: list[str] = []
    for i in idx.tolist():
        if docs[i] not in out:
            out.append(docs[i])
        if len(out) == n:
            break
    return out


def topic_table(
    model: Any,
    topics: np.ndarray,
    docs: list[str],
    *,
    label_words: int,
    embeddings: np.ndarray | None = None,
    centroids: dict[int, np.ndarray] | None = None,
    n_representatives: int = 3,
    singular: dict[str, str] | None = None,
) -> pl.DataFrame:
    """One row per theme: id, readable label, document count, top words and representative verbatims
    (``singular``: see ``label_from_words``)."""
    rows = []
    ids, counts = np.unique(topics, return_counts=True)
    for topic_id, count in zip(ids.tolist(), counts.tolist(), strict=True):
        if topic_id == OUTLIER:
            rows.append((OUTLIER, NO_THEME, count, "", "", []))
            continue
        words = [w for w, _ in (model.get_topic(topic_id) or []) if w]
        reps = _representatives(
            docs, topics, topic_id, embeddings, (centroids or {}).get(topic_id), n_representatives
        )
        rows.append(
            (int(topic_id), label_from_words(words, n=label_words, singular=singular), int(count), ", ".join(words),
             reps[0] if reps else "", reps)
        )
    return pl.DataFrame(
        rows,
        schema={
            "topic_id": pl.Int32,
            "topic_label": pl.String,
            "count": pl.Int64,
            "top_words": pl.String,
            "representative": pl.String,
            "representatives": pl.List(pl.String),
        },
        orient="row",
    ).sort("topic_id")


def theme_cut_bounds(n_themes: int) -> tuple[int, int]:
    """The range of group counts a dendrogram cut of ``n_themes`` themes may take for parent themes: from the
    square root of the number of themes to twice that, and never more than half of them (a parent groups two
    themes at least on average). An executive view of 9-18 parents for 75 themes, not 2 blocks, not 37.

    The bound matters: on weakly separated themes (the sample, 300k items) the silhouette keeps rising with
    the number of groups, so an unbounded choice returns the themes again."""
    low = max(2, math.ceil(math.sqrt(n_themes)))
    return low, max(low, min(n_themes // 2, 2 * low))


def ward_item_tree(embeddings: np.ndarray, topics: np.ndarray, ids: list[int]) -> np.ndarray:
    """Ward's dendrogram of the themes ``ids`` by the items' own criterion, as a scipy linkage matrix.

    Each merge joins the two groups whose union least raises the items' within-group sum of squares (the
    items' vectors at unit length): ``n_a n_b / (n_a + n_b)`` times the squared distance of the groups' mean
    vectors, so a theme weighs as many items as it holds. That is k-means' objective, built up from the
    themes instead of from single items. scipy's ``linkage(method="ward")`` on the centroids counts every
    theme as one point, so two large themes close together (two CFPB products) join as early as two small
    ones; weighed by their items, joining two large themes costs what it costs their items, and small themes
    join their neighbours first. Heights are scipy's Ward distances (for one item per theme, this tree is
    scipy's). The updates follow Lance and Williams (1967); ties go to the first pair in theme order.
    """
    _, _, sums, size = theme_sums(embeddings, topics, ids)
    means = sums / size[:, None]
    sq = np.maximum((means**2).sum(axis=1)[:, None] + (means**2).sum(axis=1)[None, :] - 2 * means @ means.T, 0.0)
    dist = 2 * size[:, None] * size[None, :] / (size[:, None] + size[None, :]) * sq   # squared Ward distances
    np.fill_diagonal(dist, np.inf)
    n = len(ids)
    label, leaves = list(range(n)), np.ones(n)
    tree = np.empty((n - 1, 4))
    for step in range(n - 1):
        i, j = sorted(np.unravel_index(int(np.argmin(dist)), dist.shape))
        tree[step] = [min(label[i], label[j]), max(label[i], label[j]), np.sqrt(dist[i, j]), leaves[i] + leaves[j]]
        merged = ((size[i] + size) * dist[i] + (size[j] + size) * dist[j] - size * dist[i, j]) / (
            size[i] + size[j] + size)
        dist[i, :], dist[:, i] = merged, merged
        dist[j, :], dist[:, j] = np.inf, np.inf
        dist[i, i] = np.inf
        size[i], leaves[i], label[i] = size[i] + size[j], leaves[i] + leaves[j], n + step
    return tree


def choose_parent_groups(
    embeddings: np.ndarray, topics: np.ndarray, *, sample_size: int | None, seed: int,
    linkage: Literal["items", "centroids"] = "items",
) -> tuple[dict[int, int], float | None]:
    """Parent groups of the themes: the dendrogram cut within ``theme_cut_bounds`` whose items separate best.

    The dendrogram is Ward's: on weakly separated themes average linkage chains them, and on the sample its
    cut gave one parent holding 41 of 75 themes (60% of the items) next to 9 single-theme parents, against
    at most 12% and one singleton with Ward, whose parents also agreed better with the planted themes
    (AMI 0.46 against 0.31) and, by 0.00-0.02, with the Bitext categories and CFPB products.
    ``linkage``: ``items`` (``ward_item_tree``: a theme weighs as many items as it holds) or ``centroids``
    (each theme one point). Parents' ARI, items against centroids, mean of 10 seeds (seeds ahead/behind):
    CFPB products 0.370 against 0.193 (10/0), Bitext intents 0.709 against 0.670 (7/3) and categories 0.762
    against 0.750 (4/6), the sample's planted themes 0.290 against 0.283 (7/3); the silhouette of the cut
    kept was higher with items on each (``benchmarks/results/topics.json``, ``ours_parent_linkage_centroids``;
    the clothing reviews are there too).
    Returns theme -> group (ids as ``choose_theme_cut``) and that cut's silhouette; with fewer than four
    themes each theme is its own parent (None).
    """
    ids = sorted(set(topics.tolist()) - {OUTLIER})
    if len(ids) < 4:
        return {OUTLIER: OUTLIER, **{t: t for t in ids}}, None
    low, high = theme_cut_bounds(len(ids))
    return choose_theme_cut(embeddings, topics, min_silhouette=-1.0, sample_size=sample_size, seed=seed,
                            min_groups=low, max_groups=high, method="ward_items" if linkage == "items" else "ward",
                            purpose="parents")


def add_parents(
    info: pl.DataFrame,
    centroids: dict[int, np.ndarray],
    *,
    max_distance: float = 0.35,
    groups: dict[int, int] | None = None,
    label_words: int = 3,
    singular: dict[str, str] | None = None,
) -> pl.DataFrame:
    """Parent themes for the executive view.

    ``groups`` (theme -> group, e.g. from ``choose_parent_groups``) says which themes share a parent; without
    it, themes whose centroids are closer than ``max_distance`` (average-linkage clustering, cosine) do.
    ``parent_id`` is the id of the largest member theme and ``parent_label`` joins the leading words of the
    members' labels, largest first (``singular``: see ``label_from_words``). A theme alone in its group is its own
    parent. The outlier row gets -1.
    """
    ids = sorted(centroids)
    if groups is not None:
        missing = [i for i in ids if i not in groups]
        if missing:
            raise ValueError(f"add_parents: no group for themes {missing}")
        group_of = {i: groups[i] for i in ids}
    elif len(ids) > 1:
        from scipy.cluster.hierarchy import fcluster, linkage
        from scipy.spatial.distance import pdist

        matrix = np.stack([centroids[i] for i in ids]).astype(np.float64)
        cut = fcluster(linkage(pdist(matrix, metric="cosine"), method="average"), t=max_distance,
                       criterion="distance")
        group_of = dict(zip(ids, cut.tolist(), strict=True))
    else:
        group_of = {i: i for i in ids}
    counts = dict(zip(info["topic_id"].to_list(), info["count"].to_list(), strict=True))
    parent_of: dict[int, int] = {OUTLIER: OUTLIER}
    for g in sorted(set(group_of.values())):
        members = [i for i in ids if group_of[i] == g]
        head = max(members, key=lambda i: (counts.get(i, 0), -i))
        for m in members:
            parent_of[m] = head
    labels = dict(zip(info["topic_id"].to_list(), info["topic_label"].to_list(), strict=True))
    parent_label: dict[int, str] = {OUTLIER: NO_THEME}
    for head in set(parent_of.values()) - {OUTLIER}:
        members = sorted((m for m, p in parent_of.items() if p == head), key=lambda m: (-counts.get(m, 0), m))
        words = [w for m in members for w in labels.get(m, "").split(" · ")[:1] if w and w != "(no words)"]
        parent_label[head] = label_from_words(words, n=label_words, singular=singular)
    return info.with_columns(
        pl.col("topic_id").replace_strict(parent_of, default=OUTLIER, return_dtype=pl.Int32).alias("parent_id"),
    ).with_columns(
        pl.col("parent_id").replace_strict(parent_label, default=NO_THEME, return_dtype=pl.String)
        .alias("parent_label"),
    )


def assign_topics(feedback_ids: pl.Series, topics: np.ndarray, info: pl.DataFrame) -> pl.DataFrame:
    """The per-item assignment: feedback_id, topic_id, topic_label (+ theme_key when known), by feedback_id."""
    if len(feedback_ids) != len(topics):
        raise ValueError(f"assign_topics: {len(feedback_ids)} ids but {len(topics)} topics")
    frame = pl.DataFrame({"feedback_id": feedback_ids, "topic_id": pl.Series(topics, dtype=pl.Int32)})
    cols = ["topic_id", "topic_label"] + [c for c in ("theme_key", "parent_id", "parent_label") if c in info.columns]
    return frame.join(info.select(cols), on="topic_id", how="left").sort("feedback_id")


def item_themes(assigned: pl.DataFrame, presence: pl.DataFrame | None = None) -> pl.DataFrame:
    """The themes each item of ``assigned`` counts for: its filed theme, or with ``presence`` (``theme_presence``:
    one row per item and theme it carries) each of those, and -1 for an item that carries none. Columns:
    feedback_id, topic_id (Int32); rows of ``presence`` for items not in ``assigned`` are left out."""
    if presence is None:
        return assigned.select("feedback_id", pl.col("topic_id").cast(pl.Int32))
    items = assigned.select("feedback_id")
    carried = presence.select("feedback_id", pl.col("topic_id").cast(pl.Int32)).join(items, on="feedback_id",
                                                                                    how="semi")
    none = items.join(carried, on="feedback_id", how="anti").with_columns(pl.lit(OUTLIER, pl.Int32).alias("topic_id"))
    return pl.concat([carried, none]).unique(["feedback_id", "topic_id"])


def topics_over_time(assigned: pl.DataFrame, feedback: pl.DataFrame,
                     presence: pl.DataFrame | None = None) -> pl.DataFrame:
    """Monthly count and share of each theme among the items with text that month.

    Each item counts for the theme it is filed under, or with ``presence`` for every theme it carries
    (``item_themes``; the shares of a month may then sum past 1). -1: the items with no theme."""
    dated = feedback.select("feedback_id", pl.col("created_at").dt.truncate("1mo").dt.date().alias("month"))
    totals = assigned.join(dated, on="feedback_id", how="inner").group_by("month").agg(pl.len().alias("total"))
    counts = (item_themes(assigned, presence).join(dated, on="feedback_id", how="inner")
              .group_by("month", "topic_id").agg(pl.len().alias("count")))
    return (
        counts.join(totals, on="month")
        .with_columns((pl.col("count") / pl.col("total")).alias("share"))
        .select("month", "topic_id", pl.col("count").cast(pl.Int64), "share")
        .sort("month", "topic_id")
    )


def theme_shares(assigned: pl.DataFrame, groups: pl.DataFrame, *, by: str,
                 presence: pl.DataFrame | None = None) -> pl.DataFrame:
    """Count and share of each theme within each value of ``by`` (e.g. channel, plan, region).

    ``groups`` has feedback_id and the ``by`` column; items whose group is null are counted under "(unknown)"
    rather than dropped. Each item counts for its filed theme, or with ``presence`` for every theme it carries
    (``item_themes``); the share is of the segment's items.
    """
    if by not in groups.columns or "feedback_id" not in groups.columns:
        raise ValueError(f"theme_shares: groups lacks 'feedback_id' or {by!r}")
    segments = (assigned.select("feedback_id")
                .join(groups.select("feedback_id", pl.col(by).cast(pl.String).alias("segment")), on="feedback_id",
                      how="left")
                .with_columns(pl.col("segment").fill_null("(unknown)")))
    totals = segments.group_by("segment").agg(pl.len().alias("total"))
    counts = (item_themes(assigned, presence).join(segments, on="feedback_id", how="inner")
              .group_by("segment", "topic_id").agg(pl.len().cast(pl.Int64).alias("count")))
    return (
        counts.join(totals, on="segment")
        .with_columns(pl.lit(by).alias("segment_type"), (pl.col("count") / pl.col("total")).alias("share"))
        .select("segment_type", "segment", "topic_id", "count", "share")
        .sort("segment_type", "segment", "topic_id")
    )
