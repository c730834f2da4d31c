"""Small `_check_...` helpers: validate one argument, name it in backticks, list what is allowed."""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np

from etr.errors import InputError


def check_choice(name: str, value: object, allowed: Iterable[object]) -> None:
    """Raise `InputError` unless `value` is one of `allowed`."""
    allowed = tuple(allowed)
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise InputError(f"`{name}` must be one of {{{shown}}}, got {value!r}")


def check_int(name: str, value: object, *, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """Return `value` as int; raise `InputError` if it is not an integer within bounds."""
    if isinstance(value, bool) or not isinstance(value, Integral | np.integer):
        raise InputError(f"`{name}` must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise InputError(f"`{name}` must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise InputError(f"`{name}` must be <= {maximum}, got {value}")
    return value


def check_float(name: str, value: object, *, positive: bool = False,
                low: float | None = None, high: float | None = None) -> float:
    """Return `value` as float; raise `InputError` if not a finite real within bounds."""
    if isinstance(value, bool) or not isinstance(value, Real | np.floating | np.integer):
        raise InputError(f"`{name}` must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise InputError(f"`{name}` must be finite, got {value}")
    if positive and value <= 0:
        raise InputError(f"`{name}` must be > 0, got {value}")
    if low is not None and value < low:
        raise InputError(f"`{name}` must be >= {low}, got {value}")
    if high is not None and value > high:
        raise InputError(f"`{name}` must be <= {high}, got {value}")
    return value
