"""The result tree: plain frozen data that reporters render and nothing else computes on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["pass", "fail", "error"]


@dataclass(frozen=True)
class Entry:
    """One entry of a tensor: its index, each source's value, and how far off it is."""

    index: tuple[int, ...]
    values: dict[str, float]
    abs_error: float
    rel_error: float
    tolerance: float


@dataclass(frozen=True)
class Pair:
    """Two sources compared over a whole tensor."""

    first: str
    second: str
    max_abs: float
    max_rel: float
    #: the largest error divided by its tolerance: ≤ 1 passes
    worst_ratio: float
    failing: int
    tolerance_source: str

    @property
    def passed(self) -> bool:
        return self.failing == 0


@dataclass(frozen=True)
class TensorResult:
    """Everything known about ∂J/∂(one tensor)."""

    name: str
    shape: tuple[int, ...]
    owner: str
    verdict: Verdict
    pairs: tuple[Pair, ...]
    odd_one_out: str | None = None
    explanation: str | None = None
    worst: tuple[Entry, ...] = ()
    #: per-entry error / tolerance of the failing pair, for small tensors (row-major)
    grid: tuple[tuple[float, ...], ...] = ()


@dataclass(frozen=True)
class ForwardCheck:
    """J and the network output as the SymPy math and the NumPy forward compute them."""

    symbolic: float
    numpy: float
    abs_error: float
    tolerance: float
    output: tuple[float, ...]

    @property
    def passed(self) -> bool:
        return self.abs_error <= self.tolerance


@dataclass(frozen=True)
class LayerInfo:
    index: int
    op: str
    n_in: int
    n_out: int
    params: dict[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class SpecResult:
    """The check of one spec file."""

    name: str
    path: str
    seed: int
    batch: int
    loss: str
    reduction: str
    layers: tuple[LayerInfo, ...]
    forward: ForwardCheck | None
    tensors: tuple[TensorResult, ...]
    error: str | None = None

    @property
    def verdict(self) -> Verdict:
        if self.error is not None:
            return "error"
        ok = all(t.verdict == "pass" for t in self.tensors)
        return "pass" if ok and (self.forward is None or self.forward.passed) else "fail"


@dataclass(frozen=True)
class Report:
    """A run over one or more specs."""

    specs: tuple[SpecResult, ...]

    def count(self, verdict: Verdict) -> int:
        return sum(1 for s in self.specs for t in s.tensors if t.verdict == verdict) + sum(
            1 for s in self.specs if verdict == "error" and s.error is not None
        ) + sum(1 for s in self.specs if verdict == "fail" and s.forward and not s.forward.passed)

    @property
    def passed(self) -> bool:
        return all(s.verdict == "pass" for s in self.specs)
