"""Hypothesis strategies for fuzzing every input gradcheck reads from users.

Shared by the bounded fuzz tests in this directory and by the long run (``fuzz/run_long.py``):

- ``network_specs`` / ``claim_sheets``: random mappings built from the real key vocabulary of
  network specs and claim files (taken from the pydantic models and the op registry, so a new
  key or op is fuzzed for free), each value usually of the right kind and sometimes not;
- ``mutated_examples``: the example specs in ``specs/`` with a few edits to their data or text;
- ``yaml_garbage``: YAML-ish token soup, random unicode, binary bytes;
- ``expressions``: random syntax trees of the expression language (text that parses), over the
  variables of ``EXPR_VARIABLES``.

Sizes stay small (widths ≤ 3, a handful of layers) except where a size is deliberately absurd
(negative, zero, 10¹², 2⁶⁴), which must be refused before anything is allocated.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from gradcheck_cli.choices import LAYOUTS
from gradcheck_cli.expr import FUNCTIONS
from gradcheck_cli.ops import LAYERS, LOSSES
from gradcheck_cli.spec.models import CheckSpec, DataSpec, NetworkBase, RegularizationSpec
from gradcheck_cli.spec.sheet_models import QuestionSpec, SheetSpec

ROOT = Path(__file__).resolve().parents[2]

#: The example specs mutated by ``mutated_examples``; the homework sheet is left out (it takes
#: 16 s to judge), two of its questions stand in for it.
EXAMPLES = sorted(p for p in (ROOT / "specs").rglob("*.yaml") if "homework" not in p.parts)
SHEET_EXAMPLE = """\
name: two questions
seed: 1
questions:
  - name: least squares
    variables: {x: [3], A: [2, 3], y: [2]}
    f: 0.5 * norm(y - A @ x)**2
    wrt: x
    claimed: -A.T @ (y - A @ x)
    points: 1
    expect: correct
  - name: tanh layer
    variables: {x: [2], W: [2, 2]}
    let: {z: W @ x}
    f: sum(tanh(z))
    wrt: x
    layout: gradient
    claimed: W.T @ (1 - tanh(z)**2)
"""

TOP_KEYS = [*NetworkBase.model_fields, "network", "loss"]
SHEET_KEYS = list(SheetSpec.model_fields)
QUESTION_KEYS = list(QuestionSpec.model_fields)
VOCABULARY = sorted(
    {
        *TOP_KEYS,
        *DataSpec.model_fields,
        *CheckSpec.model_fields,
        *RegularizationSpec.model_fields,
        *SHEET_KEYS,
        *QUESTION_KEYS,
        *LAYERS,
        *LOSSES,
        *FUNCTIONS,
        *(name for table in (LAYERS, LOSSES) for cls in table.values() for name in cls.model_fields),
        "__class__",
        "__init__",
        "__import__('os')",
        "x.__class__",
        "<<",
    }
)

#: Sizes that must be refused before any array is drawn.
ABSURD_SIZES = [0, -1, -(2**31), 10**6, 10**12, 2**64, 10**100]

#: Strings YAML or a later stage may read as something else.
TRICKY_TEXT = [
    "",
    " ",
    "~",
    "null",
    "yes",
    "no",
    ".nan",
    ".inf",
    "-.inf",
    "0x1F",
    "0o17",
    "1e3",
    "1_000",
    "12:30:00",
    "2001-12-14",
    "!!python/object:os.system",
    "&a",
    "*a",
    "{",
    "[",
    "\x00",
    "\u202e",
    "ｘ",
    "𝑥",
    "x\ny",
    "é" * 40,
    "__class__",
]


# Values of any kind ------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 5),
    st.sampled_from(ABSURD_SIZES),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(VOCABULARY),
    st.sampled_from(TRICKY_TEXT),
    st.text(max_size=12),
)

keys = st.one_of(st.sampled_from(VOCABULARY), st.text(min_size=1, max_size=8), st.integers(-2, 3))

junk: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=8,
)


def sometimes(
    strategy: st.SearchStrategy[Any], other: st.SearchStrategy[Any], odds: int
) -> st.SearchStrategy[Any]:
    """``other`` once in ``odds`` draws, ``strategy`` otherwise."""
    return st.integers(1, odds).flatmap(lambda i: other if i == 1 else strategy)


def mostly(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``strategy`` 39 times in 40, a value of any kind otherwise."""
    return sometimes(strategy, junk, 40)


small = st.integers(1, 3)
size = sometimes(small, st.sampled_from(ABSURD_SIZES), 10)
number = st.one_of(st.floats(-3, 3), st.integers(-3, 3), st.sampled_from([0.0, 1e300, -1e300]))
vector = st.lists(number, min_size=1, max_size=3)
matrix = small.flatmap(lambda n: st.lists(st.lists(number, min_size=n, max_size=n), min_size=1, max_size=3))
ragged = st.lists(vector, min_size=1, max_size=3)


def mapping(
    fields: dict[str, st.SearchStrategy[Any]], required: tuple[str, ...] = ()
) -> st.SearchStrategy[Any]:
    """A mapping with the ``required`` fields (mostly), some of the others, and now and then an
    unknown key."""
    optional = {k: mostly(v) for k, v in fields.items() if k not in required}
    present = {k: mostly(fields[k]) for k in required}
    known = sometimes(
        st.fixed_dictionaries(present, optional=optional),
        st.fixed_dictionaries({}, optional={**present, **optional}),
        10,
    )
    extra = sometimes(st.just({}), st.dictionaries(st.sampled_from(VOCABULARY), junk, max_size=1), 10)
    return st.tuples(known, extra).map(lambda p: {**p[1], **p[0]})


# Network specs -----------------------------------------------------------------------------

SETTINGS: dict[str, st.SearchStrategy[Any]] = {
    "out": size,
    "bias": st.booleans(),
    "W": st.one_of(matrix, ragged),
    "b": vector,
    "names": st.dictionaries(st.sampled_from(["W", "b"]), st.sampled_from(["W", "b", "x", "theta", "W0"])),
    "slope": number,
    "degree": st.one_of(st.integers(1, 3), st.sampled_from(ABSURD_SIZES)),
    "covariance": st.one_of(number, vector, matrix),
    "constant": st.booleans(),
}


def op(table: dict[str, Any]) -> st.SearchStrategy[Any]:
    """``- tanh`` or ``- linear: {out: 2}``, with the op's own settings."""

    def with_settings(kind: str) -> st.SearchStrategy[Any]:
        fields = {name: SETTINGS.get(name, junk) for name in table[kind].model_fields}
        return st.one_of(st.just(kind), mapping(fields).map(lambda s: {kind: s}))

    return st.sampled_from(sorted(table)).flatmap(with_settings)


@st.composite
def coherent_data(draw: st.DrawFn) -> dict[str, Any]:
    """A ``data:`` section whose sizes agree: ``inputs`` and ``batch``, or inline ``x`` (and ``y``)."""
    m, n = draw(small), draw(small)
    if draw(st.booleans()):
        data: dict[str, Any] = {"inputs": n, "batch": m}
    else:
        data = {
            "x": draw(st.lists(st.lists(st.floats(-2, 2), min_size=n, max_size=n), min_size=m, max_size=m))
        }
    data["targets"] = draw(st.sampled_from([None, "real", "onehot", "binary"]))
    return {k: v for k, v in data.items() if v is not None}


data_section = sometimes(
    coherent_data(),
    mapping(
        {
            "batch": size,
            "inputs": size,
            "targets": st.sampled_from(["real", "onehot", "binary", "reel"]),
            "x": st.one_of(matrix, ragged),
            "y": st.one_of(matrix, ragged),
            "labels": st.lists(st.integers(-1, 3), max_size=3),
        },
        required=("inputs",),
    ),
    4,
)

claim_names = st.sampled_from(["W0", "b0", "W1", "x", "z1", "a1", "q"])

network_specs = mapping(
    {
        "name": st.text(max_size=10),
        "description": st.text(max_size=10),
        "seed": st.one_of(st.integers(0, 5), st.sampled_from(ABSURD_SIZES)),
        "data": data_section,
        "network": st.tuples(
            sometimes(st.just([{"linear": {"out": 2}}]), st.just([]), 4), st.lists(op(LAYERS), max_size=3)
        ).map(lambda t: t[0] + t[1]),
        "loss": op(LOSSES),
        "reduction": st.sampled_from(["mean", "sum", "max"]),
        "regularization": mapping({"l2": number}),
        "wrt": st.lists(claim_names, max_size=3),
        "check": mapping(
            {
                "scheme": st.sampled_from(["auto", "central", "forward", "richardson", "complex", "cubic"]),
                "mode": st.sampled_from(["auto", "full", "directional", "partial"]),
                "step": number,
                "atol": number,
                "rtol": number,
            }
        ),
        "let": st.dictionaries(
            st.sampled_from(["u", "v", "z1"]), st.deferred(lambda: expressions), max_size=2
        ),
        "claims": st.dictionaries(claim_names, st.deferred(lambda: expressions), max_size=2),
    },
    required=("data", "network", "loss"),
)


# Claim sheets ------------------------------------------------------------------------------

#: Variables of random expressions, and their shapes in the expression language.
EXPR_VARIABLES = {"x": (3, 1), "A": (2, 3), "X": (2, 2), "s": (1, 1), "t": (1, 1)}
DECLARED = {"x": [3], "A": [2, 3], "X": [2, 2], "s": [], "t": []}

ENTRYWISE = ["exp", "log", "tanh", "sigmoid", "relu", "softplus", "sin", "cos", "abs", "sqrt", "sign", "step"]
REDUCING = ["sum", "mean", "norm", "softmax", "logsumexp", "trace", "det", "inv", "logdet", "diag", "vec"]


def _tree(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "@"]), children)
    return st.one_of(
        binary.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, st.sampled_from(["2", "3", "-1", "0.5", "64", "65", "10 ** 10"])).map(
            lambda t: f"{t[0]} ** {t[1]}"
        ),
        st.tuples(st.sampled_from(ENTRYWISE), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(REDUCING), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["sum", "mean", "softmax"]), children, st.sampled_from("01")).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
        st.tuples(st.sampled_from(["outer", "vec"]), children, children).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
        children.map(lambda c: f"-{c}"),
        children.map(lambda c: f"({c}).T"),
        st.tuples(children, st.sampled_from(["[0]", "[1, 0]", "[2]", "[5]"])).map("".join),
    )


atoms = st.one_of(
    st.sampled_from(list(EXPR_VARIABLES)),
    st.sampled_from(list(EXPR_VARIABLES)),
    st.sampled_from(["0", "1", "2.5", "pi", "1e-3", "eye(2)", "eye(3)", "ones(3)", "ones(2, 3)", "u", "z"]),
)

#: Random syntax trees of the expression language, as text.
expressions: st.SearchStrategy[str] = st.recursive(atoms, _tree, max_leaves=6)

question = mapping(
    {
        "name": st.text(max_size=8),
        "variables": st.one_of(
            st.just(DECLARED),
            st.dictionaries(
                st.sampled_from(list(DECLARED)), st.lists(size, max_size=3), min_size=1, max_size=3
            ),
        ),
        "assume": st.dictionaries(
            st.sampled_from(list(DECLARED)),
            st.lists(
                st.sampled_from(
                    ["symmetric", "positive_definite", "onehot", "binary", "probability", "positive", "even"]
                ),
                max_size=2,
            ),
        ),
        "let": st.dictionaries(st.sampled_from(["u", "z"]), expressions, max_size=2),
        "f": expressions,
        "wrt": st.sampled_from([*DECLARED, "u", "y"]),
        "layout": st.sampled_from([*LAYOUTS, "numerator"]),
        "claimed": expressions,
        "points": number,
        "expect": st.sampled_from(["correct", "incorrect", "maybe"]),
        "expect_diagnosis": st.sampled_from(["sign", "transpose", "factor", "other", "typo"]),
    },
    required=("name", "variables", "f", "wrt", "claimed"),
)

claim_sheets = mapping(
    {
        "name": st.text(max_size=8),
        "description": st.text(max_size=8),
        "seed": st.one_of(st.integers(0, 5), st.sampled_from(ABSURD_SIZES)),
        "questions": st.lists(question, min_size=1, max_size=2),
    },
    required=("questions",),
)


# Text of documents -------------------------------------------------------------------------


def dump(document: Any) -> str:
    """YAML text of a generated document (the loader reads the text, as from a file)."""
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=1000)


YAML_TOKENS = [
    "a",
    "data",
    "network",
    "loss",
    "questions",
    "- ",
    ": ",
    "\n",
    "  ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&x ",
    "*x",
    "<<: ",
    "? ",
    "!!python/object/apply:os.system ",
    "!!str ",
    "!!binary ",
    "!!set ",
    "|",
    ">",
    "'",
    '"',
    "#",
    "---",
    "...",
    "%YAML 1.1\n",
    "1",
    "-1",
    "1e999",
    ".nan",
    "~",
    "\t",
    "\ufeff",
    "\x00",
    "é",
    "tanh",
    "linear",
    "out",
    "\\",
]

#: Text that is barely YAML, or not at all.
yaml_garbage: st.SearchStrategy[str | bytes] = st.one_of(
    st.lists(st.sampled_from(YAML_TOKENS), max_size=30).map("".join),
    st.text(max_size=60),
    st.binary(max_size=60),
)


def _mutate_text(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True) or [""]
    i = rng.randrange(len(lines))
    action = rng.randrange(7)
    if action == 0:
        del lines[i]
    elif action == 1:
        lines.insert(i, lines[rng.randrange(len(lines))])
    elif action == 2:
        lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)] + "\n"
    elif action == 3:
        cut = rng.randrange(len(text) + 1)
        return text[:cut]
    elif action == 4:
        lines[i] = lines[i].replace(":", rng.choice(["::", " :", ""]), 1)
    elif action == 5:
        lines[i] = "\t" + lines[i] if rng.random() < 0.5 else "   " + lines[i]
    else:
        at = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:at] + rng.choice(YAML_TOKENS + TRICKY_TEXT) + lines[i][at:]
    return "".join(lines)


def _paths(document: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*here, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += _paths(value, (*here, index))
    return found


def _mutate_data(document: Any, rng: random.Random, replacement: Any) -> Any:
    """``document`` with one node replaced, deleted, or given an extra key."""
    paths = _paths(document)[1:]
    if not paths:
        return replacement
    path = rng.choice(paths)
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    action = rng.randrange(4)
    if action == 0:
        del parent[path[-1]]
    elif action == 1 and isinstance(parent, dict):
        parent[rng.choice(VOCABULARY)] = replacement
    elif (
        action == 2 and isinstance(parent[path[-1]], (int, float)) and not isinstance(parent[path[-1]], bool)
    ):
        parent[path[-1]] = rng.choice([*ABSURD_SIZES, -parent[path[-1]], float("nan"), 0.5])
    else:
        parent[path[-1]] = replacement
    return document


@st.composite
def mutated_examples(draw: st.DrawFn) -> str:
    """An example spec (or a two-question sheet) with one to three edits to its data or text."""
    path = draw(st.sampled_from([*EXAMPLES, None]))
    text = SHEET_EXAMPLE if path is None else path.read_text(encoding="utf-8")
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            text = _mutate_text(text, rng)
            continue
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError:
            text = _mutate_text(text, rng)
            continue
        text = dump(_mutate_data(document, rng, draw(junk)))
    return text


#: Any spec document as text (or bytes), in the proportions the fuzz tests and the long run use.
spec_texts: st.SearchStrategy[str | bytes] = st.one_of(
    network_specs.map(dump),
    network_specs.map(dump),
    claim_sheets.map(dump),
    mutated_examples(),
    mutated_examples(),
    yaml_garbage,
)


# Hostile classes (issue 11): inputs that are valid but built to hang, overflow or exhaust memory

#: Functions whose towers overflow (exp, softplus), saturate (sigmoid, tanh) or leave their
#: domain (log, sqrt) within a few levels.
TOWER_FUNCTIONS = ["exp", "exp", "sigmoid", "tanh", "log", "softplus", "sqrt", "relu"]
TOWER_BASES = ["s + 3", "sum(x)", "x.T @ x", "sum(A @ x)", "det(X)", "t * s", "-s", "norm(x)**2"]

towers: st.SearchStrategy[str] = st.tuples(
    st.lists(st.sampled_from(TOWER_FUNCTIONS), min_size=2, max_size=7), st.sampled_from(TOWER_BASES)
).map(lambda t: "".join(f"{f}(" for f in t[0]) + t[1] + ")" * len(t[0]))

#: Expressions that are complex infinity, or not real, at every point.
complex_infinities = st.sampled_from(
    ["log(0*s)", "relu(log(0*s))", "1/(s - s)", "log(s - s)", "sqrt(-1 - s**2)", "step(log(0*s))",
     "abs(1/(0*s))", "sign(log(0 * t))", "exp(1/(s - s))", "relu(1/(0*sum(x)))", "log(-exp(s))"]
)

#: Any hostile expression, or one of the ordinary random ones.
hostile_expressions: st.SearchStrategy[str] = st.one_of(
    towers,
    complex_infinities,
    st.tuples(towers, st.sampled_from(["+", "*", "/"]), expressions).map(" ".join),
    expressions,
)

#: Standard YAML tags with values they cannot hold, and tags of types a spec never has.
TAGGED_SCALARS = ["!!int squared_error", "!!float abc", "!!bool maybe", '!!timestamp "yesterday"',
                  "!!int 1e3", "!!float .inf", "!!float .nan", "!!null 0", "!!binary x", "!!str 3",
                  "!!int 99999999999999999999999", "!!set {a}", "!!omap [a: 1]", "!!float 1e400"]


@st.composite
def tagged_documents(draw: st.DrawFn) -> str:
    """An example spec or sheet with one value (or key) replaced by a tagged scalar."""
    path = draw(st.sampled_from([*EXAMPLES, None]))
    text = SHEET_EXAMPLE if path is None else path.read_text(encoding="utf-8")
    lines = text.splitlines()
    candidates = [i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith("#")]
    i = draw(st.sampled_from(candidates))
    key, _, value = lines[i].partition(":")
    tag = draw(st.sampled_from(TAGGED_SCALARS))
    lines[i] = f"{key}: {tag}" if value.strip() and not value.strip().startswith(("{", "[")) else lines[i]
    return "\n".join(lines) + "\n"


@st.composite
def hostile_sheets(draw: st.DrawFn) -> str:
    """A sheet of hostile questions (towers, complex infinities, large symbolic shapes), one of them
    sometimes repeated by YAML aliases, beside a good one."""
    n = draw(st.integers(1, 3))
    dimension = draw(st.sampled_from([2, 3, 8, 12, 20]))
    rows = ["seed: 1", "questions:"]
    for k in range(n):
        f = draw(st.one_of(hostile_expressions, st.sampled_from(["det(X)", "logdet(X)", "sum(inv(X))",
                                                              "trace(inv(X) @ inv(X))"])))
        claimed = draw(st.one_of(hostile_expressions, st.sampled_from(["X", "x", "s", "inv(X).T"])))
        shapes = f"{{x: [3], A: [2, 3], X: [{dimension}, {dimension}], s: [], t: []}}"
        wrt = draw(st.sampled_from(["x", "X", "s"]))
        anchor = " &q" if k == 0 else ""
        rows.append(f"  - {anchor} {{name: q{k}, variables: {shapes}, f: '{f}', wrt: {wrt}, "
                    f"claimed: '{claimed}'}}")
    rows += ["  - *q"] * draw(st.integers(0, 4))
    rows.append("  - {name: good, variables: {x: [3]}, f: 'x.T @ x', wrt: x, claimed: '2 * x'}")
    return "\n".join(rows) + "\n"


@st.composite
def large_networks(draw: st.DrawFn) -> str:
    """Network specs that are small to write and large to run: wide layers and batches, many
    layers, claims with outer products and chains of inverses."""
    width = draw(st.sampled_from([2, 50, 300, 700, 2000, 3000]))
    batch = draw(st.sampled_from([1, 10, 700, 2000]))
    depth = draw(st.sampled_from([1, 3, 50, 400, 3000]))
    first = draw(st.sampled_from([2, width]))
    layers = "\n".join([f"  - linear: {{out: {first}}}"]
                       + [f"  - {draw(st.sampled_from(['tanh', 'sigmoid', 'relu']))}"] * depth)
    claim = draw(st.sampled_from(["", "claims:\n  W0: outer(W0.T, W0.T)\n", "claims:\n  x: W0.T @ a1\n",
                                  "claims:\n  W0: inv(inv(inv(W0 @ W0.T))) @ W0\n"]))
    return (f"data: {{batch: {batch}, inputs: {width}}}\nnetwork:\n{layers}\n  - linear: {{out: 2}}\n"
            f"loss: squared_error\n{claim}")


#: Every hostile class, as spec text.
hostile_spec_texts: st.SearchStrategy[str] = st.one_of(tagged_documents(), hostile_sheets(), large_networks())
