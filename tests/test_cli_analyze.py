"""`etr analyze`: exit codes, messages and outputs."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from etr.analysis import synthetic_dataset
from etr.cli import main
from etr.experiment import write_dataset


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    df = synthetic_dataset(n_architectures=10, n_seeds=2, seed=2)
    return write_dataset(df, d / "small.parquet", provenance={"root_seed": 2})


def run(*args):
    return CliRunner().invoke(main, ["analyze", *map(str, args)])


def test_help():
    r = run("--help")
    assert r.exit_code == 0
    for opt in ("--out", "--json", "--format", "--figures", "--n-boot", "--seed",
                "--confidence", "--definitions", "--configs", "--quiet"):
        assert opt in r.output


def test_writes_report_and_json(tmp_path, dataset):
    out, js = tmp_path / "r.html", tmp_path / "r.json"
    r = run(dataset, "--out", out, "--json", js, "--n-boot", 50, "--definitions", "grad_var",
            "--format", "csv", "--quiet")
    assert r.exit_code == 0, r.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert json.loads(js.read_text())["options"]["n_boot"] == 50
    assert (tmp_path / "r.coverage.csv").exists()
    assert r.output == ""


def test_progress_and_wrote_message(tmp_path, dataset):
    r = run(dataset, "--out", tmp_path / "r.html", "--n-boot", 50, "--definitions", "grad_var")
    assert r.exit_code == 0
    assert "wrote" in r.output and "r.html" in r.output


def test_not_a_dataset(tmp_path):
    p = tmp_path / "notes.parquet"
    p.write_text("this is not parquet")
    r = run(p, "--out", tmp_path / "r.html")
    assert r.exit_code == 2
    assert "cannot read dataset" in r.output
    assert not (tmp_path / "r.html").exists()
    r = run(tmp_path / "missing.parquet", "--out", tmp_path / "r.html")
    assert r.exit_code == 2 and "does not exist" in r.output


def test_missing_columns_named(tmp_path):
    df = synthetic_dataset(n_architectures=4, n_seeds=1, seed=1).drop(
        columns=["layers"])
    p = tmp_path / "d.csv"
    df.to_csv(p, index=False)
    r = run(p, "--out", tmp_path / "r.html")
    assert r.exit_code == 2
    assert "layers" in r.output


def test_empty_dataset(tmp_path):
    df = synthetic_dataset(n_architectures=4, n_seeds=1, seed=1).iloc[:0]
    p = tmp_path / "d.parquet"
    df.to_parquet(p)
    r = run(p, "--out", tmp_path / "r.html")
    assert r.exit_code == 2 and "empty" in r.output


def test_bad_option_values(tmp_path, dataset):
    r = run(dataset, "--out", tmp_path / "r.html", "--configs", "pure_pqc,bogus")
    assert r.exit_code == 2 and "bogus" in r.output
    r = run(dataset, "--out", tmp_path / "r.html", "--confidence", "2")
    assert r.exit_code == 2 and "`confidence`" in r.output


def test_single_configuration_still_renders(tmp_path):
    df = synthetic_dataset(n_architectures=10, n_seeds=2, seed=4, configs=["hybrid_full"])
    p = write_dataset(df, tmp_path / "one.parquet")
    out = tmp_path / "one.html"
    r = run(p, "--out", out, "--n-boot", 50, "--definitions", "grad_var")
    assert r.exit_code == 0, r.output
    assert "not computed" in r.output
    html = out.read_text()
    assert "comparisons between training configurations: not computed" in html
    assert html.count('<div class="vis"') >= 2


def test_failed_cells_listed(tmp_path):
    df = synthetic_dataset(n_architectures=8, n_seeds=2, seed=4)
    df["status"] = df["status"].astype(object)
    df["error"] = df["error"].astype(object)
    df.loc[3, "status"] = "failed"
    df.loc[3, "error"] = "ODE <integration> failed"
    p = write_dataset(df, tmp_path / "f.parquet")
    out = tmp_path / "f.html"
    r = run(p, "--out", out, "--n-boot", 50, "--definitions", "grad_var", "--quiet")
    assert r.exit_code == 0, r.output
    html = out.read_text()
    assert "ODE &lt;integration&gt; failed" in html
    assert pd.notna(df.loc[3, "architecture_id"]) and df.loc[3, "architecture_id"] in html
