"""Next best action: the top reason's retention action, plus an offer around the feature the customer uses
most (``churn.feature_offers``), so that heavy use of a feature turns into an offer they care about."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import polars as pl

from voc.complaints.sla import require_columns

#: the events that count as use of a named feature (``events.event``).
FEATURE_USE = "feature_use"

TOP_FEATURE_SCHEMA = {"customer_id": pl.String, "top_feature": pl.String, "feature_uses": pl.Int64}


def top_feature_use(events: pl.DataFrame, *, before: dt.datetime, window_days: int, min_uses: int) -> pl.DataFrame:
    """Each customer's most-used feature in the ``window_days`` days before ``before`` (``feature_use`` events;
    later events are ignored, so nothing leaks from after the cutoff). Ties go to the feature name first in
    alphabetical order; customers with fewer than ``min_uses`` uses of their top feature are left out.
    Columns ``customer_id``, ``top_feature``, ``feature_uses`` (count); sorted by ``customer_id``."""
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    if min_uses < 1:
        raise ValueError(f"min_uses must be at least 1, got {min_uses}")
    require_columns(events, ("customer_id", "ts", "event", "feature"), name="data/interim/events.parquet")
    since = before - dt.timedelta(days=window_days)
    return (
        events.filter((pl.col("event") == FEATURE_USE) & pl.col("feature").is_not_null()
                      & (pl.col("ts") < before) & (pl.col("ts") >= since))
        .group_by("customer_id", "feature")
        .agg(pl.len().cast(pl.Int64).alias("feature_uses"))
        .sort(["customer_id", "feature_uses", "feature"], descending=[False, True, False])
        .group_by("customer_id", maintain_order=True)
        .first()
        .filter(pl.col("feature_uses") >= min_uses)
        .select("customer_id", pl.col("feature").alias("top_feature"), "feature_uses")
        .cast(TOP_FEATURE_SCHEMA)  # type: ignore[arg-type]
        .sort("customer_id")
    )


def combine_actions(customer_ids: Sequence[str], reason_actions: Sequence[str], top_features: pl.DataFrame, *,
                    offers: Mapping[str, str]) -> list[str]:
    """For each customer: the reason's action, then ``; offer: <offer>`` when their top feature (from
    :func:`top_feature_use`) has an entry in ``offers``. A feature without an entry adds nothing."""
    if len(customer_ids) != len(reason_actions):
        raise ValueError(f"combine_actions: {len(customer_ids)} customers but {len(reason_actions)} actions")
    require_columns(top_features, ("customer_id", "top_feature"), name="top_features")
    feature_of = dict(top_features.select("customer_id", "top_feature").iter_rows())
    out = []
    for cid, action in zip(customer_ids, reason_actions, strict=True):
        offer = offers.get(feature_of.get(cid) or "")
        out.append(f"{action}; offer: {offer}" if offer else action)
    return out
