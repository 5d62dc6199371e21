"""Limits of the expression language: how big an expression may be before it is refused.

An expression comes from a spec file or a command line, so it is untrusted text. Every bound
here is checked *before* the work it protects against is done, so hostile input is refused
in microseconds instead of hanging or exhausting memory. Each bound is generous for the
homework-sized formulas the language exists for (a few dozen tokens).
"""

from __future__ import annotations

#: Longest expression text, in characters. A long hand-derived gradient is a few hundred
#: characters; 4,000 leaves room for generated ones while keeping ``ast.parse`` cheap.
MAX_TEXT_LENGTH = 4_000

#: Most Python AST nodes in one expression. A long hand-derived gradient has about a hundred;
#: the bound caps the work of every later pass (and the size of the SymPy result).
MAX_AST_NODES = 1_000

#: Deepest nesting of brackets and of the syntax tree. CPython's parser recurses on nesting
#: (it gives up near 200 brackets, and a chain of 4,000 unary minus signs overflows its C stack
#: guard), and so do our tree walks; 100 levels is far beyond any formula a person writes.
MAX_DEPTH = 100

#: Deepest compiled tree once named sub-expressions (lets) are substituted. Evaluation is
#: iterative, but comparing and printing trees recurses, and this keeps them well inside
#: Python's default recursion limit of 1,000.
MAX_TREE_DEPTH = 250

#: Largest |p| in ``x ** p``. The exponent must be a constant; capping it means ``x ** 1000``
#: and ``2 ** 10 ** 10`` are refused before any big number or huge polynomial is built.
MAX_EXPONENT = 64

#: Largest magnitude of a numeric literal. Gradients of homework losses have small constants;
#: a literal like ``1e300`` is a typo or an attempt to overflow something downstream.
MAX_LITERAL = 1e12

#: Most entries of a matrix built from size literals (``eye(n)``, ``ones(m, n)``): a
#: 100 × 100 identity is fine, ``eye(10 ** 6)`` would allocate 8 TB.
MAX_CONSTRUCTED_ENTRIES = 10_000

#: Largest n for which a symbolic det or inverse is written as a cofactor expansion (n! terms,
#: 120 at n = 5, the compact textbook form); larger matrices use Berkowitz's algorithm, whose
#: size grows polynomially. Neither divides, so neither spends time cancelling fractions.
COFACTOR_MAX_SIZE = 5

#: A symbolic matrix is singular when its determinant vanishes identically; that is tested at
#: one random point with integer coordinates in [1, SINGULAR_TEST_RANGE] (seeded), where a
#: nonzero determinant of degree d vanishes with probability at most d / SINGULAR_TEST_RANGE.
SINGULAR_TEST_RANGE = 10**9
SINGULAR_TEST_SEED = 0

#: Longest excerpt of the expression quoted in an error message before it is cut with "…".
MAX_QUOTED_CHARS = 40
