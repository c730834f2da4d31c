"""Exceptions and warnings shared by every etr module.

`EtrError` is the base of every error a user can cause (bad input, unusable data). The CLI maps
it to a one-line message and exit code 2. Anything else escaping the library is a bug (exit 1).
"""

from __future__ import annotations

__all__ = [
    "ConvergenceWarning",
    "DegenerateDataWarning",
    "EtrError",
    "InputError",
    "SpecError",
]


class EtrError(Exception):
    """Base class of user-facing etr errors (bad input, unusable data)."""


class InputError(EtrError, ValueError):
    """An argument or a data set does not satisfy what a function needs."""


class SpecError(InputError):
    """An experiment or search spec is malformed or holds a bad value."""


class DegenerateDataWarning(UserWarning):
    """A group inside a batch has too little or constant data; its row is NaN."""


class ConvergenceWarning(UserWarning):
    """An iterative fit did not converge; the result records it."""
