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
# # Complaint handling: SLAs, resolution times, escalation

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

# %%
from IPython.display import HTML, display

from voc import reports as rp
from voc import viz

rp.use_offline_plotly()  # plotly.js inline, no MathJax from a CDN: the HTML renders offline

frames, metrics, paths = rp.load_inputs(
    ["ticket_metrics", "tickets", "customers", "complaints_by_month", "complaints_by_theme", "follow_up",
     "escalation_paths"],
    ["complaints"],
    interim_dir=interim_dir, processed_dir=processed_dir, metrics_dir=metrics_dir,
)
scope = rp.parse_scope(segment, period)
frames = rp.filter_frames(frames, scope)
display(HTML(rp.report_header("complaints", version=rp.data_version(paths, root=project_root),
                              reports=reports, scope=scope.describe())))
tm = frames["ticket_metrics"]
display(HTML(rp.headline_cards(rp.complaint_cards(
    metrics["complaints"] if scope.is_all else rp.scope_complaints(tm)))))

# %% [markdown]
# ## Who to contact now

# %%
follow_up = frames["follow_up"]
display(HTML(rp.html_table(
    follow_up,
    columns={"customer_id": "Customer", "value_at_risk": f"Value at risk ({currency}/month)",
             "monthly_charges": f"Monthly charges ({currency})", "why": "Why", "verbatim": "What they said (redacted)",
             "triggered_at": "Since"},
    formats={"value_at_risk": lambda v: f"{v:,.2f}", "monthly_charges": lambda v: f"{v:,.2f}",
             "triggered_at": lambda v: f"{v:%Y-%m-%d}" if hasattr(v, "strftime") else str(v)[:10]},
    caption=(f"{follow_up.height:,} customers to contact now, ordered by value at risk "
             f"({currency} {follow_up['value_at_risk'].fill_null(0).sum():,.0f} a month in total)"),
)))

# %% [markdown]
# ## Root causes, backlog and recurrence

# %%
if not scope.is_all:
    display(HTML("<p><i>Root causes, backlog and recurrence are computed on the whole population, "
                 "not this segment/period.</i></p>"))
viz.root_cause_pareto_figure(frames["complaints_by_theme"]).show()

# %%
viz.backlog_figure(frames["complaints_by_month"]).show()

# %% [markdown]
# ## SLA achievement by priority and month

# %%
viz.sla_by_priority_figure(rp.summarise_tickets(tm, by=["priority"])).show()

# %%
viz.sla_trend_figure(rp.summarise_tickets(tm, by=["month", "priority"]), rp.summarise_tickets(tm, by=["month"])).show()

# %% [markdown]
# ## Resolution times and escalation

# %%
viz.resolution_time_figure(tm).show()

# %%
viz.escalation_trend_figure(rp.summarise_tickets(tm, by=["month"])).show()

# %%
by_priority = rp.summarise_tickets(tm, by=["priority"])
display(HTML(rp.html_table(
    by_priority,
    columns={"priority": "Priority", "n_tickets": "Tickets", "median_first_response_hours": "Median first response (h)",
             "median_resolution_hours": "Median resolution (h)",
             "sla_first_response_achievement": "First response within SLA (%)",
             "sla_resolution_achievement": "Resolved within SLA (%)", "escalation_rate": "Escalated (%)"},
    formats={c: (lambda v: f"{v:.1f}") for c in by_priority.columns if c not in ("priority", "n_tickets")},
)))

# %% [markdown]
# ## Requester wait and escalation paths
# From the ticket status history (help-desk event log): requester wait is the time a ticket spent in new,
# open and on-hold until its final solve (Zendesk's definition; open tickets have none yet). An escalation
# path is the sequence of support groups a ticket went through.

# %%
import html

history = metrics["complaints"].get("status_history") or {}
if not history.get("available") or "requester_wait_hours" not in tm.columns:
    display(HTML(f"<p><i>No ticket status history: {html.escape(history.get('reason', 'not measured'))}.</i></p>"))
else:
    viz.requester_wait_figure(tm).show()
    if not scope.is_all:
        display(HTML("<p><i>Escalation paths are computed on the whole population, not this segment/period.</i></p>"))
    if frames["escalation_paths"].height:
        viz.escalation_paths_figure(frames["escalation_paths"]).show()
    else:
        display(HTML("<p><i>No ticket in the status history has a support group: no escalation paths.</i></p>"))
