"""The circuit-level columns of a dataset row: one record per distinct circuit (`pqc_id`).

Expressibility (frame potential, Sim et al. KL and its width-scaled variant), entangling
capability and the theory columns are properties of the trainable PQC alone (no data encoding, no
classical parts), so the runner and the architecture search compute them once per distinct
circuit (`circuit_record`) and share them with every architecture, configuration and replicate
built on it.

`CIRCUIT_MEASURES` maps every circuit-level measure registered in `etr.contract.METRICS` to the
function that computes its columns from a `CircuitContext` (the circuit, the ``[metrics]`` sample
sizes, the seed and the backend). Adding a circuit measure is a registry entry, one function here
registered with `circuit_measure`, and its test. Estimates that several measures share (the frame
potential behind ``expressibility_fp`` and ``expressibility_eps``, the fidelity histogram behind
both KLs) are computed once per record (`CircuitContext.shared`).

Randomness: each measure draws from its own named stream (`CircuitContext.rng`), a child of the
unit's seed (`numpy.random.SeedSequence`), so adding or changing one never moves another. The
streams of the original five estimates are the children 0-4 of ``SeedSequence(seed).spawn``; a new
stream's spawn key is a hash of its name, so registry order does not matter.

Theory columns use the pure-PQC readout observable O = mean_q Z_q and the initial state |0...0>:
``dla_dim`` (dimension of the dynamical Lie algebra), ``predicted_loss_var`` (Ragone et al. 2024
deep-circuit Var_theta <O>, NaN where the formula does not apply, with the reason in
``theory_note``), ``loss_var`` (the measured Var_theta <O> over uniform random theta) and
``qfim_rank`` (rank of the quantum Fisher information at random theta).

Backends: `circuit_record` takes a backend (default the exact statevector one, or the QuTiP
reference: `etr.quantum.backend_for`) and hands it to every measure that simulates (frame
potential, KLs, entangling capability, measured loss variance, QFIM rank). It must be exact and
noise-free: every circuit-level column is a property of the noise-free PQC. Expressibility is
the x of the study, a property of the circuit that noise does not change (a noisy ensemble's
frame potential falls below the Haar value as the states mix, which reads as "more expressive
than Haar": mixedness, not expressibility; `etr.metrics.density_frame_potential`); the
entanglement and theory columns (Meyer-Wallach Q and the QFIM are pure-state quantities, the
Ragone et al. prediction that ``loss_var`` tests is the noise-free circuit's) are circuit
properties too. A run's noise enters the run-level columns: trainability is measured under it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from etr._hashing import short_hash
from etr.circuits import Ansatz
from etr.contract import CIRCUIT, CIRCUIT_COLUMNS, METRICS
from etr.errors import InputError
from etr.plan.settings import MetricSpec

__all__ = ["CIRCUIT_COLUMNS", "CIRCUIT_MEASURES", "CircuitContext", "circuit_measure",
           "circuit_metrics", "circuit_record"]

#: streams of the original estimates, in `SeedSequence.spawn` order (never reorder).
_LEGACY_STREAMS = ("expressibility_fp", "expressibility_kl", "entangling_capability",
                   "loss_var", "qfim_rank")


@dataclass(frozen=True)
class CircuitContext:
    """What a circuit measure may read: the circuit, its sample sizes, seed and backend.

    Attributes
    ----------
    ansatz : the trainable PQC.
    sizes : the ``[metrics]`` sample sizes (`etr.plan.MetricSpec`).
    seed : the unit's seed.
    backend : the `etr.quantum.Backend` of the run (None = exact statevector).
    """

    ansatz: Ansatz
    sizes: MetricSpec
    seed: int
    backend: Any = None
    _shared: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def rng(self, stream: str) -> np.random.Generator:
        """A generator on the named stream (each call starts the stream afresh).

        Examples
        --------
        >>> from etr.circuits import hardware_efficient
        >>> ctx = CircuitContext(hardware_efficient(2, 1), MetricSpec(), seed=3)
        >>> float(ctx.rng("a").random()) == float(ctx.rng("a").random()) != float(
        ...     ctx.rng("b").random())
        True
        """
        if stream in _LEGACY_STREAMS:
            key = _LEGACY_STREAMS.index(stream)
        else:
            key = len(_LEGACY_STREAMS) + int(short_hash(stream, 15), 16)
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(key,)))

    def shared(self, name: str, compute: Callable[[], Any]) -> Any:
        """`compute()` once per record under `name` (an estimate several measures read)."""
        if name not in self._shared:
            self._shared[name] = compute()
        return self._shared[name]

    def frame_potential(self) -> Any:
        """The t = 2 frame potential of `ansatz` (`etr.metrics.frame_potential`)."""
        from etr.metrics import frame_potential

        return self.shared("frame_potential", lambda: frame_potential(
            self.ansatz, n_states=self.sizes.n_states, seed=self.rng("expressibility_fp"),
            backend=self.backend))

    def kl(self) -> Any:
        """The fidelity-histogram KLs of `ansatz` (`etr.metrics.expressibility`)."""
        from etr.metrics import expressibility

        return self.shared("kl", lambda: expressibility(
            self.ansatz, n_pairs=self.sizes.n_pairs, bins=self.sizes.bins,
            seed=self.rng("expressibility_kl"), backend=self.backend))

    def observable(self) -> list[tuple[float, str]]:
        """The pure-PQC readout observable mean_q Z_q."""
        from etr.theory import readout_observable

        return readout_observable(self.ansatz.n_qubits)


Measure = Callable[[CircuitContext], dict[str, object]]

#: registered circuit-level measure -> the function computing its columns.
CIRCUIT_MEASURES: dict[str, Measure] = {}


def circuit_measure(name: str) -> Callable[[Measure], Measure]:
    """Register the function computing the circuit-level measure `name` (and its companion
    columns); `name` must be a circuit-level entry of `etr.contract.METRICS`."""

    def register(fn: Measure) -> Measure:
        m = METRICS.get(name)
        if m is None or m.level != CIRCUIT:
            raise InputError(f"`{name}` is not a registered circuit-level metric")
        CIRCUIT_MEASURES[name] = fn
        return fn

    return register


def _floats(result: Any, **columns: str) -> dict[str, object]:
    """``{column: float(result.<attribute>)}`` for ``column=attribute`` pairs."""
    return {column: float(getattr(result, attribute)) for column, attribute in columns.items()}


@circuit_measure("expressibility_fp")
def _expressibility_fp(ctx: CircuitContext) -> dict[str, object]:
    return _floats(ctx.frame_potential(), expressibility_fp="ratio",
                   expressibility_fp_ci_low="ratio_ci_low",
                   expressibility_fp_ci_high="ratio_ci_high")


@circuit_measure("expressibility_eps")
def _expressibility_eps(ctx: CircuitContext) -> dict[str, object]:
    return _floats(ctx.frame_potential(), expressibility_eps="eps")


@circuit_measure("expressibility_kl")
def _expressibility_kl(ctx: CircuitContext) -> dict[str, object]:
    return _floats(ctx.kl(), expressibility_kl="kl", expressibility_kl_corrected="kl_corrected",
                   expressibility_kl_ci_low="ci_low", expressibility_kl_ci_high="ci_high")


@circuit_measure("expressibility_kl_scaled")
def _expressibility_kl_scaled(ctx: CircuitContext) -> dict[str, object]:
    return _floats(ctx.kl(), expressibility_kl_scaled="kl_scaled_corrected")


@circuit_measure("entangling_capability")
def _entangling_capability(ctx: CircuitContext) -> dict[str, object]:
    from etr.metrics import entangling_capability

    return {"entangling_capability": float(entangling_capability(
        ctx.ansatz, n_samples=ctx.sizes.ec_samples, seed=ctx.rng("entangling_capability"),
        backend=ctx.backend))}


@circuit_measure("dla_dim")
def _dla_dim(ctx: CircuitContext) -> dict[str, object]:
    from etr.theory import lie_algebra

    algebra = lie_algebra(ctx.ansatz)
    return {"dla_dim": float("nan") if algebra.dim is None else float(algebra.dim)}


@circuit_measure("predicted_loss_var")
def _predicted_loss_var(ctx: CircuitContext) -> dict[str, object]:
    from etr.theory import predicted_variance

    predicted = predicted_variance(ctx.ansatz, ctx.observable())
    return {"predicted_loss_var": float(predicted.value), "theory_note": predicted.reason or None}


@circuit_measure("loss_var")
def _loss_var(ctx: CircuitContext) -> dict[str, object]:
    from etr.theory import measured_loss_variance

    measured = measured_loss_variance(ctx.ansatz, ctx.observable(),
                                      n_samples=ctx.sizes.loss_samples, seed=ctx.rng("loss_var"),
                                      backend=ctx.backend)
    return {"loss_var": float(measured.value)}


@circuit_measure("qfim_rank")
def _qfim_rank(ctx: CircuitContext) -> dict[str, object]:
    from etr.theory import qfim_rank

    if not ctx.ansatz.n_params:
        return {"qfim_rank": float("nan")}
    rank = qfim_rank(ctx.ansatz, n_samples=ctx.sizes.qfim_samples, seed=ctx.rng("qfim_rank"),
                     backend=ctx.backend)
    return {"qfim_rank": float(rank.rank)}


def circuit_record(ansatz: Ansatz, metrics: MetricSpec | None = None, seed: int = 0,
                   backend: Any = None) -> dict[str, object]:
    """Every circuit-level column of one distinct circuit.

    Parameters
    ----------
    ansatz : the trainable PQC (``Architecture.ansatz()``).
    metrics : the ``[metrics]`` sample sizes (default `etr.plan.MetricSpec()`).
    seed : the unit's seed; each measure draws from its own child stream of it.
    backend : the exact, noise-free `etr.quantum.Backend` handed to every measure (None = the
        exact statevector backend; `etr.quantum.backend_for(reference=True)` = QuTiP).

    Returns
    -------
    dict
        Keys `etr.contract.CIRCUIT_COLUMNS`, in that order.

    Raises
    ------
    etr.errors.InputError
        A registered circuit-level measure without a function in `CIRCUIT_MEASURES`; a noisy or
        finite-shot backend (module notes: the columns are the noise-free circuit's).

    Examples
    --------
    >>> from etr.circuits import hardware_efficient
    >>> sizes = MetricSpec(n_states=200, n_pairs=100, ec_samples=20, loss_samples=50)
    >>> rec = circuit_record(hardware_efficient(2, 1), sizes, seed=1)
    >>> rec["dla_dim"], rec["qfim_rank"]
    (6.0, 4.0)
    """
    from etr.quantum import as_backend, noise_of

    backend = as_backend(backend)
    if not backend.exact or not noise_of(backend).noiseless:
        raise InputError("`backend` of circuit_record must be exact and noise-free (the "
                         "circuit-level columns are properties of the noise-free circuit; a "
                         f"run's noise enters its run-level columns), got {backend!r}")
    ctx = CircuitContext(ansatz, MetricSpec() if metrics is None else metrics, int(seed),
                         backend)
    values: dict[str, object] = {}
    for name, m in METRICS.items():
        if m.level != CIRCUIT:
            continue
        fn = CIRCUIT_MEASURES.get(name)
        if fn is None:
            raise InputError(f"circuit-level metric `{name}` has no function in "
                             "etr.experiment.circuit.CIRCUIT_MEASURES")
        values.update(fn(ctx))
    return {c: values.get(c, np.nan) for c in CIRCUIT_COLUMNS}


def circuit_metrics(arch: Any, metrics: MetricSpec, seed: int,
                    backend: Any = None) -> dict[str, object]:
    """`circuit_record` of ``arch.ansatz()``: the circuit unit of ``etr simulate`` and
    ``etr nas`` (module-level, so worker processes can run it)."""
    return circuit_record(arch.ansatz(), metrics, seed, backend)
