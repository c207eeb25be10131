"""The churn stage end to end on frames: features, time-respecting split, models, metrics, scores."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

import numpy as np
import polars as pl
from sklearn.model_selection import train_test_split

from voc.churn.config import ChurnConfig
from voc.churn.features import build_features, data_end, label_window, top_themes
from voc.churn.model import (
    MODELS,
    calibration_table,
    evaluate,
    explain,
    fit_feature_space,
    fit_models,
    lightgbm_booster,
    lift_table,
    predict,
    single_feature_auc,
)
from voc.complaints import ComplaintsConfig

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ChurnResult:
    """What the stage writes: ``metrics`` (churn.json), ``scores``, ``calibration`` and ``lift`` tables."""

    metrics: dict[str, Any]
    scores: pl.DataFrame
    calibration: pl.DataFrame
    lift: pl.DataFrame


def _resolve_end(config: ChurnConfig, customers: pl.DataFrame, payments: pl.DataFrame, events: pl.DataFrame,
                 tickets: pl.DataFrame, feedback: pl.DataFrame) -> dt.datetime:
    if config.as_of is not None:
        parsed = dt.datetime.fromisoformat(config.as_of)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    return data_end(
        (customers, ("signup_at", "cancelled_at")), (payments, ("due_at", "paid_at")), (events, ("ts",)),
        (tickets, ("created_at", "first_response_at", "resolved_at", "reopened_at")), (feedback, ("created_at",)),
    )


def _use_static(config: ChurnConfig, customers: pl.DataFrame) -> bool:
    if config.label != "auto":
        return config.label == "static"
    has_static = "churned" in customers.columns and customers["churned"].is_not_null().any()
    return bool(has_static and customers["cancelled_at"].is_null().all())


def run_churn(
    customers: pl.DataFrame,
    payments: pl.DataFrame,
    events: pl.DataFrame,
    tickets: pl.DataFrame,
    feedback: pl.DataFrame,
    *,
    sentiment: pl.DataFrame | None,
    topics: pl.DataFrame | None,
    config: ChurnConfig,
    complaints_config: ComplaintsConfig,
    seed: int,
) -> ChurnResult:
    """Build features, split by time (train at cutoff - horizon, test at cutoff = end - horizon), fit and
    evaluate both models, refit on the latest labelled window and score customers active at the data's end.

    With a static label (``customers.churned``) there is no cutoff: a stratified customer split instead.
    """
    end = _resolve_end(config, customers, payments, events, tickets, feedback)
    horizon = dt.timedelta(days=config.horizon_days)
    static = _use_static(config, customers)
    theme_cut = end if static else end - 2 * horizon
    themes = top_themes(feedback, topics, before=theme_cut, k=config.top_themes) if topics is not None else []
    theme_labels = (
        dict(topics.filter(pl.col("topic_id").is_in(themes)).unique("topic_id").select("topic_id", "topic_label").iter_rows())
        if topics is not None else {}
    )

    def features(cutoff: dt.datetime, *, include_cancelled: bool = False) -> pl.DataFrame:
        return build_features(
            customers, payments, events, tickets, feedback, cutoff=cutoff, sentiment=sentiment, topics=topics,
            themes=themes, complaints_config=complaints_config, usage_recent_days=config.usage_recent_days,
            usage_baseline_days=config.usage_baseline_days, payment_recent_days=config.payment_recent_days,
            include_cancelled=include_cancelled,
        )

    split = "customer"
    cutoff: dt.datetime | None = None
    if static:
        labelled = features(end + dt.timedelta(microseconds=1), include_cancelled=True).join(
            customers.filter(pl.col("churned").is_not_null()).select("customer_id", pl.col("churned").cast(pl.Int8)),
            on="customer_id",
        )
        train_ids, test_ids = train_test_split(
            labelled["customer_id"].to_numpy(), test_size=config.test_size, random_state=seed,
            stratify=labelled["churned"].to_numpy(),
        )
        train = labelled.filter(pl.col("customer_id").is_in(sorted(train_ids)))
        test = labelled.filter(pl.col("customer_id").is_in(sorted(test_ids)))
        latest = labelled
        current = labelled.filter(pl.col("churned") == 0).drop("churned")
    else:
        cutoff = end - horizon
        train = features(cutoff - horizon).join(label_window(customers, cutoff=cutoff - horizon, horizon_days=config.horizon_days), on="customer_id")
        test = features(cutoff).join(label_window(customers, cutoff=cutoff, horizon_days=config.horizon_days), on="customer_id")
        latest = test
        min_class = int(min(train["churned"].sum(), train.height - train["churned"].sum())) if train.height else 0
        if min_class >= 2:
            split = "time"
        else:
            log.warning("train window at %s has %d churners or stayers; falling back to a customer split of the "
                        "window at %s", (cutoff - horizon).date(), min_class, cutoff.date())
            train_ids, test_ids = train_test_split(
                test["customer_id"].to_numpy(), test_size=config.test_size, random_state=seed,
                stratify=test["churned"].to_numpy(),
            )
            train = latest.filter(pl.col("customer_id").is_in(sorted(train_ids)))
            test = latest.filter(pl.col("customer_id").is_in(sorted(test_ids)))
        active = customers.filter(pl.col("cancelled_at").is_null() | (pl.col("cancelled_at") > end))
        current = features(end + dt.timedelta(microseconds=1)).join(active.select("customer_id"), on="customer_id")

    space = fit_feature_space(train)
    x_train, y_train = space.matrix(train), train["churned"].to_numpy().astype(int)
    x_test, y_test = space.matrix(test), test["churned"].to_numpy().astype(int)
    auc_alone = single_feature_auc(x_train, y_train, space.names, threshold=config.leakage_auc)
    models = fit_models(x_train, y_train, config=config, seed=seed)
    scores = {name: evaluate(y_test, predict(m, x_test)) for name, m in models.items()}
    calibration = pl.concat([
        calibration_table(y_test, predict(models[n], x_test), model=n, bins=config.calibration_bins) for n in MODELS
    ])
    lift = pl.concat([lift_table(y_test, predict(models[n], x_test), model=n) for n in MODELS])
    chosen = _choose(scores, config.select_metric)

    final = fit_models(space.matrix(latest), latest["churned"].to_numpy().astype(int), config=config, seed=seed)
    x_now = space.matrix(current)
    prob = predict(final[chosen], x_now) if current.height else np.zeros(0)
    reasons, actions = explain(lightgbm_booster(final["lightgbm"]), x_now, space.names, n_reasons=config.n_reasons,
                               actions=config.actions, theme_labels=theme_labels) if current.height else ([], [])
    out_scores = pl.DataFrame({
        "customer_id": current["customer_id"],
        "churn_probability": prob.astype(np.float64),
        "top_reasons": pl.Series(reasons, dtype=pl.String),
        "next_best_action": pl.Series(actions, dtype=pl.String),
    }).join(current.select("customer_id", "monthly_charges"), on="customer_id").with_columns(
        # expected revenue lost over the next revenue_months months: charges x (probability x months)
        revenue_at_risk=pl.col("monthly_charges") * pl.col("churn_probability") * config.revenue_months,
    ).select("customer_id", "churn_probability", "top_reasons", "revenue_at_risk", "next_best_action", "monthly_charges").sort("customer_id")

    metrics: dict[str, Any] = {
        "label": "static" if static else "window",
        "split": split,
        "cutoff": cutoff.isoformat() if cutoff else None,
        "train_cutoff": (cutoff - horizon).isoformat() if cutoff and split == "time" else None,
        "data_end": end.isoformat(),
        "horizon_days": None if static else config.horizon_days,
        "n_customers": train.height + test.height if split == "customer" else test.height,
        "n_train": train.height,
        "n_test": test.height,
        "n_scored": out_scores.height,
        "base_rate": float(y_test.mean()) if len(y_test) else None,
        "base_rate_train": float(y_train.mean()) if len(y_train) else None,
        "calibration": config.calibration,
        "models": scores,
        "chosen_model": chosen,
        "features": space.names,
        "leakage_suspects": sorted(k for k, v in auc_alone.items() if v > config.leakage_auc),
        **{k: scores[chosen][k] for k in ("roc_auc", "pr_auc", "brier", "lift_top_decile")},
    }
    log.info("churn: %s split, %d train / %d test, chosen %s (%s)", split, train.height, test.height, chosen,
             {k: scores[chosen][k] for k in ("roc_auc", "pr_auc", "brier")})
    return ChurnResult(metrics=metrics, scores=out_scores, calibration=calibration, lift=lift)


def _choose(scores: dict[str, dict[str, float | None]], metric: str) -> str:
    """The model with the best ``metric`` on the test window (lower Brier is better); logistic on ties/None."""
    def key(name: str) -> float:
        v = scores[name][metric]
        if v is None:
            return float("-inf")
        return -v if metric == "brier" else v
    return max(MODELS, key=lambda n: (key(n), n == "logistic"))
