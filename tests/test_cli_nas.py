"""`etr nas`: help, bad input (one line, exit 2), and a small run with a cheap evaluator."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

import etr.nas.search as search
from etr.cli import main
from etr.experiment import read_dataset
from etr.nas import synthetic_evaluator


@pytest.fixture()
def cheap(monkeypatch):
    monkeypatch.setattr(search, "simulate_architecture", synthetic_evaluator)


def run(*args: str):
    return CliRunner().invoke(main, ["nas", *args])


def test_help() -> None:
    res = run("--help")
    assert res.exit_code == 0 and "--compare" in res.output and "--storage" in res.output


@pytest.mark.slow
def test_small_run_writes_report_and_dataset(tmp_path, cheap) -> None:
    out = tmp_path / "nas.html"
    res = run("--preset", "quick", "--out", str(out), "--trials", "6", "--compare")
    assert res.exit_code == 0, res.output
    assert "hybrid_full/loss_decrease/seed1: 6 trials" in res.output
    html = out.read_text()
    assert "Pareto-optimal architectures" in html
    assert "Do fronts differ more between settings than between seeds?" in html
    assert "classical-only control" in html
    data = read_dataset(tmp_path / "nas.parquet")
    assert set(data["training_config"]) == {"hybrid_quantum_only", "hybrid_full",
                                            "classical_only"}
    claims = pd.read_csv(tmp_path / "nas.claims.csv")
    assert list(claims.columns) == ["claim", "kind", "setting_a", "setting_b", "distance",
                                    "seed_a", "seed_b"]
    assert set(claims["kind"]) == {"between", "within"}
    assert claims["distance"].between(0, 1).all()
    stored = pd.DataFrame(data.attrs["provenance"]["nas_claims"])[list(claims.columns)]
    pd.testing.assert_frame_equal(claims, stored)
    # an existing claims table is never replaced without --force
    (tmp_path / "other.claims.csv").write_text("keep")
    again = run("--preset", "quick", "--out", str(tmp_path / "other.html"), "--trials", "2")
    assert again.exit_code == 2 and "other.claims.csv" in again.output
    assert "already exists" in again.output
    assert (tmp_path / "other.claims.csv").read_text() == "keep"


def test_single_setting(tmp_path, cheap) -> None:
    res = run("--out", str(tmp_path / "a.html"), "--trials", "4", "--training-config",
              "hybrid_quantum_only", "--trainability", "loss_decrease")
    assert res.exit_code == 0, res.output
    assert "hybrid_quantum_only/loss_decrease/seed0: 4 trials" in res.output
    assert "hybrid_quantum_only/loss_decrease/seed1: 4 trials" in res.output
    assert "hybrid_full" not in res.output
    assert (tmp_path / "a.claims.csv").exists()


def _bad_spec(tmp_path, body: str) -> str:
    p = tmp_path / "s.toml"
    p.write_text(body)
    return str(p)


@pytest.mark.parametrize(("args", "match"), [
    (["--objectives", "expressibility,beauty"], "objectives"),
    (["--trainability", "vibes"], "trainability"),
    (["--storage", "nosuch://db"], "cannot be opened"),
    (["--trials", "0"], "n_trials"),
])
def test_bad_options_exit_2_with_one_line(tmp_path, args, match) -> None:
    res = run("--out", str(tmp_path / "x.html"), *args)
    assert res.exit_code == 2
    assert match in res.output and len(res.output.strip().splitlines()) == 1


@pytest.mark.parametrize(("body", "match"), [
    ("[nas.space]\ntopologies = []\n", "empty"),
    ("[nas.space]\nn_qubits = [4, 2]\n", "min 4 > max 2"),
    ("[nas]\nobjectives = ['expressibility', 'speed']\n", "objectives"),
    ("[nas\n", "line 1"),
])
def test_bad_spec_files_exit_2(tmp_path, body, match) -> None:
    res = run(_bad_spec(tmp_path, body), "--out", str(tmp_path / "x.html"))
    assert res.exit_code == 2
    assert match in res.output and len(res.output.strip().splitlines()) == 1
