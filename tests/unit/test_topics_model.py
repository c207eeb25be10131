"""The fitted theme model on a small synthetic corpus: deterministic, recovers planted themes, reloads."""

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import adjusted_mutual_info_score

from voc.topics import (
    OUTLIER, ThemeClusterer, TopicsConfig, fit_topic_model, harmonise_duplicates, largest_share,
    min_cluster_size,
)
from voc.topics.store import ThemeIndex, load_theme_index, predict_themes, save_topic_model

THEMES = {
    0: ["refund", "money", "back", "charged", "twice", "invoice"],
    1: ["app", "crash", "login", "error", "password", "screen"],
    2: ["parcel", "courier", "delivery", "late", "tracking", "driver"],
}
DIM = 24


def _corpus(n_per_theme: int = 40, seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts drawn from each theme's words, and fake embeddings: the theme's centre plus noise."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(THEMES), DIM))
    docs, vecs, truth = [], [], []
    for t, words in THEMES.items():
        for i in range(n_per_theme):
            docs.append(" ".join(rng.choice(words, size=4, replace=True)) + f" item{i}")
            vecs.append(centres[t] + rng.normal(scale=0.25, size=DIM))
            truth.append(t)
    emb = np.asarray(vecs, dtype=np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    return docs, emb, np.asarray(truth)


CONFIG = TopicsConfig(min_topic_share=0.05, min_topic_size=10, representation="ctfidf", min_df=1,
                      n_neighbors=10, parent_distance=0.3)


@pytest.fixture(scope="module")
def fitted():
    docs, emb, truth = _corpus()
    first = fit_topic_model(docs, emb, config=CONFIG, seed=7)
    second = fit_topic_model(docs, emb, config=CONFIG, seed=7)
    return docs, emb, truth, first, second


def test_two_fits_give_identical_assignments_and_labels(fitted):
    _, _, _, first, second = fitted
    np.testing.assert_array_equal(first.raw_topics, second.raw_topics)
    np.testing.assert_array_equal(first.topics, second.topics)
    assert first.info.equals(second.info)


def test_planted_themes_are_found_without_being_told_k(fitted):
    _, _, truth, result, _ = fitted
    assert len(set(result.topics.tolist()) - {OUTLIER}) == len(THEMES)
    assert adjusted_mutual_info_score(truth, result.topics) > 0.9
    info = result.info.filter(pl.col("topic_id") != OUTLIER)
    for label, reps in zip(info["topic_label"].to_list(), info["representatives"].to_list(), strict=True):
        assert label and label != "(no words)"
        assert 1 <= len(reps) <= CONFIG.n_representatives
    assert set(info["parent_id"].to_list()) <= set(info["topic_id"].to_list())


def test_reloaded_model_assigns_training_items_their_themes(fitted, tmp_path):
    docs, emb, _, result, _ = fitted
    save_topic_model(result.model, ThemeIndex(emb, result.topics, result.info), tmp_path / "topic_model")
    assert (tmp_path / "topic_model" / "bertopic").is_dir()
    index = load_theme_index(tmp_path / "topic_model")
    np.testing.assert_array_equal(predict_themes(index, emb, block=50), result.topics)
    # A new item near a training item takes that item's theme.
    near = emb[:3] + 0.01
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    np.testing.assert_array_equal(predict_themes(index, near), result.topics[:3])
    with pytest.raises(ValueError, match="dims"):
        predict_themes(index, emb[:, :5])
    with pytest.raises(FileNotFoundError, match="not a saved theme model"):
        load_theme_index(tmp_path)


def test_theme_size_scales_with_the_corpus_within_bounds():
    cfg = TopicsConfig(min_topic_share=0.01, min_topic_size=10, max_topic_size=200)
    assert min_cluster_size(100, cfg) == 10
    assert min_cluster_size(5_000, cfg) == 50
    assert min_cluster_size(300_000, cfg) == 200


def test_identical_texts_get_one_theme():
    emb = np.array([[1, 0], [0, 1], [1, 0], [1, 0]], dtype=np.float32)
    out = harmonise_duplicates(emb, np.array([3, 5, 4, 3]))
    assert out.tolist() == [3, 5, 3, 3]


def test_mismatched_inputs_fail_clearly():
    docs, emb, _ = _corpus(n_per_theme=5)
    with pytest.raises(ValueError, match="docs but"):
        fit_topic_model(docs[:-1], emb, config=CONFIG, seed=1)


def test_no_theme_word_spans_two_texts():
    """BERTopic joins a theme's texts before counting; "late courier" is said only in theme 2's texts, so it
    must not appear among theme 1's words although theme 1's texts end in "late" and begin with "courier"."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(2, DIM))
    docs = ["parcel late", "courier lost it", "driver late"] * 14 + ["late courier again", "slow courier"] * 21
    vecs = [centres[0] + rng.normal(scale=0.2, size=DIM) for _ in range(42)]
    vecs += [centres[1] + rng.normal(scale=0.2, size=DIM) for _ in range(42)]
    emb = np.asarray(vecs, dtype=np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    cfg = TopicsConfig(min_topic_share=0.1, min_topic_size=10, min_df=3, n_neighbors=10, merge="none")
    result = fit_topic_model(docs, emb, config=cfg, seed=7)
    first = int(result.topics[0])
    assert set(result.topics[:42].tolist()) == {first}
    words = [w for w, _ in result.model.get_topic(first)]
    assert "late" in words and "courier" in words and "late courier" not in words, words
    every_word = [w for k in result.model.get_topics() for w, _ in result.model.get_topic(k)]
    assert not any(w.isdigit() or w.endswith(" 0") for w in every_word)


class _RecordingEncoder:
    """A stand-in sentence encoder for BERTopic's KeyBERT-inspired and MMR steps: a fixed random vector per word,
    summed; it records every text it is asked to embed."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, documents, verbose=False):
        import hashlib

        self.seen.extend(str(d) for d in documents)
        out = []
        for doc in documents:
            vec = np.zeros(DIM)
            for word in str(doc).split():
                vec += np.random.default_rng(int(hashlib.md5(word.encode()).hexdigest()[:8], 16)).normal(size=DIM)
            out.append(vec / (np.linalg.norm(vec) + 1e-9))
        return np.asarray(out)


@pytest.mark.parametrize("representation", ["keybert", "mmr", "keybert+mmr"])
def test_tuned_theme_words_keep_the_plural_step_and_the_texts_as_written(representation, monkeypatch):
    """With KeyBERT-inspired or MMR words, a plural still never follows its singular, each theme keeps
    ``top_n_words`` words, and the encoder never sees the item-end marker."""
    from bertopic.backend import BaseEmbedder

    class Encoder(_RecordingEncoder, BaseEmbedder):
        pass

    monkeypatch.setitem(THEMES, 0, ["refund", "refunds", "invoice", "invoices", "charged", "twice"])
    docs, emb, _ = _corpus()
    encoder = Encoder()
    cfg = TopicsConfig(min_topic_share=0.05, min_topic_size=10, min_df=1, n_neighbors=10, top_n_words=6,
                       representation=representation)
    result = fit_topic_model(docs, emb, config=cfg, seed=7, embedding_model=encoder)
    assert encoder.seen and not [t for t in encoder.seen if t.endswith(" 0")]
    for topic in set(result.topics.tolist()) - {OUTLIER}:
        words = [w for w, _ in result.model.get_topic(topic) if w]
        assert len(words) == 6, words
        singular = {"refunds": "refund", "invoices": "invoice"}
        keys = [" ".join(singular.get(w, w) for w in word.split()) for word in words]
        assert len(keys) == len(set(keys)), words   # e.g. "invoice invoices" after "invoices invoice"


def _nested_layout() -> np.ndarray:
    """Four close groups of 200 points (one giant cluster to EOM) and one far group of 60."""
    rng = np.random.default_rng(0)
    centres = [(0.0, 0.0), (1.2, 0.0), (0.0, 1.2), (1.2, 1.2), (8.0, 8.0)]
    return np.vstack([np.array(c) + rng.normal(scale=0.25, size=(60 if c[0] == 8.0 else 200, 2)) for c in centres])


def test_eom_that_leaves_one_giant_theme_is_redone_with_leaf_selection(caplog):
    from hdbscan import HDBSCAN

    layout = _nested_layout()
    eom = HDBSCAN(min_cluster_size=30, cluster_selection_method="eom").fit(layout).labels_
    assert largest_share(eom) == pytest.approx(800 / 860)    # the collapse the guard is for
    guarded = ThemeClusterer(min_cluster_size=30, min_samples=None, selection="eom", max_share=0.5).fit(layout)
    leaf = HDBSCAN(min_cluster_size=30, cluster_selection_method="leaf").fit(layout).labels_
    assert guarded.selection_ == "leaf"
    np.testing.assert_array_equal(guarded.labels_, leaf)
    assert len(set(leaf.tolist()) - {OUTLIER}) == 5 and largest_share(leaf) < 0.5
    assert "redone with leaf selection" in caplog.text


def test_eom_is_kept_when_no_theme_holds_more_than_the_share():
    from hdbscan import HDBSCAN

    layout = _nested_layout()
    kept = ThemeClusterer(min_cluster_size=30, min_samples=None, selection="eom", max_share=0.95).fit(layout)
    assert kept.selection_ == "eom"
    np.testing.assert_array_equal(kept.labels_, HDBSCAN(min_cluster_size=30).fit(layout).labels_)


def test_largest_share_ignores_outliers():
    assert largest_share(np.array([OUTLIER, OUTLIER, 0, 0, 0, 1])) == pytest.approx(0.75)
    assert largest_share(np.array([OUTLIER, OUTLIER])) == 0.0


def test_fit_reports_the_selection_that_made_its_themes(fitted):
    assert fitted[3].cluster_selection == "eom"   # three themes of a third each: eom kept


class _Layout:
    """A stand-in for UMAP that returns a fixed layout (fit is a no-op)."""

    def __init__(self, layout: np.ndarray) -> None:
        self.layout = layout

    def fit(self, x, y=None):
        return self

    def transform(self, x):
        return self.layout


def _straggler_corpus() -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """The three-theme corpus plus 6 items that lie far from every theme in the layout (HDBSCAN's outliers)
    but nearest the delivery theme by embedding, each saying "voucher": texts, embeddings, a 2-d layout and
    the planted themes of the first items."""
    docs, emb, truth = _corpus()
    rng = np.random.default_rng(5)
    docs = docs + [f"voucher voucher expired voucher late {i}" for i in range(6)]
    emb = np.vstack([emb, emb[truth == 2][:6] + rng.normal(scale=0.05, size=(6, DIM)).astype(np.float32)])
    layout = np.vstack([rng.normal(scale=0.1, size=(len(truth), 2)) + 10 * truth[:, None],
                        100 + 30 * np.arange(6)[:, None] * np.ones((1, 2))])
    return docs, emb, layout, truth


def _stragglers(theme_words: str) -> tuple[list[str], list[int]]:
    """``_straggler_corpus`` fitted without merging: the delivery theme's words and its count in the topic
    table."""
    docs, emb, layout, truth = _straggler_corpus()
    cfg = TopicsConfig(min_topic_share=0.05, min_topic_size=10, min_df=1, merge="none", theme_words=theme_words)
    result = fit_topic_model(docs, emb, config=cfg, seed=7, reducer=_Layout(layout))
    assert (result.raw_topics[-6:] == OUTLIER).all() and (result.topics[-6:] != OUTLIER).all()
    delivery = int(result.topics[:-6][truth == 2][0])
    assert set(result.topics[-6:].tolist()) == {delivery}
    # the result says whose words describe the themes: with core, the 6 reassigned items are left out
    assert result.described[-6:].tolist() == [OUTLIER if theme_words == "core" else delivery] * 6
    assert np.array_equal(result.described[:-6], result.topics[:-6])
    words = [w for w, _ in result.model.get_topic(delivery)]
    counts = result.info.filter(pl.col("topic_id") == delivery)["count"].to_list()
    return words, counts


def test_reassigned_outliers_carry_the_theme_but_not_its_words():
    core_words, core_count = _stragglers("core")
    all_words, all_count = _stragglers("all")
    assert "voucher" not in core_words and "voucher" in all_words, (core_words, all_words)
    assert core_count == all_count == [46]     # the theme's count holds its 40 items and the 6 reassigned


def test_described_by_keeps_the_items_of_a_theme_without_a_core_item():
    from voc.topics.model import described_by

    topics = np.array([0, 0, 1, 1, 2])
    raw = np.array([0, OUTLIER, 1, 1, OUTLIER])
    assert described_by(topics, raw).tolist() == [0, OUTLIER, 1, 1, 2]
    assert described_by(topics, topics).tolist() == topics.tolist()


@pytest.mark.parametrize("merge_words", ["all", "core"])
def test_merge_words_choose_whose_words_the_themes_are_grouped_by(merge_words, monkeypatch):
    """With merge_by: words, the grouping compares the themes' words of every item (all) or of the items
    HDBSCAN placed in them (core): the 6 reassigned outliers of ``_straggler_corpus`` count only in the first."""
    import voc.topics.model as model

    seen: list[np.ndarray] = []
    weights = model.theme_word_weights

    def spy(docs, topics, vectorizer, config):
        seen.append(np.asarray(topics).copy())
        return weights(docs, topics, vectorizer, config)

    def cut(embeddings, topics, *, word_weights, **kwargs):   # asks for the words, merges nothing
        word_weights()
        return {t: t for t in set(topics.tolist())}, None

    monkeypatch.setattr(model, "theme_word_weights", spy)
    monkeypatch.setattr(model, "choose_theme_cut", cut)
    docs, emb, layout, truth = _straggler_corpus()
    cfg = TopicsConfig(min_topic_share=0.05, min_topic_size=10, min_df=1, merge_words=merge_words)
    result = fit_topic_model(docs, emb, config=cfg, seed=7, reducer=_Layout(layout))
    assert len(seen) == 1
    stragglers = seen[0][-6:].tolist()
    assert stragglers == ([OUTLIER] * 6 if merge_words == "core" else result.topics[-6:].tolist())
    assert OUTLIER not in result.topics[-6:].tolist()
    assert np.array_equal(seen[0][:-6], result.topics[:-6])
