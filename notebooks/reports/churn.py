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
# # Churn risk

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
top_n_customers = 15
risk_threshold = 0.5

# %%
from IPython.display import HTML, display

from voc import reports as rp
from voc import viz

rp.use_offline_plotly()  # plotly.js inline, no MathJax from a CDN: the HTML renders offline

frames, metrics, paths = rp.load_inputs(
    ["churn_scores", "customers", "churn_theme_drivers"], ["churn"],
    interim_dir=interim_dir, processed_dir=processed_dir, metrics_dir=metrics_dir,
)
scope = rp.parse_scope(segment, period)
frames = rp.filter_frames(frames, scope)
display(HTML(rp.report_header("churn", version=rp.data_version(paths, root=project_root), reports=reports,
                              scope=scope.describe())))
churn = metrics["churn"]
display(HTML(rp.html_table(
    rp.churn_model_table(churn),
    caption=(("Whole-population model quality (not this segment/period). " if not scope.is_all else "") +
             f"Models trained on data up to {churn['cutoff']}, predicting churn within {churn['horizon_days']} "
             f"days for {churn['n_customers']:,} customers (base rate {churn['base_rate']:.1%}); "
             f"chosen: {churn['chosen_model']}"),
)))

# %% [markdown]
# ## Model quality

# %%
viz.model_quality_figure(churn).show()

# %% [markdown]
# ## Risk across the customer base

# %%
viz.risk_distribution_figure(frames["churn_scores"], threshold=risk_threshold, currency=currency).show()

# %% [markdown]
# ## Customers most at risk, with the model's reasons

# %%
at_risk = rp.top_at_risk_customers(frames["churn_scores"], frames["customers"], top_n=top_n_customers)
display(HTML(rp.html_table(
    at_risk,
    columns={"customer_id": "Customer", "churn_probability": "Churn risk", "revenue_at_risk":
             f"Revenue at risk ({currency})", "plan": "Plan", "region": "Region",
             "monthly_charges": f"Monthly charges ({currency})", "top_reasons": "Top reasons"},
    formats={"churn_probability": lambda v: f"{v:.0%}", "revenue_at_risk": lambda v: f"{v:,.0f}",
             "monthly_charges": lambda v: f"{v:,.2f}"},
)))

# %% [markdown]
# ## Which themes raise churn
# Hazard ratio of churn for the customers who raised each theme in the days before the survival view's
# origin (`churn.theme_lookback_days` in params.yaml), net of their count of negative feedback, their tenure and the
# other themes (Cox model; intervals 95%, significance after Benjamini-Hochberg). Whole population: not filtered by
# segment or period.

# %%
import html

if frames["churn_theme_drivers"].height:
    viz.churn_theme_hazard_figure(frames["churn_theme_drivers"]).show()
else:
    skipped = (churn.get("theme_drivers") or {}).get("skipped", "no theme was measured")
    display(HTML(f"<p><i>No churn theme drivers: {html.escape(str(skipped))}.</i></p>"))
