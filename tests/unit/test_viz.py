"""Figure builders: titles state the finding computed from the data; every axis is labelled."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl
import pytest

from voc import reports as rp
from voc import viz
from voc.viz import themes as viz_themes

UTC = dt.UTC


def title(fig: go.Figure) -> str:
    return fig.layout.title.text.replace("<br>", " ")


def assert_axes_labelled(fig: go.Figure) -> None:
    axes = [k for k in fig.layout.to_plotly_json() if k.startswith(("xaxis", "yaxis"))]
    assert axes, "figure has no cartesian axes"
    for name in axes:
        assert fig.layout[name].title.text, f"{name} has no title"


def months(n: int) -> list[dt.date]:
    return [dt.date(2024, m, 1) for m in range(1, n + 1)]


def scores_by_month(values: list[float], *, reliable: list[bool] | None = None) -> pl.DataFrame:
    k = len(values)
    return pl.DataFrame({
        "metric": ["nps"] * k, "month": months(k), "n": [50] * k, "value": values,
        "ci_low": [v - 5 for v in values], "ci_high": [v + 5 for v in values],
        "reliable": reliable if reliable is not None else [True] * k,
    })


def test_score_trend_title_states_change_since_first_reliable_month() -> None:
    values = [20.0, 17.0, 14.0]
    fig = viz.score_trend_figure(scores_by_month(values), metric="nps")
    drop = values[0] - values[-1]
    assert title(fig).startswith(f"NPS fell {drop:.0f} points since January 2024")
    assert_axes_labelled(fig)


def test_score_trend_ignores_unreliable_months_in_the_finding() -> None:
    values = [-50.0, 10.0, 13.0]
    fig = viz.score_trend_figure(scores_by_month(values, reliable=[False, True, True]), metric="nps")
    assert f"rose {values[2] - values[1]:.0f} points since February 2024" in title(fig)


def test_score_trend_with_one_reliable_month_does_not_claim_a_trend() -> None:
    fig = viz.score_trend_figure(scores_by_month([1.0, 2.0, 3.0], reliable=[False, False, True]), metric="nps")
    assert "too few responses" in title(fig)


def test_score_trend_missing_column_fails() -> None:
    with pytest.raises(ValueError, match="reliable"):
        viz.score_trend_figure(scores_by_month([1.0, 2.0, 3.0]).drop("reliable"), metric="nps")


def test_scores_by_channel_names_best_and_worst() -> None:
    frame = pl.DataFrame({"metric": ["csat"] * 3, "channel": ["chat", "email", "phone"], "n": [40, 40, 40],
                          "value": [81.0, 64.0, 72.0], "ci_low": [75.0, 58.0, 66.0], "ci_high": [87.0, 70.0, 78.0],
                          "reliable": [True, True, True]})
    fig = viz.scores_by_channel_figure(frame, metric="csat")
    assert title(fig) == "CSAT is best on chat (81%) and worst on email (64%)"
    assert_axes_labelled(fig)


def test_headline_scores_title_carries_cis() -> None:
    insights = {"nps": {"value": 12.0, "ci_low": 4.0, "ci_high": 20.0, "n": 300},
                "csat": {"value": 78.0, "ci_low": 74.0, "ci_high": 82.0, "n": 280},
                "ces": {"value": 3.1, "ci_low": 2.9, "ci_high": 3.3, "n": 250}}
    text = title(viz.headline_scores_figure(insights))
    assert "NPS +12 (95% CI +4 to +20)" in text
    assert "CSAT 78% (95% CI 74% to 82%)" in text
    with pytest.raises(ValueError, match="ces"):
        viz.headline_scores_figure({k: v for k, v in insights.items() if k != "ces"})


def test_sentiment_gauge_verdict_and_range_check() -> None:
    assert "more feedback is negative" in title(viz.sentiment_gauge_figure(-22.0, n_items=90))
    assert title(viz.sentiment_gauge_figure(-22.0, n_items=90)).startswith("Net sentiment is -22")
    with pytest.raises(ValueError, match="net_sentiment"):
        viz.sentiment_gauge_figure(140.0, n_items=3)


def theme_sentiment() -> pl.DataFrame:
    return pl.DataFrame({"topic_id": [-1, 0, 1], "topic_label": ["outliers", "billing", "<b>delivery</b>"],
                         "n": [10, 60, 30], "mean_sentiment": [0.0, -0.4, 0.3],
                         "share_negative": [0.3, 0.7, 0.2], "share_positive": [0.3, 0.1, 0.6],
                         "net_sentiment": [0.0, -60.0, 40.0]})


def test_top_themes_title_names_largest_share_and_escapes_labels() -> None:
    frame = theme_sentiment()
    fig = viz.top_themes_figure(frame, top_n=5)
    share = 100 * 60 / frame["n"].sum()
    assert title(fig).startswith(f"“billing” is the largest theme ({share:.0f}% of feedback) and the most negative")
    assert "&lt;b&gt;delivery&lt;/b&gt;" in fig.data[0].y
    assert "outliers" not in fig.data[0].y
    assert_axes_labelled(fig)


def test_theme_sentiment_counts_negative_themes() -> None:
    fig = viz.theme_sentiment_figure(theme_sentiment(), top_n=5)
    assert title(fig).startswith("1 of the 2 largest themes lean negative; “billing” is worst (net -60)")
    assert_axes_labelled(fig)


def test_topics_over_time_names_biggest_mover() -> None:
    tot = pl.DataFrame({"month": months(3) * 2, "topic_id": [0, 0, 0, 1, 1, 1], "count": [5, 6, 9, 5, 4, 1],
                        "share": [0.5, 0.6, 0.9, 0.5, 0.4, 0.1]})
    info = pl.DataFrame({"topic_id": [0, 1], "topic_label": ["billing", "delivery"], "count": [20, 10]})
    fig = viz.topics_over_time_figure(tot, info, top_n=2)
    assert title(fig).startswith("“billing” grew most: 50% to 90% of feedback from January 2024 to March 2024")
    assert_axes_labelled(fig)
    with pytest.raises(ValueError, match="fraction"):
        viz.topics_over_time_figure(tot.with_columns(pl.col("share") * 100), info)


def test_sla_by_priority_names_weakest() -> None:
    frame = pl.DataFrame({"priority": ["urgent", "low", "high"], "n_tickets": [5, 9, 7],
                          "sla_first_response_achievement": [60.0, 90.0, 70.0],
                          "sla_resolution_achievement": [40.0, 95.0, 70.0]})
    fig = viz.sla_by_priority_figure(frame)
    assert title(fig).startswith("Urgent tickets meet the resolution SLA least often (40%, against 95% for low)")
    assert list(fig.data[0].x) == ["low", "high", "urgent"]
    assert_axes_labelled(fig)


def test_resolution_time_and_escalation_titles() -> None:
    tm = pl.DataFrame({"priority": ["low", "low", "urgent"], "resolution_hours": [40.0, 60.0, 6.0]})
    fig = viz.resolution_time_figure(tm)
    assert title(fig) == "Median resolution takes 50 h for low tickets against 6 h for urgent"
    assert_axes_labelled(fig)
    monthly = pl.DataFrame({"month": months(3), "n_tickets": [10, 12, 8], "escalation_rate": [5.0, 9.0, 12.0]})
    fig = viz.escalation_trend_figure(monthly)
    assert title(fig).startswith("Escalation rate rose 7 points since January 2024 (now 12% of tickets)")
    assert_axes_labelled(fig)


def test_sla_trend_title() -> None:
    by_p = pl.DataFrame({"month": months(2) * 2, "priority": ["low", "low", "high", "high"],
                         "n_tickets": [3, 3, 2, 2], "sla_resolution_achievement": [90.0, 80.0, 70.0, 50.0]})
    overall = pl.DataFrame({"month": months(2), "n_tickets": [5, 5], "sla_resolution_achievement": [82.0, 68.0]})
    fig = viz.sla_trend_figure(by_p, overall)
    assert title(fig).startswith("Resolution SLA achievement fell 14 points since January 2024 (now 68%)")
    assert_axes_labelled(fig)


CHURN = {"base_rate": 0.2, "chosen_model": "lightgbm",
         "models": {"logistic": {"roc_auc": 0.7, "pr_auc": 0.4, "brier": 0.15, "lift_top_decile": 2.0},
                    "lightgbm": {"roc_auc": 0.83, "pr_auc": 0.55, "brier": 0.12, "lift_top_decile": 3.1,
                                 "capture_top_decile": 0.31}}}


def test_model_quality_title_and_failures() -> None:
    fig = viz.model_quality_figure(CHURN)
    assert title(fig).startswith("lightgbm: ROC AUC 0.83, PR AUC 0.55 against a 20% base rate")
    assert "3.1× the base rate (31% of churners)" in title(fig)
    assert_axes_labelled(fig)
    with pytest.raises(ValueError, match="chosen_model"):
        viz.model_quality_figure({**CHURN, "chosen_model": "svm"})
    with pytest.raises(ValueError, match="base_rate"):
        viz.model_quality_figure({k: v for k, v in CHURN.items() if k != "base_rate"})


def test_risk_distribution_counts_customers_and_revenue_above_threshold() -> None:
    scores = pl.DataFrame({"customer_id": ["a", "b", "c"], "churn_probability": [0.9, 0.6, 0.1],
                           "revenue_at_risk": [100.0, 50.0, 5.0]})
    fig = viz.risk_distribution_figure(scores, threshold=0.5, currency="EUR")
    assert title(fig) == "2 of 3 customers (67%) have a churn risk of 50% or more, with EUR 150 revenue at risk"
    assert_axes_labelled(fig)
    with pytest.raises(ValueError, match="threshold"):
        viz.risk_distribution_figure(scores, threshold=50)


def test_volume_by_channel_title() -> None:
    ts = [dt.datetime(2024, 1, 5, tzinfo=UTC), dt.datetime(2024, 2, 5, tzinfo=UTC), dt.datetime(2024, 2, 9, tzinfo=UTC)]
    fb = pl.DataFrame({"channel": ["chat", "chat", "email"], "created_at": ts})
    fig = viz.volume_by_channel_figure(fb)
    assert title(fig) == "3 items; chat brings the most (67%), and February 2024 was the busiest month (2 items)"
    assert_axes_labelled(fig)


def test_pareto_and_backlog_state_their_findings() -> None:
    import datetime as dt

    by_theme = pl.DataFrame({"topic_id": pl.Series([0, 1, None], dtype=pl.Int32), "topic_label": ["a", "b", None],
                             "n_tickets": [8, 1, 1]})
    fig = viz.root_cause_pareto_figure(by_theme)
    assert fig.layout.title.text.startswith("1 of 3 themes cause 80% of the 10 tickets")
    assert "(no theme)" in fig.data[0].x
    by_month = pl.DataFrame({"month": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)], "backlog_end": [4, 2],
                             "recurrence_rate": [0.1, 0.25]})
    title = viz.backlog_figure(by_month).layout.title.text
    assert "2 tickets open at the end of February 2024" in title and "25%" in title
    with pytest.raises(ValueError, match="backlog_end"):
        viz.backlog_figure(by_month.drop("backlog_end"))


def test_customer_timeline_escapes_text_and_counts_touchpoints() -> None:
    import datetime as dt

    t = dt.datetime(2024, 1, 5, tzinfo=dt.UTC)
    feedback = pl.DataFrame({"customer_id": ["C1", "C2"], "created_at": [t, t], "channel": ["survey", "chat"],
                             "text": ["<img src=x onerror=alert(1)>", "fine"], "sentiment_score": [-0.8, 0.5]})
    tickets = pl.DataFrame({"customer_id": ["C1"], "created_at": [t], "priority": ["high"], "status": ["open"],
                            "escalated": [True]})
    payments = pl.DataFrame({"customer_id": ["C1"], "due_at": [t], "paid_at": pl.Series([None], dtype=pl.Datetime),
                             "amount": [10.0], "failed_attempts": [2]})
    events = pl.DataFrame({"customer_id": ["C1", "C1"], "ts": [t, t], "event": ["login", "login"]})
    fig = viz.customer_timeline_figure("C1", feedback=feedback, tickets=tickets, payments=payments, events=events,
                                       churn_probability=0.8)
    assert "80% churn risk; 1 feedback item (1 negative), 1 ticket (1 escalated), 1 of 1 invoices" in \
        fig.layout.title.text
    assert "<img" not in fig.data[0].text[0] and "&lt;img" in fig.data[0].text[0]
    with pytest.raises(ValueError, match="churn_probability"):
        viz.customer_timeline_figure("C1", feedback=feedback, tickets=tickets, payments=payments, events=events,
                                     churn_probability=2.0)


# --- themes: hierarchy, solicited vs unsolicited, the theme table -------------------------------------------

def theme_info(parents: list[int | None]) -> pl.DataFrame:
    return pl.DataFrame({
        "topic_id": pl.Series([-1, 0, 1, 2][: len(parents)], dtype=pl.Int32),
        "topic_label": ["outliers", "billing", "<b>refunds</b>", "staff"][: len(parents)],
        "count": [5, 30, 10, 20][: len(parents)],
        "top_words": ["", "bill", "refund", "staff"][: len(parents)],
        "representative": ["", "charged twice", "", "lovely people"][: len(parents)],
        "representatives": [[], ["charged twice"], ["<img onerror=x> no refund yet"],
                            ["lovely people"]][: len(parents)],
        "parent_id": pl.Series(parents, dtype=pl.Int32),
        "parent_label": [None if p is None else {-1: "outliers", 0: "billing", 2: "staff"}[p] for p in parents],
    })


def theme_net(nets: list[float]) -> pl.DataFrame:
    return pl.DataFrame({"topic_id": pl.Series([-1, 0, 1, 2], dtype=pl.Int32),
                         "topic_label": ["outliers", "billing", "<b>refunds</b>", "staff"],
                         "n": [5, 30, 10, 20], "net_sentiment": nets})


def test_theme_hierarchy_groups_children_under_parents_and_names_the_largest() -> None:
    info, sent = theme_info([-1, 0, 0, 2]), theme_net([0.0, -40.0, -80.0, 60.0])
    fig = viz_themes.theme_hierarchy_figure(info, sent)
    tree = fig.data[0]
    assert list(tree.parents).count("p0") == 2 and list(tree.parents).count("p2") == 1
    values = dict(zip(tree.ids, tree.values, strict=True))
    assert values["p0"] == 30 + 10 and values["p2"] == 20  # parents sum their children (branchvalues total)
    share = 100 * 40 / 60
    assert title(fig).startswith(f"3 themes group under 2 parent themes; “billing” holds {share:.0f}%")
    weighted = (-40.0 * 30 + -80.0 * 10) / 40
    assert f"most negative (net {weighted:+.0f})" in title(fig)
    assert "&lt;b&gt;refunds&lt;/b&gt;" in tree.labels  # labels are escaped


def test_theme_hierarchy_theme_without_parent_is_its_own_parent() -> None:
    fig = viz_themes.theme_hierarchy_figure(theme_info([-1, None, 0, 2]), theme_net([0.0, -40.0, -80.0, 60.0]))
    assert title(fig).startswith("3 themes group under 2 parent themes")


def test_theme_hierarchy_missing_parent_column_fails() -> None:
    with pytest.raises(ValueError, match="parent_label"):
        viz_themes.theme_hierarchy_figure(theme_info([-1, 0, 0, 2]).drop("parent_label"),
                                          theme_net([0.0, 0.0, 0.0, 0.0]))


def drivers(disagree: list[bool | None], sol: list[float | None], uns: list[float | None]) -> pl.DataFrame:
    k = len(disagree)
    return pl.DataFrame({
        "topic_id": pl.Series(list(range(k)), dtype=pl.Int32), "topic_label": ["billing", "refunds", "staff"][:k],
        "n_items": [30, 10, 20][:k], "n_nps": [12, 4, 8][:k], "nps_impact": [6.5, 1.2, -3.0][:k],
        "impact_p_value": [3e-54, 0.4, None][:k], "effect": [-1.2, -0.1, 0.8][:k],
        "significant": [True, False, None][:k], "enough_data": [True, True, False][:k],
        "share_solicited": pl.Series(sol, dtype=pl.Float64), "share_unsolicited": pl.Series(uns, dtype=pl.Float64),
        "channels_disagree": pl.Series(disagree, dtype=pl.Boolean),
    })


def test_solicited_unsolicited_flags_disagreement_and_names_the_biggest_gap() -> None:
    sol, uns = [10.0, 30.0, 20.0], [40.0, 25.0, 20.0]
    fig = viz_themes.solicited_unsolicited_figure(drivers([True, False, None], sol, uns))
    assert title(fig).startswith("1 of 3 themes differ between surveys and reviews+social")
    assert f"“billing” is raised more in reviews and social ({sol[0]:.0f}% of survey vs {uns[0]:.0f}%" in title(fig)
    labels = list(fig.data[0].y)
    assert "▲ billing" in labels and "refunds" in labels  # only the significant gap is flagged
    assert [t.name for t in fig.data] == ["Surveys (solicited)", "Reviews + social (unsolicited)"]
    assert_axes_labelled(fig)


def test_solicited_unsolicited_without_disagreement_says_so() -> None:
    fig = viz_themes.solicited_unsolicited_figure(drivers([False, False], [10.0, 30.0], [12.0, 28.0]))
    assert title(fig) == ("Surveys and reviews+social raise the same themes: no significant share gap "
                          "in the 2 largest themes")


def test_solicited_unsolicited_bad_input_fails() -> None:
    with pytest.raises(ValueError, match="channels_disagree"):
        viz_themes.solicited_unsolicited_figure(drivers([False], [1.0], [2.0]).drop("channels_disagree"))
    with pytest.raises(ValueError, match="top_n"):
        viz_themes.solicited_unsolicited_figure(drivers([False], [1.0], [2.0]), top_n=0)


def test_theme_overview_joins_parent_impact_channel_and_verbatim() -> None:
    segments = pl.DataFrame({
        "segment_type": ["channel", "channel", "channel", "plan"], "segment": ["survey", "review", "review", "basic"],
        "topic_id": pl.Series([0, 0, 2, 0], dtype=pl.Int32), "count": [3, 5, 2, 9], "share": [0.3, 0.25, 0.1, 0.9],
    })
    out = rp.theme_overview(theme_info([-1, 0, 0, 2]), theme_net([0.0, -40.0, -80.0, 60.0]),
                            theme_drivers=drivers([True, False, None], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]),
                            topics_by_segment=segments)
    assert out["topic_id"].to_list() == [0, 2, 1]  # largest first, outliers left out
    rows = {r["topic_id"]: r for r in out.iter_rows(named=True)}
    assert rows[0]["parent_label"] == "billing" and rows[1]["parent_label"] == "billing"
    assert rows[0]["impact_text"] == "+6.5 (significant, p < 0.001)"
    assert rows[1]["impact_text"] == "+1.2 (not significant, p = 0.400)"
    assert rows[2]["impact_text"] == "-3.0 (not tested)" and rows[2]["driver_text"] == "too few answers"
    assert rows[0]["driver_text"] == "-1.20, significant"
    assert rows[0]["top_channel"] == "survey (30%)"  # the plan segment is not a channel
    assert rows[2]["top_channel"] == "review (10%)" and rows[1]["top_channel"] is None
    assert rows[1]["representative"] == "<img onerror=x> no refund yet"  # empty single one: nearest verbatim (raw)


def test_theme_overview_counts_the_items_mentioning_each_theme() -> None:
    # a1 is filed under billing and also mentions staff (twice: counted once); a2 mentions nothing of its own
    presence = pl.DataFrame({"feedback_id": ["a1", "a1", "a1", "a2", "a3"],
                             "topic_id": pl.Series([0, 2, 2, 2, -1], dtype=pl.Int32)})
    out = rp.theme_overview(theme_info([-1, 0, 0, 2]), theme_net([0.0, -40.0, -80.0, 60.0]), presence=presence)
    assert dict(zip(out["topic_id"].to_list(), out["mentioning"].to_list(), strict=True)) == {0: 1, 2: 2, 1: 0}
    assert out["count"].to_list() == [30, 20, 10]     # the filed count and the order do not change
    # a theme no item is filed under in this view stays while some item mentions it, and goes when none does
    info = theme_info([-1, 0, 0, 2]).with_columns(pl.when(pl.col("topic_id") >= 1).then(0).otherwise("count")
                                                  .alias("count"))
    kept = rp.theme_overview(info, theme_net([0.0] * 4), presence=presence)["topic_id"].to_list()
    assert kept == [0, 2]
    assert rp.theme_overview(info, theme_net([0.0] * 4))["topic_id"].to_list() == [0]
    with pytest.raises(ValueError, match="presence"):
        rp.theme_overview(theme_info([-1, 0, 0, 2]), theme_net([0.0] * 4), presence=presence.drop("topic_id"))


def test_theme_overview_without_optional_tables_and_bad_input() -> None:
    out = rp.theme_overview(theme_info([-1, 0, 0, 2]), theme_net([0.0, -40.0, -80.0, 60.0]))
    assert out["impact_text"].null_count() == out.height and out["top_channel"].null_count() == out.height
    assert out["mentioning"].null_count() == out.height
    with pytest.raises(ValueError, match="parent_label"):
        rp.theme_overview(theme_info([-1, 0, 0, 2]).drop("parent_label"), theme_net([0.0] * 4))
    with pytest.raises(ValueError, match="alpha"):
        rp.theme_overview(theme_info([-1, 0, 0, 2]), theme_net([0.0] * 4), alpha=1.5)


def test_theme_sentiment_over_time_states_the_biggest_move_and_gaps_small_months():
    import datetime as dt

    import polars as pl

    from voc.viz.themes import theme_sentiment_over_time_figure

    rows, sent, fb = [], [], []
    for month, labels in ((1, ["negative"] * 10), (2, ["positive"] * 10), (3, ["positive"] * 2)):
        for j, lab in enumerate(labels):
            fid = f"f{month}{j:02d}"
            rows.append({"feedback_id": fid, "topic_id": 0, "topic_label": "bill <b>"})
            sent.append({"feedback_id": fid, "sentiment_label": lab})
            fb.append({"feedback_id": fid, "created_at": dt.datetime(2025, month, 3, tzinfo=dt.UTC)})
    fig = theme_sentiment_over_time_figure(pl.DataFrame(rows), pl.DataFrame(sent), pl.DataFrame(fb), min_items=5)
    title = fig.layout.title.text
    assert "improved most" in title and "-100" in title and "+100" in title
    assert "&lt;b&gt;" in title  # the label is escaped
    assert list(fig.data[0].y) == [-100.0, 100.0, None]  # March has 2 items: a gap, not a point
    assert fig.layout.yaxis.title.text.startswith("Net sentiment")
