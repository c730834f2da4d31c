"""The dataset contract: one row per run = (architecture, seed, training configuration).

Pure pandas, no simulation imports, so `etr.analysis` and `etr.report` depend only on this module
(and `etr.dataset`, its file format). ``ARCHITECTURE.md`` at the repository root describes the
layers around it. ``task_id`` identifies a task instance by its content and ``task_instance`` by
its number (0 .. I - 1 with a spec's ``instances``; the replicate's number otherwise): with task
instances crossed with replicates, a run is (architecture, training configuration, task
instance, seed), and (architecture_id, seed) alone no longer identifies it.

`METRICS` is the one registry of every expressibility measure, trainability definition and the
other measured columns. Each `Metric` entry holds every fact about its column once: kind,
direction, log scale, labels, meaning, dtype, valid range, Haar/limit value, run- or
circuit-level, whether it needs a PQC, its sample-size settings, the run settings it reads, its
term of the cost model and its companion columns (intervals, bias-corrected values, censoring
flags, spreads, notes). Everything else is derived from it: `COLUMNS`, `CIRCUIT_COLUMNS`, the
valid ranges of `etr.analysis.data_quality`, the Haar values of the robustness check, the
definitions the classical-only control leaves NaN, the sample sizes of ``[metrics]``
(`etr.plan.MetricSpec`), the cost model (`etr.plan.cost`), the synthetic generators and the
report's labels. The functions that compute the values are registered by name where they run:
`etr.experiment.circuit.CIRCUIT_MEASURES` (circuit level) and `etr.hybrid.run.DEFINITIONS` (run
level). Adding a measure or a definition is one entry here, one function there and one test.

The derived collections (`COLUMNS`, `CIRCUIT_COLUMNS`, `TRAINABILITY_DEFINITIONS`, ...) are views
of the registry, recomputed when it changes, so an entry added at run time (a plug-in, a test)
shows up in every stage.

`CONFIGS` is the registry of training configurations; `DESIGN_COLUMNS` (ids, architecture and run
identity) and `BOOKKEEPING_COLUMNS` describe the columns that are not measures, with their ranges.

Sign conventions
----------------
Every expressibility measure is lower for more expressive circuits. Trainability columns are
higher for more trainable models except ``steps_to_target`` (fewer steps = more trainable); the
registry's ``higher_is_more`` records which. The classic trade-off hypothesis (more expressive ->
smaller gradients) therefore predicts a *positive* rank correlation between an expressibility
measure and ``grad_var``, and a *negative* one with ``steps_to_target``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from etr.errors import InputError

__all__ = [
    "ALL_COLUMNS",
    "ARCHITECTURE_COLUMNS",
    "BOOKKEEPING_COLUMNS",
    "CIRCUIT_COLUMNS",
    "COLUMNS",
    "CONFIGS",
    "DESIGN_COLUMNS",
    "EXPRESSIBILITY_MEASURES",
    "METRICS",
    "METRIC_COLUMNS",
    "NOISE_COLUMNS",
    "PQC_CONFIGS",
    "PRIMARY_X",
    "QUANTUM_DEFINITIONS",
    "REQUIRED_COLUMNS",
    "RUN_DIAGNOSTICS",
    "SAMPLE_SIZES",
    "TRAINABILITY_DEFINITIONS",
    "TRAINABILITY_ONLY",
    "TRAINING_CONFIGS",
    "Column",
    "Metric",
    "Range",
    "SampleSize",
    "TrainingConfig",
    "coerce_dtypes",
    "metric",
    "registry_view",
    "validate_dataset",
]

#: kinds of registered metrics
EXPRESSIBILITY, TRAINABILITY, CAPACITY = "expressibility", "trainability", "capacity"
ENTANGLEMENT, PERFORMANCE, THEORY = "entanglement", "performance", "theory"
#: a property of the states a run simulates (their purity under the run's noise)
STATE = "state"
#: a run-level column that describes how a run was measured rather than the model (the
#: finite-shot gradient's signal-to-noise ratio): computed on every run it applies to, not
#: selected by ``definitions``, never a variable of the claims.
DIAGNOSTIC = "diagnostic"
KINDS: tuple[str, ...] = (EXPRESSIBILITY, TRAINABILITY, CAPACITY, ENTANGLEMENT, PERFORMANCE,
                          THEORY, STATE, DIAGNOSTIC)
#: where a metric is computed: once per run, or once per distinct circuit (``pqc_id``).
RUN, CIRCUIT = "run", "circuit"
LEVELS: tuple[str, ...] = (RUN, CIRCUIT)
#: roles of a metric's companion columns.
COMPANION_ROLES: tuple[str, ...] = ("ci_low", "ci_high", "corrected", "censor", "std", "note")
#: groups of the columns that are not measures: ids, the design (architecture), the run's
#: identity, bookkeeping. A row with an impossible design or run value is dropped by the
#: analysis; an impossible measure is ignored (its value only).
GROUPS: tuple[str, ...] = ("id", "design", "run", "measure", "bookkeeping")
#: the terms of the cost model (`etr.plan.cost`) a metric may add. Circuit level: ``states``
#: (states simulated through the PQC), ``pairs`` (overlaps of two states of 2**n amplitudes),
#: ``lie`` (1 if it closes the dynamical Lie algebra). Run level: ``grad_rows`` (model rows
#: through a gradient of the loss; with finite shots every angle the run trains is shifted),
#: ``theta_grad_rows`` (circuit rows through a gradient w.r.t. the quantum parameters alone;
#: with finite shots only they are shifted), ``forward_rows`` (rows through a forward pass),
#: ``exact_rows`` (rows through an exact forward-and-backward pass whatever the shots),
#: ``trajectory`` (> 0 if it reads the training-set loss after every step: one forward pass of
#: the training set per step and initialisation with mini-batches, shared by every definition
#: that reads it, free with full batches).
COST_TERMS: tuple[str, ...] = ("states", "pairs", "lie", "grad_rows", "theta_grad_rows",
                               "forward_rows", "exact_rows", "trajectory")
#: level of the normal intervals the runner writes beside an estimate (``*_ci_low``,
#: ``*_ci_high``): the default ``confidence`` of `etr.metrics.frame_potential`.
CI_LEVEL = 0.95


@dataclass(frozen=True, slots=True)
class Range:
    """The values a column can take whatever the circuit; bounds are inclusive.

    Attributes
    ----------
    low, high : the bounds; None = unbounded on that side.
    why : the reason, in words (shown in the data-quality table).
    se_slack : for an estimate whose bound holds for the quantity it estimates but not for every
        sample (an unbiased U-statistic of a frame potential can fall below its Haar value):
        the bounds are widened by this many standard errors of the row, read off its interval
        columns (``(ci_high - ci_low) / (2 z)`` at `CI_LEVEL`).
    low_without_se : the lower bound of a row whose standard error is unknown (no interval),
        when `se_slack` is set.
    control : the range on rows of the classical-only control when it differs (a control has
        no PQC: ``layers`` is 0 there), or None.

    Examples
    --------
    >>> Range(0.0, 1.0, "a fraction").bad(np.array([-0.1, 0.5, np.nan, 1.2])).tolist()
    [True, False, False, True]
    >>> r = Range(1.0, None, "F2 >= F2(Haar)", se_slack=5.0, low_without_se=0.0)
    >>> r.bad(np.array([0.99, 0.5, 0.5]), se=np.array([0.01, 0.01, np.nan])).tolist()
    [False, True, False]
    """

    low: float | None = None
    high: float | None = None
    why: str = "no bound"
    se_slack: float = 0.0
    low_without_se: float | None = None
    control: Range | None = None

    @property
    def bounded(self) -> bool:
        """True when some value is impossible."""
        return self.low is not None or self.high is not None

    def bad(self, values: np.ndarray, se: np.ndarray | None = None) -> np.ndarray:
        """Finite `values` outside the range (NaN and inf are not 'impossible', only missing)."""
        v = np.asarray(values, dtype=float)
        slack = np.zeros_like(v)
        known = np.ones(len(v), dtype=bool)
        if self.se_slack:
            s = np.full(len(v), np.nan) if se is None else np.asarray(se, dtype=float)
            known = np.isfinite(s)
            slack = np.where(known, self.se_slack * np.where(known, s, 0.0), 0.0)
        out = np.zeros(len(v), dtype=bool)
        with np.errstate(invalid="ignore"):
            if self.low is not None:
                low = self.low - slack
                if self.se_slack:
                    fallback = -np.inf if self.low_without_se is None else self.low_without_se
                    low = np.where(known, low, fallback)
                out |= v < low
            if self.high is not None:
                out |= v > self.high + slack
        return out & np.isfinite(v)

    def describe(self) -> str:
        """The range in interval notation, e.g. ``[0, 1]`` or ``>= 1 - 5 SE``."""
        if self.se_slack and self.low is not None and self.high is None:
            return f">= {self.low:g} - {self.se_slack:g} SE"
        lo = "(-inf" if self.low is None else f"[{self.low:g}"
        hi = "inf)" if self.high is None else f"{self.high:g}]"
        return f"{lo}, {hi}"


#: no bound at all (text, ids, a bias-corrected value that may be negative ...).
ANY = Range()


def _nonneg(why: str) -> Range:
    return Range(0.0, None, why)


@dataclass(frozen=True, slots=True)
class Column:
    """One dataset column that is not a registered measure itself (ids, design, a companion).

    Attributes
    ----------
    name : the column.
    dtype : its pandas dtype in a written dataset.
    valid : its `Range` (`ANY` for text).
    group : one of `GROUPS` (companions of a metric are ``"measure"``).
    role : for a metric's companion, one of `COMPANION_ROLES`; "" otherwise.
    meaning : one line.
    """

    name: str
    dtype: str = "float64"
    valid: Range = ANY
    group: str = "measure"
    role: str = ""
    meaning: str = ""


@dataclass(frozen=True, slots=True)
class SampleSize:
    """A sample size of a circuit-level measure: a key of the ``[metrics]`` spec table.

    Attributes
    ----------
    name : the key (a field of `etr.plan.MetricSpec`).
    default : its default.
    minimum : the smallest accepted value.
    doc : one line for ``--print-spec`` and the docs.
    """

    name: str
    default: int
    minimum: int
    doc: str


CostFn = Callable[[Mapping[str, Any]], Mapping[str, float]]


@dataclass(frozen=True, slots=True)
class Metric:
    """One registered measure: everything a stage needs to know about a dataset column.

    Attributes
    ----------
    name : the dataset column.
    kind : ``"expressibility"``, ``"trainability"``, ``"capacity"``, ``"entanglement"``,
        ``"performance"`` or ``"theory"``.
    direction : the sign convention in words, e.g. ``"lower = more expressive"``.
    higher_is_more : +1 when a higher value means *more* of what the kind names (more
        trainable, more entangling, better performance), -1 when lower means more (every
        expressibility measure: lower = more expressive; ``steps_to_target``: fewer steps = more
        trainable); 0 when no such reading exists (theory columns).
    log_scale : the values are positive and span decades: models, charts and hypervolumes use
        log10.
    label : short label for legends and tables.
    axis_title : axis title with units and the direction.
    meaning : one line: what it measures.
    level : ``"circuit"`` (a property of the distinct circuit, computed once per ``pqc_id`` by
        `etr.experiment.circuit.CIRCUIT_MEASURES`) or ``"run"`` (computed per run: a trainability
        definition by `etr.hybrid.run.DEFINITIONS`, a performance column by the training).
    valid : the `Range` of its values.
    haar : its value for a state 2-design (expressibility) or its limit, or None.
    needs_pqc : NaN for the classical-only control (no quantum parameters).
    needs_shots : NaN on exact runs (``shots`` missing): it describes finite-shot estimation.
    dtype : pandas dtype of the column.
    sizes : `SampleSize` settings (``[metrics]`` keys) a circuit-level measure reads.
    settings : `etr.plan.RunSettings` fields a run-level definition reads.
    cost : ``fn(sizes) -> {term: amount}`` with terms of `COST_TERMS`: what the measure adds to
        the cost model beyond the training itself (circuit level: `sizes` holds the ``[metrics]``
        sizes and ``n_params``; run level: the `RunSettings` fields plus ``batch`` (rows of a
        step), ``mini`` (mini-batch training) and ``budget`` (the resolved step budget of
        ``loss_decrease``); `etr.plan.cost.run_sizes` builds it). None: nothing beyond what it
        shares.
    companions : columns written beside it (`Column` with a role of `COMPANION_ROLES`).
    """

    name: str
    kind: str
    direction: str
    higher_is_more: int
    log_scale: bool
    label: str
    axis_title: str
    meaning: str
    level: str = RUN
    valid: Range = ANY
    haar: float | None = None
    needs_pqc: bool = True
    needs_shots: bool = False
    dtype: str = "float64"
    sizes: tuple[SampleSize, ...] = ()
    settings: tuple[str, ...] = ()
    cost: CostFn | None = None
    companions: tuple[Column, ...] = ()

    def companion(self, role: str) -> str | None:
        """The companion column of `role` (one of `COMPANION_ROLES`), or None."""
        return next((c.name for c in self.companions if c.role == role), None)

    @property
    def ci(self) -> tuple[str, str] | None:
        """``(ci_low column, ci_high column)`` of its sampling interval, or None."""
        low, high = self.companion("ci_low"), self.companion("ci_high")
        return (low, high) if low and high else None

    @property
    def censor(self) -> str | None:
        """The column flagging right-censored values (never reached), or None."""
        return self.companion("censor")

    @property
    def corrected(self) -> str | None:
        """The bias-corrected column to use near the Haar value, or None."""
        return self.companion("corrected")

    @property
    def note(self) -> str | None:
        """The text column that explains a missing value (missing by design), or None."""
        return self.companion("note")

    @property
    def producer(self) -> str:
        """Where the value is computed, in words."""
        if self.level == CIRCUIT:
            return "etr.experiment.circuit.CIRCUIT_MEASURES"
        if self.kind in (TRAINABILITY, CAPACITY):
            return "etr.hybrid.run.DEFINITIONS"
        if self.kind == DIAGNOSTIC:
            return "etr.hybrid.run.DIAGNOSTICS"
        return "etr.hybrid.run.evaluate_run (the training result and its states)"

    def from_latent(self, z: np.ndarray) -> np.ndarray:
        """Values in `valid` that increase with "more" of the kind as `z` grows: what the
        synthetic generators and the NAS test evaluator fill a column with when they know
        nothing else about it (monotone, so rank statistics see the planted association).

        Examples
        --------
        >>> m = metric("steps_to_target")
        >>> v = m.from_latent(np.array([-1.0, 0.0, 1.0]))
        >>> bool(v[0] > v[1] > v[2] >= 0)   # fewer steps = more trainable
        True
        """
        z = np.asarray(z, dtype=float) * (-1.0 if self.higher_is_more < 0 else 1.0)
        low, high = self.valid.low, self.valid.high
        if self.valid.se_slack and low is not None:
            low = low + 0.01  # stay clear of the tolerance band
        if low is not None and high is not None:
            return low + (high - low) / (1.0 + np.exp(-z))
        scale = 10.0 if self.log_scale else np.e
        if low is not None:
            return low + scale ** (z - (2.0 if self.log_scale else 0.0))
        if high is not None:
            return high - scale ** (-z)
        return z


_LE = "lower = more expressive"
_HT = "higher = more trainable"
_V = "a variance cannot be negative"
_Z = NormalDist().inv_cdf(0.5 + CI_LEVEL / 2)


def _ci(name: str, why: str) -> tuple[Column, Column]:
    return (Column(f"{name}_ci_low", valid=_nonneg(why), role="ci_low",
                   meaning=f"lower end of the {CI_LEVEL:.0%} interval of {name}"),
            Column(f"{name}_ci_high", valid=_nonneg(why), role="ci_high",
                   meaning=f"upper end of the {CI_LEVEL:.0%} interval of {name}"))


#: sample sizes of the circuit-level measures (``[metrics]``); shared ones are declared once.
_N_STATES, _N_PAIRS, _BINS, _EC_SAMPLES, _LOSS_SAMPLES, _QFIM_SAMPLES = (SampleSize(*a) for a in (
    ("n_states", 5000, 2, "states of the frame potential (all pairs); default 5000 (relative SE "
     "< 1% for every paper-preset circuit)"),
    ("n_pairs", 1000, 10, "parameter pairs for the Sim et al. KL (Sim et al. use 5000); default "
     "1000"),
    ("bins", 75, 2, "fidelity histogram bins for the Sim et al. KL (Sim et al. use 75); default "
     "75"),
    ("ec_samples", 200, 1, "parameter samples for entangling capability (simulate only); "
     "default 200"),
    ("loss_samples", 2000, 2, "parameter samples for the measured loss variance (simulate "
     "only); default 2000"),
    ("qfim_samples", 3, 1, "parameter samples for the QFIM rank (simulate only); default 3"),
))

#: the frame-potential ratio's lower bound is relaxed by this many standard errors of the row:
#: a one-sided normal tail of 2.9e-7, so a circuit that is a state 2-design is flagged wrongly
#: in fewer than 1 of 2,000 datasets of 1,620 circuits (the paper preset).
FP_SE_SLACK = 5.0

#: every expressibility measure and trainability definition, described once. Order: the
#: circuit-level measures, then the run-level ones; it is the order of the dataset's columns.
METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("expressibility_fp", EXPRESSIBILITY, _LE, -1, True,
           "frame potential ratio F2/F2(Haar)",
           "Frame-potential ratio F₂/F₂ᴴᵃᵃʳ (≥ 1), lower = more expressive",
           "all-pairs U-statistic of the t = 2 state frame potential over its Haar value; 1 for "
           "a state 2-design; comparable across widths",
           level=CIRCUIT, haar=1.0, sizes=(_N_STATES,),
           valid=Range(1.0, None, "F2 >= F2(Haar) for every ensemble; the unbiased estimate "
                       "falls below 1 only by sampling error, at most by "
                       f"{FP_SE_SLACK:g} standard errors (from the row's interval; without one, "
                       "a ratio of non-negative means is >= 0)", se_slack=FP_SE_SLACK,
                       low_without_se=0.0),
           cost=lambda s: {"states": s["n_states"], "pairs": s["n_states"] ** 2 / 2},
           companions=_ci("expressibility_fp", "a ratio of non-negative means cannot be "
                          "negative")),
    Metric("expressibility_eps", EXPRESSIBILITY, _LE, -1, False,
           "expressibility ε (Holmes et al.)",
           "ε = sqrt(F₂ − F₂ᴴᵃᵃʳ), lower = more expressive",
           "distance of the state ensemble from a 2-design (Holmes et al. 2022); bounds the "
           "gradient variance",
           level=CIRCUIT, haar=0.0, sizes=(_N_STATES,), valid=_nonneg("a norm cannot be "
                                                                      "negative")),
    Metric("expressibility_kl", EXPRESSIBILITY, _LE, -1, True,
           "expressibility KL (Sim et al.)",
           "Expressibility KL (nats), lower = more expressive",
           "Sim et al. 2019 KL of the fidelity histogram (75 bins on [0, 1]) from Haar; the "
           "paper-comparable measure, its plug-in bias falls with width",
           level=CIRCUIT, haar=0.0, sizes=(_N_PAIRS, _BINS),
           valid=_nonneg("a plug-in KL divergence cannot be negative"),
           cost=lambda s: {"states": 2 * s["n_pairs"]},
           companions=(Column("expressibility_kl_corrected", role="corrected",
                              valid=Range(why="unbounded: the bias correction can make it "
                                              "slightly negative"),
                              meaning="Miller-Madow bias-corrected KL"),
                       *_ci("expressibility_kl", "the interval of a KL is clipped at 0"))),
    Metric("expressibility_kl_scaled", EXPRESSIBILITY, _LE, -1, False,
           "width-scaled KL",
           "Width-scaled KL of N·F (nats, bias-corrected), lower = more expressive",
           "Miller-Madow corrected KL of the histogram of s = N*F (20 bins of equal Exp(1) mass, "
           "the last open) from the exact Haar law of N*F; 0 +- 0.0006 for Haar states at every "
           "width (5000 pairs), so it compares across widths; can be <= 0; saturates near "
           "ln 20 for poorly expressive circuits",
           level=CIRCUIT, haar=0.0, sizes=(_N_PAIRS,),
           valid=Range(why="unbounded: bias-corrected, so it can be <= 0; its largest value "
                           "depends on the width")),
    Metric("entangling_capability", ENTANGLEMENT, "higher = more entangling", 1, False,
           "entangling capability", "Mean Meyer-Wallach Q, higher = more entangling",
           "mean Meyer-Wallach entanglement over uniform random parameters",
           level=CIRCUIT, sizes=(_EC_SAMPLES,), valid=Range(0.0, 1.0, "Meyer-Wallach Q lies in "
                                                                     "[0, 1]"),
           cost=lambda s: {"states": s["ec_samples"]}),
    Metric("dla_dim", THEORY, "higher = larger dynamical Lie algebra", 0, True,
           "DLA dimension", "dim g (dynamical Lie algebra)",
           "dimension of the dynamical Lie algebra of the circuit's generators",
           level=CIRCUIT, valid=_nonneg("a dimension cannot be negative"),
           cost=lambda s: {"lie": 1.0}),
    Metric("predicted_loss_var", THEORY, "higher = flatter-free landscape", 0, True,
           "predicted loss variance", "Var_θ⟨O⟩ predicted (Ragone et al.)",
           "deep-circuit variance of the cost predicted from the DLA (Ragone et al. 2024)",
           level=CIRCUIT, valid=Range(0.0, 1.0, "the variance of an observable with eigenvalues "
                                                "in [-1, 1] lies in [0, 1]"),
           companions=(Column("theory_note", "string", role="note",
                              meaning="why the prediction does not apply (NaN by design)"),)),
    Metric("loss_var", THEORY, "higher = less flat", 0, True, "measured loss variance",
           "Var_θ⟨O⟩ measured", "variance over random θ of the cost at initialisation",
           level=CIRCUIT, sizes=(_LOSS_SAMPLES,), valid=_nonneg(_V),
           cost=lambda s: {"states": s["loss_samples"]}),
    Metric("qfim_rank", THEORY, "higher = more independent directions", 0, False,
           "QFIM rank", "rank of the quantum Fisher information",
           "rank of the quantum Fisher information at random θ (saturates at <= dim g)",
           level=CIRCUIT, sizes=(_QFIM_SAMPLES,), valid=_nonneg("a rank cannot be negative"),
           cost=lambda s: {"states": s["qfim_samples"] * (s["n_params"] + 1)}),
    Metric("grad_var", TRAINABILITY, _HT, 1, True,
           "gradient variance (init)", "Var[dL/dθ] at init; higher = more trainable",
           "variance over random initialisations of dL/dθ_k at initialisation, mean over k "
           "(the barren-plateau statistic)",
           valid=_nonneg(_V),
           cost=lambda s: {"grad_rows": s["n_init"] * s["n_train"] if s["mini"] else 0}),
    Metric("grad_var_landscape", TRAINABILITY, _HT, 1, True,
           "gradient variance (landscape)",
           "Var[dL/dθ] over random θ, trained classical parts; higher = more trainable",
           "variance over random θ of dL/dθ_k with the classical parts at their trained values: "
           "the barren-plateau statistic of the landscape the classical parts create",
           valid=_nonneg(_V), settings=("landscape_samples",),
           cost=lambda s: {"grad_rows": s["n_init"] * s["landscape_samples"] * s["n_train"]}),
    # Why a readout definition: every loss gradient carries the post-network's Jacobian, and a
    # post-network trained end to end grows it (see etr.metrics.trainability), so the loss
    # definitions rank hybrid_full's circuits by their post-network as much as by themselves.
    Metric("grad_var_readout", TRAINABILITY, _HT, 1, True,
           "gradient variance (PQC readout)",
           "Var[d⟨O⟩/dθ] of the PQC's readout at trained inputs; higher = more trainable",
           "variance over random θ of d⟨O⟩/dθ_k, O = mean_q Z_q the PQC's own readout, at the "
           "inputs the trained pre-network feeds it: the landscape of the circuit, free of the "
           "post-network's scale (which every loss gradient carries)",
           valid=_nonneg(_V), settings=("landscape_samples",),
           cost=lambda s: {"theta_grad_rows": s["n_init"] * s["landscape_samples"]
                           * s["n_train"]}),
    Metric("grad_var_train", TRAINABILITY, _HT, 1, True,
           "gradient variance (early training)",
           "Var[dL/dθ] over the early window; higher = more trainable",
           "across-initialisation variance of dL/dθ_k over a fixed early window of training",
           valid=_nonneg(_V), settings=("early_steps",)),
    Metric("grad_norm", TRAINABILITY, _HT, 1, True,
           "RMS gradient (early training)", "RMS dL/dθ over the early window; higher = more "
           "trainable", "root-mean-square quantum gradient over a fixed early window of training",
           valid=_nonneg("an RMS gradient cannot be negative"), settings=("early_steps",)),
    Metric("loss_decrease", TRAINABILITY, _HT, 1, False,
           "relative loss decrease", "(L0 − LB) / L0 after B steps; higher = more trainable",
           "relative decrease of the training loss after a budget of B optimiser steps (the "
           "task's registered budget: short enough that it is not at its ceiling of 1)",
           needs_pqc=False, settings=("budget_steps",),
           valid=Range(None, 1.0, "(L0 - LB) / L0 cannot exceed 1 for a non-negative loss"),
           cost=lambda s: {"trajectory": 1.0 if s["budget"] < s["steps"] else 0.0}),
    Metric("steps_to_target", TRAINABILITY, "lower = more trainable", -1, False,
           "steps to target", "Optimiser steps to the target loss; lower = more trainable",
           "steps until the training loss first reaches a fraction f of the available "
           "reduction (f: the task's registered target for the configuration); "
           "right-censored at T when never reached",
           needs_pqc=False, valid=_nonneg("a step count cannot be negative"),
           settings=("target_fraction",), cost=lambda s: {"trajectory": 1.0},
           companions=(Column("steps_to_target_censored", "boolean", role="censor",
                              meaning="true when the target was never reached (censored at "
                                      "T)"),)),
    # not <= 1: at finite n, d_eff / d reaches log(1 + kappa) / log(kappa) > 1 for a
    # well-conditioned Fisher (Abbas et al. 2021; see etr.metrics.trainability.effective_dimension)
    Metric("effective_dimension", CAPACITY, "capacity, not trainability", 1, False,
           "effective dimension (capacity)",
           "Normalised effective dimension (capacity, not trainability)",
           "normalised effective dimension (Abbas et al. 2021) w.r.t. the quantum parameters: "
           "how much of the parameter space the model uses, a capacity measure",
           valid=_nonneg("an effective dimension cannot be negative"),
           settings=("ed_data_size", "ed_weight_samples"),
           cost=lambda s: {"exact_rows": 3 * s["ed_weight_samples"] * s["n_train"]}),
    Metric("purity", STATE, "higher = purer (less mixed by noise)", 1, False,
           "output-state purity", "Purity tr ρ² of the circuit's output states (1 = pure)",
           "mean purity tr(rho^2) of the model circuit's output states (encoding and PQC) over "
           "the training inputs and initialisations, under the run's noise: 1 without gate "
           "noise, down to 2^-n for the maximally mixed state",
           valid=Range(0.0, 1.0, "tr(rho^2) of a density matrix lies in [2^-n, 1]"),
           cost=lambda s: {"forward_rows": s["n_init"] * s["n_train"]}),
    # Why this definition: a finite-shot grad_var exceeds the exact one by the mean shot-noise
    # variance, i.e. by 1 + 1 / grad_snr^2 (etr.metrics.trainability); the ratio says at once
    # whether shot noise can change a run's trainability values (SNR >> 1: no; ~1: it doubles
    # the gradient variance; < 1: the optimiser follows noise). Exact, not sampled: the noise
    # variance is derived from the exact outcome probabilities (etr.quantum.shot_gradient_noise).
    Metric("grad_snr", DIAGNOSTIC, "higher = gradient further above the shot noise", 1, True,
           "gradient SNR (finite shots)",
           "RMS dL/dθ / RMS shot-noise SD at init; higher = less shot noise",
           "at initialisation on the training set: RMS of the exact quantum gradient over the "
           "RMS standard deviation of its S-shot parameter-shift estimate (finite-shot runs "
           "only; a finite-shot grad_var is ~ (1 + 1/SNR^2) times the exact one)",
           valid=_nonneg("a ratio of an RMS to a standard deviation cannot be negative"),
           needs_shots=True, settings=("shots",),
           cost=lambda s: {"theta_grad_rows": s["n_init"] * s["n_train"] if s["shots"] else 0}),
    Metric("final_loss", PERFORMANCE, "lower = better", -1, False, "final training loss",
           "Final training loss; lower = better", "training loss after T steps",
           needs_pqc=False, valid=_nonneg("the training losses are non-negative"),
           companions=(Column("final_loss_std", valid=_nonneg("a standard deviation cannot be "
                                                              "negative"), role="std",
                              meaning="standard deviation of the final loss over the "
                                      "initialisations"),)),
    Metric("test_accuracy", PERFORMANCE, "higher = better", 1, False, "test accuracy",
           "Test accuracy (fraction); higher = better", "fraction of test points classified "
           "correctly after training, mean over initialisations",
           needs_pqc=False, valid=Range(0.0, 1.0, "an accuracy lies in [0, 1]"),
           companions=(Column("test_accuracy_std", valid=Range(
               0.0, 0.5, "the standard deviation of fractions lies in [0, 0.5]"), role="std",
               meaning="standard deviation of the test accuracy over the initialisations"),)),
)}

#: the primary expressibility measure of the analysis and the report.
PRIMARY_X = "expressibility_fp"


def metric(name: str) -> Metric:
    """The registry entry of `name`; `InputError` naming the allowed names otherwise.

    Examples
    --------
    >>> metric("grad_var").direction
    'higher = more trainable'
    """
    try:
        return METRICS[name]
    except KeyError:
        raise InputError(f"unknown metric `{name}`; registered: {', '.join(METRICS)}") from None


# --- the columns that are not measures ------------------------------------------------------

_COUNT = "a count cannot be negative"

#: ids, the architecture (design) and the run's identity, in dataset order.
DESIGN_COLUMNS: tuple[Column, ...] = (
    Column("cell_id", "string", group="id", meaning="hash of the cell's configuration"),
    Column("architecture_id", "string", group="id", meaning="hash of the architecture"),
    Column("pqc_id", "string", group="id", meaning="hash of the compiled circuit"),
    Column("family", "string", group="design"),
    Column("circuit", "string", group="design"),
    Column("n_qubits", "int64", Range(1, None, "a circuit has at least one qubit"),
           group="design"),
    Column("layers", "int64", Range(1, None, "a PQC has at least one layer (the classical-only "
                                             "control records 0)",
                                    control=Range(0, None, "the classical-only control has "
                                                           "no PQC (etr records 0 layers)")),
           group="design"),
    Column("topology", "string", group="design"),
    Column("rotations", "string", group="design"),
    Column("entangler", "string", group="design"),
    Column("encoding", "string", group="design"),
    Column("reupload", "bool", group="design"),
    Column("classical_pre", "string", group="design"),
    Column("classical_post", "string", group="design"),
    Column("n_quantum_params", "int64", _nonneg(_COUNT), group="design"),
    Column("n_classical_params", "int64", _nonneg(_COUNT), group="design"),
    Column("seed", "int64", Range(0, None, "replicates are numbered from 0"), group="run"),
    Column("training_config", "string", group="run"),
    Column("task", "string", group="run"),
    Column("task_id", "string", group="run"),
    Column("task_instance", "Int64", Range(0, None, "task instances are numbered from 0"),
           group="run", meaning="number of the task instance (0 .. I - 1 with a spec's "
                                "``instances``; the replicate's number otherwise)"),
    Column("shots", "Int64", Range(1, None, "a finite-shot estimate takes at least one shot "
                                            "(missing = exact)"), group="run"),
    # the noise level of the run (`etr.plan.noise.NOISE_CHANNELS`; 0 = that channel is off)
    *(Column(name, "float64", Range(0.0, 1.0, "a noise parameter is a probability"),
             group="run", meaning=meaning) for name, meaning in (
        ("depolarizing", "p of the depolarizing channel after every gate (0 = noiseless)"),
        ("amplitude_damping", "gamma of amplitude damping after every gate (0 = none)"),
        ("phase_damping", "lambda of phase damping after every gate (0 = none)"),
        ("readout", "q, probability that a measured bit flips (0 = none)"))),
)
#: the noise columns of a run, in `etr.plan.noise.NOISE_CHANNELS` order (absent in datasets
#: written before noise existed: read as 0).
NOISE_COLUMNS: tuple[str, ...] = ("depolarizing", "amplitude_damping", "phase_damping",
                                  "readout")
#: the bookkeeping columns written last.
BOOKKEEPING_COLUMNS: tuple[Column, ...] = (
    Column("status", "string", group="bookkeeping"),
    Column("error", "string", group="bookkeeping"),
    Column("wall_time_s", "float64", _nonneg("a duration cannot be negative"),
           group="bookkeeping"),
)
#: the architecture factors of a row (what `etr.plan.Architecture.record` writes).
ARCHITECTURE_COLUMNS: tuple[str, ...] = (
    "family", "circuit", "n_qubits", "layers", "topology", "rotations", "entangler",
    "encoding", "reupload", "classical_pre", "classical_post",
)


# --- views derived from the registry --------------------------------------------------------

_CACHE: dict[str, tuple[tuple, Any]] = {}


def _derived(name: str, build: Callable[[], Any]) -> Any:
    """`build()` cached until the registry changes (an entry added, removed or replaced)."""
    key = tuple((k, id(v)) for k, v in METRICS.items())
    hit = _CACHE.get(name)
    if hit is None or hit[0] != key:
        hit = (key, build())
        _CACHE[name] = hit
    return hit[1]


class _View:
    """A value derived from the registry (`_derived`), recomputed when the registry changes;
    the container methods read through to it."""

    __slots__ = ("_build", "_name")

    def __init__(self, name: str, build: Callable[[], Any]) -> None:
        self._name, self._build = name, build

    def _value(self) -> Any:
        return _derived(self._name, self._build)

    def __getitem__(self, key: Any) -> Any:
        return self._value()[key]

    def __len__(self) -> int:
        return len(self._value())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._value())

    def __contains__(self, item: object) -> bool:
        return item in self._value()

    def __repr__(self) -> str:
        return repr(self._value())

    def __reduce__(self) -> tuple:
        value = self._value()
        return (type(value), (value,))


class _Names(_View, Sequence[str]):
    """A tuple of names derived from the registry (compares equal to the tuple)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Names | tuple | list):
            return self._value() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value())

    def __add__(self, other: Iterable[str]) -> tuple[str, ...]:
        return self._value() + tuple(other)

    def __radd__(self, other: Iterable[str]) -> tuple[str, ...]:
        return tuple(other) + self._value()


class _ColumnMap(_View, Mapping[str, Any]):
    """A mapping derived from the registry."""

    __slots__ = ()


def registry_view(name: str, build: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
    """A read-only mapping ``build()`` that follows the registry: rebuilt when an entry of
    `METRICS` is added, removed or replaced, so that a table derived from the metrics elsewhere
    (e.g. the NAS objectives) sees an entry registered after import.

    Examples
    --------
    >>> directed = registry_view("directed", lambda: {
    ...     n: m.higher_is_more for n, m in METRICS.items() if m.higher_is_more})
    >>> directed["grad_var"]
    1
    """
    return _ColumnMap(f"view:{name}", build)


def _names(*kinds: str) -> tuple[str, ...]:
    return tuple(m.name for m in METRICS.values() if m.kind in kinds)


def _metric_columns(level: str) -> list[Column]:
    """The columns of the metrics of `level`, each followed by its companions; notes last."""
    out, notes = [], []
    for m in METRICS.values():
        if m.level != level:
            continue
        out.append(Column(m.name, m.dtype, m.valid, "measure", "", m.meaning))
        for c in m.companions:
            (notes if c.role == "note" else out).append(c)
    return out + notes


def _all_columns() -> dict[str, Column]:
    cols = [*DESIGN_COLUMNS, *_metric_columns(CIRCUIT), *_metric_columns(RUN),
            *BOOKKEEPING_COLUMNS]
    return {c.name: c for c in cols}


def _sample_sizes() -> dict[str, SampleSize]:
    out: dict[str, SampleSize] = {}
    for m in METRICS.values():
        for s in m.sizes:
            if out.setdefault(s.name, s) != s:
                raise InputError(f"sample size `{s.name}` is declared twice with different "
                                 "facts")
    return out


#: every column of a dataset, in dataset order -> its `Column` facts (dtype, range, group).
ALL_COLUMNS: Mapping[str, Column] = _ColumnMap("all", _all_columns)
#: column -> pandas dtype. Order is the order of written datasets.
COLUMNS: Mapping[str, str] = _ColumnMap(
    "columns", lambda: {k: c.dtype for k, c in _all_columns().items()})
#: the columns that describe a distinct circuit (one value per `pqc_id`, computed once by the
#: runner and shared by every run on that circuit; NaN for the classical-only control).
CIRCUIT_COLUMNS: Sequence[str] = _Names(
    "circuit", lambda: tuple(c.name for c in _metric_columns(CIRCUIT)))
#: numeric metric columns (validated as numbers; inf read as NaN).
METRIC_COLUMNS: Sequence[str] = _Names("metric", lambda: tuple(
    c.name for c in [*_metric_columns(CIRCUIT), *_metric_columns(RUN)]
    if c.dtype == "float64"))
#: columns analysed as x (lower = more expressive for each).
EXPRESSIBILITY_MEASURES: Sequence[str] = _Names("x", lambda: _names(EXPRESSIBILITY))
#: the columns a run's ``definitions`` select and the analysis takes as y: the trainability
#: definitions and the capacity measure.
TRAINABILITY_DEFINITIONS: Sequence[str] = _Names("y", lambda: _names(TRAINABILITY, CAPACITY))
#: the trainability definitions proper (the capacity measure left out): what the claims test.
TRAINABILITY_ONLY: Sequence[str] = _Names("trainability", lambda: _names(TRAINABILITY))
#: the definitions that need quantum parameters (NaN for the classical-only control).
QUANTUM_DEFINITIONS: Sequence[str] = _Names("quantum", lambda: tuple(
    d for d in _names(TRAINABILITY, CAPACITY) if METRICS[d].needs_pqc))
#: the run-level diagnostics (`DIAGNOSTIC`): computed on every run they apply to
#: (`etr.hybrid.run.DIAGNOSTICS`), whatever the spec's ``definitions``.
RUN_DIAGNOSTICS: Sequence[str] = _Names("diagnostic", lambda: tuple(
    m.name for m in METRICS.values() if m.kind == DIAGNOSTIC and m.level == RUN))
#: the ``[metrics]`` sample sizes of the circuit-level measures, by key.
SAMPLE_SIZES: Mapping[str, SampleSize] = _ColumnMap("sizes", _sample_sizes)


def interval_se(data: pd.DataFrame, name: str) -> np.ndarray | None:
    """Per-row standard error of metric `name` read off its interval columns (NaN where they
    are missing), or None when the dataset has none.

    Examples
    --------
    >>> df = pd.DataFrame({"expressibility_fp_ci_low": [0.98], "expressibility_fp_ci_high": [1.02]})
    >>> round(float(interval_se(df, "expressibility_fp")[0]), 4)
    0.0102
    """
    m = METRICS.get(name)
    if m is None or m.ci is None or not set(m.ci) <= set(data.columns):
        return None
    low, high = (pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float) for c in m.ci)
    return (high - low) / (2.0 * _Z)


@dataclass(frozen=True, slots=True)
class TrainingConfig:
    """One training configuration: what is trained, and whether a PQC is present."""

    name: str
    label: str
    meaning: str
    has_pqc: bool = True


#: the training configurations, in report order.
CONFIGS: dict[str, TrainingConfig] = {c.name: c for c in (
    TrainingConfig("pure_pqc", "pure PQC", "the PQC alone with a fixed readout; θ trained"),
    TrainingConfig("hybrid_quantum_only", "hybrid, quantum-only training",
                   "classical pre- and post-networks frozen at their initialisation; θ trained"),
    TrainingConfig("hybrid_full", "hybrid, end-to-end training",
                   "classical parts and θ trained together"),
    TrainingConfig("classical_only", "classical-only control",
                   "the same classical networks with the PQC replaced by a fixed classical map "
                   "of the same input and output width, trained end to end", has_pqc=False),
)}
TRAINING_CONFIGS: tuple[str, ...] = tuple(CONFIGS)
#: the configurations that hold a PQC (expressibility is defined for them).
PQC_CONFIGS: tuple[str, ...] = tuple(c for c, v in CONFIGS.items() if v.has_pqc)

#: what an analysis needs at the least; other columns are optional.
REQUIRED_COLUMNS: tuple[str, ...] = ("architecture_id", "training_config", "n_qubits", "layers")


def coerce_dtypes(data: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with every known column cast to its contract dtype (unknown columns kept)."""
    out = data.copy()
    for col, dtype in COLUMNS.items():
        if col in out.columns:
            try:
                out[col] = out[col].astype(dtype)
            except (TypeError, ValueError) as exc:
                raise InputError(f"column `{col}` cannot be read as {dtype}: {exc}") from None
    return out


def validate_dataset(data: object, *, required: Iterable[str] = REQUIRED_COLUMNS) -> pd.DataFrame:
    """Check `data` against the contract; return it with contract dtypes.

    Values outside their registered range are not refused here (a dataset is read as it is);
    `etr.analysis.data_quality` lists them and `etr.analysis.quality.clean` leaves them out.

    Raises
    ------
    etr.errors.InputError
        Not a DataFrame, empty, required columns missing (named), no trainability column,
        a metric column that is not numeric, or an unknown training configuration.
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"a dataset must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in required if c not in data.columns]
    if missing:
        raise InputError(f"dataset is missing required column(s): {', '.join(missing)}")
    if not any(c in data.columns for c in EXPRESSIBILITY_MEASURES):
        raise InputError(
            "dataset has no expressibility column; expected one of "
            + ", ".join(EXPRESSIBILITY_MEASURES)
        )
    if not any(c in data.columns for c in TRAINABILITY_DEFINITIONS):
        raise InputError(
            "dataset has no trainability column; expected one of "
            + ", ".join(TRAINABILITY_DEFINITIONS)
        )
    if len(data) == 0:
        raise InputError("dataset is empty (0 rows)")
    for col in METRIC_COLUMNS:
        if col in data.columns and not (
            pd.api.types.is_numeric_dtype(data[col]) or data[col].isna().all()
        ):
            raise InputError(f"column `{col}` must be numeric, got dtype {data[col].dtype}")
    unknown = sorted(set(data["training_config"].dropna().astype(str)) - set(TRAINING_CONFIGS))
    if unknown:
        raise InputError(
            f"column `training_config` has unknown value(s) {unknown}; allowed: "
            + ", ".join(TRAINING_CONFIGS)
        )
    out = coerce_dtypes(data)
    for col in METRIC_COLUMNS:
        if col in out.columns:
            out[col] = out[col].astype("float64").replace([np.inf, -np.inf], np.nan)
    return out
