"""The array types every layer of the package speaks: a leaf module, so that a module needing
only the type (user-code checks, the finite-difference core) does not load the op catalogue."""

from __future__ import annotations

from typing import Any

from numpy.typing import NDArray

Array = NDArray[Any]
