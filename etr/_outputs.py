"""Output paths: checked before any work, written atomically, locked while written.

One rule for every command (``etr simulate``, ``etr analyze``, ``etr nas``) and every output
option (``--out``, ``--json``, ``--data``, ``--figures``):

* an output may not be an input (the spec, the dataset, the storage) nor another output of the
  same command: paths that resolve to the same file are refused, ``--force`` or not;
* an existing output is never replaced without ``--force`` (``etr simulate`` also offers
  ``--resume``); the message is the same everywhere;
* the folder must exist and be writable (probed by creating a file, which also catches
  read-only file systems for root), hold enough free space for what the command will write,
  and the file's suffix must match its format;
* every file is written to a temporary file in the same folder, flushed to disk and renamed over
  the target (`atomic_write`): a reader never sees half a file, and a failed write (a full disk,
  an interrupt) leaves no temporary file and the old file untouched;
* while a command writes an output, ``<output>.lock`` names its pid, host and start time; a
  second writer fails with one line naming the first; a lock left by a dead process (same host)
  is taken over.

All checks run before any computation, so a command that would fail to write fails in
milliseconds, with exit code 2 (`etr.errors.InputError`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from etr._validation import cut
from etr.errors import InputError

__all__ = [
    "FORCE_HINT",
    "Output",
    "WriteError",
    "atomic_write",
    "check_outputs",
    "lock_outputs",
    "output_lock",
]

#: what to do about an existing output, in every command's message.
FORCE_HINT = "pass --force to overwrite it"
_MiB = 1 << 20
#: characters of a path shown in a message (paths are long, labels are not)
_PATH_SHOWN = 240


def _show(path: object) -> str:
    return cut(str(path), _PATH_SHOWN)


class WriteError(InputError):
    """An output could not be written (full disk, read-only file system); nothing was left."""


@dataclass(frozen=True, slots=True)
class Output:
    """One output of a command.

    Parameters
    ----------
    option : how the user named it (``"--out"``), used in messages.
    path : the file or folder.
    suffixes : allowed suffixes, lowercase with the dot (empty: any).
    folder : a folder of files (``--figures``): it may exist if empty.
    size : bytes the command may write there (for the free-space check).
    """

    option: str
    path: Path
    suffixes: tuple[str, ...] = ()
    folder: bool = False
    size: int = _MiB

    def describe(self) -> str:
        return f"`{self.option}` {_show(self.path)}"


def _same(a: Path, b: Path) -> bool:
    with contextlib.suppress(OSError):
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    return os.path.realpath(a) == os.path.realpath(b)


def _probe_writable(folder: Path, out: Output, error: type[InputError]) -> None:
    try:
        fd, probe = tempfile.mkstemp(prefix=".etr-probe-", dir=folder)
    except OSError as exc:
        raise error(f"{out.describe()}: folder `{_show(folder)}` is not writable "
                    f"({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)


def check_outputs(outputs: Sequence[Output], inputs: Iterable[tuple[str, Path]] = (), *,
                  force: bool = False, hint: str = FORCE_HINT,
                  error: type[InputError] = InputError) -> None:
    """Check every output before any work (see the module notes); raise `error` on the first
    problem, naming the option.

    Parameters
    ----------
    outputs : what the command will write.
    inputs : ``(name, path)`` of what it reads (a spec, a dataset, a storage file).
    force : existing outputs may be replaced.
    hint : what to do about an existing output (after ``"already exists; "``).
    error : exception class (an `InputError` subclass).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_outputs([Output("--out", d / "r.html", (".html",))], [("DATA", d / "x.parquet")])
    >>> check_outputs([Output("--out", d / "x.parquet")], [("DATA", d / "x.parquet")])
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    etr.errors.InputError: `--out` ... is the input DATA; choose another output
    """
    inputs = [(name, Path(src)) for name, src in inputs if src is not None]
    for i, out in enumerate(outputs):
        for name, src in inputs:
            if _same(out.path, src):
                raise error(f"{out.describe()} is the input {name}; choose another output")
        for other in outputs[:i]:
            if _same(out.path, other.path):
                raise error(f"`{out.option}` and `{other.option}` name the same file "
                            f"`{_show(out.path)}`")
    for out in outputs:
        if out.folder:
            _check_own_folder(out, [*inputs, *((o.option, o.path) for o in outputs
                                               if o is not out)], error)
        if out.suffixes and out.path.suffix.lower() not in out.suffixes:
            raise error(f"{out.describe()} must end in {' or '.join(out.suffixes)}")
        _check_one(out, force, hint, error)
    _check_space(outputs, error)


def _check_own_folder(out: Output, others: Sequence[tuple[str, Path]],
                      error: type[InputError]) -> None:
    """A folder output must be a folder of its own: not ``.``, ``..`` or a root (files would be
    spread among unrelated ones, and it has no name to lock), and not one that holds an input
    or another output of the command (``--force`` would write among them)."""
    real = Path(os.path.realpath(out.path))
    if out.path.name in ("", ".", "..") or real == Path(real.anchor):
        raise error(f"{out.describe()} must name a folder of its own, e.g. `{out.option} "
                    "figures` (a new or empty folder), not the current, parent or root folder")
    for name, other in others:
        if Path(os.path.realpath(other)).parent == real:
            raise error(f"{out.describe()} holds {name} `{_show(other)}`; name a folder of "
                        "its own (a new or empty folder)")


def _check_one(out: Output, force: bool, hint: str, error: type[InputError]) -> None:
    path = out.path
    folder = path.parent
    if not folder.is_dir():
        raise error(f"output directory `{_show(folder)}` does not exist")
    if out.folder:
        if path.exists() and not path.is_dir():
            raise error(f"{out.describe()} is a file, not a folder")
        if path.is_dir() and any(path.iterdir()) and not force:
            raise error(f"{out.describe()} already exists and is not empty; {hint}")
        _probe_writable(path if path.is_dir() else folder, out, error)
        return
    if path.is_dir():
        raise error(f"{out.describe()} is a directory")
    if path.exists() and not force:
        raise error(f"{out.describe()} already exists; {hint}")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise error(f"output `{_show(path)}` is not writable")
    _probe_writable(folder, out, error)


def _check_space(outputs: Sequence[Output], error: type[InputError]) -> None:
    need: dict[int, tuple[int, Output]] = {}
    for out in outputs:
        folder = out.path if out.folder and out.path.is_dir() else out.path.parent
        dev = folder.stat().st_dev
        total, first = need.get(dev, (0, out))
        need[dev] = (total + out.size, first)
    for total, out in need.values():
        folder = out.path.parent
        free = shutil.disk_usage(folder).free
        if free < total:
            raise error(f"{out.describe()}: only {free / _MiB:.1f} MiB free in "
                        f"`{_show(folder)}`, the outputs need about {total / _MiB:.1f} MiB")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, binary: bool = False,
                 newline: str | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file next to `path`; on success flush it to disk and rename it over
    `path`.

    On any failure (an `OSError` such as a full disk, an interrupt) the temporary file is
    removed and `path` is left as it was; an `OSError` becomes a one-line `WriteError`.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> with atomic_write(p) as fh:
    ...     _ = fh.write("hello")
    >>> open(p).read(), [f for f in os.listdir(os.path.dirname(p)) if f.endswith(".tmp")]
    ('hello', [])
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WriteError(f"cannot write `{_show(path)}`: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else
                                                        {"encoding": "utf-8",
                                                         "newline": newline})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise WriteError(f"cannot write `{_show(path)}`: {exc.strerror or exc}; "
                             "nothing was written") from None
        raise


# --- locks -----------------------------------------------------------------------------------

_HELD: dict[str, int] = {}


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _read_lock(lock: Path) -> dict[str, Any] | None:
    try:
        info = json.loads(lock.read_text(encoding="utf-8"))
        return info if isinstance(info, dict) else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):  # gone, or not a lock we wrote
        return None


def _create_lock(lock: Path, info: dict[str, Any]) -> bool:
    """Create `lock` holding `info` atomically; False if it already exists."""
    fd, tmp = tempfile.mkstemp(prefix=f".{lock.name}.", suffix=".tmp", dir=lock.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(info, fh)
        try:
            os.link(tmp, lock)  # fails if `lock` exists: no window with an empty lock file
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(tmp)


@contextlib.contextmanager
def output_lock(path: str | os.PathLike[str], *,
                error: type[InputError] = InputError) -> Iterator[None]:
    """Hold ``<path>.lock`` while the block runs (re-entrant within one process).

    Raises
    ------
    etr.errors.InputError
        Another live process holds the lock: the message names its pid, host and start time.
    """
    path = Path(path)
    lock = _lock_path(path)
    key = os.path.realpath(lock)
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    host = socket.gethostname()
    info = {"pid": os.getpid(), "host": host,
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": cut(" ".join(sys.argv), 200)}
    for _attempt in range(2):
        if _create_lock(lock, info):
            break
        held = _read_lock(lock) or {}
        pid, owner = held.get("pid"), held.get("host")
        stale = isinstance(pid, int) and owner == host and not _alive(pid)
        if not stale:
            raise error(f"`{_show(path)}` is being written by pid {pid} on {owner} since "
                        f"{held.get('started')} (lock `{_show(lock.name)}`; remove it if that "
                        "process is gone)")
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()  # a dead process's lock: take it over
    else:  # pragma: no cover - another process took the stale lock between our two attempts
        held = _read_lock(lock) or {}
        raise error(f"`{_show(path)}` is being written by pid {held.get('pid')} on "
                    f"{held.get('host')} since {held.get('started')}")
    _HELD[key] = 1
    try:
        yield
    finally:
        _HELD.pop(key, None)
        with contextlib.suppress(FileNotFoundError):
            if (_read_lock(lock) or {}).get("pid") == os.getpid():
                lock.unlink()


@contextlib.contextmanager
def lock_outputs(outputs: Iterable[Output], *,
                 error: type[InputError] = InputError) -> Iterator[None]:
    """`output_lock` on every output at once."""
    with contextlib.ExitStack() as stack:
        for out in outputs:
            stack.enter_context(output_lock(out.path, error=error))
        yield
