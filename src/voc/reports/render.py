"""Execute the report notebooks with papermill and export them to self-contained HTML (code hidden,
plotly.js inline, no script loaded from the network)."""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
from jinja2 import DictLoader

from voc.io import write_text
from voc.reports.safety import check_report
from voc.reports.segment import parse_scope

log = logging.getLogger(__name__)

REPORTS: tuple[str, ...] = ("index", "themes", "complaints", "churn", "customer360")

# The lab template, less everything it would fetch from a CDN (require.js, MathJax, mermaid, widgets):
# the reports must render offline. Plotly's own bundle arrives inline in the first figure's output.
_OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


@dataclasses.dataclass(frozen=True)
class ReportsConfig:
    """The ``reports:`` params section."""

    reports: tuple[str, ...] = REPORTS
    top_n_themes: int = 8
    top_n_customers: int = 15
    verbatims_per_theme: int = 3
    risk_threshold: float = 0.5
    kernel_name: str = "python3"
    timeout_s: int = 600
    top_n_timelines: int = 5
    max_mb: float = 10.0
    segment: str = ""   # "" = everyone; "plan:premium", "region:EU", "channel:social"
    period: str = ""    # "" = all months; "YYYY-MM..YYYY-MM", both months included
    workers: int = 0    # notebooks rendered at once, each in its own process; 0 = one per core

    def __post_init__(self) -> None:
        parse_scope(self.segment, self.period)  # a bad value fails here, naming the param
        unknown = [r for r in self.reports if r not in REPORTS]
        if unknown:
            raise ValueError(f"params reports.reports: unknown report(s) {unknown}; known: {list(REPORTS)}")
        if not 0.0 < self.risk_threshold < 1.0:
            raise ValueError(f"params reports.risk_threshold must be in (0, 1), got {self.risk_threshold}")
        if self.max_mb <= 0:
            raise ValueError(f"params reports.max_mb must be positive, got {self.max_mb}")
        if self.workers < 0:
            raise ValueError(f"params reports.workers must be 0 (one per core) or more, got {self.workers}")
        for name in ("top_n_themes", "top_n_customers", "verbatims_per_theme", "timeout_s", "top_n_timelines"):
            if getattr(self, name) < 1:
                raise ValueError(f"params reports.{name} must be at least 1, got {getattr(self, name)}")


@contextmanager
def _env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


KERNEL_START_TRIES = 3
_KERNEL_START_FAILED = "Kernel died before replying to kernel_info"


def execute_report(notebook: Path, executed: Path, *, parameters: Mapping[str, Any], kernel_name: str = "python3",
                   timeout_s: int = 600, cwd: Path | None = None) -> None:
    """Run ``notebook`` with papermill into ``executed``. The kernel inherits ``PLOTLY_RENDERER=notebook``
    (plotly.js inline); a ``python``/``python3`` kernelspec resolves to this interpreter (``sys.executable``).

    A kernel that dies before it answers (before any cell ran) is replaced, up to ``KERNEL_START_TRIES`` kernels
    in all. jupyter_client picks each kernel's ports by binding port 0 and letting go of it, and the kernel binds
    them later; kernels started at once by the reports pool can pick the same port. That happened once in a
    fresh clone's test run, the cores shared with two benchmarks: "Address already in use
    (addr='tcp://127.0.0.1:55501')", and the kernel died before replying to kernel_info. Any other error, or
    the last try's, is raised as it is."""
    import papermill as pm

    executed.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, KERNEL_START_TRIES + 1):
        try:
            with _env(PLOTLY_RENDERER="notebook"):
                nb = pm.execute_notebook(
                    str(notebook), str(executed), parameters=dict(parameters), kernel_name=kernel_name,
                    cwd=str(cwd) if cwd else None, progress_bar=False, log_output=False, execution_timeout=timeout_s,
                )
            break
        except RuntimeError as exc:
            if _KERNEL_START_FAILED not in str(exc) or attempt == KERNEL_START_TRIES:
                raise
            log.warning("%s: the kernel died while starting (try %d of %d); starting another", notebook.name,
                        attempt, KERNEL_START_TRIES)
    write_text(nbformat.writes(strip_run_noise(nb)) + "\n", executed)   # over papermill's copy


_RUN_TIMES = ("start_time", "end_time", "duration")


def strip_run_noise(nb: Any) -> Any:
    """The executed notebook without what changes from run to run on the same data: the clock readings
    papermill and nbclient write into its metadata (run and cell start, end, duration, kernel message times)
    and the random id papermill gives the cell it injects (``injected-parameters``, which the HTML shows as
    the cell's id). The same data then gives the same notebook and the same HTML."""
    for meta in [nb.metadata, *(cell.metadata for cell in nb.cells)]:
        meta.pop("execution", None)
        for key in _RUN_TIMES:
            meta.get("papermill", {}).pop(key, None)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"
    return nb


def export_html(executed: Path, html_path: Path) -> int:
    """Write ``executed`` as self-contained HTML with code cells hidden; return the size in bytes."""
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:  # the reader sees the report, not the kernel's warnings
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream"
                                                                       and o.get("name") == "stderr")]
    exporter = HTMLExporter(
        template_name="lab", extra_loaders=[DictLoader({"voc_offline.html.j2": _OFFLINE_TEMPLATE})],
        template_file="voc_offline.html.j2", exclude_input=True, exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    write_text(body, html_path)
    return len(body.encode("utf-8"))


def render_reports(config: ReportsConfig, *, notebooks_dir: Path, output_dir: Path, interim_dir: Path,
                   processed_dir: Path, metrics_dir: Path, project_root: Path, currency: str) -> dict[str, Path]:
    """Execute and export every report in ``config.reports``: ``output_dir/<name>.html`` plus the executed
    notebook in ``output_dir/executed/``. Paths are passed to the notebooks as absolute parameters."""
    parameters = {
        "interim_dir": str(interim_dir.resolve()),
        "processed_dir": str(processed_dir.resolve()),
        "metrics_dir": str(metrics_dir.resolve()),
        "project_root": str(project_root.resolve()),
        "reports": list(config.reports),
        "currency": currency,
        "segment": config.segment,
        "period": config.period,
    }
    extra = {
        "themes": {"top_n_themes": config.top_n_themes, "verbatims_per_theme": config.verbatims_per_theme},
        "index": {"top_n_themes": config.top_n_themes, "risk_threshold": config.risk_threshold},
        "customer360": {"top_n_timelines": config.top_n_timelines},
        "churn": {"top_n_customers": config.top_n_customers, "risk_threshold": config.risk_threshold},
        "complaints": {},
    }
    run: dict[str, dict[str, Any]] = {}
    for name in config.reports:
        notebook = notebooks_dir / f"{name}.ipynb"
        if not notebook.is_file():
            raise FileNotFoundError(f"{notebook}: report notebook not found")
        run[name] = dict(notebook=notebook, executed=output_dir / "executed" / f"{name}.ipynb",
                         html_path=output_dir / f"{name}.html", parameters={**parameters, **extra[name]},
                         kernel_name=config.kernel_name, timeout_s=config.timeout_s, cwd=project_root)
    workers = min(len(run), config.workers or len(os.sched_getaffinity(0)))
    if workers <= 1:
        sizes = {name: _render_one(**kwargs) for name, kwargs in run.items()}
    else:   # each notebook has its own kernel; the pool only waits on them and exports (spawned: no fork of threads)
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {name: pool.submit(_render_one, **kwargs) for name, kwargs in run.items()}
            try:
                sizes = {name: future.result() for name, future in futures.items()}
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    written: dict[str, Path] = {}
    for name, kwargs in run.items():
        html_path = kwargs["html_path"]
        check_report(name, html_path.read_text(encoding="utf-8"), max_bytes=int(config.max_mb * 1e6))
        log.info("report %s: %s (%.1f MB)", name, html_path, sizes[name] / 1e6)
        written[name] = html_path
    return written


def _render_one(*, notebook: Path, executed: Path, html_path: Path, parameters: Mapping[str, Any], kernel_name: str,
                timeout_s: int, cwd: Path) -> int:
    """Execute one report notebook and export it; the HTML's size in bytes (module level: a pool runs it)."""
    execute_report(notebook, executed, parameters=parameters, kernel_name=kernel_name, timeout_s=timeout_s, cwd=cwd)
    return export_html(executed, html_path)
