"""A plotly renderer for reports that must work offline.

Plotly's ``notebook`` renderer inlines plotly.js once (good) but adds a MathJax ``<script src>`` from a CDN
to every figure (plotly 7.1, ``include_mathjax="cdn"`` is hard-coded). The reports use no LaTeX, so this
renderer keeps the inline plotly.js and drops MathJax: the HTML then loads nothing from the network.

Plotly names each figure's ``<div>`` with a random uuid4, so two renders of the same data gave different
bytes (and a new report hash in ``dvc.lock``). This renderer numbers the figures in display order instead:
the same notebook on the same data gives the same HTML.
"""

from __future__ import annotations

import itertools
from typing import Any

import plotly.io as pio
from plotly.io._base_renderers import NotebookRenderer

RENDERER_NAME = "voc_offline"


class OfflineNotebookRenderer(NotebookRenderer):  # type: ignore[misc]
    """The ``notebook`` renderer (plotly.js inline once per notebook) without MathJax from a CDN, its figure
    ids numbered in display order (``voc-fig-1``, ``voc-fig-2``, ...) rather than random."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # plotly shows each figure with a shallow copy of the registered renderer: the counter is an object
        # the copies share, not an int each copy would count from anew (every figure was "voc-fig-1")
        self.numbers = itertools.count(1)

    def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, str]:
        """The figure as a ``text/html`` div that calls the already-loaded plotly.js."""
        html = pio.to_html(fig_dict, config=self.config, include_plotlyjs=False, include_mathjax=False,
                           full_html=False, default_width="100%", default_height=525, validate=False,
                           div_id=f"voc-fig-{next(self.numbers)}")
        return {"text/html": html}


def use_offline_plotly() -> None:
    """Register and select the offline renderer; call once at the top of a report notebook."""
    pio.renderers[RENDERER_NAME] = OfflineNotebookRenderer()
    pio.renderers.default = RENDERER_NAME
