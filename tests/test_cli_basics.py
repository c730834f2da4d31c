from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from etr.cli import main


def test_top_level_help_and_version():
    runner = CliRunner()
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0 and "circuits" in result.output
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and "etr" in result.output


def test_circuits_lists_library():
    result = CliRunner().invoke(main, ["circuits"])
    assert result.exit_code == 0
    assert "sim19" in result.output and "ring" in result.output


def test_circuits_show_draws_gate_list():
    result = CliRunner().invoke(main, ["circuits", "--show", "sim11", "-n", "4"])
    assert result.exit_code == 0, result.output
    assert "sim11: 4 qubits, 12 parameters" in result.output
    assert result.output.count("q") >= 4 and "RY(θ0)" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["circuits", "--show", "sim40"], "`--show` must be"),  # names the option
        (["circuits", "--show", "hea", "--topology", "moebius"], "`topology` must be one of"),
        (["circuits", "--show", "hea", "-n", "0"], "`n_qubits` must be >= 1"),
        (["circuits", "--show", "qaoa"], "`--show` must be"),
    ],
)
def test_circuits_bad_input_exit_2_one_line(args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_python_dash_m_works():
    out = subprocess.run([sys.executable, "-m", "etr", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "Usage" in out.stdout
