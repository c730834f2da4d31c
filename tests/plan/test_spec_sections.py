"""One spec system: both commands read the run sections with the same keys, defaults and errors."""

from __future__ import annotations

import pytest

from etr.errors import SpecError
from etr.experiment import load_spec
from etr.nas.spec import load_nas_spec, parse_nas_spec
from etr.plan import MetricSpec, RunSettings, Table, read_toml

NAS = "[nas]\nn_trials = 4\n"


@pytest.mark.parametrize("sections", [
    "root_seed = 7\n",
    "definitions = ['grad_var', 'loss_decrease']\n",
    "[metrics]\nn_pairs = 300\nbins = 20\n",
    "[training]\nsteps = 5\nn_train = 16\nbatch_size = 'none'\n",
])
def test_same_sections_same_values(sections):
    sim = load_spec(sections)
    nas = load_nas_spec(NAS + sections if sections.startswith("[") else sections + NAS)
    assert (sim.root_seed, sim.definitions, sim.metrics, sim.training) == (
        nas.root_seed, nas.definitions, nas.metrics, nas.training)
    assert sim.run_settings() == nas.run_settings()
    assert nas.evaluation.settings == sim.run_settings()
    assert nas.evaluation.metrics == sim.metrics


@pytest.mark.parametrize(("sections", "match"), [
    ("root_seed = -1\n", r"`root_seed` must be >= 0"),
    ("definitions = ['grad']\n", r"`definitions` must be one of"),
    ("[metrics]\nn_pairs = 3\n", r"`metrics.n_pairs` must be >= 10"),
    ("[metrics]\npairs = 3\n", r"unknown key `metrics.pairs`"),
    ("[training]\nsteps = 0\n", r"steps"),
    ("[training]\nepochs = 3\n", r"unknown key `training.epochs`"),
    ("[training]\ntask = 'x'\n", r"`task` must be one of"),
])
def test_same_sections_same_errors(sections, match):
    nas_text = NAS + sections if sections.startswith("[") else sections + NAS
    with pytest.raises(SpecError, match=match) as sim_err:
        load_spec(sections)
    with pytest.raises(SpecError, match=match) as nas_err:
        load_nas_spec(nas_text)
    assert str(sim_err.value) == str(nas_err.value)


def test_one_default_each():
    sim, nas = load_spec("seeds = 1"), parse_nas_spec({"nas": {}})
    assert sim.root_seed == nas.root_seed == 2026
    assert sim.metrics == nas.metrics == MetricSpec()
    assert sim.run_settings() == nas.run_settings() == RunSettings()
    from etr.nas.search import DEFAULT_POPULATION, run_search

    assert nas.population_size == DEFAULT_POPULATION
    assert run_search.__kwdefaults__["population_size"] == DEFAULT_POPULATION


def test_old_nas_keys_are_refused_naming_the_new_place():
    with pytest.raises(SpecError, match=r"unknown key `nas.evaluation`"):
        parse_nas_spec({"nas": {"evaluation": {"expr_pairs": 100}}})
    with pytest.raises(SpecError, match=r"unknown key `nas.seed`"):
        parse_nas_spec({"nas": {"seed": 1}})


def test_a_setting_maximises_a_computed_definition():
    with pytest.raises(SpecError, match=r"`definitions`.*'grad_var'"):
        parse_nas_spec({"definitions": ["loss_decrease"], "nas": {"trainability": "grad_var"}})


def test_table_names_full_keys_and_lists_allowed():
    t = Table({"layers": [1, 1]}, "grid.hea", ("n_qubits", "layers"))
    with pytest.raises(SpecError, match=r"`grid.hea.layers` has duplicates"):
        t.ints("layers", (1,), low=1)
    with pytest.raises(SpecError, match=r"`grid.hea` must be a table"):
        Table(3, "grid.hea", ())
    with pytest.raises(SpecError, match=r"allowed keys in \[grid.hea\]: n_qubits, layers"):
        Table({"q": 1}, "grid.hea", ("n_qubits", "layers"))


def test_read_toml_file_and_text(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text("root_seed = 3\n")
    assert read_toml(p)[0] == read_toml("root_seed = 3\n")[0] == {"root_seed": 3}
    with pytest.raises(SpecError, match="does not exist"):
        read_toml(tmp_path / "nope.toml")
    with pytest.raises(SpecError, match=r"line 1, column"):
        read_toml("x = = 1\n")


@pytest.mark.parametrize("text", [
    "[grid]\nclassical_pre = ['８-tanh']\n[grid.hea]\nn_qubits = 2\n",
    "[grid.hea]\nrotations = ['RY+ＲZ']\n",
])
def test_spec_labels_are_ascii(text):
    with pytest.raises(SpecError, match="ASCII label"):
        load_spec(text)


def test_long_values_are_cut_in_messages():
    with pytest.raises(SpecError) as info:
        load_spec("[grid]\nclassical_pre = ['" + "8" * 200_000 + "-tanh']\n")
    assert len(str(info.value)) < 300 and "200005 characters" in str(info.value)
