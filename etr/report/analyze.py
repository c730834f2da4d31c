"""`etr analyze`: run the analysis API on a dataset and collect every result a report shows.

Layer one of the report (results). `analyze_dataset` returns an `AnalysisResults` holding tidy
DataFrames only; `etr.report.build.build_sections` turns them into page sections, and
`analyze_to_report` writes the HTML page, the JSON, CSV tables and figures.
"""

from __future__ import annotations

import itertools
import math
import platform
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from etr import __version__
from etr._rng import spawn_seeds
from etr._validation import check_choice, check_float, check_int
from etr.contract import TRAINABILITY_DEFINITIONS, TRAINING_CONFIGS
from etr.errors import ConvergenceWarning, DegenerateDataWarning, EtrError, InputError

__all__ = [
    "LOG_DEFINITIONS",
    "AnalysisResults",
    "analyze_dataset",
    "coverage_table",
    "failed_cells",
]

#: trainability definitions modelled on a log10 scale (positive, spanning decades).
LOG_DEFINITIONS: tuple[str, ...] = ("grad_var", "grad_var_train", "grad_norm")
X = "expressibility_kl"
#: scale of KL in the mixed models and regime fits (KL spans several decades; see
#: `etr.analysis.mixed_effects`); rank correlations do not depend on it.
X_SCALE = "log10"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AnalysisResults:
    """Everything a report shows, as tidy DataFrames (plus the analysis result objects).

    Attributes
    ----------
    data : the runs analysed (``status == "ok"``, selected configurations).
    summary : `etr.analysis.tradeoff_summary` (one row per configuration x definition).
    comparisons : `etr.analysis.compare_correlations` for every pair of configurations and
        definition, with a ``definition`` column.
    mixed : definition -> `MixedEffectsResult`.
    regimes : definition -> `RegimeResult`.
    stratified : `etr.analysis.stratified_correlation` of the primary definition.
    coverage : runs, architectures, seeds and failed cells per configuration.
    failed : the failed cells (architecture, seed, configuration, error).
    notes : what could not be computed and why; analysis warnings.
    options : how the analysis was run (n_boot, seed, confidence, definitions, configurations).
    provenance : dataset provenance plus dataset hash and report time.
    verdict_rule : the rule that maps correlations to verdicts, in words.
    """

    data: pd.DataFrame
    summary: pd.DataFrame
    comparisons: pd.DataFrame
    mixed: Mapping[str, Any]
    regimes: Mapping[str, Any]
    stratified: pd.DataFrame
    coverage: pd.DataFrame
    failed: pd.DataFrame
    notes: tuple[str, ...]
    options: Mapping[str, Any]
    provenance: Mapping[str, Any]
    verdict_rule: str = ""
    definitions: tuple[str, ...] = field(default=())
    configs: tuple[str, ...] = field(default=())

    @property
    def primary(self) -> str:
        """The definition shown first (``grad_var`` when present)."""
        return self.definitions[0]

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every result table by name (the names used for CSV files and JSON keys)."""
        out: dict[str, pd.DataFrame] = {
            "tradeoff_summary": self.summary,
            "comparisons": self.comparisons,
        }
        for name, attr in (("fixed_effects", "fixed_effects"),
                           ("variance_components", "variance_components"),
                           ("mixed_slopes", "slopes"), ("model_comparison", "lrt")):
            out[name] = _stack({d: getattr(r, attr) for d, r in self.mixed.items()})
        out["model_fit"] = mixed_fit_table(self.mixed)
        for name, attr in (("breakpoints", "breakpoints"), ("regime_segments", "segments"),
                           ("regime_selection", "selection")):
            out[name] = _stack({d: getattr(r, attr) for d, r in self.regimes.items()})
        out["stratified_correlation"] = self.stratified
        out["coverage"] = self.coverage
        out["failed_cells"] = self.failed
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: options, provenance, notes and every table as a list of records."""
        return {
            "etr_version": __version__,
            "options": dict(self.options),
            "provenance": {k: v for k, v in self.provenance.items()},
            "verdict_rule": self.verdict_rule,
            "notes": list(self.notes),
            "tables": {k: _records(v) for k, v in self.tables().items()},
        }


def _stack(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    parts = [f.assign(definition=d)[["definition", *f.columns]] for d, f in frames.items()
             if isinstance(f, pd.DataFrame) and len(f)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({str(k): _plain(v) for k, v in rec.items()})
    return out


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA:
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


def mixed_fit_table(mixed: Mapping[str, Any]) -> pd.DataFrame:
    """One row per definition: n, groups, R², convergence, formula, method of the mixed model."""
    rows = []
    for d, r in mixed.items():
        rows.append({"definition": d, "n": r.n, "n_groups": r.n_groups, "n_dropped": r.n_dropped,
                     "r2_marginal": r.r2_marginal, "r2_conditional": r.r2_conditional,
                     "converged": bool(r.converged), "formula": r.formula, "method": r.method})
    return pd.DataFrame(rows)


# --- coverage -------------------------------------------------------------------------------


def coverage_table(data: pd.DataFrame) -> pd.DataFrame:
    """Runs, successful runs, failed cells, architectures and seeds per training configuration.

    Examples
    --------
    >>> df = pd.DataFrame({"training_config": ["pure_pqc"] * 3, "architecture_id": list("aab"),
    ...                    "seed": [0, 1, 0], "status": ["ok", "failed", "ok"]})
    >>> coverage_table(df)[["training_config", "runs", "ok", "failed", "architectures"]]
      training_config  runs  ok  failed  architectures
    0        pure_pqc     3   2       1              2
    1           total     3   2       1              2
    """
    status = _status(data)
    df = data.assign(_ok=status.eq("ok"))
    rows = []
    groups = [(str(c), g) for c, g in df.groupby(df["training_config"].astype(str), sort=False)]
    order = {c: i for i, c in enumerate(TRAINING_CONFIGS)}
    groups.sort(key=lambda t: order.get(t[0], len(order)))
    for name, g in [*groups, ("total", df)]:
        rows.append({
            "training_config": name,
            "runs": len(g),
            "ok": int(g["_ok"].sum()),
            "failed": int((~g["_ok"]).sum()),
            "architectures": int(g["architecture_id"].nunique()),
            "seeds": int(g["seed"].nunique()) if "seed" in g else 0,
            "qubits": _span(g, "n_qubits"),
            "layers": _span(g, "layers"),
        })
    return pd.DataFrame(rows)


def _span(g: pd.DataFrame, col: str) -> str:
    if col not in g or g[col].dropna().empty:
        return ""
    lo, hi = int(g[col].min()), int(g[col].max())
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _status(data: pd.DataFrame) -> pd.Series:
    if "status" not in data:
        return pd.Series("ok", index=data.index)
    return data["status"].astype(object).fillna("ok").astype(str)


def failed_cells(data: pd.DataFrame) -> pd.DataFrame:
    """The runs with ``status != "ok"``: architecture, seed, configuration and error text."""
    bad = data[_status(data).ne("ok")]
    cols = [c for c in ("architecture_id", "circuit", "n_qubits", "layers", "seed",
                        "training_config", "status", "error") if c in data.columns]
    return bad[cols].reset_index(drop=True)


# --- running the analysis -------------------------------------------------------------------


class _Notes:
    """Collects what could not be computed and the warnings raised by the analysis."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def attempt(self, label: str, fn: Callable[[], T], *, needs: str = "") -> T | None:
        if needs:
            from etr import analysis

            if not hasattr(analysis, needs):
                self.add(f"{label}: not computed (etr.analysis.{needs} is not available)")
                return None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                out = fn()
            except (EtrError, np.linalg.LinAlgError) as exc:
                msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self.add(f"{label}: not computed ({msg})")
                return None
        for w in caught:
            if issubclass(w.category, DegenerateDataWarning | ConvergenceWarning):
                self.add(f"{label}: {str(w.message).splitlines()[0]}")
        return out

    def add(self, text: str) -> None:
        if text not in self.items:
            self.items.append(text)


def _select(name: str, chosen: Sequence[str] | None, allowed: Sequence[str]) -> tuple[str, ...]:
    if chosen is None:
        return tuple(allowed)
    if isinstance(chosen, str):
        chosen = [c.strip() for c in chosen.split(",") if c.strip()]
    for c in chosen:
        check_choice(name, c, allowed)
    if not chosen:
        raise InputError(f"`{name}` must name at least one of {{{', '.join(allowed)}}}")
    return tuple(dict.fromkeys(chosen))


def transform_for(definition: str, data: pd.DataFrame) -> str:
    """``"log10"`` for the gradient definitions when all their values are positive, else ``"none"``.

    Examples
    --------
    >>> transform_for("grad_var", pd.DataFrame({"grad_var": [1e-3, 2e-2]}))
    'log10'
    >>> transform_for("loss_decrease", pd.DataFrame({"loss_decrease": [0.1, 0.5]}))
    'none'
    """
    v = pd.to_numeric(data[definition], errors="coerce").dropna()
    return "log10" if definition in LOG_DEFINITIONS and len(v) and (v > 0).all() else "none"


def analyze_dataset(
    data: pd.DataFrame,
    *,
    n_boot: int = 1000,
    seed: int | None = 0,
    confidence: float = 0.95,
    definitions: Sequence[str] | None = None,
    configs: Sequence[str] | None = None,
    regime_boot: int | None = None,
    provenance: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> AnalysisResults:
    """Run the trade-off analysis on a contract-shaped dataset.

    Parameters
    ----------
    data : one row per run (see `etr.contract`); failed runs (``status != "ok"``) are counted
        in the coverage table and left out of the statistics.
    n_boot : bootstrap resamples for correlations and comparisons.
    seed : root seed; each analysis step gets its own seed spawned from it. ``None`` draws one
        and records it in ``options``.
    confidence : confidence level of every interval.
    definitions : trainability definitions to include (default: every one present).
    configs : training configurations to include (default: every one present).
    regime_boot : bootstrap resamples for breakpoint CIs (default ``min(n_boot, 200)``).
    provenance : shown in the report (e.g. ``df.attrs["provenance"]`` plus a dataset hash).
    progress : called with a short label before each step.

    Returns
    -------
    AnalysisResults

    Raises
    ------
    etr.errors.InputError
        Bad options, or no usable run left after the selection.

    Examples
    --------
    >>> from etr.analysis import synthetic_dataset
    >>> df = synthetic_dataset(n_architectures=12, n_seeds=2, seed=1)
    >>> res = analyze_dataset(df, n_boot=50, definitions=["grad_var"], seed=1)
    >>> sorted(res.summary["training_config"])
    ['hybrid_full', 'hybrid_quantum_only', 'pure_pqc']
    """
    from etr import analysis as A

    n_boot = check_int("n_boot", n_boot, minimum=50)
    confidence = check_float("confidence", confidence, low=0.5, high=0.999)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    seed = check_int("seed", seed, minimum=0)
    regime_boot = min(n_boot, 200) if regime_boot is None else check_int(
        "regime_boot", regime_boot, minimum=20)
    say = progress or (lambda _label: None)
    notes = _Notes()

    present_defs = [d for d in TRAINABILITY_DEFINITIONS if d in data.columns]
    defs = _select("definitions", definitions, TRAINABILITY_DEFINITIONS)
    configs_sel = _select("configs", configs, TRAINING_CONFIGS)
    for d in defs:
        if d not in present_defs:
            notes.add(f"{d}: not in the dataset")
    all_runs = data[data["training_config"].astype(str).isin(configs_sel)]
    ok = all_runs[_status(all_runs).eq("ok")].reset_index(drop=True)
    if ok.empty:
        raise InputError("no successful runs (status == 'ok') in the selected configurations "
                         f"{', '.join(configs_sel)}")
    defs = tuple(d for d in defs if d in present_defs
                 and np.isfinite(pd.to_numeric(ok[d], errors="coerce")).sum() >= 3)
    if not defs:
        raise InputError("no selected trainability definition has at least 3 finite values; "
                         f"columns present: {', '.join(present_defs) or 'none'}")
    configs_present = tuple(c for c in TRAINING_CONFIGS if c in set(ok["training_config"]))
    if len(configs_present) < 2:
        notes.add("comparisons between training configurations: not computed (the data hold "
                  f"one configuration, {configs_present[0]})")
    seeds = iter(spawn_seeds(seed, 4 + 2 * len(defs)))

    say("trade-off summary")
    summary = notes.attempt("trade-off summary", lambda: A.tradeoff_summary(
        ok, x=X, definitions=defs, configs=configs_present, n_boot=n_boot,
        confidence=confidence, seed=next(seeds)), needs="tradeoff_summary")
    summary = _empty_if_none(summary)

    say("comparisons")
    comp_parts = []
    comp_seed = next(seeds)
    for d in defs:
        for a, b in itertools.combinations(configs_present, 2):
            r = notes.attempt(f"comparison {a} vs {b} ({d})", lambda d=d, a=a, b=b:
                              A.compare_correlations(ok, x=X, y=d, a=a, b=b, n_boot=n_boot,
                                                     confidence=confidence, seed=comp_seed),
                              needs="compare_correlations")
            if r is not None:
                comp_parts.append(r.assign(definition=d))
    comparisons = pd.concat(comp_parts, ignore_index=True) if comp_parts else pd.DataFrame()
    if len(comparisons):
        comparisons = comparisons[["definition", *[c for c in comparisons.columns
                                                   if c != "definition"]]]

    mixed: dict[str, Any] = {}
    regimes: dict[str, Any] = {}
    by = "training_config" if len(configs_present) > 1 else None
    for d in defs:
        tf = transform_for(d, ok)
        say(f"mixed model ({d})")
        r = notes.attempt(f"mixed model ({d})", lambda d=d, tf=tf: A.mixed_effects(
            ok, y=d, x=X, by=by, transform_y=tf, transform_x=X_SCALE, confidence=confidence),
            needs="mixed_effects")
        if r is not None:
            mixed[d] = r
            for w in getattr(r, "warnings", ()):
                notes.add(f"mixed model ({d}): {w}")
        say(f"regimes ({d})")
        s = next(seeds)
        r = notes.attempt(f"regimes ({d})", lambda d=d, tf=tf, s=s: A.segment_regimes(
            ok, x=X, y=d, by=by, n_boot=regime_boot, transform_y=tf, transform_x=X_SCALE,
            confidence=confidence,
            seed=s), needs="segment_regimes")
        if r is not None:
            regimes[d] = r

    say("stratified correlation")
    strat = notes.attempt(f"stratified correlation ({defs[0]})", lambda: A.stratified_correlation(
        ok, x=X, y=defs[0], by=by), needs="stratified_correlation")
    strat = _empty_if_none(strat)

    options = {"n_boot": n_boot, "regime_boot": regime_boot, "seed": seed,
               "confidence": confidence, "definitions": list(defs),
               "configs": list(configs_present), "x": X}
    prov = {"etr_version": __version__, **dict(provenance or {}),
            "report_created": datetime.now(UTC).isoformat(timespec="seconds"),
            "report_platform": platform.platform(),
            "report_python": sys.version.split()[0]}
    return AnalysisResults(
        data=ok, summary=summary, comparisons=comparisons, mixed=mixed, regimes=regimes,
        stratified=strat, coverage=coverage_table(all_runs), failed=failed_cells(all_runs),
        notes=tuple(notes.items), options=options, provenance=prov,
        verdict_rule=str(getattr(A, "VERDICT_RULE", "")), definitions=defs,
        configs=configs_present)


def _empty_if_none(df: pd.DataFrame | None) -> pd.DataFrame:
    return pd.DataFrame() if df is None else df
