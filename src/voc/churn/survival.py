"""Time to churn with lifelines: Kaplan-Meier curves by segment and a Cox proportional-hazards model.

Durations are in days; ``event`` is 1 when the customer cancelled within the follow-up, 0 when censored.
Hazard ratios are per standard deviation of a numeric feature, or against the most common level for a
one-hot category (the reference level, reported).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from lifelines import CoxPHFitter, KaplanMeierFitter
from threadpoolctl import threadpool_limits

log = logging.getLogger(__name__)

KM_SCHEMA = {
    "segment_type": pl.String, "segment": pl.String, "timeline_days": pl.Float64, "survival": pl.Float64,
    "ci_low": pl.Float64, "ci_high": pl.Float64, "at_risk": pl.Int64, "events": pl.Int64,
}


def tenure_band(tenure_days: pl.Expr, edges: Sequence[int]) -> pl.Expr:
    """Band label for a tenure in days: with edges (90, 180) -> ``<90d``, ``90-180d``, ``>=180d``; null stays null."""
    expr = pl.when(tenure_days.is_null()).then(pl.lit(None, pl.String)).when(tenure_days < edges[0]).then(pl.lit(f"<{edges[0]}d"))
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        expr = expr.when(tenure_days < hi).then(pl.lit(f"{lo}-{hi}d"))
    return expr.otherwise(pl.lit(f">={edges[-1]}d"))


def kaplan_meier(durations: np.ndarray, events: np.ndarray, segments: Mapping[str, Sequence[str | None]]) -> pl.DataFrame:
    """Kaplan-Meier survival (95% CI) for everyone (``segment_type`` ``all``) and per level of each segment
    (null level -> ``(unknown)``); one row per distinct time, sorted. ``at_risk`` / ``events``: counts at that time."""
    groups: list[tuple[str, str, np.ndarray]] = [("all", "all", np.ones(len(durations), dtype=bool))]
    for seg_type, values in segments.items():
        labels = np.array(["(unknown)" if v is None else str(v) for v in values], dtype=object)
        groups += [(seg_type, level, labels == level) for level in sorted(set(labels.tolist()))]
    frames = []
    for seg_type, level, mask in groups:
        if not mask.any():
            continue
        km = KaplanMeierFitter().fit(durations[mask], event_observed=events[mask])
        ci = km.confidence_interval_survival_function_.to_numpy()
        table = km.event_table
        frames.append(pl.DataFrame({
            "segment_type": seg_type, "segment": level,
            "timeline_days": km.survival_function_.index.to_numpy().astype(np.float64),
            "survival": km.survival_function_.iloc[:, 0].to_numpy().astype(np.float64),
            "ci_low": ci[:, 0].astype(np.float64), "ci_high": ci[:, 1].astype(np.float64),
            "at_risk": table["at_risk"].to_numpy().astype(np.int64), "events": table["observed"].to_numpy().astype(np.int64),
        }, schema=KM_SCHEMA))
    if not frames:
        return pl.DataFrame(schema=KM_SCHEMA)
    return pl.concat(frames).sort("segment_type", "segment", "timeline_days")


def fit_cox(
    x: np.ndarray,
    names: Sequence[str],
    durations: np.ndarray,
    events: np.ndarray,
    *,
    penalizer: float = 0.01,
    top: int = 8,
) -> dict[str, Any]:
    """Cox model on standardised features (NaN -> median; constant columns and, per one-hot category
    ``col=level``, the most common level dropped as the reference). Returns ``concordance`` (in-sample
    Harrell's C), ``n``, ``n_events``, ``reference_levels`` and ``hazard_ratios``: the ``top`` terms by
    |log HR| among those with p < 0.05 (then the rest), each ``feature, hazard_ratio, ci_low, ci_high, p_value``."""
    if events.sum() < 2 or len(events) - events.sum() < 2:
        raise ValueError(f"Cox model needs at least 2 events and 2 censored customers; got {int(events.sum())} of {len(events)}")
    x = np.where(np.isnan(x), np.nanmedian(np.where(np.all(np.isnan(x), axis=0), 0.0, x), axis=0), x)
    x = np.nan_to_num(x)
    keep = [j for j in range(x.shape[1]) if np.std(x[:, j]) > 0]
    reference: dict[str, str] = {}
    by_category: dict[str, list[int]] = {}
    for j in keep:
        if "=" in names[j]:
            by_category.setdefault(names[j].split("=", 1)[0], []).append(j)
    for col, idx in by_category.items():
        ref = max(idx, key=lambda j: (x[:, j].sum(), -j))
        reference[col] = names[ref].split("=", 1)[1]
        keep.remove(ref)
    z = (x[:, keep] - x[:, keep].mean(axis=0)) / x[:, keep].std(axis=0)
    cols = [names[j] for j in keep]
    import pandas as pd  # lifelines takes pandas

    frame = pd.DataFrame(z, columns=cols).assign(_duration=durations, _event=events.astype(int))
    with threadpool_limits(limits=1, user_api="blas"):
        cph = CoxPHFitter(penalizer=penalizer).fit(frame, duration_col="_duration", event_col="_event")
    s = cph.summary
    rows = [
        {"feature": f, "hazard_ratio": float(s.loc[f, "exp(coef)"]), "ci_low": float(s.loc[f, "exp(coef) lower 95%"]),
         "ci_high": float(s.loc[f, "exp(coef) upper 95%"]), "p_value": float(s.loc[f, "p"]), "per": "sd" if "=" not in f else "vs reference"}
        for f in cols
    ]
    rows.sort(key=lambda r: (r["p_value"] >= 0.05, -abs(np.log(r["hazard_ratio"])), r["feature"]))
    return {
        "concordance": float(cph.concordance_index_), "n": len(events), "n_events": int(events.sum()),
        "penalizer": penalizer, "reference_levels": reference, "hazard_ratios": rows[:top],
    }
