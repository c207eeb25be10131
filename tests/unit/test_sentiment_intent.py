import polars as pl
import pytest

from voc.sentiment import detect_intent


def test_intents_effort_and_urgency():
    texts = [
        "This is the third time I have called and I am still waiting, transferred twice. Fix this today!!",
        "How do I change my billing address?",
        "Please cancel my subscription",
        "Thanks, the agent was really helpful",
        "The parcel arrived on Tuesday",
    ]
    labels = ["negative", "neutral", "neutral", "positive", "neutral"]
    out = detect_intent(texts, labels)
    assert out["intent"].to_list() == ["complaint", "question", "request", "praise", "other"]
    assert out["effort_score"][0] == pytest.approx(1.0) and out["effort_score"][4] == 0.0
    assert out["urgency_score"][0] > out["urgency_score"][1]
    assert out["is_question"].to_list()[:2] == [False, True]
    assert out.height == len(texts) and out["urgency_score"].is_between(0, 1).all()


def test_praise_words_on_a_negative_item_are_not_praise():
    out = detect_intent(["Great, another outage. Thanks for nothing"], ["negative"])
    assert out.row(0, named=True)["is_praise"] is False
    assert out["intent"].to_list() == ["complaint"]


def test_mismatched_lengths_and_unknown_labels_fail():
    with pytest.raises(ValueError, match="2 texts but 1 sentiment labels"):
        detect_intent(["a", "b"], ["neutral"])
    with pytest.raises(ValueError, match="unknown sentiment label"):
        detect_intent(["a"], ["angry"])


def test_empty_input_gives_an_empty_typed_frame():
    out = detect_intent([], [])
    assert out.height == 0 and out.schema["effort_score"] == pl.Float64
