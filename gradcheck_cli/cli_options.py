"""The `gradcheck` command line's argument and option types (typer ``Annotated`` aliases), shared
by the commands in ``cli``.

Choices come from their registries, all light to import (reporters, layouts, schema kinds, and
``choices`` for modes and schemes), so `gradcheck --version` loads no NumPy. The help never
offers what a command refuses. Every option that takes a value names it (``N``, ``FILE``), and a
flag shows none.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperArgument

from gradcheck_cli.choices import LAYOUTS, MODES, USER_SCHEMES
from gradcheck_cli.report import REPORTERS
from gradcheck_cli.schema import KINDS

Layout = Enum("Layout", {name: name for name in LAYOUTS}, type=str)  # type: ignore[misc]
Format = Enum("Format", {name: name for name in REPORTERS}, type=str)  # type: ignore[misc]
SCHEMES = USER_SCHEMES  # user code's (the first is the default)
SchemaKind = Enum("SchemaKind", {name: name for name in KINDS}, type=str)  # type: ignore[misc]

PathsArg = Annotated[list[Path], typer.Argument(
    help="Spec files, or directories (searched recursively for *.yaml and *.yml).", metavar="PATH")]
SpecArg = Annotated[Path, typer.Argument(help="A network spec file.", metavar="SPEC")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Report format.")]
#: `steps` draws a curve: it has no verdict to report as JUnit, so junit is not offered (and is
#: refused with a sentence saying why).
StepsFormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="console: a plot; json: the data; markdown: a table.",
                         metavar=f"<{'|'.join(name for name in REPORTERS if name != 'junit')}>"),
]
OutputOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--output", "-o", help="Write the report to FILE instead of stdout.", metavar="FILE"),
]
SeedOpt = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--seed", help="Override every spec's seed.", min=0, metavar="N"),
]
PointsSeedOpt = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--seed", help="Seed of the random points where the claim is compared (default 0).", min=0,
                 metavar="N"),
]
Mode = Enum("Mode", {name: name for name in MODES}, type=str)  # type: ignore[misc]
ModeOpt = Annotated[
    Optional[Mode],  # noqa: UP045
    typer.Option("--mode", help="full: a stencil per entry; directional: random directions, then bisection "
                                "to the wrong entry; auto (default): directional for very large problems."),
]
FuncModeOpt = Annotated[
    Optional[Mode],  # noqa: UP045
    typer.Option("--mode", help="full: a stencil per entry, every entry proved; directional: random "
                                "directions per input, then bisection to a wrong entry; auto (default): "
                                "full up to 2,000 entries, directional above."),
]
AvoidKinksOpt = Annotated[
    Optional[bool],  # noqa: UP045
    typer.Option("--avoid-kinks/--at-kinks",
                 help="Move the check point off kinks (relu at 0, …) before checking. Default: the "
                      "spec's check.avoid_kinks (off: entries at a kink are judged by one-sided "
                      "differences)."),
]
ShowAnswerOpt = Annotated[
    bool, typer.Option("--show-answer", help="Claims: also print the right answer (for instructors).")
]
ColorOpt = Annotated[
    Optional[bool],  # noqa: UP045
    typer.Option(
        "--color/--no-color",
        help="Force colour on or off (default: on for a terminal, off with NO_COLOR).",
    ),
]

LayoutOpt = Annotated[
    Layout, typer.Option("--layout", help="gradient: the shape of the variable; jacobian: rows = outputs.")
]
#: A name checked by the library, which suggests the closest for a misspelling.
SchemeOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--scheme", help=f"The finite-difference scheme (default {SCHEMES[0]}); complex only "
                                  "for complex-safe code.", metavar=f"<{'|'.join(SCHEMES)}>"),
]
ListOpt = Optional[list[str]]  # noqa: UP045
OptionalText = Optional[str]  # noqa: UP045
OptionalPath = Optional[Path]  # noqa: UP045
RefOpt = Optional[str]  # noqa: UP045
BudgetOpt = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option("--budget", help="Seconds one question or network-spec claim may take in all "
                                  "(default 60).", min=0.001, metavar="SECONDS"),
]
FileBudgetOpt = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option("--file-budget", help="Seconds one spec file may take in all (default 120).", min=0.001,
                 metavar="SECONDS"),
]
RunBudgetOpt = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option("--run-budget", help="Seconds the whole run may take (default: no limit); files "
                                      "after it are errors.", min=0.001, metavar="SECONDS"),
]
TrustLimitsOpt = Annotated[
    bool,
    typer.Option("--trust-limits", help="Let a file's `limits:` section loosen the budgets and turn off "
                                        "isolation (tightening them needs no flag); for files you wrote."),
]
#: ``gradcheck_cli.grade.report.FORMATS`` (held equal by a test: the reporters import SymPy).
GRADE_FORMATS = ("console", "csv", "json", "gradescope", "markdown")
GradeFormat = Enum("GradeFormat", {name: name for name in GRADE_FORMATS}, type=str)  # type: ignore[misc]
GradeFormatOpt = Annotated[GradeFormat, typer.Option(
    "--format", "-f", help="console: the gradebook and class summary (one submission: its feedback); csv: "
    "the gradebook for an LMS; json: everything; gradescope: results.json of one submission; markdown.")]
JobsOpt = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--jobs", "-j", help="Worker processes judging answers (default: the number of cores).",
                 min=1, metavar="N"),
]
GradeBudgetOpt = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option("--budget", help="Seconds one answer may take to judge (default 20); an answer over it "
                                  "scores 0, with the reason in its feedback.", min=0.001, metavar="SECONDS"),
]
FeedbackDirOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--feedback-dir", help="Write each student's feedback to DIR/<student>.md.", metavar="DIR",
                 file_okay=False),
]
FailUnderOpt = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option("--fail-under", help="Exit 1 when a submission scores below PERCENT of the points (for CI).",
                 min=0, max=100, metavar="PERCENT"),
]
IsolateOpt = Annotated[
    Optional[bool],  # noqa: UP045
    typer.Option("--isolate/--no-isolate",
                 help="Judge claim-sheet questions in worker processes with memory and CPU limits "
                      "(default: on); --no-isolate judges them in this process, for trusted sheets."),
]


class Command(typer.core.TyperCommand):
    """A command whose help names each argument by its metavar (``PATH...``), without the Python
    type typer would print beside it (``<list[Path]>``); options show their own metavars."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        return pieces + [_argument_name(p) for p in self.get_params(ctx) if isinstance(p, TyperArgument)]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                arguments.append((_argument_name(param).strip("[]"), record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class FormulaCommand(Command):
    """A command whose argument is a formula, which may start with a minus (``-y.T @ log(p)``).
    Click would read such a word as options (``-y``; ``-h`` inside ``-tanh(z)`` would even show
    the help), so each word that starts with ``-`` and is none of the command's options, nor an
    option's value, is passed after ``--``, where click takes it as an argument."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, formulas_last(self.get_params(ctx), args))


def formulas_last(params: list[Any], args: list[str]) -> list[str]:
    """``args`` with every word that starts with ``-`` but is not an option moved after ``--``."""
    options = [param for param in params if param.param_type_name == "option"]
    names = {name for option in options for name in (*option.opts, *option.secondary_opts)}
    valued = {name for option in options if not option.is_flag and not option.count for name in option.opts}
    kept: list[str] = []
    moved: list[str] = []
    expecting = False
    for position, word in enumerate(args):
        if word == "--" and not expecting:
            return [*kept, "--", *moved, *args[position + 1 :]]
        is_option = word.split("=", 1)[0] in names or (word[:2] in valued and word[2:].isidentifier())
        if not expecting and word.startswith("-") and len(word) > 1 and not is_option:
            moved.append(word)
            continue
        kept.append(word)
        expecting = not expecting and word in valued
    return [*kept, "--", *moved] if moved else kept


def _argument_name(param: TyperArgument) -> str:
    name = param.metavar or (param.name or "").upper()
    name = name if param.nargs == 1 else f"{name}..."
    return name if param.required else f"[{name}]"
