from __future__ import annotations

import math

import numpy as np
import pytest

from etr.contract import (
    CIRCUIT_COLUMNS,
    COLUMNS,
    PQC_CONFIGS,
    TRAINABILITY_DEFINITIONS,
    TRAINING_CONFIGS,
)
from etr.errors import InputError
from etr.hybrid import (
    DEFINITIONS,
    HybridModel,
    evaluate_run,
    landscape_gradients,
    load_task,
    train,
)
from etr.hybrid.run import model_task, readout_gradients
from etr.plan import Architecture, RunSettings

SMALL = RunSettings(n_train=30, n_test=20, n_init=3, steps=6, learning_rate=0.1,
                    ed_weight_samples=3)
ARCH = Architecture(n_qubits=2, layers=2, classical_pre="4-tanh", classical_post="3-tanh")


@pytest.fixture(scope="module")
def records():
    return {c: evaluate_run(ARCH, c, 11, SMALL) for c in PQC_CONFIGS}


def test_record_has_contract_keys_in_order(records):
    excluded = {"cell_id", "status", "error", "wall_time_s", "task_instance", *CIRCUIT_COLUMNS}
    expected = [c for c in COLUMNS if c not in excluded]
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
    # the pre-network reads the task's own 8 features (the synthetic task's fixed count)
    assert records["hybrid_full"]["n_classical_params"] == (8 * 4 + 4 + 4 * 2 + 2) + (
        2 * 3 + 3 + 3 + 1)
    assert len({r["task_id"] for r in records.values()}) == 1  # one task instance per seed


def test_grad_var_identical_at_init_but_grad_var_train_differs(records):
    q, f = records["hybrid_quantum_only"], records["hybrid_full"]
    assert q["grad_var"] == f["grad_var"]  # same model, same seed, same initial parameters
    assert q["grad_var_train"] != pytest.approx(f["grad_var_train"], rel=1e-6)
    assert q["final_loss"] != pytest.approx(f["final_loss"], rel=1e-6)


def test_landscape_tells_the_hybrid_configurations_apart(records):
    """Same model at init (identical grad_var); the landscape after end-to-end training is
    another one, while quantum-only training leaves the classical parts as they were."""
    q, f = records["hybrid_quantum_only"], records["hybrid_full"]
    assert q["grad_var"] == f["grad_var"]
    assert q["grad_var_landscape"] != pytest.approx(f["grad_var_landscape"], rel=1e-3)
    for rec in records.values():
        assert rec["grad_var_landscape"] > 0 and rec["shots"] is None
        assert rec["steps_to_target_censored"] in (True, False)
        assert 1 <= rec["steps_to_target"] <= SMALL.steps


def test_quantum_only_landscape_uses_the_frozen_initial_classical_parts():
    ss = np.random.SeedSequence(11).spawn(6)
    task = model_task(load_task("synthetic", n_train=30, n_test=20,
                                seed=np.random.default_rng(ss[0])), ARCH)
    model = HybridModel(ARCH, "hybrid_quantum_only", task.n_features)
    p0 = model.init_params(3, np.random.default_rng(ss[1]))
    g = landscape_gradients(model, p0, task.x_train, task.y_train, n_samples=8,
                            seed=np.random.default_rng(ss[4]))
    rec = evaluate_run(ARCH, "hybrid_quantum_only", 11, SMALL)
    assert rec["grad_var_landscape"] == pytest.approx(np.var(g, axis=1, ddof=1).mean(),
                                                      rel=1e-12)


def test_landscape_of_a_one_parameter_model_matches_its_closed_form():
    """pure PQC on one qubit: RY(x) then RY(theta), logit = s cos(x + theta). The gradient of the
    mean BCE is mean_i (sigmoid(s cos(x_i + theta)) - y_i) (-s sin(x_i + theta)); its variance
    over uniform theta is a periodic integral, computed here by the trapezoid rule (spectrally
    accurate) on 2**14 points."""
    model = HybridModel(Architecture(n_qubits=1, layers=1, rotations="RY"), "pure_pqc", 1)
    s = model.readout_scale
    x = np.array([[0.3], [1.1], [-2.0], [2.5]])
    y = np.array([0.0, 1.0, 1.0, 0.0])

    def grad(theta):
        a = x[:, 0][None, :] + theta[:, None]
        return np.mean((1 / (1 + np.exp(-s * np.cos(a))) - y) * (-s * np.sin(a)), axis=1)

    grid = np.linspace(0, 2 * np.pi, 2**14, endpoint=False)
    assert abs(grad(grid).mean()) < 1e-12  # periodic: the mean derivative is 0
    truth = np.mean(grad(grid) ** 2)
    g = landscape_gradients(model, model.init_params(2, seed=0), x, y, n_samples=20_000,
                            seed=5)
    rng = np.random.default_rng(5)
    for j in range(2):
        theta = rng.uniform(0, 2 * np.pi, size=(20_000, 1))[:, 0]
        np.testing.assert_allclose(g[j, :, 0], grad(theta), atol=1e-12)
    from etr.metrics.trainability import grad_var_landscape

    # relative SE of a variance from 40000 draws: about sqrt((kurtosis - 1) / 40000) < 0.01
    assert grad_var_landscape(g) == pytest.approx(truth, rel=0.04)


def test_every_registered_definition_has_a_function():
    assert set(DEFINITIONS) == set(TRAINABILITY_DEFINITIONS)


def test_early_window_setting():
    settings = RunSettings(n_train=20, n_test=10, n_init=3, steps=6, early_steps=2,
                           definitions=("grad_var", "grad_var_train", "grad_norm"))
    arch = Architecture(n_qubits=2, layers=1)
    rec = evaluate_run(arch, "pure_pqc", 4, settings)
    ss = np.random.SeedSequence(4).spawn(6)
    model = HybridModel(arch, "pure_pqc", 2)
    task = model_task(load_task("synthetic", n_train=20, n_test=10,
                                seed=np.random.default_rng(ss[0])), arch)
    res = train(model, model.init_params(3, np.random.default_rng(ss[1])), task.x_train,
                task.y_train, steps=6, learning_rate=settings.learning_rate)
    g = res.quantum_grads[:2]
    assert rec["grad_var_train"] == pytest.approx(np.var(g, axis=1, ddof=1).mean())
    assert rec["grad_norm"] == pytest.approx(np.sqrt((g**2).mean(axis=2)).mean())
    assert rec["grad_var_train"] != pytest.approx(
        np.var(res.quantum_grads, axis=1, ddof=1).mean())


def test_finite_shots_in_the_record_and_in_specs():
    from etr.experiment import load_spec

    settings = RunSettings(n_train=12, n_test=8, n_init=2, steps=3, shots=300,
                           landscape_samples=2, ed_weight_samples=2)
    arch = Architecture(n_qubits=2, layers=1, classical_pre="3-tanh")
    rec = evaluate_run(arch, "hybrid_full", 2, settings)
    assert rec["shots"] == 300
    assert evaluate_run(arch, "hybrid_full", 2, settings) == rec  # the run's own shot stream
    exact = evaluate_run(arch, "hybrid_full", 2, RunSettings(
        n_train=12, n_test=8, n_init=2, steps=3, landscape_samples=2, ed_weight_samples=2))
    assert exact["shots"] is None
    assert rec["grad_var"] != exact["grad_var"]
    # finite-shot noise only adds variance here; the estimates stay of the same order
    assert 0.2 < rec["grad_var"] / exact["grad_var"] < 20
    # effective dimension: the model function, exact in both
    assert rec["effective_dimension"] == pytest.approx(exact["effective_dimension"], rel=0.5)
    spec = load_spec("seeds = [1]\n[grid.hea]\nn_qubits = [2]\nlayers = [1]\n"
                     "[training]\nshots = 1000\n")
    assert spec.run_settings().shots == 1000


def test_same_seed_reproduces_and_other_seed_differs(records):
    again = evaluate_run(ARCH, "hybrid_full", 11, SMALL)
    assert again == records["hybrid_full"]
    other = evaluate_run(ARCH, "hybrid_full", 12, SMALL)
    assert other["grad_var"] != records["hybrid_full"]["grad_var"]


def test_metrics_match_an_explicit_training_loop(records):
    """Recompute the definitions and the final loss from the model API (independent path)."""
    ss = np.random.SeedSequence(11).spawn(6)
    model = HybridModel(ARCH.without_classical(), "pure_pqc", 2)
    task = model_task(load_task("synthetic", n_train=30, n_test=20,
                                seed=np.random.default_rng(ss[0])), ARCH.without_classical())
    p = model.init_params(3, np.random.default_rng(ss[1]))
    losses0, grads0 = model.loss_and_grad(p, task.x_train, task.y_train)
    q = model.blocks["quantum"]
    rec = records["pure_pqc"]
    assert rec["grad_var"] == pytest.approx(np.var(grads0[:, q], axis=0, ddof=1).mean())
    # plain Adam written out here
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    losses, grads = [], []
    for t in range(1, 7):
        loss_t, g = model.loss_and_grad(p, task.x_train, task.y_train)
        losses.append(loss_t)
        grads.append(g[:, q])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        p = p - 0.1 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    final = model.loss(p, task.x_train, task.y_train)
    assert rec["final_loss"] == pytest.approx(final.mean())
    assert rec["loss_decrease"] == pytest.approx(np.mean((losses0 - final) / losses0))
    grads = np.array(grads)  # (T, K, P): the early window (10 steps) covers all 6
    assert rec["grad_var_train"] == pytest.approx(np.var(grads, axis=1, ddof=1).mean())
    assert rec["grad_norm"] == pytest.approx(np.sqrt((grads**2).mean(axis=2)).mean())
    # steps_to_target: first t with L_t <= 0.75 L_0 per init, lower median of the 3 inits
    traj = np.vstack([losses, final])
    first = [next((t for t in range(1, 7) if traj[t, k] <= 0.75 * traj[0, k]), None)
             for k in range(3)]
    reached = sorted(f for f in first if f is not None)
    assert rec["steps_to_target_censored"] == (len(reached) < 2)
    assert rec["steps_to_target"] == (6 if len(reached) < 2 else reached[1])
    # grad_var_landscape: 8 uniform theta per init on the landscape stream, whole training set
    rng = np.random.default_rng(ss[4])
    gl = []
    for _ in range(3):
        theta = rng.uniform(0, 2 * np.pi, size=(8, model.n_quantum_params))
        gl.append(model.loss_and_grad(theta, task.x_train, task.y_train)[1])
    assert rec["grad_var_landscape"] == pytest.approx(np.var(gl, axis=1, ddof=1).mean())
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
        (lambda: RunSettings(shots=0), "`shots`"),
        (lambda: RunSettings(shots=2.5), "`shots`"),
        (lambda: RunSettings(landscape_samples=1), "`landscape_samples`"),
        (lambda: RunSettings(early_steps=0), "`early_steps`"),
        (lambda: RunSettings(target_fraction=0.0), "`target_fraction`"),
        (lambda: RunSettings(target_fraction=1.2), "`target_fraction`"),
        (lambda: RunSettings(budget_steps=0), "`budget_steps`"),
        (lambda: RunSettings(n_features=0), "`n_features`"),
        (lambda: evaluate_run(ARCH, "pure_pqc", 0, SMALL, task_seed=-2), "`task_seed`"),
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


@pytest.mark.slow
def test_pure_pqc_landscape_variance_equals_grad_var_in_distribution():
    """For a pure PQC both definitions estimate mean_k Var_theta[dL/dtheta_k] on the training
    set with theta uniform (the landscape from K x S draws, grad_var from the K inits): over
    many seeds their difference averages to zero, while the landscape estimate scatters less."""
    settings = RunSettings(n_train=16, n_test=4, n_init=4, steps=1, landscape_samples=16,
                           definitions=("grad_var", "grad_var_landscape"))
    arch = Architecture(n_qubits=3, layers=2, topology="ring")
    recs = [evaluate_run(arch, "pure_pqc", s, settings) for s in range(120)]
    gv = np.array([r["grad_var"] for r in recs])
    gl = np.array([r["grad_var_landscape"] for r in recs])
    d = gv - gl
    assert abs(d.mean()) < 4 * d.std(ddof=1) / np.sqrt(d.size)
    assert np.all(gv != gl)  # independent draws
    # within a seed the landscape (4 x 16 draws) is the more precise estimate of the same thing
    assert np.var(gl / gv.mean()) < np.var(gv / gv.mean())


def test_training_loss_trajectory_is_the_whole_training_set_loss():
    task = load_task("synthetic", n_features=2, n_train=24, n_test=8, seed=3)
    model = HybridModel(ARCH, "hybrid_full", 2)
    p0 = model.init_params(2, seed=3)
    full = train(model, p0, task.x_train, task.y_train, steps=4, learning_rate=0.1)
    np.testing.assert_array_equal(full.train_loss[:4], full.batch_loss)
    np.testing.assert_array_equal(full.train_loss[4], full.final_loss)
    mb = train(model, p0, task.x_train, task.y_train, steps=4, batch_size=6, seed=0,
               record_train_loss=True)
    assert mb.train_loss.shape == (5, 2)
    np.testing.assert_allclose(mb.train_loss[0], model.loss(p0, task.x_train, task.y_train))
    np.testing.assert_array_equal(mb.train_loss[4], mb.final_loss)
    assert not np.allclose(mb.train_loss[1:4], mb.batch_loss[1:])  # not the mini-batch losses
    again = train(model, p0, task.x_train, task.y_train, steps=4, batch_size=6, seed=0)
    assert again.train_loss is None  # not asked for: no extra forward passes
    np.testing.assert_array_equal(again.final_params, mb.final_params)


def test_one_task_instance_per_task_seed():
    """Every architecture and configuration given one task seed trains on one instance."""
    archs = [ARCH, Architecture(n_qubits=3, layers=1), Architecture(n_qubits=2, layers=2,
                                                                    classical_pre="5-relu")]
    ids = {evaluate_run(a, c, 100 + i, SMALL, task_seed=42)["task_id"]
           for i, a in enumerate(archs) for c in ("pure_pqc", "hybrid_full")}
    assert len(ids) == 1
    assert evaluate_run(ARCH, "pure_pqc", 0, SMALL, task_seed=43)["task_id"] not in ids
    # without a task seed the instance follows the run seed (a stand-alone run)
    assert (evaluate_run(ARCH, "pure_pqc", 1, SMALL)["task_id"]
            != evaluate_run(ARCH, "pure_pqc", 2, SMALL)["task_id"])


def test_classical_only_control_record():
    from etr.hybrid import ClassicalControl

    rec = evaluate_run(ARCH, "classical_only", 11, SMALL, task_seed=7)
    assert rec["family"] == "control" and rec["layers"] == 0 and rec["pqc_id"] is None
    assert rec["architecture_id"] == ARCH.control_id
    assert rec["n_quantum_params"] == 0 and rec["shots"] is None
    assert rec["n_classical_params"] == ClassicalControl(ARCH, 8).n_classical_params
    for d in ("grad_var", "grad_var_landscape", "grad_var_readout", "grad_var_train",
              "grad_norm", "effective_dimension"):
        assert math.isnan(rec[d]), d
    assert 0 <= rec["loss_decrease"] <= 1 and 0 <= rec["test_accuracy"] <= 1
    assert rec["steps_to_target_censored"] in (True, False)
    hybrid = evaluate_run(ARCH, "hybrid_full", 11, SMALL, task_seed=7)
    assert hybrid["task_id"] == rec["task_id"]
    # the control depends on the width, encoding and classical parts only
    deeper = Architecture(n_qubits=2, layers=5, classical_pre="4-tanh", classical_post="3-tanh")
    assert deeper.control_id == ARCH.control_id
    assert evaluate_run(deeper, "classical_only", 11, SMALL, task_seed=7) == rec


# ---------------------------------------------------------------------- grad_var_readout
def test_readout_variance_of_a_product_circuit_has_its_closed_form():
    """RY(a_q) then RY(theta_q) on each of two qubits, O = (Z_0 + Z_1) / 2: <O> =
    (cos(a_0 + theta_0) + cos(a_1 + theta_1)) / 2, so d<O>/dtheta_q = -sin(a_q + theta_q) / 2
    and its variance over uniform theta is 1/8 at every input: checked draw by draw and in
    mean."""
    arch = Architecture(n_qubits=2, layers=1, rotations="RY", topology="none")
    model = HybridModel(arch, "pure_pqc", 2)
    x = np.array([[0.3, -1.0], [2.0, 0.5], [-2.5, 1.5]])
    g = readout_gradients(model, model.init_params(2, seed=0), x, n_samples=4000, seed=3)
    rng = np.random.default_rng(3)
    theta = rng.uniform(0, 2 * np.pi, size=(2, 4000, 1, 2))
    np.testing.assert_allclose(g, -np.sin(x[None, None] + theta) / 2, atol=1e-12)
    from etr.metrics.trainability import grad_var_readout

    # 2 x 4000 draws per (input, parameter): the relative SE of the mean variance is < 1%
    assert grad_var_readout(g) == pytest.approx(1 / 8, rel=0.03)


def test_readout_gradients_match_finite_differences_through_a_trained_pre_network():
    """Independent path: central differences of the mean readout, computed with the model's
    own expectations on rows built by hand from the pre-network's angles."""
    arch = Architecture(n_qubits=3, layers=2, topology="ring", classical_pre="4-tanh",
                        classical_post="3-tanh")
    model = HybridModel(arch, "hybrid_full", 5)
    params = model.init_params(2, seed=1)
    x = np.random.default_rng(2).normal(size=(4, 5))
    g = readout_gradients(model, params, x, n_samples=3, seed=4)
    theta = np.random.default_rng(4).uniform(0, 2 * np.pi, size=(2, 3, 1, model.n_quantum_params))
    from etr.quantum import expectations

    h = 1e-6
    for j in range(2):
        angles, _ = model.pre.forward(params[j:j + 1, model.blocks["pre"]], x[None])
        for s_ in range(3):
            for k in range(model.n_quantum_params):
                rows = []
                for sign in (1, -1):
                    t = theta[j, s_, 0].copy()
                    t[k] += sign * h
                    rows.append(np.hstack([angles[0], np.broadcast_to(t, (4, t.size))]))
                z = [expectations(model.circuit, r, model.observables).mean(axis=1) for r in rows]
                np.testing.assert_allclose(g[j, s_, :, k], (z[0] - z[1]) / (2 * h), atol=1e-7)


def test_readout_definition_does_not_see_the_post_network():
    """Scaling the post-network's weights scales every loss gradient (and the landscape
    definition) but leaves the readout definition unchanged; without a pre-network every
    configuration of one circuit and seed gives the same value."""
    task = model_task(load_task("synthetic", n_train=20, n_test=10, seed=0),
                      Architecture(n_qubits=2, layers=2))
    arch = Architecture(n_qubits=2, layers=2, classical_post="3-tanh")
    model = HybridModel(arch, "hybrid_full", task.n_features)
    p = model.init_params(2, seed=0)
    big = p.copy()
    big[:, model.blocks["post"]] *= 10.0
    from etr.metrics.trainability import grad_var_landscape, grad_var_readout

    read = [grad_var_readout(readout_gradients(model, q, task.x_train, seed=1)) for q in (p, big)]
    land = [grad_var_landscape(landscape_gradients(model, q, task.x_train, task.y_train, seed=1))
            for q in (p, big)]
    assert read[0] == read[1] and read[0] > 0
    assert land[1] > 5 * land[0]
    settings = RunSettings(n_train=20, n_test=10, n_init=2, steps=3, landscape_samples=3,
                           definitions=("grad_var_readout",))
    values = {c: evaluate_run(arch, c, 7, settings)["grad_var_readout"] for c in PQC_CONFIGS}
    assert len(set(values.values())) == 1, values


def test_readout_definition_follows_the_trained_pre_network():
    settings = RunSettings(n_train=20, n_test=10, n_init=2, steps=5, landscape_samples=3,
                           learning_rate=0.2, definitions=("grad_var_readout",))
    q = evaluate_run(ARCH, "hybrid_quantum_only", 3, settings)["grad_var_readout"]
    f = evaluate_run(ARCH, "hybrid_full", 3, settings)["grad_var_readout"]
    assert q > 0 and f > 0 and q != f  # the trained pre-network moves the circuit's inputs


# ---------------------------------------------------------------------- budget and target
def test_loss_decrease_after_the_budget_and_steps_to_target_at_the_target():
    arch = Architecture(n_qubits=2, layers=1, classical_post="3-tanh")
    base = dict(n_train=24, n_test=10, n_init=3, steps=8, learning_rate=0.1,
                definitions=("loss_decrease", "steps_to_target"))
    ss = np.random.SeedSequence(5).spawn(7)
    model = HybridModel(arch, "hybrid_full", 2)
    task = model_task(load_task("synthetic", n_train=24, n_test=10,
                                seed=np.random.default_rng(ss[0])), arch)
    res = train(model, model.init_params(3, np.random.default_rng(ss[1])), task.x_train,
                task.y_train, steps=8, learning_rate=0.1)
    for budget in (1, 3, 8, 50):
        rec = evaluate_run(arch, "hybrid_full", 5, RunSettings(**base, budget_steps=budget))
        after = res.train_loss[min(budget, 8)]
        assert rec["loss_decrease"] == pytest.approx(
            np.mean((res.initial_loss - after) / res.initial_loss), rel=1e-12)
    from etr.metrics.trainability import steps_to_target

    for f in (0.05, 0.3):
        rec = evaluate_run(arch, "hybrid_full", 5, RunSettings(**base, target_fraction=f))
        want = steps_to_target(res.train_loss, fraction=f)
        assert rec["steps_to_target"] == want.steps
        assert rec["steps_to_target_censored"] == want.censored


def test_budget_and_target_default_to_the_task_registry(monkeypatch):
    import dataclasses

    from etr.plan import tasks

    info = tasks.TASKS["moons"]
    monkeypatch.setitem(tasks.TASKS, "moons", dataclasses.replace(
        info, targets={"hybrid_full": 0.4, "pure_pqc": 0.1}, budget_steps=7))
    s = RunSettings(task="moons", steps=30)
    assert s.target_for("hybrid_full") == 0.4 and s.target_for("pure_pqc") == 0.1
    assert s.target_for("classical_only") == tasks.DEFAULT_TARGET
    assert s.budget == 7 and s.target_fraction is None
    assert RunSettings(task="moons", steps=5).budget == 5  # never beyond the run
    explicit = RunSettings(task="moons", target_fraction=0.3, budget_steps=20)
    assert explicit.target_for("hybrid_full") == explicit.target_for("pure_pqc") == 0.3
    # evaluate_run reads the configuration's target
    arch = Architecture(n_qubits=2, layers=1)
    small = dict(task="moons", n_train=20, n_test=10, n_init=2, steps=8, learning_rate=0.1,
                 definitions=("steps_to_target",))
    for config, f in (("pure_pqc", 0.1), ("hybrid_full", 0.4)):
        got = evaluate_run(arch, config, 2, RunSettings(**small))
        want = evaluate_run(arch, config, 2, RunSettings(**small, target_fraction=f))
        assert got["steps_to_target"] == want["steps_to_target"]
    for name, t in tasks.TASKS.items():
        assert t.budget_steps >= 1, name
        assert all(0 < f <= 1 for f in t.targets.values()), name
        assert set(t.targets) <= set(TRAINING_CONFIGS), name


def test_minibatch_runs_record_the_training_loss_for_a_short_budget():
    settings = RunSettings(n_train=24, n_test=10, n_init=2, steps=6, batch_size=8,
                           budget_steps=2, definitions=("loss_decrease",))
    rec = evaluate_run(Architecture(n_qubits=2, layers=1), "pure_pqc", 3, settings)
    ss = np.random.SeedSequence(3).spawn(7)
    arch = Architecture(n_qubits=2, layers=1)
    model = HybridModel(arch, "pure_pqc", 2)
    task = model_task(load_task("synthetic", n_train=24, n_test=10,
                                seed=np.random.default_rng(ss[0])), arch)
    res = train(model, model.init_params(2, np.random.default_rng(ss[1])), task.x_train,
                task.y_train, steps=6, batch_size=8, seed=np.random.default_rng(ss[2]),
                record_train_loss=True)
    assert rec["loss_decrease"] == pytest.approx(
        np.mean((res.initial_loss - res.train_loss[2]) / res.initial_loss), rel=1e-12)
