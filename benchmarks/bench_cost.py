"""The committed cost model against this machine and this code (``make bench``).

The constants of `etr.plan.cost.COST` were fitted by ``benchmarks/calibrate_cost.py`` on one
machine at one state of the simulation code. A speed-up (or a slow-down) makes them stale
without failing a test, and the sizes that `etr simulate`, the presets and the README state
drift with them (the row engine's speed-up left them at 1.5-3.2x of the measured CPU). Unit
tests do not time code, so the check lives here: cells of the ``quick`` and ``study`` presets
drawn at random (`calibrate_cost.held_out`), run once untimed to load the kernels, then again
in this process on one thread and timed in CPU seconds, against what `COST` predicts for them.
A ratio outside `BAND` is flagged: re-run ``python benchmarks/calibrate_cost.py`` (and
``--density`` for noisy runs) and restate the sizes.
"""

from __future__ import annotations

import contextlib
import io

from calibrate_cost import held_out

from etr.plan.cost import COST

#: predicted / measured CPU accepted before the constants are called stale.
BAND = (0.5, 2.0)
#: the presets whose held-out cells are timed (quick: seconds; study: about a minute).
PRESETS = ("quick", "study")


def main() -> None:
    print(f"cost model: {COST.source}")
    flags = []
    for preset in PRESETS:
        # a first, untimed pass over the same cells loads and compiles every kernel they use,
        # which a worker in a long run pays once (the fit was made on warm kernels too)
        with contextlib.redirect_stdout(io.StringIO()):
            held_out(COST, preset)
        ratio = held_out(COST, preset)
        if not BAND[0] <= ratio <= BAND[1]:
            flags.append(f"{preset} {ratio:.2f}")
    if flags:
        print(f"STALE cost constants: predicted / measured {', '.join(flags)} is outside "
              f"{BAND[0]}-{BAND[1]}x; re-run python benchmarks/calibrate_cost.py")
    else:
        print(f"cost constants within {BAND[0]}-{BAND[1]}x of the measured CPU on both presets")


if __name__ == "__main__":
    main()
