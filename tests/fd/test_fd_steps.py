"""A network spec's step along a random direction: relative to max(1, the RMS of every entry)."""

from __future__ import annotations

import numpy as np
from relative import approx

from gradcheck_cli import policy
from gradcheck_cli.fd.steps import along


def test_the_step_along_a_direction_scales_with_the_rms_of_all_the_entries():
    # entries 3, 4 and 0, 0, 0, 0, 0, 0 (eight in all): mean square 25/8, RMS √(25/8) ≈ 1.77
    values = [np.array([3.0, 4.0]), np.zeros((2, 3))]
    assert along(values, 8, "central", given=1e-3) == approx(1e-3 * np.sqrt(25 / 8), rel=1e-14)


def test_the_step_along_a_direction_is_not_below_the_scheme_step_for_small_entries():
    # RMS 0.1: max(1, 0.1) = 1
    assert along([np.full(4, 0.1)], 4, "central") == policy.CENTRAL_STEP
    assert along([np.full(4, 0.1)], 4, "forward") == policy.FORWARD_STEP
