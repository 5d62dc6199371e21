"""Reporters: each turns a Report into text. They render; they never compute verdicts."""

from __future__ import annotations

from collections.abc import Callable

from gradcheck_cli.report import console, jsonout, junit, markdown
from gradcheck_cli.report.options import RenderOptions
from gradcheck_cli.results import Report

Renderer = Callable[[Report, RenderOptions], str]

#: ``--format`` name → renderer.
REPORTERS: dict[str, Renderer] = {
    "console": console.render,
    "json": jsonout.render,
    "junit": junit.render,
    "markdown": markdown.render,
}

__all__ = ["REPORTERS", "RenderOptions", "Renderer", "summary_line"]

