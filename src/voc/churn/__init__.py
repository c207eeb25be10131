"""voc.churn: leakage-proof churn features, calibrated models, metrics and retention scores."""

from voc.churn.actions import combine_actions, top_feature_use
from voc.churn.config import ChurnConfig
from voc.churn.features import (
    build_features,
    customer_attributes,
    data_end,
    eligible_customers,
    label_window,
    top_themes,
)
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
from voc.churn.run import ChurnResult, run_churn, snapshot_features
from voc.churn.survival import fit_cox, kaplan_meier, tenure_band

__all__ = [
    "ChurnConfig",
    "ChurnResult",
    "FeatureSpace",
    "build_features",
    "calibration_table",
    "combine_actions",
    "customer_attributes",
    "data_end",
    "describe",
    "eligible_customers",
    "evaluate",
    "explain",
    "fit_cox",
    "fit_feature_space",
    "fit_models",
    "kaplan_meier",
    "label_window",
    "lift_table",
    "run_churn",
    "single_feature_auc",
    "snapshot_features",
    "tenure_band",
    "top_feature_use",
    "top_themes",
]
