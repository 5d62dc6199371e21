"""gradcheck: check gradients three ways — symbolic, backprop and finite differences."""

from __future__ import annotations

from gradcheck_cli.errors import GradcheckError, SpecError

__version__ = "0.1.0"

__all__ = ["GradcheckError", "SpecError", "__version__"]
