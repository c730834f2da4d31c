"""Fixtures shared by the CLI tests: cheap stand-ins for the simulation core."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "experiment"))


@pytest.fixture
def fakes(monkeypatch):
    """`etr simulate` cells and circuit metrics from `etr_fakes`, `etr nas` evaluations from
    `etr.nas.synthetic_evaluator` (deterministic, milliseconds each)."""
    from etr_fakes import fake_evaluate, fake_metrics

    import etr.nas.search as search
    from etr.nas import synthetic_evaluator

    monkeypatch.setattr("etr.experiment.runner._evaluate_run", fake_evaluate)
    monkeypatch.setattr("etr.experiment.runner.circuit_metrics", fake_metrics)
    monkeypatch.setattr(search, "simulate_architecture", synthetic_evaluator)
