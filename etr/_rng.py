"""Seeding: every random function takes `seed: int | Generator | None`; never the global state."""

from __future__ import annotations

import numpy as np

SeedLike = int | np.random.Generator | np.random.SeedSequence | None


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Return a `numpy.random.Generator` for `seed` (a Generator is passed through)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def spawn_seeds(root: int, n: int) -> list[int]:
    """`n` independent 63-bit integer seeds spawned from `root` with `SeedSequence.spawn`."""
    children = np.random.SeedSequence(root).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def seed_label(seed: object) -> int | None:
    """The integer a result records as its seed: `seed` itself when it is an int, else None (a
    Generator or SeedSequence cannot be written down as one number).

    Examples
    --------
    >>> seed_label(3), seed_label(np.random.default_rng(3)), seed_label(True)
    (3, None, None)
    """
    return int(seed) if isinstance(seed, int | np.integer) and not isinstance(seed, bool) else None
