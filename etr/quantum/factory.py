"""The one place a run's simulator is chosen: run settings (exact / shots / noise) -> `Backend`.

Every caller that simulates on behalf of a run (the hybrid model of `etr.hybrid.evaluate_run`,
its trainability definitions, the architecture search) asks `backend_for`; no caller branches on
``shots`` or ``noise`` itself. The choice:

======================  ============================  =========================================
noise                   shots                         backend
======================  ============================  =========================================
noiseless               None (exact)                  `StatevectorBackend` (the default)
noiseless               S                             `ShotBackend` (S) over the statevector one
any channel > 0         None                          `DensityMatrixBackend` (noise)
any channel > 0         S                             `ShotBackend` (S) over the density one
======================  ============================  =========================================

``reference=True`` swaps the fast exact backend for its QuTiP reference (`QutipBackend`,
`QutipDensityBackend`): the same study, simulated by a code path that shares nothing with the
fast one (slow: for checks). ``exact=True`` drops the shots (what stays exact in a finite-shot
run, e.g. the effective dimension, a capacity measure of the model function) but keeps the
noise: a noisy model is a different function, and its capacity is that of the noisy model.

Readout-only noise also goes to the density-matrix backend (it applies the readout channel to
the observables), so every noisy run is simulated by one code path.

Examples
--------
>>> from etr.plan import RunSettings
>>> from etr.plan.noise import NoiseModel
>>> backend_for(RunSettings()).name
'statevector'
>>> backend_for(RunSettings(shots=100), seed=1).name
'shots'
>>> backend_for(RunSettings(noise=NoiseModel(depolarizing=0.01))).name
'density'
>>> backend_for(RunSettings(shots=100, noise=NoiseModel(readout=0.02)), exact=True).name
'density'
>>> backend_for(noise=NoiseModel(depolarizing=0.01), reference=True).name
'qutip-density'
"""

from __future__ import annotations

from typing import Any

from etr._rng import SeedLike
from etr._validation import check_int
from etr.errors import InputError
from etr.plan.noise import NOISELESS, NoiseModel
from etr.quantum.backend import STATEVECTOR, Backend
from etr.quantum.density import DensityMatrixBackend
from etr.quantum.qutip_backend import QutipBackend
from etr.quantum.qutip_density import QutipDensityBackend
from etr.quantum.shots import ShotBackend

__all__ = ["backend_for", "noise_of"]


def backend_for(settings: Any = None, *, noise: NoiseModel | None = None,
                shots: int | None = None, seed: SeedLike = None, exact: bool = False,
                reference: bool = False) -> Backend:
    """The backend that simulates a run with these settings (module notes for the table).

    Parameters
    ----------
    settings : etr.plan.RunSettings, optional
        Reads its ``noise`` and ``shots``. Give either `settings` or `noise` / `shots`.
    noise : etr.quantum.NoiseModel, optional
        Without `settings`: the noise (default noiseless).
    shots : int, optional
        Without `settings`: S >= 1 shots per estimate (default exact).
    seed : int, Generator or None
        The random stream of the measurement outcomes (finite shots only).
    exact : bool
        Drop the shots (keep the noise).
    reference : bool
        QuTiP instead of the fast exact backend.

    Returns
    -------
    Backend

    Raises
    ------
    etr.errors.InputError
        Both `settings` and `noise` / `shots`; a `noise` that is not a `NoiseModel`;
        `shots` < 1.
    """
    if settings is not None:
        if noise is not None or shots is not None:
            raise InputError("give `settings` or `noise` / `shots`, not both")
        noise, shots = settings.noise, settings.shots
    noise = NOISELESS if noise is None else noise
    if not isinstance(noise, NoiseModel):
        raise InputError(f"`noise` must be an etr.quantum.NoiseModel, got {type(noise).__name__}")
    if noise.noiseless:
        base: Backend = QutipBackend() if reference else STATEVECTOR
    else:
        base = QutipDensityBackend(noise) if reference else DensityMatrixBackend(noise)
    if shots is None or exact:
        return base
    return ShotBackend(check_int("shots", shots, minimum=1), seed, exact=base)


def noise_of(backend: object) -> NoiseModel:
    """The noise a backend simulates (through a finite-shot wrapper); noiseless when it has none.

    Examples
    --------
    >>> noise_of(backend_for(noise=NoiseModel(depolarizing=0.1), shots=10)).depolarizing
    0.1
    >>> noise_of(STATEVECTOR).noiseless
    True
    """
    inner = getattr(backend, "base", backend)
    noise = getattr(inner, "noise", None)
    return noise if isinstance(noise, NoiseModel) else NOISELESS
