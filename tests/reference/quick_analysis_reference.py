"""Freeze the analysis outputs on ``data/quick.parquet`` as a reference (run once, committed).

Produced with etr at commit 8cbfe39 (statsmodels MixedLM for every mixed model), before the
mixed models were rewritten for speed, so that ``tests/analysis/test_quick_reference.py`` can
check that the analysis gives the same results as before. Not re-run by the tests::

    python tests/reference/quick_analysis_reference.py   # -> quick_analysis.json

Tables: every table of `etr.report.analyze_dataset(data, seed=0)` (the report's analysis with
its default 1000 bootstrap replicates) and, for every trainability definition, the nested
mixed model of the report (``by=training_config``, the design's strata as covariates, with the
ML likelihood-ratio test) and the one of `tradeoff_summary` (width and depth only, no test),
with the log-likelihood of each statsmodels fit (``llf``: REML, full ML, null ML), so that the
tests can tell where MixedLM stopped short of the optimum. Run with the etr of that commit
first on the path (e.g. ``git archive 8cbfe39 etr | tar -x -C /tmp/before`` and
``PYTHONPATH=/tmp/before``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from etr.analysis import mixed as mixed_module
from etr.analysis import mixed_effects
from etr.experiment import read_dataset
from etr.report.analyze import analyze_dataset

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "data" / "quick.parquet"
OUT = HERE / "quick_analysis.json"
TABLES = ("claims", "claims_secondary", "tradeoff_summary", "comparisons", "association_kl",
          "control_gap", "control_gap_detail", "fixed_effects", "variance_components",
          "mixed_slopes", "model_comparison", "breakpoints", "regime_segments",
          "regime_selection", "stratified_correlation")


def _records(frame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", double_precision=15))


def _fit_with_llf(y, *args, **kwargs):
    """`mixed_effects` recording the log-likelihood of every statsmodels fit it makes."""
    llf: dict[str, float] = {}
    original = mixed_module._fit

    def spy(formula, model, re_formula, *, reml, notes):
        fit, ok = original(formula, model, re_formula, reml=reml, notes=notes)
        kind = "reml" if reml else ("ml_full" if "_x:" in formula or formula.startswith(
            "_y ~ _x") else "ml_null")
        llf[kind] = float(fit.llf)
        return fit, ok

    mixed_module._fit = spy
    try:
        res = mixed_effects(*args, y=y, **kwargs)
    finally:
        mixed_module._fit = original
    return res, llf


def _mixed(pair) -> dict:
    res, llf = pair
    return {"llf": llf,"fixed_effects": _records(res.fixed_effects),
            "variance_components": _records(res.variance_components),
            "slopes": _records(res.slopes), "lrt": _records(res.lrt),
            "r2": [res.r2_marginal, res.r2_conditional], "n": res.n, "n_groups": res.n_groups,
            "n_dropped": res.n_dropped, "converged": res.converged,
            "x_reliability": res.x_reliability, "formula": res.formula}


def main() -> None:
    warnings.simplefilter("ignore")
    data = read_dataset(DATA)
    res = analyze_dataset(data, seed=0)
    tables = res.tables()
    out: dict = {"tables": {name: _records(tables[name]) for name in TABLES if name in tables},
                 "model_definition": res.model_definition, "strata": list(res.design.strata),
                 "mixed": {}, "mixed_summary": {}}
    pqc = res.data[res.data["training_config"].astype(str) != "classical_only"]
    for d in res.options.definitions:
        if not np.isfinite(pqc[d].astype(float)).any():
            continue
        out["mixed"][d] = _mixed(_fit_with_llf(d, pqc, x=res.options.x,
                                               covariates=res.design.strata))
        out["mixed_summary"][d] = _mixed(_fit_with_llf(d, pqc, x=res.options.x, lrt=False))
    OUT.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
