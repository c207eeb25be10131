"""Churn models (standardised logistic regression and deterministic LightGBM, calibrated), their metrics,
calibration and lift tables, a single-feature leakage guard, and reasons in words."""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import polars as pl
from sklearn.calibration import CalibratedClassifierCV
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from voc.churn.config import ChurnConfig
from voc.churn.features import ATTRIBUTE_PREFIX

log = logging.getLogger(__name__)

MODELS = ("logistic", "lightgbm")
NO_REASON = "no churn-raising signal"


@dataclasses.dataclass(frozen=True)
class FeatureSpace:
    """The model's columns: numeric features as they are, categoricals one-hot (``plan=basic``)."""

    numeric: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]

    @property
    def names(self) -> list[str]:
        return [*self.numeric, *(f"{c}={v}" for c, vals in self.categories.items() for v in vals)]

    def matrix(self, frame: pl.DataFrame) -> np.ndarray:
        """Float64 matrix (NaN for missing), columns in ``names`` order."""
        cols = [pl.col(c).cast(pl.Float64) for c in self.numeric]
        cols += [(pl.col(c) == v).fill_null(False).cast(pl.Float64).alias(f"{c}={v}")
                 for c, vals in self.categories.items() for v in vals]
        return frame.select(cols).to_numpy().astype(np.float64)


def fit_feature_space(
    frame: pl.DataFrame, *, exclude: tuple[str, ...] = ("customer_id", "churned"), max_levels: int = 30
) -> FeatureSpace:
    """Learn the column list and the one-hot categories from the training frame: numeric columns as they
    are, string columns (``plan``, ``region``, ``attr_Contract``...) one-hot. A string column with more than
    ``max_levels`` distinct values (an id or free text, not a category) is left out with a WARNING."""
    numeric = tuple(c for c, t in frame.schema.items() if c not in exclude and t.is_numeric())
    cats: dict[str, tuple[str, ...]] = {}
    for c, t in frame.schema.items():
        if c in exclude or t != pl.String:
            continue
        levels = tuple(sorted(frame[c].drop_nulls().unique().to_list()))
        if len(levels) > max_levels:
            log.warning("churn features: %r has %d distinct values (> %d): left out of the model", c, len(levels), max_levels)
            continue
        cats[c] = levels
    return FeatureSpace(numeric=numeric, categories=cats)


def _lightgbm(config: ChurnConfig, seed: int) -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(
        **dict(config.lightgbm), random_state=seed, num_threads=1, deterministic=True, force_row_wise=True, verbose=-1
    )


def _append_log(x: np.ndarray, *, idx: tuple[int, ...]) -> np.ndarray:
    """``x`` with ``log1p`` of the (non-negative part of the) columns ``idx`` appended."""
    return np.column_stack([x, np.log1p(np.clip(x[:, list(idx)], 0.0, None))]) if idx else x


def _logistic(config: ChurnConfig, log_idx: tuple[int, ...] = ()) -> Pipeline:
    return Pipeline([
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
        ("log", FunctionTransformer(_append_log, kw_args={"idx": log_idx})),
        ("scale", StandardScaler()),
        ("model", LogisticRegression(C=config.logistic_c, max_iter=2000)),
    ])


def fit_models(
    x: np.ndarray, y: np.ndarray, *, config: ChurnConfig, seed: int, names: Sequence[str] = ()
) -> dict[str, Any]:
    """Fit both models on ``x`` (rows = customers) and ``y`` (0/1), calibrated per ``config.calibration``.

    ``names`` (the columns of ``x``) lets the logistic model add ``log1p`` of ``config.logistic_log_features``
    (tenure's effect on churn is far from linear in days; the trees need no such help)."""
    log_idx = tuple(i for i, n in enumerate(names) if n in config.logistic_log_features)
    with threadpool_limits(limits=1, user_api="blas"):  # small problems: BLAS threads only contend (4x slower on 2 cores)
        return _fit_models(x, y, config=config, seed=seed, log_idx=log_idx)


def _fit_models(x: np.ndarray, y: np.ndarray, *, config: ChurnConfig, seed: int, log_idx: tuple[int, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, est in (("logistic", _logistic(config, log_idx)), ("lightgbm", _lightgbm(config, seed))):
        folds = min(config.calibration_folds, int(np.bincount(y.astype(int), minlength=2).min()))
        if config.calibration == "none" or folds < 2:
            if config.calibration != "none":
                log.warning("%s: too few positives or negatives (%d) to calibrate; left uncalibrated", name, folds)
            out[name] = est.fit(x, y)
        else:
            cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
            out[name] = CalibratedClassifierCV(est, method=config.calibration, cv=cv, ensemble=False).fit(x, y)
    return out


def lightgbm_booster(model: Any) -> lgb.LGBMClassifier:
    """The fitted LightGBM inside ``model`` (calibrated with ``ensemble=False`` or bare)."""
    if isinstance(model, CalibratedClassifierCV):
        return model.calibrated_classifiers_[0].estimator
    return model


def predict(model: Any, x: np.ndarray) -> np.ndarray:
    """Churn probabilities in [0, 1]."""
    return model.predict_proba(x)[:, 1]


def _top(p: np.ndarray, share: float = 0.1) -> np.ndarray:
    k = max(1, math.ceil(len(p) * share))
    order = np.lexsort((np.arange(len(p)), -p))  # highest score first, ties by position (ids are sorted)
    return order[:k]


def evaluate(y: np.ndarray, p: np.ndarray) -> dict[str, float | None]:
    """ROC-AUC, PR-AUC (average precision), Brier score, lift and capture in the top decile (shares)."""
    y = y.astype(int)
    both = 0 < y.sum() < len(y)
    top = _top(p)
    base = y.mean() if len(y) else float("nan")
    return {
        "roc_auc": float(roc_auc_score(y, p)) if both else None,
        "pr_auc": float(average_precision_score(y, p)) if both else None,
        "brier": float(brier_score_loss(y, p)) if len(y) else None,
        "lift_top_decile": float(y[top].mean() / base) if base > 0 else None,
        "capture_top_decile": float(y[top].sum() / y.sum()) if y.sum() > 0 else None,
    }


def calibration_table(
    y: np.ndarray, p: np.ndarray, *, model: str, bins: int = 10, strategy: Literal["uniform", "quantile"] = "quantile"
) -> pl.DataFrame:
    """Reliability table: ``model, bin, predicted`` (mean), ``observed`` (churn rate), ``n``. ``quantile``
    bins hold about equal numbers of customers (with a low churn rate, uniform bins put nearly everyone in
    the first one); ``uniform`` bins split [0, 1] evenly. Empty bins are absent."""
    if strategy == "quantile":
        order = np.lexsort((np.arange(len(p)), p))
        idx = np.empty(len(p), dtype=np.int64)
        idx[order] = np.arange(len(p)) * bins // max(len(p), 1)
    else:
        idx = np.minimum((p * bins).astype(int), bins - 1)
    return (
        pl.DataFrame({"bin": idx.astype(np.int32), "p": p, "y": y.astype(np.float64)})
        .group_by("bin")
        .agg(pl.col("p").mean().alias("predicted"), pl.col("y").mean().alias("observed"), pl.len().cast(pl.Int64).alias("n"))
        .with_columns(pl.lit(model).alias("model"))
        .select("model", "bin", "predicted", "observed", "n")
        .sort("bin")
    )


def lift_table(y: np.ndarray, p: np.ndarray, *, model: str) -> pl.DataFrame:
    """Per score decile (1 = highest): ``n, positives, rate, lift, cumulative_capture``."""
    order = np.lexsort((np.arange(len(p)), -p))
    decile = np.empty(len(p), dtype=np.int32)
    decile[order] = (np.arange(len(p)) * 10 // max(len(p), 1)) + 1
    base = y.mean() if len(y) and y.mean() > 0 else float("nan")
    total = max(float(y.sum()), 1.0)
    return (
        pl.DataFrame({"decile": decile, "y": y.astype(np.float64)})
        .group_by("decile")
        .agg(pl.len().cast(pl.Int64).alias("n"), pl.col("y").sum().alias("positives"))
        .sort("decile")
        .with_columns(
            pl.lit(model).alias("model"),
            (pl.col("positives") / pl.col("n")).alias("rate"),
            (pl.col("positives") / pl.col("n") / base).alias("lift"),
            (pl.col("positives").cum_sum() / total).alias("cumulative_capture"),
        )
        .select("model", "decile", "n", "positives", "rate", "lift", "cumulative_capture")
        .fill_nan(None)
    )


def single_feature_auc(x: np.ndarray, y: np.ndarray, names: list[str], *, threshold: float = 0.95) -> dict[str, float]:
    """ROC-AUC of each feature alone (max of AUC and 1 - AUC; NaN as the median). Logs a WARNING for any
    above ``threshold``: a feature that alone separates churners that well is probably leaking the label."""
    out: dict[str, float] = {}
    if not 0 < y.sum() < len(y):
        return out
    for j, name in enumerate(names):
        col = x[:, j]
        if np.all(np.isnan(col)):
            continue
        col = np.where(np.isnan(col), np.nanmedian(col), col)
        auc = float(roc_auc_score(y, col))
        out[name] = max(auc, 1.0 - auc)
    for name, auc in out.items():
        if auc > threshold:
            log.warning("leakage guard: feature %r alone has ROC-AUC %.3f (> %.2f); check it is known before the cutoff",
                        name, auc, threshold)
    return out


_WORDS = {
    "tenure_days": "customer for {v:.0f} days",
    "monthly_charges": "monthly charges of {v:.2f}",
    "late_share": "{v:.0%} of invoices paid late",
    "late_payments": "{v:.0f} late payments",
    "late_payments_90d": "{v:.0f} late payments in the last 90 days",
    "mean_days_overdue": "invoices {v:.1f} days overdue on average",
    "failed_attempts": "{v:.0f} failed payments",
    "failed_attempts_90d": "{v:.0f} failed payments in the last 90 days",
    "unpaid_count": "{v:.0f} unpaid invoices",
    "late_trend": "share of invoices paid late changed {v:+.0%} lately",
    "events_30d": "{v:.0f} product events in the last 30 days",
    "events_prev_90d": "{v:.0f} product events in the 90 days before that",
    "usage_trend": "usage changed {v:+.0%} against the previous months",
    "days_since_last_event": "no product use for {v:.0f} days",
    "tickets": "{v:.0f} support tickets",
    "tickets_open": "{v:.0f} unresolved support tickets",
    "sla_breaches": "{v:.0f} tickets that missed their SLA",
    "escalations": "{v:.0f} escalated tickets",
    "feedback_count": "{v:.0f} pieces of feedback",
    "mean_nps": "average NPS of {v:.1f}",
    "detractor": "latest NPS answer was a detractor",
    "mean_sentiment": "average sentiment {v:+.2f}",
    "share_negative": "{v:.0%} of their feedback negative",
    "negative_feedback_90d": "{v:.0f} negative comments in the last 90 days",
}


def describe(feature: str, value: float, *, theme_labels: Mapping[int, str] | None = None) -> str:
    """A retention-team sentence for one feature value, e.g. ``2 failed payments in the last 90 days``."""
    feature = feature.removeprefix(ATTRIBUTE_PREFIX)
    if "=" in feature:
        col, val = feature.split("=", 1)
        return f"{col} is {val}" if value >= 0.5 else f"{col} is not {val}"
    if feature.startswith("theme_"):
        tid = int(feature.removeprefix("theme_"))
        label = (theme_labels or {}).get(tid, f"topic {tid}")
        return f"{value:.0f} mentions of '{label}'"
    if value != value:  # NaN
        return f"no data for {feature.replace('_', ' ')}"
    template = _WORDS.get(feature)
    return template.format(v=value) if template else f"{feature.replace('_', ' ')} = {value:g}"


def family(feature: str) -> str:
    """The rules-table key of a feature: ``plan=basic`` -> ``plan``, ``theme_3`` -> ``theme``,
    ``attr_Contract=Month-to-month`` -> ``Contract``."""
    feature = feature.removeprefix(ATTRIBUTE_PREFIX)
    if "=" in feature:
        return feature.split("=", 1)[0]
    return "theme" if feature.startswith("theme_") else feature


def explain(
    booster: lgb.LGBMClassifier,
    x: np.ndarray,
    names: list[str],
    *,
    n_reasons: int,
    actions: Mapping[str, str],
    theme_labels: Mapping[int, str] | None = None,
) -> tuple[list[str], list[str]]:
    """Top ``n_reasons`` churn-raising contributions per row (LightGBM ``pred_contrib``) in words, and the next
    best action from ``actions`` keyed by the top reason's family (``default`` otherwise)."""
    contrib = np.asarray(booster.predict(x, pred_contrib=True))[:, : len(names)]
    reasons, next_actions = [], []
    for i in range(x.shape[0]):
        order = [j for j in np.lexsort((np.arange(len(names)), -contrib[i])) if contrib[i, j] > 0][:n_reasons]
        reasons.append("; ".join(describe(names[j], float(x[i, j]), theme_labels=theme_labels) for j in order)
                       or NO_REASON)
        key = family(names[order[0]]) if order else "default"
        next_actions.append(actions.get(key, actions["default"]))
    return reasons, next_actions


def reason_summary(
    booster: lgb.LGBMClassifier, x: np.ndarray, names: list[str], p: np.ndarray, *, top: int = 10, at_risk_share: float = 0.1
) -> dict[str, dict[str, float]]:
    """Which features drive the scores, ranked lists: ``mean_abs_contribution`` (mean |pred_contrib|, log-odds,
    per feature family, top ``top``) over all rows, and ``top_reason_share`` (share of the ``at_risk_share``
    highest-``p`` rows whose first churn-raising reason is in that family; ``none`` when nothing raises it)."""
    if x.shape[0] == 0:
        return {"mean_abs_contribution": [], "top_reason_share": []}
    contrib = np.asarray(booster.predict(x, pred_contrib=True))[:, : len(names)]
    by_family: dict[str, float] = {}
    for j, name in enumerate(names):
        by_family[family(name)] = by_family.get(family(name), 0.0) + float(np.abs(contrib[:, j]).mean())
    ranked = sorted(by_family.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    rows = _top(p, at_risk_share)
    firsts: dict[str, int] = {}
    for i in rows:
        j = int(np.lexsort((np.arange(len(names)), -contrib[i]))[0])
        key = family(names[j]) if contrib[i, j] > 0 else "none"
        firsts[key] = firsts.get(key, 0) + 1
    shares = sorted(((k, v / len(rows)) for k, v in firsts.items()), key=lambda kv: (-kv[1], kv[0]))
    return {"mean_abs_contribution": [{"feature": k, "value": v} for k, v in ranked],
            "top_reason_share": [{"feature": k, "share": v} for k, v in shares]}
