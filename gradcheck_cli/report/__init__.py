"""Reporters: each turns a Report into text. They render; they never compute verdicts.

A reporter's module (and rich, for the console) is imported when that format is first rendered,
so that loading the package or listing the formats costs nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from gradcheck_cli.report.options import RenderOptions
from gradcheck_cli.results import Report

Renderer = Callable[[Report, RenderOptions], str]

#: ``--format`` name → the module in this package whose ``render`` writes it.
FORMATS: dict[str, str] = {
    "console": "console",
    "json": "jsonout",
    "junit": "junit",
    "markdown": "markdown",
}


def _renderer(module: str) -> Renderer:
    def render(report: Report, options: RenderOptions) -> str:
        loaded = importlib.import_module(f"{__name__}.{module}")
        text: str = loaded.render(report, options)
        return text

    render.__name__ = f"render_{module}"
    return render


#: ``--format`` name → renderer.
REPORTERS: dict[str, Renderer] = {name: _renderer(module) for name, module in FORMATS.items()}

__all__ = ["FORMATS", "REPORTERS", "RenderOptions", "Renderer"]
