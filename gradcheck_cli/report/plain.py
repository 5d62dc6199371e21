"""Plain text of one check, for places without a terminal: JUnit bodies and pytest failures.

Each check has a one-line ``message`` (why it did not pass) and a ``detail`` (the evidence:
pairs of sources, the worst entries, the diagnosis). Both only read the result tree.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradcheck_cli.results import ForwardCheck, QuestionResult, Result, SheetResult, TensorResult, Verdict


def tensor_message(t: TensorResult) -> str:
    return t.explanation or f"∂J/∂{t.name}: {t.verdict}"


def tensor_detail(t: TensorResult) -> str:
    shape = "×".join(map(str, t.shape)) or "scalar"
    lines = [f"∂J/∂{t.name} ({shape}, {t.owner}): {t.verdict}"]
    if t.explanation:
        lines.append(t.explanation)
    for p in t.pairs:
        over = f"{p.failing} entries over tolerance" if p.failing else "within tolerance"
        lines.append(f"  {p.first} vs {p.second}: max |Δ| {p.max_abs:.1e}, worst error/tol "
                     f"{p.worst_ratio:.3g}, {over} ({p.tolerance_source})")
    if t.worst:
        lines.extend(["", f"worst entries of ∂J/∂{t.name}:", *_worst_table(t)])
    return "\n".join(lines)


def _worst_table(t: TensorResult) -> list[str]:
    sources = list(t.worst[0].values)
    rows = [["index", *sources, "|err|", "rel", "tol"]]
    for e in t.worst:
        rows.append([str(list(e.index)), *(f"{e.values[s]:.6g}" for s in sources),
                     f"{e.abs_error:.1e}", f"{e.rel_error:.1e}", f"{e.tolerance:.1e}"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]


def forward_message(f: ForwardCheck) -> str:
    return f"the SymPy forward and the NumPy forward differ: |Δ J| {f.abs_error:.1e} > tol {f.tolerance:.1e}"


def forward_detail(f: ForwardCheck) -> str:
    return f"J (symbolic) = {f.symbolic:.17g}\nJ (numpy)    = {f.numpy:.17g}\n{forward_message(f)}"


def question_message(q: QuestionResult) -> str:
    """Why the question did not pass: the error, the diagnosis, or the answer key's mismatch."""
    if q.verdict == "error":
        return q.error or "the question could not be judged"
    judged = q.verdict + (f" ({q.diagnosis.kind})" if q.diagnosis else "")
    if q.expect is not None and q.outcome == "fail":
        expected = q.expect + (f" ({q.expect_diagnosis})" if q.expect_diagnosis else "")
        return f"expected {expected}, judged {judged}"
    if q.diagnosis is not None:
        return q.diagnosis.message
    return judged


def question_detail(q: QuestionResult) -> str:
    lines = [f"{q.name}: ∂f/∂{q.wrt} ({q.layout} layout) of f = {q.f}"]
    if q.claimed is not None:
        lines.append(f"claimed: {q.claimed}")
    lines.append(f"verdict: {q.verdict}")
    if q.verdict == "error":
        lines.append(q.error or "")
    else:
        if q.diagnosis is not None:
            lines.append(f"diagnosis ({q.diagnosis.kind}): {q.diagnosis.message}")
        if q.residual is not None:
            lines.append(f"claim − truth = {q.residual}")
        lines.append(f"evidence: {q.evidence}")
    if q.expect is not None:
        expected = q.expect + (f" ({q.expect_diagnosis})" if q.expect_diagnosis else "")
        lines.append(f"answer key: {expected}; {'as expected' if q.outcome == 'pass' else 'NOT as expected'}")
    if q.answer is not None:
        lines.append(f"answer: {q.answer}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Check:
    """One check of a spec as a test runner sees it.

    ``key`` identifies it within its spec: ``("tensor", name)``, ``("forward",)``,
    ``("claim", wrt)``, ``("question", index)`` or ``("load",)``; ``kind`` is a short type
    for the failure (JUnit's ``type``).
    """

    key: tuple[str | int, ...]
    name: str
    outcome: Verdict
    kind: str = ""
    message: str = ""
    detail: str = ""


def checks(spec: Result) -> list[Check]:
    """The checks of one spec, in report order: one per tensor, a failed forward, one per claim
    or question; a spec that did not load is one ``error`` check. Counts match ``spec.counts()``."""
    if spec.error is not None:
        return [Check(("load",), "load spec", "error", "spec error", spec.error, spec.error)]
    if isinstance(spec, SheetResult):
        return [_question(("question", i), q) for i, q in enumerate(spec.questions)]
    found = [_tensor(t) for t in spec.tensors]
    if spec.forward is not None and not spec.forward.passed:
        f = spec.forward
        found.append(Check(("forward",), "forward", "fail", "forward mismatch", forward_message(f),
                           forward_detail(f)))
    return found + [_question(("claim", q.wrt), q) for q in spec.claims]


def _tensor(t: TensorResult) -> Check:
    if t.verdict == "pass":
        return Check(("tensor", t.name), t.name, "pass")
    kind = f"{t.odd_one_out} is the odd one out" if t.odd_one_out else "gradient mismatch"
    return Check(("tensor", t.name), t.name, t.verdict, kind, tensor_message(t), tensor_detail(t))


def _question(key: tuple[str | int, ...], q: QuestionResult) -> Check:
    if q.outcome == "pass":
        return Check(key, q.name, "pass")
    if q.verdict == "error":
        kind = "question error"
    elif q.expect is not None:
        kind = "unexpected verdict"
    else:
        kind = q.diagnosis.kind if q.diagnosis else "incorrect"
    return Check(key, q.name, q.outcome, kind, question_message(q), question_detail(q))
