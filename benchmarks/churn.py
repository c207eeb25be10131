"""Benchmark: the churn stage's static-label path on the IBM Telco churn data (run by hand).

    python benchmarks/churn.py                 # writes benchmarks/results/retention_cv.json
    python benchmarks/churn.py --repeats 1     # quicker

Data (../shared/data, read only): churn_telco/Telco-Customer-Churn.csv, 7,043 customers, Churn Yes 1,869.
Through configuration alone: the ingest stage reads it with examples/churn_telco/params.yaml (``Contract`` ->
``plan``, ``MonthlyCharges`` -> ``monthly_charges``, ``Churn`` -> ``churned``; tenure and the other CRM fields
-> ``customers.attributes``; no signup dates). Features, models, calibration and metrics are the churn stage's
own (``voc.churn.snapshot_features``, ``fit_feature_space``, ``fit_models``, ``evaluate``) with the ``churn:``
params (the example's section when it has one, else the project's params.yaml); the split is repeated
stratified k-fold over customers instead of the stage's single holdout.

Anchors (published and independently recomputed): ROC-AUC 0.845 (logistic regression), 0.847 (tuned
gradient boosting). Pass: best model ROC-AUC >= 0.845 and top-decile lift >= 2.8.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sklearn.model_selection import RepeatedStratifiedKFold

from voc.churn import ChurnConfig, evaluate, fit_feature_space, fit_models, single_feature_auc, snapshot_features
from voc.churn.model import MODELS, predict
from voc.complaints import ComplaintsConfig
from voc.config import load_base, load_section, read_params
from voc.ingest.config import IngestConfig
from voc.ingest.core import run_ingest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "churn_telco" / "params.yaml"
ANCHORS = {"roc_auc_logistic": 0.845, "roc_auc_tuned_gbm": 0.847, "required_roc_auc": 0.845, "required_lift_top_decile": 2.8}
log = logging.getLogger("benchmarks.churn")


def labelled_telco(example: Path = EXAMPLE, *, config: ChurnConfig) -> pl.DataFrame:
    """Ingest the Telco snapshot with the example's params, then the stage's static-label feature frame."""
    params = read_params(example)
    result = run_ingest(load_section(params, "ingest", IngestConfig), ROOT, timezone=load_base(params).timezone)
    if result.quarantine.height:
        log.warning("ingest quarantined %d Telco rows", result.quarantine.height)
    t = result.tables
    return snapshot_features(t["customers"], t["payments"], t["events"], t["tickets"], t["feedback"], end=None,
                             config=config, complaints_config=ComplaintsConfig())


def cross_validate(frame: pl.DataFrame, *, config: ChurnConfig, folds: int, repeats: int, seed: int) -> dict[str, Any]:
    """Repeated stratified k-fold: per model, each metric's mean, std (ddof 1) and number of folds. The
    per-fold values stay in the log: the result file holds summaries only."""
    y = frame["churned"].to_numpy().astype(int)
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    per_fold: dict[str, list[dict[str, float | None]]] = {m: [] for m in MODELS}
    for k, (train_idx, test_idx) in enumerate(splitter.split(np.zeros(len(y)), y)):
        train, test = frame[train_idx], frame[test_idx]
        space = fit_feature_space(train, max_levels=config.max_category_levels)
        models = fit_models(space.matrix(train), y[train_idx], config=config, seed=seed + k, names=space.names)
        for name in MODELS:
            per_fold[name].append(evaluate(y[test_idx], predict(models[name], space.matrix(test))))
        log.info("fold %d/%d: %s", k + 1, folds * repeats,
                 {n: round(per_fold[n][-1]["roc_auc"] or float("nan"), 4) for n in MODELS})
    out: dict[str, Any] = {}
    for name, rows in per_fold.items():
        out[name] = {}
        for metric in rows[0]:
            values = np.array([r[metric] for r in rows], dtype=float)
            out[name][metric] = {"mean": round(float(values.mean()), 4), "std": round(float(values.std(ddof=1)), 4),
                                 "n_folds": int(values.size)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", default=str(ROOT / "params.yaml"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    # The result holds cross-validated model figures only (no rows, counts or values of the data set)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "retention_cv.json"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    example = read_params(EXAMPLE)
    params = example if "churn" in example else read_params(args.params)
    config, seed = load_section(params, "churn", ChurnConfig), load_base(params).seed
    start = time.perf_counter()
    frame = labelled_telco(config=config)
    space = fit_feature_space(frame, max_levels=config.max_category_levels)
    y = frame["churned"].to_numpy().astype(int)
    alone = single_feature_auc(space.matrix(frame), y, space.names, threshold=config.leakage_auc)
    models = cross_validate(frame, config=config, folds=args.folds, repeats=args.repeats, seed=seed)
    best = max(MODELS, key=lambda n: models[n]["roc_auc"]["mean"])
    result = {
        "data": "the public Telco churn table, read by the ingest config in examples/churn_telco/params.yaml",
        "churn_params_from": "examples/churn_telco/params.yaml" if params is example else "params.yaml",
        "base_rate": round(float(y.mean()), 4),  # what a top-decile lift and the PR-AUC are read against
        "protocol": f"repeated stratified {args.folds}-fold CV x {args.repeats} (seed {seed}); features, "
                    "calibration and models from voc.churn with the churn: params",
        "n_features": len(space.names),  # the names would copy the data set's category values
        "calibration": config.calibration,
        "lightgbm": dict(config.lightgbm),
        "logistic_c": config.logistic_c,
        "n_logistic_log_features": len(config.logistic_log_features),
        # ROC-AUC of the five strongest features alone, without their names (they carry the data set's values)
        "strongest_single_feature_roc_auc": [round(v, 4) for v in sorted(alone.values(), reverse=True)[:5]],
        "n_leakage_suspects": sum(v > config.leakage_auc for v in alone.values()),
        "models": models,
        "best_model": best,
        "anchors": ANCHORS,
        "pass": bool(models[best]["roc_auc"]["mean"] >= ANCHORS["required_roc_auc"]
                     and models[best]["lift_top_decile"]["mean"] >= ANCHORS["required_lift_top_decile"]),
        "seconds": round(time.perf_counter() - start, 1),
        "python": platform.python_version(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    log.info("%s: best %s ROC-AUC %.4f, lift %.2f; pass=%s", args.out, best, models[best]["roc_auc"]["mean"],
             models[best]["lift_top_decile"]["mean"], result["pass"])


if __name__ == "__main__":
    main()
