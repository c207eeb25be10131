"""Figures for churn: model quality from ``churn.json``, the distribution of predicted risk and the hazard
ratios of churn by theme."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from voc.viz._style import NEGATIVE, NEUTRAL, PALETTE, POSITIVE, style

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


def churn_theme_hazard_figure(theme_drivers: pl.DataFrame) -> go.Figure:
    """Forest plot of churn hazard ratios by theme (``churn_theme_drivers.parquet``): point and 95% interval
    on a log axis, significant themes coloured (raising churn: vermillion; lowering it: blue), the rest grey;
    themes without a model are listed in the title's note. The title names the themes that raise churn."""
    need = ("topic_id", "topic_label", "n_customers", "hazard_ratio", "ci_low", "ci_high", "q_value", "significant",
            "status")
    missing = [c for c in need if c not in theme_drivers.columns]
    if missing:
        raise ValueError(f"churn_theme_drivers: missing column(s) {missing}; has {theme_drivers.columns}")
    fitted = theme_drivers.filter(pl.col("status") == "fitted").sort("hazard_ratio")
    skipped = theme_drivers.height - fitted.height
    fig = go.Figure()
    groups = (("raises churn (significant)", NEGATIVE, pl.col("significant") & (pl.col("hazard_ratio") > 1)),
              ("lowers churn (significant)", POSITIVE, pl.col("significant") & (pl.col("hazard_ratio") < 1)),
              ("not significant", NEUTRAL, ~pl.col("significant")))
    labels = [f"{r['topic_label']} (n={r['n_customers']:,})" for r in fitted.iter_rows(named=True)]
    fitted = fitted.with_columns(pl.Series("_y", labels, dtype=pl.String))
    for name, colour, cond in groups:
        part = fitted.filter(cond)
        if part.height == 0:
            continue
        fig.add_trace(go.Scatter(
            x=part["hazard_ratio"].to_list(), y=part["_y"].to_list(), mode="markers", name=name,
            marker={"color": colour, "size": 10},
            error_x={"type": "data", "symmetric": False, "color": colour,
                     "array": (part["ci_high"] - part["hazard_ratio"]).to_list(),
                     "arrayminus": (part["hazard_ratio"] - part["ci_low"]).to_list()},
            customdata=part.select("q_value", "ci_low", "ci_high").rows(),
            hovertemplate="%{y}: HR %{x:.2f} (95% CI %{customdata[1]:.2f}-%{customdata[2]:.2f}), "
                          "q %{customdata[0]:.3g}<extra></extra>",
        ))
    fig.add_vline(x=1.0, line={"dash": "dot", "color": "#444"}, annotation_text="no effect (HR 1)")
    risky = fitted.filter(pl.col("significant") & (pl.col("hazard_ratio") > 1)).sort("hazard_ratio", descending=True)
    if fitted.height == 0:
        title = "No theme was raised by enough customers to estimate its effect on churn"
    elif risky.height == 0:
        title = f"No theme significantly raises churn once negative feedback and tenure are accounted for ({fitted.height} themes tested)"
        lead = fitted.filter(pl.col("hazard_ratio") > 1).drop_nulls("q_value").sort("q_value", "hazard_ratio",
                                                                                   descending=[False, True])
        if lead.height:
            r = lead.row(0, named=True)
            title += (f"; strongest hint: {r['topic_label']} ({r['hazard_ratio']:.1f}×, q {r['q_value']:.2f}, "
                      "not significant)")
    else:
        parts = [f"{r['topic_label']} ({r['hazard_ratio']:.1f}×)" for r in risky.head(3).iter_rows(named=True)]
        more = f" and {risky.height - 3} more" if risky.height > 3 else ""
        title = (f"Customers who raised {', '.join(parts)}{more} churn faster than others with as much negative "
                 f"feedback ({risky.height} of {fitted.height} themes significant)")
    if skipped:
        title += f"; {skipped} theme{'s' if skipped > 1 else ''} too small to test"
    fig = style(fig, title=title, x_title="Churn hazard ratio (log scale; 95% CI)", y_title=None)
    fig.update_xaxes(type="log")
    fig.update_layout(height=max(320, 60 + 28 * fitted.height))
    return fig
