"""Stage `churn`: leakage-proof features, calibrated churn models, metrics, plots data and scores."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines._common import log, setup, timed
from voc.churn import ChurnConfig, run_churn
from voc.churn.model import MODELS
from voc.complaints import ComplaintsConfig
from voc.config import load_section
from voc.io import write_json, write_parquet, write_text


def _optional(path: Path) -> pl.DataFrame | None:
    if path.exists():
        return pl.read_parquet(path)
    log.warning("%s not found: churn runs without it", path)
    return None


def main() -> None:
    args, params, base = setup("churn", __doc__ or "")
    cfg = load_section(params, "churn", ChurnConfig)
    complaints_cfg = load_section(params, "complaints", ComplaintsConfig)
    root = Path(args.root)
    interim, processed = root / "data/interim", root / "data/processed"
    with timed("churn"):
        result = run_churn(
            pl.read_parquet(interim / "customers.parquet"),
            pl.read_parquet(interim / "payments.parquet"),
            pl.read_parquet(interim / "events.parquet"),
            pl.read_parquet(interim / "tickets.parquet"),
            pl.read_parquet(interim / "feedback.parquet"),
            sentiment=_optional(processed / "sentiment.parquet"),
            topics=_optional(processed / "topics.parquet"),
            config=cfg,
            complaints_config=complaints_cfg,
            seed=base.seed,
            mentions=_optional(processed / "theme_mentions.parquet"),
        )
        write_parquet(result.scores, processed / "churn_scores.parquet")
        write_parquet(result.survival, processed / "churn_survival.parquet")
        write_parquet(result.theme_drivers, processed / "churn_theme_drivers.parquet")
        write_json(result.metrics, root / "data/metrics/churn.json")
        for model in MODELS:  # one file per model: DVC draws one series per file
            write_text(result.calibration.filter(pl.col("model") == model).write_csv(),
                       root / f"data/plots/churn_calibration_{model}.csv")
            write_text(result.lift.filter(pl.col("model") == model).write_csv(), root / f"data/plots/churn_lift_{model}.csv")
        log.info("churn: scored %d current customers", result.scores.height)


if __name__ == "__main__":
    main()
