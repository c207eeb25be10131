import numpy as np
import polars as pl
import pytest

from voc.metrics import InsightsConfig, relative_weights, theme_drivers


def _planted(n: int = 900, seed: int = 3):
    """Survey responses with planted theme effects on the 0-10 answer, plus reviews for the channel mix."""
    rng = np.random.default_rng(seed)
    labels = {0: "rude agent", 1: "helpful agent", 2: "delivery", 3: "price"}
    effect = {0: -3.0, 1: 2.0, 2: 0.0, 3: 0.0}
    topic = rng.integers(0, 4, n)
    sent = np.clip(rng.normal(0, 0.5, n) + np.where(topic == 0, -0.3, 0) + np.where(topic == 1, 0.3, 0), -1, 1)
    score = np.clip(np.round(7 + 2.0 * sent + np.array([effect[t] for t in topic]) + rng.normal(0, 1.5, n)), 0, 10)
    ids = [f"s{i:04d}" for i in range(n)]
    n_rev = 300
    rev_topic = rng.choice([2, 3], n_rev)  # public channels talk about delivery and price only
    rids = [f"r{i:04d}" for i in range(n_rev)]
    feedback = pl.DataFrame({
        "feedback_id": ids + rids + ["s_nocomment"],
        "channel": ["survey"] * n + ["review"] * n_rev + ["survey"],
        "nps": [int(s) for s in score] + [None] * n_rev + [10],
    }, schema_overrides={"nps": pl.Int8})
    topics = pl.DataFrame({"feedback_id": ids + rids, "topic_id": np.concatenate([topic, rev_topic]).astype(np.int32),
                           "topic_label": [labels[t] for t in np.concatenate([topic, rev_topic])]})
    sentiment = pl.DataFrame({"feedback_id": ids + rids,
                              "sentiment_score": np.concatenate([sent, rng.uniform(-1, 1, n_rev)])})
    return feedback, topics, sentiment


def test_planted_drivers_come_out_on_top_and_nulls_are_not_significant():
    fb, topics, sent = _planted()
    res = theme_drivers(fb, topics, sent, config=InsightsConfig(min_theme_n=10, driver_bootstrap=50), seed=0)
    t = res.table
    assert t["topic_id"].to_list() == [0, 1, 2, 3]
    by = {r["topic_label"]: r for r in t.iter_rows(named=True)}
    assert {by["rude agent"]["driver_rank"], by["helpful agent"]["driver_rank"]} == {1, 2}
    assert by["rude agent"]["significant"] and by["rude agent"]["effect"] < 0
    assert by["helpful agent"]["significant"] and by["helpful agent"]["effect"] > 0
    assert not by["delivery"]["significant"] and not by["price"]["significant"]
    assert by["rude agent"]["nps_impact"] > 0 > by["helpful agent"]["nps_impact"]  # removing rude raises NPS
    lo, hi = by["rude agent"]["relative_weight_ci_low"], by["rude agent"]["relative_weight_ci_high"]
    assert lo <= by["rude agent"]["relative_weight"] <= hi
    # surveys never mention delivery in public channels' proportion: the share gap is flagged
    assert by["rude agent"]["share_unsolicited"] == 0.0 and by["rude agent"]["channels_disagree"]
    assert res.summary["n_nps_without_sentiment_or_topic"] == 1
    assert {d["topic_label"] for d in res.summary["top_drivers"]} == {"rude agent", "helpful agent"}


def test_relative_weights_sum_to_r_squared():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    X[:, 1] += 0.6 * X[:, 0]
    y = X @ np.array([1.0, 0.5, 0.0]) + rng.normal(size=400)
    w = relative_weights(X, y)
    A = np.column_stack([np.ones(400), X])
    resid = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
    assert w.sum() == pytest.approx(1 - resid.var() / y.var(), rel=1e-6)
    assert w[0] > w[1] > w[2] >= 0


def test_small_themes_get_no_estimate_and_say_so():
    fb = pl.DataFrame({"feedback_id": ["a", "b", "c"], "channel": ["survey"] * 3, "nps": [0, 10, 9]},
                      schema_overrides={"nps": pl.Int8})
    topics = pl.DataFrame({"feedback_id": ["a", "b", "c"], "topic_id": [0, 1, 1], "topic_label": ["x", "y", "y"]},
                          schema_overrides={"topic_id": pl.Int32})
    sent = pl.DataFrame({"feedback_id": ["a", "b", "c"], "sentiment_score": [-0.9, 0.8, 0.5]})
    t = theme_drivers(fb, topics, sent, config=InsightsConfig(min_theme_n=10), seed=0).table
    assert not t["enough_data"].any() and t["effect"].null_count() == t.height
    assert not t["significant"].any()
    assert t.filter(pl.col("topic_id") == 0)["nps_impact"][0] == pytest.approx(100.0 - 33.33, abs=0.01)


def test_missing_column_and_duplicate_topic_fail_loudly():
    fb = pl.DataFrame({"feedback_id": ["a"], "nps": [5]})
    topics = pl.DataFrame({"feedback_id": ["a"], "topic_id": [0], "topic_label": ["x"]})
    sent = pl.DataFrame({"feedback_id": ["a"], "sentiment_score": [0.0]})
    with pytest.raises(ValueError, match="feedback lacks the column\\(s\\) \\['channel'\\]"):
        theme_drivers(fb, topics, sent, config=InsightsConfig(), seed=0)
    fb = fb.with_columns(pl.lit("survey").alias("channel"))
    with pytest.raises(ValueError, match="feedback_id 'a' more than once"):
        theme_drivers(fb, pl.concat([topics, topics]), sent, config=InsightsConfig(), seed=0)
