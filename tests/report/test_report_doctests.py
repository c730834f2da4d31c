"""The examples in the report modules' docstrings run."""

from __future__ import annotations

import pytest
from etr_checks import run_doctests

FAST = ["charts", "coverage", "design", "page", "size", "theory"]


@pytest.mark.parametrize("module", FAST)
def test_doctests_run(module):
    run_doctests(f"etr.report.{module}")


@pytest.mark.slow
def test_analyze_doctest_runs():
    run_doctests("etr.report.analyze")
