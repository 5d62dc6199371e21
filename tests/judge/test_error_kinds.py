"""The phrases that say what a wrong gradient looks like, where a test elsewhere only checks the
kind: an offset along an axis, and a multiple of the variable itself (an L2 penalty's term)."""

from __future__ import annotations

import numpy as np

from gradcheck_cli.diagnose import classify, offset_phrase, shape_of_error


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


REFERENCE = np.array([[1.0, -2.0], [0.5, 3.0]])
EVERY = np.ones(REFERENCE.shape, dtype=bool)


def test_each_kind_of_error_comes_with_its_phrase():
    w = np.array([[0.2, 0.1], [-0.3, 0.4]])
    one = np.zeros(REFERENCE.shape, dtype=bool)
    one[1, 0] = True
    row = np.zeros(REFERENCE.shape, dtype=bool)
    row[1] = True
    assert classify(np.zeros((2, 2)), REFERENCE, EVERY) == ("other", "it is zero where it should not be")
    assert classify(-REFERENCE, REFERENCE, EVERY) == ("sign", "it has the wrong sign")
    assert classify(2 * REFERENCE, REFERENCE, EVERY) == ("factor", "it is 2 times the correct value")
    assert classify(REFERENCE.T, REFERENCE, EVERY) == ("transpose", "it is transposed")
    kind, phrase = classify(REFERENCE + 3 * w, REFERENCE, EVERY, {"w": w})
    assert kind == "missing-term" and phrase.endswith(
        "(the gradient of an L2 penalty, say) is missing, extra or mis-scaled")
    kind, phrase = classify(REFERENCE + 0.5, REFERENCE, EVERY)
    assert kind == "missing-term" and phrase.startswith("it is off by the same amount in every entry")
    off = REFERENCE.copy()
    off[1, 0] += 7.0
    assert classify(off, REFERENCE, one) == ("partial", "1 of 4 entries differ")
    off[1, 1] -= 5.0
    assert classify(off, REFERENCE, row) == ("partial", "only row 1 differs")
    scattered = REFERENCE + np.array([[0.3, -1.1], [0.7, 0.05]])
    assert classify(scattered, REFERENCE, EVERY) == ("other", "every entry differs")


def test_a_candidate_equal_to_the_reference_or_right_everywhere_is_no_error():
    assert classify(REFERENCE, REFERENCE, EVERY) is None
    assert classify(REFERENCE + 1e-20, REFERENCE, np.zeros(REFERENCE.shape, dtype=bool)) is None
