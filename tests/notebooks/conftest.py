"""A tiny set of stage outputs (``voc.reports.fixture``) and the reports rendered from it, once per session."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from voc.reports import ReportsConfig, render_reports
from voc.reports.fixture import write_fixture_outputs

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def fixture_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("voc_reports")
    write_fixture_outputs(root, seed=11)
    return root


@pytest.fixture(scope="session")
def rendered(fixture_root: Path) -> tuple[dict[str, Path], float]:
    """Every report rendered on the fixture, and the seconds it took."""
    start = time.perf_counter()
    written = render_reports(
        ReportsConfig(), notebooks_dir=REPO / "notebooks" / "reports", output_dir=fixture_root / "data" / "reports",
        interim_dir=fixture_root / "data" / "interim", processed_dir=fixture_root / "data" / "processed",
        metrics_dir=fixture_root / "data" / "metrics", project_root=fixture_root, currency="GBP",
    )
    return written, time.perf_counter() - start
