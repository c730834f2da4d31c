"""The resumable parallel runner behind `etr simulate`.

Phases: (1) circuit-level metrics, once per distinct circuit (`pqc_id`); (2) the cells
(architecture x training configuration x replicate); (3) the join, in canonical grid order,
written atomically.
Phases 1 and 2 run on local processes, in-process (``workers=1``) or on a Dask cluster, and every
finished unit is journaled at once (see `etr.experiment.journal`). Nothing in the numbers depends
on the worker count, the scheduler or the completion order.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from etr._validation import check_int
from etr.contract import COLUMNS
from etr.errors import InputError, SpecError
from etr.experiment.dataset import FORMATS, infer_format, write_dataset
from etr.experiment.grid import Cell, circuit_units, expand_grid
from etr.experiment.journal import Journal, journal_dir
from etr.experiment.spec import MetricSpec, Spec, load_spec
from etr.hybrid.architecture import Architecture

__all__ = ["ExperimentResult", "circuit_metrics", "run_experiment"]

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
_CIRCUIT_COLUMNS = ("expressibility_kl", "expressibility_kl_corrected", "expressibility_kl_ci_low",
                    "expressibility_kl_ci_high", "entangling_capability")
_ADDRESS_RE = re.compile(r"^(tcp|tls)://[^\s:/]+:\d{1,5}$")


@dataclass(frozen=True, slots=True)
class ExperimentResult:
    """What `run_experiment` did.

    Attributes
    ----------
    path : the written dataset.
    n_cells : rows in the dataset.
    n_failed : cells with ``status == "failed"``.
    failures : ``(cell_id, error)`` of every failed cell, in grid order.
    wall_time_s : wall time of this call (a resumed run counts only its own time).
    n_computed : cells computed by this call (the rest were replayed from the journal).
    spec_hash : hash of the full spec.
    """

    path: Path
    n_cells: int
    n_failed: int
    failures: tuple[tuple[str, str], ...]
    wall_time_s: float
    n_computed: int
    spec_hash: str

    def to_frame(self) -> pd.DataFrame:
        """One row: path, n_cells, n_failed, n_computed, wall_time_s, spec_hash."""
        return pd.DataFrame([{
            "path": str(self.path), "n_cells": self.n_cells, "n_failed": self.n_failed,
            "n_computed": self.n_computed, "wall_time_s": self.wall_time_s,
            "spec_hash": self.spec_hash,
        }])


# --- the units of work (run in workers: module-level, picklable) -----------------------------


def circuit_metrics(arch: Architecture, metrics: MetricSpec, seed: int) -> dict[str, float]:
    """Expressibility (Sim et al. 2019) and entangling capability of ``arch.ansatz()``.

    Two independent child seeds of `seed` drive the two estimates.
    """
    from etr.metrics import entangling_capability, expressibility

    s_expr, s_ec = np.random.SeedSequence(seed).spawn(2)
    ansatz = arch.ansatz()
    expr = expressibility(ansatz, n_pairs=metrics.n_pairs, bins=metrics.bins,
                          seed=np.random.default_rng(s_expr), details=True)
    ec = entangling_capability(ansatz, n_samples=metrics.ec_samples,
                               seed=np.random.default_rng(s_ec))
    return {
        "expressibility_kl": float(expr.kl),
        "expressibility_kl_corrected": float(expr.kl_corrected),
        "expressibility_kl_ci_low": float(expr.ci_low),
        "expressibility_kl_ci_high": float(expr.ci_high),
        "entangling_capability": float(ec),
    }


def _evaluate_run(arch: Architecture, training_config: str, seed: int, settings: Any) -> dict:
    from etr.hybrid.run import evaluate_run

    return evaluate_run(arch, training_config, seed, settings)


def _error_text(exc: BaseException) -> str:
    msg = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {msg}"


def _run_unit(fn: Callable[..., dict], args: tuple) -> dict[str, Any]:
    """Call `fn(*args)`, timing it; an exception becomes ``status="failed"`` with its error."""
    t0 = time.perf_counter()
    try:
        values = dict(fn(*args))
        status, error = "ok", None
    except Exception as exc:
        values, status, error = {}, "failed", _error_text(exc)
        if os.environ.get("ETR_DEBUG"):
            traceback.print_exc()
    values = {k: _jsonable(v) for k, v in values.items()}
    return {"values": values, "status": status, "error": error,
            "wall_time_s": time.perf_counter() - t0}


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def _limit_threads() -> None:
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    with contextlib.suppress(Exception):
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)


# --- executors ------------------------------------------------------------------------------


def _in_process(fn: Callable, jobs: list[tuple[str, tuple]]) -> Iterator[tuple[str, dict]]:
    for key, args in jobs:
        yield key, _run_unit(fn, args)


@contextlib.contextmanager
def _one_thread_env() -> Iterator[None]:
    """Children spawned inside inherit one-thread BLAS/OpenMP/numba settings."""
    old = {v: os.environ.get(v) for v in _THREAD_VARS}
    os.environ.update({v: "1" for v in _THREAD_VARS})
    try:
        yield
    finally:
        for var, value in old.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


class _LocalPool:
    """A spawn-context process pool kept for both phases."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(_one_thread_env())
        self.pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_limit_threads,
        )

    def run(self, fn: Callable, jobs: list[tuple[str, tuple]]) -> Iterator[tuple[str, dict]]:
        futures = {self.pool.submit(_run_unit, fn, args): key for key, args in jobs}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield futures[fut], fut.result()
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        # on an interrupt, queued units are dropped (they are not journaled: --resume redoes them)
        self.pool.shutdown(wait=True, cancel_futures=True)
        self._stack.close()


class _DaskPool:
    """Tasks on a dask.distributed cluster at `address`."""

    def __init__(self, address: str) -> None:
        from distributed import Client

        try:
            self.client = Client(address, timeout="10s")
        except OSError as exc:
            raise SpecError(f"`scheduler` {address} is not reachable: {exc}") from None
        with contextlib.suppress(Exception):
            self.client.run(_limit_threads)

    def run(self, fn: Callable, jobs: list[tuple[str, tuple]]) -> Iterator[tuple[str, dict]]:
        from distributed import as_completed

        futures = {self.client.submit(_run_unit, fn, args, pure=False): key for key, args in jobs}
        try:
            for fut in as_completed(list(futures)):
                yield futures[fut], fut.result()
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        self.client.close()


class _InProcess:
    def run(self, fn: Callable, jobs: list[tuple[str, tuple]]) -> Iterator[tuple[str, dict]]:
        return _in_process(fn, jobs)

    def close(self) -> None:
        pass


# --- progress -------------------------------------------------------------------------------


class _Progress:
    """tqdm bar on a terminal, a log line every ~10 s (and at the end) otherwise, or nothing."""

    def __init__(self, total: int, label: str, quiet: bool, interval: float = 10.0) -> None:
        self.total, self.label, self.quiet, self.interval = total, label, quiet, interval
        self.done = 0
        self.t0 = self.last = time.monotonic()
        self.bar = None
        if not quiet and total and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=label, unit="run" if label == "cells" else "unit",
                            file=sys.stderr)

    def update(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            return
        now = time.monotonic()
        if not self.quiet and (now - self.last >= self.interval or self.done == self.total):
            self.last = now
            rate = self.done / max(now - self.t0, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else math.inf
            print(f"{self.label}: {self.done}/{self.total} done, {rate:.2f}/s, ETA {eta:.0f} s",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# --- the runner -----------------------------------------------------------------------------


def _check_output(out: Path, fmt: str, resume: bool, force: bool) -> None:
    if fmt not in FORMATS:
        raise SpecError(f"`format` must be one of {set(FORMATS)}, got {fmt!r}")
    parent = out.parent
    if not parent.is_dir():
        raise SpecError(f"output directory `{parent}` does not exist")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise SpecError(f"output `{out}` is not writable")
    if out.is_dir():
        raise SpecError(f"output `{out}` is a directory")
    jdir = journal_dir(out)
    if not (resume or force) and (out.exists() or jdir.exists()):
        what = f"output `{out}`" if out.exists() else f"journal `{jdir}`"
        raise SpecError(f"{what} already exists; pass --resume to continue it or --force to "
                        "start over")


def run_experiment(
    spec: Spec | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    force: bool = False,
    quiet: bool = False,
    fmt: str | None = None,
    evaluate: Callable[..., dict] | None = None,
    metrics_fn: Callable[..., dict] | None = None,
) -> ExperimentResult:
    """Run every cell of `spec` and write the dataset to `out`.

    Parameters
    ----------
    spec : a `Spec`, or a TOML path/text for `load_spec`.
    out : dataset path (``.parquet``; ``.csv`` or `fmt` for CSV). Its directory must exist.
    workers : local worker processes (default ``os.cpu_count()``); 1 runs in this process.
    scheduler : ``tcp://HOST:PORT`` of a dask.distributed scheduler (then `workers` is ignored).
    resume : replay ``<out>.journal/`` and compute only what is missing (failed cells are
        retried); refuses a journal written for a different spec. A finished output (no journal
        left) of the same spec is returned as it is.
    force : discard an existing output and journal and start over.
    quiet : no progress output.
    fmt : ``"parquet"`` or ``"csv"`` (default from the suffix of `out`).
    evaluate : ``(arch, training_config, seed, settings) -> dict`` of contract columns
        (default `etr.hybrid.evaluate_run`); must be picklable (module-level).
    metrics_fn : ``(arch, metric_spec, seed) -> dict`` of the circuit-level columns
        (default `circuit_metrics`).

    Returns
    -------
    ExperimentResult

    Raises
    ------
    etr.errors.SpecError
        Bad spec, missing or non-writable output directory, an existing output or journal
        without `resume`/`force`, a journal of another spec, an unreachable scheduler. Raised
        before anything is computed.

    Notes
    -----
    The dataset of a killed-and-resumed run equals that of an uninterrupted run in every column
    except ``wall_time_s`` (a measurement, not a result). On success with no failed cell the
    journal is removed; otherwise it is kept so that ``resume=True`` retries the failures.
    ``seed`` in the dataset is the replicate number; the run seed is derived from it, the root
    seed and the architecture id (see `etr.experiment.grid`).
    """
    t0 = time.perf_counter()
    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    out = Path(out)
    fmt = infer_format(out) if fmt is None else fmt
    _check_output(out, fmt, resume, force)
    if scheduler is not None and not _ADDRESS_RE.match(scheduler):
        raise SpecError(f"`scheduler` must look like tcp://HOST:PORT, got {scheduler!r}")
    try:
        workers = check_int("workers", (os.cpu_count() or 1) if workers is None else workers,
                            minimum=1)
    except InputError as exc:
        raise SpecError(str(exc)) from None
    evaluate = _evaluate_run if evaluate is None else evaluate
    metrics_fn = circuit_metrics if metrics_fn is None else metrics_fn

    spec_hash = spec.spec_hash()
    if resume and out.exists() and not journal_dir(out).exists():
        return _finished(out, spec_hash, t0)
    settings = spec.run_settings()
    cells = expand_grid(spec)
    units = circuit_units(spec, cells)
    if force and out.exists():
        out.unlink()
    n_computed = 0
    with Journal.open(journal_dir(out), spec_hash, resume=resume) as journal:
        todo_units = [u for u in units if _missing(journal, "circuit", u.key)]
        todo_cells = [c for c in cells if _missing(journal, "cell", c.cell_id)]
        if todo_units or todo_cells:
            pool = _make_pool(scheduler, workers, len(todo_units) + len(todo_cells))
            try:
                _phase(pool, metrics_fn, "circuit", journal, quiet, "circuit metrics",
                       [(u.key, (u.arch, spec.metrics, u.seed)) for u in todo_units])
                _phase(pool, evaluate, "cell", journal, quiet, "cells",
                       [(c.cell_id, (c.arch, c.training_config, c.seed, settings))
                        for c in todo_cells])
            finally:
                pool.close()
            n_computed = len(todo_cells)
        rows = [_row(c, journal, settings) for c in cells]
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    provenance = {"spec": spec.to_dict(), "spec_hash": spec_hash, "root_seed": spec.root_seed}
    write_dataset(df, out, provenance=provenance, fmt=fmt)
    failures = tuple((r["cell_id"], r["error"]) for r in rows if r["status"] == "failed")
    if not failures:
        _remove_journal(journal_dir(out))
    return ExperimentResult(path=out, n_cells=len(rows), n_failed=len(failures),
                            failures=failures, wall_time_s=time.perf_counter() - t0,
                            n_computed=n_computed, spec_hash=spec_hash)


def _finished(out: Path, spec_hash: str, t0: float) -> ExperimentResult:
    """`resume` of a completed run (no journal left): check the spec, compute nothing."""
    from etr.experiment.dataset import read_dataset

    df = read_dataset(out)
    found = df.attrs["provenance"].get("spec_hash")
    if found != spec_hash:
        raise SpecError(f"cannot resume: `{out}` was written for spec {found}, this spec is "
                        f"{spec_hash}; use --force to start over")
    failed = df[df["status"] == "failed"]
    return ExperimentResult(
        path=out, n_cells=len(df), n_failed=len(failed),
        failures=tuple(zip(failed["cell_id"], failed["error"], strict=True)),
        wall_time_s=time.perf_counter() - t0, n_computed=0, spec_hash=spec_hash,
    )


def _missing(journal: Journal, kind: str, key: str) -> bool:
    rec = journal.get(kind, key)
    return rec is None or rec["status"] != "ok"


def _make_pool(scheduler: str | None, workers: int, n_jobs: int) -> Any:
    if scheduler is not None:
        return _DaskPool(scheduler)
    if workers == 1 or n_jobs == 1:
        return _InProcess()
    return _LocalPool(min(workers, n_jobs))


def _phase(pool: Any, fn: Callable, kind: str, journal: Journal, quiet: bool, label: str,
           jobs: list[tuple[str, tuple]]) -> None:
    if not jobs:
        return
    progress = _Progress(len(jobs), label, quiet)
    try:
        for key, result in pool.run(fn, jobs):
            journal.append(kind, key, result)
            progress.update()
    finally:
        progress.close()


def _row(cell: Cell, journal: Journal, settings: Any) -> dict[str, Any]:
    rec = journal.get("cell", cell.cell_id)
    circ = journal.get("circuit", cell.circuit_key)
    assert rec is not None and circ is not None  # every unit ran above
    arch = cell.arch
    row: dict[str, Any] = {c: np.nan for c, d in COLUMNS.items() if d == "float64"}
    row.update({k: v for k, v in rec["values"].items() if k in COLUMNS})
    row.update({k: circ["values"].get(k, np.nan) for k in _CIRCUIT_COLUMNS})
    row.update(arch.to_dict())
    if "n_quantum_params" not in row:
        row["n_quantum_params"] = arch.ansatz().n_params
    row.setdefault("n_classical_params", -1)
    errors = []
    if circ["status"] != "ok":
        errors.append(f"circuit metrics: {circ['error']}")
    if rec["status"] != "ok":
        errors.append(rec["error"])
    row.update(
        cell_id=cell.cell_id, architecture_id=arch.architecture_id, pqc_id=arch.pqc_id,
        seed=cell.replicate, training_config=cell.training_config,
        task=row.get("task", getattr(settings, "task", "")),
        status="failed" if errors else "ok", error="; ".join(errors) if errors else None,
        wall_time_s=rec["wall_time_s"],
    )
    return row


def _remove_journal(directory: Path) -> None:
    for p in sorted(directory.glob("*")):
        p.unlink()
    with contextlib.suppress(OSError):
        directory.rmdir()

