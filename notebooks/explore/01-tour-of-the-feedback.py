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
# scores come with them, and what the texts look like. Run `dvc repro ingest` first; without it, the tour
# shows the tiny synthetic fixture (`voc.reports.fixture.write_fixture_outputs`) so it always runs
# (`pytest --nbval-lax notebooks/explore` relies on that).

# %% tags=["parameters"]
interim_dir = "data/interim"
n_examples = 10
seed = 42

# %%
import html
import tempfile
from pathlib import Path

import polars as pl
from IPython.display import HTML, display

from voc import reports as rp
from voc import viz
from voc.reports.fixture import write_fixture_outputs

rp.use_offline_plotly()
# a relative interim_dir is read from the project root (Jupyter and nbval start in notebooks/explore)
root = next((p for p in (Path.cwd(), *Path.cwd().parents) if (p / "dvc.yaml").is_file()), Path.cwd())
source = Path(interim_dir) if Path(interim_dir).is_absolute() else root / interim_dir
if not (source / "feedback.parquet").is_file():
    fixture_dir = tempfile.TemporaryDirectory(prefix="voc-tour-")  # removed when the kernel exits
    write_fixture_outputs(Path(fixture_dir.name), seed=seed)
    display(HTML(f"<p><b>No {html.escape(str(source / 'feedback.parquet'))}: "
                 "showing the synthetic fixture instead.</b></p>"))
    source = Path(fixture_dir.name) / "data" / "interim"
feedback = rp.read_table(source / "feedback.parquet", rp.inputs.FEEDBACK)
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
