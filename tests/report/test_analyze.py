"""The results layer: the right runs go to the right analysis, and nothing is dropped silently."""

from __future__ import annotations

import json
import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from planted_study import make_study

from etr import analysis as A
from etr.errors import InputError
from etr.report import analyze_dataset, build_sections, report_html
from etr.report.design import exact_runs, shot_subsets

EVIL = "</script><script>alert(1)</script>"
DEFS = ["grad_var_train", "steps_to_target"]


@pytest.fixture(scope="module")
def small():
    """One task, 24 circuits, one seed: for tests of the plumbing, not of the statistics."""
    return make_study(n_pqcs=24, n_seeds=1, tasks=("a",), seed=3)


@pytest.fixture(scope="module")
def results(study):
    return analyze_dataset(study, n_boot=50, seed=5, definitions=DEFS)


def test_primary_analysis_is_the_exact_runs_conditioned_on_task(results, study):
    assert results.design.strata == ("task", "n_qubits", "layers")
    assert results.design.tasks == ("a", "b") and results.design.shot_levels == (100,)
    assert results.data["shots"].isna().all()
    assert len(results.data) == int(study["shots"].isna().sum())
    # the claims are exactly evaluate_claims on the exact runs with the task as a stratum
    direct = A.evaluate_claims(study[study["shots"].isna()],
                               strata=("task", "n_qubits", "layers"))
    pd.testing.assert_frame_equal(results.claims.reset_index(drop=True), direct)


def test_secondary_analyses_are_labelled_and_use_their_own_subsets(results, study):
    s = results.claims_secondary
    assert set(s["analysis"]) == {"task = a", "task = b", "exact, circuits with 100-shot runs",
                                  "100 shots"}
    assert (s["kind"] == "association").all()
    # per task: its own runs, given width and depth only
    a = A.evaluate_claims(study[study["shots"].isna() & (study["task"] == "a")],
                          adjust_sets=False)
    a = a[a["kind"] == "association"].reset_index(drop=True)
    got = s[s["analysis"] == "task = a"].drop(columns=["analysis", "breakdown"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), a)
    # finite shots: the shot runs, and the exact runs of the same 24 circuits of task a
    finite, exact = shot_subsets(study, 100)
    assert finite["pqc_id"].nunique() == exact["pqc_id"].nunique() == 24
    assert set(exact["task"]) == {"a"} and exact["shots"].isna().all()
    n = s.groupby("analysis")["n_clusters"].max()
    assert n["100 shots"] == n["exact, circuits with 100-shot runs"] == 24


def test_coverage_counts_what_was_used():
    study = make_study(n_pqcs=24, n_seeds=1, tasks=("a",), shots=100, shot_pqcs=12, seed=4)
    df = study.copy()
    df["status"] = df["status"].astype(object)
    df.loc[[0, 1], "status"] = "failed"
    dup = df.iloc[[5, 6, 7]]
    df = pd.concat([df, dup], ignore_index=True)
    df.loc[10, "expressibility_fp"] = np.inf
    res = analyze_dataset(df, n_boot=50, definitions=["grad_var_train"])
    cov = res.coverage.set_index("training_config")
    total = cov.loc["total"]
    assert total["runs"] == len(df) and total["failed"] == 2 and total["duplicated"] == 3
    assert total["finite_shot"] == int(study["shots"].notna().sum())
    assert total["primary"] == int(study["shots"].isna().sum()) - 2
    pqc_rows = df.index[df["pqc_id"].notna() & df["shots"].isna()]
    assert 10 in pqc_rows and total["used"] == total["primary"] - 1
    assert cov.loc["classical_only", "circuits"] == 0
    q = res.quality
    assert {"failed run", "duplicated cell_id", "non-finite"} <= set(q["issue"])
    row = q[(q["issue"] == "duplicated cell_id")]
    assert int(row["n_affected"].sum()) == 3


def test_control_gap_per_task_matches_a_direct_call(results, study):
    g = results.control
    assert set(g["task"]) == {"a", "b"}
    assert set(g["training_config"]) == {"hybrid_quantum_only", "hybrid_full"}
    direct = A.control_gap(study[study["shots"].isna()],
                           configs=("hybrid_quantum_only", "hybrid_full"), seed=0)
    pd.testing.assert_series_equal(g["estimate"], direct["estimate"])
    assert {"classical_pre", "n_qubits"} <= set(results.control_detail.columns)


def test_no_control_runs_is_a_note(small):
    res = analyze_dataset(small[small["training_config"] != "classical_only"], n_boot=50,
                          definitions=["grad_var_train"])
    assert res.control.empty
    assert any(n.startswith("what the PQC adds: not computed") for n in res.notes)


def test_options_and_selection(results, small):
    o = results.options
    assert o.definitions == tuple(DEFS) and o.claim_definitions == tuple(DEFS)
    again = analyze_dataset(small, n_boot=50, definitions=DEFS[::-1])  # registry order
    assert again.options.definitions == tuple(DEFS)
    assert o.configs == ("pure_pqc", "hybrid_quantum_only", "hybrid_full", "classical_only")
    assert o.n_boot == 50 and o.seed == 5 and o.alpha == pytest.approx(0.05)
    assert results.primary == "grad_var_train"


def test_bad_options_and_nothing_to_analyse(study):
    with pytest.raises(InputError, match="`definitions`"):
        analyze_dataset(study, definitions=["nope"])
    with pytest.raises(InputError, match="`n_boot`"):
        analyze_dataset(study, n_boot=3)
    with pytest.raises(InputError, match="`confidence`"):
        analyze_dataset(study, confidence=1.5)
    with pytest.raises(InputError, match="`margin`"):
        analyze_dataset(study, margin=0.9)
    with pytest.raises(InputError, match="no successful runs"):
        analyze_dataset(study.assign(status="failed"))
    with pytest.raises(InputError, match="finite `expressibility_fp`"):
        analyze_dataset(study.assign(expressibility_fp=np.nan))
    with pytest.raises(InputError, match="at least 3 finite values"):
        analyze_dataset(study.assign(grad_var_train=np.nan), definitions=["grad_var_train"])


def test_tables_and_json(results):
    tables = results.tables()
    for name in ("claims", "claims_secondary", "tradeoff_summary", "comparisons",
                 "control_gap", "theory_circuits", "data_quality", "coverage"):
        assert name in tables
    doc = json.loads(json.dumps(results.to_dict(), allow_nan=False))
    assert set(doc["tables"]) == set(tables)
    claims = pd.DataFrame(doc["tables"]["claims"])
    assert list(claims["verdict"]) == list(results.claims["verdict"])
    # NaN estimates (the NAS rows without a table) are null, not NaN
    nas = claims[claims["kind"] == "nas"]
    assert len(nas) == 2 and nas["estimate"].isna().all()
    assert doc["design"]["strata"] == ["task", "n_qubits", "layers"]
    # the registered claims file, with its hash, in the JSON
    assert doc["claims"]["sha256"] == A.REGISTRY.sha256
    assert doc["provenance"]["claims_sha256"] == A.REGISTRY.sha256
    full = next(c for c in doc["claims"]["claims"] if c["name"] == "full_eliminated")
    assert full["test"] == A.CLAIMS["full_eliminated"].test and full["primary"]
    assert "claims_adjusted" in doc["tables"]


def _nas_rows(claim: str, settings: tuple[str, str], seeds: int) -> list[tuple]:
    """Every pair of searches of different seeds: 0.9 apart across settings, 0.2 within."""
    searches = [(s, k) for s in settings for k in range(seeds)]
    return [(claim, "within" if a == b else "between", f"{a}/seed{i}", f"{b}/seed{j}",
             0.2 if a == b else 0.9)
            for n, (a, i) in enumerate(searches) for b, j in searches[n + 1:] if i != j]


def test_nas_table_is_passed_to_the_claims(small):
    rows = _nas_rows("nas_fronts_differ_by_training", ("qo/grad_var", "full/grad_var"), 6)
    nas = pd.DataFrame(rows, columns=list(A.NAS_COLUMNS))
    res = analyze_dataset(small, n_boot=50, definitions=["grad_var_train"], nas=nas)
    row = res.claims.set_index("claim").loc["nas_fronts_differ_by_training"]
    assert row["estimate"] == pytest.approx(0.7)  # mean between minus mean within
    assert row["p_value"] == pytest.approx(1 / 32) and row["verdict"] == "supported"
    assert res.nas_given and "not evaluated" not in row["sentence"]
    html = report_html(res)
    assert "not evaluated" not in html and "smallest attainable p" in html


def test_html_leads_with_the_claims(results):
    html = report_html(results)
    first = html.index("<section")
    assert html[first:].startswith('<section id="the-paper-s-claims">\n<h2>The paper&#39;s claims')
    assert html.index('class="tidy t-claims-matrix"') < html.index("What the PQC adds</h2>")
    n_figs = sum(len(s.charts) for s in build_sections(results))
    assert html.count('<div class="vis"') == n_figs >= 8
    for text in ("lower = more expressive", "higher = more trainable", "Holm",
                 "given task x n_qubits x layers", "Bonferroni", "lower = more trainable"):
        assert text in html, text
    for stale in ("per unit KL", "five definitions", "Expressibility KL (x)"):
        assert stale not in html


def test_html_escapes_dataset_strings(small):
    df = small.copy()
    df["topology"] = df["topology"].astype(object)
    df.loc[0, "topology"] = EVIL
    df["status"] = df["status"].astype(object)
    df["error"] = df["error"].astype(object)
    df.loc[1, ["status", "error"]] = ["failed", "<b>solver diverged</b>"]
    html = report_html(analyze_dataset(df, n_boot=50, definitions=["grad_var_train"]))
    assert EVIL not in html and "<b>solver diverged</b>" not in html
    assert "&lt;b&gt;solver diverged&lt;/b&gt;" in html


RLO = "\u202e"  # right-to-left override: reverses the text after it


def test_format_characters_from_data_are_shown_as_escapes(small):
    """A label with U+202E (and other Unicode Cf characters) does not reorder the report: not in
    its text, not in its charts' labels (it was autoescaped, but left in place)."""
    df = small.copy()
    df["task"] = df["task"].astype(object).map(lambda t: f"{t}{RLO}evil\u2066x\u200f")
    html = report_html(analyze_dataset(df, n_boot=50, definitions=["grad_var_train"]))
    hidden = [ch for ch in set(html) if unicodedata.category(ch) == "Cf"]
    assert hidden == [] and "\\u202eevil" in html
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        strings = re.findall(r'"((?:[^"\\]|\\.)*)"', block)
        texts = [json.loads(f'"{t}"') for t in strings]
        assert not any(unicodedata.category(ch) == "Cf" for t in texts for ch in t)


def test_exact_runs_fall_back_to_the_largest_shot_level():
    df = make_study(n_pqcs=24, tasks=("a",), shots=100, shot_pqcs=24)
    only_shots = df[df["shots"].notna() | (df["training_config"] == "classical_only")]
    only_shots = only_shots[only_shots["shots"].notna()]
    res = analyze_dataset(only_shots, n_boot=50, definitions=["grad_var_train"])
    assert not res.design.primary_is_exact
    assert "100-shot" in res.design.primary_label
    assert len(exact_runs(only_shots, res.design)) == len(only_shots)


@pytest.mark.slow
def test_report_recovers_planted_truth_end_to_end():
    # planted circuit-level r given the strata per configuration (the estimand; make_study's own
    # planting is run-level, which the circuit means exceed), on make_study's design of two
    # tasks, instances and classical variants; the marginal r is inflated by width and depth
    truth = {"pure_pqc": 0.6, "hybrid_quantum_only": 0.3, "hybrid_full": 0.0}
    design = make_study(n_pqcs=900, n_seeds=2, tasks=("a", "b"), seed=11)
    df = A.plant_on_design(design, circuit_r=truth, run_noise=0.5, seed=11)
    res = analyze_dataset(df, n_boot=50, definitions=["grad_var_train"])
    s = res.summary.set_index("training_config")
    for config, r in truth.items():
        assert s.loc[config, "ci_low"] < r < s.loc[config, "ci_high"], config
        assert s.loc[config, "estimate_marginal"] > r + 0.2, config
    primary = res.claims[res.claims["role"] == "primary"]
    v = primary.set_index("claim")["verdict"]
    assert v["pure_weak"] == "contradicted"          # 0.6 is beyond "at most weak"
    assert v["quantum_only_disrupted"] == "supported"  # 0.6 - 0.3 > 0
    assert v["full_eliminated"] != "contradicted"      # 0 is inside the margin
    gap = res.control.set_index(["task", "training_config"])
    assert len(gap) == 4 and np.isfinite(gap["estimate"]).all()


@pytest.mark.slow
def test_to_report_writes_json_csv_figures(tmp_path, small):
    import hashlib

    from etr.experiment import write_dataset
    from etr.report import analyze_to_report

    data = write_dataset(small, tmp_path / "d.parquet",
                         provenance={"root_seed": 4, "spec": "[grid]\nlabel = '<x>'\n"})
    out = analyze_to_report(data, tmp_path / "r" / "rep.html", json_path=tmp_path / "rep.json",
                            formats=["html", "csv"], figures_dir=tmp_path / "figs",
                            figure_formats=["svg"], n_boot=50, definitions=["grad_var"])
    html = out.html.read_text()
    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    assert f'<meta name="etr-dataset-sha256" content="{digest}">' in html
    spec_hash = hashlib.sha256(b"[grid]\nlabel = '<x>'\n").hexdigest()
    assert f'<meta name="etr-spec-sha256" content="{spec_hash}">' in html
    assert "label = &#39;&lt;x&gt;&#39;" in html
    doc = json.loads(out.json.read_text())
    assert doc["options"]["definitions"] == ["grad_var"]
    assert doc["provenance"]["dataset_sha256"] == digest
    csv = tmp_path / "r" / "rep.claims.csv"
    assert csv in out.tables
    # the nullable `robust` column (missing off the primary rows) reads back as object + NaN
    expected = out.results.claims.astype({"robust": object}).replace("", np.nan)
    expected = expected.mask(expected.isna(), np.nan)
    pd.testing.assert_frame_equal(pd.read_csv(csv, keep_default_na=False, na_values=[""]),
                                  expected, check_dtype=False)
    svgs = sorted(p.name for p in out.figures)
    assert "claims_association.svg" in svgs and "scatter_grad_var.svg" in svgs
    assert len(svgs) == len(set(svgs))
    assert all(p.read_text().lstrip().startswith("<svg") for p in out.figures)


def test_primary_claims_table_counts_circuits_only_for_circuit_claims():
    from etr.analysis import planted_dataset
    from etr.report.sections import _primary_claims

    reg = A.REGISTRY.with_primary("grad_var_train")
    res = analyze_dataset(planted_dataset(n_pqcs=48, n_seeds=2, seed=1), n_boot=50,
                          definitions=["grad_var_train"], seed=1, claims=reg)
    t = _primary_claims(res.claims, nas_given=False, registry=reg)
    nas = t["claim"].str.startswith("NAS")
    # the noise claim is not tested without noise levels: no circuits
    untested = t["claim"] == A.CLAIMS["noise_changes_tradeoff"].meaning
    assert (t.loc[~nas & ~untested, "n_clusters"] == 48).all() and nas.sum() == 2
    assert (t.loc[untested, "n_clusters"] == 0).all()
    assert t.loc[nas, "n_clusters"].isna().all()


def test_impossible_values_are_named_in_the_report_not_hidden():
    """The committed dataset with a frame-potential ratio of 0.5 in 30 rows, -3 qubits in 20 and
    0 layers in 10 (rows with a PQC): the data-quality table names each column, what the
    analysis does and the first affected runs; the page never says nothing doubtful was found."""
    from pathlib import Path

    from etr.dataset import read_dataset

    data = read_dataset(Path(__file__).parents[2] / "data" / "quick.parquet")
    clean_res = analyze_dataset(data, n_boot=50, seed=1, definitions=["grad_var"],
                                configs=["pure_pqc"])
    assert clean_res.quality.empty
    assert "No doubtful value found" in report_html(clean_res)
    pure = np.flatnonzero(data["training_config"].astype(str) == "pure_pqc")
    rows = np.random.default_rng(0).choice(pure, 60, replace=False)
    bad = data.copy()
    for column, value, part in (("expressibility_fp", 0.5, rows[:30]),
                                ("n_qubits", -3, rows[30:50]), ("layers", 0, rows[50:])):
        bad.loc[bad.index[part], column] = value
    res = analyze_dataset(bad, n_boot=50, seed=1, definitions=["grad_var"], configs=["pure_pqc"])
    q = res.quality.set_index("column")
    assert q.loc["expressibility_fp", "n_affected"] == 30
    assert q.loc["n_qubits", "n_affected"] == 20 and q.loc["layers", "n_affected"] == 10
    assert q.loc["n_qubits", "action"] == "row dropped"
    assert q.loc["expressibility_fp", "action"] == "value ignored"
    html = report_html(res)
    assert "No doubtful value found" not in html
    for column in ("expressibility_fp", "n_qubits", "layers"):
        first = q.loc[column, "rows"].split(",")[0]
        assert first in bad.loc[bad[column] != data[column], "cell_id"].tolist()
        assert first in html
    cov = res.coverage.set_index("training_config").loc["total"]
    before = clean_res.coverage.set_index("training_config").loc["total"]
    exact = int(bad.iloc[rows]["shots"].isna().sum())  # spoiled runs of the primary analysis
    assert cov["impossible"] == 30 and cov["used"] == before["used"] - exact
