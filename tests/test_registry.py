"""The registry is complete: every registered name has its facts, a producer, a range, a synthetic
generator and a report label, and every list elsewhere is derived from it."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from etr import contract as C
from etr.analysis import planted_dataset, synthetic_dataset
from etr.experiment.circuit import CIRCUIT_MEASURES
from etr.hybrid.run import DEFINITIONS, DIAGNOSTICS, evaluate_run, record_columns
from etr.plan import Architecture, MetricSpec, RunSettings
from etr.plan.cost import run_sizes
from etr.report.charts import metric_label

NAMES = list(C.METRICS)


@pytest.fixture(scope="module")
def generated():
    return {"synthetic": synthetic_dataset(n_architectures=12, n_seeds=2, seed=1),
            "planted": planted_dataset(n_pqcs=16, n_seeds=1, seed=2,
                                       configs=C.TRAINING_CONFIGS)}


@pytest.fixture(scope="module")
def run_records():
    settings = RunSettings(n_train=12, n_test=8, n_init=2, steps=2, ed_weight_samples=2,
                           landscape_samples=2, ed_data_size=20)
    arch = Architecture(n_qubits=2, layers=1, classical_pre="2-tanh")
    shots = dataclasses.replace(settings, shots=64)
    return {(c, s.shots): evaluate_run(arch, c, 3, s) for c in C.TRAINING_CONFIGS
            for s in (settings, shots)}


@pytest.mark.parametrize("name", NAMES)
def test_every_name_has_its_facts(name):
    m = C.METRICS[name]
    assert m.kind in C.KINDS and m.level in C.LEVELS and m.higher_is_more in (-1, 0, 1)
    assert m.label and m.axis_title and m.meaning and m.direction
    assert m.valid.why and m.valid.why != C.ANY.why, "state the range, or why there is none"
    if m.haar is not None:
        assert not m.valid.bad(np.array([m.haar])).any()
    assert m.level == C.RUN or m.needs_pqc  # circuit measures need a circuit
    for c in m.companions:
        assert c.role in C.COMPANION_ROLES and c.name in C.COLUMNS
        assert c.dtype in ("float64", "boolean", "string")
    assert C.COLUMNS[name] == m.dtype


@pytest.mark.parametrize("name", NAMES)
def test_every_name_has_a_producer(name, run_records):
    m = C.METRICS[name]
    if m.level == C.CIRCUIT:
        assert name in CIRCUIT_MEASURES and name in C.CIRCUIT_COLUMNS
        assert name not in record_columns()
    elif m.kind in (C.TRAINABILITY, C.CAPACITY):
        assert name in DEFINITIONS and name in C.TRAINABILITY_DEFINITIONS
    elif m.kind == C.DIAGNOSTIC:
        assert name in DIAGNOSTICS and name in C.RUN_DIAGNOSTICS
    for (config, shots), rec in run_records.items():
        if m.level == C.RUN:
            measured = ((C.CONFIGS[config].has_pqc or not m.needs_pqc)
                        and (shots is not None or not m.needs_shots))
            assert math.isfinite(rec[name]) == measured, (name, config, shots)


def test_the_producer_registries_hold_exactly_the_registered_names():
    assert set(DEFINITIONS) == set(C.TRAINABILITY_DEFINITIONS)
    assert set(DIAGNOSTICS) == set(C.RUN_DIAGNOSTICS)
    assert set(CIRCUIT_MEASURES) == {n for n, m in C.METRICS.items() if m.level == C.CIRCUIT}


@pytest.mark.parametrize("name", NAMES)
def test_every_name_has_a_synthetic_generator(name, generated):
    m = C.METRICS[name]
    for kind, df in generated.items():
        has_pqc = df["training_config"].map(lambda c: C.CONFIGS[c].has_pqc).to_numpy(bool)
        values = df[name].to_numpy(dtype=float)
        assert np.isfinite(values[has_pqc]).all(), (kind, name)
        assert not m.valid.bad(values, C.interval_se(df, name)).any(), (kind, name)
        if m.needs_pqc:
            assert np.isnan(values[~has_pqc]).all(), (kind, name)
        if m.level == C.CIRCUIT:  # one value per distinct circuit
            per = df[has_pqc].groupby("pqc_id")[name].nunique()
            assert (per == 1).all(), (kind, name)


@pytest.mark.parametrize("name", NAMES)
def test_every_name_has_a_report_label(name):
    assert metric_label(name) == C.METRICS[name].label
    assert len({m.label for m in C.METRICS.values()}) == len(C.METRICS)


def test_sample_sizes_and_settings_are_the_spec_keys():
    fields = {f.name: f for f in dataclasses.fields(MetricSpec)}
    assert list(fields) == list(C.SAMPLE_SIZES)
    for name, size in C.SAMPLE_SIZES.items():
        assert fields[name].default == size.default
        with pytest.raises(Exception, match=name):
            MetricSpec(**{name: size.minimum - 1})
    run_fields = {f.name for f in dataclasses.fields(RunSettings)}
    for m in C.METRICS.values():
        assert set(m.settings) <= run_fields, m.name
        assert m.level == C.CIRCUIT or not m.sizes, m.name


def test_cost_terms_come_from_the_registry():
    sizes = {**MetricSpec().to_dict(), "n_params": 8}
    run = run_sizes(RunSettings(batch_size=8))  # what `etr.plan.cost.cell_seconds` passes
    assert run["mini"] and run["batch"] == 8
    for m in C.METRICS.values():
        if m.cost is not None:
            terms = m.cost(sizes if m.level == C.CIRCUIT else run)
            assert set(terms) <= set(C.COST_TERMS) and all(v >= 0 for v in terms.values())


def test_derived_lists():
    assert list(C.COLUMNS) == list(C.ALL_COLUMNS)
    assert set(C.CIRCUIT_COLUMNS) <= set(C.COLUMNS)
    assert set(C.QUANTUM_DEFINITIONS) == {d for d in C.TRAINABILITY_DEFINITIONS
                                          if C.METRICS[d].needs_pqc}
    assert C.TRAINABILITY_ONLY == tuple(d for d in C.TRAINABILITY_DEFINITIONS
                                        if C.METRICS[d].kind == C.TRAINABILITY)
    for col, facts in C.ALL_COLUMNS.items():  # every numeric column states its range
        if facts.dtype not in ("string", "bool", "boolean"):
            assert facts.valid.why != C.ANY.why, col


def test_presets_are_the_files_shipped_and_each_loads(tmp_path, monkeypatch):
    from etr.experiment import preset_spec
    from etr.experiment.spec import PRESETS
    from etr.nas.spec import PRESETS as NAS_PRESETS
    from etr.nas.spec import nas_preset
    from etr.plan.tables import preset_names

    # a new preset is a new file: a package of three presets and a stray file
    pkg = tmp_path / "toy_presets_pkg"
    (pkg / "presets").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for file in ("study-x.toml", "quick.toml", "alpha.toml", "alpha.toml.bak"):
        (pkg / "presets" / file).write_text("seeds = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert preset_names("toy_presets_pkg") == ("quick", "alpha", "study-x")
    # the shipped ones, the default first, and every one a valid spec
    assert PRESETS[0] == "quick" and {"paper", "study", "study-noise"} <= set(PRESETS)
    for name in PRESETS:
        assert preset_spec(name).seeds
    assert NAS_PRESETS == ("quick",) and nas_preset("quick").settings


def test_a_view_follows_the_registry(monkeypatch):
    toy = dataclasses.replace(C.METRICS["grad_norm"], name="toy_norm", label="toy norm")
    before = tuple(C.TRAINABILITY_DEFINITIONS)
    monkeypatch.setitem(C.METRICS, "toy_norm", toy)
    assert C.TRAINABILITY_DEFINITIONS == (*before, "toy_norm") and "toy_norm" in C.COLUMNS
    monkeypatch.undo()
    assert C.TRAINABILITY_DEFINITIONS == before and "toy_norm" not in C.COLUMNS
