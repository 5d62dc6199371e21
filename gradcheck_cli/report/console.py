"""The terminal report (rich): header, layer table, one row per tensor, worst entries, grid."""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from gradcheck_cli.report import console_claims
from gradcheck_cli.report.options import RenderOptions, summary_line
from gradcheck_cli.results import (
    DIRECTIONAL_NOTE,
    Pair,
    Report,
    Result,
    SheetResult,
    SpecResult,
    TensorResult,
)

STYLE = {"pass": "bold green", "fail": "bold red", "error": "bold magenta"}
SHORT = {"symbolic": "sym", "backprop": "bp", "numeric": "fd", "user": "user"}


def render(report: Report, options: RenderOptions) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        width=options.width or 100,
        force_terminal=options.color,
        no_color=not options.color,
        color_system="256" if options.color else None,
        highlight=False,
        emoji=False,
    )
    for spec in report.specs:
        console.print(result(spec))
        console.print()
    console.print(Text(summary_line(report)), style=None)
    return out.getvalue()


def result(spec: Result) -> RenderableType:
    """One spec's or sheet's report as a renderable: for the terminal, and for notebooks."""
    return console_claims.sheet(spec) if isinstance(spec, SheetResult) else _spec(spec)


def _spec(spec: SpecResult) -> RenderableType:
    head = Text.assemble(
        (spec.name, "bold"), "  ", (spec.path, "dim"), "  ",
        (spec.verdict.upper(), STYLE[spec.verdict]),
    )
    if spec.error is not None:
        return Group(head, Text(spec.error, style="magenta"))
    network = spec.subject == "network"
    meta = Text(f"seed {spec.seed} · batch {spec.batch} · loss {spec.loss} ({spec.reduction})" if network
                else f"seed {spec.seed} · {spec.subject}: {spec.loss} · {spec.reduction}", style="dim")
    parts: list[RenderableType] = [head, meta, _layers(spec)] if network else [head, meta]
    if spec.moved is not None:
        parts.append(Text(f"⚠ {spec.moved}", style="yellow"))
    if spec.forward is not None:
        parts.append(_forward(spec))
    parts.append(_tensors(spec))
    for t in spec.tensors:
        if t.kinks:
            entries = f"{t.kinks} entr{'y' if t.kinks == 1 else 'ies'}"
            parts.append(Text(f"⚠ {t.name}: {entries} at a kink — accepted where every source lies "
                              "between the one-sided differences (a valid subgradient)", style="yellow"))
        if t.caution:
            parts.append(Text(f"⚠ {t.name}: {t.caution}", style="yellow"))
    if spec.tensors:
        parts.append(_legend(spec))
    for tensor in spec.tensors:
        if tensor.verdict != "pass":
            parts.extend(_failure(tensor))
    if spec.directional:
        parts.extend(_directional(spec))
    if spec.claims:
        parts.append(Text("claimed gradients (per example, reduced like J):", style="bold"))
        parts.extend(console_claims.claims(spec.claims))
    return Group(*parts)


def _legend(spec: SpecResult) -> Text:
    """What the columns of the tensor table mean — those shown, in the subject's words."""
    pairs = spec.tensors[0].pairs
    if spec.subject == "network" or len(pairs) != 1:
        columns = _column(pairs[0]) + (" etc." if len(pairs) > 1 else "") if pairs else ""
        compared = "largest |difference| between two sources"
    else:
        columns = _column(pairs[0])
        compared = "largest |difference| between your gradient and the finite differences"
        if spec.mode == "directional":
            compared = ("largest |difference| between your gradient projected on random directions and the "
                        "finite differences along them")
    return Text(f"{columns}: {compared}; err/tol: the largest difference over its tolerance (≤ 1 passes)",
                style="dim")


def _column(pair: Pair) -> str:
    return f"{SHORT[pair.first]}↔{SHORT[pair.second]}"


def _layers(spec: SpecResult) -> Table:
    table = Table(box=None, pad_edge=False, show_header=True, header_style="dim")
    for column in ("#", "layer", "in → out", "parameters"):
        table.add_column(column)
    for layer in spec.layers:
        params = ", ".join(f"{n} {'×'.join(map(str, s))}" for n, s in layer.params.items())
        count = sum(_size(s) for s in layer.params.values())
        table.add_row(str(layer.index), layer.op, f"{layer.n_in} → {layer.n_out}",
                      f"{params} ({count})" if params else "")
    return table


def _forward(spec: SpecResult) -> Text:
    f = spec.forward
    assert f is not None
    shown = ", ".join(_number(v) for v in f.output[:6]) + (", …" if len(f.output) > 6 else "")
    mark = ("agrees", "green") if f.passed else ("DIFFERS", "bold red")
    return Text.assemble(
        f"forward: J = {f.numpy:.10g}; symbolic ", mark,
        f" (|Δ| {f.abs_error:.1e}, tol {f.tolerance:.1e}); N(x₁) = [{shown}]",
    )


def _tensors(spec: SpecResult) -> Table:
    table = Table(title=None, show_lines=False, header_style="bold")
    table.add_column("tensor")
    table.add_column("shape")
    table.add_column("layer" if spec.subject == "network" else "of")
    names = [p for p in spec.tensors[0].pairs] if spec.tensors else []
    for pair in names:
        table.add_column(_column(pair), justify="right")
    table.add_column("err/tol", justify="right")
    table.add_column("verdict")
    for t in spec.tensors:
        cells = [_pair_cell(p) for p in t.pairs]
        margin = max((p.worst_ratio for p in t.pairs), default=0.0)
        table.add_row(t.name, "×".join(map(str, t.shape)), t.owner, *cells,
                      Text(f"{margin:.2g}", style=_heat(margin)), Text(t.verdict, style=STYLE[t.verdict]))
    return table


def _directional(spec: SpecResult) -> list[RenderableType]:
    lines: list[RenderableType] = []
    for check in spec.directional:
        if check.passed:
            text = (f"directional: {check.source} agrees along {check.directions} random directions "
                    f"(worst {check.worst_ratio:.2g} of the tolerance)")
            if check.kinks:
                text += (f"; {check.kinks} of them crossed a kink and were split: parts that crossed "
                         "none judged as usual, single entries that still did as at a kink (above)")
            lines.append(Text(text, style="green"))
        else:
            text = (f"directional: {check.source} DIFFERS (worst {check.worst_ratio:.3g}× the tolerance); "
                    f"bisection localised {check.tensor}{list(check.index)}: {check.analytic:.10g} vs "
                    f"numeric {check.numeric:.10g}")
            lines.append(Text(text, style="bold red"))
    lines.append(Text(DIRECTIONAL_NOTE, style="dim"))
    return lines


def _pair_cell(pair: Pair) -> Text:
    return Text(f"{pair.max_abs:.1e}", style="green" if pair.passed else "bold red")


def _failure(t: TensorResult) -> list[RenderableType]:
    mark = "!" if t.verdict == "error" else "✗"
    style = STYLE[t.verdict].split()[-1]
    parts: list[RenderableType] = [Text(f"{mark} {t.name}: {t.explanation}", style=style)]
    if t.worst:
        table = Table(title=f"worst entries of ∂J/∂{t.name}", header_style="bold", title_justify="left")
        table.add_column("index")
        sources = list(t.worst[0].values)
        for s in sources:
            table.add_column(s, justify="right")
        for c in ("|err|", "rel", "tol"):
            table.add_column(c, justify="right")
        for e in t.worst:
            table.add_row(str(list(e.index)), *(f"{e.values[s]:.6g}" for s in sources),
                          f"{e.abs_error:.1e}", f"{e.rel_error:.1e}", f"{e.tolerance:.1e}")
        parts.append(table)
    for p in t.pairs:
        if not p.passed:
            parts.append(Text(f"  {p.first} vs {p.second}: {p.failing} entries over tolerance "
                              f"({p.tolerance_source}); worst error/tol = {p.worst_ratio:.3g}", style="dim"))
    if t.grid:
        parts.append(_grid(t))
    return parts


def _grid(t: TensorResult) -> Group:
    """Error / tolerance per entry: green ≤ 1 (passes), yellow ≤ 10⁴, red beyond."""
    table = Table(show_header=False, box=None)
    for _ in t.grid[0]:
        table.add_column(justify="right")
    for row in t.grid:
        cells = [Text(f"{v:.0e}" if v else "0", style=_heat(v)) for v in row]
        table.add_row(*cells)
    return Group(Text(f"error/tolerance per entry of ∂J/∂{t.name}:"), table)


def _heat(ratio: float) -> str:
    return "green" if ratio <= 1 else ("yellow" if ratio <= 1e4 else "bold red")


def _number(v: float) -> str:
    """Four significant digits; scientific (1.670e-05) for very small or large values."""
    return f"{v:.3e}" if v != 0 and not 1e-3 <= abs(v) < 1e5 else f"{v:.4g}"


def _size(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
