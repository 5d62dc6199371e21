"""The JSON report: one versioned document whose shape never depends on verbosity."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from gradcheck_cli import __version__
from gradcheck_cli.report.options import RenderOptions
from gradcheck_cli.results import Report

#: Bump on any change a consumer could notice; documented in the README.
SCHEMA_VERSION = 1


def document(report: Report) -> dict[str, Any]:
    """The report as plain JSON-ready data."""
    specs = []
    for spec in report.specs:
        data = _clean(dataclasses.asdict(spec))
        data["verdict"] = spec.verdict
        if spec.forward is not None:
            data["forward"]["passed"] = spec.forward.passed
        for tensor, raw in zip(spec.tensors, data["tensors"], strict=True):
            for pair, raw_pair in zip(tensor.pairs, raw["pairs"], strict=True):
                raw_pair["passed"] = pair.passed
        specs.append(data)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "gradcheck", "version": __version__},
        "summary": {
            "passed": report.count("pass"),
            "failed": report.count("fail"),
            "errors": report.count("error"),
            "ok": report.passed,
        },
        "specs": specs,
    }


def render(report: Report, options: RenderOptions) -> str:
    return json.dumps(document(report), indent=2, allow_nan=False) + "\n"


def _clean(value: Any) -> Any:
    """Tuples → lists, dict keys → strings, non-finite floats → strings ("inf", "nan")."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
