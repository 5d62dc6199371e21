"""Hand-built reports for the CI reporters: a failing tensor, a keyed sheet, a spec error."""

from __future__ import annotations

import pytest
from ci_reports import broken, network, question, sheet, tensor

from gradcheck_cli.results import Report


@pytest.fixture
def mixed_report() -> Report:
    """Every kind of content: a failing tensor, a wrong claim, a sheet with a wrong answer and
    a keyed wrong answer, a spec that did not load."""
    net = network(tensor("W0", failing=True), tensor("b0"),
                  claims=(question("∂J/∂x (claimed per example)", correct=False, points=None),))
    answers = sheet(question("least squares", correct=True, claimed="-A.T @ (y - A @ x)"),
                    question("sign dropped", correct=False),
                    question("sign dropped, keyed", correct=False, expect="incorrect"))
    return Report((net, answers, broken()))


@pytest.fixture
def passing_report() -> Report:
    return Report((network(tensor("W0"), tensor("b0")),))
