"""The report's Noise section: shown only with noise levels, primary claims on noiseless runs,
the NIBP reference drawn as stated, the noise claim in the claims table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etr import analysis as A
from etr.analysis import planted_dataset
from etr.report import analyze_dataset
from etr.report.build import report_html
from etr.report.noise import depth_table, has_noise, purity_table
from etr.report.sections import build_sections

DEFS = ["grad_var", "grad_var_train"]
P = 0.05


@pytest.fixture(scope="module")
def clean():
    return planted_dataset(n_pqcs=72, n_seeds=2, seed=5, configs=("pure_pqc", "hybrid_full"),
                           conditional={"pure_pqc": 0.5, "hybrid_full": 0.1})


@pytest.fixture(scope="module")
def noisy(clean):
    """The same runs at depolarizing P: every gradient shrunk by 3 channels per layer, with
    extra run noise, and purities below 1."""
    rng = np.random.default_rng(2)
    layers = clean["layers"].to_numpy(float)
    factor = (1 - P) ** (2 * 3 * layers) * rng.lognormal(sigma=0.3, size=len(clean))
    copy = clean.assign(depolarizing=P, cell_id=clean["cell_id"] + "-noisy",
                        purity=(1 - P) ** layers)
    for d in DEFS:
        copy[d] = clean[d] * factor
    return pd.concat([clean.assign(depolarizing=0.0, purity=1.0), copy], ignore_index=True)


@pytest.fixture(scope="module")
def plain(clean):
    return analyze_dataset(clean, n_boot=50, definitions=DEFS, seed=1)


@pytest.fixture(scope="module")
def res(noisy):
    return analyze_dataset(noisy, n_boot=50, definitions=DEFS, seed=1)


def test_no_noise_no_section_and_no_noise_claim(clean, plain):
    res = plain
    assert res.noise is None and not has_noise(clean)
    noise_rows = res.claims[res.claims["claim"] == "noise_changes_tradeoff"]
    assert (noise_rows["verdict"] == "inconclusive").all()
    assert noise_rows["sentence"].str.contains("no noise levels").all()
    assert not any(s.heading.startswith("Noise") for s in build_sections(res))


def test_noisy_runs_stay_out_of_the_primary_analysis(clean, plain, res):
    assert len(res.data) == len(plain.data)
    assert (pd.to_numeric(res.data["depolarizing"]) == 0).all()
    assert res.design.noise_levels == (f"depolarizing={P:g}",)
    assert res.design.n_noisy == len(clean)
    # the other claims' estimates are those of the noiseless data (only Holm's family grew)
    other = res.claims["claim"] != "noise_changes_tradeoff"
    keep = res.claims[other].reset_index(drop=True)
    before = plain.claims[plain.claims["claim"] != "noise_changes_tradeoff"].reset_index(
        drop=True)
    pd.testing.assert_series_equal(keep["estimate"], before["estimate"])
    assert (keep["p_adj"].fillna(0) >= before["p_adj"].fillna(0) - 1e-15).all()
    noise_rows = res.claims[res.claims["claim"] == "noise_changes_tradeoff"]
    assert "grad_var" in set(noise_rows["definition"])
    assert set(noise_rows["definition"]) <= set(A.REGISTRY.claims["noise_changes_tradeoff"]
                                                .definitions)


def test_the_section_shows_depth_association_and_purity(res):
    section = next(s for s in build_sections(res) if s.heading.startswith("Noise"))
    names = [f.name for f in section.charts]
    assert names == ["noise_depth", "noise_association", "noise_purity"]
    assert "noise-free" in section.intro
    assert any("noise changes" in i for i in section.items)
    tables = res.tables()
    for name in ("noise_levels", "noise_association", "noise_decay", "noise_depth",
                 "noise_purity"):
        assert not tables[name].empty, name
    # three channels per layer planted: the measured rate reads k_effective = 3
    decay = tables["noise_decay"].set_index("training_config")
    assert decay.loc["pure_pqc", "k_effective"] == pytest.approx(3.0, abs=0.3)
    html = report_html(res)
    assert "Noise: the trade-off with and without hardware noise" in html


def test_depth_reference_is_the_global_depolarizing_rate():
    df = pd.DataFrame({"training_config": "pure_pqc", "n_qubits": 2,
                       "layers": [1, 1, 4, 4, 4], "depolarizing": [0, P, 0, 0, P],
                       "grad_var": [0.2, 0.1, 0.1, 0.4, 0.01]})
    t = depth_table(df).set_index(["noise", "layers"])
    assert t.loc[("noiseless", 4), "grad_var"] == pytest.approx(0.2)  # geometric mean
    assert t.loc[(f"depolarizing={P:g}", 4), "reference"] == pytest.approx(
        0.2 * (1 - P) ** 8)
    assert t.loc[(f"depolarizing={P:g}", 1), "reference"] == pytest.approx(0.2 * (1 - P) ** 2)
    assert np.isnan(t.loc[("noiseless", 1), "reference"])


def test_purity_table_by_level():
    df = pd.DataFrame({"training_config": "pure_pqc", "n_qubits": 1, "layers": 2,
                       "readout": [0.0, 0.1], "purity": [1.0, 1.0]})
    assert purity_table(df)["noise"].tolist() == ["noiseless", "readout=0.1"]


def test_robustness_table_formats_numbers_beside_untestable_claims(res):
    """A claim without its configuration (no hybrid_quantum_only here) has no estimate; the
    other rows' estimates are still printed as formatted numbers, not as raw floats."""
    from etr.report.sections import _robustness_table

    t = _robustness_table(res)
    assert t["estimate"].isna().any() and t["estimate"].notna().any()
    html = report_html(res)
    start = html.index("Robustness to the adjustment set")
    table = html[start:html.index("</table>", start)]
    for v in t["estimate"].dropna():
        assert repr(float(v)) not in table
        assert f"{float(v):.3g}" in table
