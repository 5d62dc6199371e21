"""Random syntax trees of the expression language (tests/expr fuzzes token soup and unicode; these
parse, so they reach shape checking, evaluation and differentiation): each compiles or is refused
with a column, a compiled one has the same value in SymPy and NumPy, and `gradcheck expr` ends
in a verdict or exit 2 — never an escaped exception."""

from __future__ import annotations

import numpy as np
import sympy as sp
from fuzz_harness import CRASH, REFUSED, check_expression
from fuzz_strategies import EXPR_VARIABLES, expressions
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from gradcheck_cli.expr import Expr, ExprError, compile_expr, to_numpy, to_sympy, variable_symbols

FUZZ = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SYMBOLS = {name: variable_symbols(name, shape) for name, shape in EXPR_VARIABLES.items()}


def compiled_or_refused(text: str) -> Expr | None:
    try:
        return compile_expr(text, EXPR_VARIABLES)
    except ExprError as error:
        assert error.column is not None and 1 <= error.column <= len(text) + 1, (text, error.column)
        assert f"at column {error.column}:" in error.message
        return None


@FUZZ
@given(text=expressions)
def test_random_expression_trees_compile_or_are_refused_with_a_column(text: str) -> None:
    expr = compiled_or_refused(text)
    if expr is not None:
        assert len(expr.shape) == 2 and min(expr.shape) >= 1


@settings(FUZZ, max_examples=40)
@given(text=expressions, seed=st.integers(0, 2**16))
@example(text="-logdet(outer(x, x))", seed=0)  # found by this test: exactly singular in SymPy
def test_a_compiled_random_tree_has_the_same_value_in_sympy_and_numpy(text: str, seed: int) -> None:
    expr = compiled_or_refused(text)
    assume(expr is not None)
    assert expr is not None
    rng = np.random.default_rng(seed)
    values = {
        name: rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1, 1], size=shape)
        for name, shape in EXPR_VARIABLES.items()
    }
    with np.errstate(all="ignore"):
        try:
            numeric = np.asarray(to_numpy(expr, values), dtype=np.float64)
        except ExprError:  # a singular matrix: refused in NumPy, so nothing to compare
            return
    assume(bool(np.all(np.isfinite(numeric))) and np.abs(numeric).max() < 1e6)
    try:
        matrix = to_sympy(expr, SYMBOLS)
    except ExprError:
        return
    if matrix.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        # exactly undefined (logdet of a singular outer(x, x)): NumPy's value is rounding noise
        return
    entries = [s for name in EXPR_VARIABLES for s in SYMBOLS[name]]
    point = [float(v) for name in EXPR_VARIABLES for v in values[name].ravel()]
    symbolic = np.array(sp.lambdify(entries, matrix, modules="numpy")(*point), dtype=np.float64)
    np.testing.assert_allclose(symbolic, numeric, rtol=1e-7, atol=1e-9, err_msg=text)


@settings(FUZZ, max_examples=15)
@given(
    f=expressions,
    wrt=st.sampled_from([*EXPR_VARIABLES, "u"]),
    claim=st.one_of(st.none(), expressions),
    lets=st.dictionaries(st.sampled_from(["u", "z"]), expressions, max_size=1),
)
def test_random_expressions_through_gradcheck_expr_end_in_a_verdict_or_exit_2(
    f: str, wrt: str, claim: str | None, lets: dict[str, str]
) -> None:
    outcome = check_expression(f, wrt, claim, lets)
    assert outcome.kind != CRASH, outcome.detail
    if outcome.kind == REFUSED:
        assert "\n" not in outcome.detail
