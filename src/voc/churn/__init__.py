"""voc.churn: leakage-proof churn features, calibrated models, metrics and retention scores."""

from voc.churn.config import ChurnConfig
from voc.churn.features import build_features, data_end, eligible_customers, label_window, top_themes
from voc.churn.model import (
    FeatureSpace,
    calibration_table,
    describe,
    evaluate,
    explain,
    fit_feature_space,
    fit_models,
    lift_table,
    single_feature_auc,
)
from voc.churn.run import ChurnResult, run_churn

__all__ = [
    "ChurnConfig",
    "ChurnResult",
    "FeatureSpace",
    "build_features",
    "calibration_table",
    "data_end",
    "describe",
    "eligible_customers",
    "evaluate",
    "explain",
    "fit_feature_space",
    "fit_models",
    "label_window",
    "lift_table",
    "run_churn",
    "single_feature_auc",
    "top_themes",
]
