"""A tiny set of stage outputs (``voc.reports.fixture``) and the reports rendered from it, once per session
(the browser tests in ``tests/browser`` reuse the same render)."""

from __future__ import annotations

from pathlib import Path

import pytest

from voc.reports.fixture import render_fixture_reports


@pytest.fixture(scope="session")
def rendered_fixture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path], float]:
    """(fixture root, report name -> HTML path, seconds the render took)."""
    return render_fixture_reports(tmp_path_factory.getbasetemp() / "voc_reports_fixture", seed=11)


@pytest.fixture(scope="session")
def fixture_root(rendered_fixture: tuple[Path, dict[str, Path], float]) -> Path:
    return rendered_fixture[0]


@pytest.fixture(scope="session")
def rendered(rendered_fixture: tuple[Path, dict[str, Path], float]) -> tuple[dict[str, Path], float]:
    """Every report rendered on the fixture, and the seconds it took."""
    return rendered_fixture[1], rendered_fixture[2]
