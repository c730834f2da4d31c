from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from etr.cli import main
from etr.experiment import load_spec, preset_spec, read_dataset

sys.path.insert(0, str(Path(__file__).parent / "experiment"))
from etr_fakes import fake_evaluate, fake_metrics

SPEC = """
seeds = 2
[grid.hea]
n_qubits = [2, 3]
layers = [1]
[training]
steps = 2
"""


@pytest.fixture
def fakes(monkeypatch):
    monkeypatch.setattr("etr.experiment.runner._evaluate_run", fake_evaluate)
    monkeypatch.setattr("etr.experiment.runner.circuit_metrics", fake_metrics)


def _invoke(*args):
    return CliRunner().invoke(main, ["simulate", *map(str, args)])


def _one_line_error(result, code=2):
    assert result.exit_code == code, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_help():
    result = _invoke("--help")
    assert result.exit_code == 0
    for opt in ("--preset", "--out", "--workers", "--scheduler", "--resume", "--force",
                "--format", "--print-spec", "--quiet"):
        assert opt in result.output


def test_print_spec_roundtrips(tmp_path):
    result = _invoke("--preset", "quick", "--print-spec")
    assert result.exit_code == 0
    assert load_spec(result.output).spec_hash() == preset_spec("quick").spec_hash()
    assert "# " in result.output and "[grid.hea]" in result.output


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        ((), "either a SPEC.toml file or --preset"),
        (("--preset", "huge", "--out", "x.parquet"), "Invalid value for '--preset'"),
        (("--preset", "quick"), "`--out` is required"),
        (("--preset", "quick", "--out", "nodir/x.parquet"), "output directory `nodir`"),
    ],
)
def test_bad_input_exit_2(tmp_path, monkeypatch, args, pattern):
    monkeypatch.chdir(tmp_path)
    assert pattern in _one_line_error(_invoke(*args))


def test_malformed_toml_and_qubit_bound(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("seeds = 2\n[grid.hea\n")
    assert "line 2, column" in _one_line_error(_invoke(bad, "--out", tmp_path / "x.parquet"))
    big = tmp_path / "big.toml"
    big.write_text("[grid.hea]\nn_qubits = [2, 24]\n")
    msg = _one_line_error(_invoke(big, "--out", tmp_path / "x.parquet"))
    assert "safe bound of 20 qubits" in msg and "256 MiB at n=24" in msg
    assert not list(tmp_path.glob("x.parquet*"))


def test_run_failures_exit_1_then_existing_output_exit_2(tmp_path, fakes):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    out = tmp_path / "d.parquet"
    result = _invoke(spec, "--out", out, "--workers", 1, "--quiet")
    assert result.exit_code == 1
    assert "2 cell(s) failed" in result.output
    assert result.output.count("RuntimeError: diverged at step 2") == 2
    df = read_dataset(out)
    assert len(df) == 2 * 2 * 3 and (df["status"] == "failed").sum() == 2
    before = out.read_bytes()
    msg = _one_line_error(_invoke(spec, "--out", out, "--workers", 1))
    assert "--resume" in msg and "--force" in msg
    assert out.read_bytes() == before
    assert "exclude each other" in _one_line_error(
        _invoke(spec, "--out", out, "--resume", "--force"))


def test_run_ok_csv(tmp_path, fakes):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.replace("[2, 3]", "[2]"))
    out = tmp_path / "d.csv"
    result = _invoke(spec, "--out", out, "--workers", 1)
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "6 runs (6 computed, 0 failed)" in result.output
    assert len(read_dataset(out)) == 6


def _evaluate_rlo(arch, training_config, seed, settings, task_seed):
    raise RuntimeError("diverged on task \u202ereversed\x1b[31m red")


def test_messages_show_format_and_control_characters_as_escapes(tmp_path, monkeypatch):
    """An error text with a right-to-left override or a terminal escape is printed inert."""
    monkeypatch.setattr("etr.experiment.runner._evaluate_run", _evaluate_rlo)
    monkeypatch.setattr("etr.experiment.runner.circuit_metrics", fake_metrics)
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.replace("[2, 3]", "[2]"))
    result = _invoke(spec, "--out", tmp_path / "d.parquet", "--workers", 1, "--quiet")
    assert result.exit_code == 1
    assert "\u202e" not in result.output and "\x1b" not in result.output
    assert "diverged on task \\u202ereversed\\x1b[31m red" in result.output


def test_print_spec_states_the_sizes_the_run_states():
    """--print-spec said "up to 3,336 runs, 102 circuits" for the quick preset, whose run says
    1,832 and 78: both now expand a grid this small."""
    from etr.experiment import circuit_units, expand_grid
    from etr.experiment.size import estimate

    spec = preset_spec("quick")
    cells = expand_grid(spec)
    want = estimate(spec, cells, circuit_units(spec, cells)).describe(2)
    result = _invoke("--preset", "quick", "--print-spec", "-j", 2)
    assert result.exit_code == 0
    assert f"# {want}" in result.output.splitlines()
    assert want.startswith("1,832 runs, 78 circuits; estimated ")
