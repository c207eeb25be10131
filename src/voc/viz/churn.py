"""Figures for churn: model quality from ``churn.json`` and the distribution of predicted risk."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from voc.viz._style import PALETTE, style

_QUALITY = (("roc_auc", "ROC AUC"), ("pr_auc", "PR AUC"), ("brier", "Brier score"))


def model_quality_figure(churn: Mapping[str, Any]) -> go.Figure:
    """ROC AUC, PR AUC and Brier score (left) and top-decile lift (right) for every model in
    ``churn.json``; the chosen model's figures and the base rate go in the title."""
    for key in ("models", "chosen_model", "base_rate"):
        if key not in churn:
            raise ValueError(f"churn.json: missing key {key!r}")
    models: Mapping[str, Mapping[str, float]] = churn["models"]
    chosen = churn["chosen_model"]
    if chosen not in models:
        raise ValueError(f"churn.json: chosen_model {chosen!r} is not among models {sorted(models)}")
    fig = make_subplots(rows=1, cols=2, column_widths=[0.7, 0.3],
                        subplot_titles=["Ranking and calibration", "Top-decile lift"])
    for i, (name, scores) in enumerate(sorted(models.items())):
        missing = [k for k, _ in (*_QUALITY, ("lift_top_decile", "")) if k not in scores]
        if missing:
            raise ValueError(f"churn.json: models.{name} lacks {missing}")
        colour = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Bar(x=[label for _, label in _QUALITY], y=[scores[k] for k, _ in _QUALITY],
                             name=name, marker={"color": colour}, legendgroup=name,
                             hovertemplate="%{x}: %{y:.3f}<extra>" + name + "</extra>"), row=1, col=1)
        fig.add_trace(go.Bar(x=[name], y=[scores["lift_top_decile"]], name=name, marker={"color": colour},
                             legendgroup=name, showlegend=False,
                             hovertemplate="lift %{y:.2f}×<extra>" + name + "</extra>"), row=1, col=2)
    base = float(churn["base_rate"])
    fig.add_hline(y=base, line={"dash": "dot", "color": "#444"}, row=1, col=1,
                  annotation_text=f"base rate {base:.0%} (PR AUC of a random ranking)")
    fig.add_hline(y=1.0, line={"dash": "dot", "color": "#444"}, row=1, col=2, annotation_text="random = 1×")
    best = models[chosen]
    capture = best.get("capture_top_decile")
    title = (f"{chosen}: ROC AUC {best['roc_auc']:.2f}, PR AUC {best['pr_auc']:.2f} against a {base:.0%} "
             f"base rate; its top decile churns at {best['lift_top_decile']:.1f}× the base rate")
    if capture is not None:
        title += f" ({capture:.0%} of churners)"
    fig = style(fig, title=title, x_title=None, y_title=None)
    fig.update_yaxes(title_text="Score (0 to 1; Brier: lower is better)", range=[0, 1.05], row=1, col=1)
    fig.update_yaxes(title_text="Churn rate in top decile / base rate (×)", rangemode="tozero", row=1, col=2)
    fig.update_xaxes(title_text="Metric", row=1, col=1)
    fig.update_xaxes(title_text="Model", row=1, col=2)
    fig.update_layout(barmode="group")
    return fig


def risk_distribution_figure(churn_scores: pl.DataFrame, *, threshold: float = 0.5,
                             currency: str = "GBP") -> go.Figure:
    """Histogram of predicted churn probability (%), with the customers and revenue above ``threshold``
    (a probability in [0, 1]) in the title."""
    for col in ("customer_id", "churn_probability", "revenue_at_risk"):
        if col not in churn_scores.columns:
            raise ValueError(f"churn_scores: missing column {col!r}; has {churn_scores.columns}")
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be a probability in (0, 1), got {threshold}")
    probs = churn_scores["churn_probability"].drop_nulls()
    fig = go.Figure(go.Histogram(x=(probs * 100).to_list(), xbins={"start": 0, "end": 100, "size": 5},
                                 marker={"color": PALETTE[0]}))
    fig.add_vline(x=threshold * 100, line={"dash": "dash", "color": PALETTE[5]},
                  annotation_text=f"{threshold:.0%} threshold")
    above = churn_scores.filter(pl.col("churn_probability") >= threshold)
    n, total = above.height, churn_scores.height
    revenue = float(above["revenue_at_risk"].fill_null(0).sum())
    share = 100.0 * n / total if total else 0.0
    title = (f"{n:,} of {total:,} customers ({share:.0f}%) have a churn risk of {threshold:.0%} or more, "
             f"with {currency} {revenue:,.0f} revenue at risk")
    return style(fig, title=title, x_title="Predicted churn probability (%)", y_title="Customers (count)")
