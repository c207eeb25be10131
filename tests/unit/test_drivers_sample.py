"""The planted NPS drivers of the generated sample come out on top (oracle themes and sentiment from _truth)."""

import polars as pl

from voc.metrics import InsightsConfig, theme_drivers
from voc.sample.config import SampleConfig
from voc.sample.generate import generate_sample


def test_planted_nps_drivers_rank_first_and_nothing_unplanted_is_significant():
    truth = generate_sample(SampleConfig(n_customers=500, n_items=3000), seed=42).truth
    planted = {k: v for k, v in truth["nps_drivers"]["planted_effects_0_10"].items() if v != 0}
    names = sorted(truth["nps_drivers"]["by_theme"])
    items = truth["items"]
    fb = pl.DataFrame({"feedback_id": list(items), "channel": [v["channel"] for v in items.values()],
                       "nps": [v.get("nps") for v in items.values()]}, schema_overrides={"nps": pl.Int8})
    themed = {k: v for k, v in items.items() if v["themes"]}
    topics = pl.DataFrame({"feedback_id": list(themed), "topic_id": [names.index(v["themes"][0]) for v in themed.values()],
                           "topic_label": [v["themes"][0] for v in themed.values()]}, schema_overrides={"topic_id": pl.Int32})
    sent = pl.DataFrame({"feedback_id": list(themed), "sentiment_score": [float(v["sentiment_score"] or 0.0)
                                                                          for v in themed.values()]})
    table = theme_drivers(fb, topics, sent, config=InsightsConfig(driver_bootstrap=0), seed=0).table
    ranked = table.sort("driver_rank")
    top4 = ranked["topic_label"].head(4).to_list()
    assert set(top4) <= set(planted), top4
    significant = ranked.filter(pl.col("significant"))["topic_label"].to_list()
    assert significant and set(significant) <= set(planted), significant
    for row in ranked.filter(pl.col("significant")).iter_rows(named=True):
        assert (row["effect"] > 0) == (planted[row["topic_label"]] > 0)  # the planted direction
