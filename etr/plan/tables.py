"""Reading specs: TOML from a file or text, and `Table`, the one validation helper.

Both spec systems (``etr simulate`` and ``etr nas``) read their TOML through `read_toml` and
validate every table through a `Table`: unknown keys are refused naming the key and listing the
allowed ones, every value is checked by a getter that names its full key (``grid.hea.layers``) in
backticks, and every problem is a `etr.errors.SpecError` (a one-line message; the CLI exits 2).
Strings that become factor values or names must be ASCII labels (`etr._validation.check_label`),
and long values are cut in messages (`etr._validation.echo`).
"""

from __future__ import annotations

import importlib.resources
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import tomli_w

from etr._validation import check_choice, check_int, check_label, cut, echo
from etr.errors import InputError, SpecError

__all__ = ["Table", "commented_toml", "preset_names", "read_toml"]

T = TypeVar("T")
_MISSING: Any = object()


def preset_names(package: str) -> tuple[str, ...]:
    """The presets a package ships: the names of the ``.toml`` files in its ``presets`` folder,
    ``quick`` (the default) first, then by name. A new preset is a new file, nothing else.

    Examples
    --------
    >>> preset_names("etr.nas")
    ('quick',)
    """
    folder = importlib.resources.files(package).joinpath("presets")
    names = [f.name[: -len(".toml")] for f in folder.iterdir() if f.name.endswith(".toml")]
    return tuple(sorted(names, key=lambda n: (n != "quick", n)))


def read_toml(source: str | os.PathLike[str], *, what: str = "spec") -> tuple[dict, str]:
    """Parse TOML from a file path or from TOML text; return the mapping and where it came from.

    `source` is text when it is a string holding a newline, or an ``=`` while naming no file.
    Errors are `SpecError`: a missing or unreadable file, or malformed TOML with its line and
    column.

    Examples
    --------
    >>> read_toml("root_seed = 1")
    ({'root_seed': 1}, 'spec text')
    >>> read_toml("seeds = 3\\nroot = = 1\\n")
    Traceback (most recent call last):
    ...
    etr.errors.SpecError: malformed TOML in spec text: Invalid value (at line 2, column 8)
    """
    text, origin = _read_source(source, what)
    try:
        return tomllib.loads(text), origin
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"malformed TOML in {origin}: {_located(str(exc), text)}") from None


def _located(message: str, text: str) -> str:
    """tomllib says "at end of document" for some errors: give its line and column instead."""
    if "(at end of document)" in message:
        lines = text.split("\n")
        where = f"(at line {len(lines)}, column {len(lines[-1]) + 1}: end of document)"
        message = message.replace("(at end of document)", where)
    return message


def _is_file(path: str) -> bool:
    try:
        return Path(path).is_file()
    except OSError:  # e.g. a name too long for the file system
        return False


def _read_source(source: str | os.PathLike[str], what: str) -> tuple[str, str]:
    if isinstance(source, str) and ("\n" in source or ("=" in source and not _is_file(source))):
        return source, f"{what} text"
    path = Path(source)
    if not _is_file(str(path)):
        raise SpecError(f"{what} file `{cut(str(path))}` does not exist")
    try:
        return path.read_text(encoding="utf-8"), f"`{path}`"
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read {what} file `{path}`: {exc}") from None


class Table:
    """One table of a spec being validated; every getter names the full key of what it reads.

    Parameters
    ----------
    data : the parsed table.
    path : its dotted name (``""`` for the top level, ``"grid.hea"`` ...).
    keys : the keys allowed in it, in the order error messages list them.

    Examples
    --------
    >>> t = Table({"layers": [1, 2]}, "grid.hea", ("n_qubits", "layers"))
    >>> t.ints("layers", (1,), low=1), t.ints("n_qubits", (2, 4), low=1)
    ((1, 2), (2, 4))
    >>> Table({"qubits": 2}, "grid.hea", ("n_qubits", "layers"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    etr.errors.SpecError: unknown key `grid.hea.qubits`; allowed keys in [grid.hea]: n_qubits, ...
    """

    def __init__(self, data: object, path: str, keys: Iterable[str]) -> None:
        if not isinstance(data, Mapping):
            raise SpecError(f"`{path}` must be a table, got {echo(data)}")
        self.data, self.path, self.keys = data, path, tuple(keys)
        unknown = sorted(set(data) - set(self.keys), key=str)
        if unknown:
            where = f" in [{path}]" if path else ""
            raise SpecError(f"unknown key `{self.name(cut(str(unknown[0])))}`; allowed keys"
                            f"{where}: {', '.join(self.keys)}")

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def name(self, key: str) -> str:
        """The full dotted name of `key`."""
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, message: str) -> SpecError:
        """A `SpecError` naming `key`: ```path.key` message``."""
        return SpecError(f"`{self.name(key)}` {message}")

    def get(self, key: str, default: Any = _MISSING) -> Any:
        """The raw value of `key` (`default` when absent; required when no default)."""
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            raise self.error(key, "is required")
        return default

    def table(self, key: str, keys: Iterable[str]) -> Table:
        """The sub-table `key` (an empty one when absent)."""
        return Table(self.data.get(key, {}), self.name(key), keys)

    def int(self, key: str, default: Any, *, low: int | None = None,
            high: int | None = None) -> Any:
        """An integer in ``[low, high]``."""
        if key not in self.data:
            return default
        return check_int(self.name(key), self.data[key], minimum=low, maximum=high,
                         error=SpecError)

    def list(self, key: str, default: Any = _MISSING) -> tuple | Any:
        """A non-empty, duplicate-free list (a scalar is a one-element list)."""
        if key not in self.data:
            return self.get(key, default)
        value = self.data[key]
        values = list(value) if isinstance(value, list | tuple) else [value]
        if not values:
            raise self.error(key, "must not be empty")
        if len(set(map(repr, values))) != len(values):
            raise self.error(key, f"has duplicates: {echo(values)}")
        return tuple(values)

    def ints(self, key: str, default: Any, *, low: int | None = None,
             high: int | None = None) -> tuple[int, ...] | Any:
        """A list of integers in ``[low, high]``."""
        if key not in self.data:
            return default
        return tuple(check_int(self.name(key), v, minimum=low, maximum=high, error=SpecError)
                     for v in self.list(key))

    def choice(self, key: str, default: Any, allowed: Iterable[object]) -> Any:
        """One of `allowed`."""
        if key not in self.data:
            return default
        value = self.data[key]
        check_choice(self.name(key), value, tuple(allowed), error=SpecError)
        return value

    def choices(self, key: str, default: Any, allowed: Iterable[object]) -> tuple | Any:
        """A list of values from `allowed`."""
        if key not in self.data:
            return self.get(key, default)
        allowed = tuple(allowed)
        out = self.list(key)
        for v in out:
            check_choice(self.name(key), v, allowed, error=SpecError)
        return out

    def labels(self, key: str, default: Any = _MISSING,
               check: Callable[[Any, str], object] | None = None) -> tuple[str, ...] | Any:
        """A list of ASCII labels, each also passed to ``check(value, full_key)`` if given."""
        if key not in self.data:
            return self.get(key, default)
        out = self.list(key)
        for v in out:
            check_label(self.name(key), v, error=SpecError)
            if check is not None:
                self.build(check, v, self.name(key))
        return out

    def bools(self, key: str, default: Any) -> tuple[bool, ...] | Any:
        """A list of true/false."""
        if key not in self.data:
            return default
        out = self.list(key)
        if not all(isinstance(v, bool) for v in out):
            raise self.error(key, f"must hold true/false, got {echo(list(out))}")
        return out

    def build(self, factory: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``factory(*args, **kwargs)`` with its `InputError` re-raised as a `SpecError` of this
        table (the one place a library check becomes a spec error)."""
        try:
            return factory(*args, **kwargs)
        except SpecError:
            raise
        except InputError as exc:
            msg = str(exc).splitlines()[0]
            named = not self.path or f"`{self.path}" in msg
            raise SpecError(msg if named else f"[{self.path}]: {msg}") from None


def _toml_value(value: Any) -> str:
    """One TOML value on one line (lists of scalars inline)."""
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return tomli_w.dumps({"x": value}).split("=", 1)[1].strip()


def commented_toml(d: Mapping[str, Any], docs: Mapping[str, str], header: Iterable[str]) -> str:
    """`d` as TOML, every key preceded by a ``#`` comment from `docs` (keyed by dotted name).

    Examples
    --------
    >>> print(commented_toml({"seeds": 3, "grid": {"encoding": ["ry"]}},
    ...                      {"seeds": "replicates", "grid.encoding": "encodings"}, ["# spec"]))
    # spec
    # replicates
    seeds = 3
    <BLANKLINE>
    [grid]
    # encodings
    encoding = ["ry"]
    <BLANKLINE>
    """
    lines = list(header)

    def emit(prefix: str, table: Mapping[str, Any]) -> None:
        for key, value in table.items():
            if isinstance(value, Mapping):
                continue
            lines.append(f"# {docs.get(f'{prefix}{key}', 'see etr.plan.RunSettings')}")
            lines.append(f"{key} = {_toml_value(value)}")
        for key, value in table.items():
            if isinstance(value, Mapping):
                lines.extend(["", f"[{prefix}{key}]"])
                emit(f"{prefix}{key}.", value)

    emit("", d)
    return "\n".join(lines) + "\n"
