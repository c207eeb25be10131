"""The complaints stage recovers the SLA breach rates planted in a small generated sample (``_truth.json``)."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

from voc.complaints import ComplaintsConfig, compute_ticket_metrics, resolve_as_of
from voc.sample import SampleConfig, generate_sample


@pytest.fixture(scope="module")
def sample() -> tuple[pl.DataFrame, dict]:
    data = generate_sample(SampleConfig(n_customers=300, n_items=1500), seed=3)
    ts = ("created_at", "first_response_at", "resolved_at", "reopened_at")
    tickets = data.tickets.with_columns(
        pl.col(c).str.to_datetime(time_zone="UTC", time_unit="us") for c in ts
    ).with_columns(pl.col("escalated").cast(pl.Boolean))
    return tickets, data.truth["sla"]


def test_realised_breach_rates_per_priority_match_truth(sample: tuple[pl.DataFrame, dict]) -> None:
    tickets, truth = sample
    cfg = dataclasses.replace(
        ComplaintsConfig(), first_response_hours=truth["first_response_target_hours"],
        resolution_hours=truth["resolution_target_hours"],
    )
    metrics, quarantine = compute_ticket_metrics(tickets, config=cfg, as_of=resolve_as_of(tickets))
    assert quarantine.height == 0
    rates = metrics.group_by("priority").agg(
        n=pl.len(),
        fr=pl.col("first_response_breached").cast(pl.Float64).mean(),
        res=pl.col("resolution_breached").cast(pl.Float64).mean(),
    )
    checked = 0
    for r in rates.iter_rows(named=True):
        real = truth["realized"][r["priority"]]
        assert r["n"] == real["n"]
        # the truth counts a missing event past its target as a breach, as the stage does
        assert r["fr"] == pytest.approx(real["first_response_breach_rate"], abs=0.02)
        assert r["res"] == pytest.approx(real["resolution_breach_rate"], abs=0.02)
        checked += 1
    assert checked == 4
