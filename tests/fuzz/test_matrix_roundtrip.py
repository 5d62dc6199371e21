"""Over the expression fuzz grammar: the matrix-form answer, pasted back as the claim, is judged
correct with symbolic evidence (the judge also compares it with the element-wise SymPy
derivative at random points, and errors when they disagree), and agrees with the complex-step
derivative of f's NumPy form."""

from __future__ import annotations

import numpy as np
from fuzz_strategies import EXPR_VARIABLES, expressions
from hypothesis import HealthCheck, assume, given, settings

from gradcheck_cli.claims.evidence import close
from gradcheck_cli.claims.judge import judge
from gradcheck_cli.claims.matrixform import complex_step
from gradcheck_cli.claims.question import Question
from gradcheck_cli.errors import GradcheckError
from gradcheck_cli.expr import ExprError, compile_expr, to_numpy
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
    point = {name: np.random.default_rng([5, 1]).normal(size=shape) for name, shape in EXPR_VARIABLES.items()}
    stepped = complex_step(Question("roundtrip", EXPR_VARIABLES, f, wrt, layout), point)  # type: ignore[arg-type]
    if stepped is not None and np.all(np.isfinite(to_numpy(answer.expr, point))):
        mine = to_numpy(answer.expr, point)
        assert close(mine, stepped) or np.allclose(mine, stepped, rtol=0, atol=1e-9), (text, answer.text)
