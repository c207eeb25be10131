"""The churn stage end to end on frames: features, time-respecting split, models, metrics, scores."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

import numpy as np
import polars as pl
from lifelines.exceptions import ConvergenceError
from sklearn.model_selection import train_test_split

from voc.churn.actions import combine_actions, top_feature_use
from voc.churn.config import ChurnConfig
from voc.churn.features import build_features, data_end, days_between, label_window, top_themes, utc_lit
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
    reason_summary,
    single_feature_auc,
)
from voc.churn.survival import KM_SCHEMA, fit_cox, kaplan_meier, tenure_band
from voc.churn.theme_drivers import THEME_DRIVER_SCHEMA, churn_theme_drivers
from voc.complaints import ComplaintsConfig
from voc.topics.mentions import theme_presence

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ChurnResult:
    """What the stage writes: ``metrics`` (churn.json), ``scores``, ``calibration``, ``lift``, ``survival``
    (Kaplan-Meier curves) and ``theme_drivers`` (hazard ratio per theme) tables."""

    metrics: dict[str, Any]
    scores: pl.DataFrame
    calibration: pl.DataFrame
    lift: pl.DataFrame
    survival: pl.DataFrame
    theme_drivers: pl.DataFrame = dataclasses.field(default_factory=lambda: pl.DataFrame(schema=THEME_DRIVER_SCHEMA))


# a snapshot with a static label and no timestamps at all (Telco: no signup dates): features are taken "after
# everything"; only tenure would depend on the date, and it is null without signup dates
SNAPSHOT_END = dt.datetime(2999, 1, 1, tzinfo=dt.UTC)


def _resolve_end(config: ChurnConfig, customers: pl.DataFrame, payments: pl.DataFrame, events: pl.DataFrame,
                 tickets: pl.DataFrame, feedback: pl.DataFrame, *, static: bool) -> dt.datetime | None:
    if config.as_of is not None:
        parsed = dt.datetime.fromisoformat(config.as_of)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    try:
        return data_end(
            (customers, ("signup_at", "cancelled_at")), (payments, ("due_at", "paid_at")), (events, ("ts",)),
            (tickets, ("created_at", "first_response_at", "resolved_at", "reopened_at")), (feedback, ("created_at",)),
        )
    except ValueError:
        if static:
            return None
        raise


def snapshot_features(
    customers: pl.DataFrame,
    payments: pl.DataFrame,
    events: pl.DataFrame,
    tickets: pl.DataFrame,
    feedback: pl.DataFrame,
    *,
    end: dt.datetime | None,
    config: ChurnConfig,
    complaints_config: ComplaintsConfig,
    sentiment: pl.DataFrame | None = None,
    topics: pl.DataFrame | None = None,
    themes: tuple[int, ...] = (),
) -> pl.DataFrame:
    """The static-label frame: features of every customer (cancelled ones too) as of just after ``end``
    (``None``: a snapshot without timestamps), joined with ``churned`` (Int8). Customers without a label
    are left out and counted in the log."""
    cutoff = (end or SNAPSHOT_END) + dt.timedelta(microseconds=1)
    feats = build_features(
        customers, payments, events, tickets, feedback, cutoff=cutoff, sentiment=sentiment, topics=topics,
        themes=themes, complaints_config=complaints_config, usage_recent_days=config.usage_recent_days,
        usage_baseline_days=config.usage_baseline_days, payment_recent_days=config.payment_recent_days,
        feedback_recent_days=config.feedback_recent_days,
        include_cancelled=True,
    )
    unlabelled = int(customers["churned"].is_null().sum())
    if unlabelled:
        log.warning("churn: %d customers have no static label (customers.churned null): not modelled", unlabelled)
    return feats.join(
        customers.filter(pl.col("churned").is_not_null()).select("customer_id", pl.col("churned").cast(pl.Int8)),
        on="customer_id",
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
    mentions: pl.DataFrame | None = None,
) -> ChurnResult:
    """Build features, split by time (train at cutoff - horizon, test at cutoff = end - horizon), fit and
    evaluate both models, refit on both labelled windows (on all labelled customers with a customer split)
    and score customers active at the data's end.

    With a static label (``customers.churned``) there is no cutoff: a stratified customer split instead.
    Theme drivers of churn use the survival view's customers and origin, with the themes of ``topics`` plus
    ``mentions`` (the sentence-level theme mentions, optional: multi-label membership).
    """
    static = _use_static(config, customers)
    resolved = _resolve_end(config, customers, payments, events, tickets, feedback, static=static)
    end = resolved or SNAPSHOT_END
    horizon = dt.timedelta(days=config.horizon_days)
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
            feedback_recent_days=config.feedback_recent_days,
            include_cancelled=include_cancelled,
        )

    split = "customer"
    cutoff: dt.datetime | None = None
    if static:
        labelled = snapshot_features(customers, payments, events, tickets, feedback, end=resolved, config=config,
                                     complaints_config=complaints_config, sentiment=sentiment, topics=topics,
                                     themes=tuple(themes))
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

    space = fit_feature_space(train, max_levels=config.max_category_levels)
    x_train, y_train = space.matrix(train), train["churned"].to_numpy().astype(int)
    x_test, y_test = space.matrix(test), test["churned"].to_numpy().astype(int)
    auc_alone = single_feature_auc(x_train, y_train, space.names, threshold=config.leakage_auc)
    models = fit_models(x_train, y_train, config=config, seed=seed, names=space.names)
    scores = {name: evaluate(y_test, predict(m, x_test)) for name, m in models.items()}
    calibration = pl.concat([
        calibration_table(y_test, predict(models[n], x_test), model=n, bins=config.calibration_bins,
                          strategy=config.calibration_strategy) for n in MODELS
    ])
    lift = pl.concat([lift_table(y_test, predict(models[n], x_test), model=n) for n in MODELS])
    chosen = _choose(scores, config.select_metric)

    if split == "time":  # both labelled windows (stacked landmarks; a customer may appear in each): twice the churners
        latest = pl.concat([train, test], how="vertical_relaxed")
    final = fit_models(space.matrix(latest), latest["churned"].to_numpy().astype(int), config=config, seed=seed,
                       names=space.names)
    x_now = space.matrix(current)
    prob = predict(final[chosen], x_now) if current.height else np.zeros(0)
    reasons, actions = explain(lightgbm_booster(final["lightgbm"]), x_now, space.names, n_reasons=config.n_reasons,
                               actions=config.actions, theme_labels=theme_labels) if current.height else ([], [])
    # interests seen in their usage: the feature each customer used most before scoring adds an offer
    interests = top_feature_use(events, before=end + dt.timedelta(microseconds=1),
                                window_days=config.feature_window_days, min_uses=config.feature_min_uses)
    actions = combine_actions(current["customer_id"].to_list(), actions, interests, offers=config.feature_offers)
    reasons_overall = reason_summary(lightgbm_booster(final["lightgbm"]), x_now, space.names, prob)
    out_scores = pl.DataFrame({
        "customer_id": current["customer_id"],
        "churn_probability": prob.astype(np.float64),
        "top_reasons": pl.Series(reasons, dtype=pl.String),
        "next_best_action": pl.Series(actions, dtype=pl.String),
    }).join(current.select("customer_id", "monthly_charges"), on="customer_id").with_columns(
        # expected revenue lost over the next revenue_months months: charges x (probability x months)
        revenue_at_risk=pl.col("monthly_charges") * pl.col("churn_probability") * config.revenue_months,
    ).select("customer_id", "churn_probability", "top_reasons", "revenue_at_risk", "next_best_action", "monthly_charges").sort("customer_id")

    if static:
        # time since signup; customers without a signup date (a snapshot that has none) cannot be placed
        surv_frame = labelled.filter(pl.col("tenure_days").is_not_null()).with_columns(
            _duration=pl.col("tenure_days"), _event=pl.col("churned"))
        segments, landmark, cox_exclude = ("plan",), None, ("customer_id", "churned", "tenure_days", "_duration", "_event")
    else:
        landmark = end - dt.timedelta(days=config.survival_window_days)
        stop = pl.when(pl.col("cancelled_at") <= end).then(pl.col("cancelled_at")).otherwise(utc_lit(end))
        surv_frame = features(landmark).join(customers.select("customer_id", "cancelled_at"), on="customer_id").with_columns(
            _duration=days_between(stop, utc_lit(landmark)),
            _event=(pl.col("cancelled_at") <= end).fill_null(False).cast(pl.Int8),
            tenure_band=tenure_band(pl.col("tenure_days"), config.tenure_bands_days),
        ).drop("cancelled_at")
        segments, cox_exclude = ("plan", "tenure_band"), ("customer_id", "tenure_band", "_duration", "_event")
    survival, surv_metrics = _survival(surv_frame, segments=segments, exclude=cox_exclude, config=config)
    surv_metrics = {"origin": "signup" if static else "landmark", "landmark": landmark.isoformat() if landmark else None,
                    "follow_up_days": None if static else config.survival_window_days, **surv_metrics}
    # themes raised before the origin: the landmark, or (static label) the snapshot, as the features use
    theme_cut = landmark if landmark is not None else end + dt.timedelta(microseconds=1)
    theme_table, theme_metrics = _theme_drivers(surv_frame, feedback, sentiment, topics, mentions, cutoff=theme_cut,
                                                static=static, config=config, complaints_config=complaints_config)

    metrics: dict[str, Any] = {
        "label": "static" if static else "window",
        "split": split,
        "cutoff": cutoff.isoformat() if cutoff else None,
        "train_cutoff": (cutoff - horizon).isoformat() if cutoff and split == "time" else None,
        "data_end": resolved.isoformat() if resolved else None,
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
        "single_feature_auc_top": dict(sorted(auc_alone.items(), key=lambda kv: (-kv[1], kv[0]))[:5]),
        "reasons": reasons_overall,
        "survival": surv_metrics,
        "theme_drivers": theme_metrics,
        **{k: scores[chosen][k] for k in ("roc_auc", "pr_auc", "brier", "lift_top_decile")},
    }
    log.info("churn: %s split, %d train / %d test, chosen %s (%s)", split, train.height, test.height, chosen,
             {k: scores[chosen][k] for k in ("roc_auc", "pr_auc", "brier")})
    return ChurnResult(metrics=metrics, scores=out_scores, calibration=calibration, lift=lift, survival=survival,
                       theme_drivers=theme_table)


def _theme_drivers(frame: pl.DataFrame, feedback: pl.DataFrame, sentiment: pl.DataFrame | None,
                   topics: pl.DataFrame | None, mentions: pl.DataFrame | None, *, cutoff: dt.datetime, static: bool,
                   config: ChurnConfig, complaints_config: ComplaintsConfig) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Hazard ratio per theme on the survival view's customers (``_duration``, ``_event``; all at origin
    ``cutoff``). A negative item: sentiment label ``negative``, or without sentiment an NPS at or below the
    detractor threshold. With a static label the duration is the tenure, so tenure is not adjusted for."""
    empty = pl.DataFrame(schema=THEME_DRIVER_SCHEMA)
    if topics is None:
        return empty, {"skipped": "no topics (run the topics stage)"}
    if frame.height == 0:
        return empty, {"skipped": "no customers in the survival view"}
    if sentiment is not None:
        items = feedback.join(sentiment.select("feedback_id", "sentiment_label"), on="feedback_id", how="left").with_columns(
            negative=(pl.col("sentiment_label") == "negative").fill_null(False))
    else:
        items = feedback.with_columns(negative=(pl.col("nps") <= complaints_config.detractor_max_nps).fill_null(False))
    undated = int(frame["tenure_days"].is_null().sum())  # no signup date: tenure cannot be adjusted for
    if undated:
        log.warning("churn theme drivers: %d customers without a signup date left out", undated)
    surv = frame.filter(pl.col("tenure_days").is_not_null()).select(
        "customer_id", pl.col("_duration").alias("duration_days"), pl.col("_event").alias("event"), "tenure_days",
        utc_lit(cutoff).alias("cutoff_at"))
    result = churn_theme_drivers(
        surv, items.select("feedback_id", "customer_id", "created_at", "negative"), theme_presence(topics, mentions),
        adjust=() if static else ("tenure_days",), lookback_days=config.theme_lookback_days,
        min_customers=config.theme_min_customers, min_events=config.theme_min_events,
        confidence=config.theme_confidence, penalizer=config.theme_penalizer, model=config.theme_model,
    )
    return result.table, result.summary | {
        "origin": "signup" if static else "landmark", "cutoff": cutoff.isoformat(),
        "negative_from": "sentiment" if sentiment is not None else "nps",
        "multi_label": bool(mentions is not None and mentions.height), "n_customers_without_tenure": undated,
    }


def _survival(frame: pl.DataFrame, *, segments: tuple[str, ...], exclude: tuple[str, ...],
              config: ChurnConfig) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Kaplan-Meier curves by ``segments`` and a Cox model on the other columns of ``frame``
    (``_duration`` in days, ``_event`` 0/1). The Cox summary is null, with the reason, when it cannot be fitted."""
    if frame.height == 0:
        return pl.DataFrame(schema=KM_SCHEMA), {"n": 0, "n_events": 0, "cox": None,
                                                "cox_skipped": "no customers with a duration (no signup dates?)"}
    durations = frame["_duration"].to_numpy().astype(np.float64)
    events = frame["_event"].to_numpy().astype(int)
    curves = kaplan_meier(durations, events, {s: frame[s].to_list() for s in segments if s in frame.columns})
    space = fit_feature_space(frame, exclude=exclude, max_levels=config.max_category_levels)
    out: dict[str, Any] = {"n": frame.height, "n_events": int(events.sum())}
    try:
        out["cox"] = fit_cox(space.matrix(frame), space.names, durations, events, penalizer=config.cox_penalizer, top=config.cox_top)
    except (ValueError, ConvergenceError) as exc:
        log.warning("churn survival: Cox model not fitted: %s", exc)
        out.update(cox=None, cox_skipped=str(exc))
    return curves, out


def _choose(scores: dict[str, dict[str, float | None]], metric: str) -> str:
    """The model with the best ``metric`` on the test window (lower Brier is better); logistic on ties/None."""
    def key(name: str) -> float:
        v = scores[name][metric]
        if v is None:
            return float("-inf")
        return -v if metric == "brier" else v
    return max(MODELS, key=lambda n: (key(n), n == "logistic"))
