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
    # sim11 (RY, RZ, CNOT): a Pauli closure; 4 qubits, one layer
    assert "dynamical Lie algebra: dim g = " in result.output


def test_circuits_show_names_the_lie_algebra():
    out = CliRunner().invoke(main, ["circuits", "--show", "hea", "-n", "3", "--topology",
                                    "none"]).output
    assert "dim g = 9 (simple ideals of dimension 3, 3, 3)" in out  # su(2) on every qubit
    out = CliRunner().invoke(main, ["circuits", "--show", "hea", "-n", "3", "-L", "3",
                                    "--rotations", "RY+RZ", "--entangler", "CNOT"]).output
    assert "dim g = 63 (su(2^3), universal)" in out
    out = CliRunner().invoke(main, ["circuits", "--show", "sim6", "-n", "6"]).output
    assert "dynamical Lie algebra: not computed" in out


@pytest.mark.slow
def test_a_closed_output_pipe_is_not_an_internal_error():
    """`etr ... | head -1`: the reader closes the pipe while a long drawing is still written."""

    proc = subprocess.Popen([sys.executable, "-m", "etr", "circuits", "--show", "hea", "-n", "6",
                             "-L", "800"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().startswith("hea: 6 qubits")
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait() == 141 and "internal error" not in err and "Traceback" not in err
