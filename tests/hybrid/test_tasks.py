from __future__ import annotations

import numpy as np
import pytest

from etr.errors import InputError
from etr.hybrid.tasks import TASKS, load_task


@pytest.mark.parametrize("name", TASKS)
def test_shapes_range_labels(name):
    task = load_task(name, n_features=3, n_train=40, n_test=20, seed=1)
    assert task.x_train.shape == (40, 3) and task.x_test.shape == (20, 3)
    assert set(np.unique(task.y_train)) == {0, 1}
    assert np.all(np.abs(task.x_train) < np.pi) and np.all(np.abs(task.x_test) < np.pi)
    # stratified split: class balance of the training split matches the pool (within one point)
    assert abs(task.y_train.mean() - task.y_test.mean()) < 0.1
    assert not task.x_train.flags.writeable


def test_reproducible_from_seed():
    a = load_task("synthetic", n_features=4, n_train=30, n_test=10, seed=7)
    b = load_task("synthetic", n_features=4, n_train=30, n_test=10, seed=7)
    c = load_task("synthetic", n_features=4, n_train=30, n_test=10, seed=8)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.allclose(a.x_train, c.x_train)


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


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"name": "mnist", "n_features": 2}, "`task`"),
        ({"name": "iris", "n_features": 2}, "`n_train`"),  # 200 + 200 > 100 points
        ({"name": "digits", "n_features": 20, "n_train": 10, "n_test": 10}, "`n_features`"),
        ({"name": "synthetic", "n_features": 0}, "`n_features`"),
        ({"name": "synthetic", "n_features": 2, "n_train": 0}, "`n_train`"),
    ],
)
def test_bad_input(kwargs, needle):
    name = kwargs.pop("name")
    with pytest.raises(InputError, match=needle):
        load_task(name, **kwargs)
