"""Stage `reports`: execute the report notebooks with papermill and export self-contained HTML."""

from __future__ import annotations

from pathlib import Path

from pipelines._common import setup, timed
from voc.config import load_section
from voc.reports import ReportsConfig, render_reports

# The templates ship with the code; --root only says where the data lives.
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks" / "reports"


def main() -> None:
    """Render every report in ``params.yaml`` ``reports.reports`` into ``data/reports/``."""
    args, params, base = setup("reports", __doc__ or "")
    config = load_section(params, "reports", ReportsConfig)
    root = Path(args.root)
    with timed("reports"):
        render_reports(
            config, notebooks_dir=NOTEBOOKS, output_dir=root / "data" / "reports",
            interim_dir=root / "data" / "interim", processed_dir=root / "data" / "processed",
            metrics_dir=root / "data" / "metrics", project_root=root, currency=base.currency,
        )


if __name__ == "__main__":
    main()
