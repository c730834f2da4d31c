"""Hardware noise: the `NoiseModel` of the density-matrix backends and its single-qubit channels.

A noise model is part of what a run is (like its shot count), so it lives with the other pure
data of `etr.plan`: a spec's ``[noise]`` table gives the levels a study crosses with its grid
(`noise_levels`), `etr.plan.RunSettings` carries the level of one run, and the simulation stack
(`etr.quantum.DensityMatrixBackend`, chosen by `etr.quantum.backend_for`) applies it.

Conventions (the same in `etr.quantum.DensityMatrixBackend`, its QuTiP reference
`etr.quantum.QutipDensityBackend`, and the dataset's noise columns):

* **Where.** After *every* gate of the circuit (encoding gates included), on *each* qubit the gate
  acts on (both qubits of a two-qubit gate), one single-qubit channel is applied. State
  preparation (|0...0>) is noise-free. Nothing else is noisy: no idle noise, no crosstalk.
* **Which, in what order.** The channel is depolarizing(p), then amplitude damping(gamma), then
  phase damping(lambda):

  - depolarizing(p): rho -> (1 - p) rho + p I/2 (Nielsen & Chuang eq. 8.102); its Pauli-error
    probability is 3p/4 (PennyLane's ``DepolarizingChannel(3p/4)``); Bloch vector r -> (1 - p) r;
  - amplitude damping(gamma): K0 = [[1, 0], [0, sqrt(1 - gamma)]], K1 = [[0, sqrt(gamma)], [0, 0]];
    (x, y, z) -> (sqrt(1 - gamma) x, sqrt(1 - gamma) y, gamma + (1 - gamma) z), non-unital;
  - phase damping(lambda): K0 = [[1, 0], [0, sqrt(1 - lambda)]], K1 = [[0, 0], [0, sqrt(lambda)]];
    (x, y, z) -> (sqrt(1 - lambda) x, sqrt(1 - lambda) y, z).

* **Readout.** readout(q) flips each measured bit with probability q: a classical channel on the
  outcomes, not on the state (``states`` are unaffected). A Pauli string is measured in its
  eigenbasis, one bit per non-identity letter, so a string of weight w has <P> -> (1 - 2q)^w <P>
  (<Z> -> (1 - 2q) <Z>). The global projector |0...0><0...0| is measured in the computational
  basis: P(all bits read 0) = sum_x P(x) q^|x| (1 - q)^(n - |x|). A matrix observable has no
  measurement model, so readout noise refuses it.
* **Fusion.** A channel sits between a gate and the next one, so a noisy circuit is simulated
  gate by gate (the statevector path's fusion of neighbouring gates would move channels).

All three gate channels map the 2x2 block [[r00, r01], [r10, r11]] of a qubit to populations
``M @ (r00, r11)`` (a column-stochastic 2x2 matrix) and coherences ``c * r01``, ``c * r10``
(`NoiseModel.transfer`): the form the kernels use. The Heisenberg-picture (dual) map, which the
adjoint gradient propagates observables with, is ``M.T`` on the populations and the same ``c``.

References
----------
Nielsen, M. A., Chuang, I. L. (2010). Quantum Computation and Quantum Information, sec. 8.3.
Wang, S. et al. (2021). Noise-induced barren plateaus in variational quantum algorithms. Nat.
Commun. 12, 6961. arXiv:2007.14384.
Mele, A. A. et al. (2024). Noise-induced shallow circuits and absence of barren plateaus.
arXiv:2403.13927.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from etr._validation import echo
from etr.errors import InputError

__all__ = ["MAX_DENSITY_QUBITS", "NOISELESS", "NOISE_CHANNELS", "NOISE_FIELD_DOCS", "NoiseModel",
           "NoiseTable", "check_density_width", "noise_levels", "read_noise_table"]

#: the noise parameters, in the order the gate channels are applied (readout last, at measurement).
NOISE_CHANNELS: tuple[str, ...] = ("depolarizing", "amplitude_damping", "phase_damping", "readout")

#: widest circuit simulated as density matrices: a density matrix of n qubits takes 16 * 4**n
#: bytes, 16 MiB at n = 10 (as many entries as a 20-qubit statevector, the statevector limit
#: `etr.experiment.MAX_QUBITS`), 256 MiB at 12, and the adjoint sweep of
#: `etr.quantum.DensityMatrixBackend` holds the state, the adjoint operator and at least one
#: checkpoint per row (>= 48 MiB per row at 10 qubits, >= 768 MiB at 12).
MAX_DENSITY_QUBITS = 10


def check_density_width(n_qubits: int, *, key: str = "n_qubits",
                        error: type[InputError] = InputError) -> None:
    """Refuse widths above `MAX_DENSITY_QUBITS` with one line stating the memory arithmetic.

    Examples
    --------
    >>> check_density_width(12)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    etr.errors.InputError: `n_qubits` = 12 is above the density-matrix limit of 10 qubits: ...
    """
    if n_qubits > MAX_DENSITY_QUBITS:
        mib = 16 * 4**n_qubits / 2**20
        raise error(
            f"`{key}` = {n_qubits} is above the density-matrix limit of {MAX_DENSITY_QUBITS} "
            f"qubits: a density matrix takes 16*4^n bytes ({mib:,.0f} MiB at n={n_qubits}; 16 MiB "
            "at the limit) and the adjoint sweep holds at least three per row")


def _check_probability(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real | np.floating | np.integer):
        raise InputError(f"`{name}` must be a probability in [0, 1], got {echo(value)}")
    x = float(value)
    if not 0.0 <= x <= 1.0:  # also refuses NaN
        raise InputError(f"`{name}` must be a probability in [0, 1], got {echo(value)}")
    return x


@dataclass(frozen=True, slots=True)
class NoiseModel:
    """Gate noise (depolarizing, amplitude damping, phase damping) and readout noise.

    Parameters
    ----------
    depolarizing : p in [0, 1]; rho -> (1 - p) rho + p I/2 after every gate on each of its qubits.
    amplitude_damping : gamma in [0, 1]; Kraus K0 = [[1, 0], [0, sqrt(1 - gamma)]],
        K1 = [[0, sqrt(gamma)], [0, 0]], after the depolarizing channel.
    phase_damping : lambda in [0, 1]; Kraus K0 = [[1, 0], [0, sqrt(1 - lambda)]],
        K1 = [[0, 0], [0, sqrt(lambda)]], last.
    readout : q in [0, 1]; each measured bit flips with probability q (a Pauli string of weight w
        is scaled by (1 - 2q)^w).

    Notes
    -----
    See the module docstring for where the channels act (after every gate, encoding gates
    included, on each qubit the gate touches; noise-free preparation) and why a noisy circuit is
    compiled gate by gate. The all-zero model is the noiseless limit: the density-matrix backend
    then equals the statevector one.

    Raises
    ------
    etr.errors.InputError
        A parameter that is not a number in [0, 1] (the message names it).

    Examples
    --------
    >>> noise = NoiseModel(depolarizing=0.1)
    >>> noise.bloch_map()[0].diagonal().round(6).tolist(), noise.noiseless
    ([0.9, 0.9, 0.9], False)
    >>> NoiseModel(readout=0.05).readout_factor(2)  # a weight-2 Pauli string
    0.81
    >>> NoiseModel(depolarizing=2.0)
    Traceback (most recent call last):
    ...
    etr.errors.InputError: `depolarizing` must be a probability in [0, 1], got 2.0
    """

    depolarizing: float = 0.0
    amplitude_damping: float = 0.0
    phase_damping: float = 0.0
    readout: float = 0.0

    def __post_init__(self) -> None:
        for name in NOISE_CHANNELS:
            object.__setattr__(self, name, _check_probability(name, getattr(self, name)))

    @property
    def noiseless(self) -> bool:
        """True when every parameter is 0."""
        return self.gate_noiseless and self.readout == 0.0

    @property
    def gate_noiseless(self) -> bool:
        """True when no channel follows the gates (readout may still be noisy)."""
        return self.depolarizing == self.amplitude_damping == self.phase_damping == 0.0

    def as_dict(self) -> dict[str, float]:
        """The four parameters by name (the dataset's noise columns)."""
        return {name: getattr(self, name) for name in NOISE_CHANNELS}

    def to_frame(self) -> pd.DataFrame:
        """One row with the four parameters."""
        return pd.DataFrame([self.as_dict()])

    def kraus(self) -> list[np.ndarray]:
        """Kraus operators of the single-qubit gate channel (depolarizing, then amplitude damping,
        then phase damping): products K_pd K_ad K_dep of the three channels' operators, zero
        operators left out.

        Examples
        --------
        >>> ks = NoiseModel(0.2, 0.1, 0.3).kraus()
        >>> bool(np.allclose(sum(k.conj().T @ k for k in ks), np.eye(2)))  # trace preserving
        True
        """
        p, g, lam = self.depolarizing, self.amplitude_damping, self.phase_damping
        paulis = (np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]),
                  np.diag([1.0, -1.0]))
        weights = (1.0 - 0.75 * p, 0.25 * p, 0.25 * p, 0.25 * p)
        dep = [np.sqrt(w) * s for w, s in zip(weights, paulis)]
        ad = [np.array([[1.0, 0.0], [0.0, np.sqrt(1.0 - g)]]),
              np.array([[0.0, np.sqrt(g)], [0.0, 0.0]])]
        pd_ = [np.array([[1.0, 0.0], [0.0, np.sqrt(1.0 - lam)]]),
               np.array([[0.0, 0.0], [0.0, np.sqrt(lam)]])]
        out = [(k3 @ k2 @ k1).astype(np.complex128) for k3 in pd_ for k2 in ad for k1 in dep]
        return [k for k in out if np.any(k != 0)]

    def transfer(self) -> tuple[np.ndarray, float]:
        """``(M, c)``: the channel maps a qubit's populations (r00, r11) to ``M @ (r00, r11)`` and
        its coherences r01, r10 to ``c * r01``, ``c * r10`` (module notes).

        Derived from the Kraus forms: depolarizing M = [[1 - p/2, p/2], [p/2, 1 - p/2]],
        c = 1 - p; amplitude damping M = [[1, gamma], [0, 1 - gamma]], c = sqrt(1 - gamma); phase
        damping M = I, c = sqrt(1 - lambda); composed in that order.

        Examples
        --------
        >>> m, c = NoiseModel(amplitude_damping=0.25).transfer()
        >>> m.tolist(), c
        ([[1.0, 0.25], [0.0, 0.75]], 0.8660254037844386)
        """
        p, g, lam = self.depolarizing, self.amplitude_damping, self.phase_damping
        m_dep = np.array([[1.0 - p / 2, p / 2], [p / 2, 1.0 - p / 2]])
        m_ad = np.array([[1.0, g], [0.0, 1.0 - g]])
        c = (1.0 - p) * np.sqrt(1.0 - g) * np.sqrt(1.0 - lam)
        return m_ad @ m_dep, float(c)

    def bloch_map(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, t)`` with the channel's action on a Bloch vector r -> A r + t (one qubit).

        Examples
        --------
        >>> a, t = NoiseModel(amplitude_damping=0.36).bloch_map()
        >>> a.diagonal().round(6).tolist(), t.round(6).tolist()
        ([0.8, 0.8, 0.64], [0.0, 0.0, 0.36])
        """
        p, g, lam = self.depolarizing, self.amplitude_damping, self.phase_damping
        xy = (1.0 - p) * np.sqrt(1.0 - g) * np.sqrt(1.0 - lam)
        a = np.diag([xy, xy, (1.0 - p) * (1.0 - g)])
        return a, np.array([0.0, 0.0, g])

    @property
    def label(self) -> str:
        """The nonzero parameters in words, or ``"noiseless"`` (for logs and reports).

        Examples
        --------
        >>> NoiseModel(depolarizing=0.01, readout=0.02).label, NoiseModel().label
        ('depolarizing=0.01, readout=0.02', 'noiseless')
        """
        parts = [f"{c}={getattr(self, c):g}" for c in NOISE_CHANNELS if getattr(self, c)]
        return ", ".join(parts) or "noiseless"

    def readout_factor(self, weight: int) -> float:
        """(1 - 2q)^weight: the readout channel's factor on a Pauli string of that weight."""
        return float((1.0 - 2.0 * self.readout) ** int(weight))


#: the noiseless model.
NOISELESS = NoiseModel()


# --- the [noise] table of a spec -------------------------------------------------------------

#: documentation of the ``[noise]`` keys (dotted names), for ``--print-spec`` and the docs.
NOISE_FIELD_DOCS: dict[str, str] = {
    "noise.depolarizing": "p of rho -> (1 - p) rho + p I/2 after every gate on each qubit it "
    "touches; a list such as [0, 0.001, 0.01] crosses the grid; default 0 (noiseless)",
    "noise.amplitude_damping": "gamma of amplitude damping after every gate (after the "
    "depolarizing channel); a list crosses the grid; default 0",
    "noise.phase_damping": "lambda of phase damping after every gate (last); a list crosses the "
    "grid; default 0",
    "noise.readout": "q: each measured bit flips with probability q; a list crosses the grid; "
    "default 0",
}

#: a ``[noise]`` table as stored in a spec: ``(channel, values)`` for every channel that is not
#: left at its default 0, in `NOISE_CHANNELS` order.
NoiseTable = tuple[tuple[str, tuple[float, ...]], ...]


def read_noise_table(table: Any) -> NoiseTable:
    """Validate a spec's ``[noise]`` table (an `etr.plan.Table`): each channel a probability or a
    non-empty, duplicate-free list of them. A channel at its default 0 is left out, so a spec
    with ``depolarizing = 0`` is the noiseless spec (same hash, same cell ids).

    Examples
    --------
    >>> from etr.plan.tables import Table
    >>> read_noise_table(Table({"depolarizing": [0, 0.01], "readout": 0}, "noise",
    ...                        NOISE_CHANNELS))
    (('depolarizing', (0.0, 0.01)),)
    >>> read_noise_table(Table({"readout": [0.1, 2]}, "noise", NOISE_CHANNELS))
    Traceback (most recent call last):
    ...
    etr.errors.SpecError: `noise.readout` must be a probability in [0, 1], got 2
    """
    out = []
    for channel in NOISE_CHANNELS:
        if channel not in table:
            continue
        values = tuple(table.build(_check_probability, table.name(channel), v)
                       for v in table.list(channel))
        if values != (0.0,):
            out.append((channel, values))
    return tuple(out)


def noise_levels(table: NoiseTable) -> tuple[NoiseModel, ...]:
    """Every noise level of a ``[noise]`` table: the product of the channels' values (the first
    channel varying slowest); ``(NOISELESS,)`` for an empty table.

    Examples
    --------
    >>> [m.label for m in noise_levels((("depolarizing", (0.0, 0.01)), ("readout", (0.02,))))]
    ['readout=0.02', 'depolarizing=0.01, readout=0.02']
    """
    channels = [c for c, _ in table]
    return tuple(NoiseModel(**dict(zip(channels, combo, strict=True)))
                 for combo in itertools.product(*(values for _, values in table)))
