"""Agreement of multi-label themes with known labels (voc.topics.quality)."""

from __future__ import annotations

import math

import polars as pl
import pytest

from voc.topics.quality import alert_recovery, label_set_recovery, majority_labels, presence_recovery


def test_majority_labels_maps_each_theme_to_its_commonest_label() -> None:
    topics = [0, 0, 0, 1, 1, -1, 2, 2]
    labels = ["bill", "bill", "app", "app", "bill", "app", "wifi", "app"]
    # theme 1 and 2 tie: the label seen first wins; outliers (-1) map to nothing
    assert majority_labels(topics, labels) == {0: "bill", 1: "app", 2: "wifi"}
    assert majority_labels([0, 0, 0], [None, None, "app"]) == {0: "app"}   # unlabelled items do not vote
    with pytest.raises(ValueError):
        majority_labels([0, 1], ["bill"])


def test_label_set_recovery_counts_item_label_pairs() -> None:
    truth = [{"bill", "app"}, {"bill"}, {"wifi", "app", "bill"}, {"app"}]
    found = [{"bill", "app"}, {"app"}, {"wifi"}, set()]
    got = label_set_recovery(found, truth)
    # hits: 2 + 0 + 1 + 0 = 3 of 4 found pairs and of 7 true pairs
    assert got["precision"] == pytest.approx(3 / 4) and got["recall"] == pytest.approx(3 / 7)
    assert got["f1"] == pytest.approx(2 * (3 / 4) * (3 / 7) / (3 / 4 + 3 / 7))
    assert got["two_found"] == pytest.approx(1 / 2)   # of the two items with 2+ labels, the first has both
    assert got["labels_per_item"] == pytest.approx(1.0)
    single = label_set_recovery([{"a"}], [{"a"}])
    assert single["f1"] == 1.0 and math.isnan(single["two_found"])
    nothing = label_set_recovery([set()], [{"a"}])
    assert nothing["precision"] == nothing["recall"] == nothing["f1"] == 0.0
    assert all(math.isnan(v) for v in label_set_recovery([], []).values())
    with pytest.raises(ValueError, match="2 found sets but 1"):
        label_set_recovery([set(), set()], [{"a"}])


def test_presence_recovery_reads_each_items_themes_as_their_majority_label() -> None:
    topics = pl.DataFrame({"feedback_id": ["a", "b", "c"], "topic_id": [0, 1, 7]})
    # theme 0 stands for bill (a), 1 for app (b), 7 for nothing (c's label is None); "z" is not an item of
    # topics, and c has no row
    presence = pl.DataFrame({"feedback_id": ["b", "a", "a", "a", "z"], "topic_id": [1, 0, 1, 7, 0]})
    truth = [{"bill", "app"}, {"app", "wifi"}, {"bill"}]
    got = presence_recovery(topics, presence, ["bill", "app", None], truth)
    # found: a {bill, app}, b {app}, c {}: 3 hits of 3 found pairs and of 5 true pairs
    assert got == label_set_recovery([{"bill", "app"}, {"app"}, set()], truth)
    assert got["precision"] == 1.0 and got["recall"] == pytest.approx(3 / 5) and got["two_found"] == 0.5


def test_alert_recovery_counts_false_alerts_and_the_emerging_theme_holder() -> None:
    topics = pl.DataFrame({"feedback_id": list("abcdefg"), "topic_id": [0, 0, 0, 1, 1, 2, 2]})
    primary = ["new", "new", "old", "new", "other", "other", "other"]
    assert alert_recovery(topics, [0], primary, "new") == {
        "flagged": 1, "false_alerts": 0, "holder_flagged": True, "recall": 2 / 3}
    found = alert_recovery(topics, [1, 2], primary, "new")   # theme 1 is a tie, read as its first label, "new"
    assert found == {"flagged": 2, "false_alerts": 1, "holder_flagged": False, "recall": 1 / 3}


def test_alert_recovery_without_the_emerging_theme_or_alerts() -> None:
    topics = pl.DataFrame({"feedback_id": ["a", "b"], "topic_id": [0, 1]})
    found = alert_recovery(topics, [], ["old", None], "new")
    assert found["flagged"] == 0 and found["false_alerts"] == 0 and found["holder_flagged"] is False
    assert math.isnan(found["recall"])
    with pytest.raises(ValueError, match="2 items but 1 planted"):
        alert_recovery(topics, [], ["old"], "new")
