"""The Markdown report, for a CI job summary (GitHub's ``$GITHUB_STEP_SUMMARY``).

Per spec: a heading, a table of its checks with ✅/❌ verdicts, the reasons for each failure,
the score of a sheet; last, the ``N passed, M failed`` line.
"""

from __future__ import annotations

import re

from gradcheck_cli.report.options import RenderOptions, summary_line
from gradcheck_cli.report.plain import question_message, tensor_message
from gradcheck_cli.results import QuestionResult, Report, Result, SheetResult, SpecResult

#: Characters Markdown would read as markup (emphasis, code, links, table cells).
_MARKUP = re.compile(r"[\\`*_~\[\]|]")
MARK = {"pass": "✅", "fail": "❌", "error": "❗"}
ANSWER = {"correct": "✅ correct", "incorrect": "❌ incorrect", "error": "❗ error"}


def render(report: Report, options: RenderOptions) -> str:
    parts: list[str] = []
    for spec in report.specs:
        parts.extend(_spec(spec))
    parts.append(f"**{summary_line(report)}**")
    return "\n".join(parts) + "\n"


def _spec(spec: Result) -> list[str]:
    heading = f"### {MARK[spec.verdict]} {_inline(spec.name)}"
    checked = ""
    if isinstance(spec, SpecResult) and spec.subject != "network":
        checked = f" · {spec.subject}: {_inline(spec.loss)} · {_inline(spec.reduction)}"
    lines = [heading, "", f"`{_code(spec.path)}` · seed {spec.seed}{checked}", ""]
    if spec.error is not None:
        return [*lines, f"> ❗ **error:** {_inline(spec.error)}", ""]
    if isinstance(spec, SheetResult):
        return lines + _sheet(spec)
    return lines + _network(spec)


def _network(spec: SpecResult) -> list[str]:
    rows = [[t.name, "×".join(map(str, t.shape)) or "scalar", t.owner,
             f"{max((p.worst_ratio for p in t.pairs), default=0.0):.2g}", _verdict(t.verdict)]
            for t in spec.tensors]
    owner = "layer" if spec.subject == "network" else "of"
    lines = _table(["tensor", "shape", owner, "err/tol", "verdict"], rows) if rows else []
    reasons = [f"- ❌ **{_inline(t.name)}**: {_inline(tensor_message(t))}"
               for t in spec.tensors if t.verdict != "pass"]
    if spec.forward is not None and not spec.forward.passed:
        reasons.append(f"- ❌ **forward**: J differs between SymPy and NumPy "
                       f"(|Δ| {spec.forward.abs_error:.1e} > {spec.forward.tolerance:.1e})")
    if spec.claims:
        claims = [[q.name, _answer(q), q.diagnosis.kind if q.diagnosis else "", _verdict(q.outcome)]
                  for q in spec.claims]
        lines += ["", "claimed gradients (per example):", "",
                  *_table(["claim", "judged", "diagnosis", "verdict"], claims)]
        reasons += _question_reasons(spec.claims)
    return [*lines, "", *reasons, *([""] if reasons else [])]


def _sheet(sheet: SheetResult) -> list[str]:
    rows = []
    for i, q in enumerate(sheet.questions, 1):
        points = "" if q.points is None else f"{q.awarded or 0:g}/{q.points:g}"
        rows.append([str(i), q.name, q.wrt, q.layout, _answer(q),
                     q.diagnosis.kind if q.diagnosis else "", points, _verdict(q.outcome)])
    lines = _table(["#", "question", "∂f/∂", "layout", "judged", "diagnosis", "points", "verdict"], rows)
    score = sheet.score
    if score is not None:
        lines += ["", f"**score: {score[0]:g} / {score[1]:g} points**"]
    reasons = _question_reasons(sheet.questions)
    return [*lines, "", *reasons, *([""] if reasons else [])]


def _question_reasons(questions: tuple[QuestionResult, ...]) -> list[str]:
    return [f"- {MARK[q.outcome]} **{_inline(q.name)}**: {_inline(question_message(q))}"
            for q in questions if q.outcome != "pass"]


def _answer(q: QuestionResult) -> str:
    return ANSWER[q.verdict]


def _verdict(verdict: str) -> str:
    return f"{MARK[verdict]} {verdict}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = [_row(header), _row(["---"] * len(header))]
    return lines + [_row(row) for row in rows]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _cell(text: str) -> str:
    """One table cell: line breaks as ``<br>``, so the row stays one row."""
    return _escape(text).replace("\n", "<br>")


def _inline(text: str) -> str:
    """Running text on one line."""
    return _escape(text).replace("\n", " ")


def _escape(text: str) -> str:
    """Text that Markdown (and the HTML GitHub allows in it) shows as written; ``|`` never
    ends a table cell."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "")
    return _MARKUP.sub(lambda m: "\\" + m.group(), text)


def _code(text: str) -> str:
    return text.replace("`", "'")
