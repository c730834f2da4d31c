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
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from etr._outputs import Output, check_outputs, output_lock
from etr._validation import check_int
from etr.circuits import encoding_width
from etr.contract import CIRCUIT_COLUMNS, COLUMNS
from etr.dataset import check_format, write_dataset
from etr.errors import SpecError
from etr.experiment.circuit import circuit_metrics
from etr.experiment.grid import Cell, circuit_units, expand_grid
from etr.experiment.journal import Journal, journal_dir
from etr.experiment.size import check_spec_limits, estimate
from etr.experiment.spec import Spec, load_spec
from etr.parallel import Outcome, Pool, check_scheduler, default_workers, open_pool
from etr.plan.architecture import Architecture
from etr.plan.settings import RunSettings
from etr.plan.tasks import TASKS

__all__ = ["ExperimentResult", "circuit_metrics", "run_experiment"]

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


def _evaluate_run(arch: Architecture, training_config: str, seed: int, settings: Any,
                  task_seed: int) -> dict:
    from etr.hybrid.run import evaluate_run

    return evaluate_run(arch, training_config, seed, settings, task_seed)


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def _record(outcome: Outcome) -> dict[str, Any]:
    """A journal record of a finished unit: values, status, error, wall time."""
    values = {k: _jsonable(v) for k, v in dict(outcome.value or {}).items()}
    return {"values": values, "status": "ok" if outcome.ok else "failed",
            "error": outcome.error, "wall_time_s": outcome.wall_time_s}


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

#: bytes a run may take in the dataset (CSV, the larger format) and in the journal
_BYTES_PER_RUN = 4096
_RESUME_HINT = "pass --resume to continue it or --force to start over"


def _check_output(out: Path, fmt: str | None, spec_path: Path | None, resume: bool,
                  force: bool, n_runs: int) -> str:
    """The dataset format; `SpecError` (before any work) for a bad or occupied output."""
    check_outputs([Output("output", out, size=_BYTES_PER_RUN * n_runs)],
                  [("spec", spec_path)] if spec_path is not None else [],
                  force=force or resume, hint=_RESUME_HINT, error=SpecError)
    fmt = check_format(out, fmt, error=SpecError)
    jdir = journal_dir(out)
    if not (resume or force) and jdir.exists():
        raise SpecError(f"journal `{jdir}` already exists; {_RESUME_HINT}")
    return fmt


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
    out : dataset path (``.parquet``, or ``.csv`` for CSV). Its directory must exist.
    workers : local worker processes (default: all usable cores,
        `etr.parallel.default_workers`); 1 runs in this process.
    scheduler : ``tcp://HOST:PORT`` of a dask.distributed scheduler (then `workers` is ignored).
    resume : replay ``<out>.journal/`` and compute only what is missing (failed cells are
        retried); refuses a journal written for a different spec. A finished output (no journal
        left) of the same spec is returned as it is.
    force : discard an existing output and journal and start over; also run a spec beyond
        `etr.plan.limits.LIMITS`.
    quiet : no progress output (otherwise the size and estimated run time, then progress).
    fmt : ``"parquet"`` or ``"csv"``; default from the suffix of `out`, which must agree.
    evaluate : ``(arch, training_config, seed, settings, task_seed) -> dict`` of contract
        columns (default `etr.hybrid.evaluate_run`); must be picklable (module-level).
    metrics_fn : ``(arch, metric_spec, seed) -> dict`` of the circuit-level columns
        (default `circuit_metrics`).

    Returns
    -------
    ExperimentResult

    Raises
    ------
    etr.errors.SpecError
        Bad spec, a spec beyond the limits (without `force`), a missing, non-writable or full
        output directory, a suffix that is not the format, the spec file as output, an existing
        output or journal without `resume`/`force`, an output another process is writing (its
        lock names it), a journal of another spec, an unreachable scheduler. Raised before
        anything is computed or written.

    Notes
    -----
    The dataset of a killed-and-resumed run equals that of an uninterrupted run in every column
    except ``wall_time_s`` (a measurement, not a result). On success with no failed cell the
    journal is removed; otherwise it is kept so that ``resume=True`` retries the failures.
    ``seed`` in the dataset is the replicate number; the run seed is derived from it, the root
    seed and the architecture id (see `etr.experiment.grid`). Interrupted (Ctrl-C, SIGTERM),
    the finished units stay in the journal and the worker processes stop at once.
    """
    t0 = time.perf_counter()
    spec_path = None
    if not isinstance(spec, Spec):
        spec_path = Path(spec) if _is_path(spec) else None
        spec = load_spec(spec)
    out = Path(out)
    bounds = check_spec_limits(spec, force=force)
    fmt = _check_output(out, fmt, spec_path, resume, force, bounds.runs)
    if scheduler is not None:
        check_scheduler(scheduler, error=SpecError)
    workers = check_int("workers", default_workers() if workers is None else workers,
                        minimum=1, error=SpecError)
    evaluate = _evaluate_run if evaluate is None else evaluate
    metrics_fn = circuit_metrics if metrics_fn is None else metrics_fn
    with output_lock(out, error=SpecError):
        return _run(spec, out, fmt, t0, workers=workers, scheduler=scheduler, resume=resume,
                    force=force, quiet=quiet, evaluate=evaluate, metrics_fn=metrics_fn)


def _is_path(spec: str | os.PathLike[str]) -> bool:
    return not isinstance(spec, str) or ("\n" not in spec and "=" not in spec)


def _run(spec: Spec, out: Path, fmt: str, t0: float, *, workers: int, scheduler: str | None,
         resume: bool, force: bool, quiet: bool, evaluate: Callable[..., dict],
         metrics_fn: Callable[..., dict]) -> ExperimentResult:
    spec_hash = spec.spec_hash()
    jdir = journal_dir(out)
    if resume and out.exists() and not jdir.exists():
        return _finished(out, spec_hash, t0)
    settings = {(task, shots, noise): spec.run_settings(task=task, shots=shots, noise=noise)
                for task in spec.tasks for shots in spec.levels("shots")
                for noise in spec.noise_levels}
    cells = expand_grid(spec)
    units = circuit_units(spec, cells)
    prior = Journal.read(jdir, spec_hash) if resume else {}
    todo_units = [u for u in units if _missing(prior, "circuit", u.key)]
    todo_cells = [c for c in cells if _missing(prior, "cell", c.cell_id)]
    # connect before touching any file: an unreachable scheduler leaves nothing behind
    with open_pool(workers, scheduler, n_jobs=len(todo_units) + len(todo_cells),
                   error=SpecError) as pool:
        if not quiet:
            _say_size(spec, cells, units, todo_cells, todo_units,
                      None if scheduler is not None else workers)
        if force and out.exists():
            out.unlink()
        with Journal.open(jdir, spec_hash, resume=resume) as journal:
            _phase(pool, metrics_fn, "circuit", journal, quiet, "circuit metrics",
                   [(u.key, (u.arch, spec.metrics, u.seed)) for u in todo_units])
            _phase(pool, evaluate, "cell", journal, quiet, "cells",
                   [(c.cell_id, (c.arch, c.training_config, c.seed,
                                 settings[c.task, c.shots, c.noise], c.task_seed))
                    for c in todo_cells])
            rows = [_row(c, journal, settings[c.task, c.shots, c.noise]) for c in cells]
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    provenance = {"spec": spec.to_dict(), "spec_hash": spec_hash, "root_seed": spec.root_seed}
    write_dataset(df, out, provenance=provenance, fmt=fmt)
    failures = tuple((r["cell_id"], r["error"]) for r in rows if r["status"] == "failed")
    if not failures:
        _remove_journal(jdir)
    return ExperimentResult(path=out, n_cells=len(rows), n_failed=len(failures),
                            failures=failures, wall_time_s=time.perf_counter() - t0,
                            n_computed=len(todo_cells), spec_hash=spec_hash)


def _say_size(spec: Spec, cells: list[Cell], units: list, todo_cells: list[Cell],
              todo_units: list, workers: int | None) -> None:
    """One line on stderr: runs, circuits, estimated run time (and what a resume has left)."""
    line = estimate(spec, cells, units).describe(workers)
    done = len(cells) - len(todo_cells)
    if done:
        left = estimate(spec, todo_cells, todo_units)
        line += f"; {done:,} runs already in the journal, {left.describe(workers)} left"
    print(line, file=sys.stderr, flush=True)


def _finished(out: Path, spec_hash: str, t0: float) -> ExperimentResult:
    """`resume` of a completed run (no journal left): check the spec, compute nothing."""
    from etr.dataset import read_dataset

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


def _missing(done: Journal | dict, kind: str, key: str) -> bool:
    rec = done.get(kind, key) if isinstance(done, Journal) else done.get((kind, key))
    return rec is None or rec["status"] != "ok"


def _phase(pool: Pool, fn: Callable, kind: str, journal: Journal, quiet: bool, label: str,
           jobs: list[tuple[str, tuple]]) -> None:
    if not jobs:
        return
    progress = _Progress(len(jobs), label, quiet)
    try:
        for key, outcome in pool.imap(fn, jobs):
            journal.append(kind, str(key), _record(outcome))
            progress.update()
    finally:
        progress.close()


def _row(cell: Cell, journal: Journal, settings: RunSettings) -> dict[str, Any]:
    rec = journal.get("cell", cell.cell_id)
    circ = None if cell.circuit_key is None else journal.get("circuit", cell.circuit_key)
    assert rec is not None and (circ is not None or cell.circuit_key is None)  # all ran above
    arch = cell.arch
    control = cell.circuit_key is None
    row: dict[str, Any] = {c: np.nan for c, d in COLUMNS.items() if d == "float64"}
    row.update(arch.record(cell.training_config))
    row.update({k: v for k, v in rec["values"].items() if k in COLUMNS})
    if circ is not None:
        row.update({k: circ["values"].get(k, np.nan) for k in CIRCUIT_COLUMNS})
    if "n_quantum_params" not in row:  # a failed cell: count from the architecture
        row["n_quantum_params"] = 0 if control else arch.ansatz().n_params
    if "n_classical_params" not in row:
        config = "hybrid_full" if control else cell.training_config
        n_features = (encoding_width(arch.n_qubits, arch.encoding)
                      if arch.classical_pre == "none"
                      else settings.n_features or TASKS[cell.task].n_features)
        row["n_classical_params"] = arch.n_classical_params(config, n_features)
    errors = []
    if circ is not None and circ["status"] != "ok":
        errors.append(f"circuit metrics: {circ['error']}")
    if rec["status"] != "ok":
        errors.append(rec["error"])
    elif not _finite(row.get("final_loss")):  # a diverged run is never "ok"
        errors.append(f"training diverged: final_loss is {row.get('final_loss')}")
    row.update(
        cell_id=cell.cell_id, seed=cell.replicate, training_config=cell.training_config,
        task=cell.task, task_instance=cell.instance, shots=cell.shots, **cell.noise.as_dict(),
        status="failed" if errors else "ok", error="; ".join(errors) if errors else None,
        wall_time_s=rec["wall_time_s"],
    )
    return row


def _finite(value: Any) -> bool:
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def _remove_journal(directory: Path) -> None:
    for p in sorted(directory.glob("*")):
        p.unlink()
    with contextlib.suppress(OSError):
        directory.rmdir()
