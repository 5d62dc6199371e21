"""The JUnit XML report that GitHub Actions, GitLab and Jenkins read.

One ``<testsuite>`` per spec file (its seed a ``<property>``), one ``<testcase>`` per check:
per tensor, per claim, per question, and a failed forward. A failing check carries
``<failure message=… type=…>`` with the evidence in its body; a spec that does not load is one
testcase with an ``<error>``. Written with ``xml.etree.ElementTree``, never by concatenation.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import PurePath

from gradcheck_cli.report.options import RenderOptions
from gradcheck_cli.report.plain import Check, checks
from gradcheck_cli.results import Report, Result, SheetResult

#: Characters XML 1.0 cannot carry at all, even escaped.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(report: Report, options: RenderOptions) -> str:
    root = ET.Element("testsuites", name="gradcheck")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for spec in report.specs:
        suite = _suite(spec)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(spec: Result) -> ET.Element:
    found = checks(spec)
    suite = ET.Element("testsuite", name=_safe(spec.name), tests=str(len(found)),
                       failures=str(sum(c.outcome == "fail" for c in found)),
                       errors=str(sum(c.outcome == "error" for c in found)), skipped="0")
    properties = ET.SubElement(suite, "properties")
    facts = {"seed": str(spec.seed), "path": spec.path,
             "kind": "sheet" if isinstance(spec, SheetResult) else spec.subject}
    if isinstance(spec, SheetResult) and spec.score is not None:
        facts["score"] = f"{spec.score[0]:g}/{spec.score[1]:g}"
    for name, value in facts.items():
        ET.SubElement(properties, "property", name=name, value=_safe(value))
    classname = _classname(spec.path)
    for check in found:
        suite.append(_case(check, classname, spec.path))
    return suite


def _case(check: Check, classname: str, path: str) -> ET.Element:
    case = ET.Element("testcase", name=_safe(check.name), classname=classname, file=_safe(path))
    if check.outcome != "pass":
        tag = "failure" if check.outcome == "fail" else "error"
        outcome = ET.SubElement(case, tag, message=_safe(check.message), type=_safe(check.kind))
        outcome.text = _safe(check.detail)
    return case


def _classname(path: str) -> str:
    """Like pytest's: the spec's path without its suffix, dotted (``specs.worked-example``)."""
    pure = PurePath(path)
    return _safe(".".join(part for part in pure.with_suffix("").parts if part not in ("/", ".", "..")))


def _safe(text: str) -> str:
    return _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
