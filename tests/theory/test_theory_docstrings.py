"""Every public name of etr.theory has a numpydoc docstring whose examples run."""

from __future__ import annotations

import inspect

import pytest
from etr_checks import run_doctests

import etr.theory

MODULES = ["pauli", "heisenberg", "pauli_algebra", "general", "lie_algebra", "variance", "qfim"]


@pytest.mark.parametrize("name", etr.theory.__all__)
def test_public_names_are_documented(name: str) -> None:
    obj = getattr(etr.theory, name)
    if isinstance(obj, str | int | tuple):
        return
    doc = inspect.getdoc(obj) or ""
    assert doc, name
    if inspect.isfunction(obj):
        assert "Examples" in doc and ">>>" in doc, name


@pytest.mark.parametrize("name", ["lie_algebra", "predicted_variance", "measured_loss_variance",
                                  "qfim_rank"])
def test_main_functions_have_full_sections(name: str) -> None:
    doc = inspect.getdoc(getattr(etr.theory, name))
    for section in ("Parameters", "Returns", "Raises", "References", "Examples"):
        assert section in doc, (name, section)


@pytest.mark.parametrize("module", MODULES)
def test_doctests_run(module: str) -> None:
    run_doctests(f"etr.theory.{module}")
