"""Compiling expressions: the shape of every construct, every error with its column, hints."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from gradcheck_cli.expr import (
    FUNCTIONS,
    Expr,
    ExprError,
    Shape,
    compile_expr,
    declared_shape,
    to_numpy,
    variable_symbols,
)

VARIABLES: dict[str, Shape] = {
    "A": (2, 3), "x": (3, 1), "y": (2, 1), "X": (3, 3), "M": (3, 4), "v": (4, 1),
    "s": (1, 1), "t": (1, 1), "theta": (4, 1), "h": (5, 1), "z": (3, 1), "a": (3, 1), "B": (2, 2),
    "r": (1, 4),
}


def compiled(text: str) -> Expr:
    return compile_expr(text, VARIABLES)


def error_of(text: str, variables: dict[str, Shape] | None = None) -> ExprError:
    with pytest.raises(ExprError) as caught:
        compile_expr(text, VARIABLES if variables is None else variables)
    return caught.value


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("x", (3, 1)),
        ("x.T", (1, 3)),
        ("x.T @ X @ x", (1, 1)),
        ("(y - A @ x).T @ A", (1, 3)),
        ("-(y - A @ x).T @ A", (1, 3)),
        ("2 * A @ x", (2, 1)),
        ("A.T @ (A @ x - y)", (3, 1)),
        ("outer(softmax(theta) - theta, h)", (4, 5)),
        ("outer(x.T, r)", (3, 4)),
        ("diag(1 - tanh(z)**2)", (3, 3)),
        ("diag(r)", (4, 4)),
        ("diag(X)", (3, 1)),
        ("inv(X).T * det(X)", (3, 3)),
        ("sum(M)", (1, 1)),
        ("sum(M, 0)", (1, 4)),
        ("sum(M, axis=0)", (1, 4)),
        ("sum(M, 1)", (3, 1)),
        ("mean(M, axis=1)", (3, 1)),
        ("mean(M)", (1, 1)),
        ("softmax(M)", (3, 4)),
        ("softmax(r)", (1, 4)),
        ("logsumexp(v)", (1, 1)),
        ("logsumexp(M)", (1, 4)),
        ("norm(M)", (1, 1)),
        ("trace(X)", (1, 1)),
        ("logdet(X)", (1, 1)),
        ("vec(s, t)", (2, 1)),
        ("vec(s, x[0], X[1, 2], 3)", (4, 1)),
        ("eye(3) @ x", (3, 1)),
        ("ones(4)", (4, 1)),
        ("ones(2, 5)", (2, 5)),
        ("s * M", (3, 4)),
        ("M / s", (3, 4)),
        ("x.T @ x * X", (3, 3)),
        ("1 + x", (3, 1)),
        ("x - 1", (3, 1)),
        ("pi * x", (3, 1)),
        ("x ** 2", (3, 1)),
        ("x ** -0.5", (3, 1)),
        ("x ** (1 / 2)", (3, 1)),
        ("2 ** 10 * x", (3, 1)),
        ("x[2]", (1, 1)),
        ("r[3]", (1, 1)),
        ("M[2, 3]", (1, 1)),
        ("+x", (3, 1)),
        ("exp(x) + log(x) + sqrt(x) + sin(x) + cos(x) + tanh(x)", (3, 1)),
        ("sigmoid(M) * relu(M) + softplus(M) - abs(M) * sign(M) / step(M)", (3, 4)),
        ("  x\n  + 1", (3, 1)),
        ("x^2 + 1", (3, 1)),
        ("x ^ -0.5", (3, 1)),
        ("σ(x) + ln(x)", (3, 1)),
        ("tr(X)", (1, 1)),
        ("max(x, 0)", (3, 1)),
        ("maximum(M, x)", (3, 4)),
        ("min(r, M)", (3, 4)),
        ("minimum(s, x)", (3, 1)),
        ("[[1, 2], [3, 4]]", (2, 2)),
        ("[1, 2, 3]", (3, 1)),
        ("[[1, 2, 3]]", (1, 3)),
        ("[5] * x", (3, 1)),
        ("[-1, 1/2, -pi] + x", (3, 1)),
        ("[[1, 2]] @ [[3], [4]]", (1, 1)),
        ("x ** s", (3, 1)),
        ("M ^ (s + t) / 2 ** t", (3, 4)),
        ("x ** sum(x)", (3, 1)),
        ("M + x", (3, 4)),
        ("x.T @ x + M - r", (3, 4)),
        ("r * M", (3, 4)),
        ("M / x", (3, 4)),
        ("M - mean(M, 0)", (3, 4)),
        ("A @ M + y", (2, 4)),
        ("vec(M)", (12, 1)),
        ("vec(r)", (4, 1)),
        ("vec(x)", (3, 1)),
        ("vec(s)", (1, 1)),
        ("kron(A, X)", (6, 9)),
        ("kron(x.T, diag(1 - tanh(A @ x)**2))", (2, 6)),
        ("kron(s, r)", (1, 4)),
    ],
)
def test_each_expression_has_the_shape_of_its_math(text: str, shape: Shape) -> None:
    assert compiled(text).shape == shape


def test_a_node_records_its_source_text_and_column() -> None:
    tree = compiled("y - A @ x")
    assert (tree.text, tree.column) == ("y - A @ x", 3)
    product = tree.right  # type: ignore[attr-defined]
    assert (product.text, product.column) == ("A @ x", 7)


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("y - A @ v", 7, "`A @ v` at column 7: A is 2×3 but v has 4 rows"),
        ("a + B", 3, "`a + B` at column 3: a is 3×1 but B is 2×2"),
        ("x * r", 3, "`x * r` at column 3: x is 3×1 but r is 1×4"),
        ("x + x.T", 3, "`x + x.T` at column 3: x is 3×1 but x.T is 1×3"),
        ("x +* 2", 4, "`x +* 2` at column 4: this is not a valid expression (invalid syntax)"),
        ("x +", 4, "`x +` at column 4: the expression ends too early (invalid syntax)"),
        ("exp(x", 4, "`exp(x` at column 4: this is not a valid expression ('(' was never closed)"),
        ("xx + 1", 1, "`xx` at column 1: unknown variable `xx`"),
        ("1 + expp(x)", 5, "`expp` at column 5: unknown function `expp`"),
        ("x(2)", 1, "`x` at column 1: `x` is a variable, not a function"),
        ("exp + 1", 1, "`exp` at column 1: `exp` is a function; call it"),
        ("outer(x)", 1, "`outer(x)` at column 1: outer takes 2 arguments, got 1"),
        ("exp(x, x)", 1, "`exp(x, x)` at column 1: exp takes 1 argument, got 2"),
        ("sum(x, 0, 1)", 1, "`sum(x, 0, 1)` at column 1: sum takes 1 argument and an optional axis"),
        ("eye(2, 2)", 1, "`eye(2, 2)` at column 1: eye takes 1 size, got 2"),
        ("ones()", 1, "`ones()` at column 1: ones takes 1 or 2 sizes, got 0"),
        ("vec()", 1, "`vec()` at column 1: vec takes at least 1 argument, got 0"),
        ("x[3]", 3, "`3` at column 3: index 3 is out of range for x, which has 3 entries (0 to 2)"),
        ("M[1, 4]", 6, "`4` at column 6: index 4 is out of range for M, which is 3×4"),
        ("M[1]", 1, "`M[1]` at column 1: M is 3×4, a matrix; give two indices"),
        ("det(A)", 1, "`det(A)` at column 1: det needs a square matrix but A is 2×3"),
        ("2 * inv(M)", 5, "`inv(M)` at column 5: inv needs a square matrix but M is 3×4"),
        ("trace(x)", 1, "`trace(x)` at column 1: trace needs a square matrix but x is 3×1"),
        ("logdet(A)", 1, "`logdet(A)` at column 1: logdet needs a square matrix but A is 2×3"),
        ("diag(M)", 1, "`diag(M)` at column 1: diag needs a vector or a square matrix but M is 3×4"),
        ("outer(x, X)", 1, "`outer(x, X)` at column 1: outer needs two vectors but X is 3×3"),
        ("vec(s, x)", 1, "`vec(s, x)` at column 1: vec takes 1×1 scalars but x is 3×1"),
        ("x - r", 3, "`x - r` at column 3: x is 3×1 but r is 1×4"),
        ("1 + max(X)", 5, "`max(X)` at column 5: the language has no `max` over the entries of a matrix, "
                          "only the entrywise `maximum(a, b)`"),
        ("min(M, axis=0)", 1, "`min(M, axis=0)` at column 1: the language has no `min` over the entries"),
        ("max(x, 0, 1)", 1, "`max(x, 0, 1)` at column 1: max takes 2 arguments, got 3"),
        ("maximum(x, r)", 1, "`maximum(x, r)` at column 1: x is 3×1 but r is 1×4"),
        ("2 * max", 5, "`max` at column 5: `max` is a function; call it, as in `max(a, b)`"),
        ("ln + 1", 1, "`ln` at column 1: `ln` is a function; call it, as in `ln(x)`"),
        ("M + y", 3, "`M + y` at column 3: M is 3×4 but y is 2×1"),
        ("s + x.T / M", 9, "`x.T / M` at column 9: x.T is 1×3 but M is 3×4"),
        ("kron(A)", 1, "`kron(A)` at column 1: kron takes 2 arguments, got 1"),
        ("2 * kron(X, eye(40))", 5, "`kron(X, eye(40))` at column 5: a 120×120 matrix has more than 10,000"),
        ("sum(x, 2)", 8, "`2` at column 8: an axis must be 0"),
        ("eye(0)", 5, "`0` at column 5: a size must be a positive integer literal"),
        ("ones(3.5)", 6, "`3.5` at column 6: a size must be a positive integer literal"),
        ("eye(101)", 1, "`eye(101)` at column 1: a 101×101 matrix has more than 10,000 entries"),
        ("x ** x", 3, "`x ** x` at column 3: the exponent of a power must be 1×1 (a number or a scalar), "
                      "but x is 3×1"),
        ("s + 2 ^ r", 7, "`2 ^ r` at column 7: the exponent of a power must be 1×1 (a number or a scalar), "
                         "but r is 1×4"),
        ("x ** 65", 3, "`x ** 65` at column 3: the exponent 65 is larger than 64 in size"),
        ("x + 1 / 0", 7, "`1 / 0` at column 7: this constant divides by zero"),
        ("(-8) ** 0.5 * x", 6, "`(-8) ** 0.5` at column 6: this constant is not a finite real number"),
        ("2x", 1, "`2x` at column 1: this is not a valid expression (invalid decimal literal)"),
        ("", 1, "the expression is empty"),
        ("   ", 1, "the expression is empty"),
        ("θ + x", 1, "`θ` at column 1: unknown variable `θ`"),
    ],
)
def test_each_error_names_the_problem_at_its_column(text: str, column: int, message: str) -> None:
    error = error_of(text)
    assert error.column == column
    assert error.expression == text
    assert error.message.startswith(message)


def test_columns_count_characters_not_bytes() -> None:
    error = error_of("(θ + (x @ y))", {**VARIABLES, "θ": (3, 1)})
    assert error.message == "`x @ y` at column 9: x is 3×1 but y has 2 rows"


@pytest.mark.parametrize(
    ("caret", "stars"),
    [
        ("x^2 + 1", "x**2 + 1"),
        ("2 * x^2", "2 * x**2"),
        ("-x^2", "-x**2"),
        ("x^2^0.5", "x**2**0.5"),
        ("(x + 1)^2 / s^3", "(x + 1)**2 / s**3"),
        ("exp(-s^2) * x", "exp(-s**2) * x"),
    ],
)
def test_a_caret_is_a_power_with_the_precedence_of_double_stars(caret: str, stars: str) -> None:
    values = {"x": np.array([[0.5], [2.0], [3.0]]), "s": np.array([[1.5]])}
    by_caret, by_stars = to_numpy(compiled(caret), values), to_numpy(compiled(stars), values)
    np.testing.assert_array_equal(by_caret, by_stars)
    assert type(compiled(caret)) is type(compiled(stars))


def test_x_caret_two_plus_one_is_x_squared_plus_one_by_hand() -> None:
    assert to_numpy(compiled("x^2 + 1"), {"x": np.array([1.0, 2.0, 3.0])}).ravel().tolist() == [2, 5, 10]


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("s + x ^ x", 7, "`x ^ x` at column 7: the exponent of a power must be 1×1"),
        ("x^2 + y", 5, "`x^2 + y` at column 5: x^2 is 3×1 but y is 2×1"),
        ("(x^2)^65", 6, "`(x^2)^65` at column 6: the exponent 65 is larger than 64"),
        ("x^ * 1", 4, "`x^ * 1` at column 4: this is not a valid expression (invalid syntax)"),
        ("  x ^\n 2 + y", 10, "`x ^ 2 + y` at column 10: x ^ 2 is 3×1 but y is 2×1"),
    ],
)
def test_an_error_after_a_caret_points_at_the_text_as_written(text: str, column: int, message: str) -> None:
    error = error_of(text)
    assert error.column == column
    assert error.message.startswith(message)


def test_columns_count_a_line_break_as_one_character() -> None:
    assert error_of("x +\n  a +\n  y").column == 9


def test_an_error_prints_as_one_sentence_with_its_hint() -> None:
    assert str(error_of("xs + 1")) == "`xs` at column 1: unknown variable `xs`; did you mean `x`?"


def test_an_error_in_a_spec_file_is_prefixed_with_file_and_line_but_not_the_column_twice() -> None:
    error = error_of("a + B")
    error.file, error.line = "spec.yaml", 12
    assert str(error) == "spec.yaml:12: `a + B` at column 3: a is 3×1 but B is 2×2"


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("thetta", "did you mean `theta`?"),
        ("softmx(x)", "did you mean `softmax`?"),
        ("sigmoi(x)", "did you mean `sigmoid`?"),
        ("np.tanh(x)", "did you mean `tanh(x)`?"),
        ("A @ y", "is one side missing a transpose `.T`?"),
        ("s @ X", "a 1×1 value scales a matrix with `*`, not `@`"),
        ("A * x", "`*` is entrywise; for a matrix product use `@`"),
        ("x + x.T", "is one side missing a transpose `.T`?"),
        ("M + v", "is one side missing a transpose `.T`?"),
        ("x.T - M", "is one side missing a transpose `.T`?"),
        ("vec(s, x)", "vec(X) of one matrix alone stacks its columns"),
        ("2x", "for a product write `*`, as in `2 * x`"),
    ],
)
def test_a_near_miss_gets_a_hint(text: str, hint: str) -> None:
    assert error_of(text).hint == hint


def test_a_name_far_from_every_known_name_gets_no_hint() -> None:
    assert error_of("qqqqq + x").hint is None


def test_did_you_mean_also_offers_the_names_of_lets() -> None:
    lets = {"hidden": compiled("A @ x")}
    with pytest.raises(ExprError) as caught:
        compile_expr("hiden + y", VARIABLES, lets)
    assert caught.value.hint == "did you mean `hidden`?"


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [("σ", "sigmoid"), ("ln", "log"), ("tr", "trace"), ("max", "maximum"), ("min", "minimum")],
)
def test_an_alias_compiles_to_its_canonical_function(alias: str, canonical: str) -> None:
    arguments = "X" if canonical == "trace" else "x, z" if canonical in ("maximum", "minimum") else "x"
    call, spelt_out = compiled(f"{alias}({arguments})"), compiled(f"{canonical}({arguments})")
    assert call.function == canonical  # type: ignore[attr-defined]
    assert call.shape == spelt_out.shape
    assert [a.text for a in call.children()] == [a.text for a in spelt_out.children()]


def test_a_let_is_used_like_a_variable_of_its_shape() -> None:
    variables: dict[str, Shape] = {"W": (4, 3), "x": (3, 1), "b1": (4, 1)}
    z = compile_expr("W @ x + b1", variables)
    a = compile_expr("tanh(z)", variables, {"z": z})
    out = compile_expr("a.T @ a + sum(z)", variables, {"z": z, "a": a})
    assert (a.shape, out.shape) == ((4, 1), (1, 1))


def test_a_let_with_the_name_of_a_variable_is_refused() -> None:
    with pytest.raises(ExprError, match="has the name of a variable"):
        compile_expr("x + 1", VARIABLES, {"x": compiled("x")})


def test_a_shape_error_through_a_let_names_the_let() -> None:
    with pytest.raises(ExprError) as caught:
        compile_expr("h + hidden", VARIABLES, {"hidden": compiled("A @ x")})
    assert caught.value.message == "`h + hidden` at column 3: h is 5×1 but hidden is 2×1"


def test_a_variable_named_pi_shadows_the_constant() -> None:
    assert compile_expr("pi", {"pi": (3, 1)}).shape == (3, 1)


def test_every_function_in_the_table_is_documented_with_its_math() -> None:
    assert all(function.math and function.name == name for name, function in FUNCTIONS.items())


@pytest.mark.parametrize(("dims", "shape"), [([], (1, 1)), ([4], (4, 1)), ([2, 3], (2, 3)), ((1,), (1, 1))])
def test_declared_shapes_make_vectors_columns(dims: list[int], shape: Shape) -> None:
    assert declared_shape(dims) == shape


@pytest.mark.parametrize("dims", [[2, 3, 4], [0], [-1, 2], [2.0], [True]])
def test_a_declared_shape_that_is_not_a_scalar_vector_or_matrix_is_refused(dims: list[int]) -> None:
    with pytest.raises(ExprError, match=r"\[\], \[n\] or \[m, n\]"):
        declared_shape(dims)


def test_variable_symbols_are_named_by_their_indices() -> None:
    assert variable_symbols("s", (1, 1))[0, 0].name == "s"
    assert [e.name for e in variable_symbols("x", (3, 1))] == ["x_0", "x_1", "x_2"]
    assert variable_symbols("A", (2, 3))[1, 2].name == "A_1_2"
    assert variable_symbols("A", (2, 3)).shape == (2, 3)
    assert all(e.is_real for e in variable_symbols("A", (2, 2)))
    assert isinstance(variable_symbols("x", (2, 1)), sp.MatrixBase)
