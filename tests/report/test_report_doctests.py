"""The examples in the report modules' docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

FAST = ["charts", "coverage", "design", "page", "theory"]


@pytest.mark.parametrize("module", FAST)
def test_doctests_run(module):
    mod = importlib.import_module(f"etr.report.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.slow
def test_analyze_doctest_runs():
    mod = importlib.import_module("etr.report.analyze")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
