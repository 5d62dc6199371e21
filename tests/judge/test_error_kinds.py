"""The phrases that say what a wrong gradient looks like, where a test elsewhere only checks the
kind: an offset along an axis, and a multiple of the variable itself (an L2 penalty's term)."""

from __future__ import annotations

import numpy as np

from gradcheck_cli.diagnose import offset_phrase, shape_of_error


def test_an_offset_in_every_entry_names_no_axis_and_one_along_rows_names_the_rows():
    entry = offset_phrase("it", "entry")
    assert entry.startswith("it is off by the same amount in every entry:")
    assert entry.endswith("often the dependence through a sum or mean")
    assert offset_phrase("it", "row").endswith("often the dependence through a sum or mean over the rows")


def test_an_error_that_is_a_multiple_of_the_variable_is_named_as_that_multiple():
    w = np.array([[1.0, -2.0], [0.5, 3.0]])
    reference = np.array([[0.3, 0.1], [-0.7, 0.2]])
    phrase = shape_of_error(reference + 0.25 * w, reference, np.ones(w.shape, dtype=bool), {"w": w})
    assert phrase is not None and phrase.startswith("it is off by 0.25·w: a term proportional to `w`")
