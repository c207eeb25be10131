import math

import polars as pl
import pytest

from voc.metrics import InsightsConfig, nps_estimate, overall_scores, proportion_estimate, score_table, theme_sentiment


def test_nps_value_and_multinomial_interval():
    est = nps_estimate(50, 30, 20)
    assert est.value == 30.0
    se = math.sqrt((0.5 + 0.2 - 0.3**2) / 100)
    assert est.ci_low == pytest.approx(100 * (0.3 - 1.959964 * se), abs=0.01)
    assert est.ci_high == pytest.approx(100 * (0.3 + 1.959964 * se), abs=0.01)
    assert nps_estimate(0, 0, 0).value is None


def test_wilson_interval_stays_inside_0_100():
    est = proportion_estimate(10, 10)
    assert est.value == 100.0 and est.ci_high <= 100.0 and est.ci_low > 60


def test_score_table_groups_and_min_n_guard():
    fb = pl.DataFrame(
        {
            "feedback_id": ["1", "2", "3", "4"],
            "channel": ["survey", "survey", "survey", "review"],
            "nps": [10, 0, 8, None],
            "csat": [5, 1, None, 4],
            "ces": [2, 6, 4, None],
        },
        schema_overrides={"nps": pl.Int8, "csat": pl.Int8, "ces": pl.Int8},
    )
    table = score_table(fb, ["channel"], config=InsightsConfig(min_n=3))
    survey_nps = table.filter((pl.col("channel") == "survey") & (pl.col("metric") == "nps")).row(0, named=True)
    assert survey_nps["value"] == 0.0 and survey_nps["n"] == 3 and survey_nps["reliable"] is True
    review = table.filter(pl.col("channel") == "review")
    assert review["metric"].to_list() == ["csat"]  # no NPS or CES answered on reviews: no row
    assert review["reliable"].to_list() == [False]
    overall = overall_scores(fb, config=InsightsConfig())
    assert overall["csat"]["value"] == pytest.approx(100 * 2 / 3, abs=0.01)
    assert overall["ces"]["value"] == 4.0


def test_out_of_range_score_names_the_item():
    fb = pl.DataFrame({"feedback_id": ["x"], "nps": [11], "csat": [None], "ces": [None]},
                      schema_overrides={"csat": pl.Int8, "ces": pl.Int8})
    with pytest.raises(ValueError, match="nps=11 is outside 0-10 for feedback_id 'x'"):
        overall_scores(fb, config=InsightsConfig())


def test_theme_sentiment_net_score():
    topics = pl.DataFrame({"feedback_id": ["a", "b", "c"], "topic_id": [0, 0, 1], "topic_label": ["bill", "bill", "app"]})
    sent = pl.DataFrame({"feedback_id": ["a", "b", "c"], "sentiment_score": [-0.8, 0.6, 0.1],
                         "sentiment_label": ["negative", "positive", "neutral"]})
    out = theme_sentiment(topics, sent)
    bill = out.filter(pl.col("topic_id") == 0).row(0, named=True)
    assert bill["n"] == 2 and bill["net_sentiment"] == 0.0 and bill["mean_sentiment"] == pytest.approx(-0.1)
