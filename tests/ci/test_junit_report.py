"""The JUnit reporter: a structure CI servers accept, one testcase per check, failures explained."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ci_reports import EXPLANATION, SIGN, network, tensor

from gradcheck_cli.report import REPORTERS, RenderOptions
from gradcheck_cli.results import Report

#: Attributes the JUnit schema (Jenkins / Ant junit-10.xsd) requires, per element.
REQUIRED = {
    "testsuites": {"name", "tests", "failures", "errors"},
    "testsuite": {"name", "tests", "failures", "errors"},
    "testcase": {"name", "classname"},
    "failure": {"message", "type"},
    "error": {"message", "type"},
    "property": {"name", "value"},
}
#: Children each element may have.
CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"properties", "testcase"},
    "properties": {"property"},
    "testcase": {"failure", "error"},
    "failure": set(),
    "error": set(),
    "property": set(),
}


def render(report: Report) -> ET.Element:
    return ET.fromstring(REPORTERS["junit"](report, RenderOptions()))


def assert_junit(element: ET.Element) -> None:
    missing = REQUIRED.get(element.tag, set()) - set(element.attrib)
    assert not missing, f"<{element.tag}> lacks {missing}"
    for child in element:
        assert child.tag in CHILDREN[element.tag], f"<{child.tag}> inside <{element.tag}>"
        assert_junit(child)


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name", ""): case for case in root.iter("testcase")}


def test_a_failing_run_is_junit_xml_with_every_required_element_and_attribute(mixed_report):
    root = render(mixed_report)
    assert root.tag == "testsuites"
    assert_junit(root)
    assert [suite.get("name") for suite in root] == ["hand-built | net", "answers", "broken"]


def test_the_counts_of_each_suite_add_up_to_its_testcases(mixed_report):
    root = render(mixed_report)
    for suite in root.iter("testsuite"):
        found = suite.findall("testcase")
        assert int(suite.get("tests", "")) == len(found)
        assert int(suite.get("failures", "")) == sum(c.find("failure") is not None for c in found)
        assert int(suite.get("errors", "")) == sum(c.find("error") is not None for c in found)


def test_the_totals_match_the_summary_line(mixed_report):
    root = render(mixed_report)
    tests, failures, errors = (int(root.get(key, "")) for key in ("tests", "failures", "errors"))
    assert (tests - failures - errors, failures, errors) == (3, 3, 1)


def test_the_failing_tensor_is_named_and_its_failure_explains_it(mixed_report):
    failure = cases(render(mixed_report))["W0"].find("failure")
    assert failure is not None
    assert failure.get("message") == EXPLANATION
    assert failure.get("type") == "backprop is the odd one out"
    body = failure.text or ""
    assert "worst entries of ∂J/∂W0" in body
    (row,) = [line for line in body.splitlines() if "[1, 0]" in line]
    assert row.split()[2:4] == ["0.3125", "0.625"]


def test_a_passing_tensor_is_a_testcase_without_failure(mixed_report):
    case = cases(render(mixed_report))["b0"]
    assert list(case) == []
    assert case.get("classname") == "specs.hand-built"


def test_a_wrong_claim_in_a_network_spec_fails_with_its_diagnosis(mixed_report):
    failure = cases(render(mixed_report))["∂J/∂x (claimed per example)"].find("failure")
    assert failure is not None
    assert (failure.get("message"), failure.get("type")) == (SIGN, "sign")


def test_a_wrong_sheet_answer_fails_and_a_keyed_one_passes(mixed_report):
    found = cases(render(mixed_report))
    assert found["sign dropped"].find("failure") is not None
    assert found["sign dropped, keyed"].find("failure") is None
    assert found["least squares"].find("failure") is None


def test_a_spec_that_does_not_load_is_one_error(mixed_report):
    suite = render(mixed_report).findall("testsuite")[2]
    (case,) = suite.findall("testcase")
    error = case.find("error")
    assert error is not None
    assert "unknown op `tahn`" in error.get("message", "")


def test_the_seed_and_the_score_are_properties(mixed_report):
    net, answers, _ = render(mixed_report).findall("testsuite")
    assert {p.get("name"): p.get("value") for p in net.iter("property")}["seed"] == "7"
    properties = {p.get("name"): p.get("value") for p in answers.iter("property")}
    assert (properties["seed"], properties["score"], properties["kind"]) == ("3", "1/3", "sheet")


def test_a_failed_forward_is_its_own_failing_testcase():
    root = render(Report((network(tensor("W0"), forward_ok=False),)))
    failure = cases(root)["forward"].find("failure")
    assert failure is not None
    assert "differ" in failure.get("message", "")


def test_characters_xml_cannot_carry_are_escaped_not_written_raw():
    spec = network(tensor("W0"))
    bad = Report((type(spec)(**{**spec.__dict__, "name": "bell\x07 spec"}),))
    root = render(bad)
    assert root.find("testsuite").get("name") == "bell\\x07 spec"  # type: ignore[union-attr]
