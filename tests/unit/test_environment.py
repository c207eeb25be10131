"""environment.yml (for conda users) and pyproject.toml must name the same packages and pins."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _norm(req: str) -> str:
    return re.sub(r"\s+", "", req).lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = {_norm(d) for d in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    env_deps = {_norm(p) for p in pip if not p.startswith("-e")}
    assert env_deps == deps, f"only in environment.yml: {env_deps - deps}; only in pyproject: {deps - env_deps}"
    assert "-e ." in pip


def test_torch_is_pinned_to_the_cpu_wheel_everywhere():
    assert "torch==2.13.0" in (ROOT / "pyproject.toml").read_text()
    assert "torch==2.13.0" in (ROOT / "Makefile").read_text()
