"""The one tolerance formula every comparison of gradients is judged by.

An analytic value is exact up to rounding: ``ANALYTIC_ULPS`` ulps (of the precision it is
computed in) of the largest entry compared. A finite difference is as good as its own error
estimate (truncation + round-off, per entry, see ``fd.noise`` and the stencils), taken
``ESTIMATE_SAFETY`` times. A user's ``atol``/``rtol`` are added on top. At a kink the
one-sided differences bound every valid subgradient; they are widened by the same safety times
their own error estimate.

Spec checks (``compare``), directional checks (``engines.directional``) and user-code checks
(``usercode.verdict``) all call ``allowed``; none writes the formula again.
"""

from __future__ import annotations

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.fd.stencils import Sides


def allowed(
    scale: Array | float, estimate: Array | float | None = None, *, eps: float = policy.EPS,
    atol: float | None = None, rtol: float | None = None, reference: Array | float = 0.0,
) -> Array:
    """The largest acceptable |difference| between two values of a derivative.

    Args:
        scale: the size the rounding of an analytic value is relative to (the largest entry
            compared, or the size of the terms of a sum such as uᵀg).
        estimate: the error estimate of a finite difference involved, per entry (the sum of both
            when both sides are differences); None when both sides are analytic.
        eps: the unit round-off of the precision the analytic value is computed in.
        atol, rtol: the user's extra allowance, absolute and relative to ``reference``.
    """
    tol = np.asarray(policy.ANALYTIC_ULPS * eps * np.asarray(scale, dtype=np.float64))
    if estimate is not None:
        tol = tol + policy.ESTIMATE_SAFETY * np.asarray(estimate, dtype=np.float64)
    if atol is not None or rtol is not None:
        tol = tol + (atol or 0.0) + (rtol or 0.0) * np.abs(reference)
    return tol


def described(estimated: bool, *, precision: str = "", overrides: str = "") -> str:
    """``allowed``'s formula in words, for the report: which terms applied."""
    ulps = f"{policy.ANALYTIC_ULPS:g} {precision + ' ' if precision else ''}ulps of the largest entry"
    text = f"{policy.ESTIMATE_SAFETY:g} × finite-difference error estimate + {ulps}" if estimated else ulps
    return text + (f" + {overrides}" if overrides else "")


def between(side: Sides) -> tuple[Array, Array]:
    """The interval a valid subgradient lies in at a kink: between the one-sided differences,
    each widened by ``ESTIMATE_SAFETY`` times its own error estimate — any value inside is one
    (relu′(0) = 0 and Heaviside(0) = ½ alike)."""
    right = policy.ESTIMATE_SAFETY * side.right_error
    left = policy.ESTIMATE_SAFETY * side.left_error
    return np.minimum(side.right - right, side.left - left), np.maximum(side.right + right, side.left + left)
