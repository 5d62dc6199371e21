"""How a user-code check is run and judged: one settings object, checked once, at the edge."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from gradcheck_cli import policy
from gradcheck_cli.choices import USER_SCHEMES, UserScheme
from gradcheck_cli.errors import GradcheckError, did_you_mean

#: User code's schemes, the default first (``choices``).
SCHEMES = USER_SCHEMES


@dataclass(frozen=True)
class Options:
    """Settings of a check; every ``None`` means "derive it" (see ``policy``).

    Attributes:
        scheme: ``richardson`` (default: central differences at s, 2s and 4s, extrapolated),
            ``central``, or ``complex`` (complex step: only for complex-safe code).
        step: the first step s relative to max(1, |θ|), shrunk where the function is not
            smooth at its scale; default ν^(1/4) (``central``: ν^(1/3)), ν the measured
            rounding noise of the function relative to its size.
        atol: absolute error allowed on top of the estimated finite-difference error.
        rtol: relative error (of the finite-difference value) allowed on top of it.
        seed: seed of the random cotangents (VJPs and layers).
        probes: how many random cotangents probe a VJP or a layer's backward.
    """

    scheme: UserScheme = "richardson"
    step: float | None = None
    atol: float | None = None
    rtol: float | None = None
    seed: int = 0
    probes: int = policy.USER_PROBES

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            hint = did_you_mean(str(self.scheme), SCHEMES) or f"known: {', '.join(SCHEMES)}"
            raise GradcheckError(f"unknown scheme `{self.scheme}`", hint=hint)
        for name in ("step", "atol", "rtol"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value)
                                          and value >= 0 and (value > 0 or name != "step")):
                kind = "positive" if name == "step" else "non-negative"
                raise GradcheckError(f"option `{name}` must be a {kind} number, not {value!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise GradcheckError(f"option `seed` must be a non-negative integer, not {self.seed!r}")
        if not isinstance(self.probes, int) or self.probes < 1:
            raise GradcheckError(f"option `probes` must be a positive integer, not {self.probes!r}")

    @classmethod
    def parse(cls, given: Mapping[str, Any]) -> Options:
        """Options from keyword arguments; an unknown one is an error with a did-you-mean.

        Raises:
            GradcheckError: an unknown option or a value out of range.
        """
        known = [f.name for f in fields(cls)]
        for key in given:
            if key not in known:
                hint = did_you_mean(key, known) or f"known options: {', '.join(known)}"
                raise GradcheckError(f"unknown option `{key}`", hint=hint)
        return cls(**given)
