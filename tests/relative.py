"""Comparisons of small floats by relative error alone."""

from __future__ import annotations

from typing import Any

import pytest


def approx(expected: Any, rel: float = 1e-9) -> Any:
    """``pytest.approx`` without its default absolute tolerance of 1e-12, which would pass any
    tolerance of a few hundred ulps (1024 ulps of 1 is 2.3e-13) whatever its value."""
    return pytest.approx(expected, rel=rel, abs=0.0)
