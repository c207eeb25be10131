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
# # Themes in the feedback

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
verbatims_per_theme = 3

# %%
import polars as pl
from IPython.display import HTML, display

from voc import reports as rp
from voc import viz
from voc.metrics import scores as voc_scores
from voc.topics import theme_shares, topics_over_time
from voc.topics.mentions import theme_presence
from voc.viz import themes as viz_themes

rp.use_offline_plotly()  # plotly.js inline, no MathJax from a CDN: the HTML renders offline

frames, metrics, paths = rp.load_inputs(
    ["feedback", "customers", "topics", "topic_info", "topics_over_time", "sentiment", "theme_sentiment"],
    ["topics"],
    interim_dir=interim_dir, processed_dir=processed_dir, metrics_dir=metrics_dir,
    optional=["theme_drivers", "topics_by_segment", "theme_mentions"],
)
# the mentions column is shown when the workspace has mentions, even if a narrowed view holds none of them
has_mentions = "theme_mentions" in frames and frames["theme_mentions"].height > 0
scope = rp.parse_scope(segment, period)
frames = rp.filter_frames(frames, scope)
display(HTML(rp.report_header("themes", version=rp.data_version(paths, root=project_root), reports=reports,
                              scope=scope.describe())))

# %% [markdown]
# ## The themes

# %%
# every theme an item's sentences mention (its own theme when none does), as the trends, segments and alerts count
presence = theme_presence(frames["topics"], frames["theme_mentions"], item_theme="fallback") if has_mentions else None
table_info = frames["topic_info"]
if not scope.is_all:  # volumes and sentiment from this segment/period's feedback
    frames["theme_sentiment"] = voc_scores.theme_sentiment(frames["topics"], frames["sentiment"])
    counts = frames["topics"].group_by("topic_id").agg(pl.len().cast(pl.Int64).alias("count"))
    # the table also lists a theme only mentioned in this view (0 filed); the figures show the filed ones
    table_info = (frames["topic_info"].drop("count").join(counts, on="topic_id", how="left")
                  .with_columns(pl.col("count").fill_null(0)))
    frames["topic_info"] = table_info.filter(pl.col("count") > 0)
    frames["topics_over_time"] = topics_over_time(frames["topics"], frames["feedback"], presence)
    # which channels carry each theme, from this view's items
    frames["topics_by_segment"] = theme_shares(frames["topics"], frames["feedback"], by="channel", presence=presence)
overview = rp.theme_overview(table_info, frames["theme_sentiment"],
                             theme_drivers=frames.get("theme_drivers"),
                             topics_by_segment=frames.get("topics_by_segment"), presence=presence)
tm = metrics["topics"]
display(HTML(rp.html_table(
    overview,
    columns={"topic_label": "Theme", "parent_label": "Parent theme", "count": "Items",
             **({"mentioning": "Items mentioning it"} if presence is not None else {}),
             "net_sentiment": "Net sentiment (pts)", "impact_text": "NPS impact (pts; with vs without test)",
             "driver_text": "Driver effect net of sentiment (Holm-adjusted)",
             "top_channel": "Most frequent in (share of that channel's items)",
             "representative": "Representative comment (redacted)"},
    formats={"net_sentiment": lambda v: f"{v:+.0f}"},
    caption=(f"{tm['n_topics']} themes cover {tm['coverage']:.0%} of {tm['n_items']:,} items" if scope.is_all else
             f"{overview.height} themes in {frames['feedback'].height:,} items of this view")
    + ("; items: filed under the theme, one each; mentioning: items with a sentence about it, several per item"
       " (or filed under it when none of its sentences reached a theme)" if presence is not None else "")
    + "; net sentiment = % positive minus % negative; NPS impact = points NPS would gain without the theme"
    + ("" if "theme_drivers" in frames else " (not available: no theme_drivers.parquet)")
    + ("" if scope.is_all or "theme_drivers" not in frames else "; impact and driver effect: all customers"),
)))

# %% [markdown]
# ## The hierarchy: parent themes and their themes

# %%
viz_themes.theme_hierarchy_figure(frames["topic_info"], frames["theme_sentiment"]).show()

# %%
viz.top_themes_figure(frames["theme_sentiment"], top_n=top_n_themes).show()

# %%
viz.theme_sentiment_figure(frames["theme_sentiment"], top_n=top_n_themes).show()

# %%
if presence is not None:
    display(HTML("<p>Shares over time and by channel count every item that mentions a theme, as the emerging-theme "
                 "alerts do (an item counts for its own theme when none of its sentences reached one), so the "
                 "themes of a month can add up to more than 100%. The chart shows the themes with the most items "
                 "filed under them; the sentiment over time below follows the theme each item is filed under.</p>"))
viz.topics_over_time_figure(frames["topics_over_time"], frames["topic_info"], top_n=min(top_n_themes, 6)).show()

# %%
fig = viz_themes.theme_sentiment_over_time_figure(frames["topics"], frames["sentiment"], frames["feedback"],
                                                  top_n=min(top_n_themes, 6))
if any(v is not None for trace in fig.data for v in trace.y):
    fig.show()
else:
    print("Net sentiment per theme over time: no theme has a month with enough items to read in this view.")

# %% [markdown]
# ## Solicited vs unsolicited: what surveys hear against what customers post in reviews and social

# %%
if "theme_drivers" in frames:
    if not scope.is_all:
        display(HTML("<p>Channel mix for all customers (the driver table is not split by segment or period).</p>"))
    viz_themes.solicited_unsolicited_figure(frames["theme_drivers"], top_n=top_n_themes).show()
else:
    display(HTML("<p>No theme_drivers.parquet: run the insights stage to compare solicited and unsolicited "
                 "feedback.</p>"))

# %% [markdown]
# ## What customers say: the most negative comments of the largest themes

# %%
largest = overview.head(top_n_themes)["topic_id"].to_list()
verbatims = rp.negative_verbatims(frames["feedback"], frames["topics"], frames["sentiment"],
                                  topic_ids=largest, per_topic=verbatims_per_theme)
display(HTML(rp.html_table(
    verbatims,
    columns={"topic_label": "Theme", "channel": "Channel", "created_at": "Date", "sentiment_score": "Sentiment",
             "text": "Comment (redacted)"},
    formats={"created_at": lambda v: v.strftime("%Y-%m-%d"), "sentiment_score": lambda v: f"{v:+.2f}"},
)))
