"""The NAS report: sections, the shared log ticks, verdicts or the reason they are missing."""

from __future__ import annotations

import pytest

from etr.nas import synthetic_evaluator
from etr.nas.report import _control_section, claim_verdicts, front_projection_chart, nas_report
from etr.nas.run import run_nas
from etr.nas.spec import parse_nas_spec


@pytest.fixture(scope="module")
def result():
    spec = parse_nas_spec({"nas": {"n_trials": 6, "population_size": 3, "compare": [
        "hybrid_quantum_only/grad_var", "hybrid_full/grad_var"]}})
    return run_nas(spec, evaluator=synthetic_evaluator)


@pytest.mark.slow  # renders a whole page (the inlined Vega bundle, etr.analysis imports)
def test_report_has_the_noise_reference_and_the_control(result) -> None:
    html = nas_report(result)
    for heading in ("Do fronts differ more between settings than between seeds?",
                    "What the PQC adds: the classical-only control",
                    "Pareto fronts (2-D projections)", "claims table"):
        assert heading in html


def test_log_objectives_get_1_2_5_ticks() -> None:
    import pandas as pd

    from etr.nas.objectives import resolve_objectives

    x, y, _ = resolve_objectives(["expressibility", "trainability", "accuracy"], "grad_var")
    assert x.log_scale and y.log_scale  # from the registry
    gv = [3e-4, 2e-3, 1.5e-2, 0.08]
    trials = pd.DataFrame({"state": "COMPLETE", "pareto": [True, False, True, False],
                           "setting": "s", "search_seed": 0, "label": "a", "trial": range(4),
                           "expressibility_fp": [1.1, 1.5, 3.0, 12.0], "grad_var": gv,
                           "grad_var_se": 0.0})
    spec = front_projection_chart(trials, x, y).to_dict()["spec"]["layer"][1]["encoding"]
    assert spec["y"]["axis"]["values"] == pytest.approx(
        [5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2])
    assert spec["x"]["axis"]["values"] == pytest.approx([1.0, 2.0, 5.0, 10.0])  # 1: Haar
    assert spec["y"]["scale"]["type"] == "log" and spec["x"]["scale"]["type"] == "log"
    assert spec["y"]["title"] == "gradient variance (init), max"


def test_control_off_leaves_no_control_section() -> None:
    spec = parse_nas_spec({"nas": {"n_trials": 4, "population_size": 2, "control": False}})
    res = run_nas(spec, evaluator=synthetic_evaluator)
    assert res.control.empty
    assert "classical_only" not in set(res.runs["training_config"])
    assert _control_section(res) is None


def test_verdicts_come_from_etr_analysis_or_say_why_not(result) -> None:
    verdicts, why = claim_verdicts(result)
    try:
        from etr.analysis import evaluate_claims  # noqa: F401
    except ImportError:
        assert verdicts is None and "evaluate_claims" in why
    else:
        assert set(verdicts["claim"]) == {"nas_fronts_differ_by_training",
                                          "nas_fronts_differ_by_definition"} or why
