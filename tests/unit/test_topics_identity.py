"""Stable theme keys across refits, the analyst's taxonomy, parent themes, shares and quality figures."""

import numpy as np
import polars as pl
import pytest

from voc.topics import (
    CoherenceCorpus,
    IdentityConfig,
    Taxonomy,
    add_parents,
    apply_taxonomy,
    empty_registry,
    npmi_coherence,
    parse_taxonomy,
    stabilise_themes,
    theme_shares,
    topic_diversity,
)


def _unit(*v: float) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    return a / np.linalg.norm(a)


def _fit(counts: dict[int, int], centroids: dict[int, np.ndarray], words: dict[int, str]):
    """What fit_topic_model hands over: per-item topics, the table and the centroids."""
    topics = np.concatenate([np.full(n, t) for t, n in counts.items()])
    info = pl.DataFrame(
        {
            "topic_id": list(counts),
            "topic_label": [f"label {t}" if t >= 0 else "(no theme)" for t in counts],
            "count": list(counts.values()),
            "top_words": [words.get(t, "") for t in counts],
            "parent_id": list(counts),
            "parent_label": [f"label {t}" if t >= 0 else "(no theme)" for t in counts],
        },
        schema_overrides={"topic_id": pl.Int32, "parent_id": pl.Int32},
    )
    return topics, info, {t: c for t, c in centroids.items()}


BILLING, APP, DELIVERY = _unit(1, 0, 0, 0), _unit(0, 1, 0, 0), _unit(0, 0, 1, 0)
WORDS = {0: "refund, charged, invoice", 1: "app, crash, login", 2: "parcel, courier, late"}


def test_first_run_keys_themes_by_size():
    topics, info, cents = _fit({-1: 1, 0: 2, 1: 5}, {0: BILLING, 1: APP}, WORDS)
    out = stabilise_themes(topics, info, cents, None, config=IdentityConfig())
    assert out.info["theme_key"].to_list() == [None, "T001", "T002"]
    assert out.info.filter(pl.col("theme_key") == "T001")["topic_label"].item() == "label 1"  # the larger one
    assert out.info["is_new"].to_list() == [False, True, True]
    assert sorted(out.topics.tolist()) == [-1, 1, 1, 1, 1, 1, 2, 2]
    assert out.registry["theme_key"].to_list() == ["T001", "T002"]


def test_refit_keeps_keys_when_ids_shuffle_and_marks_new_themes():
    topics, info, cents = _fit({0: 2, 1: 5}, {0: BILLING, 1: APP}, WORDS)
    first = stabilise_themes(topics, info, cents, None, config=IdentityConfig())
    # The refit numbers the same themes differently and finds a third one.
    words2 = {0: WORDS[1], 1: WORDS[2], 2: WORDS[0]}
    topics2, info2, cents2 = _fit({0: 6, 1: 3, 2: 2}, {0: _unit(0.1, 1, 0, 0), 1: DELIVERY, 2: BILLING}, words2)
    second = stabilise_themes(topics2, info2, cents2, first.registry, config=IdentityConfig())
    by_label = dict(zip(second.info["topic_label"].to_list(), second.info["theme_key"].to_list(), strict=True))
    assert by_label == {"label 0": "T001", "label 2": "T002", "label 1": "T003"}
    assert second.info.filter(pl.col("is_new"))["theme_key"].to_list() == ["T003"]
    assert second.registry.height == 3 and second.registry["first_run"].to_list() == [1, 1, 2]
    # A third run without the app theme keeps it in the registry, inactive.
    topics3, info3, cents3 = _fit({0: 4}, {0: BILLING}, {0: WORDS[0]})
    third = stabilise_themes(topics3, info3, cents3, second.registry, config=IdentityConfig())
    assert third.info["theme_key"].to_list() == ["T002"]
    assert third.registry.filter(pl.col("active"))["theme_key"].to_list() == ["T002"]


def test_weak_match_is_new_unless_pinned():
    topics, info, cents = _fit({0: 3}, {0: BILLING}, {0: "refund, charged"})
    first = stabilise_themes(topics, info, cents, None, config=IdentityConfig())
    drifted = {0: _unit(1, 1.6, 0, 0)}  # cosine 0.53 to the old centroid, no shared words
    t2, i2, _ = _fit({0: 3}, drifted, {0: "bill, shock"})
    plain = stabilise_themes(t2, i2, drifted, first.registry, config=IdentityConfig(min_similarity=0.5))
    assert plain.info["theme_key"].to_list() == ["T002"]
    pinned = stabilise_themes(t2, i2, drifted, first.registry, config=IdentityConfig(min_similarity=0.5),
                              pinned=frozenset({"T001"}))
    assert pinned.info["theme_key"].to_list() == ["T001"]
    anchor = pinned.registry.filter(pl.col("theme_key") == "T001")
    np.testing.assert_allclose(anchor["centroid"].to_numpy()[0], BILLING)  # a pinned anchor does not drift


def _stable():
    topics, info, cents = _fit({-1: 1, 0: 2, 1: 5, 2: 3}, {0: BILLING, 1: APP, 2: DELIVERY}, WORDS)
    return stabilise_themes(topics, info, cents, None, config=IdentityConfig())


def test_taxonomy_merges_and_renames_by_key():
    stable = _stable()
    tax = parse_taxonomy({"rename": {"T001": "App stability", "T009": "Gone"}, "merge": {"T003": "T002"},
                          "pin": ["T001"]})
    topics, info, unapplied = apply_taxonomy(stable.topics, stable.info, tax)
    assert info["theme_key"].to_list() == [None, "T001", "T002"]
    assert info["topic_label"].to_list()[:2] == ["(no theme)", "App stability"]
    assert info["count"].to_list() == [1, 5, 5]
    assert sorted(set(topics.tolist())) == [-1, 1, 2]
    assert unapplied == ["rename.T009"]
    assert tax.pin == frozenset({"T001"})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"renam": {}}, "unknown section"),
        ({"rename": {"7": "x"}}, "not a theme key"),
        ({"rename": {"T007": ""}}, "non-empty label"),
        ({"merge": {"T001": "T002", "T002": "T001"}}, "cycle"),
        ({"pin": "T001"}, "list of theme keys"),
        (["T001"], "expected a mapping"),
    ],
)
def test_bad_taxonomy_names_the_file_and_entry(data, message):
    with pytest.raises(ValueError, match=f"taxonomy.yaml: .*{message}"):
        parse_taxonomy(data, source="taxonomy.yaml")


def test_empty_taxonomy_changes_nothing():
    stable = _stable()
    topics, info, unapplied = apply_taxonomy(stable.topics, stable.info, parse_taxonomy(None))
    np.testing.assert_array_equal(topics, stable.topics)
    assert info.equals(stable.info) and unapplied == []
    assert Taxonomy().merge == {}


def test_close_themes_share_a_parent():
    info = pl.DataFrame({"topic_id": [-1, 0, 1, 2], "topic_label": ["(no theme)", "refund · charged", "invoice",
                                                                     "app · crash"], "count": [1, 9, 4, 6]},
                        schema_overrides={"topic_id": pl.Int32})
    cents = {0: BILLING, 1: _unit(1, 0.2, 0, 0), 2: APP}
    out = add_parents(info, cents, max_distance=0.3)
    assert out["parent_id"].to_list() == [-1, 0, 0, 2]
    assert out["parent_label"].to_list() == ["(no theme)", "refund · invoice", "refund · invoice", "app"]


def test_theme_shares_per_segment_keep_unknowns():
    assigned = pl.DataFrame({"feedback_id": ["a", "b", "c"], "topic_id": [0, 1, 0]},
                            schema_overrides={"topic_id": pl.Int32})
    groups = pl.DataFrame({"feedback_id": ["a", "b", "c"], "channel": ["chat", "chat", None]})
    out = theme_shares(assigned, groups, by="channel")
    assert out["segment"].to_list() == ["(unknown)", "chat", "chat"]
    assert out["share"].to_list() == [1.0, 0.5, 0.5]
    with pytest.raises(ValueError, match="lacks"):
        theme_shares(assigned, groups, by="plan")


def test_theme_shares_with_presence_are_of_the_segments_items():
    assigned = pl.DataFrame({"feedback_id": ["a", "b", "c"], "topic_id": [0, -1, 0]},
                            schema_overrides={"topic_id": pl.Int32})
    groups = pl.DataFrame({"feedback_id": ["a", "b", "c"], "channel": ["survey", "survey", "review"]})
    presence = pl.DataFrame({"feedback_id": ["a", "a", "c"], "topic_id": [0, 1, 0]},
                            schema_overrides={"topic_id": pl.Int32})
    out = theme_shares(assigned, groups, by="channel", presence=presence)
    assert out.select("segment", "topic_id", "count", "share").rows() == [
        ("review", 0, 1, 1.0), ("survey", -1, 1, 0.5), ("survey", 0, 1, 0.5), ("survey", 1, 1, 0.5)]
    # without presence: the filed theme, the outliers in the denominator
    assert theme_shares(assigned, groups, by="channel").select("segment", "topic_id", "share").rows() == [
        ("review", 0, 1.0), ("survey", -1, 0.5), ("survey", 0, 0.5)]


def test_coherence_prefers_words_that_occur_together():
    docs = ["refund charged card", "refund charged", "app crash login", "app crash", "refund app"]
    good = npmi_coherence([["refund", "charged"], ["app", "crash"]], docs)
    bad = npmi_coherence([["refund", "crash"], ["app", "charged"]], docs)
    assert -1.0 <= bad < good <= 1.0
    assert topic_diversity([["a", "b"], ["b", "c"]]) == 0.75
    assert np.isnan(npmi_coherence([["zzz"]], docs))


def test_coherence_corpus_gives_the_figure_of_the_documents():
    docs = ["Refund charged twice to my card", "refund charged", "the app crash at login", "app crash", "refund app",
            "wi-fi drops", "no signal at home", "signal drops at home"]
    corpus = CoherenceCorpus(docs)
    described = [  # words and bigrams, one absent ("zzz"), one the tokens cannot hold ("wi-fi"), a trigram
        [["refund", "charged"], ["app", "crash", "zzz"], ["signal", "drops", "at home"]],
        [["refund charged", "card"], ["wi-fi", "drops", "signal"], ["no signal at", "home"]],
        [["zzz"], ["app"]],
    ]
    for words in described:
        direct = npmi_coherence(words, docs)
        assert npmi_coherence(words, corpus) == direct or np.isnan(direct) and np.isnan(npmi_coherence(words, corpus))
    assert npmi_coherence(described[0], corpus) > 0    # a figure, not NaN, for the first set
    assert np.isnan(npmi_coherence(described[2], corpus))
    assert np.isnan(npmi_coherence(described[0], CoherenceCorpus([])))


def test_parents_from_given_groups():
    info = pl.DataFrame({"topic_id": [-1, 0, 1, 2], "topic_label": ["(no theme)", "refund · charged", "invoice",
                                                                     "app · crash"], "count": [1, 9, 4, 6]},
                        schema_overrides={"topic_id": pl.Int32})
    cents = {0: BILLING, 1: _unit(1, 0.2, 0, 0), 2: APP}
    out = add_parents(info, cents, groups={0: 5, 1: 7, 2: 5})   # groups override the distance cut
    assert out["parent_id"].to_list() == [-1, 0, 1, 0]
    with pytest.raises(ValueError, match=r"no group for themes \[2\]"):
        add_parents(info, cents, groups={0: 0, 1: 0})


def test_registry_for_unit_starts_afresh_when_the_unit_changes(caplog):
    from voc.topics import registry_for_unit

    reg = empty_registry(3)
    assert registry_for_unit(reg, "item").columns == reg.columns           # written before the unit column
    assert registry_for_unit(reg.with_columns(pl.lit("item").alias("unit")), "item").columns == reg.columns
    with caplog.at_level("WARNING"):
        assert registry_for_unit(reg, "sentence") is None                   # item themes, sentence unit
    assert "fresh registry" in caplog.text
    stored = pl.concat([reg, pl.DataFrame({"theme_key": ["T001"]}, schema={"theme_key": pl.String})],
                       how="diagonal").with_columns(pl.lit("sentence").alias("unit"))
    assert registry_for_unit(stored, "item") is None
    assert registry_for_unit(stored, "sentence").height == 1
