"""Public names carry numpydoc docstrings with examples; the examples themselves run as doctests
(``pytest --doctest-modules etr``, part of ``make test``)."""

from __future__ import annotations

import inspect

import pytest

import etr.analysis
import etr.theory

PACKAGES = {"etr.analysis": etr.analysis, "etr.theory": etr.theory}
#: functions documented without Parameters / Returns sections (their signature says it all)
_SHORT = {"verdict", "orientation"}


@pytest.mark.parametrize("package, name", [(p, n) for p, mod in PACKAGES.items()
                                           for n in mod.__all__])
def test_public_names_are_documented(package: str, name: str) -> None:
    obj = getattr(PACKAGES[package], name)
    if isinstance(obj, str | int | dict | tuple) or not callable(obj):
        return
    doc = inspect.getdoc(obj) or ""
    assert doc, name
    if inspect.isfunction(obj):
        assert "Examples" in doc and ">>>" in doc, name
        if package == "etr.analysis" and name not in _SHORT:
            for section in ("Parameters", "Returns"):
                assert section in doc, (name, section)


@pytest.mark.parametrize("name", ["lie_algebra", "predicted_variance", "measured_loss_variance",
                                  "qfim_rank"])
def test_main_theory_functions_have_full_sections(name: str) -> None:
    doc = inspect.getdoc(getattr(etr.theory, name))
    for section in ("Parameters", "Returns", "Raises", "References", "Examples"):
        assert section in doc, (name, section)


def test_make_test_runs_the_doctests_of_the_package() -> None:
    import re
    from pathlib import Path

    makefile = (Path(__file__).parents[1] / "Makefile").read_text()
    recipe = re.search(r"^test:.*?\n((?:\t.*\n)+)", makefile, flags=re.M).group(1)
    assert re.search(r"pytest --doctest-modules etr\b", recipe)
