"""SIGTERM and SIGINT as exceptions at safe points: `Terminated` / `KeyboardInterrupt`.

Long commands keep their finished work on Ctrl-C (journals, stored trials) because the
`KeyboardInterrupt` unwinds through their ``finally`` blocks: the worker pool stops, files are
closed, half-written temporary files are removed. A plain SIGTERM (``kill PID``, a batch system
ending a job) would skip all of that; `sigterm_as_interrupt` makes it take the same path. The
CLI then exits with 143 (128 + SIGTERM) instead of 130 (128 + SIGINT).

Python runs a signal handler between any two bytecodes, also inside a weak-reference callback or
a ``__del__`` (SQLAlchemy has such callbacks), where an exception is printed as "ignored" and
dropped. The handler therefore also records the signal, and long loops call `check_terminated`
at their checkpoints (each finished unit of the worker pool, each batch of trials), so a
swallowed interrupt is raised again there.

Some steps must not be cut in two: starting a worker process (a half-started one is an orphan
the pool does not know), stopping the pool (a half-stopped `ProcessPoolExecutor` prints a
traceback from its management thread). Within `deferred_signals` a signal is recorded and
raised when the block ends. After the first signal further ones are ignored, so the clean-up
it starts runs to its end (SIGKILL still ends the process).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["Terminated", "check_terminated", "deferred_signals", "interrupt_for",
           "sigterm_as_interrupt"]


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""

    exit_code = 128 + signal.SIGTERM


_received: list[int] = []  # the signal received within `sigterm_as_interrupt`, if any
_deferring = threading.local()
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def interrupt_for(signum: int) -> KeyboardInterrupt:
    """The exception a signal becomes: `Terminated` for SIGTERM, else `KeyboardInterrupt`."""
    return Terminated(signum) if signum == signal.SIGTERM else KeyboardInterrupt()


def check_terminated() -> None:
    """Raise the interrupt of a signal received within `sigterm_as_interrupt` (again, if the
    first raise was swallowed by a callback that ignores exceptions)."""
    if _received and not getattr(_deferring, "depth", 0):
        raise interrupt_for(_received[0])


@contextlib.contextmanager
def deferred_signals(*, raise_after: bool = True) -> Iterator[None]:
    """Within the block a SIGTERM or SIGINT is only recorded; it is raised when the block ends
    normally, unless `raise_after` is false (clean-up code: a ``finally`` block, a generator
    being closed, where an exception would replace the one being handled or be printed as
    "ignored"). An exception leaving the block is not replaced; the next `check_terminated`
    raises the signal."""
    _deferring.depth = getattr(_deferring, "depth", 0) + 1
    try:
        yield
    finally:
        _deferring.depth -= 1
    if raise_after:
        check_terminated()


def _handler(signum: int, frame: FrameType | None) -> None:
    if _received:
        return
    for s in _SIGNALS:  # a second signal must not cut the clean-up the first one starts
        signal.signal(s, signal.SIG_IGN)
    _received.append(signum)
    if not getattr(_deferring, "depth", 0):
        raise interrupt_for(signum)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises `Terminated` and SIGINT `KeyboardInterrupt` in the main
    thread, at once or when a `deferred_signals` block ends (once: later signals are ignored
    during the clean-up; SIGKILL still ends the process). A signal an enclosing block deferred
    is raised as the block starts. The previous handlers are restored when it ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, _handler) for s in _SIGNALS}
    outer_depth = getattr(_deferring, "depth", 0)
    _deferring.depth = 0
    try:
        check_terminated()
        yield
    finally:
        _deferring.depth = outer_depth
        for s, handler in old.items():
            signal.signal(s, handler)
        _received.clear()
