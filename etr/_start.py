"""The ``etr`` command (and ``python -m etr``): SIGTERM and Ctrl-C handled from the first moment.

Importing the command-line interface takes about half a second (numpy, click, ...). A SIGTERM
in that time would end the process by the signal's default action, without the one message, and
one during click's parsing or after a command would raise where nothing catches it. Here the
import runs under `etr._signals.sigterm_as_interrupt` (a signal: one line, exit 143 or 130,
nothing written), the command under `deferred_signals` (a signal before the command's own
handling starts is raised as it starts; one after the command finished is ignored: its outputs
are complete and its exit code stands), and the interpreter's shutdown ignores both signals.
"""

from __future__ import annotations

import signal
import sys

from etr._signals import Terminated, deferred_signals, sigterm_as_interrupt

__all__ = ["main"]


def main() -> None:
    """Run the ``etr`` command line."""
    try:
        with sigterm_as_interrupt():
            try:
                from etr.cli import main as cli
            except KeyboardInterrupt as exc:
                what = "terminated" if isinstance(exc, Terminated) else "interrupted"
                print(f"{what} while starting; nothing was computed or written", file=sys.stderr)
                sys.exit(Terminated.exit_code if isinstance(exc, Terminated) else 130)
            with deferred_signals():
                cli(prog_name="etr")
    finally:
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, signal.SIG_IGN)


if __name__ == "__main__":  # pragma: no cover - see etr/__main__.py
    main()
