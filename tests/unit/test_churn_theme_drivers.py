"""Unit tests for voc.churn.theme_drivers: a planted theme hazard is found, a null theme is not, no leakage,
the min-n guards, bad input, and the stage wiring on a small generated sample."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from voc.churn import ChurnConfig, run_churn
from voc.churn.theme_drivers import THEME_DRIVER_SCHEMA, bh_adjust, churn_theme_drivers, customer_theme_flags
from voc.complaints import ComplaintsConfig
from voc.config import ConfigError, build, load_section, read_params
from voc.ingest.config import IngestConfig
from voc.ingest.core import run_ingest
from voc.sample import SampleConfig, generate_sample, write_sample

UTC = dt.UTC
TS = pl.Datetime("us", "UTC")
ORIGIN = dt.datetime(2025, 1, 1, tzinfo=UTC)


def synthetic(n: int = 1200, *, seed: int = 3, hr: float = 3.0) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Customers followed from ORIGIN for up to 180 days. Theme 0 ("outage") multiplies the hazard by ``hr``;
    theme 1 ("delivery") does nothing; every theme item is negative, and unhappiness (negative count) raises
    the hazard on its own, so a theme that merely marks unhappy customers must not be credited."""
    rng = np.random.default_rng(seed)
    ids = [f"C{i:05d}" for i in range(n)]
    tenure = rng.uniform(30, 1500, n)
    unhappy = rng.poisson(0.8, n)                      # negative items with no theme
    outage = rng.random(n) < 0.2
    delivery = rng.random(n) < 0.2 + 0.2 * (unhappy > 0)  # more common among the unhappy, no effect of its own
    n_neg = unhappy + outage + delivery
    rate = 0.001 * np.exp(np.log(hr) * outage + 0.35 * n_neg - 0.3 * (tenure > 365))
    t = rng.exponential(1 / rate)
    event = (t < 180).astype(np.int8)
    survival = pl.DataFrame({"customer_id": ids, "duration_days": np.minimum(t, 180.0), "event": event,
                             "tenure_days": tenure}).with_columns(cutoff_at=pl.lit(ORIGIN).cast(TS))
    rows: list[tuple[str, str, dt.datetime, bool]] = []
    presence: list[tuple[str, int, str]] = []
    for i, cid in enumerate(ids):
        for k in range(int(unhappy[i])):
            rows.append((f"u{i}_{k}", cid, ORIGIN - dt.timedelta(days=float(rng.uniform(1, 80))), True))
        for flag, topic, label in ((outage[i], 0, "outage"), (delivery[i], 1, "delivery")):
            if flag:
                fid = f"{label}{i}"
                rows.append((fid, cid, ORIGIN - dt.timedelta(days=float(rng.uniform(1, 80))), True))
                presence.append((fid, topic, label))
    items = pl.DataFrame(rows, orient="row", schema={"feedback_id": pl.String, "customer_id": pl.String,
                                                     "created_at": TS, "negative": pl.Boolean})
    pres = pl.DataFrame(presence, orient="row", schema={"feedback_id": pl.String, "topic_id": pl.Int32,
                                                        "topic_label": pl.String})
    return survival, items, pres


def test_planted_theme_is_found_and_a_null_theme_is_not() -> None:
    survival, items, presence = synthetic()
    res = churn_theme_drivers(survival, items, presence, lookback_days=90, min_customers=30, min_events=5)
    table = res.table
    assert table.schema == pl.Schema(THEME_DRIVER_SCHEMA)
    assert table["topic_id"].to_list() == [0, 1]      # sorted by id; the null theme is kept, not dropped
    outage, delivery = table.row(0, named=True), table.row(1, named=True)
    assert outage["status"] == delivery["status"] == "fitted"
    assert outage["significant"] and outage["hazard_ratio"] > 1.5
    assert outage["ci_low"] < 3.0 < outage["ci_high"]  # the planted ratio lies in its interval
    assert not delivery["significant"] and delivery["ci_low"] < 1.0 < delivery["ci_high"]
    assert outage["driver_rank"] == 1 and delivery["driver_rank"] == 2
    assert outage["q_value"] >= outage["p_value"]
    assert res.summary["risk_themes"][0]["topic_label"] == "outage"
    assert res.summary["adjusted_for"] == ["negative_feedback", "tenure_years"]
    assert res.summary["n_customers"] == survival.height and res.summary["n_events"] == int(survival["event"].sum())


def test_unadjusted_the_null_theme_would_look_like_a_driver() -> None:
    """Why the negative count is adjusted for: the null theme marks unhappy customers. Without the
    adjustment its hazard ratio is clearly above 1."""
    survival, items, presence = synthetic()
    no_count = items.with_columns(negative=pl.lit(False))   # a constant count: nothing to adjust for
    raw = churn_theme_drivers(survival, no_count, presence, min_customers=30, min_events=5).table
    adjusted = churn_theme_drivers(survival, items, presence, min_customers=30, min_events=5).table
    assert raw["hazard_ratio"][1] > adjusted["hazard_ratio"][1]
    assert raw["hazard_ratio"][1] > 1.2


def test_per_theme_models_make_a_null_theme_look_protective() -> None:
    """Why the joint model is the default: per theme, the strong driver left out inflates the negative-count
    coefficient and the null theme (whose items add to that count) comes out below 1."""
    survival, items, presence = synthetic()
    joint = churn_theme_drivers(survival, items, presence, model="joint").table
    single = churn_theme_drivers(survival, items, presence, model="per_theme").table
    assert single["hazard_ratio"][1] < joint["hazard_ratio"][1]
    assert joint["ci_low"][1] < 1.0 < joint["ci_high"][1]
    assert single["significant"][0] and joint["significant"][0]
    with pytest.raises(ValueError, match="model must be"):
        churn_theme_drivers(survival, items, presence, model="pooled")  # type: ignore[arg-type]


def test_only_mentions_before_the_cutoff_count() -> None:
    """A mention on or after the customer's cutoff, or older than the lookback, changes nothing."""
    survival, items, presence = synthetic(n=400)
    base = churn_theme_drivers(survival, items, presence, lookback_days=90, min_customers=10, min_events=2).table
    # every churner "raises" the outage theme at and after the cutoff, and 50 customers long before it
    late = [(f"late{i}", cid, ORIGIN + dt.timedelta(days=d), True)
            for i, cid in enumerate(survival.filter(pl.col("event") == 1)["customer_id"].to_list())
            for d in (0, 5)]
    old = [(f"old{i}", cid, ORIGIN - dt.timedelta(days=200), True)
           for i, cid in enumerate(survival["customer_id"].to_list()[:50])]
    extra = pl.DataFrame(late + old, orient="row", schema=items.schema)
    extra_pres = extra.select("feedback_id", pl.lit(0, pl.Int32).alias("topic_id"), pl.lit("outage").alias("topic_label"))
    after = churn_theme_drivers(survival, pl.concat([items, extra]), pl.concat([presence, extra_pres]),
                                lookback_days=90, min_customers=10, min_events=2).table
    assert_frame_equal(base, after)
    # with no lookback the old mentions do count
    unbounded = churn_theme_drivers(survival, pl.concat([items, extra]), pl.concat([presence, extra_pres]),
                                    lookback_days=None, min_customers=10, min_events=2).table
    assert unbounded["n_customers"][0] > base["n_customers"][0]


def test_customer_cutoffs_are_per_customer() -> None:
    surv = pl.DataFrame({"customer_id": ["a", "b"], "cutoff_at": [ORIGIN, ORIGIN + dt.timedelta(days=10)]},
                        schema_overrides={"cutoff_at": TS})
    items = pl.DataFrame({"feedback_id": ["x", "y", "z"], "customer_id": ["a", "b", "b"],
                          "created_at": [ORIGIN + dt.timedelta(days=5)] * 2 + [ORIGIN + dt.timedelta(days=10)],
                          "negative": [True, True, True]}, schema_overrides={"created_at": TS})
    pres = pl.DataFrame({"feedback_id": ["x", "y", "z"], "topic_id": [0, 0, 1], "topic_label": ["t0", "t0", "t1"]})
    negatives, raised = customer_theme_flags(surv, items, pres, lookback_days=30)
    assert negatives["negative_feedback"].to_list() == [0.0, 1.0]  # a: after its cutoff; b: z is at its cutoff
    assert raised.rows() == [("b", 0)]


def test_min_n_guards_keep_the_row_with_its_reason() -> None:
    survival, items, presence = synthetic(n=400)
    n_outage = int(presence.filter(pl.col("topic_id") == 0).height)
    table = churn_theme_drivers(survival, items, presence, min_customers=n_outage + 1, min_events=1).table
    row = table.filter(pl.col("topic_id") == 0).row(0, named=True)
    assert row["status"] == "too_few_customers" and row["hazard_ratio"] is None and row["q_value"] is None
    assert row["significant"] is False and row["n_customers"] == n_outage
    events = table.filter(pl.col("topic_id") == 1)["n_events"][0]
    few = churn_theme_drivers(survival, items, presence, min_customers=1, min_events=events + 1).table
    assert few.filter(pl.col("topic_id") == 1)["status"][0] == "too_few_events"


def test_a_theme_everyone_raised_has_no_contrast() -> None:
    survival, items, presence = synthetic(n=300)
    everyone = survival.select(pl.format("all{}", pl.col("customer_id")).alias("feedback_id"), "customer_id",
                               (pl.col("cutoff_at") - pl.duration(days=1)).alias("created_at"),
                               pl.lit(False).alias("negative"))
    pres = pl.concat([presence, everyone.select("feedback_id", pl.lit(7, pl.Int32).alias("topic_id"),
                                                pl.lit("everyone").alias("topic_label"))])
    table = churn_theme_drivers(survival, pl.concat([items, everyone]), pres, min_customers=5, min_events=2).table
    assert table.filter(pl.col("topic_id") == 7)["status"][0] == "no_contrast"


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s.drop("event"), r"survival lacks the column\(s\) \['event'\]"),
    (lambda s: s.with_columns(pl.when(pl.col("customer_id") == "C00002").then(-1.0).otherwise(pl.col("duration_days"))
                              .alias("duration_days")), r"row 3 \(customer 'C00002'\), field duration_days"),
    (lambda s: s.with_columns(pl.lit(2, pl.Int8).alias("event")), r"row 1 .* field event: must be 0 or 1"),
    (lambda s: pl.concat([s, s.head(1)]), "more than once"),
    (lambda s: s.with_columns(pl.lit(None, pl.Float64).alias("tenure_days")), "field tenure_days: null"),
])
def test_bad_survival_input_is_named(change, message) -> None:  # type: ignore[no-untyped-def]
    survival, items, presence = synthetic(n=50)
    with pytest.raises(ValueError, match=message):
        churn_theme_drivers(change(survival), items, presence)


def test_bad_options_and_missing_columns() -> None:
    survival, items, presence = synthetic(n=50)
    with pytest.raises(ValueError, match="items lacks"):
        churn_theme_drivers(survival, items.drop("negative"), presence)
    with pytest.raises(ValueError, match="presence lacks"):
        churn_theme_drivers(survival, items, presence.drop("topic_label"))
    with pytest.raises(ValueError, match="confidence"):
        churn_theme_drivers(survival, items, presence, confidence=1.0)
    with pytest.raises(ValueError, match="min_customers"):
        churn_theme_drivers(survival, items, presence, min_customers=0)
    with pytest.raises(ValueError, match="lookback_days"):
        churn_theme_drivers(survival, items, presence, lookback_days=0)
    with pytest.raises(ConfigError, match="theme_lookback_days"):
        build(ChurnConfig, {"theme_lookback_days": "ninety"}, where="churn")
    with pytest.raises(ValueError, match="theme_confidence"):
        ChurnConfig(theme_confidence=0.0)


def test_unlinked_and_undated_items_are_counted_not_used() -> None:
    survival, items, presence = synthetic(n=200)
    extra = pl.DataFrame({"feedback_id": ["nolink", "nodate"], "customer_id": [None, "C00001"],
                          "created_at": [ORIGIN - dt.timedelta(days=3), None], "negative": [True, True]},
                         schema=items.schema)
    res = churn_theme_drivers(survival, pl.concat([items, extra]), presence, min_customers=5, min_events=2)
    assert res.summary["n_items_unlinked"] == 1 and res.summary["n_items_undated"] == 1
    base = churn_theme_drivers(survival, items, presence, min_customers=5, min_events=2)
    assert_frame_equal(base.table, res.table)


def test_bh_adjust_matches_the_textbook() -> None:
    q = bh_adjust([0.01, None, 0.04, 0.03])
    assert q[1] is None
    assert q == pytest.approx([0.03, None, 0.04, 0.04])


def test_run_churn_writes_theme_drivers_on_a_small_generated_sample(tmp_path: Path) -> None:
    """The stage wiring on the small sample (oracle themes and sentiment from _truth): every theme has a row,
    the origin is the landmark and only items before it count. At 300 customers the planted churn themes
    have too few customers for a model: the planted effect is checked on the default sample (see report)."""
    params = read_params(Path(__file__).resolve().parents[2] / "params.yaml")
    sample = generate_sample(SampleConfig(n_customers=300, n_items=1500), seed=42)
    write_sample(sample, tmp_path / "data" / "raw")
    tables = run_ingest(load_section(params, "ingest", IngestConfig), tmp_path, timezone="Europe/London").tables
    items = sample.truth["items"]
    names = sorted(t["name"] for t in sample.truth["themes"])
    themed = {k: v for k, v in items.items() if v["themes"]}
    topics = pl.DataFrame({"feedback_id": list(themed), "topic_id": [names.index(v["themes"][0]) for v in themed.values()],
                           "topic_label": [v["themes"][0] for v in themed.values()]}, schema_overrides={"topic_id": pl.Int32})
    mentions = pl.DataFrame([(f, names.index(t), t) for f, v in themed.items() for t in v["themes"][1:]], orient="row",
                            schema={"feedback_id": pl.String, "topic_id": pl.Int32, "topic_label": pl.String})
    sentiment = pl.DataFrame({"feedback_id": list(items),
                              "sentiment_score": [float(v["sentiment_score"] or 0.0) for v in items.values()],
                              "sentiment_label": [v["sentiment_label"] for v in items.values()]})
    config = dataclasses.replace(load_section(params, "churn", ChurnConfig), calibration_folds=2,
                                 theme_min_customers=10, theme_min_events=2)
    result = run_churn(tables["customers"], tables["payments"], tables["events"], tables["tickets"],
                       tables["feedback"], sentiment=sentiment, topics=topics, mentions=mentions, config=config,
                       complaints_config=ComplaintsConfig(), seed=1)
    table = result.theme_drivers
    assert table.schema == pl.Schema(THEME_DRIVER_SCHEMA)
    assert table["topic_id"].to_list() == sorted(set(topics["topic_id"].to_list()) | set(mentions["topic_id"].to_list()))
    assert set(table["status"].to_list()) <= {"fitted", "too_few_customers", "too_few_events", "no_contrast"}
    assert (table["status"] == "fitted").any()
    meta = result.metrics["theme_drivers"]
    assert meta["origin"] == "landmark" and meta["cutoff"] == result.metrics["survival"]["landmark"]
    assert meta["n_customers"] == result.metrics["survival"]["n"] and meta["multi_label"] is True
    assert meta["negative_from"] == "sentiment"
    fitted = table.filter(pl.col("status") == "fitted")
    assert ((fitted["ci_low"] <= fitted["hazard_ratio"]) & (fitted["hazard_ratio"] <= fitted["ci_high"])).all()
    # no topics: the table is empty and the metrics say why
    none = run_churn(tables["customers"], tables["payments"], tables["events"], tables["tickets"], tables["feedback"],
                     sentiment=sentiment, topics=None, config=config, complaints_config=ComplaintsConfig(), seed=1)
    assert none.theme_drivers.height == 0 and "skipped" in none.metrics["theme_drivers"]


def test_forest_plot_colours_significant_themes_and_states_the_finding() -> None:
    from voc.viz.churn import churn_theme_hazard_figure

    survival, items, presence = synthetic()
    table = churn_theme_drivers(survival, items, presence).table
    small = pl.DataFrame([{**table.row(0, named=True), "topic_id": 9, "topic_label": "tiny", "n_customers": 3,
                           "hazard_ratio": None, "ci_low": None, "ci_high": None, "p_value": None, "q_value": None,
                           "significant": False, "status": "too_few_customers"}], schema=table.schema)
    fig = churn_theme_hazard_figure(pl.concat([table, small]))
    title = fig.layout.title.text.replace("<br>", " ")
    hr = table["hazard_ratio"][0]
    assert title.startswith(f"Customers who raised outage ({hr:.1f}×) churn faster"), title
    assert "(1 of 2 themes significant); 1 theme too small to test" in title
    names = {t.name: t for t in fig.data}
    assert set(names) == {"raises churn (significant)", "not significant"}
    assert names["raises churn (significant)"].y[0].startswith("outage")
    assert fig.layout.xaxis.type == "log"
    empty = churn_theme_hazard_figure(small)
    assert empty.layout.title.text.startswith("No theme was raised by enough customers")
    with pytest.raises(ValueError, match="hazard_ratio"):
        churn_theme_hazard_figure(table.drop("hazard_ratio"))


def test_without_a_significant_theme_the_strongest_evidence_ranks_first() -> None:
    """A weak planted effect on few customers (seed 6: nothing survives the correction): the themes are ranked
    by p-value, so the likeliest driver leads even when none is significant."""
    survival, items, presence = synthetic(n=300, seed=6, hr=1.3)
    table = churn_theme_drivers(survival, items, presence, lookback_days=90, min_customers=30, min_events=5).table
    fitted = table.filter(pl.col("status") == "fitted")
    assert fitted.height == 2 and not fitted["significant"].any()
    by_rank = fitted.sort("driver_rank")
    assert by_rank["p_value"].to_list() == sorted(by_rank["p_value"].to_list())
    assert by_rank["topic_label"][0] == "outage"  # the planted theme
