"""The public data sets in ../shared/data, ingested through their example configs alone (examples/<folder>/).

The expected counts come from each folder's SOURCE.md (written by the people who fetched the data, not by
us). Skipped, with the reason, when ../shared/data is absent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml

from voc import schemas
from voc.config import load_section
from voc.ingest import IngestConfig, IngestResult, run_ingest

REPO = Path(__file__).resolve().parents[2]
SHARED = (REPO / ".." / "shared" / "data").resolve()
EXAMPLES = REPO / "examples"

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not SHARED.is_dir(), reason=f"public data sets not found at {SHARED} (../shared/data from the repo root)"),
]


def ingest_example(folder: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> IngestResult:
    """Ingest ``examples/<folder>/params.yaml`` with ``VOC_SHARED_DATA`` pointing at the shared data."""
    monkeypatch.setenv("VOC_SHARED_DATA", str(SHARED))
    params = yaml.safe_load((EXAMPLES / folder / "params.yaml").read_text(encoding="utf-8"))
    config = load_section(params, "ingest", IngestConfig)
    return run_ingest(config, tmp_path, timezone=params["base"]["timezone"])


def assert_balanced(result: IngestResult) -> None:
    """rows in = out + quarantined per source and overall; every table passes its schema."""
    m = result.metrics
    for name, c in m["sources"].items():
        assert c["rows_in"] == c["rows_out"] + c["rows_quarantined"], name
    assert m["rows_in"] == m["rows_out"] + m["rows_quarantined"]
    for kind, frame in result.tables.items():
        schemas.validate_table(kind, frame)
    schemas.QuarantineSchema.validate(result.quarantine)


def meta_counts(frame: pl.DataFrame, key: str, column: str = "meta") -> dict[str | None, int]:
    values = frame[column].str.json_path_match(f"$['{key}']")
    return dict(values.value_counts().iter_rows())


def test_example_configs_exist_for_every_shared_folder() -> None:
    folders = sorted(p.name for p in SHARED.iterdir() if p.is_dir())
    assert folders, SHARED
    assert [f for f in folders if not (EXAMPLES / f / "params.yaml").is_file()] == []


def test_cfpb_export_and_narratives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result = ingest_example("complaints_cfpb", monkeypatch, tmp_path)
    assert_balanced(result)
    src = result.metrics["sources"]
    assert src["cfpb_export"] == {"rows_in": 2827, "rows_out": 2827, "rows_quarantined": 0, "feedback_out": 2827, "feedback_quarantined": 0}
    assert src["cfpb_narratives"] == {"rows_in": 3947, "rows_out": 3947, "rows_quarantined": 0}
    tickets, feedback = result.tables["tickets"], result.tables["feedback"]
    assert tickets.height == 2827 and tickets["ticket_id"].n_unique() == 2827
    # MM/DD/YY dates: received 2023-01-01 ... 2023-08-24 (SOURCE.md)
    assert str(tickets["created_at"].min())[:10] == "2023-01-01" and str(tickets["created_at"].max())[:10] == "2023-08-24"
    assert dict(tickets["status"].value_counts().iter_rows()) == {
        "Closed with explanation": 2554, "Closed with monetary relief": 142, "Closed with non-monetary relief": 113,
        "Untimely response": 18,
    }
    export = feedback.filter(pl.col("source") == "cfpb_export")
    assert export["ticket_id"].sort().to_list() == tickets["ticket_id"].sort().to_list()
    assert meta_counts(export, "Timely response?") == {"Yes": 2719, "No": 108}
    # the strings None / N/A are missing values, not text
    assert meta_counts(export, "Sub-issue")[None] == 2568
    assert meta_counts(export, "Company public response")[None] == 2086
    assert "N/A" not in meta_counts(export, "Tags") and "None" not in meta_counts(export, "Tags")
    narratives = feedback.filter(pl.col("source") == "cfpb_narratives")
    assert narratives["created_at"].null_count() == narratives.height  # no dates in that file: null, not invented
    products = meta_counts(narratives, "Product")
    assert len(products) == 11 and products["Debt collection"] == 969 and products["Mortgage"] == 800


def test_telco_customers_with_static_churn_label(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result = ingest_example("churn_telco", monkeypatch, tmp_path)
    assert_balanced(result)
    assert result.metrics["sources"]["telco"] == {"rows_in": 7043, "rows_out": 7043, "rows_quarantined": 0}
    customers = result.tables["customers"]
    assert customers["customer_id"].n_unique() == 7043
    assert dict(customers["churned"].value_counts().iter_rows()) == {True: 1869, False: 5174}
    assert customers["monthly_charges"].null_count() == 0 and customers["monthly_charges"].min() > 0
    assert customers["signup_at"].null_count() == 7043  # the snapshot has no signup date: left null
    tenure = customers["attributes"].str.json_path_match("$.tenure").cast(pl.Int64)
    assert tenure.null_count() == 0 and tenure.min() == 0 and tenure.max() == 72
    blank_total = customers["attributes"].str.json_path_match("$.TotalCharges").is_null()
    assert int(blank_total.sum()) == 11  # blank TotalCharges for the 11 customers with tenure 0
    assert int((tenure == 0).sum()) == 11


def test_tweets_with_bare_carriage_returns(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result = ingest_example("support_tweets_twcs", monkeypatch, tmp_path)
    assert_balanced(result)
    c = result.metrics["sources"]["twcs"]
    assert c["rows_in"] == 5000  # the record with bare CRs is one record, not two or three
    feedback, q = result.tables["feedback"], result.quarantine
    # the one quarantined tweet is a real duplicate: airtel_care sent the same text to the same user
    # 2.6 minutes after tweet 5919 (the contract's duplicate-post rule), not a parsing casualty
    assert q.select("value", "reason").to_dicts() == [
        {"value": "twcs:5915", "reason": "duplicate post (same customer and text within 10 minutes)"}
    ]
    assert c["rows_out"] == 4999 and feedback.height == 4999
    repaired = feedback.filter(pl.col("feedback_id") == "twcs:3399")
    assert repaired.height == 1
    assert repaired["text"].item().startswith("@AskPayPal") and "I just love the start of email" in repaired["text"].item()
    assert "\r" not in repaired["text"].item()
    # 2,778 inbound / 2,222 outbound in the file; the quarantined duplicate is an outbound one
    assert meta_counts(feedback, "inbound") == {"True": 2778, "False": 2221}
    assert feedback["created_at"].null_count() == 0 and feedback["created_at"].max().year == 2017  # a few replies quote 2011/2016 tweets


def test_bitext_intents(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result = ingest_example("support_intents_bitext", monkeypatch, tmp_path)
    assert_balanced(result)
    assert result.metrics["sources"]["bitext"] == {"rows_in": 21534, "rows_out": 21534, "rows_quarantined": 0}
    feedback = result.tables["feedback"]
    assert len(meta_counts(feedback, "category")) == 11 and len(meta_counts(feedback, "intent")) == 27
    intents = meta_counts(feedback, "intent")
    assert min(intents.values()) == 36 and max(intents.values()) == 4366
    assert feedback["text"].null_count() == 0
    assert not any(c.startswith("\ufeff") for c in feedback["meta"].head(1).item())  # BOM dropped from 'flags'


def test_clothing_reviews(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result = ingest_example("reviews_womens_clothing", monkeypatch, tmp_path)
    assert_balanced(result)
    # reviews without text keep their rating (null text is allowed when stars are present): none quarantined
    assert result.metrics["sources"]["clothing"] == {"rows_in": 23486, "rows_out": 23486, "rows_quarantined": 0}
    feedback = result.tables["feedback"]
    assert dict(feedback["stars"].value_counts().iter_rows()) == {5: 13131, 4: 5077, 3: 2871, 2: 1565, 1: 842}
    assert meta_counts(feedback, "Recommended IND") == {"1": 19314, "0": 4172}
    # 845 rows lack Review Text (SOURCE.md): those with a Title keep it as their text, the rest keep only stars
    title = pl.col("meta").str.json_path_match("$.Title")
    no_text = feedback.filter(pl.col("text").is_null())
    title_only = feedback.filter(title.is_not_null() & (pl.col("text") == title))
    assert no_text.height + title_only.height == 845
    assert no_text["stars"].null_count() == 0 and no_text.select(title.is_null().all()).item()


def test_cli_runs_an_example_from_the_project_root(tmp_path: Path) -> None:
    env = {**os.environ, "VOC_SHARED_DATA": str(SHARED), "VOC_LOG_LEVEL": "WARNING"}
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.ingest", "--params", "examples/churn_telco/params.yaml", "--root", str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((tmp_path / "data" / "metrics" / "ingest.json").read_text())
    assert metrics["tables"]["customers"] == 7043
    assert pl.read_parquet(tmp_path / "data" / "interim" / "customers.parquet").height == 7043
