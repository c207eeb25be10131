"""Stable theme identity across refits, and the analyst's taxonomy (rename, merge, pin).

Each theme carries a stable key ("T007") whose number is also its ``topic_id``, so ids and trends stay
comparable from run to run. On a refit, the new themes are matched one-to-one to the registry of earlier
themes by a blend of centroid cosine and top-word overlap (Hungarian matching); a pair below the threshold is
not a match, and an unmatched new theme gets the next free key and ``is_new = True``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from voc.topics.model import NO_THEME, OUTLIER, IdentityConfig

log = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"^T\d{3,}$")


def theme_key(number: int) -> str:
    """The stable key of theme ``number``: "T007"."""
    return f"T{number:03d}"


def empty_registry(dim: int) -> pl.DataFrame:
    """A registry with no themes: one row per theme ever seen, with what matching needs."""
    return pl.DataFrame(schema=registry_schema(dim))


def registry_for_unit(registry: pl.DataFrame, unit: str) -> pl.DataFrame | None:
    """The registry read back from disk, if its themes were fitted on the same ``topics.unit``; else None.

    The stage stores the unit in a ``unit`` column (a registry written before it had none holds item themes).
    Matching sentence themes against item themes would hand an earlier key (and a ``taxonomy.yaml`` rename or
    pin made for it) to a theme of another kind, so a change of unit starts a fresh registry, with a warning.
    """
    was = registry["unit"][0] if "unit" in registry.columns and registry.height else "item"
    if was != unit:
        log.warning("theme registry: its themes were fitted on the %ss, topics.unit is now %s; a fresh registry "
                    "starts, so every theme is new and taxonomy.yaml entries keyed to earlier themes may not "
                    "apply", was, unit)
        return None
    return registry.drop("unit", strict=False)


def registry_schema(dim: int) -> dict[str, Any]:
    return {
        "theme_key": pl.String,
        "topic_id": pl.Int32,
        "topic_label": pl.String,
        "top_words": pl.String,
        "centroid": pl.Array(pl.Float32, dim),
        "count": pl.Int64,
        "first_run": pl.Int32,
        "last_run": pl.Int32,
        "active": pl.Boolean,
    }


@dataclass(frozen=True)
class StableThemes:
    """Themes renumbered to their stable ids: per-item topics, the table, centroids and the new registry."""

    topics: np.ndarray
    info: pl.DataFrame
    centroids: dict[int, np.ndarray]
    registry: pl.DataFrame


def _words(text: str) -> set[str]:
    return {w.strip() for w in text.split(",") if w.strip()}


def _similarity(
    centroids: dict[int, np.ndarray], words: dict[int, set[str]], fitted: list[int], registry: pl.DataFrame,
    centroid_weight: float,
) -> np.ndarray:
    old_c = np.asarray(registry["centroid"].to_numpy(), dtype=np.float64)
    new_c = np.stack([centroids[t] for t in fitted]).astype(np.float64)
    cos = np.clip(new_c @ old_c.T, 0.0, 1.0)
    old_words = [_words(w) for w in registry["top_words"].to_list()]
    jac = np.array(
        [[len(words[t] & ow) / len(words[t] | ow) if words[t] | ow else 0.0 for ow in old_words] for t in fitted]
    )
    return centroid_weight * cos + (1.0 - centroid_weight) * jac


def stabilise_themes(
    topics: np.ndarray,
    info: pl.DataFrame,
    centroids: dict[int, np.ndarray],
    registry: pl.DataFrame | None,
    *,
    config: IdentityConfig,
    pinned: frozenset[str] = frozenset(),
) -> StableThemes:
    """Match the fitted themes to the registry, renumber them to stable ids and update the registry.

    First run (no registry): keys are given by size, largest first. Later runs: Hungarian matching on the
    blended similarity; a pair counts when it reaches ``config.min_similarity`` (``pinned_min_similarity``
    for pinned keys). Pinned registry rows keep their centroid and words as anchors. Registry rows with no
    match this run are kept with ``active = False``. ``info`` gains ``theme_key``, ``is_new`` and
    ``match_similarity``; ``topic_id`` and ``parent_id`` become stable ids.
    """
    from scipy.optimize import linear_sum_assignment

    fitted = sorted(centroids)
    counts = dict(zip(info["topic_id"].to_list(), info["count"].to_list(), strict=True))
    words = dict(zip(info["topic_id"].to_list(), [_words(w) for w in info["top_words"].to_list()], strict=True))
    dim = next(iter(centroids.values())).shape[0] if centroids else 0
    if registry is None or registry.height == 0:
        registry = empty_registry(dim)
    elif fitted and registry.schema["centroid"] != pl.Array(pl.Float32, dim):
        raise ValueError(f"theme registry: centroids are {registry.schema['centroid']}, the embeddings have {dim} dims")
    run = int(registry["last_run"].max() or 0) + 1 if registry.height else 1
    mapping: dict[int, int] = {OUTLIER: OUTLIER}
    similarity: dict[int, float] = {}
    if fitted and registry.height:
        sim = _similarity(centroids, words, fitted, registry, config.centroid_weight)
        keys = registry["theme_key"].to_list()
        bar = np.array([config.pinned_min_similarity if k in pinned else config.min_similarity for k in keys])
        rows, cols = linear_sum_assignment(-sim)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            if sim[r, c] >= bar[c]:
                mapping[fitted[r]] = int(registry["topic_id"][c])
                similarity[fitted[r]] = float(sim[r, c])
    next_id = int(registry["topic_id"].max() or 0) + 1 if registry.height else 1
    for t in sorted((t for t in fitted if t not in mapping), key=lambda t: (-counts.get(t, 0), t)):
        mapping[t] = next_id
        next_id += 1
    new_ids = {mapping[t] for t in fitted if t not in similarity}

    remap = np.vectorize(lambda t: mapping[int(t)], otypes=[np.int64])
    stable_topics = remap(topics).astype(np.int64) if topics.size else topics.astype(np.int64)
    stable_centroids = {mapping[t]: c for t, c in centroids.items()}
    stable_info = info.with_columns(
        pl.col("topic_id").replace_strict(mapping, return_dtype=pl.Int32),
        *([pl.col("parent_id").replace_strict(mapping, return_dtype=pl.Int32)] if "parent_id" in info.columns else []),
    ).with_columns(
        pl.when(pl.col("topic_id") == OUTLIER).then(pl.lit(None, pl.String))
        .otherwise(pl.format("T{}", pl.col("topic_id").cast(pl.String).str.zfill(3))).alias("theme_key"),
        pl.col("topic_id").is_in(sorted(new_ids)).alias("is_new"),
        pl.col("topic_id").replace_strict(
            {mapping[t]: s for t, s in similarity.items()}, default=None, return_dtype=pl.Float64
        ).alias("match_similarity"),
    ).sort("topic_id")

    seen = stable_info.filter(pl.col("topic_id") != OUTLIER)
    fresh = pl.DataFrame(
        {
            "theme_key": seen["theme_key"],
            "topic_id": seen["topic_id"],
            "topic_label": seen["topic_label"],
            "top_words": seen["top_words"],
            "centroid": pl.Series([stable_centroids[int(t)] for t in seen["topic_id"].to_list()],
                                  dtype=pl.Array(pl.Float32, dim)) if seen.height else pl.Series(
                [], dtype=pl.Array(pl.Float32, dim)),
            "count": seen["count"],
            "first_run": pl.Series([run] * seen.height, dtype=pl.Int32),
            "last_run": pl.Series([run] * seen.height, dtype=pl.Int32),
            "active": pl.Series([True] * seen.height, dtype=pl.Boolean),
        },
        schema=registry_schema(dim),
    )
    old = registry.with_columns(pl.lit(False).alias("active"))
    kept_old = old.filter(~pl.col("topic_id").is_in(fresh["topic_id"].implode()))
    # Matched rows: keep first_run; pinned rows also keep their anchor centroid and words.
    matched = fresh.join(old.select("topic_id", "first_run", "theme_key", "centroid", "top_words"),
                         on="topic_id", how="left", suffix="_old")
    matched = matched.with_columns(
        pl.coalesce("first_run_old", "first_run").alias("first_run"),
        pl.when(pl.col("theme_key").is_in(sorted(pinned)) & pl.col("centroid_old").is_not_null())
        .then(pl.col("centroid_old")).otherwise(pl.col("centroid")).alias("centroid"),
        pl.when(pl.col("theme_key").is_in(sorted(pinned)) & pl.col("top_words_old").is_not_null())
        .then(pl.col("top_words_old")).otherwise(pl.col("top_words")).alias("top_words"),
    ).select(list(registry_schema(dim)))
    new_registry = pl.concat([kept_old, matched]).sort("topic_id")
    log.info("themes: %d matched to earlier runs, %d new, %d earlier themes not seen this run",
             len(similarity), len(new_ids), kept_old.height)
    return StableThemes(stable_topics, stable_info, stable_centroids, new_registry)


@dataclass(frozen=True)
class Taxonomy:
    """The analyst's edits, keyed by stable theme keys (see taxonomy.yaml)."""

    rename: Mapping[str, str] = field(default_factory=dict)
    merge: Mapping[str, str] = field(default_factory=dict)
    pin: frozenset[str] = frozenset()
    parents: Mapping[str, str] = field(default_factory=dict)


def parse_taxonomy(data: Any, *, source: str = "taxonomy.yaml") -> Taxonomy:
    """Validate the parsed YAML of a taxonomy file; errors name the file, the section and the entry."""
    if data is None:
        return Taxonomy()
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a mapping with rename/merge/pin/parents, got {type(data).__name__}")
    unknown = sorted(set(data) - {"rename", "merge", "pin", "parents"})
    if unknown:
        raise ValueError(f"{source}: unknown section(s) {unknown}; allowed: merge, parents, pin, rename")

    def check_key(key: Any, where: str) -> str:
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise ValueError(f"{source}: {where}: {key!r} is not a theme key like 'T007'")
        return key

    def mapping(name: str, values_are_keys: bool) -> dict[str, str]:
        section = data.get(name) or {}
        if not isinstance(section, dict):
            raise ValueError(f"{source}: {name}: expected a mapping of theme key to value")
        out = {}
        for k, v in section.items():
            check_key(k, f"{name}.{k}")
            if values_are_keys:
                check_key(v, f"{name}.{k}")
            elif not isinstance(v, str) or not v.strip():
                raise ValueError(f"{source}: {name}.{k}: expected a non-empty label, got {v!r}")
            out[k] = v.strip() if not values_are_keys else v
        return out

    pins = data.get("pin") or []
    if not isinstance(pins, list):
        raise ValueError(f"{source}: pin: expected a list of theme keys")
    merge = mapping("merge", True)
    for start in merge:  # reject cycles: following merges from any key must end
        seen, k = {start}, merge[start]
        while k in merge:
            if k in seen:
                raise ValueError(f"{source}: merge: {start} is part of a cycle")
            seen.add(k)
            k = merge[k]
    return Taxonomy(
        rename=mapping("rename", False), merge=merge,
        pin=frozenset(check_key(p, f"pin[{i}]") for i, p in enumerate(pins)), parents=mapping("parents", False),
    )


def apply_taxonomy(
    topics: np.ndarray, info: pl.DataFrame, taxonomy: Taxonomy
) -> tuple[np.ndarray, pl.DataFrame, list[str]]:
    """Apply merges, then renames, to stable themes; returns topics, table and the entries not applied.

    A merge moves every item of the source theme to the target (followed transitively); counts are summed and
    the target keeps its words and verbatims. ``rename`` replaces a theme's label; ``parents`` renames a parent
    theme (keyed by the key of its head theme). An entry whose key is absent this run is reported, not fatal.
    """
    present = dict(zip(info["theme_key"].to_list(), info["topic_id"].to_list(), strict=True))
    unapplied: list[str] = []
    moves: dict[int, int] = {}
    for src in sorted(taxonomy.merge):
        dst = taxonomy.merge[src]
        while dst in taxonomy.merge:
            dst = taxonomy.merge[dst]
        if src in present and dst in present:
            moves[present[src]] = present[dst]
        else:
            unapplied.append(f"merge.{src}")
    out_topics = topics.copy()
    for s, d in moves.items():
        out_topics[topics == s] = d
    out = info
    if moves:
        added = (
            info.filter(pl.col("topic_id").is_in(sorted(moves)))
            .with_columns(pl.col("topic_id").replace_strict(moves, return_dtype=pl.Int32).alias("target"))
            .group_by("target").agg(pl.col("count").sum().alias("extra"))
        )
        out = (
            info.filter(~pl.col("topic_id").is_in(sorted(moves)))
            .join(added, left_on="topic_id", right_on="target", how="left")
            .with_columns((pl.col("count") + pl.col("extra").fill_null(0)).alias("count"))
            .drop("extra")
        )
        if "parent_id" in out.columns:  # a merged-away head leaves its children under the merge target
            out = out.with_columns(pl.col("parent_id").replace(moves))
    for key, label in taxonomy.rename.items():
        if key not in present or present[key] in moves:
            unapplied.append(f"rename.{key}")
    out = out.with_columns(
        pl.col("theme_key").replace_strict(dict(taxonomy.rename), default=None, return_dtype=pl.String)
        .fill_null(pl.col("topic_label")).alias("topic_label")
    )
    if "parent_id" in out.columns:
        heads = {present[k]: v for k, v in taxonomy.parents.items() if k in present}
        unapplied += [f"parents.{k}" for k in taxonomy.parents if k not in present]
        out = out.with_columns(
            pl.col("parent_id").replace_strict(heads, default=None, return_dtype=pl.String)
            .fill_null(pl.col("parent_label")).alias("parent_label")
        )
    out = out.with_columns(
        pl.when(pl.col("topic_id") == OUTLIER).then(pl.lit(NO_THEME)).otherwise(pl.col("topic_label"))
        .alias("topic_label")
    ).sort("topic_id")
    return out_topics, out, sorted(unapplied)

