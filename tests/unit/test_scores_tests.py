import math

import polars as pl
import pytest
from scipy import stats

from voc.metrics import InsightsConfig, compare_scores, holm_adjust, score_counts, score_table


def _counts(**kw):
    base = {"promoters": 0, "passives": 0, "detractors": 0, "csat_top2": 0, "csat_n": 0,
            "ces_mean": None, "ces_std": None, "ces_n": 0}
    return base | kw


def test_nps_difference_z_test_by_hand():
    a = _counts(promoters=60, passives=20, detractors=20)   # NPS 40
    b = _counts(promoters=30, passives=30, detractors=40)   # NPS -10
    delta, p = compare_scores(a, b, "nps")
    var = (0.8 - 0.4**2) / 100 + (0.7 - 0.1**2) / 100
    assert delta == pytest.approx(50.0)
    assert p == pytest.approx(2 * stats.norm.sf(0.5 / math.sqrt(var)))


def test_csat_and_ces_differences():
    d, p = compare_scores(_counts(csat_top2=40, csat_n=50), _counts(csat_top2=20, csat_n=50), "csat")
    assert d == pytest.approx(40.0) and p < 0.001
    d, p = compare_scores(_counts(ces_mean=5.0, ces_std=1.0, ces_n=30), _counts(ces_mean=5.0, ces_std=1.0, ces_n=30), "ces")
    assert d == 0.0 and p == pytest.approx(1.0)
    assert compare_scores(_counts(ces_n=1, ces_mean=3.0), _counts(ces_n=5, ces_mean=3.0, ces_std=1.0), "ces") == (None, None)


def test_holm_adjustment():
    assert holm_adjust([0.01, None, 0.04, 0.03]) == pytest.approx([0.03, None, 0.06, 0.06])


def _feedback():
    return pl.DataFrame(
        {
            "feedback_id": [str(i) for i in range(8)],
            "month": ["2024-01"] * 4 + ["2024-02"] * 4,
            "plan": ["basic", "basic", "premium", "premium"] * 2,
            "nps": [10, 9, 9, 10, 0, 1, 2, 9],
            "csat": [5, 5, 4, 5, 1, 2, 1, 4],
            "ces": [6, 7, 6, 7, 2, 1, 2, 6],
        },
        schema_overrides={"nps": pl.Int8, "csat": pl.Int8, "ces": pl.Int8},
    )


def test_period_over_period_table():
    t = score_table(_feedback(), ["month"], config=InsightsConfig(min_n=3), compare="previous")
    jan = t.filter(pl.col("month") == "2024-01")
    assert jan["delta"].null_count() == jan.height and not jan["significant"].any()  # nothing before January
    feb_nps = t.filter((pl.col("month") == "2024-02") & (pl.col("metric") == "nps")).row(0, named=True)
    assert feb_nps["delta"] == pytest.approx(-50.0 - 100.0)
    assert feb_nps["comparison"] == "previous" and 0 <= feb_nps["p_adjusted"] <= 1
    assert feb_nps["p_adjusted"] >= feb_nps["p_value"]


def test_segment_vs_rest_recovers_the_rest_ces():
    fb = _feedback()
    t = score_table(fb, ["plan"], config=InsightsConfig(min_n=100), compare="rest")
    basic = t.filter((pl.col("plan") == "basic") & (pl.col("metric") == "ces")).row(0, named=True)
    rest = fb.filter(pl.col("plan") != "basic")["ces"].cast(pl.Float64)
    own = fb.filter(pl.col("plan") == "basic")["ces"].cast(pl.Float64)
    assert basic["delta"] == pytest.approx(own.mean() - rest.mean(), abs=1e-3)
    welch = stats.ttest_ind(own.to_numpy(), rest.to_numpy(), equal_var=False)
    assert basic["p_value"] == pytest.approx(welch.pvalue, rel=1e-6)
    assert not t["significant"].any()  # min_n=100: nothing is large enough to call


def test_score_counts_rejects_out_of_range_ces():
    fb = pl.DataFrame({"feedback_id": ["z"], "nps": [None], "csat": [None], "ces": [9]},
                      schema_overrides={"nps": pl.Int8, "csat": pl.Int8, "ces": pl.Int8})
    with pytest.raises(ValueError, match="ces=9 is outside 1-7 for feedback_id 'z'"):
        score_counts(fb, [])
