from dataclasses import dataclass, field
from typing import Literal

import pytest

from voc.config import BaseConfig, ConfigError, build, load_base, read_params


@dataclass(frozen=True)
class Inner:
    hours: float = 1.0


@dataclass(frozen=True)
class Outer:
    name: str = "x"
    mode: Literal["a", "b"] = "a"
    inner: Inner = field(default_factory=Inner)
    targets: dict[str, float] = field(default_factory=dict)
    words: tuple[str, ...] = ()
    limit: int | None = None


def test_build_converts_nested_and_literals():
    cfg = build(Outer, {"mode": "b", "inner": {"hours": 2}, "targets": {"high": 4}, "words": ["a", "b"]}, where="s")
    assert cfg.mode == "b"
    assert cfg.inner.hours == 2.0
    assert cfg.targets["high"] == 4.0
    assert cfg.words == ("a", "b")
    assert cfg.limit is None


def test_unknown_key_is_rejected_with_its_name():
    with pytest.raises(ConfigError, match=r"params s: unknown key\(s\) \['nmae'\]"):
        build(Outer, {"nmae": "typo"}, where="s")


def test_wrong_type_and_literal_are_rejected():
    with pytest.raises(ConfigError, match="params s.name: expected str"):
        build(Outer, {"name": 3}, where="s")
    with pytest.raises(ConfigError, match="'c' is not one of"):
        build(Outer, {"mode": "c"}, where="s")
    with pytest.raises(ConfigError, match="expected int, got bool"):
        build(Outer, {"limit": True}, where="s")


def test_config_is_frozen():
    cfg = build(Outer, {}, where="s")
    with pytest.raises(AttributeError):
        cfg.name = "y"  # type: ignore[misc]


def test_read_params_and_base(tmp_path):
    p = tmp_path / "params.yaml"
    p.write_text("base:\n  seed: 7\n  timezone: UTC\n", encoding="utf-8")
    base = load_base(read_params(p))
    assert base == BaseConfig(seed=7, timezone="UTC", currency="GBP")
    with pytest.raises(ConfigError, match="not found"):
        read_params(tmp_path / "missing.yaml")


def test_sentence_unit_needs_mentions():
    from voc.topics import TopicsConfig

    params = {"topics": {"unit": "sentence", "mentions": {"enabled": False}}}
    with pytest.raises(ValueError, match="topics.unit: sentence .* topics.mentions.enabled: true"):
        build(TopicsConfig, params["topics"], where="topics")
    assert build(TopicsConfig, {"unit": "sentence"}, where="topics").unit == "sentence"
