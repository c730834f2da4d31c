from __future__ import annotations

import math

import numpy as np
import pytest

from etr.contract import COLUMNS, PQC_CONFIGS, TRAINABILITY_DEFINITIONS
from etr.errors import InputError
from etr.hybrid import Architecture, HybridModel, RunSettings, evaluate_run, load_task, train

SMALL = RunSettings(n_train=30, n_test=20, n_init=3, steps=6, learning_rate=0.1,
                    ed_weight_samples=3)
ARCH = Architecture(n_qubits=2, layers=2, classical_pre="4-tanh", classical_post="3-tanh")


@pytest.fixture(scope="module")
def records():
    return {c: evaluate_run(ARCH, c, 11, SMALL) for c in PQC_CONFIGS}


@pytest.mark.xfail(strict=True, reason="grad_var_landscape and steps_to_target not yet computed")
def test_record_has_contract_keys_in_order(records):
    excluded = {"cell_id", "status", "error", "wall_time_s", "entangling_capability"}
    expected = [c for c in COLUMNS if c not in excluded and not c.startswith("expressibility")]
    for rec in records.values():
        assert list(rec) == expected
        for d in (*TRAINABILITY_DEFINITIONS, "final_loss", "test_accuracy"):
            assert math.isfinite(rec[d]), d
        assert 0.0 <= rec["test_accuracy"] <= 1.0


def test_pure_pqc_uses_circuit_without_classical_parts(records):
    rec = records["pure_pqc"]
    assert rec["classical_pre"] == rec["classical_post"] == "none"
    assert rec["n_classical_params"] == 0
    assert rec["architecture_id"] == ARCH.without_classical().architecture_id
    assert records["hybrid_full"]["architecture_id"] == ARCH.architecture_id
    assert rec["pqc_id"] == records["hybrid_full"]["pqc_id"]
    assert records["hybrid_full"]["n_classical_params"] == (2 * 4 + 4 + 4 * 2 + 2) + (
        2 * 3 + 3 + 3 + 1)


def test_grad_var_identical_at_init_but_grad_var_train_differs(records):
    q, f = records["hybrid_quantum_only"], records["hybrid_full"]
    assert q["grad_var"] == f["grad_var"]  # same model, same seed, same initial parameters
    assert q["grad_var_train"] != pytest.approx(f["grad_var_train"], rel=1e-6)
    assert q["final_loss"] != pytest.approx(f["final_loss"], rel=1e-6)


def test_same_seed_reproduces_and_other_seed_differs(records):
    again = evaluate_run(ARCH, "hybrid_full", 11, SMALL)
    assert again == records["hybrid_full"]
    other = evaluate_run(ARCH, "hybrid_full", 12, SMALL)
    assert other["grad_var"] != records["hybrid_full"]["grad_var"]


def test_metrics_match_an_explicit_training_loop(records):
    """Recompute grad_var, loss_decrease and final loss from the model API (independent path)."""
    ss = np.random.SeedSequence(11).spawn(4)
    model = HybridModel(ARCH.without_classical(), "pure_pqc", 2)
    task = load_task("synthetic", n_features=2, n_train=30, n_test=20,
                     seed=np.random.default_rng(ss[0]))
    p = model.init_params(3, np.random.default_rng(ss[1]))
    losses0, grads0 = model.loss_and_grad(p, task.x_train, task.y_train)
    q = model.blocks["quantum"]
    rec = records["pure_pqc"]
    assert rec["grad_var"] == pytest.approx(np.var(grads0[:, q], axis=0, ddof=1).mean())
    # plain Adam written out here
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t in range(1, 7):
        _, g = model.loss_and_grad(p, task.x_train, task.y_train)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        p = p - 0.1 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    final = model.loss(p, task.x_train, task.y_train)
    assert rec["final_loss"] == pytest.approx(final.mean())
    assert rec["loss_decrease"] == pytest.approx(np.mean((losses0 - final) / losses0))
    acc = ((model.logits(p, task.x_test) > 0) == (task.y_test == 1)).mean(axis=1)
    assert rec["test_accuracy"] == pytest.approx(acc.mean())


def test_quantum_only_freezes_classical_parts_and_full_trains_them():
    task = load_task("synthetic", n_features=2, n_train=20, n_test=10, seed=0)
    for config, moved in (("hybrid_quantum_only", False), ("hybrid_full", True)):
        model = HybridModel(ARCH, config, 2)
        p0 = model.init_params(2, seed=0)
        res = train(model, p0, task.x_train, task.y_train, steps=3, learning_rate=0.1)
        changed = ~np.isclose(res.final_params, p0)
        # (the last layer's RZ commutes with the Z readout: zero gradient, never moves)
        assert changed[:, model.blocks["quantum"]].sum() >= model.n_quantum_params
        assert changed[:, model.blocks["pre"]].any() == moved
        assert changed[:, model.blocks["post"]].any() == moved
        frame = res.to_frame()
        assert list(frame.columns) == ["init", "step", "loss", "grad_rms"] and len(frame) == 6


def test_training_lowers_the_loss_and_minibatches_run():
    task = load_task("synthetic", n_features=2, n_train=40, n_test=10, seed=1)
    model = HybridModel(ARCH, "hybrid_full", 2)
    p0 = model.init_params(2, seed=1)
    res = train(model, p0, task.x_train, task.y_train, steps=30, learning_rate=0.1)
    assert np.all(res.final_loss < 0.8 * res.initial_loss)
    mb = train(model, p0, task.x_train, task.y_train, steps=5, batch_size=8, seed=0)
    assert mb.batch_size == 8 and mb.quantum_grads.shape == (5, 2, model.n_quantum_params)
    np.testing.assert_allclose(mb.initial_loss, res.initial_loss)


def test_definitions_not_requested_are_nan():
    settings = RunSettings(n_train=20, n_test=10, n_init=2, steps=2,
                           definitions=("grad_var", "loss_decrease"))
    rec = evaluate_run(Architecture(n_qubits=2, layers=1), "pure_pqc", 0, settings)
    assert math.isfinite(rec["grad_var"]) and math.isfinite(rec["loss_decrease"])
    for d in ("grad_var_train", "grad_norm", "effective_dimension"):
        assert math.isnan(rec[d])


def test_minibatch_run_and_other_tasks():
    settings = RunSettings(task="moons", n_train=24, n_test=10, n_init=2, steps=3,
                           batch_size=8, ed_weight_samples=2, n_features=3)
    rec = evaluate_run(Architecture(n_qubits=2, layers=1, classical_pre="3-relu"),
                       "hybrid_full", 5, settings)
    assert rec["task"] == "moons" and math.isfinite(rec["grad_var"])


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: evaluate_run(ARCH, "end_to_end", 0, SMALL), "`training_config`"),
        (lambda: RunSettings(task="mnist"), "`task`"),
        (lambda: RunSettings(steps=0), "`steps`"),
        (lambda: RunSettings(learning_rate=-0.1), "`learning_rate`"),
        (lambda: RunSettings(n_init=1), "`n_init`"),
        (lambda: RunSettings(definitions=("grad_var", "fisher")), "`definitions`"),
        (lambda: RunSettings(ed_data_size=10), "`ed_data_size`"),
        (lambda: RunSettings(definitions=()), "`definitions`"),
        (lambda: RunSettings(batch_size=0), "`batch_size`"),
        (lambda: evaluate_run(Architecture(n_qubits=2, layers=1), "hybrid_full", 0,
                              RunSettings(n_features=3, n_init=2, steps=1)), "`n_features`"),
        (lambda: evaluate_run(ARCH, "pure_pqc", -1, SMALL), "`seed`"),
    ],
)
def test_bad_input_names_the_argument(call, needle):
    with pytest.raises(InputError, match=needle) as info:
        call()
    assert "\n" not in str(info.value)


@pytest.mark.slow
def test_models_learn_the_synthetic_task():
    """Scientific sanity check: trained models beat chance clearly on held-out data."""
    arch = Architecture(n_qubits=4, layers=2, classical_pre="8-tanh", classical_post="8-tanh")
    settings = RunSettings(n_init=4, steps=60, definitions=("loss_decrease",))
    full = evaluate_run(arch, "hybrid_full", 3, settings)
    pure = evaluate_run(arch, "pure_pqc", 3, settings)
    assert full["test_accuracy"] > 0.85 and full["loss_decrease"] > 0.5
    assert pure["test_accuracy"] > 0.7 and pure["loss_decrease"] > 0.1
