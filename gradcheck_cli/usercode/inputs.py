"""The inputs of ``gradcheck func``: an ``.npz`` of arrays, or a YAML file of shapes and a seed.

YAML (loaded safely, with line numbers for errors)::

    seed: 0                                  # default 0
    wrt: [W1, b1]                            # optional; default: every float array not fixed
    inputs:
      x: {shape: [4, 5]}                     # standard normal, float64
      w: {shape: [5, 3], scale: 0.1}         # normal with standard deviation 0.1
      mask: {shape: [4, 5], uniform: [0, 1], fixed: true}
      y: {shape: [4], integers: [0, 3]}      # integer labels in [0, 3): always held fixed
      reg: {value: 0.1}                      # a literal: number, list, or mapping (held fixed)
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from numpy.typing import NDArray
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    FiniteFloat,
    NonNegativeInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from gradcheck_cli import policy
from gradcheck_cli.errors import GradcheckError, Problems, SpecError, plain_text
from gradcheck_cli.spec.loader import validation_problems
from gradcheck_cli.spec.source import SourceMap, load_yaml, not_a_file

NPZ, YAML = (".npz",), (".yaml", ".yml")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


#: Most dimensions of one input: NumPy's own limit, refused here with its place.
MAX_DIMENSIONS = 64

#: The integers NumPy draws (int64).
_INT64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


class InputSpec(_Model):
    """One input: drawn at random (``shape`` with a distribution) or given (``value``)."""

    shape: list[NonNegativeInt] | None = None
    scale: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    uniform: tuple[FiniteFloat, FiniteFloat] | None = None
    integers: tuple[_INT64, _INT64] | None = None
    value: Any = None
    fixed: bool = False

    @field_validator("shape")
    @classmethod
    def _sized(cls, shape: list[int] | None) -> list[int] | None:
        if shape is None:
            return shape
        if len(shape) > MAX_DIMENSIONS:
            raise ValueError(f"{len(shape)} dimensions are more than {MAX_DIMENSIONS}")
        if 0 in shape:
            raise ValueError(f"{shape} has no entries; an empty input would pass any check without "
                             "checking anything")
        if math.prod(shape) > policy.MAX_ENTRIES:  # exact: np.prod would wrap around in int64
            raise ValueError(f"the shape has more than {policy.MAX_ENTRIES} entries")
        return shape

    @field_validator("value")
    @classmethod
    def _literal(cls, value: Any) -> Any:
        """A list must be a rectangular array of numbers (or of strings), with entries, finite."""
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"is {value}; inputs must be finite")
        if not isinstance(value, list):
            return value
        try:
            array = np.array(value)
        except ValueError:
            raise ValueError("is not a rectangular array (lists side by side must have the same "
                             f"length, nested at most {MAX_DIMENSIONS} deep)") from None
        if array.dtype.kind == "O":
            raise ValueError("mixes numbers with other values, or holds an integer beyond int64")
        problem = unusable(array)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> InputSpec:
        drawn = [k for k in ("scale", "uniform", "integers") if getattr(self, k) is not None]
        if (self.shape is None) == (self.value is None):
            raise ValueError("give either `shape` (drawn at random) or `value`")
        if self.value is not None and drawn:
            raise ValueError(f"`{drawn[0]}` needs `shape`, not `value`")
        if len(drawn) > 1:
            raise ValueError(f"choose one of `{drawn[0]}` and `{drawn[1]}`")
        for key in ("uniform", "integers"):
            bounds = getattr(self, key)
            if bounds is not None and not bounds[0] < bounds[1]:
                raise ValueError(f"`{key}` must be [low, high] with low < high")
        if self.uniform is not None and not math.isfinite(self.uniform[1] - self.uniform[0]):
            raise ValueError("`uniform` is wider than the float range: high − low must be finite")
        if self.integers is not None and self.integers[1] - self.integers[0] > 2**63 - 1:
            raise ValueError("`integers` is wider than int64: high − low must be below 2⁶³")
        return self


def unusable(array: NDArray[Any]) -> str | None:
    """Why ``array`` cannot be an input, or None: no entries (every check of it would pass
    vacuously), or a NaN or infinity among its numbers."""
    if array.size == 0:
        return (f"has no entries (shape {list(array.shape)}); an empty input would pass any check "
                "without checking anything")
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        return f"contains {'nan' if np.isnan(array).any() else 'inf'}; inputs must be finite"
    return None


class InputsFile(_Model):
    seed: NonNegativeInt = 0
    wrt: list[str] | None = Field(default=None, min_length=1)
    #: names are printed in the report, so plain text (``errors.plain_text``)
    inputs: dict[Annotated[str, AfterValidator(plain_text)], InputSpec] = Field(min_length=1)


def load(path: Path, *, seed: int | None = None) -> tuple[dict[str, Any], tuple[str, ...] | None, int]:
    """The inputs, the names to differentiate (None: the default) and the seed they were drawn with.

    Raises:
        GradcheckError: a missing or unreadable file; SpecError (with file:line:col) for a YAML
            file that does not follow the format above.
    """
    problem = not_a_file(path)  # a FIFO or /dev/zero is refused before it is opened
    if problem:
        raise GradcheckError(f"--inputs {path}: {problem}")
    if path.suffix in NPZ:
        return _npz(path), None, seed or 0
    if path.suffix in YAML:
        return _yaml(path, seed)
    raise GradcheckError(f"--inputs {path}: expected an .npz file or a YAML file (.yaml, .yml)")


def _npz(path: Path) -> dict[str, Any]:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError) as exc:
        raise GradcheckError(f"--inputs {path}: not a readable .npz file ({exc})") from None
    for name, array in arrays.items():
        try:
            plain_text(name)
        except ValueError as exc:
            raise GradcheckError(f"--inputs {path}: the array name `{name}` {exc}") from None
        problem = unusable(array)
        if problem:
            raise GradcheckError(f"--inputs {path}: `{name}` {problem}")
    return arrays


def _yaml(path: Path, seed: int | None) -> tuple[dict[str, Any], tuple[str, ...] | None, int]:
    data, source = load_yaml(path)
    try:
        spec = InputsFile.model_validate(data)
    except ValidationError as exc:
        raise validation_problems(exc, source, lambda error: _sentence(error, source)) from None
    rng = np.random.default_rng(spec.seed if seed is None else seed)
    values = {name: _draw(item, rng) for name, item in spec.inputs.items()}
    problems = Problems()
    for index, name in enumerate(spec.wrt or ()):
        if name in spec.inputs and spec.inputs[name].fixed:
            problems.add(source.error(("wrt", index), f"`{name}` is in `wrt` but marked `fixed: true`"))
    problems.raise_any()
    wrt = tuple(spec.wrt) if spec.wrt else tuple(
        n for n, v in values.items()
        if isinstance(v, np.ndarray) and v.dtype.kind == "f" and not spec.inputs[n].fixed)
    return values, wrt, spec.seed if seed is None else seed


def _draw(item: InputSpec, rng: np.random.Generator) -> Any:
    if item.value is not None:
        if isinstance(item.value, list):
            return np.array(item.value)
        return item.value
    shape = tuple(item.shape or ())  # `shape: []` is a 0-d array: a scalar to differentiate
    if item.integers is not None:
        return np.asarray(rng.integers(item.integers[0], item.integers[1], size=shape))
    if item.uniform is not None:
        return np.asarray(rng.uniform(item.uniform[0], item.uniform[1], size=shape))
    return np.asarray((item.scale or 1.0) * rng.standard_normal(shape))


def _sentence(error: ErrorDetails, source: SourceMap) -> SpecError:
    """One validation error of the inputs file as a sentence placed at its line and column."""
    loc = tuple(error["loc"])
    where = "`" + ".".join(str(p) for p in loc) + "`" if loc else "the inputs file"
    if error["type"] == "extra_forbidden":
        allowed = ", ".join(InputSpec.model_fields if len(loc) == 3 else InputsFile.model_fields)
        return source.error(loc, f"unknown key {where}", key=True, hint=f"allowed: {allowed}")
    if error["type"] == "missing":
        return source.error(loc[:-1], f"missing key {where}")
    message = str(error["msg"]).removeprefix("Value error, ")
    if loc[-1:] == ("[key]",):  # pydantic's marker of a problem with the key itself
        return source.error(loc[:-1], f"the input name `{loc[-2]}` {message}", key=True)
    return source.error(loc, f"{where}: {message[:1].lower()}{message[1:]}")
