"""Results display in Jupyter: compact HTML for a pass, the worst entries and the diagnosis for a
failure, through rich's Jupyter format; the example notebook runs and shows both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbclient
import nbformat
import numpy as np
import pytest
from rich.jupyter import JUPYTER_HTML_FORMAT

from gradcheck_cli import check_function
from gradcheck_cli.api import check_spec
from gradcheck_cli.report import REPORTERS, RenderOptions
from gradcheck_cli.results import Report

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "notebook" / "gradient_checks.ipynb"
INPUTS = {"x": np.random.default_rng(0).standard_normal((3, 4)),
          "w": np.random.default_rng(1).standard_normal((4, 2))}


def loss(x: Any, w: Any) -> float:
    return float(((x @ w) ** 2).sum())


def grad(x: Any, w: Any) -> dict[str, Any]:
    return {"x": 2 * (x @ w) @ w.T, "w": 2 * x.T @ (x @ w)}


def grad_with_wrong_sign(x: Any, w: Any) -> dict[str, Any]:
    return {"x": 2 * (x @ w) @ w.T, "w": -2 * x.T @ (x @ w)}


def test_a_pass_is_two_lines_and_the_summary() -> None:
    shown = check_function(loss, grad, INPUTS)._repr_mimebundle_()["text/plain"]
    assert shown.splitlines()[0].startswith("✓ PASS  loss / grad")
    assert shown.splitlines()[1].startswith("checked x 3×4, w 4×2 · largest error/tolerance ")
    assert shown.splitlines()[2:] == ["2 passed, 0 failed"]
    assert "worst entries" not in shown


def test_a_failure_shows_the_diagnosis_and_the_worst_entries() -> None:
    html = check_function(loss, grad_with_wrong_sign, INPUTS)._repr_html_()
    assert "FAIL" in html
    assert "is wrong for `w`: it has the wrong sign" in html.replace("&#x27;", "'")
    assert "worst entries of ∂J/∂w" in html
    assert "✓ PASS" not in html


def test_the_html_is_a_block_in_rich_s_jupyter_format_with_inline_colours() -> None:
    html = check_function(loss, grad, INPUTS)._repr_html_()
    opening = JUPYTER_HTML_FORMAT.split("{code}")[0]
    assert html.startswith(opening)
    assert "color: #008000" in html  # the green of a pass, inline: notebooks strip stylesheets


def test_ipython_gets_the_report_as_text_not_the_dataclass_repr() -> None:
    bundle = check_function(loss, grad_with_wrong_sign, INPUTS)._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/markdown", "text/plain"}
    assert not bundle["text/plain"].startswith("Result(")
    assert bundle["text/plain"].rstrip().endswith("1 passed, 1 failed")


def test_markdown_is_the_markdown_report() -> None:
    result = check_function(loss, grad_with_wrong_sign, INPUTS)
    assert result._repr_markdown_() == REPORTERS["markdown"](Report((result.spec,)), RenderOptions())


def test_a_spec_result_and_a_report_display_the_same_way() -> None:
    spec = check_spec(ROOT / "specs" / "tanh-layer-squared-loss.yaml")
    assert spec._repr_html_() == Report((spec,))._repr_html_()
    assert "✓ PASS" in spec._repr_html_() and "checked A 2×3, b 2, x 1×3" in spec._repr_html_()


def test_a_sheet_with_a_wrong_answer_shows_its_diagnosis(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text("questions:\n  - name: quadratic form\n    variables: {x: [3], A: [3, 3]}\n"
                     "    f: x.T @ A @ x\n    wrt: x\n    claimed: -(A + A.T) @ x\n", encoding="utf-8")
    shown = check_spec(sheet)._repr_mimebundle_()["text/plain"]
    assert "quadratic form" in shown and "sign" in shown
    assert shown.rstrip().endswith("0 passed, 1 failed")


@pytest.fixture(scope="module")
def executed() -> list[str]:
    """The example notebook run top to bottom in a fresh kernel: each code cell's plain output."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    return ["".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)
            for cell in notebook.cells if cell.cell_type == "code"]


def test_the_example_notebook_shows_a_pass_and_a_failure(executed: list[str]) -> None:
    shown = [html for html in executed if html]
    assert len(shown) == 3
    first, failure, spec = shown
    assert "✓ PASS" in first and "softmax_grad" in first
    assert "FAIL" in failure and "it is 5 (X.shape[0]) times the correct value" in failure
    assert "worst entries of ∂J/∂W" in failure
    assert "✓ PASS" in spec and "single tanh layer" in spec


def test_the_example_notebook_is_kept_without_outputs() -> None:
    """Outputs are produced by running it; stored ones would carry this machine's paths."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(cell.outputs == [] for cell in notebook.cells if cell.cell_type == "code")
