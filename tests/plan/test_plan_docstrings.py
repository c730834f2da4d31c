"""The examples in the docstrings of the data layer, the pool and the output helpers run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["etr._hashing", "etr._validation", "etr._outputs", "etr.parallel", "etr.plan",
           "etr.plan.architecture", "etr.plan.settings", "etr.plan.tables", "etr.plan.limits",
           "etr.plan.cost", "etr.experiment.spec", "etr.experiment.size",
           "etr.experiment.dataset", "etr.nas.spec", "etr.nas.evaluate"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests_run(name):
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
