"""Time a full three-engine check of a 3-layer tanh MLP (run by hand; prints figures).

    python benchmarks/bench_mlp.py                 # 20→32→16→10, 1,370 parameters, batch 32
    python benchmarks/bench_mlp.py --widths 100 64 32 10   # ≈ 9,000 parameters

The bar for issue 2: all three engines on ≥ 1,000 parameters and batch 32 in ≤ 10 s.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from gradcheck_cli.compare import compare
from gradcheck_cli.engines import Gradients, backprop, numeric, symbolic
from gradcheck_cli.ops.activations import Tanh
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.ops.losses import SoftmaxCrossEntropy
from gradcheck_cli.problem import Node, Problem


def mlp(widths: list[int], batch: int, seed: int = 0) -> Problem:
    rng = np.random.default_rng(seed)
    nodes, values = [], {}
    for layer, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        op = Linear(out=n_out)
        params = op.init_params(n_in, rng)
        names = {k: f"{k}{layer}" for k in params}
        values.update({names[k]: v for k, v in params.items()})
        nodes.append(Node(op, 2 * layer, n_in, n_out, names))
        if layer < len(widths) - 2:
            nodes.append(Node(Tanh(), 2 * layer + 1, n_out, n_out))
    k = widths[-1]
    return Problem(
        name="bench",
        seed=seed,
        x=rng.standard_normal((batch, widths[0])),
        y=np.eye(k)[rng.integers(k, size=batch)],
        nodes=tuple(nodes),
        loss=SoftmaxCrossEntropy(),
        values=values,
        wrt=tuple(values),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--widths", type=int, nargs="+", default=[20, 32, 16, 10])
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    problem = mlp(args.widths, args.batch)
    count = sum(v.size for v in problem.values.values())
    print(f"MLP {'→'.join(map(str, args.widths))}, tanh, softmax cross-entropy: "
          f"{count:,} parameters, batch {args.batch}")
    found: dict[str, Gradients] = {}
    total = 0.0
    for name, engine in (("symbolic", symbolic.gradients), ("backprop", backprop.gradients),
                         ("numeric", numeric.gradients)):
        start = time.perf_counter()
        found[name] = engine(problem)
        elapsed = time.perf_counter() - start
        total += elapsed
        print(f"  {name:<9} {elapsed:8.3f} s")
    start = time.perf_counter()
    result = compare(problem, found)
    elapsed = time.perf_counter() - start
    total += elapsed
    print(f"  {'compare':<9} {elapsed:8.3f} s")
    print(f"  {'total':<9} {total:8.3f} s   verdict: {result.verdict}")


if __name__ == "__main__":
    main()
