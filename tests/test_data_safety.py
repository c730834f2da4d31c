"""No command loses data: one test per case an adversarial user found (each failed before).

Overwrites, outputs checked before any work, atomic writes on a full disk, format/suffix
agreement, a failed scheduler connection, locks, oversized specs, labels. The interruption cases
(SIGTERM/SIGKILL of a running ``etr simulate -j 2``, killed ``etr nas`` searches) are in
``tests/test_interruptions.py``.
"""

from __future__ import annotations

import errno
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from etr.analysis import synthetic_dataset
from etr.cli import main
from etr.experiment import journal_dir, read_dataset, write_dataset

SPEC = "seeds = 1\nconfigs = ['pure_pqc']\n[grid.hea]\nn_qubits = [2]\nlayers = [1]\n"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def refused(r, *needles):
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1, r.output
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def debris(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith((".tmp", ".lock")))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("data")
    return write_dataset(synthetic_dataset(n_architectures=6, n_seeds=2, seed=2),
                         d / "same.parquet")




@pytest.fixture
def no_compute(monkeypatch):
    """Any computation fails the test: checks must come first."""
    def computed(*a, **k):
        raise AssertionError("computed before checking the outputs")

    for target in ("etr.report.analyze_to_report", "etr.nas.command.run_nas",
                   "etr.experiment.runner.expand_grid"):
        monkeypatch.setattr(target, computed)


# --- 1. no command overwrites an input, or an output without --force ---------------------------


def test_analyze_refuses_the_dataset_as_its_report(dataset, no_compute):
    before = dataset.read_bytes()
    refused(run("analyze", dataset, "--out", dataset), "`--out`", "is the input DATA")
    refused(run("analyze", dataset, "--out", dataset, "--force"), "is the input DATA")
    assert dataset.read_bytes() == before


def test_analyze_refuses_the_dataset_as_its_json(dataset, tmp_path, no_compute):
    before = dataset.read_bytes()
    refused(run("analyze", dataset, "-o", tmp_path / "r.html", "--json", dataset, "--force"),
            "`--json`", "is the input DATA")
    assert dataset.read_bytes() == before and not (tmp_path / "r.html").exists()


def test_nas_does_not_replace_an_existing_dataset_next_to_its_report(tmp_path, fakes):
    mine = tmp_path / "mine.parquet"
    mine.write_bytes(b"my own data")
    refused(run("nas", "--out", tmp_path / "mine.html", "--trials", 2, "-j", 1),
            "`--data`", "mine.parquet already exists; pass --force to overwrite it")
    assert mine.read_bytes() == b"my own data" and not (tmp_path / "mine.html").exists()
    assert run("nas", "-o", tmp_path / "mine.html", "--trials", 2, "-j", 1, "-q",
               "--force").exit_code == 0
    assert len(read_dataset(mine)) > 0


def test_nas_refuses_one_file_for_report_and_dataset(tmp_path, fakes):
    refused(run("nas", "--data", tmp_path / "m.html", "--out", tmp_path / "m.html"),
            "`--data` and `--out` name the same file")
    assert not (tmp_path / "m.html").exists()


@pytest.mark.parametrize("name", ["spec.toml", "spec.csv"])
def test_simulate_refuses_its_spec_as_output(tmp_path, fakes, name):
    spec = tmp_path / name
    spec.write_text(SPEC)
    refused(run("simulate", spec, "--out", spec, "--force", "-j", 1), "`--out`")
    assert spec.read_text() == SPEC


def test_existing_figures_and_tables_need_force(dataset, tmp_path, no_compute):
    figs = tmp_path / "figs"
    figs.mkdir()
    (figs / "chart_1.png").write_bytes(b"png")
    refused(run("analyze", dataset, "-o", tmp_path / "r.html", "--figures", figs),
            "`--figures`", "already exists and is not empty; pass --force")
    (tmp_path / "r.coverage.csv").write_text("a,b\n")
    refused(run("analyze", dataset, "-o", tmp_path / "r.html", "--format", "csv"),
            "r.coverage.csv` already exists; pass --force")


@pytest.mark.parametrize("folder", [".", "..", "./", "sub/..", "/", "data", "reports"])
def test_figures_must_be_a_folder_of_its_own(dataset, tmp_path, monkeypatch, no_compute, folder):
    """The current, parent or root folder, or one that holds the dataset or the report, is a bad
    --figures (exit 2, one line), with --force too; it was an internal error for `.`."""
    data, reports = tmp_path / "data", tmp_path / "reports"
    data.mkdir()
    reports.mkdir()
    (tmp_path / "sub").mkdir()
    (data / "d.parquet").write_bytes(dataset.read_bytes())
    monkeypatch.chdir(tmp_path)
    for force in ((), ("--force",)):
        line = refused(run("analyze", "data/d.parquet", "-o", "reports/r.html", "--figures",
                           folder, *force), "`--figures`")
        assert ("folder of its own" in line) or ("already exists" in line and not force), line
    assert sorted(p.name for p in reports.iterdir()) == []


# --- 2. outputs checked before any computation; atomic writes ---------------------------------


@pytest.mark.parametrize("command", ["analyze", "nas", "simulate"])
def test_a_read_only_folder_is_refused_before_any_work(command, dataset, tmp_path,
                                                       monkeypatch, no_compute):
    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("etr._outputs.tempfile.mkstemp", read_only)
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    args = {"analyze": ("analyze", dataset, "-o", tmp_path / "r.html"),
            "nas": ("nas", "-o", tmp_path / "n.html", "--trials", 2),
            "simulate": ("simulate", spec, "-o", tmp_path / "d.parquet")}[command]
    refused(run(*args), "is not writable (Read-only file system)")


@pytest.mark.parametrize("command", ["analyze", "nas"])
def test_a_full_folder_is_refused_before_any_work(command, dataset, tmp_path, monkeypatch,
                                                  no_compute):
    import shutil

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr("etr._outputs.shutil.disk_usage", lambda p: usage._replace(free=1000))
    args = {"analyze": ("analyze", dataset, "-o", tmp_path / "r.html"),
            "nas": ("nas", "-o", tmp_path / "n.html", "--trials", 2)}[command]
    refused(run(*args), "MiB free", "need about")


def _full_disk_after(monkeypatch, n_ok: int) -> None:
    """The (n_ok + 1)-th flush to disk fails with ENOSPC, as on a disk that just filled up."""
    import os

    real, calls = os.fsync, []

    def fsync(fd):
        calls.append(fd)
        if len(calls) > n_ok:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr("etr._outputs.os.fsync", fsync)


def test_analyze_on_a_disk_that_fills_leaves_no_debris_and_no_empty_json(dataset, tmp_path,
                                                                          monkeypatch):
    _full_disk_after(monkeypatch, 1)  # the report is written, the JSON is not
    r = run("analyze", dataset, "-o", tmp_path / "r.html", "--json", tmp_path / "r.json",
            "--n-boot", 50, "--definitions", "grad_var", "-q")
    refused(r, "cannot write `", "r.json`: No space left on device; nothing was written")
    assert not (tmp_path / "r.json").exists()  # no 0-byte file
    assert debris(tmp_path) == []


def test_writing_a_report_on_a_full_disk_leaves_no_temporary_file(tmp_path, monkeypatch):
    from etr._outputs import WriteError
    from etr.report import write_report

    (tmp_path / "r.html").write_text("old report")
    _full_disk_after(monkeypatch, 0)
    with pytest.raises(WriteError, match="No space left on device"):
        write_report("<html>" * 10_000, tmp_path / "r.html")
    assert (tmp_path / "r.html").read_text() == "old report" and debris(tmp_path) == []


def test_nas_on_a_full_disk_leaves_nothing(tmp_path, fakes, monkeypatch):
    _full_disk_after(monkeypatch, 0)
    refused(run("nas", "-o", tmp_path / "n.html", "--trials", 2, "-j", 1, "-q"),
            "No space left on device")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "needle"), [
    (("--out", "x.parquet", "--format", "csv"), "`--format` csv does not match `--out`"),
    (("--out", "x.txt"), "`--out` x.txt must end in .parquet or .pq or .csv"),
    (("--out", "x.csv", "--format", "parquet"), "`--format` parquet does not match"),
])
def test_simulate_format_agrees_with_the_suffix(tmp_path, monkeypatch, fakes, args, needle):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(SPEC)
    refused(run("simulate", "s.toml", *args, "-j", 1), needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


@pytest.mark.slow
def test_an_unreachable_scheduler_leaves_nothing_behind(tmp_path, fakes):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    out = tmp_path / "d.parquet"
    refused(run("simulate", spec, "-o", out, "--scheduler", "tcp://127.0.0.1:1"),
            "`scheduler` tcp://127.0.0.1:1 is not reachable")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]
    assert not journal_dir(out).exists()
    assert run("simulate", spec, "-o", out, "-j", 1, "-q").exit_code == 0  # no --force needed


# --- 4. a second writer is refused; a dead one's lock is taken over -------------------------

HOLD = """
import sys, time
from etr._outputs import output_lock
with output_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.mark.parametrize("mode", ["--resume", "--force"])
def test_a_second_simulate_on_a_locked_output_fails_naming_the_first(tmp_path, fakes, mode):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    out = tmp_path / "d.parquet"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        msg = refused(run("simulate", spec, "-o", out, mode, "-j", 1),
                      f"is being written by pid {holder.pid} on ", " since 20")
        assert "lock `d.parquet.lock`" in msg
    finally:
        holder.kill()
        holder.wait()
    assert not out.exists()
    assert run("simulate", spec, "-o", out, mode, "-j", 1, "-q").exit_code == 0  # stale: taken
    assert not (tmp_path / "d.parquet.lock").exists()


# --- 6. specs are bounded before work starts -----------------------------------------------------


@pytest.mark.parametrize(("text", "needles"), [
    ("seeds = 100\n[grid]\nclassical_pre = " + str([f"{w}-tanh" for w in range(1, 201)])
     + "\nclassical_post = " + str([f"{w}-relu" for w in range(1, 101)])
     + "\n[grid.hea]\nn_qubits = " + str(list(range(1, 21))) + "\nlayers = "
     + str(list(range(1, 26))) + "\n",
     ("the spec has 2,000,050,000 runs", "above the limit of 500,000", "--force")),
    ("seeds = 100000000000\n", ("`seeds` must be <= 1000000",)),
    ("[grid.hea]\nn_qubits = 1\nlayers = [100000]\n", ("qubit-layers", "--force")),
    ("seeds = 500\n", ("500 replicates", "--force")),
    ("[metrics]\nn_states = 100000000\n",
     ("`metrics.n_states` = 100,000,000", "GB of memory", "per unit", "--force")),
    ("[training]\nn_train = 1000000000\n",
     ("`training.n_train` = 1,000,000,000", "TB of memory", "per unit", "--force")),
    ("[grid.hea]\nn_qubits = [2]\nlayers = [1]\n[metrics]\nn_states = 15000000\n",
     ("`metrics.n_states` = 15,000,000", "CPU-hours, above the limit of 4 per unit", "--force")),
    ("[training]\nlearning_rate = 1e308\n", ("`learning_rate` must be <= 10",)),
])
def test_oversized_specs_are_refused_before_any_work(tmp_path, text, needles, no_compute):
    spec = tmp_path / "s.toml"
    spec.write_text(text)
    refused(run("simulate", spec, "-o", tmp_path / "d.parquet"), *needles)
    assert not (tmp_path / "d.parquet").exists()


def test_size_and_estimate_are_printed_first_and_by_print_spec(tmp_path, fakes):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    r = run("simulate", spec, "--print-spec", "-j", 1)
    printed = r.output.splitlines()[1]
    assert printed.startswith("# 1 runs, 1 circuits; estimated ") and "on 1 worker" in printed
    r = run("simulate", spec, "-o", tmp_path / "d.parquet", "-j", 1)
    assert r.exit_code == 0
    assert r.output.splitlines()[0] == printed[2:]  # the same sizes, word for word


@pytest.mark.parametrize(("text", "needle"), [
    ("[grid]\nclassical_pre = ['８-tanh', '8-tanh']\n", "must be an ASCII label"),
    ("[grid]\nclassical_pre = ['" + "x" * 200_000 + "']\n", "(200000 characters)"),
])
def test_labels_are_ascii_and_long_values_are_cut(tmp_path, text, needle, no_compute):
    spec = tmp_path / "s.toml"
    spec.write_text(text)
    line = refused(run("simulate", spec, "-o", tmp_path / "d.parquet"), needle)
    assert len(line) < 300


def test_storage_must_be_a_database_url_and_creates_nothing(tmp_path, monkeypatch, fakes):
    monkeypatch.chdir(tmp_path)
    refused(run("nas", "-o", "n.html", "--storage", "notaurl", "--trials", 2),
            "`storage` must be a database URL such as 'sqlite:///nas.db', got 'notaurl'")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_disk_that_fills_during_a_run_keeps_the_journal_and_says_so(tmp_path, fakes,
                                                                     monkeypatch):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.replace("seeds = 1", "seeds = 4"))
    out = tmp_path / "d.parquet"
    _full_disk_after(monkeypatch, 3)  # header, circuit unit, first cell; then the disk is full
    refused(run("simulate", spec, "-o", out, "-j", 1, "-q"), "cannot write journal",
            "No space left on device", "--resume")
    assert not out.exists() and debris(tmp_path) == []
    monkeypatch.undo()
    from etr_fakes import fake_evaluate, fake_metrics  # the fixture's patches were undone

    monkeypatch.setattr("etr.experiment.runner._evaluate_run", fake_evaluate)
    monkeypatch.setattr("etr.experiment.runner.circuit_metrics", fake_metrics)
    r = run("simulate", spec, "-o", out, "-j", 1, "--resume")
    assert r.exit_code == 0, r.output
    computed = int(re.search(r"4 runs \((\d) computed, 0 failed\)", r.output).group(1))
    assert computed < 4  # the runs journaled before the disk filled were kept
