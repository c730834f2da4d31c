"""Binary classification tasks for hybrid models, all offline from scikit-learn.

`load_task` returns a frozen `Task` whose features are ready for angle encoding:

1. draw (or load) the raw data set and split it, stratified, into ``n_train`` training and
   ``n_test`` test points (reproducible from `seed`);
2. standardise every feature with the mean and standard deviation of the *training split only*;
3. if the data set has more features than requested, project onto the first ``n_features``
   principal components (PCA fitted on the training split) and standardise again; if it has fewer,
   repeat the columns cyclically (feature ``j`` is raw column ``j mod d``);
4. squash to angles: ``x = 2 arctan(z)``, so every feature lies in the open interval (-pi, pi)
   and a standardised value of +-1 becomes +-pi/2.

The default task, ``"synthetic"``, is the controlled synthetic binary problem of the study's first
stage (Kashif & Shafique 2026): `sklearn.datasets.make_classification` with exactly
``n_features`` features (half of them, rounded up, informative; the rest redundant linear
combinations), one cluster per class and no label noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from etr._rng import SeedLike, as_generator
from etr._validation import check_choice, check_int
from etr.errors import InputError

__all__ = ["TASKS", "Task", "load_task"]

TASKS: tuple[str, ...] = ("synthetic", "moons", "circles", "iris", "breast_cancer", "digits")

#: size of the finite data sets (after keeping two classes); generated tasks have no limit.
_POOL_SIZE = {"iris": 100, "breast_cancer": 569, "digits": 360}


@dataclass(frozen=True, slots=True)
class Task:
    """A binary classification task with angle-ready features.

    Attributes
    ----------
    x_train, x_test : float arrays (n, n_features), every value in (-pi, pi) (read-only).
    y_train, y_test : int arrays (n,) of labels 0 / 1 (read-only).
    name : task name (one of `TASKS`).
    meta : how it was made: raw feature count, whether PCA or tiling was applied, seed, scaling.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: one row per point with columns ``split, label, x0 .. x{d-1}``."""
        cols = [f"x{j}" for j in range(self.n_features)]
        parts = []
        for split, x, y in (("train", self.x_train, self.y_train),
                            ("test", self.x_test, self.y_test)):
            df = pd.DataFrame(x, columns=cols)
            df.insert(0, "label", y)
            df.insert(0, "split", split)
            parts.append(df)
        return pd.concat(parts, ignore_index=True)


def load_task(
    name: str = "synthetic",
    *,
    n_features: int,
    n_train: int = 200,
    n_test: int = 200,
    seed: SeedLike = None,
) -> Task:
    """Load a binary classification task with ``n_features`` angle-encoded features.

    Parameters
    ----------
    name : one of ``"synthetic"`` (default, `make_classification`), ``"moons"``, ``"circles"``,
        ``"iris"`` (versicolor vs virginica, 100 points), ``"breast_cancer"`` (569 points),
        ``"digits"`` (0 vs 1, 360 points).
    n_features : number of features after PCA reduction or cyclic tiling (>= 1).
    n_train, n_test : sizes of the stratified training and test splits.
    seed : int, Generator or None; the draw of generated data sets and the split derive from it.

    Returns
    -------
    Task
        Features in (-pi, pi) (``2 arctan`` of training-standardised values), labels 0 / 1.

    Raises
    ------
    etr.errors.InputError
        Unknown task, non-positive sizes, more points than the data set holds, or more PCA
        components than training points.

    Examples
    --------
    >>> task = load_task("moons", n_features=4, n_train=20, n_test=10, seed=0)
    >>> task.x_train.shape, task.meta["tiled"]
    ((20, 4), True)
    >>> bool(abs(task.x_train).max() < 3.1416)
    True
    """
    check_choice("task", name, TASKS)
    n_features = check_int("n_features", n_features, minimum=1)
    n_train = check_int("n_train", n_train, minimum=4)
    n_test = check_int("n_test", n_test, minimum=2)
    rng = as_generator(seed)
    state = int(rng.integers(2**31 - 1))
    n_total = n_train + n_test
    pool = _POOL_SIZE.get(name)
    if pool is not None and n_total > pool:
        raise InputError(
            f"`n_train` + `n_test` = {n_total} exceeds the {pool} points of task {name!r}"
        )
    x, y = _raw(name, n_total if pool is None else None, n_features, state)
    x_tr, x_te, y_tr, y_te = _split(x, y, n_train, n_test, state)
    d_raw = x.shape[1]
    x_tr, x_te = _standardise(x_tr, x_te)
    pca = d_raw > n_features
    if pca:
        x_tr, x_te = _pca(x_tr, x_te, n_features)
        x_tr, x_te = _standardise(x_tr, x_te)
    tiled = d_raw < n_features
    if tiled:
        cols = np.arange(n_features) % d_raw
        x_tr, x_te = x_tr[:, cols], x_te[:, cols]
    arrays = [2.0 * np.arctan(x_tr), y_tr.astype(np.int64), 2.0 * np.arctan(x_te),
              y_te.astype(np.int64)]
    for a in arrays:
        a.setflags(write=False)
    meta = {"raw_features": int(d_raw), "pca": pca, "tiled": tiled, "seed_state": state,
            "scaling": "2*arctan(standardised)", "n_train": n_train, "n_test": n_test}
    return Task(*arrays, name=name, meta=meta)


def _raw(name: str, n: int | None, n_features: int, state: int) -> tuple[np.ndarray, np.ndarray]:
    """The raw data set (two classes, labels 0 / 1)."""
    from sklearn import datasets

    if name == "synthetic":
        informative = math.ceil(n_features / 2)
        return datasets.make_classification(
            n_samples=n, n_features=n_features, n_informative=informative,
            n_redundant=n_features - informative, n_repeated=0, n_classes=2,
            n_clusters_per_class=1, flip_y=0.0, class_sep=1.0, random_state=state,
        )
    if name == "moons":
        return datasets.make_moons(n_samples=n, noise=0.1, random_state=state)
    if name == "circles":
        return datasets.make_circles(n_samples=n, noise=0.1, factor=0.5, random_state=state)
    if name == "iris":
        x, y = datasets.load_iris(return_X_y=True)
        keep = y > 0
        return x[keep], (y[keep] == 2).astype(np.int64)
    if name == "breast_cancer":
        return datasets.load_breast_cancer(return_X_y=True)
    x, y = datasets.load_digits(n_class=2, return_X_y=True)
    return x, y


def _split(x: np.ndarray, y: np.ndarray, n_train: int, n_test: int, state: int):
    from sklearn.model_selection import train_test_split

    try:
        return train_test_split(x, y, train_size=n_train, test_size=n_test, stratify=y,
                                random_state=state)
    except ValueError as exc:
        raise InputError(f"`n_train`/`n_test` cannot be split stratified: {exc}") from None


def _standardise(x_tr: np.ndarray, x_te: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x_tr.mean(axis=0)
    std = x_tr.std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)  # constant columns (e.g. blank digit pixels)
    return (x_tr - mean) / std, (x_te - mean) / std


def _pca(x_tr: np.ndarray, x_te: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    if k > x_tr.shape[0]:
        raise InputError(
            f"`n_features` = {k} PCA components need at least as many training points "
            f"(`n_train` = {x_tr.shape[0]})"
        )
    from sklearn.decomposition import PCA

    pca = PCA(n_components=k, svd_solver="full").fit(x_tr)
    return pca.transform(x_tr), pca.transform(x_te)
