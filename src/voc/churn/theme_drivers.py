"""What moves churn: per theme, the hazard ratio of the customers who raised it, net of general unhappiness.

A Cox proportional-hazards model of time to churn (days from each customer's time origin) on theme
indicators, "raised the theme in an item dated in ``[cutoff - lookback_days, cutoff)``" (all themes in one
model by default, or one model per theme), adjusted for
the customer's count of negative items in that same window (so a theme is not credited with unhappiness in
general) and for the ``adjust`` columns (tenure in years by default). Only items dated strictly before the
customer's cutoff count: mentions after the time origin would leak the outcome.

A theme is fitted when at least ``min_customers`` customers raised it and at least ``min_events`` of them
churned; otherwise its row stays, with the reason in ``status`` and null estimates. p-values are
Benjamini-Hochberg adjusted (``q_value``) across the fitted themes; ``significant`` is ``q_value < 1 -
confidence``. Themes that do not reach it are shown as such, never dropped.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import polars as pl
from lifelines import CoxPHFitter
from lifelines.exceptions import ConvergenceError
from scipy import stats
from threadpoolctl import threadpool_limits

log = logging.getLogger(__name__)

THEME_DRIVER_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "topic_id": pl.Int32, "topic_label": pl.String, "n_customers": pl.Int64, "n_events": pl.Int64,
    "hazard_ratio": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64, "p_value": pl.Float64,
    "q_value": pl.Float64, "significant": pl.Boolean, "status": pl.String, "driver_rank": pl.Int32,
}
STATUSES = ("fitted", "too_few_customers", "too_few_events", "no_contrast", "not_converged")
NEGATIVE_COL = "negative_feedback"


@dataclasses.dataclass(frozen=True)
class ChurnThemeDrivers:
    """The per-theme hazard-ratio table (``THEME_DRIVER_SCHEMA``, sorted by ``topic_id``) and a summary."""

    table: pl.DataFrame
    summary: dict[str, Any]


def _require(frame: pl.DataFrame, cols: Sequence[str], name: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"churn_theme_drivers: {name} lacks the column(s) {missing}")


def bh_adjust(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini-Hochberg q-values (None stays None, and is not counted in the family)."""
    idx = [i for i, p in enumerate(p_values) if p is not None and not math.isnan(p)]
    out: list[float | None] = [None] * len(p_values)
    if idx:
        q = stats.false_discovery_control(np.array([p_values[i] for i in idx], dtype=np.float64), method="bh")
        for i, v in zip(idx, q, strict=True):
            out[i] = float(v)
    return out


def customer_theme_flags(
    survival: pl.DataFrame,
    items: pl.DataFrame,
    presence: pl.DataFrame,
    *,
    lookback_days: int | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per customer of ``survival`` (``customer_id``, ``cutoff_at``): the items in the window before the
    cutoff. Returns (``customer_id, negative_feedback`` count, zero-filled; ``customer_id, topic_id`` one row
    per theme the customer raised). An item counts when ``cutoff_at - lookback_days <= created_at <
    cutoff_at`` (no lower bound when ``lookback_days`` is None)."""
    linked = (items.filter(pl.col("customer_id").is_not_null())
              .join(survival.select("customer_id", "cutoff_at"), on="customer_id", how="inner"))
    keep = pl.col("created_at") < pl.col("cutoff_at")
    if lookback_days is not None:
        keep = keep & (pl.col("created_at") >= pl.col("cutoff_at") - pl.duration(days=lookback_days))
    window = linked.filter(keep)
    negatives = survival.select("customer_id").join(
        window.group_by("customer_id").agg(pl.col("negative").fill_null(False).sum().cast(pl.Float64).alias(NEGATIVE_COL)),
        on="customer_id", how="left",
    ).with_columns(pl.col(NEGATIVE_COL).fill_null(0.0)).sort("customer_id")
    raised = (window.select("feedback_id", "customer_id")
              .join(presence.select("feedback_id", pl.col("topic_id").cast(pl.Int32)), on="feedback_id", how="inner")
              .filter(pl.col("topic_id") >= 0)
              .unique(["customer_id", "topic_id"])
              .select("customer_id", "topic_id")
              .sort("customer_id", "topic_id"))
    return negatives, raised


def _validate(survival: pl.DataFrame, items: pl.DataFrame, presence: pl.DataFrame, adjust: Sequence[str]) -> None:
    _require(survival, ("customer_id", "duration_days", "event", "cutoff_at", *adjust), "survival")
    _require(items, ("feedback_id", "customer_id", "created_at", "negative"), "items")
    _require(presence, ("feedback_id", "topic_id", "topic_label"), "presence")
    dupes = survival.filter(pl.col("customer_id").is_duplicated())
    if dupes.height:
        raise ValueError(f"churn_theme_drivers: survival has customer_id {dupes['customer_id'][0]!r} more than once")
    checks = (
        (pl.col("duration_days").is_null() | (pl.col("duration_days") < 0), "duration_days", "must be >= 0 days"),
        (~pl.col("event").cast(pl.Int64, strict=False).is_in([0, 1]).fill_null(False), "event", "must be 0 or 1"),
        (pl.col("cutoff_at").is_null(), "cutoff_at", "must be set (the time origin)"),
    )
    for cond, field, what in checks:
        bad = survival.with_row_index("_row", offset=1).filter(cond)
        if bad.height:
            row = bad.row(0, named=True)
            raise ValueError(f"churn_theme_drivers: survival row {row['_row']} (customer {row['customer_id']!r}), "
                             f"field {field}: {what}, got {row[field]!r}")
    for col in adjust:
        if survival[col].null_count():
            i = int(survival[col].is_null().arg_true()[0])
            raise ValueError(f"churn_theme_drivers: survival row {i + 1} (customer {survival['customer_id'][i]!r}), "
                             f"field {col}: null (adjustment columns must be set)")


def _fit(x: np.ndarray, durations: np.ndarray, events: np.ndarray, names: list[str], n_themes: int,
         penalizer: float, alpha: float) -> list[tuple[float, float, float, float]]:
    """Cox fit; (hazard ratio, CI low, CI high, p-value) of each of the first ``n_themes`` columns."""
    import pandas as pd  # lifelines takes pandas

    frame = pd.DataFrame(x, columns=names).assign(_duration=durations, _event=events)
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cph = CoxPHFitter(penalizer=penalizer, alpha=alpha).fit(frame, duration_col="_duration", event_col="_event")
    for w in caught:
        log.warning("churn theme drivers: lifelines on %s: %s", names[:n_themes], w.message)
    lo_col, hi_col = (c for c in cph.summary.columns if c.startswith("exp(coef) ") and c.endswith("%"))
    rows = cph.summary.loc[names[:n_themes]]
    return [(float(r["exp(coef)"]), float(r[lo_col]), float(r[hi_col]), float(r["p"])) for _, r in rows.iterrows()]


def churn_theme_drivers(
    survival: pl.DataFrame,
    items: pl.DataFrame,
    presence: pl.DataFrame,
    *,
    adjust: Sequence[str] = ("tenure_days",),
    lookback_days: int | None = 90,
    min_customers: int = 30,
    min_events: int = 5,
    confidence: float = 0.95,
    penalizer: float = 0.0,
    model: Literal["joint", "per_theme"] = "joint",
) -> ChurnThemeDrivers:
    """Hazard ratio of churn for the customers who raised each theme, adjusted for their negative-item count.

    ``survival``: one row per customer, ``customer_id``, ``duration_days`` (days from the time origin to churn
    or censoring, >= 0), ``event`` (1 churned, 0 censored), ``cutoff_at`` (UTC; the time origin: only items
    dated strictly before it count) and the ``adjust`` columns (numeric; ``tenure_days`` enters per year).
    ``items``: ``feedback_id``, ``customer_id`` (null: not linkable, counted), ``created_at``, ``negative``
    (Boolean); an item without a date cannot be placed before the cutoff: not used, counted in the summary
    (``n_items_undated``). ``presence``: ``feedback_id, topic_id, topic_label``, one row per theme an item carries
    (multi-label, e.g. ``voc.topics.mentions.theme_presence``); outliers (``topic_id < 0``) are ignored.

    ``model``: ``joint`` (default) puts every theme that passes the guards in one Cox model, so each hazard
    ratio is also net of the other themes; ``per_theme`` fits one model per theme. Per theme, a strong driver
    left out of the model inflates the negative-count coefficient, and themes with no effect of their own
    then look protective (HR < 1); the joint model avoids that.
    """
    if model not in ("joint", "per_theme"):
        raise ValueError(f"churn_theme_drivers: model must be 'joint' or 'per_theme', got {model!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"churn_theme_drivers: confidence must be in (0, 1), got {confidence}")
    if min_customers < 1 or min_events < 1:
        raise ValueError(f"churn_theme_drivers: min_customers and min_events must be >= 1, got {min_customers}, {min_events}")
    if lookback_days is not None and lookback_days < 1:
        raise ValueError(f"churn_theme_drivers: lookback_days must be >= 1 or None, got {lookback_days}")
    _validate(survival, items, presence, adjust)
    alpha = 1 - confidence
    surv = survival.select("customer_id", pl.col("duration_days").cast(pl.Float64), pl.col("event").cast(pl.Int64),
                           pl.col("cutoff_at"), *[pl.col(c).cast(pl.Float64) for c in adjust]).sort("customer_id")
    negatives, raised = customer_theme_flags(surv, items, presence, lookback_days=lookback_days)
    labels = (presence.filter(pl.col("topic_id") >= 0)
              .select(pl.col("topic_id").cast(pl.Int32), "topic_label")
              .unique("topic_id", keep="first").sort("topic_id"))
    ids = surv["customer_id"].to_list()
    pos = {c: i for i, c in enumerate(ids)}
    durations = surv["duration_days"].to_numpy()
    events = surv["event"].to_numpy()
    covars = [negatives[NEGATIVE_COL].to_numpy()]
    names = [NEGATIVE_COL]
    for col in adjust:
        v = surv[col].to_numpy()
        covars.append(v / 365.25 if col == "tenure_days" else v)
        names.append(f"{col[:-5]}_years" if col == "tenure_days" else col)
    z = np.column_stack(covars) if covars else np.zeros((len(ids), 0))
    by_theme: dict[int, list[int]] = {}
    for cid, t in raised.iter_rows():
        by_theme.setdefault(int(t), []).append(pos[cid])
    rows = []
    for t, label in labels.iter_rows():
        mask = np.zeros(len(ids), dtype=bool)
        mask[by_theme.get(t, [])] = True
        n_t, e_t = int(mask.sum()), int(events[mask].sum())
        row: dict[str, Any] = {"topic_id": t, "topic_label": label, "n_customers": n_t, "n_events": e_t,
                               "hazard_ratio": None, "ci_low": None, "ci_high": None, "p_value": None}
        if n_t < min_customers:
            row["status"] = "too_few_customers"
        elif e_t < min_events:
            row["status"] = "too_few_events"
        elif n_t == len(ids) or int(events[~mask].sum()) == 0:
            row["status"] = "no_contrast"
        else:
            row["status"], row["_mask"] = "pending", mask
        rows.append(row)
    keep = [j for j in range(z.shape[1]) if np.std(z[:, j]) > 0]
    pending = [r for r in rows if r["status"] == "pending"]
    groups = [pending] if model == "joint" and pending else [[r] for r in pending]
    for group in groups:
        x = np.column_stack([*[r["_mask"].astype(np.float64) for r in group], z[:, keep]])
        try:
            fits = _fit(x, durations, events, [*[f"theme_{r['topic_id']}" for r in group], *[names[j] for j in keep]],
                        len(group), penalizer, alpha)
            for r, (hr, lo, hi, p) in zip(group, fits, strict=True):
                r.update(hazard_ratio=hr, ci_low=lo, ci_high=hi, p_value=p, status="fitted")
        except ConvergenceError as exc:
            log.warning("churn theme drivers: themes %s not fitted: %s", [r["topic_label"] for r in group], exc)
            for r in group:
                r["status"] = "not_converged"
    for r in rows:
        r.pop("_mask", None)
    q = bh_adjust([r["p_value"] for r in rows])
    for r, v in zip(rows, q, strict=True):
        r["q_value"] = v
        r["significant"] = bool(v is not None and v < alpha)
    table = pl.DataFrame(rows, schema={k: v for k, v in THEME_DRIVER_SCHEMA.items() if k != "driver_rank"})
    # rank: significant first, by the size of the log hazard ratio; then the rest by the strength of the
    # evidence (p-value), so the likeliest drivers lead even when none survives the correction; unfitted last
    table = (table.with_columns(pl.when(pl.col("significant")).then(pl.col("hazard_ratio").log().abs()).alias("_size"),
                                pl.when(pl.col("significant")).then(None).otherwise(pl.col("p_value")).alias("_p"))
             .sort(["significant", "_size", "_p", "topic_id"], descending=[True, True, False, False], nulls_last=True)
             .with_row_index("driver_rank", offset=1)
             .with_columns(pl.col("driver_rank").cast(pl.Int32))
             .drop("_size", "_p").select(list(THEME_DRIVER_SCHEMA)).sort("topic_id"))
    risky = (table.filter(pl.col("significant") & (pl.col("hazard_ratio") > 1)).sort("driver_rank")
             .select("topic_id", "topic_label", "hazard_ratio", "ci_low", "ci_high", "q_value", "n_customers"))
    n_linked = items.filter(pl.col("customer_id").is_not_null()).height
    summary: dict[str, Any] = {
        "n_customers": len(ids), "n_events": int(events.sum()),
        "n_customers_with_a_theme": raised["customer_id"].n_unique(),
        "n_items_unlinked": items.height - n_linked,
        "n_items_undated": items.filter(pl.col("customer_id").is_not_null() & pl.col("created_at").is_null()).height,
        "n_themes": table.height, "n_themes_fitted": int((table["status"] == "fitted").sum()),
        "n_significant": int(table["significant"].sum()),
        "status_counts": {s: int((table["status"] == s).sum()) for s in STATUSES if (table["status"] == s).any()},
        "model": model, "lookback_days": lookback_days, "adjusted_for": [names[j] for j in keep], "min_customers": min_customers,
        "min_events": min_events, "confidence": confidence, "multiple_testing": "benjamini-hochberg",
        "risk_themes": risky.to_dicts(),
    }
    log.info("churn theme drivers: %d themes, %d fitted, %d significant (%d raise churn) on %d customers",
             table.height, summary["n_themes_fitted"], summary["n_significant"], risky.height, len(ids))
    return ChurnThemeDrivers(table=table, summary=summary)
