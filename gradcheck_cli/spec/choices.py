"""The choices a claim sheet offers, as literal types: the layout of a derivative, the properties
a variable may be assumed to have, and the kinds of diagnosis an answer key may expect.

Light to import (no pydantic, no NumPy): the command line offers the layouts in its help, which
`gradcheck --version` builds without loading what the models and the claims need.
"""

from __future__ import annotations

from typing import Literal, get_args

Layout = Literal["gradient", "jacobian"]
LAYOUTS: tuple[Layout, ...] = get_args(Layout)

Property = Literal["symmetric", "positive_definite", "onehot", "binary", "probability", "positive"]
PROPERTIES: tuple[Property, ...] = get_args(Property)

Kind = Literal[
    "shape", "layout", "sign", "transpose", "factor", "symmetric-assumption",
    "activation-derivative", "partial", "missing-term", "extra-term", "other",
]

__all__ = ["LAYOUTS", "PROPERTIES", "Kind", "Layout", "Property"]
