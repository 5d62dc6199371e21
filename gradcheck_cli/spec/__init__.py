"""Spec files: safe YAML with line numbers → validated models → a concrete Problem."""

from __future__ import annotations

from gradcheck_cli.spec.build import build
from gradcheck_cli.spec.loader import Loaded, load

__all__ = ["Loaded", "build", "load"]
