"""Typed config for the ``churn:`` section of ``params.yaml``."""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from typing import Any, Literal

_ACTIONS = {
    "failed_attempts_90d": "call about the payment method; offer to update card or a payment plan",
    "failed_attempts": "call about the payment method; offer to update card or a payment plan",
    "late_payments": "send a billing reminder and offer a payment date that suits",
    "late_payments_90d": "send a billing reminder and offer a payment date that suits",
    "late_share": "send a billing reminder and offer a payment date that suits",
    "unpaid_count": "billing team: settle the unpaid invoices with a payment plan",
    "mean_days_overdue": "billing team: settle the overdue invoices with a payment plan",
    "late_trend": "send a billing reminder and offer a payment date that suits",
    "events_30d": "re-engagement: onboarding call and tips for the features they used",
    "usage_trend": "re-engagement: onboarding call and tips for the features they used",
    "days_since_last_event": "re-engagement: onboarding call and tips for the features they used",
    "tickets": "senior support review of their recent tickets",
    "tickets_open": "senior support: close the open complaint and call back",
    "sla_breaches": "apologise for the slow service; senior support call back",
    "escalations": "account manager call about the escalated complaint",
    "detractor": "account manager call to hear the complaint (closed-loop NPS)",
    "mean_nps": "account manager call to hear the complaint (closed-loop NPS)",
    "mean_sentiment": "account manager call to hear the complaint",
    "share_negative": "account manager call to hear the complaint",
    "negative_feedback_90d": "account manager call to hear the complaint",
    "theme": "address the theme they raised, then follow up",
    "monthly_charges": "review plan fit; offer a right-sized plan",
    "plan": "review plan fit; offer a right-sized plan",
    "tenure_days": "early-life check-in call",
    "default": "retention check-in call",
}

# feature (events.feature of feature_use events) -> an offer around it; features of the sample's events
_FEATURE_OFFERS = {
    "roaming_pass": "roaming bundle",
    "family_sharing": "family plan with an extra line at a discount",
    "parental_controls": "family safety bundle",
    "speed_test": "free speed check and a faster-speed upgrade trial",
    "usage_dashboard": "right-sized data allowance with usage alerts",
    "bill_pay": "autopay discount",
    "plan_change": "loyalty discount on the plan that fits them",
    "support_chat": "priority support line",
}


@dataclasses.dataclass(frozen=True)
class ChurnConfig:
    """Churn features (days), label window, models, calibration and the retention rules table.

    ``label``: ``window`` (label = cancelled within ``horizon_days`` after a cutoff), ``static`` (the
    ``customers.churned`` snapshot label), or ``auto`` (static when ``churned`` is set and no
    ``cancelled_at`` is). ``as_of`` pins the data's end (ISO 8601); null means the latest timestamp in the data.
    ``max_category_levels``: string features with more distinct values are left out (with a warning).
    Survival view: customers active ``survival_window_days`` before the data's end (the landmark) are
    followed to the end; Kaplan-Meier curves by plan and by tenure band at the landmark (band edges
    ``tenure_bands_days``, days), and a Cox model (ridge ``cox_penalizer``) on the features at the landmark,
    reporting the ``cox_top`` strongest hazard ratios.
    Next best action: ``actions`` keyed by the top reason's family, plus ``; offer: <offer>`` from
    ``feature_offers`` for the feature the customer used most (at least ``feature_min_uses`` times) in the
    ``feature_window_days`` days before scoring.
    Theme drivers of churn (``voc.churn.theme_drivers``): per theme raised by at least
    ``theme_min_customers`` customers (``theme_min_events`` of them churned) in the ``theme_lookback_days`` days
    before the time origin, a Cox model (ridge ``theme_penalizer``) of churn on the theme, adjusted for tenure
    and the negative-item count in that window; Benjamini-Hochberg q-values, significant below 1 -
    ``theme_confidence``. ``theme_lookback_days`` null: all history before the origin. ``theme_model``: ``joint``
    (all themes in one model, each net of the others) or ``per_theme`` (one model per theme).
    """

    label: Literal["auto", "window", "static"] = "auto"
    horizon_days: int = 90
    as_of: str | None = None
    usage_recent_days: int = 30
    usage_baseline_days: int = 90
    payment_recent_days: int = 90
    feedback_recent_days: int = 90
    top_themes: int = 5
    test_size: float = 0.3
    calibration: Literal["sigmoid", "isotonic", "none"] = "sigmoid"
    calibration_folds: int = 3
    select_metric: Literal["roc_auc", "pr_auc", "brier"] = "pr_auc"
    leakage_auc: float = 0.95
    logistic_c: float = 1.0
    logistic_log_features: tuple[str, ...] = ("tenure_days", "attr_tenure")
    lightgbm: Mapping[str, Any] = dataclasses.field(
        default_factory=lambda: types.MappingProxyType(
            {"n_estimators": 400, "learning_rate": 0.02, "num_leaves": 7, "min_child_samples": 50}
        )
    )
    calibration_bins: int = 10
    calibration_strategy: Literal["quantile", "uniform"] = "quantile"
    max_category_levels: int = 30
    survival_window_days: int = 180
    tenure_bands_days: tuple[int, ...] = (90, 180, 365, 730)
    cox_penalizer: float = 0.01
    cox_top: int = 8
    n_reasons: int = 3
    revenue_months: float = 12.0
    actions: Mapping[str, str] = dataclasses.field(default_factory=lambda: types.MappingProxyType(dict(_ACTIONS)))
    feature_offers: Mapping[str, str] = dataclasses.field(
        default_factory=lambda: types.MappingProxyType(dict(_FEATURE_OFFERS)))
    feature_window_days: int = 90
    feature_min_uses: int = 3
    theme_lookback_days: int | None = 90
    theme_min_customers: int = 30
    theme_min_events: int = 5
    theme_confidence: float = 0.95
    theme_penalizer: float = 0.0
    theme_model: Literal["joint", "per_theme"] = "joint"

    def __post_init__(self) -> None:
        if self.horizon_days <= 0:
            raise ValueError("params churn.horizon_days: must be > 0")
        if not 0 < self.test_size < 1:
            raise ValueError("params churn.test_size: must be in (0, 1)")
        if self.calibration_folds < 2:
            raise ValueError("params churn.calibration_folds: must be >= 2")
        if self.survival_window_days <= 0:
            raise ValueError("params churn.survival_window_days: must be > 0")
        if list(self.tenure_bands_days) != sorted(set(self.tenure_bands_days)) or any(b <= 0 for b in self.tenure_bands_days):
            raise ValueError("params churn.tenure_bands_days: must be increasing positive day counts")
        if self.max_category_levels < 1:
            raise ValueError("params churn.max_category_levels: must be >= 1")
        if "default" not in self.actions:
            raise ValueError("params churn.actions: needs a 'default' action")
        if self.feature_window_days < 1:
            raise ValueError("params churn.feature_window_days: must be >= 1")
        if self.feature_min_uses < 1:
            raise ValueError("params churn.feature_min_uses: must be >= 1")
        if self.theme_lookback_days is not None and self.theme_lookback_days < 1:
            raise ValueError("params churn.theme_lookback_days: must be >= 1 or null")
        if self.theme_min_customers < 1 or self.theme_min_events < 1:
            raise ValueError("params churn.theme_min_customers / theme_min_events: must be >= 1")
        if not 0 < self.theme_confidence < 1:
            raise ValueError("params churn.theme_confidence: must be in (0, 1)")
        if self.theme_penalizer < 0:
            raise ValueError("params churn.theme_penalizer: must be >= 0")
        empty = sorted(k for k, v in self.feature_offers.items() if not str(v).strip())
        if empty:
            raise ValueError(f"params churn.feature_offers: empty offer for {empty}")
        reserved = {"random_state", "seed", "deterministic", "num_threads", "n_jobs"} & set(self.lightgbm)
        if reserved:
            raise ValueError(f"params churn.lightgbm: {sorted(reserved)} are set by the stage (seed, determinism)")
