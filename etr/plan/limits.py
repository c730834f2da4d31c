"""Limits a spec must respect before any work starts (``--force`` lifts them).

A typo can make a spec enormous (``layers = [100000]``, ``seeds = 100000000000``, a grid of 10^8
runs) and a run would then hang or exhaust memory before printing anything. Specs are therefore
sized from their factor counts, without building the grid, and refused with one line when they
exceed `LIMITS`; ``--force`` runs them anyway. Hard bounds that protect memory (`MAX_QUBITS`
qubits, at most a million replicates) hold even with ``--force``.

The limits are generous for the studies etr is built for: the ``paper`` preset counts 48,704 runs
against them (`etr.experiment.size.grid_bounds`, before equal models are merged), circuits up to
10 qubits x 10 layers and 2 replicates.
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
    """

    runs: int = 50_000
    qubit_layers: int = 256
    seeds: int = 100
    trials: int = 5_000


LIMITS = Limits()


def check_limits(*, runs: int | None = None, qubit_layers: tuple[int, int] | None = None,
                 seeds: int | None = None, trials: int | None = None, force: bool = False,
                 limits: Limits = LIMITS, error: type[InputError] = SpecError) -> None:
    """Raise `error` (one line) for the first size above `limits`, unless `force`.

    Parameters
    ----------
    runs, seeds, trials : the spec's counts (None: not applicable).
    qubit_layers : ``(n_qubits, layers)`` of its largest circuit by product.

    Examples
    --------
    >>> check_limits(runs=630, qubit_layers=(6, 6), seeds=3)
    >>> check_limits(runs=10**8)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    etr.errors.SpecError: the spec has 100,000,000 runs, above the limit of 50,000; pass --force...
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
