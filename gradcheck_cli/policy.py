"""Numerical policy: every step size, safety factor and tolerance constant, in one place.

Nothing else in the package writes a literal such as ``1e-6``; it asks this module.
"""

from __future__ import annotations

import numpy as np

#: Unit round-off of the reference dtype (float64): 2.2e-16.
EPS = float(np.finfo(np.float64).eps)

#: Central-difference step relative to the size of the entry: h = EPS**(1/3) * max(1, |θ|).
#: The truncation error of a central difference is about h²|f'''|/6 and its round-off about
#: EPS|f|/h; their sum is smallest near h = (3 EPS)^(1/3) ≈ 8.7e-6, so EPS**(1/3) ≈ 6.1e-6
#: balances them for f and its third derivative of order one.
CENTRAL_STEP = EPS ** (1.0 / 3.0)

#: Complex-step size relative to max(1, |θ|): Im f(θ + ih)/h has truncation error ~h²|f⁽³⁾|
#: and no subtraction, so h can be far below √EPS; 1e-20 makes truncation vanish next to rounding.
COMPLEX_STEP = 1e-20

#: Largest imaginary part (relative to the values it rides on, which are O(1) or larger) for which
#: the structure-aware complex step carries imaginary parts alone through the layers after the
#: perturbed one: there Im g(a + ib) = b·g'(a)(1 + O(b²)) and the O(b²) is far below an ulp.
LINEAR_IMAGINARY = 1e-12

#: User code: a tensor whose RMS is within this factor of 1 counts as of order one, and its
#: entries step relative to max(1, |θ|); a smaller tensor steps relative to this factor times
#: its RMS (``fd.steps.unit``). One decade: weights of 0.1 keep the steps of order one.
STEP_SCALE_DECADE = 10.0

#: User code: a pass whose tolerance exceeds this share of the gradient's largest entry, in the
#: precision the check is judged in, says so (errors below it could not be seen).
USER_RESOLUTION = {"float64": 1e-6, "float32": 1e-2, "float16": 0.5}

#: A complex-step derivative is exact up to the rounding of the forward's arithmetic: allow this
#: many ulps of the tensor's largest entry (as for two analytic gradients).
COMPLEX_ULPS = 1024.0

#: A kinked op's input counts as *on* its kink when moving it by this many ulps (of max(1, |z|))
#: either way changes its piece. The complex step never moves a real part, so it cannot see a
#: kink: there it would silently take one piece's derivative. ``auto`` then takes central
#: differences, whose stencils straddle the kink and are judged against one-sided differences.
#: A few ulps is "exactly there, up to the rounding of the forward that computed z"; an input
#: merely near a kink is on a smooth piece, where the complex step is exact.
KINK_ULPS = 16.0

#: ``avoid_kinks`` moves the point until every kinked input is at least this far from its kink
#: (relative to max(1, |z|)): 10× beyond the central stencil's reach (a step of ε^(1/3) ≈ 6e-6
#: moves z by about that much times an activation or weight of order one), so no stencil
#: straddles. The move is random, relative to max(1, |θ|), seeded, and grows tenfold per try.
KINK_CLEARANCE = 1e-4
KINK_MOVE = 1e-3
KINK_MOVE_TRIES = 4

#: Forward-difference step: truncation h|f''|/2 against round-off 2 EPS|f|/h gives h ≈ √EPS.
FORWARD_STEP = EPS**0.5

#: The rounding noise of one forward evaluation, in units of EPS·|J|. A loss is a sum of many
#: rounded terms whose errors partly cancel; 64 ulps covers batch sums of a few thousand terms
#: (√n growth) with room to spare, and is still 10⁵ times smaller than any bug worth reporting.
FORWARD_NOISE_ULPS = 64.0

#: Rounding noise of the forward is also measured (Moré & Wild's ECnoise): J is evaluated at
#: NOISE_POINTS points spaced NOISE_SPACING·max(1, |θ|) apart along a random direction, where
#: the smooth part of high-order differences is ~spacing^k and only rounding noise remains.
NOISE_POINTS = 8
NOISE_SPACING = 1e-9
#: Orders of differences averaged into the noise estimate (ECnoise uses orders up to 6).
NOISE_ORDERS = (2, 3, 4, 5, 6)
#: A difference table is one of noise when the estimates of all its orders agree within this
#: factor (Moré & Wild accept a level on agreement within 10). Of pure-noise runs of 16 points,
#: 99.9 % agree within 3.5; rounding noise of real functions, which takes few distinct values,
#: within 31 in 99 %, hence the decision by the majority of several runs (``fd.noise.settled``).
NOISE_AGREEMENT = 10.0

#: Two analytic gradients (symbolic, backprop) agree to rounding: they are allowed this many
#: ulps of the largest entry of the tensor (sums over a batch of width n lose about √n ulps).
ANALYTIC_ULPS = 1024.0

#: A finite difference passes when its distance is below this multiple of its error estimate.
#: The estimate (Richardson truncation + round-off) is itself an estimate; a factor 4 keeps a
#: correct gradient from failing when the estimate is low by a little, and a wrong one (an
#: error of order the gradient itself) is still 10⁴–10⁶ times over it.
ESTIMATE_SAFETY = 4.0

#: Smallest scale used when forming relative errors, so a 0 entry does not divide by zero.
TINY = 1e-300

#: Largest width of a layer and largest number of examples a spec may ask for, and largest
#: number of entries in any one array: beyond these a spec is refused before memory is spent.
MAX_WIDTH = 100_000
MAX_ENTRIES = 4_000_000

#: Random directions tried in a directional check. Each entry of a direction is ±(1 + k/L), k
#: uniform in 0..L-1 (L = ``DIRECTION_LEVELS``), so every direction sees every entry with a
#: weight of at least 1 and a single wrong entry is caught by any one of them. Wrong entries can
#: cancel along a direction, but for any error vector that is not 0 the weight of one wrong entry
#: must then take the one value that cancels the rest: 1 chance in 2L = 16. Four directions miss
#: it at most 1 time in 16⁴ ≈ 65,000. (With weights ±1 alone a swapped pair of entries cancels
#: along half of all directions, and four would miss it 1 time in 16.) Each direction costs about
#: one forward+backward pass (the complex step through every layer); four keep a check within
#: ~6–8× of one such pass at 100,000 parameters (``benchmarks/compare_checkers.py``).
DIRECTIONS = 4
#: Levels of a direction's entries: a power of two, at most 8 (each entry takes four random
#: bits: a sign and three for the level).
DIRECTION_LEVELS = 8

#: Above this many differentiated entries, `mode: auto` checks directionally instead of fully.
DIRECTIONAL_THRESHOLD = 250_000

#: How many of the worst entries a report lists.
WORST_ENTRIES = 5

#: Largest number of perturbed entries the numeric engine evaluates in one vectorised call, and
#: the most array entries such a call may hold: 2¹⁷ entries = 1 MiB in float64, 2 MiB in complex
#: (measured on a 2-core VM at 100,000 parameters: 2¹⁷–2¹⁸ fastest; from 2¹⁹ on the stacks no
#: longer fit in cache, and the allocator hands their pages back to the system after every call,
#: which costs more than the arithmetic — 2× slower at 2²⁰).
PERTURBATION_CHUNK = 4096
PERTURBATION_BUDGET = 2**17

#: Entries of a tensor, the most suspect first, that plain differences of the whole forward
#: recompute when the numeric engine took a shortcut there (``engines.recheck``): each costs four
#: forward passes of the whole network. If the shortcut is wrong at one of them, every other
#: entry where the sources disagree is recomputed too.
RECHECK_ENTRIES = 64

#: Widest full covariance whose inverse the symbolic engine takes from SymPy (a Cholesky factor
#: and a triangular solve in Python arithmetic: 0.02 s at 10, 0.2 s at 30, 2 s at 60 on a 2-core
#: VM); wider, it takes NumPy's eigendecomposition, which no NumPy forward or backward uses.
SYMPY_INVERSE_WIDTH = 32

#: Largest tensor shown as a per-entry error grid in the console.
GRID_MAX_ENTRIES = 64

#: A diagnosis (scale factor, transpose, sign) is accepted when it explains the difference to
#: within this fraction of the difference's size.
DIAGNOSIS_RESIDUAL = 1e-6

#: A failure is said to lie in one row (column) only when it holds beyond the error bars: at
#: least two entries of it over this many times their tolerance, every entry elsewhere under
#: 1/this of its own. Entries failing by a little from an underestimated noise make no pattern.
PATTERN_MARGIN = 2.0

#: Claims (hand-derived formulas) are compared with the derived truth at this many random
#: points that respect the declared assumptions; two random points agreeing by accident is
#: already improbable, five leaves no practical doubt.
CLAIM_POINTS = 5

#: A point where the truth or the claim is not finite (log of a negative, …) is redrawn up to
#: this many times.
CLAIM_REDRAWS = 20

#: Two exact formulas evaluated in float64 differ only by rounding, amplified by the condition
#: of the computation (inverses, determinants of homework-sized matrices: ≲ 10⁴). 1e-8 relative
#: to the largest entry leaves that room and still separates any real mistake (a wrong term or
#: factor changes entries by O(1) relative).
CLAIM_RTOL = 1e-8

#: Seconds the element-wise SymPy proof may take once the proof in matrix form did not settle a
#: claim (the matrix form proves the usual identities in milliseconds; this is the fallback).
ELEMENTWISE_PROOF_BUDGET = 2.0

#: A repair that edits the claim's text (one sign flipped inside it, one operand transposed)
#: tries at most this many changes, outermost first: each costs a compilation and, when its
#: shape fits, one evaluation at the points (a proof only when those agree); a homework answer
#: has far fewer pieces than this.
REPAIR_CANDIDATES = 48

#: Seconds the search for a proved repair of a wrong claim may take in all (a claim that does not
#: type-check, or has the wrong shape): beyond it the verdict stands without the repair.
REPAIR_BUDGET = 10.0

#: Seconds the matrix-calculus engine may spend on one derivative or one canonical form.
MATRIX_BUDGET = 5.0

#: The matrix-form answer is compared with SymPy's element-wise derivative (exact, slow to
#: evaluate) at this many of a question's random points, and with the complex step at as many;
#: once it agrees, the truth at every point is the answer's NumPy value. A wrong formula that
#: agrees with two independent witnesses at two random points does not happen in practice.
WITNESS_POINTS = 2

#: SymPy tries to prove claim − truth = 0 only for differences of at most this many operations
#: (a size gate decides the same way on every machine; the time budget above is a safety net).
PROOF_MAX_OPS = 2000

#: Seconds SymPy may spend building f and its derivative at the declared sizes (a symbolic
#: inverse of a 7×7 matrix alone takes seconds); beyond it the question is refused as too big.
DERIVE_BUDGET = 20.0

#: Seconds spent putting a wrong claim's residual (claim − truth) in a readable form.
RESIDUAL_BUDGET = 10.0

#: Residuals and term comparisons are only attempted on expressions of at most this many SymPy
#: operations. A size gate, unlike a timer, gives the same answer on a fast and a slow machine,
#: so reports stay byte-identical; 500 operations simplify in well under a second.
RESIDUAL_MAX_OPS = 500

# --- Limits on every step (untrusted input: nothing may hang a run or exhaust memory) --------

#: Seconds SymPy may spend evaluating f, its derivative or a claim at one random point.
#: Homework-sized formulas take milliseconds; a formula that needs more is hostile or absurd.
EVALUATE_BUDGET = 5.0

#: Intermediate values beyond this magnitude (or not finite) are taken in float arithmetic
#: instead of SymPy's arbitrary precision: e^(e^(e^4)) has 10⁸ digits and ``evalf`` would
#: build it in C, for minutes and gigabytes, where no alarm reaches.
EVALUATE_MAX_MAGNITUDE = 1e300

#: Seconds one question (or one claim of a network spec) may take in all — derivation, points,
#: proof and diagnosis; ``--budget`` overrides it. Above the steps' own budgets, so a question
#: that merely uses them up is still judged.
QUESTION_BUDGET = 60.0

#: Seconds one spec file may take in all (``--file-budget``): two questions that use their whole
#: budget; and a whole run (``--run-budget``, none by default: a run's length is the number of
#: files it was given).
FILE_BUDGET = 120.0
RUN_BUDGET: float | None = None

#: Seconds and SymPy operations for printing a derivative (``gradcheck expr`` without
#: ``--claim``, ``gradcheck derive``): a formula of more operations is not printed.
PRINT_BUDGET = 10.0
PRINT_MAX_OPS = 20_000

#: Largest number of entries of one intermediate array of the symbolic engine (batch × out × in
#: for a dense layer's local derivative): 2²⁴ float64 entries = 128 MiB, of which an evaluation
#: holds two or three at once.
SYMBOLIC_MAX_ENTRIES = 2**24

#: Most activations a network may have over its batch (batch × the sum of its widths): each
#: engine keeps them and as many cotangents, three engines at once; 2²² float64 numbers = 32 MiB
#: each copy. A batch of 100 through 40 layers of width 1,000 fits.
MAX_ACTIVATIONS = 2**22

#: Most multiply-adds a claim on a network spec may take over the whole batch (it is evaluated
#: per example): 10⁹, about a second of NumPy; a homework claim takes thousands.
CLAIM_MAX_WORK = 1e9

#: Worker processes that judge untrusted questions (``isolation``): the address space each may
#: map beyond what it inherited from the fork and the CPU seconds it may use
#: (``resource.setrlimit``), and how many run at once.
WORKER_MEMORY = 2 * 2**30
WORKER_CPU_SECONDS = 600
WORKERS = 2

#: Seconds one student's answer to one question may take to judge when a class is graded
#: (``gradcheck grade``; ``--budget`` overrides it): a homework answer takes well under one, so
#: a hostile answer (a tower of exps) costs the batch this much and no more.
GRADE_ANSWER_BUDGET = 20.0

#: Diagnosis kinds listed per question in a class summary, most common first.
GRADE_SUMMARY_KINDS = 3

# --- User gradient code (``gradcheck_cli.usercode``) ------------------------------------------

#: Random cotangents a VJP or a layer's backward is probed with. One random probe already
#: exposes any wrong linear map with probability 1; three make an error that is small in one
#: direction unlikely to hide, and cost only three calls of the user's vjp.
USER_PROBES = 3

#: Probes are drawn from {±1/8, ±2/8, …, ±1}: exact in binary and short in messages.
USER_PROBE_LEVELS = 8

#: Outputs with at most this many entries are also checked row by row (the full Jacobian, one
#: vjp call per output entry): small layers are where an index mix-up is cheapest to pin down.
USER_JACOBIAN_MAX = 64

#: ``mode="auto"`` checks user code entry by entry up to this many entries to differentiate (all
#: inputs together), and along random directions above. A full check costs six calls of the
#: function per entry (four more per shrink of a step, where it is not smooth): at 2,000 entries
#: ~12,000 calls, about half a second for a small NumPy function, and it proves every entry. A
#: directional check costs the noise measurement (~130 calls) and ~6 calls per direction and
#: input whatever the size, plus ~12 per halving to locate a wrong entry.
USER_DIRECTIONAL_THRESHOLD = 2_000

#: Most stencils a directional check of one input of user code takes while splitting directions
#: whose stencil is not smooth at any step (kinks at the point itself, each isolated in ~2·log₂N
#: stencils of up to 22 calls); beyond it parts are judged as they are (by the stencil's bound,
#: kink term included), so that a function with a kink in every entry cannot split its way into
#: N·log₂N stencils.
USER_KINK_STENCILS = 4096

#: A full check of user code expected to take longer than this many seconds says so on standard
#: error before its per-entry pass starts (its estimate: the measured time of a call × the calls
#: it will make), then reports its progress every ``USER_PROGRESS_SECONDS``.
USER_ANNOUNCE_SECONDS = 10.0
USER_PROGRESS_SECONDS = 5.0

#: ECnoise spacing by the precision the user's function computes in. It must move the inputs
#: by many ulps of that precision (else the samples are identical and no noise is seen) while
#: the smooth part of the 4th differences (~spacing⁴) stays below its rounding: 1e-9 suits
#: float64 (``NOISE_SPACING``); 1e-5 is ~100 float32 ulps with 1e-20 smooth part; 1e-2 likewise
#: for float16.
USER_NOISE_SPACING = {"float64": NOISE_SPACING, "float32": 1e-5, "float16": 1e-2}

#: A function whose measured noise exceeds this fraction of |J| computes below float64: a
#: float64 computation's noise is tens of ulps (≲ 1e-14 |J|), a float32 one's at least one
#: float32 ulp (≳ 6e-8 |J|). Their geometric mean, ~2e-11, rounded down to 1e-11, splits
#: them with three decades or more on each side.
PRECISION_LIMITED_NOISE = 1e-11

#: The user's function's rounding noise is measured by ECnoise along this many random
#: directions of this many points each (all starting from the given point), combined as a root
#: mean square. Measured on float32 and float64 MLP losses against 160 such runs: one run of 8
#: points (the spec engine's ``NOISE_POINTS``) saw as little as 0.0–0.2× the noise (a float32
#: run can be exactly polynomial) and 1 run in 10 saw under 0.4×; the RMS of 4 runs of 16 was
#: within 0.65–1.56×, of 8 runs within 0.77–1.22×. 120 calls: the cost of 20 entries.
USER_NOISE_DIRECTIONS = 8
USER_NOISE_POINTS = 16

#: Where most runs are not settled (their orders disagree: f varies on a scale near the spacing,
#: as a near-singular matrix's inverse does on that of its smallest singular value), the noise
#: is measured again at a spacing this many times narrower, at most ``USER_NOISE_RESPACINGS``
#: times (1e-9 → 1e-15 relative: still several ulps of the inputs).
USER_NOISE_NARROWING = 100.0
USER_NOISE_RESPACINGS = 3
#: Two spacings whose noise agrees within this factor see rounding, not f's smooth part: the RMS
#: of 8 runs is within 0.77–1.22× of the true noise (above); the smooth part changes 100-fold.
USER_NOISE_STEADY = 2.0

#: The user's gradient's own rounding noise is measured as f's is (ECnoise at
#: ``USER_NOISE_SPACING``), along this many random directions of this many points each (the
#: fewest that orders 2–6 allow): the rounding it is entitled to beside ``ANALYTIC_ULPS``. It
#: grows with the conditioning — 1e-10 relative for a function of inv(A) at cond(A) = 1e6, a
#: million ulps — and with cancellation, (x sin x − 2(1 − cos x))/x³ at x ~ 1e-3 keeps 3
#: digits, where a fixed count of ulps fails a correct gradient. 14 more calls of the gradient.
USER_GRADIENT_NOISE_DIRECTIONS = 2
USER_GRADIENT_NOISE_POINTS = 8

#: The round-off term of a user-code error bound is this many standard deviations of the
#: value's rounding error, so that with ``ESTIMATE_SAFETY`` the tolerance holds 8 of them. The
#: largest of N rounding errors reaches about √(2 ln N) standard deviations: 4.8 for N = 10⁵
#: (entries × probes), which one of 10⁵ Gaussians exceeds with probability 0.16; 6.4 with
#: 1.6e-5. σ is itself measured, 0.77× the true noise at worst (above): 8 × 0.77 ≈ 6.2. With
#: one standard deviation (4 in the tolerance) a correct 1,000-parameter float64 MLP reached
#: 0.97 of its tolerance; with two, the worst of 256 correct MLPs (float32 and float64, tanh
#: and ReLU, 100 and 1,000 parameters) and 3,600 correct student layers reached 0.5.
USER_NOISE_SIGMAS = 2.0

#: The noise of a returned value is at least its own rounding: round-to-nearest errs uniformly
#: within ±ulp/2, a standard deviation of ulp/√12, and ulp(f) ≥ ε|f|/2. So σ ≥ ε|f|/(2√12) ≈
#: 0.14 ε|f| (measured: 0.2–0.45 ε|J| for MLP losses in float32 and float64). This floor
#: replaces an a-priori 64 ulps, which was 150× the measured noise of a float32 MLP loss and
#: made its tolerance 0.02 where the finite differences were good to 3e-5.
OUTPUT_ROUNDING = 1.0 / (2.0 * np.sqrt(12.0))

#: First step of the user-code stencil, s = ν^p·max(1, |θ|), ν = σ/Σ|c_j f_j| the measured noise
#: relative to the terms J_c sums (the textbook ε^(1/3) for central differences with ν for ε).
#: Richardson's error bound is dominated by its smoothness term (5/8)|f⁽⁴⁾|s³ plus round-off
#: σ/s; with |f⁽⁴⁾| of the order of those terms, their sum is least near s = ν^(1/4): 1.2e-4 for
#: float64 (ν ≈ 7e-17), 1.6e-2 for float32 (ν ≈ 4e-8), after rounding to a power of two.
#: Central differences: h²|f‴|/6 against σ/h gives ν^(1/3).
RICHARDSON_STEP_POWER = 1.0 / 4.0
CENTRAL_STEP_POWER = 1.0 / 3.0

#: The stencil is shrunk (s → s/4) when its smoothness statistic Q exceeds this many standard
#: deviations σ_Q = √84·σ of its rounding noise. Q is 15 f⁽⁴⁾s⁴ for a smooth f, so the bound's
#: smoothness term (5/8)|f⁽⁴⁾|s³ is 0.37·(Q/σ_Q) times its round-off term 1.02σ/s; a shrink
#: divides the first by 64 and multiplies the second by 4, which lowers the bound only when the
#: first is over 3 times the second: Q > 8σ_Q. A kink within the stencil makes Q of the order of
#: s times the slope jump, hundreds of σ_Q at these steps, and is shrunk away; a kink too weak
#: to pass 8σ_Q is still covered by the bound's kink term.
USER_SMOOTHNESS_Z = 8.0

#: Most times the stencil of one entry is shrunk (by 4 each time, ÷256 in all). A kink's Q
#: falls with the step and drops below noise after a few shrinks; only a jump or a kink at θ
#: itself keeps it up, and there no step is right: the bound's kink term carries the error.
#: Measured on ~1,000-parameter MLPs: float32 ReLU, 72 % of entries need no shrink, 19 % one,
#: 6 % two, 2.5 % three, 0.3 % reach four; float64 ReLU 1 % one; tanh (smooth) 0.3–0.8 % one.
USER_STEP_SHRINKS = 4

#: Beyond ``USER_STEP_SHRINKS``, a stencil still not smooth at its scale keeps shrinking, up to
#: ``USER_STEP_SHRINKS_MAX`` times in all (÷4¹⁶ ≈ 4e9: a first step of 1e-4 ends below 1e-13),
#: unless its smoothness statistic Q behaves as at a kink on θ or a jump: there no step is right
#: (the bound's kink term carries the error) and Q falls at most 4-fold per shrink (∝ s at a kink,
#: constant at a jump). Where f is smooth on a scale far below the first step — a function of a
#: near-singular matrix's inverse varies on the scale of its smallest singular value (1e-6 at
#: cond 1e6), sin(x) at x ~ 1e8 on the scale of 1 where a step relative to |θ| is 1e4 — Q rises
#: as the stencil closes in on that scale and then falls 256-fold per shrink (∝ s⁴): shrinking
#: goes on while Q rises or falls more than ``USER_STEP_SETTLING``-fold per shrink.
#: A stencil point outside f's domain (nan, inf or an exception, while f is defined at θ) shrinks
#: the step too, within the same 16.
USER_STEP_SHRINKS_MAX = 16

#: A first stencil that suits f but resolves a non-zero value only to worse than
#: ``USER_RESOLUTION`` for its round-off — a noisy or cancelling f smooth on a scale far above the
#: step ((1 − cos x)/x² at x ~ 1e-3 loses 6 digits to cancellation; its step, relative to the
#: tensor's scale 1e-2, is 1e-4 where f varies on the scale of 1) — is widened 4-fold at a time,
#: at most this many times (×256), while the wider one suits f and has the smaller bound.
USER_STEP_WIDENINGS = 4

#: The stencil is shrunk, too, where the truncation and kink terms of its bound exceed this many
#: times its round-off term: a shrink divides them by 4³ or more (Richardson; 4² for ``central``)
#: and multiplies the round-off by 4, which lowers their sum once they exceed 3.2× the round-off.
USER_TRUNCATION_Z = 4.0
USER_STEP_SETTLING = 16.0
