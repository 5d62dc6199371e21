"""Random streams, each with its own key: ``default_rng([seed, STREAM])``.

Every random draw of a check comes from the run's seed and the stream it belongs to, so adding a
draw to one stream (one more direction, one more probe) never shifts the numbers of another
(the noise estimate, a kink move), and the same seed gives the same numbers everywhere.
"""

from __future__ import annotations

import numpy as np

#: The random directions of ECnoise, along which a network's J is sampled (``engines.noise``).
NOISE = 1
#: The moves of ``--avoid-kinks`` off the kinks (``engines.kinks.moved_off``).
KINK_MOVES = 2
#: The random directions of a directional check (``engines.directions``).
DIRECTIONS = 3
#: The random cotangents a VJP or a layer is probed with (``usercode.core``).
PROBES = 4
#: The random directions along which user code's rounding noise is sampled (``usercode.numerics``).
USER_NOISE = 5
#: The random directions along which user code's gradient is sampled, to measure its
#: rounding noise (``usercode.core``).
USER_GRADIENT_NOISE = 6


def rng(seed: int, stream: int) -> np.random.Generator:
    """The generator of ``stream`` for ``seed``: independent of every other stream's."""
    return np.random.default_rng([seed, stream])
