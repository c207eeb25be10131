"""Theme mentions at the sentence level: splitting, nearest-centroid assignment, multi-label presence."""

import numpy as np
import polars as pl
import pytest

from voc.metrics import InsightsConfig, theme_drivers
from voc.topics import OUTLIER
from voc.topics.mentions import (
    build_mentions,
    centroid_similarity,
    item_themes,
    items_from_mentions,
    nearest_themes,
    split_sentences,
    split_text,
    theme_presence,
    vader_scores,
)


def test_split_text_merges_short_fragments_and_keeps_every_word():
    text = "The app crashes on launch every time. yeah go on\nThe agent on the phone was lovely. fine. bye"
    out = split_text(text, min_words=4)
    assert out == ["The app crashes on launch every time. yeah go on",
                   "The agent on the phone was lovely. fine. bye"]
    assert " ".join(out).split() == text.split()


def test_split_text_short_first_fragment_joins_the_next_and_short_text_is_one_sentence():
    assert split_text("Hi. My bill is wrong again.", min_words=4) == ["Hi. My bill is wrong again."]
    assert split_text("fine. bye", min_words=4) == ["fine. bye"]
    with pytest.raises(ValueError, match="min_words"):
        split_text("x", min_words=0)


def test_split_sentences_numbers_sentences_and_skips_empty_text():
    items = pl.DataFrame({"feedback_id": ["b", "a", "c"],
                          "text": ["Bill charged twice this month. App keeps crashing on my phone.", "   ", None]})
    out = split_sentences(items, min_words=3)
    assert out["feedback_id"].to_list() == ["b", "b"]
    assert out["sentence_no"].to_list() == [0, 1]
    assert out["n_words"].to_list() == [5, 6]
    with pytest.raises(ValueError, match="'text'"):
        split_sentences(pl.DataFrame({"feedback_id": ["a"]}), min_words=3)


def _unit(v: list[float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    return a / np.linalg.norm(a)


def test_nearest_themes_picks_the_closest_centroid_and_leaves_far_sentences_out():
    centroids = {3: _unit([1, 0, 0]), 7: _unit([0, 1, 0])}
    emb = np.stack([_unit([0.9, 0.1, 0]), _unit([0.1, 0.9, 0.1]), _unit([0, 0, 1])])
    ids, sim = nearest_themes(emb, centroids, min_similarity=0.5)
    assert ids.tolist() == [3, 7, OUTLIER]
    assert sim[0] == pytest.approx(float(emb[0] @ centroids[3]))
    with pytest.raises(ValueError, match="dims"):
        nearest_themes(np.ones((1, 2), dtype=np.float32), centroids, min_similarity=0.5)
    ids, _ = nearest_themes(emb, {}, min_similarity=0.5)
    assert ids.tolist() == [OUTLIER] * 3


def _mentions() -> pl.DataFrame:
    sentences = pl.DataFrame({"feedback_id": ["a", "a", "a", "b"], "sentence_no": [0, 1, 2, 0],
                              "sentence": ["the app crashes", "the agent was lovely and kind to me", "ok then",
                                           "bill wrong"]},
                             schema_overrides={"sentence_no": pl.Int32})
    sentences = sentences.with_columns(pl.col("sentence").str.split(" ").list.len().cast(pl.Int32).alias("n_words"))
    info = pl.DataFrame({"topic_id": [-1, 0, 1, 2], "topic_label": ["(no theme)", "app", "agent", "bill"]},
                        schema_overrides={"topic_id": pl.Int32})
    ids = np.array([0, 1, OUTLIER, 2], dtype=np.int32)
    return build_mentions(sentences, ids, np.array([0.8, 0.7, 0.1, 0.9], dtype=np.float32), info,
                          sentiment=vader_scores(sentences["sentence"].to_list()))


def test_build_mentions_and_item_themes_give_a_primary_theme_and_all_themes():
    m = _mentions()
    assert m.select("feedback_id", "sentence_no", "topic_id").rows() == [("a", 0, 0), ("a", 1, 1), ("b", 0, 2)]
    assert m["topic_label"].to_list() == ["app", "agent", "bill"]
    assert m["sentiment_score"].min() >= -1 and m["sentiment_score"].max() <= 1
    per_item = item_themes(m)
    assert per_item["feedback_id"].to_list() == ["a", "b"]
    assert per_item["primary_topic_id"].to_list() == [1, 2]   # "the agent was lovely..." has the most words
    assert per_item["topic_ids"].to_list() == [[0, 1], [2]]
    assert per_item["n_themes"].to_list() == [2, 1]
    with pytest.raises(ValueError, match="sentences but"):
        build_mentions(pl.DataFrame({"feedback_id": ["a"]}), np.zeros(2, dtype=np.int32),
                       np.zeros(2, dtype=np.float32), pl.DataFrame({"topic_id": [0], "topic_label": ["x"]}))


def test_centroid_similarity_is_each_rows_cosine_to_its_own_theme():
    emb = np.stack([_unit([1, 0, 0]), _unit([1, 1, 0]), _unit([0, 0, 1])])
    centroids = {0: _unit([1, 0, 0]), 5: _unit([0, 1, 0])}
    sim = centroid_similarity(emb, np.array([0, 5, OUTLIER]), centroids)
    assert sim.tolist() == pytest.approx([1.0, float(_unit([1, 1, 0]) @ _unit([0, 1, 0])), 0.0])
    with pytest.raises(ValueError, match="3 rows but 2"):
        centroid_similarity(emb, np.array([0, 5]), centroids)


def _sentence_info(ids: list[int]) -> pl.DataFrame:
    """A theme table shaped as the stage's (topic_table, add_parents, stabilise_themes), counting sentences."""
    n = len(ids)
    return pl.DataFrame(
        {"topic_id": ids, "topic_label": [f"t{i}" for i in ids], "count": [10] * n, "top_words": ["w"] * n,
         "representative": ["r"] * n, "representatives": [["r"]] * n, "parent_id": ids,
         "parent_label": [f"t{i}" for i in ids], "theme_key": [f"T{i:03d}" for i in ids], "is_new": [True] * n,
         "match_similarity": [None] * n},
        schema_overrides={"topic_id": pl.Int32, "parent_id": pl.Int32, "match_similarity": pl.Float64},
    )


def test_items_from_mentions_gives_primary_themes_and_recounts_items():
    # sentence-fitted themes (topics.unit: sentence): info counted sentences, with no outlier row
    info = _sentence_info([0, 1, 2])
    topics, items_info = items_from_mentions(pl.Series(["b", "z", "a"]), _mentions(), info)
    assert topics.tolist() == [2, OUTLIER, 1]          # ids in the given order; z mentions nothing
    assert items_info["topic_id"].to_list() == [OUTLIER, 0, 1, 2]
    assert items_info["count"].to_list() == [1, 0, 1, 1]   # items, not sentences: app is a's second theme
    outlier = items_info.row(0, named=True)
    assert outlier == {"topic_id": OUTLIER, "topic_label": "(no theme)", "count": 1, "top_words": "",
                       "representative": "", "representatives": [], "parent_id": OUTLIER,
                       "parent_label": "(no theme)", "theme_key": None, "is_new": False, "match_similarity": None}
    assert items_info.schema == info.schema
    # every item themed: no outlier row, and the fit's own outlier row (unthemed sentences) is dropped
    with_outlier = pl.concat([items_info.filter(pl.col("topic_id") == OUTLIER), info])
    topics, items_info = items_from_mentions(pl.Series(["a", "b"]), _mentions(), with_outlier)
    assert topics.tolist() == [1, 2] and items_info["topic_id"].to_list() == [0, 1, 2]
    assert items_info["count"].to_list() == [0, 1, 1]


def test_theme_presence_is_multi_label_and_keeps_the_item_theme():
    topics = pl.DataFrame({"feedback_id": ["a", "b", "c"], "topic_id": [1, 2, -1], "topic_label": ["agent", "bill", "-"]},
                          schema_overrides={"topic_id": pl.Int32})
    p = theme_presence(topics, _mentions())
    assert p.select("feedback_id", "topic_id").rows() == [("a", 0), ("a", 1), ("b", 2)]
    assert theme_presence(topics).height == 2
    with pytest.raises(ValueError, match="topic_label"):
        theme_presence(topics.drop("topic_label"))


def test_drivers_accept_multi_label_presence_and_find_the_hidden_driver():
    # theme 1 lowers the answer by 3 points; it always appears beside another theme, so a single-label
    # assignment (the first theme) never sees it
    rng = np.random.default_rng(0)
    n = 600
    ids = [f"f{i:04d}" for i in range(n)]
    first = rng.integers(2, 6, n)
    has1 = rng.random(n) < 0.3
    nps = np.clip(np.round(7 + rng.normal(0, 1, n) - 3 * has1), 0, 10).astype(int)
    fb = pl.DataFrame({"feedback_id": ids, "channel": ["survey"] * n, "nps": nps.tolist()},
                      schema_overrides={"nps": pl.Int8})
    topics = pl.DataFrame({"feedback_id": ids, "topic_id": first.tolist(), "topic_label": [f"t{t}" for t in first]},
                          schema_overrides={"topic_id": pl.Int32})
    sent = pl.DataFrame({"feedback_id": ids, "sentiment_score": [0.0] * n})
    extra = topics.filter(pl.Series(has1)).with_columns(pl.lit(1, pl.Int32).alias("topic_id"),
                                                        pl.lit("t1").alias("topic_label"))
    presence = theme_presence(topics, extra)
    cfg = InsightsConfig(driver_bootstrap=0)
    table = theme_drivers(fb, topics, sent, config=cfg, seed=0, presence=presence).table
    top = table.sort("driver_rank").row(0, named=True)
    assert top["topic_id"] == 1 and top["significant"] and top["effect"] < -2
    assert top["n_items"] == int(has1.sum())
    single = theme_drivers(fb, topics, sent, config=cfg, seed=0).table
    assert 1 not in single["topic_id"].to_list()
    with pytest.raises(ValueError, match="presence lacks"):
        theme_drivers(fb, topics, sent, config=cfg, seed=0, presence=presence.drop("topic_label"))


def test_theme_presence_fallback_uses_the_item_theme_only_for_items_without_a_mention():
    # "a" pooled into theme 2 although its sentences speak of themes 0 and 1; "c" has no mention at all
    topics = pl.DataFrame({"feedback_id": ["a", "b", "c"], "topic_id": [2, 2, 1], "topic_label": ["bill", "bill", "agent"]},
                          schema_overrides={"topic_id": pl.Int32})
    always = theme_presence(topics, _mentions())
    assert always.select("feedback_id", "topic_id").rows() == [("a", 0), ("a", 1), ("a", 2), ("b", 2), ("c", 1)]
    fallback = theme_presence(topics, _mentions(), item_theme="fallback")
    assert fallback.select("feedback_id", "topic_id").rows() == [("a", 0), ("a", 1), ("b", 2), ("c", 1)]


def test_the_mention_bar_follows_the_encoder_and_rejects_unknown_backends():
    """model2vec's cosines run higher than MiniLM's: one bar for both let its stray sentences carry themes
    (benchmarks/results/mentions.json: precision 0.609 at 0.4, 0.761 at 0.7)."""
    from voc.config import build
    from voc.topics.model import MentionsConfig

    cfg = build(MentionsConfig, {"min_similarity": 0.5, "min_similarity_by_backend": {"model2vec": 0.7}},
                where="topics.mentions")
    assert cfg.bar("model2vec") == 0.7
    assert cfg.bar("sentence-transformers") == cfg.bar("onnx-int8") == 0.5
    assert MentionsConfig().bar("model2vec") == MentionsConfig().min_similarity     # no table: one bar
    with pytest.raises(ValueError, match="unknown backend.*'minilm'"):
        build(MentionsConfig, {"min_similarity_by_backend": {"minilm": 0.6}}, where="topics.mentions")
    with pytest.raises(ValueError, match="between -1 and 1"):
        build(MentionsConfig, {"min_similarity_by_backend": {"model2vec": 7}}, where="topics.mentions")
