"""The `gradcheck` command: parse → build → run → render → exit. No math here."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, ParamSpec, TypeVar

import typer
from typer.exceptions import TyperException

from gradcheck_cli import __version__
from gradcheck_cli.cli_options import (
    AvoidKinksOpt,
    BudgetOpt,
    ColorOpt,
    Command,
    FailUnderOpt,
    FeedbackDirOpt,
    FileBudgetOpt,
    Format,
    FormatOpt,
    FormulaCommand,
    GradeBudgetOpt,
    GradeFormat,
    GradeFormatOpt,
    IsolateOpt,
    JobsOpt,
    Layout,
    LayoutOpt,
    ListOpt,
    ModeOpt,
    OptionalPath,
    OptionalText,
    OutputOpt,
    PathsArg,
    PointsSeedOpt,
    RefOpt,
    RunBudgetOpt,
    SchemaKind,
    SchemeOpt,
    SeedOpt,
    ShowAnswerOpt,
    SpecArg,
    StepsFormatOpt,
    TrustLimitsOpt,
)
from gradcheck_cli.errors import GradcheckError
from gradcheck_cli.report import REPORTERS, RenderOptions, writing
from gradcheck_cli.results import Report

if TYPE_CHECKING:
    from gradcheck_cli.claims.question import Question

# Commands import what they run when they run it: `gradcheck --version` and `gradcheck ops`
# load neither SymPy nor the engines.
app = typer.Typer(
    name="gradcheck",
    help="Check gradients three ways: symbolic (SymPy), backprop (NumPy), finite differences.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # Click's own help layout: paragraphs re-wrapped to the terminal, flags without a type,
    # and `-h` beside `--help`.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

P = ParamSpec("P")
R = TypeVar("R")


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """The error boundary: a ``GradcheckError`` becomes one line per problem on stderr and exit
    code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except GradcheckError as exc:
            _complain(str(exc))
            raise typer.Exit(2) from None
        except (typer.Exit, typer.Abort, TyperException):  # the command's own exit, click's usage errors
            raise
        except Exception as exc:
            from gradcheck_cli import unexpected

            _complain(unexpected.reason(exc))
            if os.environ.get("GRADCHECK_TRACEBACK"):
                sys.stderr.write(unexpected.details(exc))
            raise typer.Exit(2) from None

    return wrapper


def _complain(message: str) -> None:
    """``message`` on stderr, every line (one per problem) starting ``gradcheck: ``."""
    for line in message.splitlines():
        typer.echo(f"gradcheck: {line}", err=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gradcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Check gradients three ways: symbolic (SymPy), backprop (NumPy), finite differences."""


def _options(color: bool | None, output: Path | None) -> RenderOptions:
    if color is None:
        color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    width = None if sys.stdout.isatty() else 100
    return RenderOptions(color=color, width=width)


def _emit(text: str, output: Path | None) -> None:
    """``text`` on stdout, or at ``output`` whole (``writing.write``: a temporary file renamed
    over it), never truncated."""
    if output is None:
        sys.stdout.write(text)
        return
    writing.write(output, text)


@contextlib.contextmanager
def _progress(total: int, format: str) -> Iterator[Callable[[Path], None] | None]:
    """A transient bar on stderr while specs are checked: only for the console report on a
    terminal, never in machine-readable or piped output."""
    if format != "console" or not sys.stdout.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("checking specs", total=total)
        yield lambda path: bar.update(task, advance=1, description=f"checked {path.name}")


@app.command(cls=Command)
@user_errors
def check(
    paths: PathsArg,
    format: FormatOpt = Format.console,  # type: ignore[attr-defined]
    output: OutputOpt = None,
    seed: SeedOpt = None,
    show_answer: ShowAnswerOpt = False,
    mode: ModeOpt = None,
    avoid_kinks: AvoidKinksOpt = None,
    color: ColorOpt = None,
    budget: BudgetOpt = None,
    file_budget: FileBudgetOpt = None,
    run_budget: RunBudgetOpt = None,
    isolate: IsolateOpt = None,
    trust_limits: TrustLimitsOpt = False,
) -> None:
    """Check spec files: network specs and claim files alike.

    Symbolic, backprop and finite differences must agree entry by entry; claimed derivatives
    (claim files, claims in network specs) must be correct.

    Exit code 0 when every check passes, 1 when one fails, 2 when an input is invalid (or a
    check ran out of its budget).
    """
    from gradcheck_cli import api
    from gradcheck_cli.limits import Limits

    with writing.replacing(output):  # a run that fails leaves no earlier run's report behind
        limits = Limits.of(budget, file_budget, run_budget, isolate, trust_limits)
        files = api.spec_files(paths)
        with _progress(len(files), format.value) as progress:
            report = api.check_paths(files, seed=seed, show_answer=show_answer,
                                     mode=mode.value if mode else None, avoid_kinks=avoid_kinks,
                                     progress=progress, limits=limits)
        _emit(REPORTERS[format.value](report, _options(color, output)), output)
    problems = report.errors()
    for message in problems:
        _complain(message)
    if problems:
        raise typer.Exit(2)
    raise typer.Exit(0 if report.passed else 1)


@app.command(cls=FormulaCommand)
@user_errors
def expr(
    f: Annotated[str, typer.Argument(help="The function, e.g. 'x.T @ A @ x'.", metavar="F")],
    wrt: Annotated[str, typer.Option("--wrt", help="The variable to differentiate by.", metavar="NAME")],
    var: Annotated[list[str], typer.Option("--var", help="A variable and its sizes: x=3, A=2x3, c=scalar "
                                           "(repeat).", metavar="NAME=SIZES")],
    let: Annotated[ListOpt, typer.Option("--let", help="A named sub-expression, usable in later lets, F "
                                         "and the claim (repeat).", metavar="NAME=EXPR")] = None,
    assume: Annotated[ListOpt, typer.Option("--assume", help="Properties of a declared variable, e.g. "
                                            "A:symmetric (repeat).", metavar="NAME:PROPERTY[,…]")] = None,
    layout: LayoutOpt = Layout.gradient,  # type: ignore[attr-defined]
    claim: Annotated[Optional[str], typer.Option("--claim", help="The claimed derivative to judge.",  # noqa: UP045
                                                 metavar="EXPR")] = None,
    format: FormatOpt = Format.console,  # type: ignore[attr-defined]
    latex: Annotated[bool, typer.Option("--latex", help="Print the derivative as LaTeX.")] = False,
    elementwise: Annotated[bool, typer.Option("--elementwise", help="Print the derivative entry by "
                                              "entry (SymPy) instead of in matrix form.")] = False,
    show_answer: ShowAnswerOpt = False,
    seed: PointsSeedOpt = None,
    color: ColorOpt = None,
) -> None:
    """Differentiate a formula, or judge a claimed derivative of it.

    Without --claim: print the derivative. With --claim: exit 0 only when the claim is
    correct, 1 when it is not, 2 for invalid input or when f, its derivative or the claim is
    not finite at any random point.
    """
    from gradcheck_cli import policy
    from gradcheck_cli.claims import budget, oneliner
    from gradcheck_cli.claims.judge import judge
    from gradcheck_cli.report import console_claims, jsonout
    from gradcheck_cli.results import SheetResult

    question = oneliner.question(f, wrt=wrt, variables=var, lets=let or [], assume=assume or [],
                                 layout=layout.value, claim=claim)
    with budget.limit(policy.QUESTION_BUDGET, "the question's budget (policy.QUESTION_BUDGET)"):
        if claim is None:
            _show_derivative(question, format.value, latex=latex, elementwise=elementwise, seed=seed or 0)
            return
        result = judge(question, seed=seed or 0, show_answer=show_answer)
    if format.value == "json":
        sys.stdout.write(jsonout.dumps(jsonout.question(result)))
    elif format.value == "console":
        sys.stdout.write(console_claims.question(result, _options(color, None)))
    else:  # JUnit and Markdown: the question as a one-question sheet, through the usual reporters
        sheet = SheetResult("gradcheck expr", "expr", seed or 0, (result,))
        _emit(REPORTERS[format.value](Report((sheet,)), _options(color, None)), None)
    if result.verdict == "error":
        typer.echo(f"gradcheck: {result.error}", err=True)
        raise typer.Exit(2)
    raise typer.Exit(0 if result.verdict == "correct" else 1)


def _show_derivative(question: Question, format: str, *, latex: bool, elementwise: bool, seed: int) -> None:
    """``gradcheck expr`` without a claim: the derivative in matrix form (pasteable back as a
    claim), or entry by entry; JSON carries both. Exit 2 when f is not finite anywhere."""
    from gradcheck_cli.claims.derivation import derivation
    from gradcheck_cli.report import jsonout

    found = derivation(question, seed=seed)
    if format == "json":
        fields = {k: v for k, v in dataclasses.asdict(found).items() if k != "elementwise_pretty"}
        payload = {"tool": "gradcheck", "kind": "derivative", **fields}
        sys.stdout.write(jsonout.dumps(payload))
    elif format == "junit":
        raise GradcheckError("a derivative without --claim has no verdict to report as JUnit; "
                             "use --format json or markdown, or give --claim")
    elif found.error is None:
        text = found.latex if latex else (
            found.elementwise_pretty or "" if elementwise or found.matrix is None else found.matrix)
        typer.echo(f"```\n{text}\n```" if format == "markdown" else text)
    if found.error is not None:
        typer.echo(f"gradcheck: {found.error}", err=True)
        raise typer.Exit(2)


@app.command(cls=Command)
@user_errors
def steps(
    target: Annotated[str, typer.Argument(help="A network spec (.yaml, .yml), or a loss: FILE.py:NAME or "
                                               "MODULE:NAME.", metavar="TARGET")],
    grad: Annotated[OptionalText, typer.Option("--grad", help="For a loss: its gradient.",
                                               metavar="FILE.py:NAME")] = None,
    inputs: Annotated[OptionalPath, typer.Option("--inputs", help="For a loss: its inputs, an .npz or a "
                                                 "YAML file.", metavar="FILE")] = None,
    entry: Annotated[OptionalText, typer.Option("--entry", help="The entry, e.g. 'W0[1, 2]' (default: the "
                                                "worst).", metavar="ENTRY")] = None,
    wrt: Annotated[ListOpt, typer.Option("--wrt", help="For a loss: an input to differentiate (repeat); "
                                         "default: the inputs file's `wrt`, else every float array.",
                                         metavar="NAME")] = None,
    scheme: SchemeOpt = None,
    format: StepsFormatOpt = Format.console,  # type: ignore[attr-defined]
) -> None:
    """Plot the error of a finite difference against its step.

    For one entry, the difference of the scheme its check uses, with the step the check takes
    marked (▲) and the other steps of its stencil (△): for a spec, its scheme and step rule (the
    complex step, flat at rounding, for complex-safe ops); for a loss as TARGET, gradcheck func's
    Richardson differences at s, 2s and 4s (or --scheme), s sized from the loss's measured noise.
    The V: truncation at large steps, round-off at small ones. It has no verdict, so no JUnit. A
    loss as TARGET imports and runs your code.
    """
    from gradcheck_cli import api
    from gradcheck_cli import steps as steps_module

    if format.value == "junit":
        raise GradcheckError("`steps` plots a curve and has no verdict to report as JUnit; "
                             "use --format json or markdown")
    if target.endswith((".yaml", ".yml")):
        if scheme is not None:
            raise GradcheckError("--scheme is for a loss; a spec's scheme is its `check: {scheme: …}`")
        curve = steps_module.for_problem(api.load_problem(target), entry)
    else:
        from gradcheck_cli.usercode.command import steps_curve

        curve = steps_curve(target, grad, inputs, entry, tuple(wrt or ()), scheme)
    if format.value == "json":
        from gradcheck_cli.report.jsonout import dumps

        sys.stdout.write(dumps({"schema_version": 1, "kind": "steps", **dataclasses.asdict(curve)}))
        return
    typer.echo(f"∂J/∂{curve.entry}: reference {curve.reference:.12g} ({curve.reference_source})")
    typer.echo(steps_module.table(curve) if format.value == "markdown" else steps_module.plot(curve))


@app.command(cls=Command)
@user_errors
def derive(
    spec: SpecArg,
    latex: Annotated[bool, typer.Option("--latex", help="With --index: print LaTeX instead of pretty "
                                        "text.")] = False,
    index: Annotated[bool, typer.Option("--index", help="Print SymPy's derivation in index notation "
                                        "instead of the matrix form.")] = False,
) -> None:
    """Print the gradients of a network spec as formulas.

    In matrix form by default: one example's forward (z1 = W0 @ x + b0, a1 = tanh(z1), …), the
    δ recursion and ∂L/∂θ for every parameter, each checked against SymPy's element-wise
    derivative. With --index: SymPy's derivation in index notation, in δ form and closed form.
    """
    from gradcheck_cli import api

    problem = api.load_problem(spec)
    if index or latex:
        from gradcheck_cli.engines import symbolic

        derivation = symbolic.derivation(problem)
        typer.echo(derivation.latex() if latex else derivation.pretty())
        return
    from gradcheck_cli.claims.network_answer import render

    sys.stdout.write(render(problem))


@app.command(cls=Command)
@user_errors
def schema(
    kind: Annotated[
        Optional[SchemaKind],  # noqa: UP045
        typer.Option("--kind", help="Only this kind of spec (default: any spec file)."),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Print the JSON Schema of spec files.

    For editors (the YAML language server completes keys and flags misspellings) and linters.
    """
    from gradcheck_cli.schema import schema as spec_schema

    document = spec_schema(None if kind is None else kind.value)
    _emit(json.dumps(document, indent=2, ensure_ascii=False) + "\n", output)


@app.command(cls=Command)
@user_errors
def func(
    inputs: Annotated[Path, typer.Option("--inputs", help="An .npz of arrays, or a YAML file of shapes "
                                         "and a seed (see the README).", metavar="FILE")],
    fun: Annotated[RefOpt, typer.Argument(help="FILE.py:NAME or MODULE:NAME: the loss (with --grad), the "
                                               "array function (with --vjp), or alone a loss that returns "
                                               "(loss, gradient).", show_default=False,
                                          metavar="FUN")] = None,
    grad: Annotated[RefOpt, typer.Option("--grad", help="Its gradient: returns a dict name → array.",
                                         metavar="FILE.py:NAME")] = None,
    vjp: Annotated[RefOpt, typer.Option("--vjp", help="Its VJP: vjp(cotangent, **inputs) → dict.",
                                        metavar="FILE.py:NAME")] = None,
    layer: Annotated[RefOpt, typer.Option("--layer", help="A layer: forward(**inputs) → (out, cache); "
                                          "backward(dout, cache).",
                                          metavar="FILE.py:FORWARD,BACKWARD")] = None,
    wrt: Annotated[ListOpt, typer.Option("--wrt", help="An input to differentiate (repeat); default: "
                                         "every float array not held fixed.", metavar="NAME")] = None,
    scheme: SchemeOpt = None,
    format: FormatOpt = Format.console,  # type: ignore[attr-defined]
    output: OutputOpt = None,
    seed: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--seed", help="Seed of the inputs and cotangents.", min=0, metavar="N"),
    ] = None,
    color: ColorOpt = None,
) -> None:
    """Check your own gradient code against finite differences.

    A loss's gradient, a VJP or a layer's backward. This IMPORTS AND RUNS the Python code you
    name; spec files never run code.

    Exit code 0 when every gradient is right, 1 when one is wrong, 2 for invalid input or when your code
    raises (its traceback is shown) or returns NaN or inf; a gradient of the wrong shape fails (exit 1).
    """
    from gradcheck_cli.usercode import UserCodeError, command

    request = command.Request(inputs, fun, grad, vjp, layer, tuple(wrt or ()), seed, scheme)
    with writing.replacing(output):  # a run that fails leaves no earlier run's report behind
        try:
            result = command.run(request)
        except UserCodeError as exc:
            if exc.details:
                typer.echo(exc.details, err=True)
            raise
        _emit(REPORTERS[format.value](Report((result,)), _options(color, output)), output)
    raise typer.Exit(0 if result.passed else 1)


@app.command(cls=Command)
@user_errors
def grade(
    key: Annotated[Path, typer.Argument(help="The answer key: a YAML file with `key:`.", metavar="KEY")],
    submissions: Annotated[list[Path], typer.Argument(
        help="Submissions: a YAML file per student (`student:`, `answers:`), directories of them, or CSV "
             "files with a `student` column and a column per question.", metavar="SUBMISSION")],
    format: GradeFormatOpt = GradeFormat.console,  # type: ignore[attr-defined]
    output: OutputOpt = None,
    feedback_dir: FeedbackDirOpt = None,
    jobs: JobsOpt = None,
    budget: GradeBudgetOpt = None,
    fail_under: FailUnderOpt = None,
) -> None:
    """Grade submissions against an answer key.

    A gradebook (a row per student, points per question), feedback per student and a class
    summary. Every answer is judged in a worker process under its budget; one that cannot be read or
    judged scores 0, with the reason in its feedback. With one submission (a student's
    self-check) the console shows its feedback, at the key's feedback level.

    Exit code 0 when grading completed (wrong answers are not failures of the run), 1 with
    --fail-under when a submission scores below it, 2 for a broken key or arguments.
    """
    from gradcheck_cli.grade import Settings, grade_paths
    from gradcheck_cli.grade.report import FORMATS, feedback_files
    from gradcheck_cli.policy import GRADE_ANSWER_BUDGET

    with writing.replacing(output):
        settings = Settings(budget=budget or GRADE_ANSWER_BUDGET, jobs=jobs or os.cpu_count())
        book = grade_paths(key, submissions, settings)
        _emit(FORMATS[format.value](book), output)
    if feedback_dir is not None:
        feedback_dir.mkdir(parents=True, exist_ok=True)
        for name, text in feedback_files(book).items():
            writing.write(feedback_dir / name, text)
    below = fail_under is not None and any(g.total < fail_under / 100 * g.possible for g in book.grades)
    raise typer.Exit(1 if below else 0)


@app.command(cls=Command)
def ops() -> None:
    """List the layers and losses a spec can use, each with its formula."""
    import shutil
    import textwrap

    from gradcheck_cli.ops import LAYERS, LOSSES

    indent = 4 + max(map(len, [*LAYERS, *LOSSES]))
    width = max(shutil.get_terminal_size((100, 24)).columns, indent + 40)
    for title, table in (("layers", LAYERS), ("losses", LOSSES)):
        typer.echo(f"{title}:")
        for kind, cls in table.items():
            first = f"  {kind:<{indent - 2}}"
            typer.echo(textwrap.fill(_first_sentence(cls.__doc__), width, break_on_hyphens=False,
                                     initial_indent=first, subsequent_indent=" " * indent))


def _first_sentence(doc: str | None) -> str:
    """The first sentence of a docstring's first paragraph, on one line."""
    paragraph = " ".join((doc or "").strip().split("\n\n")[0].split())
    return re.split(r"(?<=\.)\s+(?=[A-Z∂(])", paragraph)[0]


def main() -> None:
    """Entry point of the ``gradcheck`` script."""
    app()
