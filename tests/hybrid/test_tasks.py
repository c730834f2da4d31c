from __future__ import annotations

import numpy as np
import pytest

from etr.errors import InputError
from etr.hybrid.tasks import (
    PARITY_ORDER,
    TASKS,
    TEACHER_LAYERS,
    Task,
    encoding_features,
    load_task,
    teacher_labels,
)


@pytest.mark.parametrize("name", TASKS)
def test_shapes_range_labels(name):
    task = load_task(name, n_features=3, n_train=40, n_test=20, seed=1)
    assert task.x_train.shape == (40, 3) and task.x_test.shape == (20, 3)
    assert set(np.unique(task.y_train)) == {0, 1}
    assert np.all(np.abs(task.x_train) < np.pi) and np.all(np.abs(task.x_test) < np.pi)
    # stratified split: class balance of the training split matches the pool (within one point)
    assert abs(task.y_train.mean() - task.y_test.mean()) < 0.1
    assert not task.x_train.flags.writeable


@pytest.mark.parametrize("name", TASKS)
def test_default_dimension_is_the_registered_one(name):
    info = TASKS[name]
    n = 40 if info.pool is None or info.pool >= 60 else 30
    task = load_task(name, n_train=n, n_test=20, seed=2)
    assert task.n_features == info.n_features
    assert task.meta["encoding_map"]


def test_reproducible_from_seed():
    a = load_task("synthetic", n_features=4, n_train=30, n_test=10, seed=7)
    b = load_task("synthetic", n_features=4, n_train=30, n_test=10, seed=7)
    c = load_task("synthetic", n_features=4, n_train=30, n_test=10, seed=8)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.allclose(a.x_train, c.x_train)


@pytest.mark.parametrize("name", ["synthetic", "teacher", "parity", "digits"])
def test_task_id_identifies_the_instance(name):
    a = load_task(name, n_train=40, n_test=20, seed=np.random.default_rng(3))
    b = load_task(name, n_train=40, n_test=20, seed=3)
    assert a.task_id == b.task_id and len(a.task_id) == 12
    assert load_task(name, n_train=40, n_test=20, seed=4).task_id != a.task_id
    # the id is a function of the arrays alone: rebuilding the Task gives it again
    again = Task(a.x_train, a.y_train, a.x_test, a.y_test, name="anything")
    assert again.task_id == a.task_id
    # ... and any change of features, labels or split changes it
    y = a.y_train.copy()
    y[0] = 1 - y[0]
    assert Task(a.x_train, y, a.x_test, a.y_test, name=name).task_id != a.task_id
    x = a.x_train.copy()
    x[0, 0] += 1e-6
    assert Task(x, a.y_train, a.x_test, a.y_test, name=name).task_id != a.task_id
    moved = Task(a.x_train[1:], a.y_train[1:], np.vstack([a.x_test, a.x_train[:1]]),
                 np.concatenate([a.y_test, a.y_train[:1]]), name=name)
    assert moved.task_id != a.task_id


def test_task_id_ignores_rounding_noise_below_1e9():
    a = load_task("synthetic", n_train=20, n_test=10, seed=0)
    # a perturbation far below the 1e-9 grid (and away from its midpoints) keeps the id
    noisy = a.x_train + 1e-14
    assert Task(noisy, a.y_train, a.x_test, a.y_test, name="synthetic").task_id == a.task_id


def test_standardised_with_training_statistics_only():
    task = load_task("synthetic", n_features=5, n_train=60, n_test=30, seed=3)
    z_train = np.tan(task.x_train / 2)
    z_test = np.tan(task.x_test / 2)
    np.testing.assert_allclose(z_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z_train.std(axis=0), 1, atol=1e-12)
    assert np.abs(z_test.mean(axis=0)).max() > 1e-6  # test split not re-standardised
    assert not task.meta["pca"] and not task.meta["tiled"]


def test_pca_matches_independent_svd():
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    task = load_task("breast_cancer", n_features=3, n_train=100, n_test=50, seed=5)
    assert task.meta["pca"] and task.meta["raw_features"] == 30
    x, y = load_breast_cancer(return_X_y=True)
    x_tr, _, _, _ = train_test_split(x, y, train_size=100, test_size=50, stratify=y,
                                     random_state=task.meta["seed_state"])
    z = (x_tr - x_tr.mean(0)) / x_tr.std(0)
    _, _, vt = np.linalg.svd(z, full_matrices=False)
    proj = z @ vt[:3].T
    proj = proj / proj.std(0)
    got = np.tan(task.x_train / 2)
    for j in range(3):  # principal axes are defined up to sign
        corr = np.corrcoef(proj[:, j], got[:, j])[0, 1]
        assert abs(corr) == pytest.approx(1.0, abs=1e-8)


def test_tiling_repeats_columns_cyclically():
    task = load_task("moons", n_features=5, n_train=20, n_test=10, seed=0)
    assert task.meta["tiled"]
    np.testing.assert_array_equal(task.x_train[:, 0], task.x_train[:, 2])
    np.testing.assert_array_equal(task.x_train[:, 0], task.x_train[:, 4])
    np.testing.assert_array_equal(task.x_train[:, 1], task.x_train[:, 3])
    assert not np.allclose(task.x_train[:, 0], task.x_train[:, 1])


def test_digits_are_zero_vs_one_and_iris_two_classes():
    d = load_task("digits", n_features=8, n_train=100, n_test=50, seed=0)
    assert d.meta["raw_features"] == 64
    i = load_task("iris", n_features=4, n_train=60, n_test=40, seed=0)
    assert i.meta["raw_features"] == 4 and not i.meta["pca"]


def test_to_frame_is_tidy():
    task = load_task("circles", n_features=2, n_train=10, n_test=6, seed=0)
    df = task.to_frame()
    assert list(df.columns) == ["split", "label", "x0", "x1"]
    assert (df["split"] == "train").sum() == 10 and len(df) == 16


# ---------------------------------------------------------------------- angle tasks
def _rot(p: str, t: float) -> np.ndarray:
    c, s = np.cos(t / 2), np.sin(t / 2)
    return {"X": np.array([[c, -1j * s], [-1j * s, c]]),
            "Y": np.array([[c, -s], [s, c]], dtype=complex),
            "Z": np.array([[np.exp(-1j * t / 2), 0], [0, np.exp(1j * t / 2)]])}[p]


def _on(n: int, q: int, u: np.ndarray) -> np.ndarray:
    out = np.array([[1.0 + 0j]])
    for k in range(n):
        out = np.kron(out, u if k == q else np.eye(2))
    return out


def _teacher_by_hand(x: np.ndarray, theta: np.ndarray, layers: int) -> float:
    """Dense-matrix statevector of the documented teacher; qubit 0 most significant."""
    n = len(x)
    psi = np.zeros(2**n, dtype=complex)
    psi[0] = 1.0
    for q in range(n):
        psi = _on(n, q, _rot("Y", x[q])) @ psi
    bits = (np.arange(2**n)[:, None] >> (n - 1 - np.arange(n))) & 1
    pos = 0
    for _ in range(layers):
        for q in range(n):
            for p in "XYZ":
                psi = _on(n, q, _rot(p, theta[pos])) @ psi
                pos += 1
        pairs = [(q, (q + 1) % n) for q in range(n)] if n > 2 else [(0, 1)]
        for a, b in pairs:
            psi = np.where(bits[:, a] & bits[:, b], -psi, psi)
    z0 = 1 - 2 * bits[:, 0]
    return float(np.sum(np.abs(psi) ** 2 * z0))


def test_teacher_labels_match_a_dense_matrix_simulation():
    rng = np.random.default_rng(0)
    x = rng.uniform(-np.pi, np.pi, size=(6, 4))
    f, theta = teacher_labels(x, layers=2, seed=1)
    assert theta.shape == (2 * 4 * 3,)
    expected = [_teacher_by_hand(row, theta, 2) for row in x]
    np.testing.assert_allclose(f, expected, atol=1e-12)


def test_teacher_task_labels_are_its_teacher_above_the_median():
    task = load_task("teacher", n_train=60, n_test=40, seed=11)
    assert task.meta["teacher_layers"] == TEACHER_LAYERS
    theta = np.array(task.meta["teacher_params"])
    x = np.vstack([task.x_train, task.x_test])
    y = np.concatenate([task.y_train, task.y_test])
    f = np.array([_teacher_by_hand(row, theta, TEACHER_LAYERS) for row in x])
    assert y.sum() == len(y) // 2  # balanced by the median threshold
    np.testing.assert_array_equal(y, (f > np.median(f)).astype(int))
    assert np.all(np.abs(x) < np.pi)


def test_parity_is_the_xor_of_the_obtuse_angle_bits():
    task = load_task("parity", n_train=200, n_test=100, seed=2)
    x = np.vstack([task.x_train, task.x_test])
    y = np.concatenate([task.y_train, task.y_test])
    bits = (np.abs(x[:, :PARITY_ORDER]) > np.pi / 2).astype(int)
    np.testing.assert_array_equal(y, 1 - bits.sum(axis=1) % 2)
    assert 0.4 < y.mean() < 0.6
    # the fourth feature is irrelevant: uniform, independent of the label
    assert abs(np.corrcoef(np.abs(x[:, 3]), y)[0, 1]) < 0.2


# ---------------------------------------------------------------------- encoding map
def _breast_cancer_by_hand(task, width):
    """Independent reconstruction: the same split, hand standardisation, numpy SVD."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    x, y = load_breast_cancer(return_X_y=True)
    x_tr, x_te, _, _ = train_test_split(x, y, train_size=task.meta["n_train"],
                                        test_size=task.meta["n_test"], stratify=y,
                                        random_state=task.meta["seed_state"])
    mean, std = x_tr.mean(0), x_tr.std(0)
    z_tr, z_te = (x_tr - mean) / std, (x_te - mean) / std
    _, _, vt = np.linalg.svd(z_tr - z_tr.mean(0), full_matrices=False)
    p_tr, p_te = z_tr @ vt[:width].T, z_te @ vt[:width].T
    m, s = p_tr.mean(0), p_tr.std(0)
    return (p_tr - m) / s, (p_te - m) / s


@pytest.mark.parametrize("width", [3, 8, 10])
def test_encoding_features_reduce_the_raw_features_fitted_on_train(width):
    task = load_task("breast_cancer", n_train=120, n_test=60, seed=5)
    enc = encoding_features(task, width)
    assert enc.method == "pca" and enc.meta["from"] == "raw" and enc.x_train.shape[1] == width
    want_tr, want_te = _breast_cancer_by_hand(task, width)
    got_tr, got_te = np.tan(enc.x_train / 2), np.tan(enc.x_test / 2)
    sign = np.sign(np.sum(got_tr * want_tr, axis=0))  # principal axes: up to sign
    np.testing.assert_allclose(got_tr, want_tr * sign, atol=1e-8)
    np.testing.assert_allclose(got_te, want_te * sign, atol=1e-8)
    if width == 8:  # the task's own features are this map at n_features
        np.testing.assert_array_equal(enc.x_train, task.x_train)
        np.testing.assert_array_equal(enc.x_test, task.x_test)


def test_encoding_features_identity_and_tile_of_the_raw_features():
    task = load_task("synthetic", n_train=60, n_test=30, seed=4)
    ident = encoding_features(task, 8)
    assert ident.method == "identity"
    np.testing.assert_array_equal(ident.x_train, task.x_train)
    tile = encoding_features(task, 10)
    assert tile.method == "tile" and tile.meta["columns"] == [0, 1, 2, 3, 4, 5, 6, 7, 0, 1]
    np.testing.assert_array_equal(tile.x_test[:, 9], task.x_test[:, 1])
    x_tr, x_te = encoding_features(task, 3)  # unpacks as (x_train, x_test)
    assert x_tr.shape == (60, 3) and x_te.shape == (30, 3)
    assert np.all(np.abs(x_tr) < np.pi) and not x_tr.flags.writeable


@pytest.mark.parametrize("name", ["teacher", "parity"])
def test_angle_tasks_are_truncated_or_tiled_never_rotated(name):
    task = load_task(name, n_train=40, n_test=20, seed=1)
    trunc = encoding_features(task, 3)
    assert trunc.method == "truncate" and trunc.meta["columns"] == [0, 1, 2]
    np.testing.assert_array_equal(trunc.x_train, task.x_train[:, :3])
    tile = encoding_features(task, 6)
    assert tile.method == "tile"
    np.testing.assert_array_equal(tile.x_test[:, 5], task.x_test[:, 1])
    assert encoding_features(task, 4).method == "identity"


@pytest.mark.parametrize("width", [3, 8, 12])
def test_nothing_of_the_test_split_reaches_the_training_features(width):
    """Changing test points changes neither a training feature nor another test point's map."""
    a = load_task("digits_1v8", n_train=100, n_test=80, seed=3)
    z_tr, z_te = a.source
    z_te2 = z_te.copy()
    z_te2[:40] = z_te2[:40] * 3.0 + 1.0
    b = Task(a.x_train, a.y_train, a.x_test, a.y_test, name=a.name, source=(z_tr, z_te2))
    ea, eb = encoding_features(a, width), encoding_features(b, width)
    np.testing.assert_array_equal(ea.x_train, eb.x_train)
    np.testing.assert_array_equal(ea.x_test[40:], eb.x_test[40:])
    assert not np.allclose(ea.x_test[:40], eb.x_test[:40])
    # ... and load_task's standardisation uses training statistics only
    np.testing.assert_allclose(z_tr.mean(0), 0, atol=1e-12)
    assert np.abs(z_te.mean(0)).max() > 1e-3


def test_angle_encoding_features_do_not_depend_on_the_test_split():
    a = load_task("teacher", n_train=60, n_test=30, seed=4)
    b = Task(a.x_train, a.y_train, a.x_test[:10] * 0.5, a.y_test[:10], name="teacher")
    np.testing.assert_array_equal(encoding_features(a, 3).x_train,
                                  encoding_features(b, 3).x_train)


@pytest.mark.parametrize(("name", "raw", "pool"), [("breast_cancer", 30, 569),
                                                   ("digits_1v8", 64, 356), ("wine", 13, 178)])
def test_real_data_sets_and_their_test_size(name, raw, pool):
    task = load_task(name, n_train=150, n_test=500, seed=0)
    assert task.meta["raw_features"] == raw and task.meta["pca"]
    assert task.meta["n_test"] == pool - 150 == task.x_test.shape[0]
    assert task.source[0].shape == (150, raw)
    y = np.concatenate([task.y_train, task.y_test])
    assert 0.25 < y.mean() < 0.75


def test_wine_and_digits_pairs_are_the_registered_classes():
    from sklearn.datasets import load_digits, load_wine

    _, y = load_wine(return_X_y=True)
    task = load_task("wine", n_train=100, n_test=78, seed=0)
    assert int(task.y_train.sum() + task.y_test.sum()) == int((y == 2).sum())
    _, y = load_digits(return_X_y=True)
    task = load_task("digits_1v8", n_train=200, n_test=156, seed=0)
    assert int(task.y_train.sum() + task.y_test.sum()) == int((y == 8).sum())
    assert task.x_train.shape[0] + task.x_test.shape[0] == int(((y == 1) | (y == 8)).sum())


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"name": "mnist", "n_features": 2}, "`task`"),
        ({"name": "iris", "n_features": 2}, "`n_train`"),  # 200 training > 100 points
        ({"name": "wine", "n_train": 177}, "`n_train`"),  # leaves 1 test point
        ({"name": "digits", "n_features": 20, "n_train": 10, "n_test": 10}, "`n_features`"),
        ({"name": "synthetic", "n_features": 0}, "`n_features`"),
        ({"name": "synthetic", "n_features": 2, "n_train": 0}, "`n_train`"),
        ({"name": "teacher", "n_features": 13}, "`n_features`"),
        ({"name": "parity", "n_features": 2}, "`n_features`"),
    ],
)
def test_bad_input(kwargs, needle):
    name = kwargs.pop("name")
    with pytest.raises(InputError, match=needle):
        load_task(name, **kwargs)


def test_encoding_features_bad_input():
    task = load_task("synthetic", n_train=20, n_test=10, seed=0)
    with pytest.raises(InputError, match="`width`"):
        encoding_features(task, 0)
    with pytest.raises(InputError, match="`task`"):
        encoding_features(task.x_train, 4)


@pytest.mark.slow
def test_parity_without_a_pre_network_is_a_positive_control():
    """The hybrid beats the classical-only control on parity when the circuit reads the angles
    itself: over 6 task instances the interval of the gap lies above 0 (the pilot measured
    about +27 points at 4-6 qubits; this is a smaller, faster version of it)."""
    import warnings

    import pandas as pd

    from etr.analysis import control_gap
    from etr.experiment import run_seed, task_seed
    from etr.hybrid import evaluate_run
    from etr.plan import Architecture, RunSettings

    settings = RunSettings(task="parity", n_train=100, n_test=100, n_init=2, steps=60,
                           learning_rate=0.1, definitions=("loss_decrease",))
    arch = Architecture(n_qubits=4, layers=2, topology="linear", classical_post="8-tanh")
    rows = []
    for inst in range(6):
        ts = task_seed(2026, "parity", inst)
        for config, model in (("hybrid_full", arch.architecture_id),
                              ("classical_only", arch.control_id)):
            rec = evaluate_run(arch, config, run_seed(2026, model, 0, inst), settings, ts)
            rows.append({**rec, "seed": 0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gap = control_gap(pd.DataFrame(rows), configs="hybrid_full", seed=0).iloc[0]
    assert gap["n_clusters"] == 6
    assert gap["ci_low"] > 0.05, gap
