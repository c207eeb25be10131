"""What moves NPS: per theme impact, a multivariate driver model with significance, and channel mix.

Per theme (topics with ``topic_id >= 0``):

- **Impact**: the NPS change (points) if the theme's responses were removed, ``NPS(all but the theme) -
  NPS(all)``; positive means the theme drags the score down. Tested as with-vs-without (two-sample z-test on
  NPS with multinomial variances).
- **Driver model**: OLS of each response's 0-10 likelihood-to-recommend answer (``driver_target:
  likelihood``, the more sensitive target) or its NPS contribution (``nps_points``: +100 promoter, 0 passive,
  -100 detractor, so its mean is the NPS) on theme presence and the comment's sentiment score, fitted as cell means (one dummy
  per theme plus one for everything else) so it stays identified when every comment has a theme. A theme's
  ``effect`` is its cell mean net of sentiment minus a reference: the typical theme (``driver_reference:
  median_theme``, default: the response-weighted mean of the middle half of the themes by estimate, so a
  theme that does not move the score sits near 0 even when a few strong drivers shift the average) or the
  response-weighted average of all cells (``average``). Units: points of the target. HC3 robust standard errors; p-values Holm-adjusted across themes.
- **Relative weights** (Johnson 2000): each predictor's share of the model R², in percent, with bootstrap
  percentile intervals.
- **Solicited vs unsolicited**: the theme's share of items and mean sentiment in surveys against public
  channels (reviews, social), with a two-proportion test of the share gap.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats

from voc.metrics.scores import InsightsConfig, compare_scores, holm_adjust, nps_estimate

log = logging.getLogger(__name__)


@dataclass
class DriverResult:
    """The per-theme driver table and a summary for ``insights.json``."""

    table: pl.DataFrame
    summary: dict[str, object]


def _nps_counts(nps: np.ndarray) -> dict[str, int]:
    return {"promoters": int((nps >= 9).sum()), "passives": int(((nps >= 7) & (nps <= 8)).sum()),
            "detractors": int((nps <= 6).sum())}


def _nps_value(nps: np.ndarray) -> float | None:
    c = _nps_counts(nps)
    return nps_estimate(c["promoters"], c["passives"], c["detractors"]).value


def ols_hc3(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and their HC3 (heteroscedasticity-robust) covariance matrix."""
    xtx_inv = np.linalg.pinv(X.T @ X)
    beta = xtx_inv @ X.T @ y
    resid = y - X @ beta
    leverage = np.einsum("ij,jk,ik->i", X, xtx_inv, X)
    w = resid**2 / np.clip(1 - leverage, 1e-8, None) ** 2
    cov = xtx_inv @ (X.T * w) @ X @ xtx_inv
    return beta, cov


def relative_weights(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Johnson's relative weights: each column's share of R² (they sum to R²); constant columns get 0."""
    sd = X.std(axis=0)
    keep = sd > 1e-12
    out = np.zeros(X.shape[1])
    if keep.sum() == 0 or y.std() == 0:
        return out
    Z = (X[:, keep] - X[:, keep].mean(axis=0)) / sd[keep]
    zy = (y - y.mean()) / y.std()
    n = len(y)
    R = Z.T @ Z / n
    evals, evecs = np.linalg.eigh(R)
    evals = np.clip(evals, 0, None)
    root = evecs @ np.diag(np.sqrt(evals)) @ evecs.T           # Lambda = R^(1/2)
    inv_root = evecs @ np.diag([1 / math.sqrt(e) if e > 1e-10 else 0.0 for e in evals]) @ evecs.T
    beta = inv_root @ (Z.T @ zy / n)                            # y on the orthogonal counterparts of Z
    out[keep] = (root**2) @ (beta**2)
    return out


def theme_drivers(
    feedback: pl.DataFrame,
    topics: pl.DataFrame,
    sentiment: pl.DataFrame,
    *,
    config: InsightsConfig,
    seed: int,
    presence: pl.DataFrame | None = None,
) -> DriverResult:
    """Per theme: NPS impact, driver effect net of sentiment with significance, relative weight, channel mix.

    ``feedback`` has ``feedback_id``, ``channel``, ``nps``; ``topics`` has ``feedback_id``, ``topic_id``,
    ``topic_label``; ``sentiment`` has ``feedback_id``, ``sentiment_score``. Responses whose comment has no
    sentiment score are left out of the driver model (counted in the summary), never imputed.

    ``presence`` (optional; ``feedback_id``, ``topic_id``, ``topic_label``, one row per theme an item mentions,
    e.g. ``voc.topics.mentions.theme_presence``) makes membership multi-label: an item counts towards every
    theme it mentions. When some item carries several themes the model gains an intercept and the theme
    columns become indicators (additive effects); with one theme per item it is the cell-means model above.
    """
    for name, frame, cols in (("feedback", feedback, ("feedback_id", "channel", "nps")),
                              ("topics", topics, ("feedback_id", "topic_id", "topic_label")),
                              ("sentiment", sentiment, ("feedback_id", "sentiment_score"))):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"theme_drivers: {name} lacks the column(s) {missing}")
    dupes = topics.filter(pl.col("feedback_id").is_duplicated())
    if dupes.height:
        raise ValueError(f"theme_drivers: topics has feedback_id {dupes['feedback_id'][0]!r} more than once")
    if presence is None:
        presence = topics.filter(pl.col("topic_id") >= 0).select("feedback_id", "topic_id", "topic_label")
    else:
        missing = [c for c in ("feedback_id", "topic_id", "topic_label") if c not in presence.columns]
        if missing:
            raise ValueError(f"theme_drivers: presence lacks the column(s) {missing}")
        presence = presence.filter(pl.col("topic_id") >= 0).unique(["feedback_id", "topic_id"], keep="first")
    presence = presence.select("feedback_id", pl.col("topic_id").cast(pl.Int32), "topic_label")
    member: dict[str, set[int]] = {}
    for fid, t in presence.select("feedback_id", "topic_id").iter_rows():
        member.setdefault(fid, set()).add(int(t))
    multi = any(len(v) > 1 for v in member.values())
    alpha = 1 - config.confidence
    items = (feedback.select("feedback_id", "channel", "nps")
             .join(topics.select("feedback_id", "topic_id", "topic_label"), on="feedback_id", how="left")
             .join(sentiment.select("feedback_id", "sentiment_score"), on="feedback_id", how="left"))
    themes = (presence.group_by("topic_id")
              .agg(pl.col("topic_label").first(), pl.len().alias("n_items")).sort("topic_id"))
    rated = items.filter(pl.col("nps").is_not_null())
    all_nps = rated["nps"].to_numpy().astype(float)
    nps_all = _nps_value(all_nps)

    # the driver model: commented NPS responses with a theme assignment and a sentiment score
    model = rated.filter(pl.col("topic_id").is_not_null() & pl.col("sentiment_score").is_not_null())
    model_sets = [member.get(f, set()) for f in model["feedback_id"].to_list()]
    n_nps_by_theme = {t: sum(t in m for m in model_sets) for t in themes["topic_id"].to_list()}
    kept = [t for t in themes["topic_id"].to_list() if n_nps_by_theme.get(t, 0) >= config.min_theme_n]
    if config.driver_target == "likelihood":
        y = model["nps"].cast(pl.Float64).to_numpy()
    else:
        y = 100.0 * ((model["nps"] >= 9).cast(pl.Float64) - (model["nps"] <= 6).cast(pl.Float64)).to_numpy()
    cells: list[int | None] = [*kept, None]                   # None: everything else (outliers, small themes)
    if not multi:
        tid = model["topic_id"].to_numpy()
        D = np.column_stack([tid == t for t in kept] + [~np.isin(tid, kept)]).astype(float)
        if D.shape[0] and D[:, -1].sum() == 0:                 # no "everything else" responses: drop that cell
            D, cells = D[:, :-1], cells[:-1]
    else:                                                       # indicators per theme plus an intercept
        D = np.column_stack([np.array([t in m for m in model_sets], dtype=float) for t in kept]
                            + [np.ones(len(model_sets))]) if kept else np.ones((len(model_sets), 1))
    sent = model["sentiment_score"].to_numpy().astype(float)
    effects: dict[int, tuple[float, float, float, float]] = {}
    r2 = None
    weights = np.zeros(len(kept) + 1)
    w_low = np.full(len(kept) + 1, np.nan)
    w_high = np.full(len(kept) + 1, np.nan)
    sentiment_coef = None
    if model.height > len(cells) + 2 and kept:
        X = np.column_stack([D, sent])
        beta, cov = ols_hc3(X, y)
        share = D.mean(axis=0)
        dof = model.height - X.shape[1]
        tcrit = float(stats.t.ppf(1 - alpha / 2, dof))
        ref = np.append(share, 0.0)
        if multi:                                              # the intercept is not a cell: weight 0
            ref[len(kept)] = 0.0
        if config.driver_reference == "median_theme":
            # the typical theme: the median theme cell (two middle cells averaged), so themes that do not
            # move the score sit near 0 even when a few strong drivers shift the average
            order = np.argsort(beta[: len(kept)], kind="stable")
            lo = len(kept) // 4
            picks = order[lo: len(kept) - lo]                  # the middle half of the themes by estimate
            ref = np.zeros(X.shape[1])
            ref[picks] = share[picks] / share[picks].sum()     # response-weighted, for a steadier reference
        for j, t in enumerate(cells[: len(kept)]):
            c = -ref.copy()
            c[j] += 1.0
            est = float(c @ beta)
            se = math.sqrt(max(float(c @ cov @ c), 0.0))
            p = float(2 * stats.t.sf(abs(est) / se, dof)) if se > 1e-12 else 1.0  # the reference itself
            effects[int(t)] = (est, est - tcrit * se, est + tcrit * se, p)  # type: ignore[arg-type]
        sentiment_coef = float(beta[-1])
        resid = y - X @ beta
        r2 = float(1 - resid.var() / y.var()) if y.var() > 0 else None
        R = np.column_stack([D[:, : len(kept)], sent])
        weights = relative_weights(R, y)
        if config.driver_bootstrap > 0:
            rng = np.random.default_rng(seed)
            boots = np.array([relative_weights(R[idx], y[idx]) for idx in
                              (rng.integers(0, len(y), len(y)) for _ in range(config.driver_bootstrap))])
            w_low, w_high = np.percentile(boots, [100 * alpha / 2, 100 * (1 - alpha / 2)], axis=0)
    adjusted = holm_adjust([effects[t][3] if t in effects else None for t in themes["topic_id"].to_list()])

    # solicited vs unsolicited channel mix
    sol = items.filter(pl.col("channel").is_in(list(config.solicited_channels)) & pl.col("topic_id").is_not_null())
    uns = items.filter(pl.col("channel").is_in(list(config.unsolicited_channels)) & pl.col("topic_id").is_not_null())

    rows = []
    for k, r in enumerate(themes.iter_rows(named=True)):
        t = r["topic_id"]
        in_t = np.array([t in member.get(f, ()) for f in rated["feedback_id"].to_list()], dtype=bool)
        with_t, without_t = all_nps[in_t], all_nps[~in_t]
        c_with, c_without = _nps_counts(with_t), _nps_counts(without_t)
        est_with = nps_estimate(c_with["promoters"], c_with["passives"], c_with["detractors"],
                                confidence=config.confidence)
        nps_without = _nps_value(without_t)
        _, p_impact = compare_scores(c_with, c_without, "nps")  # type: ignore[arg-type]
        j = kept.index(t) if t in kept else None
        eff = effects.get(t)
        s_in = np.array([t in member.get(f, ()) for f in sol["feedback_id"].to_list()], dtype=bool)
        u_in = np.array([t in member.get(f, ()) for f in uns["feedback_id"].to_list()], dtype=bool)
        s_n, u_n = int(s_in.sum()), int(u_in.sum())
        s_share = s_n / sol.height if sol.height else None
        u_share = u_n / uns.height if uns.height else None
        gap_p = None
        if sol.height and uns.height:
            pooled = (s_n + u_n) / (sol.height + uns.height)
            var = pooled * (1 - pooled) * (1 / sol.height + 1 / uns.height)
            gap_p = float(2 * stats.norm.sf(abs(s_share - u_share) / math.sqrt(var))) if var > 0 else 1.0  # type: ignore[operator]
        s_sent = sol.filter(pl.Series(s_in))["sentiment_score"].mean()
        u_sent = uns.filter(pl.Series(u_in))["sentiment_score"].mean()
        rows.append({
            "topic_id": t, "topic_label": r["topic_label"], "n_items": r["n_items"], "n_nps": int(in_t.sum()),
            "nps_with": est_with.value, "nps_with_ci_low": est_with.ci_low, "nps_with_ci_high": est_with.ci_high,
            "nps_without": nps_without,
            "nps_impact": None if nps_without is None or nps_all is None else round(nps_without - nps_all, 2),
            "impact_p_value": p_impact,
            "effect": None if eff is None else round(eff[0], 3),
            "effect_ci_low": None if eff is None else round(eff[1], 3),
            "effect_ci_high": None if eff is None else round(eff[2], 3),
            "effect_p_value": None if eff is None else eff[3],
            "effect_p_adjusted": adjusted[k],
            "significant": bool(adjusted[k] is not None and adjusted[k] < alpha),
            "enough_data": j is not None,
            "relative_weight": None if j is None else round(100 * float(weights[j]), 3),
            "relative_weight_ci_low": None if j is None or np.isnan(w_low[j]) else round(100 * float(w_low[j]), 3),
            "relative_weight_ci_high": None if j is None or np.isnan(w_high[j]) else round(100 * float(w_high[j]), 3),
            "share_solicited": None if s_share is None else round(100 * s_share, 2),
            "share_unsolicited": None if u_share is None else round(100 * u_share, 2),
            "share_gap_p_value": gap_p,
            "sentiment_solicited": None if s_sent is None else round(float(s_sent), 4),  # type: ignore[arg-type]
            "sentiment_unsolicited": None if u_sent is None else round(float(u_sent), 4),  # type: ignore[arg-type]
        })
    schema = {
        "topic_id": pl.Int32, "topic_label": pl.String, "n_items": pl.Int64, "n_nps": pl.Int64,
        "nps_with": pl.Float64, "nps_with_ci_low": pl.Float64, "nps_with_ci_high": pl.Float64,
        "nps_without": pl.Float64, "nps_impact": pl.Float64, "impact_p_value": pl.Float64,
        "effect": pl.Float64, "effect_ci_low": pl.Float64, "effect_ci_high": pl.Float64,
        "effect_p_value": pl.Float64, "effect_p_adjusted": pl.Float64, "significant": pl.Boolean,
        "enough_data": pl.Boolean, "relative_weight": pl.Float64, "relative_weight_ci_low": pl.Float64,
        "relative_weight_ci_high": pl.Float64, "share_solicited": pl.Float64, "share_unsolicited": pl.Float64,
        "share_gap_p_value": pl.Float64, "sentiment_solicited": pl.Float64, "sentiment_unsolicited": pl.Float64,
    }
    table = pl.DataFrame(rows, schema=schema)
    # rank: significant drivers first, by the size of their effect; then the rest by effect size
    ranked = table.with_columns(pl.col("effect").abs().alias("_size")).sort(
        ["significant", "_size"], descending=[True, True], nulls_last=True
    ).with_row_index("driver_rank", offset=1).drop("_size")
    table = ranked.with_columns(pl.col("driver_rank").cast(pl.Int32),
                                (pl.col("share_gap_p_value") < alpha).fill_null(False).alias("channels_disagree"),
                                ).sort("topic_id")
    top = (table.filter(pl.col("significant")).sort("driver_rank").head(5)
           .select("topic_id", "topic_label", "effect", "effect_p_adjusted", "relative_weight", "nps_impact"))
    summary: dict[str, object] = {
        "n_nps_responses": rated.height, "n_model_responses": model.height,
        "n_nps_without_sentiment_or_topic": rated.height - model.height,
        "n_themes": themes.height, "n_themes_modelled": len(kept),
        "driver_target": config.driver_target,
        "effect_units": "0-10 answer points" if config.driver_target == "likelihood" else "NPS points",
        "r_squared": None if r2 is None else round(r2, 4),
        "sentiment_coef_per_unit": None if sentiment_coef is None else round(sentiment_coef, 2),
        "sentiment_relative_weight": round(100 * float(weights[-1]), 3) if kept else None,
        "top_drivers": top.to_dicts(),
    }
    log.info("drivers: %d themes, %d modelled on %d responses, R2 %s", themes.height, len(kept), model.height, r2)
    return DriverResult(table=table, summary=summary)
