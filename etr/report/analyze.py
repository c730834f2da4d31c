"""`etr analyze`: run the analysis API on a dataset and collect every result a report shows.

Layer one of the report (results). `analyze_dataset` returns an `AnalysisResults` of tidy
DataFrames and the analysis' own result objects; `etr.report.sections` turns them into page
sections and `etr.report.build.analyze_to_report` writes the HTML page, JSON, CSV tables and
figures. Which runs answer which question (the primary analysis on exact runs, per-task and
finite-shot secondary analyses) is `etr.report.design`.

Each step runs through `_Notes.attempt`: a step that cannot be computed on these data (an
`etr.errors.EtrError` or a singular model) leaves its table empty and a note saying why, and the
analysis' `DegenerateDataWarning` / `ConvergenceWarning` become notes too. Nothing is dropped
silently: the data-quality table and the coverage table say what was removed and what was used.
"""

from __future__ import annotations

import math
import os
import platform
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from etr import __version__
from etr import analysis as A
from etr._rng import spawn_seeds
from etr._validation import check_choice, check_float, check_int
from etr.analysis._common import pqc_rows
from etr.analysis.claims import adjusted_table
from etr.analysis.mixed import MixedEffectsResult
from etr.analysis.quality import clean
from etr.analysis.regimes import RegimeResult
from etr.contract import (
    CONFIGS,
    EXPRESSIBILITY_MEASURES,
    PRIMARY_X,
    TRAINABILITY_DEFINITIONS,
    TRAINABILITY_ONLY,
    TRAINING_CONFIGS,
)
from etr.errors import ConvergenceWarning, DegenerateDataWarning, EtrError, InputError
from etr.parallel import default_workers
from etr.report import theory as T
from etr.report.coverage import coverage_table, failed_cells, status
from etr.report.design import (
    Design,
    design_for,
    exact_runs,
    noisy_exact_runs,
    shot_subsets,
    task_runs,
)
from etr.report.noise import NoiseResults, analyze_noise
from etr.report.shots import shot_results

__all__ = ["AnalysisOptions", "AnalysisResults", "TheoryResults", "analyze_dataset",
           "model_definition", "records"]

#: the expressibility measure shown beside the primary one (the paper-comparable Sim KL).
PAPER_X = "expressibility_kl"
#: smallest number of finite values a definition needs to be analysed.
MIN_VALUES = 3
#: regime bootstrap replicates, at most (breakpoint intervals; the claims do not use them).
MAX_REGIME_BOOT = 200
T_ = TypeVar("T_")


# --- result types ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    """How the analysis was run."""

    n_boot: int
    regime_boot: int
    seed: int
    confidence: float
    margin: float
    definitions: tuple[str, ...]
    configs: tuple[str, ...]
    x: str = PRIMARY_X
    cluster: str = "pqc_id"
    claims: A.Registry = A.REGISTRY

    @property
    def alpha(self) -> float:
        """Family-wise error rate of the claims and of the verdict table."""
        return 1.0 - self.confidence

    @property
    def primary(self) -> str:
        """The definition shown first (the registry's first present, ``grad_var`` usually)."""
        return self.definitions[0]

    @property
    def claim_definitions(self) -> tuple[str, ...]:
        """The trainability definitions the claims are tested on (not the capacity measure)."""
        return tuple(d for d in self.definitions if d in TRAINABILITY_ONLY)

    def to_dict(self) -> dict[str, Any]:
        return {"n_boot": self.n_boot, "regime_boot": self.regime_boot, "seed": self.seed,
                "confidence": self.confidence, "alpha": self.alpha, "margin": self.margin,
                "definitions": list(self.definitions), "configs": list(self.configs),
                "x": self.x, "paper_x": PAPER_X, "cluster": self.cluster,
                "claims": {"name": self.claims.name, "version": self.claims.version,
                           "source": self.claims.source, "sha256": self.claims.sha256}}


@dataclass(frozen=True, slots=True)
class TheoryResults:
    """The theory tables of `etr.report.theory`."""

    circuits: pd.DataFrame
    explained: pd.DataFrame
    not_applicable: pd.DataFrame
    tolerance: float = T.TOLERANCE
    convergence: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True, slots=True)
class AnalysisResults:
    """Everything a report shows.

    Attributes
    ----------
    data : the runs of the primary analysis (kept, exact; see `etr.report.design`).
    design : `Design` (strata, tasks, shot levels).
    options : `AnalysisOptions`.
    claims : `etr.analysis.evaluate_claims` on the primary runs.
    claims_adjusted : its primary verdicts re-estimated under the registered adjustment sets
        (``claims.attrs["adjusted"]``).
    claims_secondary : the same per task and per shot level, with ``analysis`` (what subset)
        and ``breakdown`` (the family of the breakdown it belongs to) columns in front.
    summary : `etr.analysis.tradeoff_summary` (conditional and marginal association, verdict).
    comparisons : `etr.analysis.compare_configurations` (Holm).
    association_kl : `etr.analysis.conditional_correlation` with the Sim KL as x, per
        definition, at the level of the summary's intervals.
    control : `etr.analysis.control_gap` per task and hybrid configuration.
    control_detail : the same by pre-network and width.
    theory : `TheoryResults`.
    mixed : `etr.analysis.mixed_effects` of `model_definition` (None if not computed).
    regimes : `etr.analysis.segment_regimes` of `model_definition` (None if not computed).
    stratified : `etr.analysis.stratified_correlation` of `model_definition`, oriented.
    quality : `etr.analysis.data_quality` of every selected run.
    coverage : `etr.report.coverage.coverage_table`.
    failed : the failed runs.
    notes : what could not be computed and why; warnings of the analysis.
    provenance : dataset provenance, hashes, report time and platform.
    nas_given : whether a NAS comparison table was passed.
    model_definition : the definition of the model sections (`model_definition`).
    shot_claims : `etr.analysis.shot_claims` (exact vs finite-shot twins; empty without
        finite-shot runs).
    shot_snr : `etr.analysis.snr_summary` of the finite-shot runs.
    noise : `etr.report.noise.NoiseResults` when the data hold noise levels, else None.
    """

    data: pd.DataFrame
    design: Design
    options: AnalysisOptions
    claims: pd.DataFrame
    claims_secondary: pd.DataFrame
    summary: pd.DataFrame
    comparisons: pd.DataFrame
    association_kl: pd.DataFrame
    control: pd.DataFrame
    control_detail: pd.DataFrame
    theory: TheoryResults
    mixed: MixedEffectsResult | None
    regimes: RegimeResult | None
    stratified: pd.DataFrame
    quality: pd.DataFrame
    coverage: pd.DataFrame
    failed: pd.DataFrame
    notes: tuple[str, ...]
    provenance: dict[str, Any]
    nas_given: bool = False
    model_definition: str = ""
    shot_claims: pd.DataFrame = field(default_factory=pd.DataFrame)
    shot_snr: pd.DataFrame = field(default_factory=pd.DataFrame)
    noise: NoiseResults | None = None
    claims_adjusted: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def definitions(self) -> tuple[str, ...]:
        return self.options.definitions

    @property
    def configs(self) -> tuple[str, ...]:
        return self.options.configs

    @property
    def primary(self) -> str:
        return self.options.primary

    @property
    def verdict_rule(self) -> str:
        return A.VERDICT_RULE

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every result table by name (the names used for CSV files and JSON keys)."""
        out: dict[str, pd.DataFrame] = {
            "claims": self.claims,
            "claims_adjusted": self.claims_adjusted,
            "claims_secondary": self.claims_secondary,
            "tradeoff_summary": self.summary,
            "comparisons": self.comparisons,
            "association_kl": self.association_kl,
            "control_gap": self.control,
            "control_gap_detail": self.control_detail,
            "theory_circuits": self.theory.circuits,
            "theory_explained": self.theory.explained,
            "theory_not_applicable": self.theory.not_applicable,
            "theory_convergence": self.theory.convergence,
        }
        if self.mixed is not None:
            out.update(fixed_effects=self.mixed.fixed_effects,
                       variance_components=self.mixed.variance_components,
                       mixed_slopes=self.mixed.slopes, model_comparison=self.mixed.lrt)
        if self.regimes is not None:
            out.update(breakpoints=self.regimes.breakpoints,
                       regime_segments=self.regimes.segments,
                       regime_selection=self.regimes.selection)
        out.update(stratified_correlation=self.stratified, data_quality=self.quality,
                   coverage=self.coverage, failed_cells=self.failed)
        if not self.shot_claims.empty or not self.shot_snr.empty:
            out.update(shot_claims=self.shot_claims, shot_snr=self.shot_snr)
        if self.noise is not None:
            out.update(self.noise.tables())
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: options, design, provenance, notes and every table as records."""
        return {
            "etr_version": __version__,
            "options": self.options.to_dict(),
            "design": self.design.to_dict(),
            "provenance": dict(self.provenance),
            "verdict_rule": self.verdict_rule,
            "claims": self.options.claims.to_dict(),
            "nas_given": self.nas_given,
            "notes": list(self.notes),
            "tables": {k: records(v) for k, v in self.tables().items()},
        }


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of `df` as JSON-ready dicts (NaN -> None, numpy scalars -> Python)."""
    return [{str(k): _plain(v) for k, v in rec.items()} for rec in df.to_dict(orient="records")]


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.bool_ | bool):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v if isinstance(v, int | str) else str(v)


# --- notes ----------------------------------------------------------------------------------


class _Notes:
    """Collects what could not be computed and the warnings raised by the analysis.

    Warnings of one step that give the same reason for several rows ("pure_pqc, grad_var: 2
    distinct circuit(s), fewer than 3; its row is NaN", ...) become one note naming how many
    rows and the first of them.
    """

    #: more rows than this with one reason are collapsed into one note.
    MAX_LISTED = 2

    def __init__(self) -> None:
        self.items: list[str] = []

    def attempt(self, label: str, fn: Callable[[], T_]) -> T_ | None:
        """Run `fn`; an `EtrError` or a singular model becomes a note and None."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                out = fn()
            except (EtrError, np.linalg.LinAlgError) as exc:
                msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self.add(f"{label}: not computed ({msg})")
                return None
        messages = [str(w.message).splitlines()[0] for w in caught
                    if issubclass(w.category, DegenerateDataWarning | ConvergenceWarning)]
        for text in self._collapsed(messages):
            self.add(f"{label}: {text}")
        return out

    def _collapsed(self, messages: list[str]) -> list[str]:
        by_reason: dict[str, list[str]] = {}
        for m in dict.fromkeys(messages):
            where, sep, reason = m.partition(": ")
            by_reason.setdefault(reason if sep else m, []).append(where if sep else "")
        out = []
        for reason, where in by_reason.items():
            if len(where) > self.MAX_LISTED and all(where):
                short = reason.removesuffix("; its row is NaN")
                out.append(f"{len(where)} rows NaN ({short}), e.g. {where[0]}")
            else:
                out.extend(f"{w}: {reason}" if w else reason for w in where)
        return out

    def add(self, text: str) -> None:
        if text not in self.items:
            self.items.append(text)


def _quality_note(quality: pd.DataFrame) -> str:
    """One line summing the data-quality table by issue ("" when nothing was found)."""
    if quality.empty:
        return ""
    plural = {"value ignored": "values ignored", "row dropped": "rows dropped"}
    parts = []
    for issue, g in quality.groupby("issue", sort=False):
        action = str(g["action"].iloc[0])
        parts.append(f"{int(g['n_affected'].sum())} {issue}: {plural.get(action, action)}")
    return "data quality: " + "; ".join(parts) + " (see the data-quality table)"


def _frame(df: pd.DataFrame | None) -> pd.DataFrame:
    return pd.DataFrame() if df is None else df


# --- options and selection ------------------------------------------------------------------


def _select(name: str, chosen: Sequence[str] | str | None,
            allowed: Sequence[str]) -> tuple[str, ...]:
    if chosen is None:
        return tuple(allowed)
    if isinstance(chosen, str):
        chosen = [c.strip() for c in chosen.split(",") if c.strip()]
    for c in chosen:
        check_choice(name, c, allowed)
    if not chosen:
        raise InputError(f"`{name}` must name at least one of {{{', '.join(allowed)}}}")
    return tuple(dict.fromkeys(chosen))


def _finite_count(data: pd.DataFrame, col: str) -> int:
    if col not in data.columns:
        return 0
    return int(np.isfinite(pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float))
               .sum())


def _usable_definitions(pqc_runs: pd.DataFrame, wanted: tuple[str, ...],
                        notes: _Notes) -> tuple[str, ...]:
    out = []
    for d in wanted:
        k = _finite_count(pqc_runs, d)
        if d not in pqc_runs.columns:
            notes.add(f"{d}: not in the dataset")
        elif k < MIN_VALUES:
            notes.add(f"{d}: left out ({k} finite value(s) in the primary runs, fewer than "
                      f"{MIN_VALUES})")
        else:
            out.append(d)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Runs:
    """The runs of one analysis and how they were chosen."""

    selected: pd.DataFrame   # every run of the selected configurations, as read
    kept: pd.DataFrame       # failed and duplicated runs removed, impossible values -> NaN
    primary: pd.DataFrame    # the runs of the primary analysis (exact, noiseless)
    design: Design


def _runs(data: pd.DataFrame, configs: tuple[str, ...], x: str) -> _Runs:
    selected = data[data["training_config"].astype(str).isin(configs)]
    ok = selected[status(selected).eq("ok")]
    if ok.empty:
        raise InputError("no successful runs (status == 'ok') in the selected configurations "
                         f"{', '.join(configs)}")
    kept = clean(selected).data
    design = design_for(kept)
    primary = exact_runs(kept, design)
    pqc = primary[pqc_rows(primary)]
    if pqc.empty:
        raise InputError("no run with a PQC in the selected configurations "
                         f"{', '.join(configs)}: nothing to analyse")
    if _finite_count(pqc, x) == 0:
        others = [c for c in EXPRESSIBILITY_MEASURES if c != x and _finite_count(pqc, c)]
        raise InputError(f"no run has a finite `{x}` (the expressibility the analysis uses): "
                         "nothing to analyse" + (f" (finite values only in {', '.join(others)})"
                                                 if others else ""))
    return _Runs(selected=selected, kept=kept, primary=primary, design=design)


# --- the steps ------------------------------------------------------------------------------


def _claims(runs: _Runs, opts: AnalysisOptions, nas: pd.DataFrame | None,
            noise: NoiseResults | None) -> pd.DataFrame:
    """The registered claims on every registered definition present (``--definitions`` selects
    what the descriptive sections show, never what decides a claim). Not wrapped in a note:
    degenerate data give "inconclusive" rows, so an error here is bad input (a malformed `nas`
    table, a missing column) and stops the report with its one-line message. The noise claim
    is tested (in its own family) only when the data hold noise levels."""
    table = None if noise is None or noise.association.empty else noise.association
    return A.evaluate_claims(
        runs.primary, claims=opts.claims, x=opts.x, definitions=None,
        margin=_override(opts.margin, opts.claims.margin),
        alpha=_override(opts.alpha, opts.claims.alpha), nas=nas, noise=table,
        strata=runs.design.strata, cluster=opts.cluster)


def _override(value: float, registered: float) -> float | None:
    """`value` when it differs from the registered one (recorded as an override), else None."""
    return None if abs(value - registered) < 1e-12 else value


def _secondary_claims(runs: _Runs, opts: AnalysisOptions, notes: _Notes) -> pd.DataFrame:
    """Per task and per shot level (see `etr.report.design`); NAS rows left out."""
    parts = []

    def one(label: str, family: str, data: pd.DataFrame, strata: tuple[str, ...]) -> None:
        got = notes.attempt(f"secondary claims ({label})", lambda: A.evaluate_claims(
            data, claims=opts.claims, x=opts.x, definitions=None,
            margin=_override(opts.margin, opts.claims.margin),
            alpha=_override(opts.alpha, opts.claims.alpha), strata=strata,
            cluster=opts.cluster, adjust_sets=False))
        if got is not None:
            got = got[got["kind"] == "association"]
            parts.append(got.assign(analysis=label, breakdown=family))

    design = runs.design
    if len(design.tasks) > 1:
        for task in design.tasks:
            one(f"task = {task}", f"task = {task}", task_runs(runs.primary, task), A.STRATA)
    if design.primary_is_exact:
        for level in design.shot_levels:
            finite, exact = shot_subsets(runs.kept, level)
            family = f"{level} shots vs exact, same circuits"
            one(f"exact, circuits with {level}-shot runs", family, exact, design.strata)
            one(f"{level} shots", family, finite, design.strata)
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out[["analysis", "breakdown", *[c for c in out.columns
                                           if c not in ("analysis", "breakdown")]]]


def _association(runs: _Runs, opts: AnalysisOptions, seeds: list,
                 notes: _Notes) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Verdict table, comparisons and the paper-comparable association (Sim KL as x)."""
    pqc = runs.primary[pqc_rows(runs.primary)]
    configs = tuple(c for c in opts.configs if CONFIGS[c].has_pqc
                    and c in set(pqc["training_config"].astype(str)))
    strata = runs.design.strata
    summary = _frame(notes.attempt("trade-off summary", lambda: A.tradeoff_summary(
        runs.primary, x=opts.x, definitions=opts.definitions, configs=configs,
        n_boot=opts.n_boot, confidence=opts.confidence, strata=strata,
        cluster=opts.cluster, seed=seeds[0])))
    if len(configs) > 1:
        comparisons = _frame(notes.attempt("comparisons", lambda: A.compare_configurations(
            runs.primary, x=opts.x, definitions=opts.definitions, configs=configs,
            strata=strata, cluster=opts.cluster, alpha=opts.alpha)))
    else:
        notes.add("comparisons between training configurations: not computed (the data hold "
                  f"one configuration with a PQC, {configs[0] if configs else 'none'})")
        comparisons = pd.DataFrame()
    level = float(summary["ci_level"].iloc[0]) if len(summary) else opts.confidence
    kl = pd.DataFrame()
    if _finite_count(pqc, PAPER_X) and PAPER_X != opts.x:
        parts = []
        for d in opts.definitions:
            r = notes.attempt(f"association with {PAPER_X} ({d})",
                              lambda d=d: A.conditional_correlation(
                                  runs.primary, y=d, x=PAPER_X, strata=strata,
                                  cluster=opts.cluster, confidence=level))
            if r is not None:
                parts.append(r.assign(definition=d, ci_level=level))
        if parts:
            kl = pd.concat(parts, ignore_index=True)
            kl = kl[["definition", *[c for c in kl.columns if c != "definition"]]]
    return summary, comparisons, kl


def _control(runs: _Runs, opts: AnalysisOptions, seeds: list,
             notes: _Notes) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = runs.primary
    control = [c for c, v in CONFIGS.items() if not v.has_pqc]
    hybrids = tuple(c for c in opts.configs if CONFIGS[c].has_pqc and c != "pure_pqc"
                    and c in set(data["training_config"].astype(str)))
    if not data["training_config"].astype(str).isin(control).any():
        notes.add("what the PQC adds: not computed (no classical-only control runs in the "
                  "primary data)")
        return pd.DataFrame(), pd.DataFrame()
    if not hybrids:
        notes.add("what the PQC adds: not computed (no hybrid configuration selected)")
        return pd.DataFrame(), pd.DataFrame()
    gap = _frame(notes.attempt("what the PQC adds", lambda: A.control_gap(
        data, configs=hybrids, confidence=opts.confidence, n_boot=opts.n_boot,
        seed=seeds[0])))
    by = tuple(c for c in ("classical_pre", "n_qubits") if c in data.columns)
    detail = _frame(notes.attempt("what the PQC adds (by pre-network and width)",
                                  lambda: A.control_gap(data, configs=hybrids, by=by,
                                                        confidence=opts.confidence,
                                                        n_boot=opts.n_boot, seed=seeds[1])))
    return gap, detail


def _theory(runs: _Runs) -> TheoryResults:
    circuits = T.circuit_table(runs.primary)
    return TheoryResults(circuits=circuits, explained=T.explained_table(circuits),
                         not_applicable=T.not_applicable_table(circuits),
                         convergence=T.convergence_table(circuits))


def _by(runs: _Runs) -> str | None:
    configs = runs.primary.loc[pqc_rows(runs.primary), "training_config"].astype(str)
    return "training_config" if configs.nunique() > 1 else None


def model_definition(summary: pd.DataFrame, definitions: tuple[str, ...]) -> str:
    """The definition the model sections show: the first whose association could be
    estimated in some configuration (the first definition when none could).

    Examples
    --------
    >>> s = pd.DataFrame({"definition": ["grad_var", "grad_norm"], "estimate": [np.nan, 0.2]})
    >>> model_definition(s, ("grad_var", "grad_norm"))
    'grad_norm'
    """
    if len(summary) and {"definition", "estimate"} <= set(summary.columns):
        ok = summary.loc[np.isfinite(summary["estimate"].astype(float)), "definition"]
        for d in definitions:
            if d in set(ok):
                return d
    return definitions[0]


def _models(runs: _Runs, opts: AnalysisOptions, d: str, seeds: list, notes: _Notes,
            workers: int | None = 1
            ) -> tuple[MixedEffectsResult | None, RegimeResult | None, pd.DataFrame]:
    """Mixed model, regimes and cell correlations of definition `d`."""
    by = _by(runs)
    pqc = runs.primary[pqc_rows(runs.primary)]
    covariates = runs.design.strata
    mixed = notes.attempt(f"mixed model ({d})", lambda: A.mixed_effects(
        pqc, y=d, x=opts.x, by=by, covariates=covariates, confidence=opts.confidence))
    regimes = notes.attempt(f"regimes ({d})", lambda: A.segment_regimes(
        pqc, x=opts.x, y=d, by=by, n_boot=opts.regime_boot, confidence=opts.confidence,
        cluster=opts.cluster, seed=seeds[0], workers=workers))
    cell_by = [c for c in ("training_config", "task") if (c == "training_config" and by)
               or (c == "task" and len(runs.design.tasks) > 1)]
    strat = _frame(notes.attempt(f"cell correlations ({d})", lambda: A.stratified_correlation(
        pqc, x=opts.x, y=d, by=cell_by or None, cluster=opts.cluster)))
    if len(strat) and "estimate" in strat.columns:
        strat = strat.assign(estimate=A.orientation(opts.x, d) * strat["estimate"])
    return mixed, regimes, strat


# --- the entry point ------------------------------------------------------------------------


def _options(data: pd.DataFrame, *, n_boot: int, seed: int | None, confidence: float | None,
             margin: float | None, definitions: Sequence[str] | str | None,
             configs: Sequence[str] | str | None, regime_boot: int | None,
             x: str | None = None, claims: A.Registry | str | os.PathLike | None = None
             ) -> AnalysisOptions:
    n_boot = check_int("n_boot", n_boot, minimum=50)
    registry = claims if isinstance(claims, A.Registry) else A.load_claims(claims)
    confidence = check_float("confidence", 1.0 - registry.alpha if confidence is None
                             else confidence, low=0.5, high=0.999)
    margin = check_float("margin", registry.margin if margin is None else margin, low=0.01,
                         high=0.5)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    seed = check_int("seed", seed, minimum=0)
    regime_boot = min(n_boot, MAX_REGIME_BOOT) if regime_boot is None else check_int(
        "regime_boot", regime_boot, minimum=20)
    # registry order whatever the order asked for: every table and chart lists them alike
    chosen_defs = set(_select("definitions", definitions, TRAINABILITY_DEFINITIONS))
    defs = tuple(d for d in TRAINABILITY_DEFINITIONS if d in chosen_defs)
    chosen = set(_select("configs", configs, TRAINING_CONFIGS))
    present = set(data["training_config"].dropna().astype(str))
    configs_present = tuple(c for c in TRAINING_CONFIGS if c in chosen and c in present)
    if not configs_present:
        raise InputError("none of the selected configurations "
                         f"({', '.join(sorted(chosen))}) is in column `training_config`; "
                         f"present: {', '.join(sorted(present))}")
    x = registry.x if x is None else x
    check_choice("x", x, EXPRESSIBILITY_MEASURES)
    return AnalysisOptions(n_boot=n_boot, regime_boot=regime_boot, seed=seed,
                           confidence=confidence, margin=margin, definitions=defs,
                           configs=configs_present, x=x, claims=registry)


def analyze_dataset(
    data: pd.DataFrame,
    *,
    n_boot: int = 1000,
    seed: int | None = 0,
    confidence: float | None = None,
    margin: float | None = None,
    definitions: Sequence[str] | str | None = None,
    configs: Sequence[str] | str | None = None,
    nas: pd.DataFrame | None = None,
    regime_boot: int | None = None,
    provenance: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int | None = 1,
    x: str | None = None,
    claims: A.Registry | str | os.PathLike | None = None,
) -> AnalysisResults:
    """Run the trade-off analysis on a contract-shaped dataset.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per run (see `etr.contract`); failed and duplicated runs are counted in the
        coverage and data-quality tables and left out of the statistics.
    n_boot : int
        Bootstrap replicates (the control gap; the breakpoint intervals use at most
        `MAX_REGIME_BOOT`).
    seed : int or None
        Root seed; each step gets its own seed spawned from it. ``None`` draws one and records
        it in ``options``.
    confidence : float, optional
        ``1 - alpha``: the family-wise level of the verdict table (Bonferroni); the other
        intervals are at this level. Default ``1 -`` the claims file's alpha; another value
        overrides the claims' alpha too (recorded with the claims file).
    margin : float, optional
        Equivalence margin of "eliminated" and of "no regime difference" (r scale); default
        the claims file's (another value overrides it, recorded).
    definitions : sequence of str, optional
        Trainability definitions to include (default: every registered one present), in
        registry order whatever the order given; the first is the primary definition.
    configs : sequence of str, optional
        Training configurations to include (default: every one present).
    nas : pandas.DataFrame, optional
        The NAS comparison table (``etr nas --compare`` writes it as ``<report>.claims.csv``;
        columns `etr.analysis.NAS_COLUMNS`); without it the NAS claims are "not evaluated".
    regime_boot : int, optional
        Bootstrap replicates of the breakpoint intervals (default ``min(n_boot, 200)``).
    provenance : mapping, optional
        Shown in the report (e.g. ``df.attrs["provenance"]`` plus a dataset hash).
    progress : callable, optional
        Called with a short label before each step.
    workers : int or None
        Processes for the bootstrap refits of the breakpoint intervals (None: every usable
        core; 1: this process). Results do not depend on it.
    x : str, optional
        The expressibility measure of every association (default: the claims registry's,
        `etr.contract.PRIMARY_X`).
    claims : Registry, path or None
        The claims file to decide (default the packaged `etr.analysis.REGISTRY`).

    Returns
    -------
    AnalysisResults

    Raises
    ------
    etr.errors.InputError
        Bad options, a malformed `nas` table, or nothing to analyse (no successful run, no
        finite expressibility, no trainability definition with 3 finite values).

    Examples
    --------
    >>> from etr.analysis import planted_dataset
    >>> df = planted_dataset(n_pqcs=48, n_seeds=2, seed=1)
    >>> res = analyze_dataset(df, n_boot=50, definitions=["grad_var_train"], seed=1)
    >>> res.claims.drop_duplicates("claim")["claim"].tolist()[:2]
    ['pure_weak', 'pure_regime_dependent']
    >>> res.design.strata
    ('n_qubits', 'layers')
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    # pandas deep-copies `attrs` (the dataset's provenance, with its spec) into every frame an
    # operation returns; the analysis makes tens of thousands of them, and on the quick data
    # that copying cost as much as the statistics. The provenance travels in `provenance`.
    data = data.copy(deep=False)
    data.attrs = {}
    opts = _options(data, n_boot=n_boot, seed=seed, confidence=confidence, margin=margin,
                    definitions=definitions, configs=configs, regime_boot=regime_boot, x=x,
                    claims=claims)
    workers = check_int("workers", default_workers() if workers is None else workers,
                        minimum=1)
    say = progress or (lambda _label: None)
    notes = _Notes()
    runs = _runs(data, opts.configs, opts.x)
    pqc = runs.primary[pqc_rows(runs.primary)]
    defs = _usable_definitions(pqc, opts.definitions, notes)
    if not defs:
        raise InputError("no selected trainability definition has at least "
                         f"{MIN_VALUES} finite values in the primary runs; asked for "
                         f"{', '.join(opts.definitions)}")
    opts = replace(opts, definitions=defs)
    seeds = list(spawn_seeds(opts.seed, 6))
    noise = None
    if runs.design.n_noisy:
        say("noise")
        noise = analyze_noise(
            noisy_exact_runs(runs.kept), definitions=opts.claim_definitions, x=opts.x,
            strata=runs.design.strata, cluster=opts.cluster, confidence=opts.confidence,
            alpha=opts.alpha, attempt=notes.attempt)
    say("claims")
    claims = _claims(runs, opts, nas, noise)
    say("secondary analyses")
    secondary = _secondary_claims(runs, opts, notes)
    say("finite shots")
    shots, snr = (shot_results(
        runs.kept, claims=opts.claims, x=opts.x,
        margin=_override(opts.margin, opts.claims.margin),
        alpha=_override(opts.alpha, opts.claims.alpha), strata=runs.design.strata,
        cluster=opts.cluster,
        attempt=notes.attempt) if runs.design.shot_levels and runs.design.primary_is_exact
        else (pd.DataFrame(), pd.DataFrame()))
    say("association and verdicts")
    summary, comparisons, kl = _association(runs, opts, seeds[0:1], notes)
    say("what the PQC adds")
    control, detail = _control(runs, opts, seeds[1:3], notes)
    say("theory")
    theory = _theory(runs)
    modelled = model_definition(summary, opts.definitions)
    say(f"models ({modelled})")
    mixed, regimes, strat = _models(runs, opts, modelled, seeds[3:4], notes, workers)
    quality = A.data_quality(runs.selected)
    if _quality_note(quality):
        notes.add(_quality_note(quality))
    prov = {"etr_version": __version__, **dict(provenance or {}),
            "claims_file": opts.claims.source, "claims_sha256": opts.claims.sha256,
            "report_created": datetime.now(UTC).isoformat(timespec="seconds"),
            "report_platform": platform.platform(),
            "report_python": sys.version.split()[0]}
    return AnalysisResults(
        data=runs.primary, design=runs.design, options=opts, claims=claims,
        claims_secondary=secondary, summary=summary, comparisons=comparisons,
        association_kl=kl, control=control, control_detail=detail, theory=theory,
        mixed=mixed, regimes=regimes, stratified=strat, quality=quality,
        coverage=coverage_table(runs.selected, runs.kept, runs.primary, x=opts.x),
        failed=failed_cells(runs.selected), notes=tuple(notes.items), provenance=prov,
        nas_given=nas is not None, model_definition=modelled, noise=noise,
        claims_adjusted=adjusted_table(claims), shot_claims=shots, shot_snr=snr)

