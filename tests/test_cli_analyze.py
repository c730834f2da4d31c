"""`etr analyze`: exit codes, messages and outputs, on tidy and on doubtful data."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from etr.analysis import NAS_COLUMNS, synthetic_dataset
from etr.cli import main
from etr.experiment import write_dataset

sys.path.insert(0, str(Path(__file__).parent / "report"))
from planted_study import make_study

TRAINABILITY = ["grad_var", "grad_var_train", "grad_var_landscape", "grad_norm",
                "loss_decrease", "steps_to_target", "effective_dimension"]


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return make_study(n_pqcs=24, n_seeds=2, tasks=("a",), seed=2)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, small):
    d = tmp_path_factory.mktemp("data")
    return write_dataset(small, d / "small.parquet", provenance={"root_seed": 2})


def run(*args):
    return CliRunner().invoke(main, ["analyze", *map(str, args)])


def written(tmp_path: Path, df: pd.DataFrame, name: str = "d") -> Path:
    return write_dataset(df.reset_index(drop=True), tmp_path / f"{name}.parquet")


def test_help():
    r = run("--help")
    assert r.exit_code == 0
    for opt in ("--out", "--json", "--format", "--figures", "--n-boot", "--seed",
                "--confidence", "--margin", "--nas", "--definitions", "--configs", "--quiet",
                "--workers", "--claims", "--x"):
        assert opt in r.output


def test_writes_report_and_json_with_the_claims(tmp_path, dataset):
    out, js = tmp_path / "r.html", tmp_path / "r.json"
    r = run(dataset, "--out", out, "--json", js, "--n-boot", 50, "--definitions",
            "grad_var_train,steps_to_target", "--format", "csv", "--quiet")
    assert r.exit_code == 0, r.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    doc = json.loads(js.read_text())
    assert doc["options"]["n_boot"] == 50 and doc["options"]["margin"] == 0.1
    claims = pd.DataFrame(doc["tables"]["claims"])
    assert set(claims["claim"]) == {c["name"] for c in doc["claims"]["claims"]}
    # the claims are decided on their registered definitions whatever --definitions shows
    registered = {d for c in doc["claims"]["claims"] if c["kind"] == "association"
                  for d in [c["primary"], *c["secondary"]]}
    assert set(claims["definition"]) - {"pareto_front"} <= registered
    assert {"grad_var", "grad_var_landscape"} <= set(claims["definition"])
    assert doc["claims"]["sha256"] == doc["options"]["claims"]["sha256"]
    assert (tmp_path / "r.claims.csv").exists() and (tmp_path / "r.coverage.csv").exists()
    assert r.output == ""


def test_progress_and_wrote_message(tmp_path, dataset, small):
    r = run(dataset, "--out", tmp_path / "r.html", "--n-boot", 50, "--definitions", "grad_var")
    assert r.exit_code == 0
    assert "wrote" in r.output and "r.html" in r.output
    # the size and the estimate come first, as in `etr simulate`
    first = r.output.splitlines()[0]
    assert first.startswith(f"{len(small):,} runs, {small['pqc_id'].nunique()} circuits, "
                            "1 definition x 3 configurations; estimated ")
    assert first.endswith(" s of CPU")


def test_bad_workers_is_exit_2(tmp_path, dataset):
    r = run(dataset, "--out", tmp_path / "r.html", "-j", 0, "--quiet")
    assert r.exit_code == 2 and "`workers`" in r.output


def test_nas_table_evaluates_the_nas_claims(tmp_path, dataset):
    searches = [(s, k) for s in ("full/grad_var", "full/loss") for k in range(6)]
    rows = [("nas_fronts_differ_by_definition", "within" if a == b else "between",
             f"{a}/seed{i}", f"{b}/seed{j}", 0.2 if a == b else 0.8)
            for n, (a, i) in enumerate(searches) for b, j in searches[n + 1:] if i != j]
    nas = tmp_path / "nas.claims.csv"
    pd.DataFrame(rows, columns=list(NAS_COLUMNS)).to_csv(nas, index=False)
    js = tmp_path / "r.json"
    r = run(dataset, "--out", tmp_path / "r.html", "--json", js, "--nas", nas, "--n-boot", 50,
            "--definitions", "grad_var_train", "--quiet")
    assert r.exit_code == 0, r.output
    doc = json.loads(js.read_text())
    claims = pd.DataFrame(doc["tables"]["claims"]).set_index("claim")
    assert claims.loc["nas_fronts_differ_by_definition", "estimate"] == pytest.approx(0.6)
    assert "not evaluated" not in claims.loc["nas_fronts_differ_by_definition", "sentence"]
    assert doc["nas_given"] and doc["provenance"]["nas_table"] == "nas.claims.csv"


def test_bad_nas_table_is_exit_2(tmp_path, dataset):
    bad = tmp_path / "nas.csv"
    pd.DataFrame({"claim": ["x"], "distance": [0.5]}).to_csv(bad, index=False)
    r = run(dataset, "--out", tmp_path / "r.html", "--nas", bad)
    assert r.exit_code == 2 and "missing column(s) kind" in r.output
    assert not (tmp_path / "r.html").exists()
    r = run(dataset, "--out", tmp_path / "r.html", "--nas", tmp_path / "none.csv")
    assert r.exit_code == 2 and "none.csv" in r.output
    wrong = tmp_path / "wrong.csv"
    pd.DataFrame([("nas_fronts_differ_by_training", "between", "a", "b", 1.5)],
                 columns=list(NAS_COLUMNS)).to_csv(wrong, index=False)
    r = run(dataset, "--out", tmp_path / "r.html", "--nas", wrong)
    assert r.exit_code == 2 and "`distance`" in r.output


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
    df = synthetic_dataset(n_architectures=4, n_seeds=1, seed=1).drop(columns=["layers"])
    p = tmp_path / "d.csv"
    df.to_csv(p, index=False)
    r = run(p, "--out", tmp_path / "r.html")
    assert r.exit_code == 2
    assert "layers" in r.output


def test_empty_dataset(tmp_path, small):
    p = tmp_path / "d.parquet"
    small.iloc[:0].to_parquet(p)
    r = run(p, "--out", tmp_path / "r.html")
    assert r.exit_code == 2 and "empty" in r.output


def test_bad_option_values(tmp_path, dataset):
    r = run(dataset, "--out", tmp_path / "r.html", "--configs", "pure_pqc,bogus")
    assert r.exit_code == 2 and "bogus" in r.output
    r = run(dataset, "--out", tmp_path / "r.html", "--confidence", "2")
    assert r.exit_code == 2 and "`confidence`" in r.output
    r = run(dataset, "--out", tmp_path / "r.html", "--margin", "0.9")
    assert r.exit_code == 2 and "`margin`" in r.output


def test_single_configuration_still_renders(tmp_path, small):
    p = written(tmp_path, small[small["training_config"] == "hybrid_full"], "one")
    out = tmp_path / "one.html"
    r = run(p, "--out", out, "--n-boot", 50, "--definitions", "grad_var")
    assert r.exit_code == 0, r.output
    assert "not computed" in r.output
    html = out.read_text()
    assert "comparisons between training configurations: not computed" in html
    assert html.count('<div class="vis"') >= 2


def test_failed_cells_listed(tmp_path, small):
    df = small.copy()
    df["status"] = df["status"].astype(object)
    df["error"] = df["error"].astype(object)
    df.loc[3, "status"] = "failed"
    df.loc[3, "error"] = "ODE <integration> failed"
    out = tmp_path / "f.html"
    r = run(written(tmp_path, df), "--out", out, "--n-boot", 50, "--definitions", "grad_var",
            "--quiet")
    assert r.exit_code == 0, r.output
    html = out.read_text()
    assert "ODE &lt;integration&gt; failed" in html
    assert df.loc[3, "architecture_id"] in html


# --- doubtful and degenerate data: notes and exit 0, or one line and exit 2 -----------------


def _analyse(tmp_path: Path, df: pd.DataFrame, *extra: object) -> tuple[object, dict | None]:
    js = tmp_path / "r.json"
    r = run(written(tmp_path, df), "--out", tmp_path / "r.html", "--json", js, "--n-boot", 50,
            *extra)
    doc = json.loads(js.read_text()) if js.exists() else None
    return r, doc


def test_duplicated_rows_are_dropped_and_said(tmp_path, small):
    df = pd.concat([small, small.iloc[:30]])
    r, doc = _analyse(tmp_path, df, "--definitions", "grad_var_train")
    assert r.exit_code == 0, r.output
    assert "data quality: 30 duplicated cell_id: rows dropped" in r.output
    total = pd.DataFrame(doc["tables"]["coverage"]).set_index("training_config").loc["total"]
    assert total["runs"] == len(df) and total["duplicated"] == 30
    assert total["primary"] == len(small)
    q = pd.DataFrame(doc["tables"]["data_quality"])
    assert q.loc[q["issue"] == "duplicated cell_id", "n_affected"].sum() == 30


def test_all_zero_trainability_is_a_note(tmp_path, small):
    r, doc = _analyse(tmp_path, small.assign(grad_var=0.0), "--definitions",
                      "grad_var,grad_var_train")
    assert r.exit_code == 0, r.output
    assert "y is constant" in r.output
    s = pd.DataFrame(doc["tables"]["tradeoff_summary"])
    assert s.loc[s["definition"] == "grad_var", "estimate"].isna().all()
    assert s.loc[s["definition"] == "grad_var_train", "estimate"].notna().all()
    claims = pd.DataFrame(doc["tables"]["claims"])
    assert set(claims.loc[claims["definition"] == "grad_var", "verdict"]) <= {"inconclusive",
                                                                              "not tested"}


def test_constant_trainability_everywhere_still_renders(tmp_path, small):
    r, doc = _analyse(tmp_path, small.assign(**dict.fromkeys(TRAINABILITY, 0.5)))
    assert r.exit_code == 0, r.output
    assert "rows NaN (y is constant" in r.output
    assert pd.DataFrame(doc["tables"]["claims"])["verdict"].isin(["inconclusive",
                                                                  "not tested"]).all()


def test_some_infinite_expressibility_is_counted(tmp_path, small):
    df = small.copy()
    pqc = df.index[df["pqc_id"].notna()]
    df.loc[pqc[::5], "expressibility_fp"] = np.inf
    r, doc = _analyse(tmp_path, df, "--definitions", "grad_var_train")
    assert r.exit_code == 0, r.output
    q = pd.DataFrame(doc["tables"]["data_quality"])
    n = q.loc[(q["issue"] == "non-finite") & (q["column"] == "expressibility_fp"),
              "n_affected"].sum()
    assert n == len(pqc[::5])
    total = pd.DataFrame(doc["tables"]["coverage"]).set_index("training_config").loc["total"]
    assert total["used"] == total["primary"] - n


def test_nothing_analysable_is_one_line_exit_2(tmp_path, small):
    r, _ = _analyse(tmp_path, small.assign(expressibility_fp=np.inf), "--quiet")
    assert r.exit_code == 2
    assert "no run has a finite `expressibility_fp`" in r.output
    assert "internal error" not in r.output and len(r.output.strip().splitlines()) == 1
    r, _ = _analyse(tmp_path, small.assign(grad_var=np.nan), "--definitions", "grad_var")
    assert r.exit_code == 2 and "at least 3 finite values" in r.output
    r, _ = _analyse(tmp_path, small[small["training_config"] == "classical_only"])
    assert r.exit_code == 2 and "no run with a PQC" in r.output


def test_one_circuit_is_notes_not_a_crash(tmp_path, small):
    first = small["pqc_id"].dropna().iloc[0]
    df = small[(small["pqc_id"] == first) | small["pqc_id"].isna()]
    r, doc = _analyse(tmp_path, df, "--definitions", "grad_var_train")
    assert r.exit_code == 0, r.output
    assert "fewer than 3" in r.output
    assert pd.DataFrame(doc["tables"]["claims"])["verdict"].isin(["inconclusive",
                                                                  "not tested"]).all()


def test_claims_file_and_x(tmp_path, dataset):
    from importlib import resources

    text = resources.files("etr.analysis").joinpath("claims.toml").read_text()
    mine = tmp_path / "mine.toml"
    mine.write_text(text.replace('primary = "grad_var"', 'primary = "grad_var_train"')
                    .replace('"grad_var_landscape", "grad_var_train", "grad_norm"',
                             '"grad_var_landscape", "grad_norm"'))
    js = tmp_path / "r.json"
    r = run(dataset, "--out", tmp_path / "r.html", "--json", js, "--claims", mine, "--x",
            "expressibility_kl", "--n-boot", 50, "--quiet")
    assert r.exit_code == 0, r.output
    doc = json.loads(js.read_text())
    assert doc["options"]["x"] == "expressibility_kl"
    assert doc["claims"]["source"] == str(mine) and doc["claims"]["sha256"] != ""
    claims = pd.DataFrame(doc["tables"]["claims"])
    assert (claims.loc[claims["kind"] == "association", "x"] == "expressibility_kl").all()
    weak = claims[(claims["claim"] == "pure_weak") & (claims["role"] == "primary")]
    assert weak["definition"].tolist() == ["grad_var_train"]
    html = (tmp_path / "r.html").read_text()
    assert doc["claims"]["sha256"][:16] in html
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('rule = "regime"', 'rule = "segmented"'))
    r = run(dataset, "--out", tmp_path / "s.html", "--claims", bad)
    assert r.exit_code == 2 and "`claims[1].rule`" in r.output
    assert not (tmp_path / "s.html").exists()
    r = run(dataset, "--out", tmp_path / "s.html", "--x", "grad_var")
    assert r.exit_code == 2 and "`x`" in r.output
