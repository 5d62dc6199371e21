"""The terminal view of a claim file: one row per question, the diagnoses, the score."""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from gradcheck_cli.report.options import RenderOptions
from gradcheck_cli.results import QuestionResult, SheetResult

VERDICT_STYLE = {"correct": "bold green", "incorrect": "bold red", "error": "bold magenta"}
#: Longest residual printed in the terminal (the JSON report always carries it).
RESIDUAL_SHOWN = 160
OUTCOME_STYLE = {"pass": "bold green", "fail": "bold red", "error": "bold magenta"}


def sheet(result: SheetResult) -> RenderableType:
    head = Text.assemble(
        (result.name, "bold"), "  ", (result.path, "dim"), "  ",
        (result.verdict.upper(), OUTCOME_STYLE[result.verdict]),
    )
    if result.error is not None:
        return Group(head, Text(result.error, style="magenta"))
    count = len(result.questions)
    meta = f"seed {result.seed} · {count} question{'s' if count != 1 else ''}"
    score = result.score
    if score is not None:
        meta += f" · score {score[0]:g}/{score[1]:g} points"
    parts: list[RenderableType] = [head, Text(meta, style="dim"), *claims(result.questions)]
    if score is not None:
        parts.append(Text(f"score: {score[0]:g} / {score[1]:g} points", style="bold"))
    return Group(*parts)


def claims(questions: tuple[QuestionResult, ...]) -> list[RenderableType]:
    """The table of judged claims, then one line per claim on its verdict."""
    parts: list[RenderableType] = [_table(questions)]
    for q in questions:
        parts.extend(_details(q))
    return parts


def _table(questions: tuple[QuestionResult, ...]) -> Table:
    table = Table(header_style="bold")
    keyed = any(q.expect is not None for q in questions)
    for column in ("#", "question", "∂f/∂", "layout", "verdict", "diagnosis", "points"):
        table.add_column(column, justify="right" if column in ("#", "points") else "left")
    if keyed:
        table.add_column("as expected")
    for i, q in enumerate(questions, 1):
        points = "" if q.points is None else f"{q.awarded or 0:g}/{q.points:g}"
        verdict = Text(q.verdict, style=VERDICT_STYLE[q.verdict])
        row: list[str | Text] = [str(i), q.name, q.wrt, q.layout, verdict,
               q.diagnosis.kind if q.diagnosis else "", points]
        if keyed:
            row.append(Text(_as_expected(q), style=OUTCOME_STYLE[q.outcome]))
        table.add_row(*row)
    return table


def _as_expected(q: QuestionResult) -> str:
    """"yes", or what the answer key expected: "NO: expected incorrect (sign)"."""
    if q.outcome == "pass" or q.expect is None:
        return "yes" if q.outcome == "pass" else "NO"
    return f"NO: expected {q.expect}" + (f" ({q.expect_diagnosis})" if q.expect_diagnosis else "")


def _details(q: QuestionResult) -> list[RenderableType]:
    parts: list[RenderableType] = []
    if q.verdict == "error":
        parts.append(Text(f"! {q.name}: {q.error}", style="magenta"))
    elif q.verdict == "incorrect" and q.diagnosis is not None:
        parts.append(Text(f"✗ {q.name}: {q.diagnosis.message}", style="red"))
        short = q.residual is not None and len(q.residual) <= RESIDUAL_SHOWN
        if short and q.diagnosis.kind not in ("shape", "layout"):
            parts.append(Text(f"  claim − truth = {q.residual}", style="dim"))
    elif q.verdict == "correct":
        parts.append(Text(f"✓ {q.name}: correct (evidence: {q.evidence})", style="green"))
    if q.answer is not None:
        parts.append(Text(f"  answer: {q.answer}", style="cyan"))
    return parts


def question(q: QuestionResult, options: RenderOptions) -> str:
    """The one-liner's verdict: one line, then the diagnosis and evidence."""
    out = io.StringIO()
    console = Console(file=out, width=options.width or 100, force_terminal=options.color,
                      no_color=not options.color, color_system="256" if options.color else None,
                      highlight=False, emoji=False)
    console.print(Text.assemble((q.verdict, VERDICT_STYLE[q.verdict]), f"  ∂f/∂{q.wrt} ({q.layout} layout)"))
    for part in _details(q):
        console.print(part)
    if q.verdict != "error":
        console.print(Text(f"evidence: {q.evidence}", style="dim"))
    return out.getvalue()
