"""The names a check chooses among, in one place that imports nothing heavy (no pydantic, no
NumPy): the spec models, the problem, user code's options, the claims and the command line's help
(which `gradcheck --version` builds without loading NumPy) all read them here.

A check's finite-difference schemes and modes; what a claim sheet offers — the layout of a
derivative, the properties a variable may be assumed to have, the kinds of diagnosis an answer key
may expect."""

from __future__ import annotations

from typing import Literal, get_args

#: A network spec's schemes; ``auto`` is the complex step for complex-safe ops, else central.
Scheme = Literal["auto", "central", "forward", "richardson", "complex"]
#: User code's schemes, the default first.
UserScheme = Literal["richardson", "central", "complex"]
USER_SCHEMES: tuple[UserScheme, ...] = get_args(UserScheme)
#: How a network spec is checked: entry by entry, along random directions, or by its size.
Mode = Literal["auto", "full", "directional"]
MODES: tuple[Mode, ...] = get_args(Mode)

Layout = Literal["gradient", "jacobian"]
LAYOUTS: tuple[Layout, ...] = get_args(Layout)

Property = Literal["symmetric", "positive_definite", "onehot", "binary", "probability", "positive"]
PROPERTIES: tuple[Property, ...] = get_args(Property)

Kind = Literal[
    "shape", "layout", "sign", "transpose", "factor", "symmetric-assumption",
    "activation-derivative", "partial", "missing-term", "extra-term", "other",
]
