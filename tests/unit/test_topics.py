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


def test_too_few_documents_fail_with_the_fix():
    with pytest.raises(ValueError, match="lower topics.min_topic_size"):
        fit_topic_model(["a"] * 5, np.zeros((5, 4)), config=TopicsConfig(min_topic_size=10), seed=1)
