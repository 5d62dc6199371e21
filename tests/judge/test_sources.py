"""The judge on hand-made arrays: a comparison counts entries (not probes), the worst entries are
ordered by error over tolerance with each entry's own tolerance, a kink band accepts any value
between the one-sided differences, and of three sources the odd one out is the one outside the
only pair that agrees."""

from __future__ import annotations

import numpy as np
import pytest

from gradcheck_cli import judge, policy
from gradcheck_cli.results import Pair


def test_an_entry_failing_under_several_probes_counts_once() -> None:
    # two probes (rows) of three entries: entry 0 fails under both, entry 2 under the second
    user = np.array([[1.5, 2.0, 3.0], [1.5, 2.0, 3.5]])
    numeric = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    judged = judge.compare("user", "numeric", user, numeric, np.full(user.shape, 0.1), "t", entries=3)
    assert judged.pair.failing == 2 and judged.wrong.sum() == 3
    assert judged.pair.max_abs == 0.5 and judged.pair.max_rel == pytest.approx(0.5 / 1.5)
    assert judged.pair.worst_ratio == pytest.approx(5.0)
    # the same values as one comparison of six entries: every wrong value is an entry
    assert judge.compare("a", "b", user, numeric, np.full(user.shape, 0.1), "t").pair.failing == 3


def test_the_worst_entries_come_by_error_over_their_own_tolerance_with_every_source_s_value() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[1.1, 2.0], [3.0, 4.4]])
    c = np.array([[0.0, 0.0], [0.0, 0.0]])
    tol = np.array([[0.01, 1.0], [1.0, 0.1]])  # [0, 0] is off by 10 tolerances, [1, 1] by 4
    judged = judge.compare("a", "b", a, b, tol, "t")
    rows = judge.worst({"a": a, "b": b, "c": c}, judged.pair, judged.ratio, judged.tol)
    assert [r.index for r in rows[:2]] == [(0, 0), (1, 1)]
    first = rows[0]
    assert first.values == {"a": 1.0, "b": 1.1, "c": 0.0}
    assert first.abs_error == pytest.approx(0.1) and first.rel_error == pytest.approx(0.1 / 1.1)
    assert first.tolerance == 0.01 and rows[1].tolerance == 0.1
    # ties (the two exact entries) follow the order of the entries
    assert [r.index for r in rows[2:]] == [(0, 1), (1, 0)][: policy.WORST_ENTRIES - 2]


def test_at_a_kink_any_value_between_the_one_sided_differences_passes_and_one_outside_fails() -> None:
    band = judge.Band(at=np.array([True, True, False]), low=np.array([0.0, 0.0, 0.0]),
                      high=np.array([1.0, 1.0, 1.0]))
    # relu'(0): 0 and ½ are both valid subgradients; 1.5 is not; entry 2 is not at a kink
    a, b = np.array([0.0, 1.5, 2.0]), np.array([0.5, 0.5, 2.0 + 1e-3])
    judged = judge.compare("backprop", "symbolic", a, b, np.full(3, 1e-6), "t", band=band)
    assert judged.wrong.tolist() == [False, True, True]
    assert judged.ratio[0] == 0.0 and judged.pair.failing == 2
    assert judged.pair.tolerance_source.endswith(judge.AT_A_KINK)


def _pair(first: str, second: str, passed: bool) -> Pair:
    return Pair(first, second, 0.0, 0.0, 0.5 if passed else 2.0, 0 if passed else 1, "t")


@pytest.mark.parametrize(("agree", "odd"), [
    (("symbolic", "backprop"), "numeric"), (("symbolic", "numeric"), "backprop"),
    (("backprop", "numeric"), "symbolic"),
])
def test_the_odd_one_out_is_outside_the_only_pair_that_agrees(agree: tuple[str, str], odd: str) -> None:
    pairs = tuple(_pair(x, y, (x, y) == agree) for x, y in
                  (("symbolic", "backprop"), ("symbolic", "numeric"), ("backprop", "numeric")))
    assert judge.odd_one_out(pairs) == odd


@pytest.mark.parametrize("agreeing", [0, 2, 3])
def test_no_source_is_odd_unless_exactly_one_pair_agrees(agreeing: int) -> None:
    names = (("symbolic", "backprop"), ("symbolic", "numeric"), ("backprop", "numeric"))
    pairs = tuple(_pair(x, y, k < agreeing) for k, (x, y) in enumerate(names))
    assert judge.odd_one_out(pairs) is None
    assert judge.odd_one_out(pairs[:1]) is None  # two sources: nobody to side with


def test_the_error_grid_is_row_by_row_and_only_for_small_tensors() -> None:
    ratio = np.arange(6.0).reshape(2, 3)
    assert judge.error_grid(ratio) == ((0.0, 1.0, 2.0), (3.0, 4.0, 5.0))
    assert judge.error_grid(np.array(7.0)) == ((7.0,),)
    assert judge.error_grid(np.zeros(policy.GRID_MAX_ENTRIES + 1)) == ()


def test_two_analytic_sources_that_agree_at_a_kink_agree_even_outside_the_band() -> None:
    # the band comes from the numeric source's one-sided differences: symbolic and backprop both
    # saying 2 where the band is [0, 1] agree with each other (their pair passes, ratio 0), and the
    # pairs with the numeric source are where the disagreement shows
    band = judge.Band(at=np.array([True, True]), low=np.zeros(2), high=np.ones(2))
    a, b = np.array([2.0, 1.5]), np.array([2.0, 0.5])
    analytic = judge.compare("symbolic", "backprop", a, b, np.full(2, 1e-6), "t", band=band)
    assert analytic.wrong.tolist() == [False, True] and analytic.pair.failing == 1
    assert analytic.ratio[0] == 0.0
    numeric = np.array([0.5, 0.5])
    with_numeric = judge.compare("backprop", "numeric", a, numeric, np.full(2, 1e-6), "t", band=band)
    assert with_numeric.wrong.tolist() == [True, True]
