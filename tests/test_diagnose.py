"""The shape of an error: each diagnosis on a case made to have it, and none where none fits."""

from __future__ import annotations

import numpy as np
import pytest

from gradcheck_cli.diagnose import classify, constant_along, shape_of_error

REF = np.array([[1.0, -2.0, 0.5], [0.3, 4.0, -1.0], [2.0, 0.7, -0.6]])
ALL = np.ones_like(REF, dtype=bool)


@pytest.mark.parametrize(
    ("candidate", "phrase"),
    [
        (-REF, "it has the wrong sign"),
        (2 * REF, "it is 2 times the correct value"),
        (REF / 8, "it is 1/8 of the correct value"),
        (-0.5 * REF, "it has the wrong sign and is 1/2 of the correct value"),
        (REF.T, "it is transposed"),
        (np.zeros_like(REF), "it is zero where it should not be"),
    ],
)
def test_names_the_structure_of_a_wrong_gradient(candidate, phrase):  # type: ignore[no-untyped-def]
    assert shape_of_error(candidate, REF, ALL) == phrase


def test_points_at_the_one_row_that_differs():
    wrong = REF.copy()
    wrong[1] += [1.0, -3.0, 0.2]
    mask = np.abs(wrong - REF) > 0
    assert shape_of_error(wrong, REF, mask) == "only row 1 differs"


def test_a_row_is_named_only_where_it_differs_beyond_the_error_bars():
    """Entries of one row over their tolerance by a little (noise the estimate missed), with
    others elsewhere near theirs, are no pattern: the row is named only where it is clear."""
    wrong = REF.copy()
    wrong[1] += [1.0, -3.0, 0.2]
    ratio = np.full(REF.shape, 0.6)
    ratio[1] = [1.3, 1.1, 1.2]
    found = classify(wrong, REF, ratio > 1, ratio=ratio)
    assert found == ("partial", "3 of 9 entries differ")
    ratio = np.full(REF.shape, 0.1)
    ratio[1] = [1e4, 3e4, 2e3]
    assert classify(wrong, REF, ratio > 1, ratio=ratio) == ("partial", "only row 1 differs")


def test_counts_scattered_wrong_entries():
    wrong = REF.copy()
    wrong[0, 0] += 1
    wrong[2, 1] -= 1
    assert shape_of_error(wrong, REF, np.abs(wrong - REF) > 0) == "2 of 9 entries differ"


def test_a_random_error_is_not_called_a_scale_or_transpose():
    rng = np.random.default_rng(0)
    noisy = REF + rng.standard_normal(REF.shape)
    assert shape_of_error(noisy, REF, ALL) == "every entry differs"


@pytest.mark.parametrize(
    ("offset", "unit"),
    [
        (np.full((3, 3), 0.25), "entry"),
        (np.array([[0.5, -1.0, 2.0]] * 3), "row"),  # one value per column, the same in every row
        (np.array([[0.5], [-1.0], [2.0]]) * np.ones((1, 3)), "column"),
    ],
)
def test_an_error_that_repeats_along_an_axis_is_a_term_missing_there(offset, unit):  # type: ignore[no-untyped-def]
    found = classify(REF + offset, REF, ALL)
    assert found is not None and found[0] == "missing-term"
    assert f"off by the same amount in every {unit}:" in found[1]
    assert constant_along(offset) == unit


@pytest.mark.parametrize(
    "diff",
    [
        np.zeros((3, 3)),
        np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),  # one entry
        np.array([[0.5, -1.0, 2.0], [0.5, -1.0, 2.1], [0.5, -1.0, 2.0]]),  # one row off the pattern
        np.array([[3.0]]),  # a single entry has no axis to repeat along
    ],
)
def test_an_error_that_does_not_repeat_is_not_called_an_offset(diff):  # type: ignore[no-untyped-def]
    assert constant_along(diff) is None


@pytest.mark.parametrize(
    ("candidate", "phrase"),
    [
        (8 * REF, "it is 8 (X.shape[0]) times the correct value"),  # a mean's 1/N left out
        (REF / 8, "it is 1/8 (1/X.shape[0]) of the correct value"),  # taken twice
        (-8 * REF, "it has the wrong sign and is 8 (X.shape[0]) times the correct value"),
        (2 * REF, "it is 2 times the correct value"),  # sizes of 2 or less name nothing
        (5 * REF, "it is 5 times the correct value"),  # no input has 5
    ],
)
def test_a_factor_equal_to_an_input_dimension_is_named_by_it(candidate, phrase):  # type: ignore[no-untyped-def]
    sizes = {"W.shape[0]": 2, "X.shape[0]": 8, "X.shape[1]": 3}
    found = classify(candidate, REF, ALL, sizes=sizes)
    assert found is not None and found[1] == phrase
