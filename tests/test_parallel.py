"""The one worker pool: in-process, local spawn workers (one thread, tied to the parent), Dask."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from etr.errors import InputError, SpecError
from etr.parallel import Outcome, call, check_scheduler, default_workers, open_pool


def _env_and_pid(var: str) -> tuple[str | None, int]:
    return os.environ.get(var), os.getpid()


def _fail(x: int) -> int:
    raise RuntimeError(f"unit {x} failed\nsecond line")


def test_in_process_pool_runs_here_and_keeps_order():
    with open_pool(1) as pool:
        outs = pool.map(_env_and_pid, [("HOME",), ("PATH",)])
    assert [o.value[1] for o in outs] == [os.getpid()] * 2
    assert all(isinstance(o, Outcome) and o.ok and o.wall_time_s >= 0 for o in outs)


def test_a_failing_unit_is_an_outcome_not_an_exception():
    with open_pool(1) as pool:
        (out,) = pool.map(_fail, [(3,)])
    assert not out.ok and out.value is None
    assert out.error == "RuntimeError: unit 3 failed"
    assert call(divmod, (1, 0)).error.startswith("ZeroDivisionError")


def test_local_workers_use_one_thread_and_another_process():
    before = {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS")}
    with open_pool(2, n_jobs=4) as pool:
        outs = pool.map(_env_and_pid, [(v,) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                      "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")])
    assert [o.value[0] for o in outs] == ["1"] * 4
    assert all(o.value[1] != os.getpid() for o in outs)
    assert {v: os.environ.get(v) for v in before} == before  # the parent's settings return


@pytest.mark.parametrize("address", ["localhost", "tcp://host", "http://h:1", "tcp://h:1 x"])
def test_scheduler_address_is_checked(address):
    with pytest.raises(InputError, match=r"`scheduler` must look like tcp://HOST:PORT"):
        check_scheduler(address)
    with pytest.raises(SpecError, match="tcp://HOST:PORT"):
        open_pool(2, address, error=SpecError)
    assert check_scheduler("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"


def test_workers_are_checked():
    with pytest.raises(InputError, match="`workers` must be >= 1, got 0"):
        open_pool(0)
    assert default_workers() >= 1


@pytest.mark.slow
def test_unreachable_scheduler_is_an_input_error():
    with pytest.raises(InputError, match=r"`scheduler` tcp://127.0.0.1:1 is not reachable"):
        open_pool(2, "tcp://127.0.0.1:1")


HOLDER = """
import threading, time
from multiprocessing import resource_tracker
from etr.parallel import open_pool

pool = open_pool(2)

def report():
    while len(pool._workers) < 2:
        time.sleep(0.05)
    time.sleep(2)  # the workers are up and inside time.sleep(600)
    tracker = resource_tracker._resource_tracker._pid
    pids = [w.process.pid for w in pool._workers]
    print(" ".join(str(p) for p in [*pids, tracker or 0]), flush=True)

threading.Thread(target=report, daemon=True).start()
next(pool.imap(time.sleep, [(i, (600,)) for i in range(2)]))  # spawns from the main thread
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_with_their_parent_on_sigkill():
    proc = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in proc.stdout.readline().split()]
    workers, tracker = pids[:-1], pids[-1]
    assert len(workers) == 2 and all(_alive(p) for p in workers)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in [*workers, tracker] if p):
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers), "workers outlived their parent"
    assert not (tracker and _alive(tracker)), "the resource tracker outlived its parent"


def _die_on(x: int) -> int:
    if x == 1:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would
    return x * 10


def _unpicklable(x: int):
    return lambda: x


def test_a_worker_that_dies_fails_its_unit_and_is_replaced():
    with open_pool(2) as pool:
        outs = pool.map(_die_on, [(0,), (1,), (2,), (3,)])
        again = pool.map(_die_on, [(4,), (5,)])
    assert [o.value for o in outs] == [0, None, 20, 30]
    assert outs[1].error == ("WorkerDied: the worker process was killed by signal 9 while "
                             "running this unit (out of memory?)")
    assert [o.value for o in again] == [40, 50]


def test_a_value_that_cannot_be_sent_back_is_a_failed_unit():
    with open_pool(2) as pool:
        outs = pool.map(_unpicklable, [(1,), (2,)])
        assert all(o.value is None and "cannot be sent back" in o.error for o in outs)
        assert [o.value for o in pool.map(_die_on, [(2,), (3,)])] == [20, 30]


def test_abort_kills_and_reaps_every_worker_at_once():
    before = os.environ.get("OMP_NUM_THREADS")
    pool = open_pool(2)
    units = pool.imap(time.sleep, [(0, (0,)), (1, (600,)), (2, (600,))])
    assert next(units)[0] == 0  # one worker is now inside time.sleep(600)
    procs = [w.process for w in pool._workers]
    assert len(procs) == 2 and all(p.is_alive() for p in procs)
    t0 = time.monotonic()
    pool.close(abort=True)
    assert time.monotonic() - t0 < 5
    assert not any(p.is_alive() for p in procs) and all(p.exitcode == -9 for p in procs)
    assert os.environ.get("OMP_NUM_THREADS") == before
    units.close()  # the abandoned generator ends quietly
