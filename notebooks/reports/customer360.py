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
# # Customer 360: the customers most at risk, every touchpoint on one timeline

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
top_n_timelines = 5

# %%
import polars as pl
from IPython.display import HTML, display

from voc import reports as rp
from voc import viz

rp.use_offline_plotly()  # plotly.js inline, no MathJax from a CDN: the HTML renders offline

frames, metrics, paths = rp.load_inputs(
    ["churn_scores", "customers", "feedback", "sentiment", "tickets", "payments", "events"], [],
    interim_dir=interim_dir, processed_dir=processed_dir, metrics_dir=metrics_dir,
)
scope = rp.parse_scope(segment, period)
frames = rp.filter_frames(frames, scope)
display(HTML(rp.report_header("customer360", version=rp.data_version(paths, root=project_root),
                              reports=reports, scope=scope.describe())))
scores = frames["churn_scores"]
if "next_best_action" not in scores.columns:
    raise rp.ReportInputError(f"{processed_dir}/churn_scores.parquet: missing column 'next_best_action'")
at_risk = rp.top_at_risk_customers(scores, frames["customers"], top_n=top_n_timelines).join(
    scores.select("customer_id", "next_best_action"), on="customer_id", how="left")
display(HTML(rp.html_table(
    at_risk,
    columns={"customer_id": "Customer", "churn_probability": "Churn risk", "revenue_at_risk":
             f"Revenue at risk ({currency})", "plan": "Plan", "region": "Region", "top_reasons": "Why (model)",
             "next_best_action": "Recommended action"},
    formats={"churn_probability": lambda v: f"{v:.0%}", "revenue_at_risk": lambda v: f"{v:,.0f}"},
    caption=f"The {at_risk.height} customers with the highest predicted churn risk",
)))
feedback = frames["feedback"].join(frames["sentiment"].select("feedback_id", "sentiment_score"),
                                   on="feedback_id", how="left")

# %% [markdown]
# ## One timeline per customer: feedback, tickets, invoices, product use

# %%
for row in at_risk.iter_rows(named=True):
    display(HTML(rp.html_table(
        pl.DataFrame([row]).select("customer_id", "top_reasons", "next_best_action"),
        columns={"customer_id": "Customer", "top_reasons": "Churn reasons", "next_best_action": "Recommended action"},
    )))
    viz.customer_timeline_figure(
        row["customer_id"], feedback=feedback, tickets=frames["tickets"], payments=frames["payments"],
        events=frames["events"], churn_probability=row["churn_probability"],
    ).show()
