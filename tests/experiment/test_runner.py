from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from etr_checks import journal_counts
from etr_fakes import fake_evaluate, fake_metrics

from etr.contract import COLUMNS
from etr.errors import SpecError
from etr.experiment import (
    circuit_units,
    expand_grid,
    journal_dir,
    load_spec,
    read_dataset,
    run_experiment,
)

HERE = Path(__file__).parent
SPEC = """
seeds = [0, 1]
[grid]
classical_post = ["4-tanh", "8-tanh"]
[grid.hea]
n_qubits = [2, 3]
layers = [1, 2]
[training]
steps = 3
"""
FAKES = {"evaluate": fake_evaluate, "metrics_fn": fake_metrics}


def _run(tmp_path, name="d.parquet", spec=SPEC, **kw):
    kw = {"workers": 1, "quiet": True, **FAKES, **kw}
    return run_experiment(load_spec(spec), tmp_path / name, **kw)


def _numbers(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns="wall_time_s")


def test_rows_match_direct_evaluation(tmp_path):
    spec = load_spec(SPEC)
    res = _run(tmp_path)
    df = read_dataset(res.path)
    cells = expand_grid(spec)
    assert list(df.columns) == list(COLUMNS)
    assert df["cell_id"].tolist() == [c.cell_id for c in cells]
    settings = spec.run_settings()
    for cell, row in zip(cells, df.itertuples(index=False), strict=True):
        if row.status == "failed":
            continue
        want = fake_evaluate(cell.arch, cell.training_config, cell.seed, settings, cell.task_seed)
        assert row.grad_var == want["grad_var"] and row.test_accuracy == want["test_accuracy"]
        assert row.seed == cell.replicate and row.architecture_id == cell.arch.architecture_id
    units = {u.key: u for u in circuit_units(spec, cells)}
    for cell, row in zip(cells, df.itertuples(index=False), strict=True):
        u = units[cell.circuit_key]
        want = fake_metrics(u.arch, spec.metrics, u.seed)
        assert row.expressibility_kl == want["expressibility_kl"]
        assert row.entangling_capability == want["entangling_capability"]
    # circuit metrics computed once per distinct circuit, shared by configurations and seeds
    per_pqc = df.groupby(["pqc_id"])["expressibility_kl"].nunique()
    assert (per_pqc == 1).all() and len(per_pqc) == 4


def test_task_instances_reach_the_dataset(tmp_path):
    text = SPEC.replace("seeds = [0, 1]", "seeds = [0]\ninstances = 4\ninstances_per_circuit = 3")
    spec = load_spec(text)
    df = read_dataset(_run(tmp_path, spec=text).path)
    cells = expand_grid(spec)
    assert df["task_instance"].tolist() == [c.instance for c in cells]
    assert str(df["task_instance"].dtype) == "Int64"
    ok = df[df.status == "ok"]
    # one task_id per instance number (the fake evaluator hashes the task seed), 4 of them
    assert (ok.groupby("task_instance")["task_id"].nunique() == 1).all()
    assert ok["task_instance"].nunique() == 4
    assert (ok.groupby("pqc_id")["task_instance"].nunique() == 3).all()
    legacy = read_dataset(_run(tmp_path, "legacy.parquet").path)
    assert (legacy["task_instance"] == legacy["seed"]).all()


def test_failures_are_recorded_and_listed(tmp_path):
    res = _run(tmp_path)
    df = read_dataset(res.path)
    failed = df[df["status"] == "failed"]
    # 3-qubit hybrid_full cells: 2 layers x 2 classical variants x 2 seeds (of 40 cells)
    assert res.n_failed == len(failed) == 8
    assert set(failed["training_config"]) == {"hybrid_full"} and set(failed["n_qubits"]) == {3}
    assert failed["error"].str.fullmatch(r"RuntimeError: diverged at step 3").all()
    assert failed["grad_var"].isna().all() and failed["expressibility_kl"].notna().all()
    assert [cid for cid, _ in res.failures] == failed["cell_id"].tolist()
    ok = df[df["status"] == "ok"]
    assert ok["error"].isna().all() and ok["grad_var"].notna().all()
    assert journal_dir(res.path).is_dir()  # kept so that --resume retries the failures


def test_existing_output_is_never_overwritten_silently(tmp_path):
    res = _run(tmp_path)
    before = res.path.read_bytes()
    with pytest.raises(SpecError, match=r"already exists; pass --resume.*--force"):
        _run(tmp_path)
    assert res.path.read_bytes() == before
    with pytest.raises(SpecError, match="written for spec"):
        _run(tmp_path, spec=SPEC.replace("steps = 3", "steps = 4"), resume=True)
    assert res.path.read_bytes() == before
    old_ids = set(read_dataset(res.path)["cell_id"])
    res2 = _run(tmp_path, spec=SPEC.replace("steps = 3", "steps = 4"), force=True)
    assert not old_ids & set(read_dataset(res2.path)["cell_id"])


def test_bad_output_paths_fail_before_computing(tmp_path, monkeypatch):
    with pytest.raises(SpecError, match=r"output directory .* does not exist"):
        _run(tmp_path, name="missing/d.parquet")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if not os.access(ro, os.W_OK):  # root can write anyway
            with pytest.raises(SpecError, match="not writable"):
                run_experiment(load_spec(SPEC), ro / "d.parquet", workers=1, quiet=True, **FAKES)
    finally:
        ro.chmod(0o700)
    with monkeypatch.context() as m:  # what a non-root user sees on a read-only directory
        m.setattr("etr.experiment.runner.os.access", lambda path, mode: False)
        with pytest.raises(SpecError, match=r"output `.*d.parquet` is not writable"):
            _run(tmp_path)
    with pytest.raises(SpecError, match="`workers` must be >= 1"):
        _run(tmp_path, workers=0)
    with pytest.raises(SpecError, match="tcp://HOST:PORT"):
        _run(tmp_path, scheduler="localhost")
    assert not (tmp_path / "d.parquet").exists()


def test_resume_from_a_cut_journal_gives_the_same_dataset(tmp_path):
    full = _numbers(read_dataset(_run(tmp_path, "full.parquet").path))
    res = _run(tmp_path, "part.parquet")
    jfile = journal_dir(res.path) / "journal.jsonl"
    lines = jfile.read_text().splitlines(keepends=True)
    n_units = len(lines) - 1
    keep = lines[: 1 + n_units // 2]
    jfile.write_text("".join(keep) + lines[len(keep)][:25])  # a line cut short by a kill
    res.path.unlink()
    resumed = _run(tmp_path, "part.parquet", resume=True)
    pd.testing.assert_frame_equal(_numbers(read_dataset(resumed.path)), full, check_exact=True)
    done_cells = sum(json.loads(line)["kind"] == "cell" and
                     json.loads(line)["values"]["status"] == "ok" for line in keep[1:])
    assert resumed.n_computed == len(full) - done_cells


def test_resume_retries_failures_and_removes_journal_when_clean(tmp_path):
    res = _run(tmp_path)
    assert res.n_failed == 8
    res2 = _run(tmp_path, resume=True)
    assert res2.n_computed == 8 and res2.n_failed == 8  # deterministic failures stay failed
    clean = SPEC.replace("n_qubits = [2, 3]", "n_qubits = [2]")
    res3 = _run(tmp_path, "clean.parquet", spec=clean)
    assert res3.n_failed == 0 and not journal_dir(res3.path).exists()
    before = res3.path.read_bytes()
    again = _run(tmp_path, "clean.parquet", spec=clean, resume=True)
    assert again.n_computed == 0 and again.n_cells == res3.n_cells
    assert res3.path.read_bytes() == before
    with pytest.raises(SpecError, match="written for spec"):
        _run(tmp_path, "clean.parquet", spec=clean.replace("steps = 3", "steps = 5"),
             resume=True)


def test_csv_output_reads_back_identically(tmp_path):
    a = read_dataset(_run(tmp_path, "d.parquet").path)
    b = read_dataset(_run(tmp_path, "d.csv").path)
    pd.testing.assert_frame_equal(_numbers(a), _numbers(b), check_exact=True)
    assert b.attrs["provenance"]["spec_hash"] == a.attrs["provenance"]["spec_hash"]
    assert b.attrs["provenance"]["spec"]["training"]["steps"] == 3


def test_quiet_and_log_lines(tmp_path, capsys):
    _run(tmp_path, "q.parquet")
    assert capsys.readouterr().err == ""
    _run(tmp_path, "v.parquet", quiet=False)
    err = capsys.readouterr().err
    assert "cells: 40/40 done" in err and "ETA" in err and "circuit metrics: 4/4" in err


@pytest.mark.slow
def test_two_workers_equal_one(tmp_path):
    one = read_dataset(_run(tmp_path, "one.parquet").path)
    two = read_dataset(_run(tmp_path, "two.parquet", workers=2).path)
    pd.testing.assert_frame_equal(_numbers(one), _numbers(two), check_exact=True)


@pytest.mark.slow
def test_dask_local_cluster_equals_one_worker(tmp_path):
    distributed = pytest.importorskip("distributed")
    one = read_dataset(_run(tmp_path, "one.parquet").path)
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), old]))
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None) as cluster:
            res = _run(tmp_path, "dask.parquet", scheduler=cluster.scheduler_address)
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH")
        else:
            os.environ["PYTHONPATH"] = old
    pd.testing.assert_frame_equal(_numbers(one), _numbers(read_dataset(res.path)), check_exact=True)


_KILL_SCRIPT = """
import sys
sys.path.insert(0, {here!r})
from etr_fakes import fake_evaluate, fake_metrics
from etr.experiment import load_spec, run_experiment
run_experiment(load_spec({spec!r}), {out!r}, workers=2, quiet=True, resume={resume},
               evaluate=fake_evaluate, metrics_fn=fake_metrics)
"""


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_equals_uninterrupted(tmp_path):
    full = _numbers(read_dataset(_run(tmp_path, "full.parquet").path))
    out = tmp_path / "killed.parquet"
    script = _KILL_SCRIPT.format(here=str(HERE), spec=SPEC, out=str(out), resume=False)
    env = {**os.environ, "ETR_FAKE_DELAY": "0.1"}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if journal_counts(out)[1] >= 5:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    n_done = journal_counts(out)[1]
    assert 5 <= n_done < len(full)
    with pytest.raises(SpecError, match="already exists"):
        _run(tmp_path, "killed.parquet")
    resumed = _run(tmp_path, "killed.parquet", resume=True)
    assert resumed.n_computed <= len(full) - n_done + 8
    pd.testing.assert_frame_equal(_numbers(read_dataset(out)), full, check_exact=True)
