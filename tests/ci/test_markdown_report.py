"""The Markdown reporter: tables a job summary renders, ✅/❌ verdicts, escaped cells."""

from __future__ import annotations

import re

from ci_reports import EXPLANATION, SIGN, question, sheet

from gradcheck_cli.report import REPORTERS, RenderOptions
from gradcheck_cli.results import Report

#: An unescaped cell separator: a `|` not preceded by a backslash.
SEPARATOR = re.compile(r"(?<!\\)\|")


def render(report: Report) -> str:
    return REPORTERS["markdown"](report, RenderOptions())


def tables(text: str) -> list[list[str]]:
    """Blocks of consecutive lines that start with `|`."""
    found: list[list[str]] = []
    previous = False
    for line in text.splitlines():
        row = line.startswith("|")
        if row and not previous:
            found.append([])
        if row:
            found[-1].append(line)
        previous = row
    return found


def columns(row: str) -> int:
    return len(SEPARATOR.findall(row)) - 1


def test_every_table_has_a_header_a_separator_row_and_rows_of_equal_width(mixed_report):
    found = tables(render(mixed_report))
    assert len(found) == 3
    for table in found:
        header, separator, *rows = table
        assert re.fullmatch(r"\|( --- \|)+", separator)
        assert rows
        assert {columns(row) for row in table} == {columns(header)}


def test_the_tensor_table_marks_each_verdict(mixed_report):
    tensors = tables(render(mixed_report))[0]
    assert tensors[0].split("|")[1].strip() == "tensor"
    w0, b0 = tensors[2:]
    assert w0.startswith("| W0 |") and w0.endswith("| ❌ fail |")
    assert b0.startswith("| b0 |") and b0.endswith("| ✅ pass |")


def test_each_spec_has_a_heading_with_its_verdict(mixed_report):
    headings = [line for line in render(mixed_report).splitlines() if line.startswith("### ")]
    assert headings == ["### ❌ hand-built \\| net", "### ❌ answers", "### ❗ broken"]


def test_failures_are_explained_below_the_tables(mixed_report):
    text = render(mixed_report)
    assert f"- ❌ **W0**: {EXPLANATION}" in text
    assert f"- ❌ **sign dropped**: {SIGN}" in text


def test_a_sheet_shows_its_score(mixed_report):
    assert "**score: 1 / 3 points**" in render(mixed_report)


def test_a_spec_error_is_shown_and_the_last_line_is_the_summary(mixed_report):
    lines = render(mixed_report).splitlines()
    assert any(line.startswith("> ❗ **error:**") and "unknown op \\`tahn\\`" in line for line in lines)
    assert lines[-1] == "**3 passed, 3 failed, 1 error**"


def test_a_pipe_in_a_cell_is_escaped_and_keeps_the_row_whole():
    report = Report((sheet(question("norm |x|, claimed | wrong", correct=False)),))
    header, _, row = tables(render(report))[0]
    assert "norm \\|x\\|, claimed \\| wrong" in row
    assert columns(row) == columns(header) == 8


def test_a_passing_run_has_no_failure_lines(passing_report):
    text = render(passing_report)
    assert "❌" not in text
    assert text.splitlines()[-1] == "**2 passed, 0 failed**"
