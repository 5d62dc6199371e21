"""Directional checks of user code: the user's gradient projected on random directions against
the derivative of f along them, and bisection to a wrong entry.

A full check takes one stencil per entry; a direction takes one stencil for every entry of an
input at once. Each input is checked on its own (the others held at the point), so each gets its
own verdict, as in a full check. Along a direction v, f is moved to θ + t·v and J_c = ⟨c, f⟩ is
differenced in t by ``fd.richardson`` — the stencil, step shrinking and error bound of a full
check, with the first step t₀ = ν^(1/4) (ν^(1/3) for ``central``) from the same measured noise
(``numerics.measure``) and rounded the same way (``fd.steps``). The entries of v are those of a
spec's directional check (``engines.directions.draw``: ±(1 + k/8)) times the entry's step unit
(``fd.steps.unit``), so every entry moves by 1–2× the step a full check gives it.

The projection vᵀg of the user's gradient g is judged against the difference D_v by the one
tolerance formula (``fd.tolerance.allowed``): ``ESTIMATE_SAFETY`` × D_v's error bound + the
rounding of vᵀg (``ANALYTIC_ULPS`` ulps, of the precision the user's code computes in, of
Σ|vᵢgᵢ|, the size of its terms) + the user's ``atol`` per unit of Σ|vᵢ| and ``rtol`` of Σ|vᵢgᵢ|.
A single wrong entry moves vᵀg by at least |vᵢ| times its error. The search — splitting directions
that may cross kinks, judging a single entry there as a full check does, and halving a failing
direction down to one entry — is the spec path's (``engines.directional.search``). A part may
cross kinks when its stencil is not smooth at any step tried (a kink at θ itself), or when it had
to shrink its step and disagrees with the user's gradient: kinks of several entries at θ can
cancel along a direction, which its error bound cannot see, and in float32 the noise hides a
kink's roughness at the smallest steps. A part that agrees is judged as it is; one that crosses
is split until its parts agree, are smooth, or are single entries.

Precision: the point is rounded to the precision f computes in, and so is every point of a
stencil; that rounding of all the entries at once is measured with the rest of f's noise (the
noise samples are rounded alike), so the nominal t is the coordinate of the difference.

What a directional pass does not prove: errors in several entries that cancel along every
direction tried, and single-entry errors below the directional resolution (reported as a caution
when it is coarse), which grows with the number of entries; ``mode="full"`` proves every entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from gradcheck_cli import policy, streams
from gradcheck_cli.arrays import Array
from gradcheck_cli.engines.directional import Outcome, SourceCheck, search
from gradcheck_cli.engines.directions import Segment, Stencil, draw
from gradcheck_cli.fd import richardson, steps, tolerance
from gradcheck_cli.fd.stencils import Sides
from gradcheck_cli.results import DirectionalCheck, Entry, Pair, TensorResult
from gradcheck_cli.usercode.calls import UserCodeError
from gradcheck_cli.usercode.numerics import Evaluate, Measured, _f64, _rounded, tolerant
from gradcheck_cli.usercode.options import Options
from gradcheck_cli.usercode.verdict import SOURCES


@dataclass
class Lines:
    """Random directions over the entries of one input, and the Richardson differences of every
    J_c along (parts of) them, each taken once whichever probe or search step asks for it."""

    evaluate: Evaluate
    measured: Measured
    name: str
    probes: Array
    #: the weights of the directions: (directions, entries)
    u: Array
    options: Options
    done: dict[Segment, richardson.Derivative] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.shape = np.shape(self.measured.values[self.name])
        self.flat = np.asarray(self.measured.values[self.name], dtype=np.float64).reshape(-1)
        self.count, self.total = self.u.shape
        self.base = self.probes @ self.measured.output
        # the rule of a full check's steps, for a unit of 1: the weights carry each entry's unit
        self.step = float(steps.from_noise(np.ones(1), self.measured.noise, self.options.scheme,
                                           self.options.step)[0])

    def difference(self, segment: Segment) -> richardson.Derivative:
        """The Richardson difference along ``segment``, as a full check takes one along an entry
        (its step shrunk where f is not smooth, or not defined, at a wider one).

        Raises:
            UserCodeError: f is not defined on some side of the point along it, even at the
                smallest step.
        """
        if segment not in self.done:
            options, dtype = self.options, self.measured.precision.dtype
            # a step the user chose is not widened
            resolution = policy.USER_RESOLUTION[dtype] if options.step is None else np.inf
            failures: list[UserCodeError] = []
            found = richardson.derivative(tolerant(self._mover(segment), failures), 0.0, self.base, self.step,
                                          self.measured.sigma, options.scheme == "richardson", resolution)
            if found is None:
                last = failures[-1]
                raise UserCodeError(last.message, details=last.details, hint=(
                    f"it is not defined on both sides of the point along a random direction of {self.name}, "
                    "even at the smallest step: check it at a point inside its domain"))
            self.done[segment] = found
        return self.done[segment]

    def kinked(self, found: richardson.Derivative) -> bool:
        """Whether a difference ended as a kink on the point ends one: its step shrunk the full
        ``USER_STEP_SHRINKS`` times or more without leaving f's domain (the levels settled
        around a slope jump, where no step is right)."""
        return not found.edge and found.step <= self.step / richardson.SHRINK ** policy.USER_STEP_SHRINKS

    def splits(self) -> bool:
        """Whether parts that cross kinks may still be split: not beyond ``USER_KINK_STENCILS``
        stencils, after which every part is judged as it is (a function with a kink in every
        entry cannot split its way into N·log₂N stencils)."""
        return len(self.done) < policy.USER_KINK_STENCILS

    def _mover(self, segment: Segment) -> richardson.Probe:
        move = np.zeros(self.total)
        move[segment.lo:segment.hi] = self.u[segment.k, segment.lo:segment.hi]
        dtype = self.measured.precision.dtype
        part = "" if segment.size == self.total else f" (entries {segment.lo}…{segment.hi - 1})"

        def probe(offset: float) -> tuple[float, Array]:
            point = _rounded(self.flat + offset * move, dtype).reshape(self.shape)
            doing = (f"along random direction {segment.k + 1} of {self.name}{part}, "
                     f"{'+' if offset > 0 else '-'} {abs(offset):.3g}")
            out = self.evaluate({**self.measured.values, self.name: point}, doing)
            return offset, self.probes @ _f64(out).reshape(-1)

        return probe


@dataclass
class View:
    """``Lines`` as one probe's subject of ``engines.directional.search`` (its ``Along``)."""

    lines: Lines
    probe: int
    #: unit round-off of the precision the user's gradient is computed in
    eps: float
    #: the user's gradient under this probe, flat
    g: Array

    @property
    def u(self) -> Array:
        return self.lines.u

    @property
    def count(self) -> int:
        return int(self.lines.count)

    @property
    def total(self) -> int:
        return int(self.lines.total)

    def full(self) -> list[Segment]:
        return [Segment(k, 0, self.total) for k in range(self.count)]

    def project(self, g: Array, segments: Sequence[Segment]) -> tuple[Array, Array]:
        """vᵀg over each segment, and Σ|vᵢgᵢ| there."""
        terms = [self.u[s.k, s.lo:s.hi] * g[s.lo:s.hi] for s in segments]
        return np.array([t.sum() for t in terms]), np.array([np.abs(t).sum() for t in terms])

    def evaluate(self, segments: Sequence[Segment]) -> Stencil:
        found = [self.lines.difference(s) for s in segments]
        value = np.array([d.value[self.probe] for d in found])
        error = np.array([d.error[self.probe] for d in found])
        # at a kink the Richardson value's own bound, widened as one-sided differences are
        low, high = tolerance.between(Sides(value, value, error, error))
        crossed = np.array([self._crossing(s, d) for s, d in zip(segments, found, strict=True)])
        return Stencil(value, error, crossed, low, high)

    def _crossing(self, segment: Segment, found: richardson.Derivative) -> bool:
        """Whether the part along ``segment`` may cross kinks, and is split rather than judged
        whole: its difference ended as one at a kink on the point does; or its step had to shrink
        and the part disagrees with the user's gradient — kinks of several entries at the point
        can cancel along it, which its error bound cannot see, so the disagreement is not yet
        evidence (in float32 the noise hides a kink's roughness at the smallest steps). A part
        that agrees is judged as it is."""
        if not self.lines.splits():
            return False
        if self.lines.kinked(found):
            return True
        if found.step >= self.lines.step:
            return False
        p, scale = self.project(self.g, [segment])
        value, error = found.value[self.probe:self.probe + 1], found.error[self.probe:self.probe + 1]
        whole = Stencil(value, error, np.zeros(1, dtype=bool), value, value)
        return bool(np.abs(p - value)[0] > self.allowed([segment], whole, scale)[0])

    def allowed(self, segments: Sequence[Segment], found: Stencil, scale: Array) -> Array:
        options = self.lines.options
        weight = np.array([np.abs(self.u[s.k, s.lo:s.hi]).sum() for s in segments])
        tol = tolerance.allowed(scale, found.error, eps=self.eps, rtol=options.rtol, reference=scale)
        return tol + (options.atol or 0.0) * weight

    def entry(self, i: int) -> tuple[str, tuple[int, ...]]:
        shape = self.lines.shape
        return self.lines.name, tuple(int(j) for j in np.unravel_index(i, shape)) if shape else ()

    def split(self, flat: Array) -> dict[str, Array]:
        return {self.lines.name: flat.reshape(self.lines.shape)}


@dataclass(frozen=True)
class Subject:
    """What the verdict on one input names: the user's code, the function's input, the probes."""

    who: str
    owner: str
    labels: Sequence[str]
    #: how many of the probes are random cotangents (0 for a loss); the rest are Jacobian rows
    random: int


def directions(seed: int, sizes: Sequence[int]) -> list[Array]:
    """The random directions of every input: one draw over all their entries (in ``wrt``
    order), cut per input, so that each input's directions depend only on the seed and the sizes."""
    u = draw(streams.rng(seed, streams.USER_DIRECTIONS), policy.DIRECTIONS, sum(sizes))
    cuts = np.cumsum([0, *sizes])
    return [u[:, cuts[j]:cuts[j + 1]] for j in range(len(sizes))]


def judge(lines: Lines, user: Array, eps: float, dtype: str,
          subject: Subject) -> tuple[TensorResult, DirectionalCheck]:
    """The verdict on ∂/∂(one input) from its directions, under every probe (``user``: the
    user's gradients, (probes, entries)), and the directional evidence."""
    outcomes = [search(View(lines, c, eps, user[c]), {"user": user[c]}) for c in range(user.shape[0])]
    checks = [o.checks[0] for o in outcomes]
    ratios = np.array([c.worst_ratio for c in checks])
    random_fails = subject.random > 0 and ratios[:subject.random].max() > 1
    p = int(np.argmax(ratios[:subject.random] if random_fails else ratios))
    check, name = checks[p], lines.name
    worst = _located(View(lines, p, eps, user[p]), check, user[p]) if not check.passed else ()
    max_abs, max_rel = _differences(lines, user)
    explanation = None if check.passed else _explanation(check, subject, p, lines, worst)
    source = _source(lines)
    # a directional failure names one entry; a pass none
    pair = Pair(*SOURCES, max_abs, max_rel, float(ratios.max()), 0 if check.passed else 1, source)
    tensor = TensorResult(name, lines.shape, subject.owner, "pass" if check.passed else "fail", (pair,),
                          odd_one_out=None if check.passed else "user", explanation=explanation,
                          worst=worst, kinks=_kinks(outcomes, name),
                          caution=_caution(lines, user, eps, dtype) if check.passed else None,
                          probe=subject.labels[p])
    located = check.located
    evidence = DirectionalCheck(
        source=f"`{subject.who}` for {name}" + (f" (× {len(checks)} cotangents)" if len(checks) > 1 else ""),
        directions=lines.count, worst_ratio=float(ratios.max()), passed=check.passed,
        tensor=located.tensor if located else None, index=located.index if located else (),
        analytic=located.analytic if located else None, numeric=located.numeric if located else None,
        kinks=max(o.crossing for o in outcomes))
    return tensor, evidence


def _source(lines: Lines) -> str:
    """The tolerance in words."""
    overrides = [n for n in ("atol", "rtol") if getattr(lines.options, n) is not None]
    return (f"directional: {policy.ESTIMATE_SAFETY:g} × the error estimate of the difference along each of "
            f"{lines.count} random directions + {policy.ANALYTIC_ULPS:g} ulps of Σ|vᵢgᵢ|"
            + (f" + {'/'.join(overrides)}" if overrides else ""))


def _differences(lines: Lines, user: Array) -> tuple[float, float]:
    """The largest |vᵀg − D_v| over the whole directions and the probes, and relative to the
    larger of the two."""
    whole = [Segment(k, 0, lines.total) for k in range(lines.count)]
    numeric = np.stack([lines.difference(s).value for s in whole])  # (directions, probes)
    projected = lines.u @ user.T
    err = np.abs(projected - numeric)
    rel = err / np.maximum(np.maximum(np.abs(projected), np.abs(numeric)), policy.TINY)
    return float(err.max(initial=0.0)), float(rel.max(initial=0.0))


def _located(view: View, check: SourceCheck, g: Array) -> tuple[Entry, ...]:
    """The entry bisection ended on, with its tolerance (that of its own one-entry stencil)."""
    located, lines = check.located, view.lines
    if located is None:
        return ()
    i = int(np.ravel_multi_index(located.index, lines.shape)) if lines.shape else 0
    single = next(s for s in lines.done if s.lo == i and s.hi == i + 1)
    found = view.evaluate([single])
    weight = abs(float(lines.u[single.k, i]))
    tol = float(view.allowed([single], found, np.array([abs(lines.u[single.k, i] * g[i])]))[0]) / weight
    err = abs(located.analytic - located.numeric)
    rel = err / max(abs(located.analytic), abs(located.numeric), policy.TINY)
    return (Entry(located.index, {"user": located.analytic, "numeric": located.numeric}, err, rel, tol),)


def _explanation(check: SourceCheck, subject: Subject, p: int, lines: Lines, worst: tuple[Entry, ...]) -> str:
    located = check.located
    assert located is not None and worst  # a failing search always bisects to an entry
    probe = f" ({subject.labels[p]})" if subject.labels[p] else ""
    head = (f"`{subject.who}` is wrong for `{lines.name}`{probe}: it differs from the finite differences "
            f"along random directions ({check.worst_ratio:.3g}× the tolerance); ")
    entry = f"{lines.name}{list(located.index)}" if located.index else lines.name
    where = f"{entry}: {located.analytic:.10g}, numeric {located.numeric:.10g}"
    if worst[0].abs_error <= worst[0].tolerance:
        # every half that still disagreed was followed, yet the last entry agrees on its own
        return head + (f"no single entry does on its own (bisection ended at {where}, within its tolerance): "
                       "the error is spread over several entries, each below what one entry's difference "
                       "resolves — mode='full' judges every entry")
    several = lines.total > 1
    text = f"bisection localised {where}" if several else where
    if located.kink is not None:
        text += (f" (its stencil is not smooth there; the difference allows "
                 f"[{located.kink[0]:.10g}, {located.kink[1]:.10g}])")
    others = "; other entries may be wrong too (a directional check names one)" if several else ""
    return head + text + others


def _caution(lines: Lines, user: Array, eps: float, dtype: str) -> str | None:
    """On a pass: the smallest error in one entry that every direction would have let through,
    where it is coarser than ``USER_RESOLUTION`` (of the precision judged in) of the gradient's
    largest entry."""
    whole = [Segment(k, 0, lines.total) for k in range(lines.count)]
    resolution = 0.0
    for c in range(user.shape[0]):
        view = View(lines, c, eps, user[c])
        found = view.evaluate(whole)
        _, scale = view.project(user[c], whole)
        tol = view.allowed(whole, found, scale)
        # per entry, the best direction: the error that moves vᵀg by its whole tolerance
        per_entry = (tol[:, None] / np.maximum(np.abs(lines.u), policy.TINY)).min(axis=0)
        resolution = max(resolution, float(per_entry.max(initial=0.0)))
    size = float(np.abs(user).max(initial=0.0))
    if resolution <= policy.USER_RESOLUTION[dtype] * size:
        return None
    share = f"{resolution / size:.0e} of its largest entry" if size > 0 else f"{resolution:.1e} while it is 0"
    return (f"could resolve an error in one entry of ∂/∂{lines.name} only above {share} along random "
            "directions: smaller ones would pass too (mode='full' resolves each entry on its own)")


def _kinks(outcomes: Sequence[Outcome], name: str) -> int:
    """Entries judged at a kink under some probe."""
    at = [o.kinks.at[name] for o in outcomes if name in o.kinks.at]
    return int(np.logical_or.reduce(at).sum()) if at else 0


Judged = tuple[TensorResult, DirectionalCheck]


def check_all(evaluate: Evaluate, measured: Measured, wrt: Sequence[str], probes: Array,
              user: Mapping[str, Array], eps: float, dtype: str, options: Options,
              subject: Subject) -> dict[str, Judged]:
    """Every input in ``user`` (those returned in their shape), each along its own directions."""
    sizes = [int(np.size(measured.values[n])) for n in wrt]
    found: dict[str, Judged] = {}
    for name, u in zip(wrt, directions(options.seed, sizes), strict=True):
        if name not in user:
            continue
        weights = u * steps.unit(measured.values[name]).reshape(-1)
        lines = Lines(evaluate, measured, name, probes, weights, options)
        found[name] = judge(lines, user[name], eps, dtype, subject)
    return found
