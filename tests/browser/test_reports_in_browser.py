"""Open every report as a stakeholder would: headless Chromium, from file://, network blocked. No console
error, no request, every plotly figure drawn (an SVG with data), no PII in the visible text; a screenshot of
each page goes to ``<fixture root>/data/reports/screenshots/`` as a test artifact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voc.reports import REPORTS
from voc.reports.fixture import XSS_TEXT, render_fixture_reports
from voc.text.pii import redact_text

# Per plotly div: is there a drawn SVG, how many traces plotly holds, and how many drawn marks it has.
FIGURE_CHECK = """
Array.from(document.querySelectorAll('div.plotly-graph-div')).map((gd) => {
  const svg = gd.querySelector('svg.main-svg');
  const traces = (gd._fullData || []).filter((t) => t.visible !== false).length;
  const marks = gd.querySelectorAll(
    'g.trace path, g.trace rect, g.points path, g.indicator, g.angular path, g.box path').length;
  return {id: gd.id, svg: !!svg, traces: traces, marks: marks, rendered: !!svg && traces > 0 && marks > 0,
          title: (gd.querySelector('.gtitle') || {}).textContent || ''};
})
"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    root, written, _ = render_fixture_reports(tmp_path_factory.getbasetemp() / "voc_reports_fixture", seed=11)
    return root, written


@pytest.mark.parametrize("name", REPORTS)
def test_report_renders_offline_in_chromium(name: str, reports: tuple[Path, dict[str, Path]], chromium) -> None:  # type: ignore[no-untyped-def]
    root, written = reports
    html_path = written[name]
    expected = len(re.findall(r'class="plotly-graph-div"', html_path.read_text(encoding="utf-8")))
    shot = root / "data" / "reports" / "screenshots" / f"{name}.png"
    visit = chromium.visit(html_path, figure_check=FIGURE_CHECK, screenshot=shot)

    assert visit.console_errors == [], f"{name}: console errors {visit.console_errors}"
    assert visit.requests == [], f"{name}: the page requested {visit.requests}"
    assert expected >= 1 and len(visit.figures) == expected, (expected, visit.figures)
    blank = [f for f in visit.figures if not f["rendered"]]
    assert not blank, f"{name}: figures not drawn: {blank}"
    assert all(f["title"].strip() for f in visit.figures), f"{name}: a figure has no title"
    assert "Data version: git commit" in visit.text
    assert shot.is_file() and shot.stat().st_size > 10_000
    # the visible text is what a reader could copy and forward: no PII pattern may survive in it
    leaked = [line for line in visit.text.splitlines() if redact_text(line) != line]
    assert not leaked, f"{name}: text that looks like PII: {leaked[:5]}"


def test_customer_text_shows_as_text_not_markup(reports: tuple[Path, dict[str, Path]], chromium) -> None:  # type: ignore[no-untyped-def]
    root, written = reports
    visit = chromium.visit(written["themes"], figure_check=FIGURE_CHECK,
                           screenshot=root / "data" / "reports" / "screenshots" / "themes-xss.png")
    assert XSS_TEXT in visit.text  # shown literally, as the customer wrote it
    assert visit.dialogs == [], f"a planted script ran: {visit.dialogs}"
    assert not chromium.evaluate("Array.from(document.scripts).some((s) => s.text.includes('alert(\"xss\")'))")


def test_a_blank_figure_is_detected(tmp_path: Path, chromium) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "blank.html"
    page.write_text('<html><body><div class="plotly-graph-div" id="g"></div>'
                    '<script>console.error("boom")</script></body></html>', encoding="utf-8")
    visit = chromium.visit(page, figure_check=FIGURE_CHECK, screenshot=tmp_path / "blank.png", timeout_s=3)
    assert [f["rendered"] for f in visit.figures] == [False]
    assert any("boom" in e for e in visit.console_errors)


def test_a_network_request_is_recorded(tmp_path: Path, chromium) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "fetch.html"
    page.write_text('<html><body><img src="http://example.invalid/x.png"></body></html>', encoding="utf-8")
    visit = chromium.visit(page, figure_check="[]", screenshot=tmp_path / "fetch.png", timeout_s=10)
    assert any(r.startswith("http://example.invalid/") for r in visit.requests)
