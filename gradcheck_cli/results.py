"""The result tree: plain frozen data that reporters render and nothing else computes on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from gradcheck_cli.errors import printable

Verdict = Literal["pass", "fail", "error"]
#: What a SpecResult checked: a network spec, or the user's own gradient code (the gradient of a
#: function, a function's VJP, a layer's backward).
Subject = Literal["network", "function", "vjp", "layer"]


@dataclass(frozen=True)
class Entry:
    """One entry of a tensor: its index, each source's value, and how far off it is."""

    index: tuple[int, ...]
    values: dict[str, float]
    abs_error: float
    rel_error: float
    tolerance: float


@dataclass(frozen=True)
class Pair:
    """Two sources compared over a whole tensor."""

    first: str
    second: str
    max_abs: float
    max_rel: float
    #: the largest error divided by its tolerance: ≤ 1 passes
    worst_ratio: float
    failing: int
    tolerance_source: str

    @property
    def passed(self) -> bool:
        return self.failing == 0


@dataclass(frozen=True)
class TensorResult:
    """Everything known about ∂J/∂(one tensor): of a network spec, by its engines; of user code's
    input, the user's gradient against finite differences (``result.inputs[name]``)."""

    name: str
    shape: tuple[int, ...]
    owner: str
    verdict: Verdict
    pairs: tuple[Pair, ...]
    odd_one_out: str | None = None
    explanation: str | None = None
    worst: tuple[Entry, ...] = ()
    #: per-entry error / tolerance of the failing pair, for small tensors (row-major)
    grid: tuple[tuple[float, ...], ...] = ()
    #: entries whose finite-difference stencil straddled a kink (judged as subgradients)
    kinks: int = 0
    #: a caution on a pass: what the check could not resolve at this point, or None
    caution: str | None = None
    #: user code, full mode: the smallest error the check resolves, relative to the gradient's
    #: largest entry (its widest tolerance over that entry; the caution's figure); else None
    resolution: float | None = None
    #: on a failure, the kind of error (``sign``, ``factor``, ``transpose``, ``shape``,
    #: ``missing-term``, ``partial``, ``other``), when one was recognised
    diagnosis: str | None = None
    #: user code's VJPs and layers: the probe (cotangent) the worst entries and the diagnosis
    #: come from; empty for the gradient of a scalar function and for a network
    probe: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    @property
    def max_abs(self) -> float:
        """The largest |difference| of any pair compared."""
        return max((p.max_abs for p in self.pairs), default=0.0)

    @property
    def max_rel(self) -> float:
        """The largest relative difference of any pair compared."""
        return max((p.max_rel for p in self.pairs), default=0.0)

    @property
    def worst_ratio(self) -> float:
        """The largest difference over its tolerance, of any pair compared (≤ 1 passes)."""
        return max((p.worst_ratio for p in self.pairs), default=0.0)

    @property
    def failing(self) -> int:
        """Entries over tolerance in the pair with the most (each entry counted once, however
        many probes it fails under)."""
        return max((p.failing for p in self.pairs), default=0)

    @property
    def tolerance(self) -> str:
        """Where the tolerance of the pair that decided comes from, in words."""
        worst = max(self.pairs, key=lambda p: p.worst_ratio, default=None)
        return worst.tolerance_source if worst is not None else ""


@dataclass(frozen=True)
class ForwardCheck:
    """J and the network output as the SymPy math and the NumPy forward compute them."""

    symbolic: float
    numpy: float
    abs_error: float
    tolerance: float
    output: tuple[float, ...]

    @property
    def passed(self) -> bool:
        return self.abs_error <= self.tolerance


@dataclass(frozen=True)
class LayerInfo:
    index: int
    op: str
    n_in: int
    n_out: int
    params: dict[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class DirectionalCheck:
    """An analytic source against directional finite differences along random directions."""

    source: str
    directions: int
    worst_ratio: float
    passed: bool
    #: where bisection ended when it failed: tensor, index, the source's value, the numeric one
    tensor: str | None = None
    index: tuple[int, ...] = ()
    analytic: float | None = None
    numeric: float | None = None
    #: how many of the directions crossed a kink (split until their parts did not; the single
    #: entries that still did are counted with their tensor's ``kinks``)
    kinks: int = 0


#: What a directional pass shows, printed with every directional report.
DIRECTIONAL_NOTE = (
    "directional check: uᵀ∇J agreed with the finite difference along random directions u; "
    "this catches any single wrong entry above the directional tolerance and localises it by "
    "bisection, but does not prove every entry individually (errors that cancel along every tried "
    "direction, or smaller than the tolerance, which grows with the number of entries, can pass) — "
    "use --mode full for an entry-by-entry proof"
)


class NotebookDisplay:
    """Display in Jupyter and IPython: HTML (as rich renders for Jupyter), Markdown and plain
    text, compact for a pass, the worst entries and the diagnosis for a failure. The renderers
    live in ``report.notebook``, imported only when a result is displayed."""

    def as_report(self) -> Report:
        """This result as a report of its own: what every reporter renders."""
        return self if isinstance(self, Report) else Report((self,))  # type: ignore[arg-type]

    def _repr_html_(self) -> str:
        from gradcheck_cli.report import notebook

        return notebook.html(self.as_report())

    def _repr_markdown_(self) -> str:
        from gradcheck_cli.report import notebook

        return notebook.markdown(self.as_report())

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """All three at once, so that IPython stores and prints the report as plain text rather
        than the dataclass's field-by-field repr."""
        from gradcheck_cli.report import notebook

        report = self.as_report()
        return {"text/html": notebook.html(report), "text/markdown": notebook.markdown(report),
                "text/plain": notebook.plain(report)}


@dataclass(frozen=True)
class SpecResult(NotebookDisplay):
    """The check of one subject: a network spec file, or the user's gradient code.

    For user code (``subject`` other than ``network``) ``loss`` says what was differentiated
    (``f(W) → scalar``), ``reduction`` the float precision it was judged in, and there are no
    layers, forward check, claims or directional evidence.
    """

    name: str
    path: str
    seed: int
    batch: int
    loss: str
    reduction: str
    layers: tuple[LayerInfo, ...]
    forward: ForwardCheck | None
    tensors: tuple[TensorResult, ...]
    error: str | None = None
    #: hand-derived gradients written in the spec, judged against the engines
    claims: tuple[QuestionResult, ...] = ()
    #: ``full`` or ``directional``; a directional run lists what each analytic source showed
    mode: str = "full"
    directional: tuple[DirectionalCheck, ...] = ()
    #: how the check point was moved off kinks (``check.avoid_kinks``), or None when it was not
    moved: str | None = None
    #: for maintainers: the traceback of an unexpected exception that made this an ``error``
    details: str | None = None
    subject: Subject = "network"

    @property
    def verdict(self) -> Verdict:
        if self.error is not None:
            return "error"
        ok = all(t.verdict == "pass" for t in self.tensors) and all(c.outcome == "pass" for c in self.claims)
        return "pass" if ok and (self.forward is None or self.forward.passed) else "fail"

    def counts(self) -> dict[Verdict, int]:
        """Checks by verdict: one per tensor, one for a failed forward, one for a load error."""
        tally: dict[Verdict, int] = {"pass": 0, "fail": 0, "error": 0}
        if self.error is not None:
            tally["error"] = 1
            return tally
        for t in self.tensors:
            tally[t.verdict] += 1
        tally["fail"] += int(self.forward is not None and not self.forward.passed)
        for claim in self.claims:
            tally[claim.outcome] += 1
        return tally


@dataclass(frozen=True)
class Diagnosis:
    """How a claim is wrong. ``kind`` is a stable identifier (see the README)."""

    kind: str
    message: str
    details: dict[str, str | float | list[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class QuestionResult:
    """One claimed derivative judged against the derived truth."""

    name: str
    verdict: Literal["correct", "incorrect", "error"]
    f: str
    wrt: str
    layout: str
    claimed: str | None
    expected_shape: tuple[int, int] | None
    claimed_shape: tuple[int, int] | None
    #: what decided: "symbolic" (SymPy proved it) or "numeric" (random points), with a reason
    evidence: str
    diagnosis: Diagnosis | None = None
    residual: str | None = None
    points: float | None = None
    awarded: float | None = None
    answer: str | None = None
    error: str | None = None
    #: the answer key's expectation, when the sheet gives one
    expect: str | None = None
    expect_diagnosis: str | None = None
    #: for maintainers: the traceback of an unexpected exception that made this an ``error``
    details: str | None = None

    @property
    def outcome(self) -> Verdict:
        """pass / fail / error for the summary: a correct claim passes — or, when the sheet
        states an expectation, a verdict (and diagnosis) that matches it."""
        if self.verdict == "error":
            return "error"
        if self.expect is None:
            return "pass" if self.verdict == "correct" else "fail"
        kind = self.diagnosis.kind if self.diagnosis else None
        matches = self.verdict == self.expect and self.expect_diagnosis in (None, kind)
        return "pass" if matches else "fail"


@dataclass(frozen=True)
class SheetResult(NotebookDisplay):
    """A claim file (a homework sheet): every question judged, and the score."""

    name: str
    path: str
    seed: int
    questions: tuple[QuestionResult, ...]
    error: str | None = None
    #: for maintainers: the traceback of an unexpected exception that made this an ``error``
    details: str | None = None

    @property
    def verdict(self) -> Verdict:
        if self.error is not None or any(q.outcome == "error" for q in self.questions):
            return "error"
        return "pass" if all(q.outcome == "pass" for q in self.questions) else "fail"

    @property
    def score(self) -> tuple[float, float] | None:
        """(points awarded, points possible), or None when no question carries points."""
        if all(q.points is None for q in self.questions):
            return None
        return (sum(q.awarded or 0.0 for q in self.questions), sum(q.points or 0.0 for q in self.questions))

    def counts(self) -> dict[Verdict, int]:
        tally: dict[Verdict, int] = {"pass": 0, "fail": 0, "error": int(self.error is not None)}
        for q in self.questions:
            tally[q.outcome] += 1
        return tally


Result = SpecResult | SheetResult


@dataclass(frozen=True)
class Report(NotebookDisplay):
    """A run over one or more spec files of any kind."""

    specs: tuple[Result, ...]

    def count(self, verdict: Verdict) -> int:
        return sum(s.counts()[verdict] for s in self.specs)

    def errors(self) -> list[str]:
        """Every input problem in the run, one sentence each (each problem of a spec that did not
        load, a question or claim that could not be judged)."""
        found: list[str] = []
        for spec in self.specs:
            if spec.error is not None:
                found.append(spec.error)
            if isinstance(spec, SpecResult):
                found.extend(f"{spec.path}: ∂J/∂{t.name}: {t.explanation}" for t in spec.tensors
                             if t.verdict == "error")
            questions = spec.questions if isinstance(spec, SheetResult) else spec.claims
            for q in questions:
                if q.error is not None:
                    where = "" if q.error.startswith(spec.path) else f"{spec.path}: {q.name}: "
                    found.append(where + q.error)
        return [printable(line) for entry in found for line in entry.splitlines()]

    @property
    def passed(self) -> bool:
        return all(s.verdict == "pass" for s in self.specs)
