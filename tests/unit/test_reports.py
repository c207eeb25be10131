"""Report helpers: contract checks on inputs, data version, escaping, summaries, config, HTML export."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import nbformat
import polars as pl
import pytest

from voc import reports as rp
from voc.config import ConfigError, load_section
from voc.reports.fixture import XSS_TEXT, build_fixture_frames, write_fixture_outputs
from voc.reports.inputs import TABLES
from voc.text.pii import redact_text

UTC = dt.UTC


def test_read_table_names_file_and_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "sentiment.parquet"
    pl.DataFrame({"feedback_id": ["a"], "sentiment_score": [0.1]}).write_parquet(path)
    with pytest.raises(rp.ReportInputError, match=r"sentiment\.parquet: missing column\(s\) \['sentiment_label'\]"):
        rp.read_table(path, rp.inputs.SENTIMENT)
    with pytest.raises(rp.ReportInputError, match="file not found"):
        rp.read_table(tmp_path / "nope.parquet", ["x"])


def test_read_metrics_names_missing_key_and_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "churn.json"
    path.write_text(json.dumps({"cutoff": "2024-01-01"}))
    with pytest.raises(rp.ReportInputError, match=r"churn\.json: missing key\(s\) \['horizon_days'"):
        rp.read_metrics(path, rp.inputs.METRICS["churn"])
    path.write_text("{not json")
    with pytest.raises(rp.ReportInputError, match="not valid JSON"):
        rp.read_metrics(path, [])


def test_md5_of_inputs_is_stable_and_sees_changes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text("1")
    b.write_text("2")
    first = rp.md5_of_inputs([a, b])
    assert first == rp.md5_of_inputs([b, a])
    b.write_text("3")
    assert rp.md5_of_inputs([a, b]) != first
    with pytest.raises(FileNotFoundError):
        rp.md5_of_inputs([tmp_path / "missing"])


def test_data_version_outside_git_and_with_dvc_lock(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("x")
    (tmp_path / "dvc.lock").write_text("stages: {}\n")
    version = rp.data_version([tmp_path / "x"], root=tmp_path)
    assert version.commit is None
    assert version.dvc_lock_md5 is not None and len(version.dvc_lock_md5) == 32
    assert version.n_inputs == 1


def test_lock_md5_ignores_the_reports_own_entry_but_not_upstream(tmp_path: Path) -> None:
    from voc.reports.provenance import lock_md5

    lock = tmp_path / "dvc.lock"

    def md5_of(text: str) -> str:
        lock.write_text(text)
        return lock_md5(lock)

    base = md5_of("schema: '2.0'\nstages:\n  topics:\n    cmd: a\n  reports:\n    outs: [{md5: '1'}]\n")
    assert md5_of("stages:\n  reports:\n    outs: [{md5: '2'}]\n  topics:\n    cmd: a\nschema: '2.0'\n") == base
    assert md5_of("schema: '2.0'\nstages:\n  topics:\n    cmd: b\n  reports:\n    outs: [{md5: '1'}]\n") != base
    with pytest.raises(ValueError, match="dvc.lock"):
        md5_of("- not\n- a mapping\n")
    mixed = md5_of("stages:\n  topics:\n    params:\n      grid: {1: a, on: b, x: c}\n")  # int, bool, str keys
    assert len(mixed) == 32


def test_git_commit_in_this_checkout() -> None:
    root = Path(__file__).resolve().parents[2]
    commit = rp.git_commit(root)
    if (root / ".git").exists():
        assert commit is not None and len(commit) == 40
    else:
        assert commit is None


def test_html_table_escapes_every_cell_and_header() -> None:
    frame = pl.DataFrame({"text": [XSS_TEXT, "ok", None], "<h>": [1, 2, 3]})
    html = rp.html_table(frame, caption="a <caption>")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in html
    assert "&lt;h&gt;" in html and "a &lt;caption&gt;" in html
    with pytest.raises(ValueError, match="missing column"):
        rp.html_table(frame, columns={"nope": "Nope"})


def test_report_header_links_the_other_reports() -> None:
    version = rp.DataVersion(commit="a" * 40, inputs_md5="b" * 32, n_inputs=2, dvc_lock_md5=None)
    html = rp.report_header("index", version=version, reports=rp.REPORTS)
    for name in ("themes", "complaints", "churn"):
        assert f'href="{name}.html"' in html
    assert 'href="index.html"' not in html
    assert "aaaaaaaaaaaa" in html and "b" * 32 in html


def ticket_metrics() -> pl.DataFrame:
    return pl.DataFrame({
        "ticket_id": ["t1", "t2", "t3"], "priority": ["low", "low", "urgent"],
        "created_at": pl.Series([dt.datetime(2024, 1, 3, tzinfo=UTC), dt.datetime(2024, 2, 3, tzinfo=UTC),
                                 dt.datetime(2024, 2, 9, tzinfo=UTC)], dtype=pl.Datetime("us", "UTC")),
        "first_response_hours": [1.0, 3.0, 5.0], "resolution_hours": [10.0, None, 30.0],
        "first_response_breached": [False, False, True], "resolution_breached": [False, None, True],
        "escalated": [False, True, True],
    })


def test_summarise_tickets_by_priority_and_month() -> None:
    by_p = rp.summarise_tickets(ticket_metrics(), by=["priority"])
    low = by_p.filter(pl.col("priority") == "low").row(0, named=True)
    assert low["n_tickets"] == 2
    assert low["sla_resolution_achievement"] == 100.0  # the undecided ticket is not counted
    assert low["escalation_rate"] == 50.0
    by_m = rp.summarise_tickets(ticket_metrics(), by=["month"])
    assert by_m["month"].to_list() == [dt.date(2024, 1, 1), dt.date(2024, 2, 1)]
    assert by_m["n_tickets"].to_list() == [1, 2]


def test_top_at_risk_orders_and_rejects_unknown_customers() -> None:
    scores = pl.DataFrame({"customer_id": ["a", "b", "c"], "churn_probability": [0.2, 0.9, 0.9],
                           "top_reasons": ["x", "y", "z"], "revenue_at_risk": [1.0, 5.0, 9.0]})
    customers = pl.DataFrame({"customer_id": ["a", "b", "c"], "plan": ["basic"] * 3, "region": ["n"] * 3,
                              "monthly_charges": [1.0, 2.0, 3.0]})
    top = rp.top_at_risk_customers(scores, customers, top_n=2)
    assert top["customer_id"].to_list() == ["c", "b"]
    with pytest.raises(ValueError, match="not in customers"):
        rp.top_at_risk_customers(scores, customers.head(2), top_n=2)
    with pytest.raises(ValueError, match="top_n"):
        rp.top_at_risk_customers(scores, customers, top_n=0)


def test_negative_verbatims_most_negative_per_theme_in_given_order() -> None:
    fb = pl.DataFrame({"feedback_id": ["f1", "f2", "f3"], "channel": ["chat"] * 3, "text": ["a", "b", "c"],
                       "created_at": [dt.datetime(2024, 1, 1, tzinfo=UTC)] * 3})
    topics = pl.DataFrame({"feedback_id": ["f1", "f2", "f3"], "topic_id": [0, 0, 1], "topic_label": ["x", "x", "y"]})
    sent = pl.DataFrame({"feedback_id": ["f1", "f2", "f3"], "sentiment_score": [-0.2, -0.8, 0.5]})
    out = rp.negative_verbatims(fb, topics, sent, topic_ids=[1, 0], per_topic=1)
    assert out["feedback_id"].to_list() == ["f3", "f2"]


def test_headline_fractions_are_checked() -> None:
    complaints = {"by_priority": {"low": {"n": 3, "sla_first_response_achievement": 0.5,
                                          "sla_resolution_achievement": 1.5}}}
    with pytest.raises(ValueError, match=r"by_priority\.low\.sla_resolution_achievement"):
        rp.sla_by_priority_from_metrics(complaints)
    complaints["by_priority"]["low"]["sla_resolution_achievement"] = 0.25
    frame = rp.sla_by_priority_from_metrics(complaints)
    assert frame["sla_resolution_achievement"].to_list() == [25.0]


def test_reports_config_rejects_unknown_keys_and_reports() -> None:
    config = load_section({"reports": {"reports": ["index", "churn"], "top_n_themes": 5}}, "reports",
                          rp.ReportsConfig)
    assert config.reports == ("index", "churn") and config.top_n_themes == 5
    with pytest.raises(ConfigError, match="top_n_theme"):
        load_section({"reports": {"top_n_theme": 5}}, "reports", rp.ReportsConfig)
    with pytest.raises(ValueError, match="unknown report"):
        rp.ReportsConfig(reports=("index", "sales"))
    with pytest.raises(ValueError, match=r"params reports\.workers must be 0 \(one per core\) or more, got -1"):
        rp.ReportsConfig(workers=-1)


def test_fixture_conforms_to_the_contract_and_is_deterministic(tmp_path: Path) -> None:
    written = write_fixture_outputs(tmp_path, seed=7)
    for name, (_, columns) in TABLES.items():
        frame = rp.read_table(written[name], columns)
        assert frame.height > 0, name
    fb = pl.read_parquet(written["feedback"])
    assert fb["feedback_id"].is_sorted() and fb["feedback_id"].is_unique().all()
    assert fb.schema["created_at"] == pl.Datetime("us", "UTC") and fb.schema["nps"] == pl.Int8
    assert XSS_TEXT in fb["text"].to_list()
    for name, keys in rp.inputs.METRICS.items():
        rp.read_metrics(tmp_path / "data" / "metrics" / f"{name}.json", keys)
    from voc.schemas import validate_table  # the interim pandera schemas

    for name in ("feedback", "tickets", "customers"):
        validate_table(name, pl.read_parquet(written[name]))
    again, _ = build_fixture_frames(seed=7)
    assert again["feedback"].equals(fb)


def test_fixture_status_history_and_theme_drivers_mirror_the_stage_schemas(tmp_path: Path) -> None:
    from voc.churn.theme_drivers import THEME_DRIVER_SCHEMA
    from voc.complaints.events import HISTORY_SCHEMA

    frames, metrics = build_fixture_frames(seed=7)
    assert dict(frames["churn_theme_drivers"].schema) == THEME_DRIVER_SCHEMA
    assert (frames["churn_theme_drivers"]["status"] == "fitted").any()  # the report draws the forest plot
    tm = frames["ticket_metrics"]
    assert {c: tm.schema[c] for c in HISTORY_SCHEMA} == HISTORY_SCHEMA
    paths = frames["escalation_paths"]
    assert paths.columns == list(rp.inputs.ESCALATION_PATHS) and paths["escalation_path"].is_sorted()
    assert int(paths["n_tickets"].sum()) == tm["escalation_path"].drop_nulls().len()
    history = metrics["complaints"]["status_history"]
    assert history["available"] and history["n_tickets_with_events"] == tm.height
    written = write_fixture_outputs(tmp_path, seed=7)
    written["escalation_paths"].unlink()
    with pytest.raises(rp.ReportInputError, match=r"escalation_paths\.parquet: file not found"):
        rp.load_inputs(["escalation_paths"], [], interim_dir=tmp_path / "data" / "interim",
                       processed_dir=tmp_path / "data" / "processed", metrics_dir=tmp_path / "data" / "metrics")


def test_export_html_hides_code_and_loads_nothing_from_the_network(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("secret_code_marker = 1")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<p>shown</p>"}),
                    nbformat.v4.new_output("stream", name="stderr", text="a warning")]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), cell]
    executed = tmp_path / "x.ipynb"
    nbformat.write(nb, executed)
    size = rp.export_html(executed, tmp_path / "x.html")
    html = (tmp_path / "x.html").read_text(encoding="utf-8")
    assert size == len(html.encode())
    assert "<p>shown</p>" in html
    assert "secret_code_marker" not in html and "a warning" not in html
    assert '<script src="http' not in html and "cdnjs" not in html


def test_strip_run_noise_keeps_everything_but_the_clock_and_the_random_cell_id() -> None:
    from voc.reports.render import strip_run_noise

    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"start_time": "t0", "end_time": "t1", "duration": 2.0, "parameters": {"a": 1}}
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["papermill"] = {"start_time": "t0", "duration": 1.0, "status": "completed", "exception": False}
    cell.metadata["execution"] = {"iopub.status.busy": "t0"}
    cell.metadata["tags"] = ["parameters"]
    injected = nbformat.v4.new_code_cell("x = 2")
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells = [cell, injected]
    own_id = cell["id"]
    out = strip_run_noise(nb)
    assert out.metadata["papermill"] == {"parameters": {"a": 1}}
    assert out.cells[0].metadata == {"papermill": {"status": "completed", "exception": False}, "tags": ["parameters"]}
    assert out.cells[0]["id"] == own_id and out.cells[1]["id"] == "injected-parameters"
    nbformat.validate(out)


def test_month_on_month_reports_the_last_two_reliable_months() -> None:
    import datetime as dt

    frame = pl.DataFrame({"metric": ["nps"] * 3, "month": [dt.date(2024, m, 1) for m in (1, 2, 3)],
                          "value": [10.0, 20.0, 5.0], "reliable": [True, True, False]})
    assert rp.month_on_month(frame, metric="nps") == "+10 in Feb 2024 vs Jan 2024"
    assert "too few" in rp.month_on_month(frame, metric="csat")


def test_churn_risk_summary_and_bad_threshold() -> None:
    frame = pl.DataFrame({"churn_probability": [0.9, 0.2, 0.5], "revenue_at_risk": [100.0, 5.0, None]})
    assert rp.churn_risk_summary(frame, threshold=0.5) == (2, 3, 100.0)
    with pytest.raises(ValueError, match="threshold"):
        rp.churn_risk_summary(frame, threshold=1.5)


def test_emerging_themes_keeps_flagged_by_lift() -> None:
    frame = pl.DataFrame({"topic_id": [1, 2, 3], "topic_label": ["a", "b", "c"], "window_count": [5, 9, 2],
                          "window_share": [0.1, 0.3, 0.05], "baseline_share": [0.05, 0.1, 0.05],
                          "lift": [2.0, 3.0, 1.0], "p_value": [0.01, 0.001, 0.9], "flagged": [True, True, False]})
    out = rp.emerging_themes(frame)
    assert out["topic_label"].to_list() == ["b", "a"]
    assert out["window_pct"].to_list() == pytest.approx([30.0, 10.0])
    assert "filed_lift" not in out.columns             # a table written before the filed reading: left out
    filed = rp.emerging_themes(frame.with_columns(pl.Series("filed_lift", [2.5, 4.0, 0.9])))
    assert filed["filed_lift"].to_list() == [4.0, 2.5]


def test_safety_check_finds_pii_in_visible_text_only() -> None:
    clean = "<p>Data version: md5 8a50fadb3321a460626917b7ea068230</p><script>var x = 'a@b.com';</script>"
    rp.check_report("ok", clean, max_bytes=10_000)
    with pytest.raises(rp.ReportSafetyError, match="look like PII"):
        rp.check_report("leak", "<td>mail me at jane.doe@example.com</td>", max_bytes=10_000)
    with pytest.raises(rp.ReportSafetyError, match="over the"):
        rp.check_report("big", "<p>x</p>" * 100, max_bytes=100)
    assert rp.visible_text("<p>&lt;script&gt;</p>") == ["<script>"]


def test_safety_check_passes_the_data_version_line_whose_digest_looks_like_a_phone() -> None:
    """A fresh clone's report failed: '0645526574' inside the md5 reads as a UK phone number."""
    version = rp.DataVersion(commit="dccdb24f887f0000", inputs_md5="85dbbc3bcb3d0645526574c87ed48078", n_inputs=11,
                             dvc_lock_md5="a0f916eb41c356e76f141d2f716ff74a")
    header = rp.report_header("themes", version=version, reports=["index", "themes"])
    line = next(t for t in rp.visible_text(header) if t.startswith("Data version"))
    assert redact_text(line) != line                  # the digest alone would trip the PII check
    rp.check_report("themes", header, max_bytes=100_000)
    for other in (line + " call 07700 900123", line.replace("md5 of the 11", "md5 of the 07700 900123")):
        with pytest.raises(rp.ReportSafetyError, match="look like PII"):   # only the exact line is passed
            rp.check_report("themes", f"<p>{other}</p>", max_bytes=100_000)


def test_parse_scope_and_its_errors_name_the_param() -> None:
    scope = rp.parse_scope("region:EU", "2026-01..2026-06")
    assert (scope.field, scope.value) == ("region", "EU")
    assert scope.start == dt.datetime(2026, 1, 1, tzinfo=dt.UTC) and scope.end == dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    assert scope.describe() == "segment region = EU; period Jan 2026 to Jun 2026"
    assert rp.parse_scope("", "").is_all and rp.parse_scope("", "2025-12..2025-12").end == dt.datetime(
        2026, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match=r"params reports\.segment: unknown field 'colour'"):
        rp.parse_scope("colour:red", "")
    with pytest.raises(ValueError, match=r"params reports\.segment: 'premium' is not 'field:value'"):
        rp.parse_scope("premium", "")
    with pytest.raises(ValueError, match=r"params reports\.period: '2026-13\.\.2026-06'"):
        rp.parse_scope("", "2026-13..2026-06")
    with pytest.raises(ValueError, match=r"params reports\.period: .* ends before it starts"):
        rp.parse_scope("", "2026-06..2026-01")
    with pytest.raises(ValueError, match=r"params reports\.segment: unknown field"):
        rp.ReportsConfig(segment="colour:red")


def test_segment_filter_changes_the_headline_numbers() -> None:
    frames, _ = build_fixture_frames(seed=11)
    everyone = rp.filter_frames(frames, rp.parse_scope("", ""))
    premium = rp.filter_frames(frames, rp.parse_scope("plan:premium", ""))
    ids = set(premium["customers"]["customer_id"])
    assert ids and set(premium["customers"]["plan"]) == {"premium"}
    assert set(premium["feedback"]["customer_id"]) <= ids and set(premium["churn_scores"]["customer_id"]) <= ids
    assert set(premium["sentiment"]["feedback_id"]) == set(premium["feedback"]["feedback_id"])
    assert 0 < premium["feedback"].height < everyone["feedback"].height
    all_scores = rp.scope_insights(everyone["feedback"], everyone["sentiment"])
    seg_scores = rp.scope_insights(premium["feedback"], premium["sentiment"])
    assert seg_scores["n_items"] < all_scores["n_items"]
    assert seg_scores["nps"]["n"] < all_scores["nps"]["n"]
    assert (seg_scores["nps"]["value"], seg_scores["net_sentiment"]) != (all_scores["nps"]["value"],
                                                                         all_scores["net_sentiment"])
    assert rp.scope_complaints(premium["ticket_metrics"])["n_tickets"] < everyone["ticket_metrics"].height
    social = rp.filter_frames(frames, rp.parse_scope("channel:chat", "2024-02..2024-03"))
    assert set(social["feedback"]["channel"]) == {"chat"} and set(social["ticket_metrics"]["channel"]) <= {"chat"}
    months = social["feedback"]["created_at"].dt.month().unique().to_list()
    assert months and set(months) <= {2, 3}
    with pytest.raises(ValueError, match=r"params reports\.segment: no customer has region = 'EU'"):
        rp.filter_frames(frames, rp.parse_scope("region:EU", ""))


def test_header_says_what_it_shows_and_plurals() -> None:
    from voc.viz._style import plural

    version = rp.DataVersion(commit=None, inputs_md5="abc", n_inputs=1, dvc_lock_md5=None)
    html = rp.report_header("index", version=version, reports=rp.REPORTS,
                            scope=rp.parse_scope("plan:<b>", "").describe())
    assert "Showing: segment plan = &lt;b&gt;, all months" in html
    assert plural(1, "ticket") == "1 ticket" and plural(1204, "ticket") == "1,204 tickets"


def test_offline_renderer_numbers_figures_so_the_html_is_reproducible() -> None:
    import plotly.graph_objects as go

    from voc.reports.plotly_offline import OfflineNotebookRenderer

    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2])).to_dict()
    first, second = OfflineNotebookRenderer(), OfflineNotebookRenderer()
    runs = [[r.to_mimebundle(fig)["text/html"] for _ in range(2)] for r in (first, second)]
    assert runs[0] == runs[1]                      # a fresh kernel renders the same bytes
    assert 'id="voc-fig-1"' in runs[0][0] and 'id="voc-fig-2"' in runs[0][1]  # same figure twice: two divs
    assert "mathjax" not in runs[0][0].lower() and "<script src" not in runs[0][0]


def test_figures_shown_through_plotly_get_distinct_ids() -> None:
    import plotly.graph_objects as go
    import plotly.io as pio

    from voc.reports.plotly_offline import RENDERER_NAME, use_offline_plotly

    before = pio.renderers.default
    try:
        use_offline_plotly()
        fig = go.Figure(go.Bar(x=["a"], y=[1]))
        # the path fig.show() takes (a private plotly function, on purpose): plotly copies the registered
        # renderer for each figure it shows
        bundles = [pio.renderers._build_mime_bundle(fig.to_dict(), renderers_string=RENDERER_NAME)
                   for _ in range(3)]
    finally:
        pio.renderers.default = before
    ids = [re.search(r'id="(voc-fig-\d+)"', b["text/html"]).group(1) for b in bundles]
    assert ids == ["voc-fig-1", "voc-fig-2", "voc-fig-3"]


class _FlakyPapermill:
    """A stand-in for ``papermill.execute_notebook`` that fails its first ``failures`` calls with ``error``."""

    def __init__(self, failures: int, error: str) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(self.error)
        return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])


@pytest.mark.parametrize(("failures", "error", "calls", "raises"), [
    (2, "Kernel died before replying to kernel_info", 3, False),   # two dead kernels, the third runs
    (3, "Kernel died before replying to kernel_info", 3, True),    # every try's kernel died: the last error
    (1, "Kernel didn't respond in 60 seconds", 1, True),            # not a start-up death: raised at once
])
def test_a_kernel_that_dies_starting_is_replaced_a_bounded_number_of_times(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        failures: int, error: str, calls: int, raises: bool) -> None:
    import papermill

    from voc.reports.render import KERNEL_START_TRIES, execute_report

    fake = _FlakyPapermill(failures, error)
    monkeypatch.setattr(papermill, "execute_notebook", fake)
    executed = tmp_path / "executed" / "themes.ipynb"
    if raises:
        with pytest.raises(RuntimeError, match=error):
            execute_report(tmp_path / "themes.ipynb", executed, parameters={})
        assert not executed.exists()
    else:
        execute_report(tmp_path / "themes.ipynb", executed, parameters={})
        assert nbformat.read(executed, as_version=4).cells[0].source == "1 + 1"
        assert caplog.text.count("the kernel died while starting") == failures
    assert fake.calls == calls <= KERNEL_START_TRIES
