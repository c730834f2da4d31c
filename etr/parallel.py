"""One way to run independent units of work: in this process, on local processes, or on Dask.

``etr simulate`` (`etr.experiment.run_experiment`) and ``etr nas`` (`etr.nas.run_search`) both run
their units through `open_pool`:

* ``workers=1`` (or a single unit) runs in this process;
* ``workers=N`` starts N local *spawn* processes. Each is limited to one BLAS / OpenMP / numba
  thread (N workers on N cores, not N x cores threads), ignores Ctrl-C (the parent handles the
  interrupt and stops them), and ends with its parent even on SIGKILL: on Linux through
  ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, elsewhere (and as a second guard) through a thread that
  watches the parent's pid;
* ``scheduler="tcp://HOST:PORT"`` submits to a dask.distributed cluster; the address is checked
  before connecting and an unreachable scheduler is an `InputError` raised before any work.

A unit is ``fn(*args)``; `call` times it and turns an exception into an error string, so one
failing unit never stops the others (`Outcome`). Nothing a unit computes may depend on where it
runs: callers derive every seed from the unit's content.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_connections
from typing import Any

from etr._signals import check_terminated, deferred_signals
from etr._validation import check_int, echo
from etr.errors import InputError

__all__ = [
    "ADDRESS_RE",
    "THREAD_VARS",
    "Outcome",
    "Pool",
    "call",
    "check_scheduler",
    "default_workers",
    "open_pool",
]

#: environment variables that cap the threads of BLAS, OpenMP and numba in a worker.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
#: what a Dask scheduler address must look like: tcp:// (tls://, ucx://) HOST:PORT, or the
#: inproc:// address of a cluster inside this process.
ADDRESS_RE = re.compile(r"^((tcp|tls|ucx)://[^\s:/]+:\d{1,5}|inproc://\S+)$")
_PR_SET_PDEATHSIG = 1
_WATCH_INTERVAL_S = 1.0


def default_workers() -> int:
    """The number of cores this process may use (its CPU affinity), at least 1.

    Examples
    --------
    >>> default_workers() >= 1
    True
    """
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - no sched_getaffinity (macOS, Windows)
        return os.cpu_count() or 1


def check_scheduler(address: str, *, error: type[InputError] = InputError) -> str:
    """Return `address` if it looks like ``tcp://HOST:PORT`` (or ``tls://``), else raise.

    Examples
    --------
    >>> check_scheduler("tcp://10.0.0.5:8786")
    'tcp://10.0.0.5:8786'
    """
    if not isinstance(address, str) or not ADDRESS_RE.match(address):
        raise error(f"`scheduler` must look like tcp://HOST:PORT, got {echo(address)}")
    return address


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one unit returned: its value, or the error it raised, and its wall time.

    Attributes
    ----------
    value : the return value (None when the unit raised).
    error : ``"ExceptionType: first line of the message"``, or None.
    wall_time_s : seconds the unit took.
    """

    value: Any
    error: str | None
    wall_time_s: float

    @property
    def ok(self) -> bool:
        return self.error is None


def call(fn: Callable[..., Any], args: tuple) -> Outcome:
    """Run ``fn(*args)``, timing it; an `Exception` becomes ``Outcome(error=...)``.

    Set ``ETR_DEBUG=1`` to print the traceback of a failing unit.

    Examples
    --------
    >>> call(divmod, (7, 2)).value
    (3, 1)
    >>> call(divmod, (7, 0)).error
    'ZeroDivisionError: integer division or modulo by zero'
    """
    t0 = time.perf_counter()
    try:
        return Outcome(fn(*args), None, time.perf_counter() - t0)
    except Exception as exc:
        if os.environ.get("ETR_DEBUG"):
            traceback.print_exc()
        msg = str(exc).splitlines()[0] if str(exc) else ""
        return Outcome(None, f"{type(exc).__name__}: {msg}", time.perf_counter() - t0)


# --- worker set-up (runs in every worker process) --------------------------------------------


def _limit_threads() -> None:
    for var in THREAD_VARS:
        os.environ[var] = "1"
    with contextlib.suppress(Exception):
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)


def _die_with_parent(parent_pid: int) -> None:
    """End this process when `parent_pid` ends, also when it is killed with SIGKILL."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(_WATCH_INTERVAL_S)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="etr-parent-watch", daemon=True).start()


def _worker_init(parent_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    _die_with_parent(parent_pid)
    _limit_threads()


# --- pools -----------------------------------------------------------------------------------

Job = tuple[Hashable, tuple]


class Pool:
    """Runs units; use as a context manager (`open_pool`).

    `imap` yields ``(key, Outcome)`` as units finish (any order); `map` returns the outcomes in
    job order. Leaving the ``with`` block by an exception (Ctrl-C, SIGTERM, a failed write)
    stops the workers at once: unfinished units are dropped, finished ones were yielded.
    """

    def imap(self, fn: Callable[..., Any], jobs: Iterable[Job]) -> Iterator[tuple[Hashable,
                                                                                   Outcome]]:
        for key, args in jobs:
            check_terminated()
            yield key, call(fn, args)

    def map(self, fn: Callable[..., Any], args: Iterable[tuple]) -> list[Outcome]:
        jobs = list(enumerate(args))
        out: dict[Hashable, Outcome] = dict(self.imap(fn, jobs))
        return [out[i] for i, _ in jobs]

    def close(self, *, abort: bool = False) -> None:
        """Release the workers; with `abort`, stop them without waiting."""

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(abort=exc_type is not None)


def _worker_main(conn: Connection, parent_pid: int) -> None:
    """A local worker: run ``(fn, args)`` jobs from `conn` one at a time, send back `Outcome`s;
    end on None or when the pipe closes."""
    _worker_init(parent_pid)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        except Exception as exc:  # a job that cannot be unpickled here
            conn.send(Outcome(None, f"{type(exc).__name__}: {_first_line(exc)}", 0.0))
            continue
        if job is None:
            return
        fn, args = job
        outcome = call(fn, args)
        try:
            conn.send(outcome)
        except Exception as exc:  # a value that cannot be pickled
            conn.send(Outcome(None, f"{type(exc).__name__}: the unit's value cannot be sent "
                                    f"back: {_first_line(exc)}", outcome.wall_time_s))


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else ""


@dataclass(slots=True)
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection


#: seconds `close` waits for a worker to end before it is killed
_JOIN_TIMEOUT_S = 5.0


class _LocalPool(Pool):
    """Spawn processes, one thread each, one unit at a time each, tied to this process's lifetime.

    Written on multiprocessing's processes and pipes rather than on
    `concurrent.futures.ProcessPoolExecutor`: stopped at an arbitrary moment (Ctrl-C, SIGTERM),
    that executor printed tracebacks from its helper threads (an ``InvalidStateError`` when it
    failed a future that had been cancelled, a ``BrokenPipeError`` of its queue feeder) and
    could leave workers running while its management thread was joined. Here the main thread
    does all the work (no helper thread), start-up and shutdown are not cut by a signal
    (`deferred_signals`), and `close` kills and reaps every worker it started. A worker that
    dies while running a unit (killed, out of memory) fails that unit (`Outcome.error`) and is
    replaced; the other units go on.
    """

    def __init__(self, workers: int) -> None:
        self._env = {v: os.environ.get(v) for v in THREAD_VARS}
        os.environ.update({v: "1" for v in THREAD_VARS})  # inherited by every spawned worker
        self._size = workers
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []

    def _spawn(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=_worker_main, args=(theirs, os.getpid()),
                                        name="etr-worker", daemon=True)
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def _stop(self, worker: _Worker, *, kill: bool) -> None:
        """End `worker` (kill it at once, or ask it to stop and kill it after a while)."""
        if kill:
            with contextlib.suppress(Exception):
                worker.process.kill()
        else:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        worker.process.join(0 if kill else _JOIN_TIMEOUT_S)
        if worker.process.is_alive():
            with contextlib.suppress(Exception):
                worker.process.kill()
        worker.process.join(_JOIN_TIMEOUT_S)
        worker.conn.close()
        if worker in self._workers:
            self._workers.remove(worker)

    def imap(self, fn: Callable[..., Any], jobs: Iterable[Job]) -> Iterator[tuple[Hashable,
                                                                                   Outcome]]:
        todo = list(jobs)[::-1]  # popped from the end: dispatched in job order
        with deferred_signals():  # a half-started worker would be an orphan
            while len(self._workers) < min(self._size, len(todo)):
                self._workers.append(self._spawn())
        idle = list(self._workers)
        busy: dict[Connection, tuple[Hashable, _Worker, float]] = {}
        try:
            while todo or busy:
                while idle and todo:
                    key, args = todo.pop()
                    worker = idle.pop()
                    with deferred_signals():  # a message cut in two would corrupt the pipe
                        worker.conn.send((fn, args))
                    busy[worker.conn] = (key, worker, time.perf_counter())
                ready = wait_connections(list(busy))
                check_terminated()
                for conn in ready:
                    key, worker, t0 = busy.pop(conn)
                    try:
                        outcome = conn.recv()
                    except (EOFError, OSError):  # the worker died during the unit
                        outcome = self._died(worker, time.perf_counter() - t0)
                        with deferred_signals():
                            worker = self._spawn()
                            self._workers.append(worker)
                    idle.append(worker)
                    yield key, outcome
        finally:  # abandoned units (their results would be read by the next imap): stop them
            with deferred_signals(raise_after=False):
                for _key, worker, _t0 in list(busy.values()):
                    self._stop(worker, kill=True)

    def _died(self, worker: _Worker, seconds: float) -> Outcome:
        with deferred_signals(raise_after=False):  # raised at the next checkpoint
            self._stop(worker, kill=False)
        code = worker.process.exitcode
        how = (f"was killed by signal {-code}" if code is not None and code < 0
               else f"ended with exit code {code}")
        hint = " (out of memory?)" if code == -signal.SIGKILL else ""
        return Outcome(None, f"WorkerDied: the worker process {how} while running this "
                             f"unit{hint}", seconds)

    def close(self, *, abort: bool = False) -> None:
        """End the workers (with `abort` they are killed at once, unfinished units dropped) and
        reap them; not cut by a signal (one that arrives meanwhile is raised after a normal
        close, and left to the exception being handled after an abort)."""
        with deferred_signals(raise_after=not abort):
            for worker in list(self._workers):
                self._stop(worker, kill=abort)
            for var, value in self._env.items():
                if value is None:
                    os.environ.pop(var, None)
                else:
                    os.environ[var] = value


class _DaskPool(Pool):
    """Units on a dask.distributed cluster."""

    def __init__(self, address: str, error: type[InputError]) -> None:
        from distributed import Client

        try:
            self._client = Client(address, timeout="10s")
        except OSError as exc:  # TimeoutError included
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise error(f"`scheduler` {address} is not reachable: {msg}") from None
        with contextlib.suppress(Exception):
            self._client.run(_limit_threads)

    def imap(self, fn: Callable[..., Any], jobs: Iterable[Job]) -> Iterator[tuple[Hashable,
                                                                                   Outcome]]:
        from distributed import as_completed

        futures = {self._client.submit(call, fn, args, pure=False): key for key, args in jobs}
        try:
            for fut in as_completed(list(futures)):
                check_terminated()
                yield futures[fut], fut.result()
        finally:
            self._client.cancel([f for f in futures if not f.done()])

    def close(self, *, abort: bool = False) -> None:
        self._client.close()


def open_pool(workers: int | None = None, scheduler: str | None = None, *,
              n_jobs: int | None = None, error: type[InputError] = InputError) -> Pool:
    """A pool for `n_jobs` units: in-process, local processes, or a Dask cluster.

    Parameters
    ----------
    workers : local worker processes (default `default_workers`); 1 runs in this process.
        Ignored when `scheduler` is given.
    scheduler : ``tcp://HOST:PORT`` of a dask.distributed scheduler.
    n_jobs : units expected, if known: never more local workers than units, and a single unit
        runs in this process.
    error : exception class for a bad `workers` or `scheduler` (an `InputError` subclass).

    Raises
    ------
    etr.errors.InputError
        `workers` < 1, a malformed scheduler address, an unreachable scheduler.

    Examples
    --------
    >>> with open_pool(1) as pool:
    ...     [o.value for o in pool.map(pow, [(2, 3), (3, 2)])]
    [8, 9]
    """
    workers = check_int("workers", default_workers() if workers is None else workers,
                        minimum=1, error=error)
    if scheduler is not None:
        return _DaskPool(check_scheduler(scheduler, error=error), error)
    if n_jobs is not None:
        workers = min(workers, max(n_jobs, 1))
    return Pool() if workers == 1 else _LocalPool(workers)
