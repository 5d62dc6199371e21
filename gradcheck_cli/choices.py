"""The names a check chooses among — finite-difference schemes and modes of checking — in one
place that imports nothing heavy: the spec models, the problem, user code's options and the
command line's help (which `gradcheck --version` loads without NumPy) all read them here. (What
a claim sheet offers — layouts, properties, diagnosis kinds — is ``spec.choices``.)"""

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
