"""Objectives read the registry: direction, log scale and labels of every measure."""

from __future__ import annotations

import dataclasses

import pytest

from etr.contract import METRICS, PRIMARY_X, TRAINABILITY_DEFINITIONS
from etr.errors import InputError
from etr.nas import OBJECTIVES, Setting
from etr.nas.objectives import resolve_objectives


def test_expressibility_is_the_primary_measure_minimised() -> None:
    ob = resolve_objectives(["expressibility", "accuracy"], "grad_var")[0]
    assert ob.column == PRIMARY_X == "expressibility_fp"
    assert ob.direction == "minimize" and ob.log_scale == METRICS[PRIMARY_X].log_scale
    kl = resolve_objectives(["expressibility_kl", "accuracy"], "grad_var")[0]
    assert kl.column == "expressibility_kl" and kl.direction == "minimize"
    assert kl.axis_title == METRICS["expressibility_kl"].axis_title


@pytest.mark.parametrize("definition", TRAINABILITY_DEFINITIONS)
def test_every_trainability_definition_is_selectable(definition: str) -> None:
    Setting("hybrid_full", definition)
    ob = resolve_objectives(["expressibility", "trainability"], definition)[1]
    m = METRICS[definition]
    assert ob.column == definition
    assert ob.direction == ("maximize" if m.higher_is_more > 0 else "minimize")
    assert ob.log_scale == m.log_scale
    assert ob.label.startswith(m.label)


def test_every_directed_measure_is_an_objective_with_its_registry_direction() -> None:
    for name, m in METRICS.items():
        if m.higher_is_more == 0:
            assert name not in OBJECTIVES
            continue
        ob = resolve_objectives([name, "n_params"], "grad_var")[0]
        assert ob.direction == ("maximize" if m.higher_is_more > 0 else "minimize")


def test_bad_objectives() -> None:
    with pytest.raises(InputError, match="objectives"):
        resolve_objectives(["expressibility"], "grad_var")
    with pytest.raises(InputError, match="same column"):
        resolve_objectives(["expressibility", "expressibility_fp"], "grad_var")
    with pytest.raises(InputError, match="objectives"):
        resolve_objectives(["expressibility", "dla_dim"], "grad_var")
    with pytest.raises(InputError, match="training_config"):
        Setting("classical_only", "grad_var")


def test_a_measure_registered_after_import_is_an_objective(monkeypatch) -> None:
    toy = dataclasses.replace(METRICS["grad_norm"], name="toy_norm", label="toy norm")
    assert "toy_norm" not in OBJECTIVES
    monkeypatch.setitem(METRICS, "toy_norm", toy)
    assert OBJECTIVES["toy_norm"] == "toy_norm"
    ob = resolve_objectives(["toy_norm", "accuracy"], "grad_var")[0]
    assert ob.column == "toy_norm" and ob.direction == "maximize"
    monkeypatch.undo()
    assert "toy_norm" not in OBJECTIVES
