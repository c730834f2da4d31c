"""Every public function of etr.analysis has a numpydoc docstring whose examples run."""

from __future__ import annotations

import inspect

import pytest
from etr_checks import run_doctests

import etr.analysis

MODULES = ["synthetic", "correlation", "mixed", "regimes", "summary", "conditional", "claims",
           "quality", "planted", "_circuits", "_pairs", "_common"]


@pytest.mark.parametrize("name", etr.analysis.__all__)
def test_public_names_are_documented(name):
    obj = getattr(etr.analysis, name)
    if isinstance(obj, str | dict | tuple):
        return
    doc = inspect.getdoc(obj) or ""
    assert doc, name
    if inspect.isfunction(obj):
        assert "Examples" in doc and ">>>" in doc, name
        if name not in ("verdict", "orientation"):
            for section in ("Parameters", "Returns"):
                assert section in doc, (name, section)


@pytest.mark.slow
@pytest.mark.parametrize("module", MODULES)
def test_doctests_run(module):
    run_doctests(f"etr.analysis.{module}")
