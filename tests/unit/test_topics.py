import datetime as dt

import numpy as np
import polars as pl
import pytest

from voc.topics import TopicsConfig, assign_topics, fit_topic_model, label_from_words, topics_over_time


def test_label_skips_words_that_repeat_a_token():
    assert label_from_words(["billing error", "billing", "charged twice", "refund"], n=3) == (
        "billing error · charged twice · refund"
    )
    assert label_from_words([], n=3) == "(no words)"


def test_assign_and_over_time():
    info = pl.DataFrame({"topic_id": [-1, 0], "topic_label": ["(no theme)", "bill"]},
                        schema_overrides={"topic_id": pl.Int32})
    assigned = assign_topics(pl.Series(["c", "a", "b"]), np.array([0, 0, -1]), info)
    assert assigned["feedback_id"].to_list() == ["a", "b", "c"]
    assert assigned["topic_label"].to_list() == ["bill", "(no theme)", "bill"]
    fb = pl.DataFrame({
        "feedback_id": ["a", "b", "c"],
        "created_at": [dt.datetime(2025, 1, 3), dt.datetime(2025, 1, 9), dt.datetime(2025, 2, 1)],
    }).with_columns(pl.col("created_at").dt.replace_time_zone("UTC"))
    ot = topics_over_time(assigned, fb)
    jan = ot.filter(pl.col("month") == dt.date(2025, 1, 1))
    assert jan["share"].sum() == pytest.approx(1.0)
    assert ot.filter(pl.col("month") == dt.date(2025, 2, 1))["share"].to_list() == [1.0]


def test_over_time_with_presence_counts_every_theme_an_item_carries():
    assigned = pl.DataFrame({"feedback_id": ["a", "b", "c", "d"], "topic_id": [0, 0, -1, 1]},
                            schema_overrides={"topic_id": pl.Int32})
    fb = pl.DataFrame({
        "feedback_id": ["a", "b", "c", "d", "e"],
        "created_at": [dt.datetime(2025, 1, 3), dt.datetime(2025, 1, 9), dt.datetime(2025, 1, 20),
                       dt.datetime(2025, 2, 1), dt.datetime(2025, 2, 2)],     # e: no text, not in assigned
    })
    # a mentions themes 0 and 1; b only 1 (not its filed 0); c nothing (outlier); d its filed 1; e is not an item
    presence = pl.DataFrame({"feedback_id": ["a", "a", "b", "d", "e"], "topic_id": [0, 1, 1, 1, 0]},
                            schema_overrides={"topic_id": pl.Int32})
    ot = topics_over_time(assigned, fb, presence)
    january = ot.filter(pl.col("month") == dt.date(2025, 1, 1))
    jan = {r["topic_id"]: (r["count"], r["share"]) for r in january.to_dicts()}
    assert jan == {-1: (1, pytest.approx(1 / 3)), 0: (1, pytest.approx(1 / 3)), 1: (2, pytest.approx(2 / 3))}
    feb = ot.filter(pl.col("month") == dt.date(2025, 2, 1))
    assert feb.select("topic_id", "count", "share").rows() == [(1, 1, 1.0)]   # e counts nowhere
    plain = topics_over_time(assigned, fb)                                    # filed themes: one per item
    assert plain.filter(pl.col("month") == dt.date(2025, 1, 1))["count"].to_list() == [1, 2]


def test_too_few_documents_fail_with_the_fix():
    with pytest.raises(ValueError, match="lower topics.min_topic_size"):
        fit_topic_model(["a"] * 5, np.zeros((5, 4)), config=TopicsConfig(min_topic_size=10), seed=1)


def _alert_frames(rising_in_window: int):
    rows, fb = [], []
    start = dt.date(2025, 1, 1)
    i = 0
    for day in range(300):
        d = start + dt.timedelta(days=day)
        topics = [0, 0, 1, 1]
        if day >= 258:
            topics += [2] * rising_in_window
        elif day % 30 == 0:
            topics.append(2)
        for t in topics:
            rows.append({"feedback_id": f"f{i:06d}", "topic_id": t, "topic_label": f"t{t}"})
            fb.append({"feedback_id": f"f{i:06d}", "created_at": dt.datetime(d.year, d.month, d.day, 12)})
            i += 1
    assigned = pl.DataFrame(rows, schema_overrides={"topic_id": pl.Int32})
    feedback = pl.DataFrame(fb).with_columns(pl.col("created_at").dt.replace_time_zone("UTC"))
    return assigned, feedback


def test_emerging_theme_is_flagged_and_stable_ones_are_not():
    from voc.topics import AlertsConfig, detect_emerging_themes

    assigned, feedback = _alert_frames(rising_in_window=2)
    alerts = detect_emerging_themes(assigned, feedback, config=AlertsConfig())
    flagged = alerts.filter(pl.col("flagged"))["topic_id"].to_list()
    assert flagged == [2]
    stable = alerts.filter(pl.col("topic_id") == 0).row(0, named=True)
    assert stable["lift"] < 1.2 and stable["flagged"] is False  # its share falls as theme 2 rises


def test_min_volume_gate_blocks_a_tiny_rise():
    from voc.topics import AlertsConfig, detect_emerging_themes

    assigned, feedback = _alert_frames(rising_in_window=2)
    alerts = detect_emerging_themes(assigned, feedback, config=AlertsConfig(min_volume=500))
    assert not alerts["flagged"].any()


def test_alerts_count_items_per_theme_when_an_item_carries_several_themes():
    from voc.topics import AlertsConfig, detect_emerging_themes

    assigned, feedback = _alert_frames(rising_in_window=2)
    # every theme-2 item in the window also mentions theme 0: theme 0 rises with it, the totals do not
    late = feedback.filter(pl.col("created_at").dt.date() >= dt.date(2025, 9, 16))["feedback_id"]
    extra = assigned.filter(pl.col("topic_id").eq(2) & pl.col("feedback_id").is_in(late.implode())).with_columns(
        pl.lit(0, dtype=pl.Int32).alias("topic_id"), pl.lit("t0").alias("topic_label")
    )
    multi = pl.concat([assigned, extra, extra])   # duplicated rows count once
    single = detect_emerging_themes(assigned, feedback, config=AlertsConfig())
    alerts = detect_emerging_themes(multi, feedback, config=AlertsConfig())
    assert alerts["window_total"].to_list() == single["window_total"].to_list()
    t0 = alerts.filter(pl.col("topic_id") == 0).row(0, named=True)
    t0_single = single.filter(pl.col("topic_id") == 0).row(0, named=True)
    assert t0["window_count"] == t0_single["window_count"] + extra.height
    assert t0["window_share"] > t0_single["window_share"]


def test_a_rise_carried_only_by_sentence_mentions_is_not_an_alert_when_confirmed_by_filed_themes():
    """The 300k model2vec case: the emerging theme's "please roll it back." matched a data-rollover theme's
    centroid, so that theme rose by mentions while the items filed under it did not."""
    from voc.topics import AlertsConfig, detect_emerging_themes

    filed, feedback = _alert_frames(rising_in_window=3)
    # theme 3 holds one filed item a day throughout (taken from theme 1): steady
    first_t1 = filed.filter(pl.col("topic_id") == 1).with_row_index("k").filter(pl.col("k") % 2 == 0)["feedback_id"]
    filed = filed.with_columns(pl.when(pl.col("feedback_id").is_in(first_t1.implode())).then(pl.lit(3, pl.Int32))
                               .otherwise(pl.col("topic_id")).alias("topic_id"))
    filed = filed.with_columns(pl.format("t{}", pl.col("topic_id")).alias("topic_label"))
    late = feedback.filter(pl.col("created_at").dt.date() >= dt.date(2025, 9, 16))
    # items no theme was filed for (-1) that mention theme 0: the two readings' totals differ
    unfiled = late.head(40).with_columns(pl.format("u{}", pl.col("feedback_id")).alias("feedback_id"))
    feedback = pl.concat([feedback, unfiled])
    filed = pl.concat([filed, unfiled.select("feedback_id", pl.lit(-1, pl.Int32).alias("topic_id"),
                                             pl.lit("outliers").alias("topic_label"))])
    rising = filed.filter(pl.col("topic_id").eq(2) & pl.col("feedback_id").is_in(late["feedback_id"].implode()))
    mentioned = pl.concat([
        rising.with_columns(pl.lit(3, pl.Int32).alias("topic_id"), pl.lit("t3").alias("topic_label")),
        unfiled.select("feedback_id", pl.lit(0, pl.Int32).alias("topic_id"), pl.lit("t0").alias("topic_label")),
    ])
    presence = pl.concat([filed.filter(pl.col("topic_id") >= 0), mentioned])

    unconfirmed = detect_emerging_themes(presence, feedback, config=AlertsConfig(confirm_filed=False), filed=filed)
    assert unconfirmed.filter("flagged")["topic_id"].to_list() == [2, 3]
    alerts = detect_emerging_themes(presence, feedback, config=AlertsConfig(), filed=filed)
    assert alerts.filter("flagged")["topic_id"].to_list() == [2]
    t3 = alerts.filter(pl.col("topic_id") == 3).row(0, named=True)
    assert t3["lift"] >= 2 and t3["filed_window_count"] >= 20 and t3["filed_lift"] < 1
    assert t3["filed_window_count"] < t3["window_count"]
    t2 = alerts.filter(pl.col("topic_id") == 2).row(0, named=True)
    # same items, but the filed totals leave out the 40 unfiled items: a larger share, a larger lift
    assert t2["filed_window_count"] == t2["window_count"] and t2["filed_lift"] > t2["lift"]
    # without the filed themes there is nothing to confirm by: the columns are null and do not gate
    plain = detect_emerging_themes(presence, feedback, config=AlertsConfig())
    assert plain.filter("flagged")["topic_id"].to_list() == [2, 3]
    assert plain["filed_lift"].null_count() == plain.height
