"""The data-driven theme merge: a dendrogram cut chosen by the silhouette of the items, not by a preset k."""

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from voc.topics import OUTLIER, choose_theme_cut, silhouette_cosine


def _blobs(n_per: int, centres: int, *, dim: int = 16, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around ``centres`` random directions, with their true cluster."""
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centres, dim))
    truth = np.repeat(np.arange(centres), n_per)
    x = c[truth] + rng.normal(scale=noise * np.sqrt(dim) / 4, size=(truth.size, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), truth


def test_silhouette_matches_sklearn():
    x, truth = _blobs(20, 3, noise=0.6)
    labels = truth.copy()
    labels[:5] = 1                                       # some items in the wrong cluster
    labels[-1] = 7                                       # a singleton scores 0, as in sklearn
    assert silhouette_cosine(x, labels) == pytest.approx(silhouette_score(x, labels, metric="cosine"), abs=1e-6)


def test_theme_silhouette_is_sklearns_of_every_item():
    from sklearn.metrics import silhouette_samples

    from voc.topics.model import ThemeSilhouette

    x, truth = _blobs(20, 4, noise=0.6)
    x = x * np.linspace(0.5, 2.0, x.shape[0])[:, None]    # any length: the cosine does not see it
    themes = truth * 2 + (np.arange(truth.size) % 2)     # 8 themes
    themes[:3] = OUTLIER                                 # left out
    themes[-1] = 9                                       # a theme of one item: it scores 0, as in sklearn
    ids = sorted(set(themes.tolist()) - {OUTLIER})
    scorer = ThemeSilhouette(x, themes, ids)
    for groups in (np.arange(len(ids)), np.array([0, 0, 1, 1, 2, 2, 3, 3, 4]), np.array([5, 5, 5, 5, 7, 7, 7, 7, 7])):
        kept = themes != OUTLIER
        labels = groups[np.searchsorted(ids, themes[kept])]
        assert scorer.items(groups) == pytest.approx(silhouette_samples(x[kept], labels, metric="cosine"), abs=1e-6)
    with pytest.raises(ValueError, match="2 groups or more"):
        scorer.items(np.zeros(len(ids), dtype=int))


def test_cut_on_every_item_needs_no_draw():
    x, truth = _blobs(40, 3)
    leaves = truth * 2 + (np.arange(truth.size) % 2)     # each true cluster split in two
    mapping, score = choose_theme_cut(x, leaves, min_silhouette=0.25, sample_size=None, seed=1)
    assert choose_theme_cut(x, leaves, min_silhouette=0.25, sample_size=None, seed=99) == (mapping, score)
    merged = np.array([mapping[t] for t in leaves.tolist()])
    assert len(set(merged.tolist())) == 3 and all(len(set(merged[truth == t].tolist())) == 1 for t in range(3))
    assert score == pytest.approx(silhouette_score(x, merged, metric="cosine"), abs=1e-6)


def test_silhouette_needs_two_clusters():
    x, _ = _blobs(5, 2)
    with pytest.raises(ValueError, match="2..9 clusters"):
        silhouette_cosine(x, np.zeros(10, dtype=int))


def test_split_clusters_are_merged_back_and_renumbered_by_size():
    x, truth = _blobs(40, 3)
    x = np.concatenate([x, x[:10]])                      # cluster 0 is the largest
    truth = np.concatenate([truth, truth[:10]])
    leaves = truth * 2 + (np.arange(truth.size) % 2)     # each true cluster split into two leaf themes
    leaves[3] = OUTLIER
    mapping, score = choose_theme_cut(x, leaves, min_silhouette=0.25, sample_size=500, seed=1)
    assert score is not None and score >= 0.25
    assert mapping[OUTLIER] == OUTLIER
    merged = np.array([mapping[t] for t in leaves.tolist()])
    assert sorted(set(merged.tolist()) - {OUTLIER}) == [0, 1, 2]
    for t in range(3):                                   # both halves of a true cluster share one theme
        assert len(set(merged[(truth == t) & (leaves != OUTLIER)].tolist())) == 1
    assert mapping[0] == mapping[1] == 0                 # the largest merged theme takes id 0


def test_well_separated_themes_are_kept():
    x, truth = _blobs(30, 4)
    mapping, score = choose_theme_cut(x, truth, min_silhouette=0.25, sample_size=500, seed=1)
    assert mapping == {OUTLIER: OUTLIER, 0: 0, 1: 1, 2: 2, 3: 3}
    assert score is not None and score > 0.5


def test_no_structure_keeps_every_theme():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 16)).astype(np.float32)
    labels = rng.integers(0, 6, size=200)
    mapping, score = choose_theme_cut(x, labels, min_silhouette=0.25, sample_size=150, seed=1)
    assert all(k == v for k, v in mapping.items())
    assert score is not None and score < 0.25


def test_cut_is_deterministic_and_needs_three_themes():
    x, truth = _blobs(30, 3, noise=0.5)
    leaves = truth * 2 + (np.arange(truth.size) % 2)
    first = choose_theme_cut(x, leaves, min_silhouette=0.0, sample_size=50, seed=5)
    assert first == choose_theme_cut(x, leaves, min_silhouette=0.0, sample_size=50, seed=5)
    assert choose_theme_cut(x, truth.clip(0, 1), min_silhouette=0.0, sample_size=50, seed=5) == (
        {OUTLIER: OUTLIER, 0: 0, 1: 1}, None
    )


def test_cut_bounds_for_parent_themes():
    from voc.topics.model import theme_cut_bounds

    assert theme_cut_bounds(78) == (9, 18)
    assert theme_cut_bounds(18) == (5, 9)
    assert theme_cut_bounds(12) == (4, 6)
    assert theme_cut_bounds(4) == (2, 2)


def test_merge_never_goes_below_min_groups():
    x, truth = _blobs(40, 3)
    leaves = truth * 2 + (np.arange(truth.size) % 2)     # 6 leaves; the best cut would be the 3 true clusters
    free, _ = choose_theme_cut(x, leaves, min_silhouette=0.0, sample_size=500, seed=1)
    assert len(set(free.values()) - {OUTLIER}) == 3
    bounded, score = choose_theme_cut(x, leaves, min_silhouette=0.0, sample_size=500, seed=1, min_groups=4)
    assert len(set(bounded.values()) - {OUTLIER}) >= 4 and score is not None
    capped, _ = choose_theme_cut(x, leaves, min_silhouette=0.0, sample_size=500, seed=1, max_groups=2)
    assert len(set(capped.values()) - {OUTLIER}) == 2


def test_parent_groups_recover_the_true_clusters_of_split_themes():
    from voc.topics import choose_parent_groups

    x, truth = _blobs(30, 6, seed=2)
    leaves = truth * 2 + (np.arange(truth.size) % 2)     # 12 themes; bounds 4..6 parents
    groups, score = choose_parent_groups(x, leaves, sample_size=500, seed=1)
    assert score is not None and score > 0.25
    assert len(set(groups.values()) - {OUTLIER}) == 6
    for t in range(6):
        assert groups[2 * t] == groups[2 * t + 1]        # the two halves of a true cluster share a parent
    few, none = choose_parent_groups(x[:90], truth[:90], sample_size=500, seed=1)   # 3 themes: own parents
    assert few == {OUTLIER: OUTLIER, 0: 0, 1: 1, 2: 2} and none is None


def _nested(sub_scale: float, noise: float, *, n: int = 40, dim: int = 16,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Six themes in two families of three: unit vectors around family centre + a smaller offset per theme."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(2, dim))[np.arange(6) // 3] + rng.normal(size=(6, dim)) * sub_scale
    truth = np.repeat(np.arange(6), n)
    x = centres[truth] + rng.normal(scale=noise, size=(truth.size, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), truth


def test_one_standard_error_rule_keeps_fewer_themes_when_the_silhouette_cannot_tell():
    x, truth = _nested(0.5, 0.3)     # six themes score 0.689, the two families 0.684: well within one SE
    best, best_score = choose_theme_cut(x, truth, min_silhouette=0.0, sample_size=500, seed=1)
    assert all(k == v for k, v in best.items()) and best_score is not None  # the leaves score best: all kept
    fewest, score = choose_theme_cut(x, truth, min_silhouette=0.0, sample_size=500, seed=1, one_se=True)
    merged = np.array([fewest[t] for t in truth.tolist()])
    assert sorted(set(merged.tolist())) == [0, 1]
    assert all(len(set(merged[(truth // 3) == f].tolist())) == 1 for f in (0, 1))  # each family is one theme
    assert score is not None and best_score - 0.01 < score < best_score  # the kept cut's own silhouette
    # a cut below min_silhouette is never taken, even within one standard error of the best
    kept, _ = choose_theme_cut(x, truth, min_silhouette=(score + best_score) / 2, sample_size=500, seed=1,
                               one_se=True)
    assert all(k == v for k, v in kept.items())


def test_one_standard_error_rule_keeps_a_clear_best_cut():
    x, truth = _nested(0.7, 0.2)     # the six themes are clearly apart: the rule changes nothing
    plain = choose_theme_cut(x, truth, min_silhouette=0.0, sample_size=500, seed=1)
    assert choose_theme_cut(x, truth, min_silhouette=0.0, sample_size=500, seed=1, one_se=True) == plain


def test_word_groups_join_the_themes_that_share_their_words():
    from voc.topics.model import word_groups

    weights = np.array([[1.0, 0.9, 0, 0], [0.8, 1.0, 0, 0.1], [0, 0, 1.0, 0.7], [0, 0.1, 0.9, 1.0], [0, 0, 0, 0]])
    two = word_groups(weights, 2)      # the wordless theme is at distance 1 from all: it joins last
    assert two[0] == two[1] == two[2] == two[3] != two[4]
    three = word_groups(weights, 3)
    assert three[0] == three[1] and three[2] == three[3] and len({three[0], three[2], three[4]}) == 3
    # themes that share no word tie at distance 1: still exactly k groups (fcluster's maxclust gave one)
    tied = word_groups(np.eye(4)[[0, 1, 2, 3, 3]], 3)
    assert len(set(tied.tolist())) == 3 and tied[3] == tied[4]
    assert len(set(word_groups(np.zeros((5, 3)), 2).tolist())) == 2


def test_merge_by_words_keeps_the_number_of_groups_and_forms_them_by_words():
    x, truth = _blobs(40, 3)
    leaves = truth * 2 + (np.arange(truth.size) % 2)     # 6 leaves; the centroids pair (0, 1), (2, 3), (4, 5)
    by_meaning, meaning_score = choose_theme_cut(x, leaves, min_silhouette=0.0, sample_size=500, seed=1)
    words = np.eye(3)[np.arange(6) % 3] + 0.01           # the words pair (0, 3), (1, 4), (2, 5)
    by_words, score = choose_theme_cut(x, leaves, min_silhouette=0.0, sample_size=500, seed=1,
                                       word_weights=lambda: words)
    assert len(set(by_meaning.values()) - {OUTLIER}) == len(set(by_words.values()) - {OUTLIER}) == 3
    assert by_meaning[0] == by_meaning[1] and by_meaning[2] == by_meaning[3]
    assert by_words[0] == by_words[3] and by_words[1] == by_words[4] and by_words[2] == by_words[5]
    assert len({by_words[0], by_words[1], by_words[2]}) == 3
    assert score is not None and score == meaning_score     # the centroid cut decided whether and how many

    def never() -> np.ndarray:
        raise AssertionError("word weights computed although nothing merges")

    # themes kept as they are (no cut reaches the bar) stay so, and their words are never computed
    kept, _ = choose_theme_cut(x, leaves, min_silhouette=0.99, sample_size=500, seed=1, word_weights=never)
    assert all(k == v for k, v in kept.items())
    with pytest.raises(ValueError, match="5 rows of word weights for 6 themes"):
        choose_theme_cut(x, leaves, min_silhouette=0.0, sample_size=500, seed=1, word_weights=lambda: words[:5])


def test_theme_word_weights_give_one_row_per_theme_in_id_order():
    from voc.topics import TopicsConfig
    from voc.topics.model import _vectorizer, theme_word_weights

    docs = ["refund delayed again", "refund still missing", "refund not received", "login fails daily",
            "login page broken", "login code never arrives", "noise words here"] * 3
    topics = np.array([0, 0, 0, 2, 2, 2, OUTLIER] * 3)
    config = TopicsConfig(min_df=1)
    vectorizer = _vectorizer(config, docs)
    weights = theme_word_weights(docs, topics, vectorizer, config)
    vocab = np.array(vectorizer.get_feature_names_out())
    used = vocab[~np.isin(vocab, ["noise", "words", "noise words", "words here"])]   # only the outliers say these
    assert weights.shape == (2, used.size)                             # themes 0 and 2; outliers left out
    dense = weights.toarray()
    assert np.isfinite(dense).all()
    assert used[dense[0].argmax()] == "refund" and used[dense[1].argmax()] == "login"
    assert dense[0][used == "login"] == 0 and dense[1][used == "refund"] == 0


def test_ward_item_tree_is_scipys_ward_when_each_theme_holds_one_item():
    from scipy.cluster.hierarchy import linkage

    from voc.topics.model import ward_item_tree

    x, _ = _blobs(6, 3, noise=0.5)                       # 18 unit vectors, each its own theme
    topics = np.arange(18)
    ours = ward_item_tree(x, topics, list(range(18)))
    theirs = linkage(x.astype(np.float64), method="ward")
    np.testing.assert_allclose(ours[:, 2], theirs[:, 2], rtol=1e-6)    # ours renormalises the float32 vectors
    np.testing.assert_array_equal(ours[:, [0, 1, 3]], theirs[:, [0, 1, 3]])


def test_ward_item_tree_weighs_themes_by_their_items():
    """Two large themes close together and two small ones apart: counted as points, the close large themes
    join first; weighed by their items, the small ones do, and the large themes keep their own parents."""
    from scipy.cluster.hierarchy import fcluster, linkage

    from voc.topics.model import ward_item_tree

    rng = np.random.default_rng(3)
    centres = np.zeros((4, 8))
    centres[0, 0], centres[1, 0], centres[1, 1] = 1.0, 1.0, 0.35     # large themes 0 and 1, 0.35 apart
    centres[2, 2], centres[3, 2], centres[3, 3] = 1.0, 1.0, 0.5      # small themes 2 and 3, 0.5 apart
    sizes = [200, 200, 6, 6]
    topics = np.repeat(np.arange(4), sizes)
    x = centres[topics] + rng.normal(scale=0.01, size=(topics.size, 8))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    items = fcluster(ward_item_tree(x, topics, [0, 1, 2, 3]), t=3, criterion="maxclust")
    assert items[0] != items[1] and items[2] == items[3]
    unit = np.stack([x[topics == t].mean(axis=0) for t in range(4)]).astype(np.float64)
    points = fcluster(linkage(unit / np.linalg.norm(unit, axis=1, keepdims=True), method="ward"), t=3,
                      criterion="maxclust")
    assert points[0] == points[1] and points[2] != points[3]
    outliers = topics.copy()
    outliers[:5] = OUTLIER                                 # outliers weigh nothing
    np.testing.assert_array_equal(fcluster(ward_item_tree(x, outliers, [0, 1, 2, 3]), t=3, criterion="maxclust"),
                                  items)
