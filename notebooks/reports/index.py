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
reports = ["index", "themes", "complaints", "churn"]
currency = "GBP"
top_n_themes = 8

# %%
from IPython.display import HTML, display

from voc import reports as rp
from voc import viz

rp.use_offline_plotly()  # plotly.js inline, no MathJax from a CDN: the HTML renders offline

frames, metrics, paths = rp.load_inputs(
    ["scores_by_month", "theme_sentiment"],
    ["ingest", "topics", "insights", "complaints", "churn"],
    interim_dir=interim_dir, processed_dir=processed_dir, metrics_dir=metrics_dir,
)
display(HTML(rp.report_header("index", version=rp.data_version(paths, root=project_root), reports=reports)))

# %% [markdown]
# ## Headline figures

# %%
insights, complaints, churn = metrics["insights"], metrics["complaints"], metrics["churn"]
display(HTML(rp.headline_cards(rp.overview_cards(insights, complaints, churn, metrics["ingest"]))))
viz.headline_scores_figure(insights).show()

# %%
viz.score_trend_figure(frames["scores_by_month"], metric="nps").show()

# %%
viz.sentiment_gauge_figure(insights["net_sentiment"], n_items=insights["n_items"]).show()

# %% [markdown]
# ## Top themes

# %%
viz.top_themes_figure(frames["theme_sentiment"], top_n=top_n_themes).show()

# %% [markdown]
# ## Complaint handling and churn

# %%
viz.sla_by_priority_figure(rp.sla_by_priority_from_metrics(complaints)).show()

# %%
viz.model_quality_figure(churn).show()
