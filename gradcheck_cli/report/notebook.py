"""Results in Jupyter: HTML rendered the way rich renders for Jupyter, plain text for IPython.

A spec or check that passed is shown compactly — its verdict and one line naming what was
checked and how close it came to its tolerance; one that failed (or could not run) is shown as the
console report shows it: the table, the explanation or diagnosis, the worst entries and, for a
small tensor, the grid of error/tolerance. The result objects call these from their
``_repr_html_`` / ``_repr_markdown_`` / ``_repr_mimebundle_`` hooks (``results.NotebookDisplay``).
"""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.jupyter import JUPYTER_HTML_FORMAT
from rich.text import Text

from gradcheck_cli.report import REPORTERS
from gradcheck_cli.report import console as terminal
from gradcheck_cli.report.options import RenderOptions, summary_line
from gradcheck_cli.results import Report, Result, SheetResult

#: Characters per line of a result in a notebook cell (a notebook's output is about this wide).
WIDTH = 100


def html(report: Report) -> str:
    """``report`` as a ``<pre>`` block with inline colours, as rich displays in Jupyter."""
    console = _console(color=True)
    console.print(renderable(report))
    return console.export_html(inline_styles=True, code_format=JUPYTER_HTML_FORMAT)


def plain(report: Report) -> str:
    """``report`` as plain text, compact in the same places as the HTML (IPython's terminal)."""
    console = _console(color=False)
    console.print(renderable(report))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def markdown(report: Report) -> str:
    """``report`` by the Markdown reporter, for frontends that prefer Markdown."""
    return REPORTERS["markdown"](report, RenderOptions())


def renderable(report: Report) -> RenderableType:
    """Every spec of ``report``, compact when it passed, then the summary line."""
    parts: list[RenderableType] = [_compact(s) if s.verdict == "pass" else terminal.result(s)
                                   for s in report.specs]
    return Group(*parts, Text(summary_line(report)))


def _compact(spec: Result) -> RenderableType:
    """A pass in two lines: the verdict, then what was checked and its largest error/tolerance."""
    head = Text.assemble(("✓ PASS", terminal.STYLE["pass"]), "  ", (spec.name, "bold"), "  ",
                         (f"seed {spec.seed}", "dim"))
    if isinstance(spec, SheetResult):
        score = "" if spec.score is None else f" · score {spec.score[0]:g}/{spec.score[1]:g}"
        answered = f"{len(spec.questions)} questions, every answer as keyed{score}"
        return Group(head, Text(answered, style="dim"))
    checked = ", ".join(f"{t.name} {'×'.join(map(str, t.shape)) or 'scalar'}" for t in spec.tensors)
    ratios = [p.worst_ratio for t in spec.tensors for p in t.pairs]
    worst = f" · largest error/tolerance {max(ratios):.2g}" if ratios else ""
    claims = f" · {len(spec.claims)} claims correct" if spec.claims else ""
    return Group(head, Text(f"checked {checked}{worst}{claims}", style="dim"))


def _console(*, color: bool) -> Console:
    return Console(file=io.StringIO(), record=True, width=WIDTH, force_terminal=color,
                   force_jupyter=False, color_system="truecolor" if color else None, no_color=not color,
                   highlight=False, emoji=False)
