# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Voice of the customer: overview

# %% tags=["parameters"]
interim_dir = "data/interim"
processed_dir = "data/processed"
metrics_dir = "data/metrics"
project_root = "."
reports = ["index", "themes", "complaints", "churn", "customer360"]
currency = "GBP"
# segment: empty for everyone, or plan:premium, region:EU, channel:social; period: empty or YYYY-MM..YYYY-MM
segment = ""
period = ""
top_n_themes = 8
risk_threshold = 0.5

# %%
import polars as pl
from IPython.display import HTML, display

from voc import reports as rp
from voc import viz
from voc.metrics import scores as voc_scores

rp.use_offline_plotly()  # plotly.js inline, no MathJax from a CDN: the HTML renders offline

frames, metrics, paths = rp.load_inputs(
    ["scores_by_month", "theme_sentiment", "churn_scores", "feedback", "sentiment", "topics", "tickets",
     "ticket_metrics", "customers"],
    ["ingest", "topics", "insights", "complaints", "churn"],
    interim_dir=interim_dir, processed_dir=processed_dir, metrics_dir=metrics_dir,
    optional=["theme_alerts", "theme_drivers", "complaints_by_month"],
)
scope = rp.parse_scope(segment, period)
frames = rp.filter_frames(frames, scope)
display(HTML(rp.report_header("index", version=rp.data_version(paths, root=project_root), reports=reports,
                              scope=scope.describe())))

# %% [markdown]
# ## Headline figures

# %%
# item-level figures from this segment/period; model quality and theme impact come from the whole population
insights = rp.scope_insights(frames["feedback"], frames["sentiment"])
complaints, churn = rp.scope_complaints(frames["ticket_metrics"]), metrics["churn"]
cards = rp.overview_cards(insights, complaints, churn, metrics["ingest"], n_feedback=frames["feedback"].height)
months = frames["scores_by_month"] if scope.is_all else rp.scope_scores_by_month(frames["feedback"])
theme_sentiment = (frames["theme_sentiment"] if scope.is_all
                   else voc_scores.theme_sentiment(frames["topics"], frames["sentiment"]))
trend = {"NPS": "nps", "CSAT (top-2-box)": "csat", "CES (1 = very hard, 7 = very easy)": "ces"}
cards = [(label, value, f"{note}; {rp.month_on_month(months, metric=trend[label])}" if label in trend else note)
         for label, value, note in cards]
n_risk, n_scored, revenue = rp.churn_risk_summary(frames["churn_scores"], threshold=risk_threshold)
cards.insert(5, ("Customers at churn risk", f"{n_risk:,}",
                 f"of {n_scored:,} scored (risk {risk_threshold:.0%} or more); {currency} {revenue:,.0f} at risk"))
display(HTML(rp.headline_cards(cards)))
viz.headline_scores_figure(insights).show()

# %%
viz.score_trends_figure(months).show()

# %%
if insights["net_sentiment"] is not None:
    viz.sentiment_gauge_figure(insights["net_sentiment"], n_items=insights["n_items"]).show()

# %% [markdown]
# ## Emerging themes: growing faster than their usual share

# %%
if not scope.is_all:
    display(HTML("<p><i>Emerging-theme alerts and theme impact on NPS are computed on the whole population, "
                 "not this segment/period.</i></p>"))
if "theme_alerts" in frames:
    alerts = rp.emerging_themes(frames["theme_alerts"])
    headers = {"topic_label": "Theme", "window_count": "Items mentioning it (latest window)",
               "window_pct": "Share now (% of items)", "baseline_pct": "Usual share (%)", "lift": "Lift (×)",
               "filed_lift": "Lift among items filed there (×)", "p_value": "p-value"}
    display(HTML(rp.html_table(
        alerts,
        columns={c: h for c, h in headers.items() if c in alerts.columns},   # filed_lift: newer tables only
        formats={"window_pct": lambda v: f"{v:.1f}", "baseline_pct": lambda v: f"{v:.1f}",
                 "lift": lambda v: f"{v:.1f}", "filed_lift": lambda v: f"{v:.1f}",
                 "p_value": lambda v: f"{v:.3g}"},
        caption=(f"{alerts.height} of {frames['theme_alerts'].height} themes flagged as emerging"
                 if alerts.height else "No theme is growing unusually fast: nothing flagged"),
    )))
else:
    display(HTML("<p>No emerging-theme alerts: theme_alerts.parquet was not produced.</p>"))

# %% [markdown]
# ## Top themes

# %%
if "theme_drivers" in frames:
    impact = rp.themes_by_impact(frames["theme_drivers"], top_n=top_n_themes)
    display(HTML(rp.html_table(
        impact,
        columns={"topic_label": "Theme", "n_nps": "NPS answers", "nps_impact": "NPS impact (points)",
                 "impact_p_value": "p-value"},
        formats={"nps_impact": lambda v: f"{v:+.1f}", "impact_p_value": lambda v: f"{v:.3g}"},
        caption="Themes that drag NPS down most: NPS would rise by the impact if the theme's answers went away",
    )))
viz.top_themes_figure(theme_sentiment, top_n=top_n_themes).show()

# %% [markdown]
# ## Complaint handling and churn

# %%
viz.sla_by_priority_figure(rp.summarise_tickets(frames["ticket_metrics"], by=["priority"])).show()

# %%
viz.risk_distribution_figure(frames["churn_scores"], threshold=risk_threshold, currency=currency).show()
