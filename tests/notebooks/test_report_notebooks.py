"""papermill executes every report notebook on the fixture; the HTML is self-contained and escapes text."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import nbformat
import polars as pl
import pytest
from papermill.exceptions import PapermillExecutionError

from voc.reports import REPORTS, ReportsConfig, execute_report, render_reports
from voc.reports.fixture import XSS_TEXT

REPO = Path(__file__).resolve().parents[2]
REPORT_NOTEBOOKS = REPO / "notebooks" / "reports"


@pytest.mark.parametrize("name", REPORTS)
def test_report_renders_self_contained_html(name: str, rendered: tuple[dict[str, Path], float]) -> None:
    written, _ = rendered
    html = written[name].read_text(encoding="utf-8")
    assert "Plotly.newPlot" in html, "no plotly figure in the report"
    assert html.count("plotly.js v") >= 1, "plotly.js is not inline"
    assert '<script src="http' not in html and "<script src='http" not in html
    assert "Data version: git commit" in html
    executed = nbformat.read(written[name].parent / "executed" / f"{name}.ipynb", as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]


def test_index_links_the_other_reports(rendered: tuple[dict[str, Path], float]) -> None:
    written, _ = rendered
    html = written["index"].read_text(encoding="utf-8")
    for other in REPORTS[1:]:
        assert f'href="{other}.html"' in html
        assert written[other].is_file()


@pytest.mark.parametrize("name", ["themes", "churn", "complaints", "customer360"])
def test_customer_text_is_escaped(name: str, rendered: tuple[dict[str, Path], float]) -> None:
    html = rendered[0][name].read_text(encoding="utf-8")
    assert '<script>alert("xss")</script>' not in html
    # nbconvert re-serialises the page, so the quotes in a text node come back unescaped (harmless).
    assert '&lt;script&gt;alert("xss")&lt;/script&gt;' in html


def _theme_rows(frames: dict[str, pl.DataFrame], feedback_ids: list[str]) -> list[str]:
    """The themes table's first four cells (theme, parent, items filed, items mentioning) for the items given."""
    from voc.topics.mentions import theme_presence

    topics = frames["topics"].filter(pl.col("feedback_id").is_in(feedback_ids))
    mentions = frames["theme_mentions"].filter(pl.col("feedback_id").is_in(feedback_ids))
    reach = dict(theme_presence(topics, mentions, item_theme="fallback").group_by("topic_id").len().iter_rows())
    filed = dict(topics.group_by("topic_id").len().iter_rows())
    info = frames["topic_info"].filter(pl.col("topic_id") >= 0)
    return [f"<td>{label}</td><td>{parent}</td><td>{filed.get(t, 0)}</td><td>{reach.get(t, 0)}</td>"
            for t, label, parent in info.select("topic_id", "topic_label", "parent_label").iter_rows()
            if filed.get(t, 0) or reach.get(t, 0)]


def test_themes_report_counts_items_mentioning_each_theme(rendered: tuple[dict[str, Path], float]) -> None:
    """The fixture's mentions give some items a second theme, some only another theme and some none (their own
    theme counts then): the table shows the filed and the mentioning count of every theme."""
    from voc.reports.fixture import build_fixture_frames

    html = rendered[0]["themes"].read_text(encoding="utf-8")
    assert "<th>Items mentioning it</th>" in html
    frames, _ = build_fixture_frames(seed=11)
    rows = _theme_rows(frames, frames["feedback"]["feedback_id"].to_list())
    assert len(rows) == 4 and all(row in html for row in rows), rows


def test_themes_report_narrowed_to_a_channel_and_without_mentions(fixture_root: Path, tmp_path: Path) -> None:
    """A channel view counts that channel's items and their mentions only; a workspace without
    theme_mentions.parquet renders the table without the column."""
    from voc.reports.fixture import build_fixture_frames

    root = tmp_path / "root"
    shutil.copytree(fixture_root / "data", root / "data", ignore=shutil.ignore_patterns("reports"))
    dirs = {"interim_dir": root / "data" / "interim", "processed_dir": root / "data" / "processed",
            "metrics_dir": root / "data" / "metrics", "project_root": root, "currency": "GBP",
            "notebooks_dir": REPORT_NOTEBOOKS}
    frames, _ = build_fixture_frames(seed=11)
    chat = frames["feedback"].filter(pl.col("channel") == "chat")["feedback_id"].to_list()
    narrowed = render_reports(ReportsConfig(reports=("themes",), segment="channel:chat"),
                              output_dir=tmp_path / "chat", **dirs)["themes"].read_text(encoding="utf-8")
    rows = _theme_rows(frames, chat)
    assert rows and all(row in narrowed for row in rows), rows
    assert _theme_rows(frames, frames["feedback"]["feedback_id"].to_list())[0] not in narrowed
    (root / "data" / "processed" / "theme_mentions.parquet").unlink()
    plain = render_reports(ReportsConfig(reports=("themes",)), output_dir=tmp_path / "plain",
                           **dirs)["themes"].read_text(encoding="utf-8")
    assert "<th>Items</th>" in plain and "Items mentioning it" not in plain


def test_notebooks_are_committed_without_outputs() -> None:
    for path in [*REPORT_NOTEBOOKS.glob("*.ipynb"), *(REPO / "notebooks" / "explore").glob("*.ipynb")]:
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata["kernelspec"]["name"] == "python3", path
        assert nb.metadata["jupytext"]["formats"] == "ipynb,py:percent", path
        assert path.with_suffix(".py").is_file(), f"{path}: no jupytext pair"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path}: has outputs"
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1 and 'interim_dir = "data/interim"' in tagged[0].source, path


def test_python3_kernel_is_this_interpreter(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import sys\nprint(sys.executable)")]
    source, executed = tmp_path / "k.ipynb", tmp_path / "out" / "k.ipynb"
    nbformat.write(nb, source)
    execute_report(source, executed, parameters={}, kernel_name=ReportsConfig().kernel_name)
    printed = nbformat.read(executed, as_version=4).cells[0].outputs[0]["text"].strip()
    assert Path(printed).resolve() == Path(sys.executable).resolve()


def test_explore_notebook_runs_on_the_fixture(fixture_root: Path, tmp_path: Path) -> None:
    executed = tmp_path / "tour.ipynb"
    execute_report(REPO / "notebooks" / "explore" / "01-tour-of-the-feedback.ipynb", executed,
                   parameters={"interim_dir": str(fixture_root / "data" / "interim")})
    outputs = [o for c in nbformat.read(executed, as_version=4).cells if c.cell_type == "code" for o in c.outputs]
    html_out = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert html_out, "the tour shows no HTML output"
    assert not any(XSS_TEXT in h for h in html_out)
    assert not any(o.get("output_type") == "error" for o in outputs)


def test_missing_input_fails_naming_the_file(fixture_root: Path, tmp_path: Path) -> None:
    broken = tmp_path / "root"
    shutil.copytree(fixture_root / "data", broken / "data", ignore=shutil.ignore_patterns("reports"))
    (broken / "data" / "processed" / "churn_scores.parquet").unlink()
    # two reports on two workers: the error comes back from the pool's process whole, type and message
    with pytest.raises(PapermillExecutionError, match=r"churn_scores\.parquet: file not found"):
        render_reports(ReportsConfig(reports=("complaints", "churn"), workers=2), notebooks_dir=REPORT_NOTEBOOKS,
                       output_dir=broken / "data" / "reports", interim_dir=broken / "data" / "interim",
                       processed_dir=broken / "data" / "processed", metrics_dir=broken / "data" / "metrics",
                       project_root=broken, currency="GBP")


def test_rendering_time_is_reported(rendered: tuple[dict[str, Path], float], record_property) -> None:  # type: ignore[no-untyped-def]
    written, seconds = rendered
    sizes = {name: path.stat().st_size for name, path in written.items()}
    record_property("render_seconds", round(seconds, 1))
    record_property("html_bytes", sizes)
    assert all(size > 1_000_000 for size in sizes.values()), sizes  # plotly.js inline is about 5 MB
