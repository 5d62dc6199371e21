"""Over the expression fuzz grammar: the matrix-form answer, pasted back as the claim, is judged
correct with symbolic evidence (the judge also compares it with the element-wise SymPy
derivative at random points, and errors when they disagree)."""

from __future__ import annotations

from fuzz_strategies import EXPR_VARIABLES, expressions
from hypothesis import HealthCheck, assume, given, settings

from gradcheck_cli.claims.judge import judge
from gradcheck_cli.claims.question import Question
from gradcheck_cli.errors import GradcheckError
from gradcheck_cli.expr import ExprError, compile_expr
from gradcheck_cli.matrix import derive


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(expressions)
def test_the_printed_answer_pasted_back_is_proved(text: str) -> None:
    try:
        f = compile_expr(text, EXPR_VARIABLES)
    except ExprError:
        assume(False)
        return
    used = [name for name in EXPR_VARIABLES if name in text]
    assume(used and (f.shape == (1, 1) or 1 in f.shape))
    wrt = used[0]
    layout = "gradient" if f.shape == (1, 1) else "jacobian"
    answer = derive(f, wrt, EXPR_VARIABLES, layout)
    assume(answer is not None)
    assert answer is not None
    claim = compile_expr(answer.text, EXPR_VARIABLES)
    try:
        result = judge(Question("roundtrip", EXPR_VARIABLES, f, wrt, layout, claim))  # type: ignore[arg-type]
    except GradcheckError:
        assume(False)
        return
    assume(result.verdict != "error" or "disagree" in (result.error or ""))
    assert (result.verdict, result.evidence) == ("correct", "symbolic"), (text, answer.text, result)
