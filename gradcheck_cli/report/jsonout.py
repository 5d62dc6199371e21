"""The JSON report: one versioned document whose shape never depends on verbosity."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from gradcheck_cli import __version__
from gradcheck_cli.report.options import RenderOptions
from gradcheck_cli.results import QuestionResult, Report, SheetResult, SpecResult

#: Bump on any change a consumer could notice; documented in the README (2: user code is its own
#: subject, kind function/vjp/layer, without the network's fields).
SCHEMA_VERSION = 2

#: The fields a check of user code has, beside its tensors; a network's batch, loss, reduction,
#: layers, forward, claims and directional evidence do not apply to it.
CODE_FIELDS = ("name", "path", "seed", "error", "details")


def document(report: Report) -> dict[str, Any]:
    """The report as plain JSON-ready data."""
    specs = [_sheet(s) if isinstance(s, SheetResult) else _network(s) if s.subject == "network" else _code(s)
             for s in report.specs]
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "gradcheck", "version": __version__},
        "summary": {
            "passed": report.count("pass"),
            "failed": report.count("fail"),
            "errors": report.count("error"),
            "ok": report.passed,
        },
        "specs": specs,
    }


def _network(spec: SpecResult) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": "network", **_clean(dataclasses.asdict(spec))}
    data["verdict"] = spec.verdict
    if spec.forward is not None:
        data["forward"]["passed"] = spec.forward.passed
    del data["subject"]
    for tensor in data["tensors"]:
        del tensor["probe"]  # user code's: the cotangent its worst entries come from
    _pair_verdicts(spec, data)
    return data


def _code(spec: SpecResult) -> dict[str, Any]:
    """A check of the user's gradient code: what was differentiated, in which precision, and the
    verdict per input."""
    raw = _clean(dataclasses.asdict(spec))
    data: dict[str, Any] = {"kind": spec.subject, **{k: raw[k] for k in CODE_FIELDS},
                            "checks": spec.loss, "precision": spec.reduction, "tensors": raw["tensors"]}
    for tensor in data["tensors"]:
        del tensor["kinks"]  # a network's count of stencils across a kink: user code shrinks its own
    data["verdict"] = spec.verdict
    _pair_verdicts(spec, data)
    return data


def _pair_verdicts(spec: SpecResult, data: dict[str, Any]) -> None:
    for tensor, raw in zip(spec.tensors, data["tensors"], strict=True):
        for pair, raw_pair in zip(tensor.pairs, raw["pairs"], strict=True):
            raw_pair["passed"] = pair.passed


def _sheet(sheet: SheetResult) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": "sheet", **_clean(dataclasses.asdict(sheet))}
    data["verdict"] = sheet.verdict
    score = sheet.score
    data["score"] = None if score is None else _clean({"awarded": score[0], "possible": score[1]})
    for q, raw in zip(sheet.questions, data["questions"], strict=True):
        raw["outcome"] = q.outcome
    return data


def question(result: QuestionResult) -> dict[str, Any]:
    """One question as the JSON object the sheets and the one-liner share."""
    data: dict[str, Any] = _clean(dataclasses.asdict(result))
    data["outcome"] = result.outcome
    return {"schema_version": SCHEMA_VERSION, "kind": "question", **data}


def render(report: Report, options: RenderOptions) -> str:
    return dumps(document(report))


def dumps(data: Any) -> str:
    """``data`` as strict JSON text (RFC 8259 has no NaN or Infinity: a non-finite float is the
    string ``"inf"``/``"nan"``), indented, ending in a newline, ASCII only (so names from the
    input cannot carry escape or bidi characters to a terminal that shows it)."""
    return json.dumps(_clean(data), indent=2, allow_nan=False) + "\n"


def _clean(value: Any) -> Any:
    """Tuples → lists, dict keys → strings, non-finite floats → strings ("inf", "nan")."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
