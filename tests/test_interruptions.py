"""Interrupted commands keep their work and leave no process behind (subprocess kills; slow).

* ``etr simulate -j 2`` stopped by SIGTERM: a message, exit 143, the journal kept, the workers
  gone, and ``--resume`` gives the dataset of an uninterrupted run;
* ``etr simulate -j 2`` killed by SIGKILL: the workers and the resource tracker end too;
* ``etr nas --storage`` killed (SIGKILL, SIGTERM) at several points and re-run gives the dataset,
  trials and fronts of an uninterrupted search with the same seed;
* SIGTERM or SIGINT at any moment of ``etr simulate -j 2`` (worker start-up, circuit metrics,
  cells, shutdown): one line, exit 143 / 130 (or 0 with a complete dataset when the run had
  finished), no traceback from any thread, no child process alive 2 s later.
"""

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
from click.testing import CliRunner
from etr_checks import finished_trials, journal_counts

from etr.cli import main
from etr.experiment import load_spec, read_dataset, run_experiment

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")]

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "experiment"))
from etr_fakes import fake_evaluate, fake_metrics  # noqa: E402

SPEC = """
seeds = 2
configs = ["pure_pqc", "hybrid_full"]
[grid]
classical_pre = ["none", "4-relu"]
[grid.hea]
n_qubits = [2, 4]
layers = [1, 3]
topology = ["ring"]
[training]
steps = 4
"""

SIMULATE = """
import sys
import etr_fakes, etr.experiment.runner as runner
runner._evaluate_run = etr_fakes.fake_evaluate
runner.circuit_metrics = etr_fakes.fake_metrics
from etr._start import main
main()
"""

NAS = """
import sys, time
import etr.nas.search as search
from etr.nas import synthetic_evaluator

def slow(arch, config, seed, evaluation):
    time.sleep(0.04)
    return synthetic_evaluator(arch, config, seed, evaluation)

search.simulate_architecture = slow
from etr.cli import main
main(sys.argv[1:], prog_name="etr")
"""


def _env() -> dict[str, str]:
    root = str(HERE.parent)
    path = os.pathsep.join([str(HERE / "experiment"), root, os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "ETR_FAKE_DELAY": "0.15"}


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _wait_for(predicate, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def _numbers(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns="wall_time_s")


def _uninterrupted(tmp_path: Path) -> pd.DataFrame:
    res = run_experiment(load_spec(SPEC), tmp_path / "full.parquet", workers=1, quiet=True,
                         evaluate=fake_evaluate, metrics_fn=fake_metrics)
    return _numbers(read_dataset(res.path))


def _start_simulate(tmp_path: Path, out: Path) -> subprocess.Popen:
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    return subprocess.Popen([sys.executable, "-c", SIMULATE, "simulate", str(spec), "-o",
                             str(out), "-j", "2"], env=_env(), stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, start_new_session=True)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_simulate_stopped_keeps_its_work_and_leaves_no_process(tmp_path, sig):
    full = _uninterrupted(tmp_path)
    out = tmp_path / "d.parquet"
    proc = _start_simulate(tmp_path, out)
    _wait_for(lambda: journal_counts(out)[1] >= 5)
    kids = _children(proc.pid)
    assert len(kids) >= 2  # two workers (and the resource tracker)
    os.kill(proc.pid, sig)  # the parent only, as a batch system or `kill` would
    _, err = proc.communicate(timeout=60)
    _wait_for(lambda: not any(_alive(k) for k in kids), timeout=15)
    if sig == signal.SIGTERM:
        assert proc.returncode == 143
        assert "terminated; finished runs are kept in the journal" in err
        assert "--resume" in err
        assert not (tmp_path / "d.parquet.lock").exists()
    assert not out.exists() and journal_counts(out)[1] >= 5
    resumed = run_experiment(load_spec(SPEC), out, workers=1, quiet=True, resume=True,
                             evaluate=fake_evaluate, metrics_fn=fake_metrics)
    assert resumed.n_computed < len(full)
    pd.testing.assert_frame_equal(_numbers(read_dataset(out)), full, check_exact=True)


NAS_ARGS = ("--preset", "quick", "--trials", "30", "--seed", "11", "-j", "1", "-q")


def _nas_result(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = read_dataset(out.with_suffix(".parquet"))
    trials = pd.DataFrame(data.attrs["provenance"]["nas_trials"])
    return _numbers(data), trials


def test_killed_nas_search_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch):
    import etr.nas.search as search
    from etr.nas import synthetic_evaluator

    monkeypatch.setattr(search, "simulate_architecture", synthetic_evaluator)
    base = tmp_path / "base.html"
    r = CliRunner().invoke(main, ["nas", *NAS_ARGS, "-o", str(base)])
    assert r.exit_code == 0, r.output
    want_data, want_trials = _nas_result(base)

    db = tmp_path / "k.db"
    out = tmp_path / "k.html"
    args = [sys.executable, "-c", NAS, "nas", *NAS_ARGS, "--storage", f"sqlite:///{db}",
            "-o", str(out)]
    for at, sig in ((5, signal.SIGKILL), (29, signal.SIGKILL), (43, signal.SIGTERM),
                    (77, signal.SIGKILL)):
        proc = subprocess.Popen(args, env=_env(), stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        _wait_for(lambda at=at, p=proc: finished_trials(db) >= at or p.poll() is not None)
        assert proc.poll() is None, proc.stderr.read()
        os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=60)
        if sig == signal.SIGTERM:
            assert proc.returncode == 143 and "kept in --storage" in err
        assert not out.exists()
    done = subprocess.run(args, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    got_data, got_trials = _nas_result(out)
    pd.testing.assert_frame_equal(got_trials, want_trials, check_exact=True)
    pd.testing.assert_frame_equal(got_data, want_data, check_exact=True)


# --- a signal at any moment -------------------------------------------------------------------

# runs a command as its child with this process as the child subreaper (orphans come here), and
# once it has ended and 2 s have passed, prints its exit code and the processes still alive
REAPER = """
import ctypes, json, os, subprocess, sys, time
from pathlib import Path
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
with open(sys.argv[1], "w") as err:
    proc = subprocess.Popen(sys.argv[2:], stderr=err, stdout=subprocess.DEVNULL)
    print(proc.pid, flush=True)
    code = proc.wait()
time.sleep(2.0)
alive = []
for stat in Path("/proc").glob("[0-9]*/stat"):
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            alive.append((stat.parent / "cmdline").read_bytes()[:100].decode(errors="replace"))
            os.kill(int(stat.parent.name), 9)
    except (OSError, ValueError):
        continue
print(json.dumps({"code": code, "alive": alive}), flush=True)
"""


def _catches_sigterm(pid: int) -> bool:
    """True once the process handles SIGTERM itself (its handler is installed)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(int(line.split()[1], 16) for line in status.splitlines()
                  if line.startswith("SigCgt:"))
    return bool(caught & (1 << (signal.SIGTERM - 1)))


#: (what to wait for, how many) before the signal: seconds after the handler is installed
#: (interpreter set-up, worker start-up), finished circuit units, finished cells ("all": the
#: pool shutting down and the dataset being written)
MOMENTS = [("s", 0.0), ("s", 0.1), ("s", 0.3), ("s", 0.6), ("circuits", 1), ("circuits", 3),
           ("cells", 1), ("cells", 12), ("cells", "all")]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("moment", MOMENTS, ids=[f"{k}-{v}" for k, v in MOMENTS])
def test_a_signal_at_any_moment_ends_with_one_line_and_no_process(tmp_path, moment, sig):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    out = tmp_path / "d.parquet"
    err = tmp_path / "err.txt"
    env = {**_env(), "ETR_FAKE_DELAY": "0.25"}
    cmd = [sys.executable, "-c", REAPER, str(err), sys.executable, "-c", SIMULATE, "simulate",
           str(spec), "-o", str(out), "-j", "2", "-q"]
    reaper = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    pid = int(reaper.stdout.readline())
    _wait_for(lambda: _catches_sigterm(pid), timeout=60)
    kind, n = moment
    if kind == "s":
        time.sleep(n)
    else:
        total = 4 if kind == "circuits" else 24
        want = total if n == "all" else n
        index = 0 if kind == "circuits" else 1
        _wait_for(lambda: journal_counts(out)[index] >= want or not _alive(pid), timeout=60)
    os.kill(pid, sig)
    result = json.loads(reaper.stdout.readline())
    reaper.wait()
    text = err.read_text()
    assert result["alive"] == [], result["alive"]  # workers and resource tracker gone in 2 s
    assert "Traceback" not in text and "Exception" not in text, text
    if result["code"] == 0:  # the run had finished: a complete dataset, nothing printed
        assert moment == ("cells", "all") and text == "" and out.exists()
        return
    word, code = ("terminated", 143) if sig == signal.SIGTERM else ("interrupted", 130)
    assert result["code"] == code
    lines = text.splitlines()
    assert len(lines) == 1 and lines[0].startswith(word), text  # "terminated; ..." or
    # "terminated while starting; ..." (the signal came while the CLI was being imported)
