"""Numbers stated in docs and docstrings are the ones the code computes (recomputed here, so a
change of the presets or the cost model that makes them stale fails a test)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import etr.analysis.claims as claims_module
import etr.plan.limits as limits_module
from etr.experiment import preset_spec
from etr.experiment.size import estimate, grid_bounds

ROOT = Path(__file__).resolve().parents[1]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _readme_and_tables(report: str) -> tuple[str, dict[str, pd.DataFrame]]:
    """The README's text (white space folded) and the tables of reports/<report>.json."""
    import json

    tables = json.loads((ROOT / "reports" / f"{report}.json").read_text())["tables"]
    return (_flat((ROOT / "README.md").read_text()),
            {name: pd.DataFrame(rows) for name, rows in tables.items()})


def test_paper_run_time_in_the_readme_and_the_preset():
    est = estimate(preset_spec("paper"))
    hours = f"{est.cpu_seconds / 3600:.1f}"
    assert f"~{hours} CPU-hours" in _flat((ROOT / "README.md").read_text())
    preset = (ROOT / "etr" / "experiment" / "presets" / "paper.toml").read_text()
    assert f"~{hours} CPU-hours, ~{est.cpu_seconds / 7200:.1f} h on 2 cores" in preset


def test_paper_size_in_the_limits_notes():
    b = grid_bounds(preset_spec("paper"))
    doc = _flat(limits_module.__doc__)
    assert f"counts {b.runs:,} runs" in doc
    assert f"up to {b.widest[0]} qubits x {b.widest[1]} layers and {b.seeds} replicates" in doc
    assert f"``study`` preset {grid_bounds(preset_spec('study')).runs:,} short runs" in doc


def test_paper_circuits_per_stratum_in_the_claims_notes():
    d = pd.read_parquet(ROOT / "tests" / "analysis" / "data" / "paper_design.parquet")
    per = d[d["pqc_id"].notna()].groupby(["n_qubits", "layers"])["pqc_id"].nunique()
    g = int(d["pqc_id"].nunique())
    f = (2 * per.median() + 5) / (2 * (per.median() - 1))
    doc = _flat(claims_module.__doc__)
    assert (f"has {g} distinct circuits in {len(per)} width-depth cells of {per.min()} to "
            f"{per.max()} circuits (median {per.median():.0f}, f = {f:.2f}), so ``G / f ~ "
            f"{round(g / f, -1):.0f}``") in doc
    assert f"at least {590 / (g / f):.2f}" in doc and f"at least {930 / (g / f):.2f}" in doc


@pytest.mark.parametrize("name", ["study", "paper"])
def test_presets_state_their_cost_and_the_power_the_package_computes(name):
    """The preset headers quote `etr plan power --preset NAME` and the cost model."""
    import warnings

    from etr.cli import power_table
    from etr.errors import DegenerateDataWarning

    spec = preset_spec(name)
    preset = (ROOT / "etr" / "experiment" / "presets" / f"{name}.toml").read_text()
    header = "\n".join(line[1:].strip() for line in preset.splitlines() if line.startswith("#"))
    est = estimate(spec)
    assert (f"~{est.cpu_seconds / 3600:.1f} CPU-hours, ~{est.cpu_seconds / 7200:.1f} h on 2 "
            "cores") in _flat(header)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        table = power_table(spec, str(ROOT / "data" / "quick.parquet"))
    lines = table.splitlines()
    rows = [ln for ln in lines if ln.startswith(("claim ", "pure_", "quantum_", "full_"))
            and "needs" not in ln]
    assert len(rows) == 5
    for ln in rows:
        assert ln.strip() in header, ln
    circuits = lines[0].split(" distinct circuits in ")[0]
    assert f"{circuits.split(': ')[1]} distinct" in _flat(header)
    for ln in lines:
        if "needs ~" in ln:
            _claim, rest = ln.split(": 80% power needs ~")
            assert f"~{rest.split(' ')[0]} circuits would reach 80%" in _flat(header), ln
        elif "needs more than" in ln:
            assert f"more than {ln.split('more than ')[1].split(' ')[0]}" in _flat(header), ln


def test_the_readme_answer_is_the_committed_study_report():
    readme, tables = _readme_and_tables("study")
    claims = tables["claims"]
    rows = claims[(claims["role"] == "primary") & (claims["kind"] == "association")]
    assert len(rows) == 4
    for _, r in rows.iterrows():
        stated = f"{r['estimate']:+.2f} [{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]"
        assert f"{stated}" in readme and f"**{r['verdict']}**" in readme, (r["claim"], stated)
    runs = len(pd.read_parquet(ROOT / "data" / "study.parquet", columns=["cell_id"]))
    assert f"{runs:,} runs; 1,500 distinct" in readme


def test_the_readme_finite_shot_answer_is_the_committed_report():
    readme, tables = _readme_and_tables("study-shots")
    t = tables["shot_claims"]
    primary = t[t["role"] == "primary"].set_index("claim")
    assert len(primary) == 4 and primary["same_verdict"].all()
    assert "All four primary verdicts are the same exact and with shots" in readme
    full = primary.loc["full_eliminated"]
    assert (f"from {full['estimate_exact']:+.2f} [{full['ci_low_exact']:+.2f}, "
            f"{full['ci_high_exact']:+.2f}] to {full['estimate_shots']:+.2f} "
            f"[{full['ci_low_shots']:+.2f}, {full['ci_high_shots']:+.2f}]") in readme
    secondary = t[t["role"] == "secondary"]
    assert f"{int((~secondary['same_verdict']).sum())} of the {len(secondary)} secondary" in readme
    snr = tables["shot_snr"]
    assert (f"{snr['grad_var_ratio'].min():.2f}-{snr['grad_var_ratio'].max():.2f} times the exact"
            in readme)
    runs = len(pd.read_parquet(ROOT / "data" / "study-shots.parquet", columns=["cell_id"]))
    assert f"{runs:,} runs" in readme


def test_the_readme_noise_answer_is_the_committed_report():
    readme, tables = _readme_and_tables("study-noise")
    assert "noise claim is not tested" not in readme
    claims = tables["claims"]
    row = claims[(claims["claim"] == "noise_changes_tradeoff")
                 & (claims["role"] == "primary")].iloc[0]
    assert (f"is **{row['verdict']}**: r(noisy) - r(noiseless) = {row['estimate']:+.2f} "
            f"[{row['ci_low']:+.2f}, {row['ci_high']:+.2f}]") in readme
    assert f"({row['confidence']:.1%} interval" in readme
    assoc = tables["noise_association"]
    r = assoc[assoc["definition"] == "grad_var"].set_index("noise")["estimate"]
    assert (f"r goes from {r['noiseless']:.2f} noiseless to {r['depolarizing=0.01']:.2f} at "
            f"p = 0.01 and {r['depolarizing=0.05']:.2f} at p = 0.05") in readme
    secondary = claims[(claims["claim"] == "noise_changes_tradeoff")
                       & (claims["role"] == "secondary")]
    assert (secondary["verdict"] == row["verdict"]).all() and (secondary["estimate"] > 0).all()
    decay = tables["noise_decay"].set_index("noise")
    slopes = [-decay.loc[f"depolarizing={p}", "slope"] for p in ("0.01", "0.05")]
    ks = [decay.loc[f"depolarizing={p}", "k_effective"] for p in ("0.01", "0.05")]
    assert (f"falls by {slopes[0]:.2f} per layer at p = 0.01 and {slopes[1]:.2f} at p = 0.05, "
            f"{ks[0]:.1f} and {ks[1]:.1f} times the rate") in readme
    data = pd.read_parquet(ROOT / "data" / "study-noise.parquet",
                           columns=["cell_id", "pqc_id", "n_qubits", "layers",
                                    "expressibility_fp", "n_quantum_params"])
    circuits = data.drop_duplicates("pqc_id")
    assert f"{len(circuits)} pure-PQC circuits" in readme and f"{len(data):,} runs" in readme
    rho = [g["expressibility_fp"].corr(g["n_quantum_params"], method="spearman")
           for _, g in circuits.groupby(["n_qubits", "layers"])]
    assert (f"parameter count {np.median(rho):.2f} over the {len(rho)} cells") in readme
