"""Small `check_...` helpers: validate one argument, name it in backticks, list what is allowed.

Every helper raises `etr.errors.InputError` by default; spec readers pass ``error=SpecError`` so a
bad spec value is a `SpecError` without catching and re-raising. Values are echoed through `echo`,
which cuts long inputs, so a 200,000-character label never becomes a 200 KB error line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np

from etr.errors import InputError

__all__ = ["ECHO_LIMIT", "LABEL_RE", "check_choice", "check_float", "check_int", "check_label",
           "cut", "echo", "neutralise"]

#: characters of a value shown in an error message before it is cut.
ECHO_LIMIT = 60
#: what a label (a factor value, a name, a classical spec such as ``8-tanh``) may look like:
#: ASCII letters, digits and ``_ + - / . :``, starting with a letter, digit or underscore.
LABEL_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_+\-/.:]*")
_MAX_LABEL = 64


def cut(text: str, limit: int = ECHO_LIMIT) -> str:
    """`text` itself, or its first `limit` characters and the full length when it is longer.

    Examples
    --------
    >>> cut("data/x.parquet")
    'data/x.parquet'
    >>> cut("y" * 1000, 5)
    'yyyyy... (1000 characters)'
    """
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def neutralise(text: str) -> str:
    r"""`text` with every invisible format or control character written as a visible escape.

    Labels come from datasets and specs. A right-to-left override (U+202E) or another
    bidirectional control (Unicode category Cf: U+200E/F, U+202A-E, U+2066-9, zero-width
    characters, ...) would reorder the sentence it is shown in, and a terminal control
    character (category Cc, e.g. ESC) would drive the terminal; shown as ``\u202e`` or ``\x1b``
    they are visible and inert. Tabs and newlines stay.

    Examples
    --------
    >>> print(neutralise("task\u202eevil"))
    task\u202eevil
    >>> neutralise("8-tanh"), neutralise("a\tb")
    ('8-tanh', 'a\tb')
    """
    if text.isprintable():
        return text
    return "".join(ch if ch in "\t\n" or unicodedata.category(ch) not in _HIDDEN
                   else ascii(ch)[1:-1] for ch in text)


#: Unicode categories shown as escapes by `neutralise`: format and control characters
_HIDDEN = frozenset({"Cf", "Cc"})


def echo(value: object, limit: int = ECHO_LIMIT) -> str:
    """``repr(value)``, cut to about `limit` characters with the full length stated.

    Examples
    --------
    >>> echo("8-tanh")
    "'8-tanh'"
    >>> echo("x" * 100_000)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... (100000 characters)"
    """
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}"[:-1] + f"... ({len(value)} characters)"
    return cut(repr(value), limit)


def duration(seconds: float) -> str:
    """A time in the unit a person reads best: seconds, minutes or hours.

    Examples
    --------
    >>> duration(42.4), duration(300), duration(4 * 3600)
    ('42 s', '5.0 min', '4.0 h')
    """
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def check_choice(name: str, value: object, allowed: Iterable[object], *,
                 error: type[InputError] = InputError) -> None:
    """Raise `error` unless `value` is one of `allowed`."""
    allowed = tuple(allowed)
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise error(f"`{name}` must be one of {{{shown}}}, got {echo(value)}")


def check_int(name: str, value: object, *, minimum: int | None = None,
              maximum: int | None = None, error: type[InputError] = InputError) -> int:
    """Return `value` as int; raise `error` if it is not an integer within bounds."""
    if isinstance(value, bool) or not isinstance(value, Integral | np.integer):
        raise error(f"`{name}` must be an integer, got {echo(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise error(f"`{name}` must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise error(f"`{name}` must be <= {maximum}, got {echo(value)}")
    return value


def check_float(name: str, value: object, *, positive: bool = False,
                low: float | None = None, high: float | None = None,
                error: type[InputError] = InputError) -> float:
    """Return `value` as float; raise `error` if not a finite real within bounds."""
    if isinstance(value, bool) or not isinstance(value, Real | np.floating | np.integer):
        raise error(f"`{name}` must be a number, got {echo(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise error(f"`{name}` must be finite, got {value}")
    if positive and value <= 0:
        raise error(f"`{name}` must be > 0, got {value}")
    if low is not None and value < low:
        raise error(f"`{name}` must be >= {low}, got {value}")
    if high is not None and value > high:
        raise error(f"`{name}` must be <= {high}, got {value}")
    return value


def check_label(name: str, value: object, *, error: type[InputError] = InputError) -> str:
    """Return `value` if it is a label: an ASCII string matching `LABEL_RE`, at most 64 long.

    Labels become dataset values, ids and file names; full-width digits (``"８-tanh"``), spaces or
    control characters would make a second spelling of one factor.

    Examples
    --------
    >>> check_label("classical_pre", "8-tanh")
    '8-tanh'
    >>> check_label("classical_pre", "８-tanh")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    etr.errors.InputError: `classical_pre` must be an ASCII label (letters, digits, _ + - / . :)...
    """
    if not isinstance(value, str):
        raise error(f"`{name}` must be a string, got {echo(value)}")
    if len(value) > _MAX_LABEL or not value.isascii() or not LABEL_RE.fullmatch(value):
        what = f"at most {_MAX_LABEL} characters" if len(value) > _MAX_LABEL else (
            "letters, digits, _ + - / . :")
        raise error(f"`{name}` must be an ASCII label ({what}), got {echo(value)}")
    return value
