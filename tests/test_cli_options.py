"""Shared options mean the same in every command; one-line usage errors; interrupts keep work."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from etr._signals import Terminated
from etr.cli import main
from etr.experiment import read_dataset
from etr.parallel import default_workers

SHARED = {
    "simulate": ["-o, --out", "-j, --workers", "--scheduler", "--seed", "--preset", "--force",
                 "-q, --quiet"],
    "nas": ["-o, --out", "-j, --workers", "--scheduler", "--seed", "--preset", "--force",
            "-q, --quiet"],
    "analyze": ["-o, --out", "--seed", "--force", "-q, --quiet"],
}
SPEC = "seeds = 1\nconfigs = ['pure_pqc']\n[grid.hea]\nn_qubits = [2]\nlayers = [1]\n"




@pytest.fixture
def spec(tmp_path) -> Path:
    p = tmp_path / "s.toml"
    p.write_text(SPEC)
    return p


@pytest.fixture
def fake_analysis(monkeypatch):
    calls = []

    def analyze_to_report(data, out, *, json_path=None, seed=0, **kw):
        calls.append({"data": data, "out": out, "json": json_path, "seed": seed, **kw})
        Path(out).write_text("<html>")
        if json_path:
            Path(json_path).write_text(json.dumps({"seed": seed}))
        return SimpleNamespace(html=Path(out), json=json_path and Path(json_path), tables=(),
                               figures=(), results=SimpleNamespace(notes=[]))

    monkeypatch.setattr("etr.report.analyze_to_report", analyze_to_report)
    return calls


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("command", sorted(SHARED))
def test_help_lists_every_shared_option_and_exit_codes(command):
    r = run(command, "--help")
    assert r.exit_code == 0
    for opt in SHARED[command]:
        assert opt in r.output, (command, opt)
    assert "Exit codes" in r.output


def _option_help(command: str, option: str) -> str:
    """The help text of one option of `command`, joined onto one line."""
    out = run(command, "--help").output
    out = out[out.index("Options:"):]
    block = out[out.index(f" {option} "):].split("\n  -")[0]
    return " ".join(block.split()[1:])


def test_force_and_quiet_help_say_what_each_command_does():
    """`analyze --help` said --force also ran "specs beyond the size limits": it has none."""
    analyze = _option_help("analyze", "--force")
    assert "limit" not in analyze and "report" in analyze and "figures" in analyze
    for command in ("simulate", "nas"):
        assert "size limits" in _option_help(command, "--force"), command
    assert "journal" in _option_help("simulate", "--force")
    assert "size" not in _option_help("analyze", "--quiet")
    assert "size" in _option_help("simulate", "--quiet")


def test_circuits_options_have_help():
    out = run("circuits", "--help").output
    assert "Qubits of the circuit --show prints" in out
    assert "Layers of the circuit --show prints" in out


def test_out_short_and_long_forms(tmp_path, spec, fakes, fake_analysis):
    for flag in ("-o", "--out"):
        d = tmp_path / f"d{flag}.parquet"
        assert run("simulate", spec, flag, d, "-j", 1, "-q").exit_code == 0 and d.exists()
        html = tmp_path / f"n{flag}.html"
        r = run("nas", flag, html, "--trials", 2, "-j", 1, "-q")
        assert r.exit_code == 0, r.output
        assert html.exists() and html.with_suffix(".parquet").exists()
        report = tmp_path / f"a{flag}.html"
        assert run("analyze", d, flag, report, "-q").exit_code == 0 and report.exists()


@pytest.mark.parametrize("command", ["simulate", "nas", "analyze"])
def test_out_is_required_with_one_line(command, tmp_path):
    args = [command] + ([str(tmp_path / "x.parquet")] if command == "analyze" else []) + (
        ["--preset", "quick"] if command == "simulate" else [])
    r = run(*args)
    assert r.exit_code == 2 and "`--out` is required" in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_workers_default_to_all_usable_cores_in_both_commands(tmp_path, spec, fakes):
    n = default_workers()
    r = run("simulate", spec, "-o", tmp_path / "d.parquet", "--print-spec")
    assert f"on {n} worker" in r.output
    r = run("simulate", spec, "-o", tmp_path / "d.parquet", "-j", 1)
    assert r.exit_code == 0 and "on 1 worker" in r.output
    r = run("nas", "-o", tmp_path / "n.html", "--trials", 2, "-j", 1)
    assert r.exit_code == 0 and "on 1 worker" in r.output


@pytest.mark.parametrize("flag", ["-j", "--workers"])
@pytest.mark.parametrize("command", ["simulate", "nas"])
def test_workers_must_be_positive(command, flag, tmp_path, spec, fakes):
    args = [spec] if command == "simulate" else []
    suffix = ".parquet" if command == "simulate" else ".html"
    r = run(command, *args, "-o", tmp_path / f"x{suffix}", flag, 0, "--trials" if
            command == "nas" else "-q", *(["2"] if command == "nas" else []))
    assert r.exit_code == 2 and "`workers` must be >= 1" in r.output


def test_seed_is_the_root_seed_everywhere(tmp_path, spec, fakes, fake_analysis):
    d = tmp_path / "d.parquet"
    assert run("simulate", spec, "-o", d, "--seed", 5, "-j", 1, "-q").exit_code == 0
    assert read_dataset(d).attrs["provenance"]["root_seed"] == 5
    html = tmp_path / "n.html"
    assert run("nas", "-o", html, "--seed", 5, "--trials", 2, "-j", 1, "-q").exit_code == 0
    assert read_dataset(html.with_suffix(".parquet")).attrs["provenance"]["root_seed"] == 5
    assert run("analyze", d, "-o", tmp_path / "r.html", "--seed", 5, "-q").exit_code == 0
    assert fake_analysis[-1]["seed"] == 5
    r = run("simulate", spec, "-o", tmp_path / "e.parquet", "--seed", -1)
    assert r.exit_code == 2 and "`seed` must be >= 0" in r.output


def test_quiet_means_no_output_on_success(tmp_path, spec, fakes, fake_analysis):
    d = tmp_path / "d.parquet"
    for args in (("simulate", spec, "-o", d, "-j", 1), ("nas", "-o", tmp_path / "n.html",
                                                       "--trials", 2, "-j", 1),
                 ("analyze", d, "-o", tmp_path / "r.html")):
        loud = run(*args, "--force")
        quiet = run(*args, "--force", "-q")
        assert loud.exit_code == quiet.exit_code == 0
        assert loud.output and quiet.output == "", args


@pytest.mark.parametrize("command", ["simulate", "nas"])
def test_preset_is_a_choice(command, tmp_path):
    r = run(command, "--preset", "huge", "-o", tmp_path / "x.html")
    assert r.exit_code == 2 and "Invalid value for '--preset'" in r.output
    assert "'quick'" in r.output and len(r.output.strip().splitlines()) == 1


def test_force_replaces_an_existing_output_in_every_command(tmp_path, spec, fakes,
                                                             fake_analysis):
    d, html, report = tmp_path / "d.parquet", tmp_path / "n.html", tmp_path / "r.html"
    cases = [("simulate", spec, "-o", d, "-j", 1), ("nas", "-o", html, "--trials", 2, "-j", 1),
             ("analyze", d, "-o", report)]
    for args in cases:
        assert run(*args, "-q").exit_code == 0
    for args in cases:
        r = run(*args, "-q")
        assert r.exit_code == 2 and "already exists; pass --" in r.output, args
        assert len(r.output.strip().splitlines()) == 1
        assert run(*args, "-q", "--force").exit_code == 0, args


@pytest.mark.parametrize("args", [
    ["simulate", "--bogus"], ["nosuch"], ["analyze"], ["simulate", "-j"],
    ["simulate", "-j", "x"], ["nas", "--sampler", "cmaes"],
])
def test_usage_errors_are_one_line_exit_2(args):
    r = run(*args)
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.output
    assert "Usage:" not in r.output


def test_interrupts_say_what_is_kept_and_exit_130_or_143(tmp_path, spec, monkeypatch):
    def interrupted(*a, **k):
        raise KeyboardInterrupt

    def terminated(*a, **k):
        raise Terminated(15)

    monkeypatch.setattr("etr.experiment.command.run_experiment", interrupted)
    r = run("simulate", spec, "-o", tmp_path / "d.parquet")
    assert r.exit_code == 130 and "interrupted; finished runs are kept" in r.output
    assert "--resume" in r.output
    monkeypatch.setattr("etr.experiment.command.run_experiment", terminated)
    r = run("simulate", spec, "-o", tmp_path / "d.parquet")
    assert r.exit_code == 143 and "terminated; finished runs are kept" in r.output
    monkeypatch.setattr("etr.nas.command.run_command", terminated)
    db = f"sqlite:///{tmp_path / 'k.db'}"
    r = run("nas", "-o", tmp_path / "n.html", "--storage", db, "-q")
    assert r.exit_code == 143 and f"kept in --storage {db}" in r.output
    assert "--resume" not in r.output
    r = run("nas", "-o", tmp_path / "n.html", "-q")
    assert "pass --storage sqlite:///NAME.db" in r.output


def test_library_bugs_exit_1_and_bad_input_exits_2(tmp_path, spec, monkeypatch):
    def bug(*a, **k):
        raise ValueError("a bug, not your input")

    monkeypatch.setattr("etr.experiment.command.run_experiment", bug)
    r = run("simulate", spec, "-o", tmp_path / "d.parquet")
    assert r.exit_code == 1 and "internal error (ValueError" in r.output
    r = run("circuits", "--show", "hea", "-n", "0")
    assert r.exit_code == 2 and "`n_qubits` must be >= 1" in r.output
