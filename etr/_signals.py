"""SIGTERM handled like Ctrl-C: a `Terminated` exception (a `KeyboardInterrupt`) in the main thread.

Long commands keep their finished work on Ctrl-C (journals, stored trials) because the
`KeyboardInterrupt` unwinds through their ``finally`` blocks: the worker pool stops, files are
closed, half-written temporary files are removed. A plain SIGTERM (``kill PID``, a batch system
ending a job) would skip all of that; `sigterm_as_interrupt` makes it take the same path. The
CLI then exits with 143 (128 + SIGTERM) instead of 130 (128 + SIGINT).

Python runs a signal handler between any two bytecodes, also inside a weak-reference callback or
a ``__del__`` (SQLAlchemy has such callbacks), where an exception is printed as "ignored" and
dropped. The handler therefore also records the signal, and long loops call `check_terminated`
at their checkpoints (each finished unit of the worker pool, each batch of trials), so a
swallowed `Terminated` is raised again there.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["Terminated", "check_terminated", "sigterm_as_interrupt"]


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""

    exit_code = 128 + signal.SIGTERM


_received = threading.Event()


def check_terminated() -> None:
    """Raise `Terminated` if SIGTERM arrived within `sigterm_as_interrupt` (again, if the first
    raise was swallowed by a callback that ignores exceptions)."""
    if _received.is_set():
        raise Terminated(signal.SIGTERM)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises `Terminated` in the main thread (once: a second SIGTERM
    during the clean-up is ignored; SIGKILL still ends the process)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _received.set()
        raise Terminated(signum)

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
        _received.clear()
