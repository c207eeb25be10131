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
# # A tour of the feedback
#
# What is in `data/interim/feedback.parquet` after `ingest`: how many items per channel and month, which
# scores come with them, and what the texts look like. Run `dvc repro ingest` first (or point `interim_dir`
# at a fixture written by `voc.reports.fixture.write_fixture_outputs`).

# %% tags=["parameters"]
interim_dir = "data/interim"
n_examples = 10
seed = 42

# %%
from pathlib import Path

import polars as pl
from IPython.display import HTML, display

from voc import reports as rp
from voc import viz

rp.use_offline_plotly()
feedback = rp.read_table(Path(interim_dir) / "feedback.parquet", rp.inputs.FEEDBACK)
feedback.select("channel", "source").group_by("channel", "source").len().sort("channel", "source")

# %% [markdown]
# ## Volume by channel and month

# %%
viz.volume_by_channel_figure(feedback).show()

# %% [markdown]
# ## Which scores come with the text
# Share of items per channel that carry each score (NPS 0-10, CSAT 1-5, CES 1-7, stars 1-5).

# %%
feedback.group_by("channel").agg(
    pl.len().alias("items"),
    *[(100 * pl.col(c).is_not_null().mean()).round(0).alias(f"% with {c}") for c in ("nps", "csat", "ces", "stars")],
    pl.col("text").str.len_chars().median().alias("median characters"),
).sort("channel")

# %% [markdown]
# ## A random sample of texts (already redacted; shown as text, never as markup)

# %%
sample = feedback.sample(n=min(n_examples, feedback.height), seed=seed).sort("feedback_id")
display(HTML(rp.html_table(sample, columns={"feedback_id": "Id", "channel": "Channel", "created_at": "Created (UTC)",
                                            "text": "Text"},
                           formats={"created_at": lambda v: v.strftime("%Y-%m-%d %H:%M")})))
