"""Random directions over all differentiated entries, and the flat layout they live in."""

from __future__ import annotations

import numpy as np
from problems import make_problem

from gradcheck_cli import policy
from gradcheck_cli.engines.directions import Directions, Segment, draw
from gradcheck_cli.ops.activations import Tanh
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.ops.losses import SquaredError


def test_directions_have_entries_of_every_weight_drawn_uniformly_from_the_seed() -> None:
    u = draw(np.random.default_rng(0), 4, 10_001)
    levels = policy.DIRECTION_LEVELS
    weights = np.concatenate([-(1 + np.arange(levels) / levels), 1 + np.arange(levels) / levels])
    values, counts = np.unique(u, return_counts=True)
    assert u.shape == (4, 10_001)
    assert np.array_equal(values, np.sort(weights))
    assert counts.min() > 0.8 * u.size / values.size and counts.max() < 1.2 * u.size / values.size
    assert np.array_equal(u, draw(np.random.default_rng(0), 4, 10_001))
    assert not np.array_equal(u, draw(np.random.default_rng(1), 4, 10_001))


def test_flat_entries_map_back_to_their_tensor_and_index() -> None:
    problem = make_problem([Linear(out=3), Tanh(), Linear(out=2)], SquaredError(), inputs=4, batch=2)
    d = Directions(problem, 2)
    assert d.total == 3 * 4 + 3 + 2 * 3 + 2 + 2 * 4  # W0, b0, W1, b1 and x
    flat = np.arange(d.total, dtype=float)
    tensors = d.split(flat)
    for i in (0, 13, 16, 22, 24):
        name, index = d.entry(i)
        assert tensors[name][index] == i
    assert np.array_equal(d.flat(tensors), flat)


def test_a_segment_halves_into_two_that_cover_it() -> None:
    left, right = Segment(3, 10, 15).halves()
    assert (left, right) == (Segment(3, 10, 12), Segment(3, 12, 15))
    assert left.size + right.size == 5
