"""Random points where claims are compared, drawn so that every assumption holds."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np

from gradcheck_cli.errors import GradcheckError
from gradcheck_cli.ops.base import Array

Shape = tuple[int, int]

def check(name: str, shape: Shape, properties: Collection[str]) -> None:
    """Raise if ``properties`` cannot hold for a variable of ``shape``."""
    square = shape[0] == shape[1] and shape != (1, 1)
    if {"symmetric", "positive_definite"} & set(properties) and not square:
        raise GradcheckError(f"`{name}` is {shape[0]}×{shape[1]}; only a square matrix can be symmetric")
    exclusive = {"onehot", "binary", "probability"} & set(properties)
    if len(exclusive) > 1:
        raise GradcheckError(f"`{name}` cannot be {' and '.join(sorted(exclusive))} at once")


def draw(
    variables: Mapping[str, Shape],
    assume: Mapping[str, Collection[str]],
    rng: np.random.Generator,
    *,
    also_symmetric: Collection[str] = (),
) -> dict[str, Array]:
    """One point: a value for every variable that satisfies its declared properties.

    ``also_symmetric`` makes extra variables symmetric (to test whether a claim would hold
    under that assumption).
    """
    point = {}
    for name, shape in variables.items():
        props = set(assume.get(name, ())) | ({"symmetric"} if name in also_symmetric else set())
        point[name] = _value(shape, props, rng)
    return point


def _value(shape: Shape, props: set[str], rng: np.random.Generator) -> Array:
    rows, cols = shape
    if "positive_definite" in props:
        B = rng.standard_normal(shape)
        spd: Array = B @ B.T / rows + np.eye(rows)
        return spd
    if "onehot" in props:
        hot = np.zeros(shape)
        if cols == 1 or rows == 1:
            hot.reshape(-1)[rng.integers(hot.size)] = 1.0
        else:
            hot[rng.integers(rows, size=cols), np.arange(cols)] = 1.0
        return hot
    if "binary" in props:
        binary: Array = rng.integers(2, size=shape).astype(np.float64)
        return binary
    if "probability" in props:
        value = rng.uniform(0.05, 0.95, size=shape)
    elif "positive" in props:
        value = rng.uniform(0.5, 2.0, size=shape)
    else:
        value = rng.standard_normal(shape)
    if "symmetric" in props:
        value = (value + value.T) / 2
    return value
