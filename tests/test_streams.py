"""Each random stream has its own key: the same seed gives the same numbers, and streams of one
seed are independent of each other."""

from __future__ import annotations

import numpy as np

from gradcheck_cli import streams

NAMES = ("NOISE", "KINK_MOVES", "DIRECTIONS", "PROBES", "USER_NOISE")
NAMED = {name: getattr(streams, name) for name in NAMES}


def test_every_stream_has_a_key_of_its_own():
    assert len(set(NAMED.values())) == len(NAMED)


def test_the_same_seed_and_stream_give_the_same_numbers():
    a = streams.rng(7, streams.DIRECTIONS).standard_normal(5)
    np.testing.assert_array_equal(a, streams.rng(7, streams.DIRECTIONS).standard_normal(5))


def test_streams_of_one_seed_differ_from_each_other_and_from_the_bare_seed():
    draws = [streams.rng(7, key).standard_normal(3) for key in NAMED.values()]
    draws.append(np.random.default_rng(7).standard_normal(3))
    assert len({tuple(d) for d in draws}) == len(draws)

