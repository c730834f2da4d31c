"""The examples in the docstrings of the data layer, the pool and the output helpers run."""

from __future__ import annotations

import pytest
from etr_checks import run_doctests

MODULES = ["etr._hashing", "etr._validation", "etr._outputs", "etr.parallel", "etr.plan",
           "etr.plan.architecture", "etr.plan.settings", "etr.plan.tables", "etr.plan.limits",
           "etr.plan.cost", "etr.experiment.spec", "etr.experiment.size",
           "etr.dataset", "etr.nas.spec", "etr.nas.evaluate"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests_run(name):
    run_doctests(name)
