"""The themes report's table: one row per theme with its parent, volume, net sentiment, NPS impact (with its
significance), the channel where it is most frequent and one representative verbatim."""

from __future__ import annotations

import polars as pl

_INFO = ("topic_id", "topic_label", "count", "representative", "parent_label")
_DRIVERS = ("topic_id", "nps_impact", "impact_p_value", "effect", "significant", "enough_data")
_SHARES = ("segment_type", "segment", "topic_id", "count", "share")


def _check(frame: pl.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; has {frame.columns}")


def _impact_text(impact: float | None, p_value: float | None, *, alpha: float) -> str | None:
    if impact is None:
        return None
    if p_value is None:
        return f"{impact:+.1f} (not tested)"
    verdict = "significant" if p_value < alpha else "not significant"
    shown = "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"
    return f"{impact:+.1f} ({verdict}, {shown})"


def _driver_text(effect: float | None, significant: bool | None, enough: bool | None) -> str:
    if not enough or effect is None:
        return "too few answers"
    return f"{effect:+.2f}, {'significant' if significant else 'not significant'}"


def theme_overview(topic_info: pl.DataFrame, theme_sentiment: pl.DataFrame, *,
                   theme_drivers: pl.DataFrame | None = None, topics_by_segment: pl.DataFrame | None = None,
                   presence: pl.DataFrame | None = None, alpha: float = 0.05) -> pl.DataFrame:
    """One row per theme (``topic_id`` >= 0), largest first (ties by id): ``topic_label``, ``parent_label``,
    ``count`` (items filed under the theme, one theme each), ``mentioning`` (items that carry the theme in
    ``presence``, one row per item and theme as ``voc.topics.mentions.theme_presence`` gives it: an item can
    mention several themes; null without ``presence``; a theme with neither is left out), ``net_sentiment`` (%
    positive minus % negative), ``nps_impact`` (NPS points the theme costs; null without ``theme_drivers``),
    ``impact_text`` (the impact with its with-vs-without test at ``alpha``), ``driver_text`` (the driver model's
    effect, net of sentiment, and whether it is significant after Holm), ``top_channel`` (the channel whose
    items carry the theme most often, with that share in %; null without ``topics_by_segment``) and
    ``representative`` (raw text: escape it when writing HTML)."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    _check(topic_info, _INFO, "topic_info")
    _check(theme_sentiment, ("topic_id", "net_sentiment"), "theme_sentiment")
    rep = pl.col("representative")
    if "representatives" in topic_info.columns:  # fall back to the nearest verbatim when the single one is empty
        rep = (pl.when(rep.is_null() | (rep == "")).then(pl.col("representatives").list.first()).otherwise(rep))
    out = (topic_info.filter(pl.col("topic_id") >= 0)
           .select("topic_id", "topic_label", pl.col("parent_label").fill_null(pl.col("topic_label")), "count",
                   rep.alias("representative"))
           .join(theme_sentiment.select("topic_id", "net_sentiment"), on="topic_id", how="left"))
    if theme_drivers is not None:
        _check(theme_drivers, _DRIVERS, "theme_drivers")
        drivers = theme_drivers.select(*_DRIVERS)
        out = out.join(drivers, on="topic_id", how="left")
        rows = out.select(*_DRIVERS[1:]).rows(named=True)
        out = out.with_columns(
            pl.Series("impact_text", [_impact_text(r["nps_impact"], r["impact_p_value"], alpha=alpha) for r in rows],
                      dtype=pl.String),
            pl.Series("driver_text", [_driver_text(r["effect"], r["significant"], r["enough_data"]) for r in rows],
                      dtype=pl.String),
        ).drop("impact_p_value", "effect", "significant", "enough_data")
    else:
        out = out.with_columns(pl.lit(None, pl.Float64).alias("nps_impact"),
                               pl.lit(None, pl.String).alias("impact_text"),
                               pl.lit(None, pl.String).alias("driver_text"))
    if presence is not None:
        _check(presence, ("feedback_id", "topic_id"), "presence")
        reach = presence.unique(["feedback_id", "topic_id"]).group_by("topic_id").agg(
            pl.len().cast(pl.Int64).alias("mentioning"))
        out = out.join(reach.with_columns(pl.col("topic_id").cast(out.schema["topic_id"])), on="topic_id",
                       how="left").with_columns(pl.col("mentioning").fill_null(0))
    else:
        out = out.with_columns(pl.lit(None, pl.Int64).alias("mentioning"))
    out = out.filter((pl.col("count") > 0) | (pl.col("mentioning").fill_null(0) > 0))
    if topics_by_segment is not None:
        _check(topics_by_segment, _SHARES, "topics_by_segment")
        top = (topics_by_segment.filter((pl.col("segment_type") == "channel") & (pl.col("topic_id") >= 0))
               .sort(["topic_id", "share", "segment"], descending=[False, True, False])
               .group_by("topic_id", maintain_order=True).first()
               .select("topic_id", pl.format("{} ({}%)", "segment", (100 * pl.col("share")).round(0).cast(pl.Int64))
                       .alias("top_channel")))
        out = out.join(top, on="topic_id", how="left")
    else:
        out = out.with_columns(pl.lit(None, pl.String).alias("top_channel"))
    return (out.sort(["count", "topic_id"], descending=[True, False])
            .select("topic_id", "topic_label", "parent_label", "count", "mentioning", "net_sentiment", "nps_impact",
                    "impact_text", "driver_text", "top_channel", "representative"))
