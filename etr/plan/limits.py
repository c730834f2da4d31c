"""Limits a spec must respect before any work starts (``--force`` lifts them).

A typo can make a spec enormous (``layers = [100000]``, ``seeds = 100000000000``, a grid of 10^8
runs) and a run would then hang or exhaust memory before printing anything. Specs are therefore
sized from their factor counts, without building the grid, and refused with one line when they
exceed `LIMITS`; ``--force`` runs them anyway. Hard bounds that protect memory (`MAX_QUBITS`
qubits, at most a million replicates) hold even with ``--force``.

Every axis is sized: the counts (runs, replicates, trials, the largest circuit), the estimated
CPU time (`etr.plan.cost`: the whole spec and its longest single unit) and the estimated peak
memory of its largest unit (a run or a circuit's metrics: ``n_train``, ``n_states``, rows x
2^n; `etr.plan.cost.cell_bytes`). A spec of ``n_states = 10**8`` or ``n_train = 10**9`` is
refused in milliseconds instead of running for days or failing every cell with a MemoryError.

The limits are generous for the studies etr is built for: the ``paper`` preset counts 48,704 runs
against them (`etr.experiment.size.grid_bounds`, before equal models are merged), circuits up to
10 qubits x 10 layers and 2 replicates; the ``study`` preset 144,400 short runs. A run is a row of
the dataset (about a kilobyte); the time and memory limits bound what the runs cost.
"""

from __future__ import annotations

from dataclasses import dataclass

from etr.errors import InputError, SpecError

__all__ = ["LIMITS", "Limits", "check_limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    """The largest spec run without ``--force``.

    Attributes
    ----------
    runs : runs (cells) of one ``etr simulate`` spec.
    qubit_layers : n_qubits x layers of any one circuit (simulate grid or NAS space).
    seeds : replicates of one ``etr simulate`` spec.
    trials : trials per setting of one ``etr nas`` spec.
    cpu_hours : estimated CPU-hours of the whole spec.
    unit_hours : estimated CPU-hours of its longest unit (one run, or one circuit's metrics).
    unit_bytes : estimated peak memory of its largest unit (each worker holds one unit).
    """

    runs: int = 500_000
    qubit_layers: int = 256
    seeds: int = 100
    trials: int = 5_000
    cpu_hours: float = 500.0
    unit_hours: float = 4.0
    unit_bytes: int = 4 * 2**30


LIMITS = Limits()


def check_limits(*, runs: int | None = None, qubit_layers: tuple[int, int] | None = None,
                 seeds: int | None = None, trials: int | None = None,
                 cpu_seconds: float | None = None,
                 unit_seconds: tuple[float, str] | None = None,
                 unit_bytes: tuple[int, str] | None = None, force: bool = False,
                 limits: Limits = LIMITS, error: type[InputError] = SpecError) -> None:
    """Raise `error` (one line) for the first size above `limits`, unless `force`.

    Parameters
    ----------
    runs, seeds, trials : the spec's counts (None: not applicable).
    qubit_layers : ``(n_qubits, layers)`` of its largest circuit by product.
    cpu_seconds : estimated CPU-seconds of the whole spec.
    unit_seconds, unit_bytes : estimated CPU-seconds of the longest unit and peak bytes of the
        largest, each with a description of that unit naming the settings that drive it.

    Examples
    --------
    >>> check_limits(runs=630, qubit_layers=(6, 6), seeds=3)
    >>> check_limits(runs=10**8)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    etr.errors.SpecError: the spec has 100,000,000 runs, above the limit of 500,000; pass --force...
    """
    if force:
        return
    tail = "pass --force to run it anyway"
    if runs is not None and runs > limits.runs:
        raise error(f"the spec has {runs:,} runs, above the limit of {limits.runs:,}; {tail}")
    if seeds is not None and seeds > limits.seeds:
        raise error(f"the spec has {seeds:,} replicates (`seeds`), above the limit of "
                    f"{limits.seeds:,}; {tail}")
    if trials is not None and trials > limits.trials:
        raise error(f"the spec has {trials:,} trials per setting (`nas.n_trials`), above the "
                    f"limit of {limits.trials:,}; {tail}")
    if qubit_layers is not None and qubit_layers[0] * qubit_layers[1] > limits.qubit_layers:
        n, layers = qubit_layers
        raise error(f"the spec has a circuit of {n} qubits x {layers:,} layers = "
                    f"{n * layers:,} qubit-layers, above the limit of {limits.qubit_layers:,}; "
                    f"{tail}")
    if unit_bytes is not None and unit_bytes[0] > limits.unit_bytes:
        size, what = unit_bytes
        raise error(f"{what} needs an estimated {_bytes(size)} of memory, above the limit of "
                    f"{_bytes(limits.unit_bytes)} per unit; {tail}")
    if unit_seconds is not None and unit_seconds[0] > 3600 * limits.unit_hours:
        seconds, what = unit_seconds
        raise error(f"{what} needs an estimated {seconds / 3600:,.1f} CPU-hours, above the "
                    f"limit of {limits.unit_hours:g} per unit; {tail}")
    if cpu_seconds is not None and cpu_seconds > 3600 * limits.cpu_hours:
        raise error(f"the spec needs an estimated {cpu_seconds / 3600:,.1f} CPU-hours, above "
                    f"the limit of {limits.cpu_hours:g}; {tail}")


def _bytes(n: float) -> str:
    """e.g. ``4.0 GB`` (binary units)."""
    for unit, size in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n / 2**10:,.1f} kB"
