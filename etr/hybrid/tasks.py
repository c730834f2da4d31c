"""Binary classification tasks for hybrid models: one task instance per (task, settings, seed).

A *task instance* is the features, the labels and the train/test split. `load_task` makes it from
the task name, its settings (``n_features``, ``n_train``, ``n_test``) and a seed, and from nothing
else: the width of the circuit that will be trained on it plays no part. A study seeds it from
(root seed, task, instance number) (`etr.experiment.grid.task_seed`), so every architecture and
training configuration trained on that instance sees the same data; `Task.task_id`, a short hash
of the instance, makes that sharing checkable in a dataset.

Every task has a fixed feature dimension (`TaskInfo.n_features`, e.g. 8 for ``synthetic``) and
features that are angles in (-pi, pi). How a model of a given width sees them:

* a classical pre-network takes the ``n_features`` task features and outputs the encoding's
  angles (`etr.hybrid.HybridModel`);
* ``pure_pqc`` and a ``"none"`` pre-network feed the encoding directly, through the fixed map
  `encoding_features` to the encoding's width (below).

The registry `TASKS` (pure data, `etr.plan.tasks`) describes each task once (feature dimension,
data-set size, how it is made, its measured difficulty and its measured convergence target and
budget).

Data-set tasks (``synthetic``, ``moons``, ``circles``, ``iris``, ``breast_cancer``, ``digits``,
``digits_1v8``, ``wine``)
----------------------------------------------------------------------------------------------
1. draw (or load) the raw data set and split it, stratified, into ``n_train`` training and
   ``n_test`` test points (reproducible from `seed`); a finite data set (`TaskInfo.pool`) that
   holds fewer than ``n_train + n_test`` points keeps ``n_train`` and tests on the rest
   (``meta["n_test"]``);
2. standardise every raw feature with the mean and standard deviation of the *training split
   only* (``Task.source``: the standardised raw features);
3. reduce to ``d`` columns (`reduce_features`): if the data set has more raw features than ``d``,
   project onto the first ``d`` principal components (PCA fitted on the training split) and
   standardise them again with training statistics; if it has fewer, repeat the columns
   cyclically (column ``j`` is raw feature ``j mod d_raw``);
4. squash to angles: ``x = 2 arctan(z)``, so a standardised value of +-1 becomes +-pi/2.

The task features are steps 3-4 with ``d = n_features``. `encoding_features` applies the same
steps 3-4 to ``Task.source`` with ``d`` = the encoding width, so a circuit of any width sees the
data reduced to its own input width *from the raw features* (a 10-qubit circuit gets 10 principal
components of the 30 breast-cancer features, not 8 components tiled); at ``d = n_features`` both
give the same array. Every statistic of steps 2-3 (means, deviations, principal axes) is fitted
on the training split alone, so no test point influences a training feature or the map applied
to the test points.

``synthetic`` is the controlled synthetic problem of the study's first stage (Kashif & Shafique
2026): `sklearn.datasets.make_classification` with ``n_features`` features (half of them, rounded
up, informative; the rest redundant linear combinations), one cluster per class, no label noise.
It is nearly linearly separable (logistic regression 0.94 test accuracy): the easy baseline, on
which the classical parts do the work.

Real data (shipped with scikit-learn, no download): ``breast_cancer`` (Wisconsin diagnostic,
569 points, 30 features), ``digits_1v8`` (8 x 8 images of the digits 1 and 8, 356 points, 64
pixels; of ten digit pairs tried with logistic regression on 2-8 principal components the
hardest, 0.94 on its 8 task features), ``wine``
(cultivar 2 against the other two, 178 points, 13 features) and ``digits`` (0 vs 1, trivially
separable), ``iris`` (versicolor vs virginica, 100 points).

Angle tasks (``teacher``, ``parity``): tasks on which the PQC matters
---------------------------------------------------------------------
Features are angles drawn uniformly on the circle, ``x ~ U(-pi, pi)^d`` (no standardisation: the
labels are 2 pi-periodic in every feature, and the circle is the natural feature space of an angle
encoding). Labels are a deterministic function of the features (Bayes accuracy 1):

``teacher`` (quantum-generated labels)
    A random teacher PQC on the ``d = 4`` features: ``ry`` encoding of feature ``j`` on qubit
    ``j``, then `TEACHER_LAYERS` = 3 hardware-efficient layers (RX, RY, RZ on every qubit, CZ
    ring) with parameters uniform in [0, 2 pi) drawn from the seed, readout ``f(x) = <Z_0>``;
    label = ``f(x) > median of f`` over the drawn points (classes balance). Every instance has its
    own teacher.
``parity``
    label = ``prod_{j < 3} cos(x_j) > 0``: the parity of the three bits ``|x_j| > pi/2``, with a
    fourth, irrelevant feature. ``<Z_0 Z_1 Z_2>`` of the ``ry`` encoding alone is this product.

`encoding_features` keeps the angles on the circle: the first ``width`` features when the
encoding takes fewer angles than there are features (a rotation of the torus, as PCA would make,
has no meaning for angles), cyclic tiling when it takes more.

What makes them hard for the classical parts is the circle: a classical network on the raw
angles must learn periodic boundaries (logistic regression 0.60 / 0.51, an MLP with 8 tanh units
0.71 / 0.52 on teacher / parity), while the same MLP on the periodic embedding (cos x, sin x)
reaches 0.86 on both. A PQC's angle encoding supplies that embedding; with a ``"none"``
pre-network the hybrid beats the classical-only control on these tasks, and loses that edge
behind a trained ``"8-tanh"`` pre-network: ``parity`` without a pre-network is the positive
control of a study (measured gaps with their intervals in ``TASKS[name].difficulty`` and
``benchmarks/README.md``).

References
----------
Kashif & Shafique 2026, arXiv 2605.25768 (the synthetic first stage).
Pedregosa et al. 2011, JMLR 12, 2825 (scikit-learn data sets, PCA, splits).
Street, Wolberg & Mangasarian 1993 (Wisconsin breast cancer); Alpaydin & Kaynak 1998 (optical
digits); Aeberhard, Coomans & de Vel 1992 (wine): the UCI sets as scikit-learn ships them.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from etr._rng import SeedLike, as_generator
from etr._validation import check_choice, check_int
from etr.errors import InputError
from etr.plan.tasks import DEFAULT_TARGET, TASKS, TaskInfo

__all__ = [
    "DEFAULT_TARGET",
    "ENCODING_MAPS",
    "PARITY_ORDER",
    "TASKS",
    "TEACHER_LAYERS",
    "EncodingFeatures",
    "Task",
    "TaskInfo",
    "encoding_features",
    "instance_id",
    "load_task",
    "reduce_features",
    "teacher_labels",
]

#: hardware-efficient layers of the ``teacher`` task's random PQC.
TEACHER_LAYERS = 3
#: number of features whose cosines' sign parity labels the ``parity`` task.
PARITY_ORDER = 3
#: largest teacher width (its labels are simulated on ``2**n`` amplitudes per point).
_MAX_TEACHER_QUBITS = 12
#: the fixed maps of `encoding_features` (and of `reduce_features`).
ENCODING_MAPS: tuple[str, ...] = ("identity", "pca", "tile", "truncate")
_DATASET_RULE = ("from the training-standardised raw features: PCA to the width fitted on the "
                 "training split (then training-standardised) when the width is smaller than the "
                 "raw feature count, the identity when equal, cyclic tiling when larger; then "
                 "2*arctan")
_ANGLE_RULE = ("the first `width` angle features when the width is smaller than n_features, the "
               "identity when equal, cyclic tiling (column j = feature j mod n_features) when "
               "larger")


@dataclass(frozen=True, slots=True)
class Task:
    """One instance of a binary classification task, with angle features.

    Attributes
    ----------
    x_train, x_test : float arrays (n, n_features), every value in (-pi, pi) (read-only).
    y_train, y_test : int arrays (n,) of labels 0 / 1 (read-only).
    name : task name (a key of `TASKS`).
    meta : how it was made: raw feature count, whether PCA or tiling was applied, seed state,
        scaling, and ``encoding_map`` (how `encoding_features` maps it to a width).
    task_id : 12 hex digits hashing the instance (features, labels, split; rounded to 1e-9 so
        that rounding noise of a different BLAS does not change it); computed if not given.
    source : ``(train, test)`` raw features standardised with training statistics (read-only),
        what `encoding_features` reduces to a width; None for the angle tasks and for a Task
        built from arrays alone. Derived from the same draw and split as the features, so it is
        not part of the id.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    meta: dict = field(default_factory=dict, compare=False)
    task_id: str = ""
    source: tuple[np.ndarray, np.ndarray] | None = field(default=None, compare=False,
                                                          repr=False)

    def __post_init__(self) -> None:
        if not self.task_id:
            object.__setattr__(self, "task_id", instance_id(self.x_train, self.y_train,
                                                            self.x_test, self.y_test))

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


def instance_id(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                y_test: np.ndarray) -> str:
    """12-hex-digit SHA-256 of the arrays (shapes, features rounded to 1e-9, labels)."""
    h = hashlib.sha256()
    for a in (x_train, x_test):
        a = np.ascontiguousarray(np.round(np.asarray(a, dtype=np.float64), 9) + 0.0)
        h.update(repr(a.shape).encode())
        h.update(a.astype("<f8").tobytes())
    for a in (y_train, y_test):
        a = np.ascontiguousarray(np.asarray(a, dtype=np.int64))
        h.update(repr(a.shape).encode())
        h.update(a.astype("<i8").tobytes())
    return h.hexdigest()[:12]


def load_task(
    name: str = "synthetic",
    *,
    n_features: int | None = None,
    n_train: int = 200,
    n_test: int = 200,
    seed: SeedLike = None,
) -> Task:
    """Load one instance of a binary classification task; it depends only on its arguments.

    Parameters
    ----------
    name : a key of `TASKS`: ``"synthetic"`` (default, `make_classification`), ``"moons"``,
        ``"circles"``, ``"iris"`` (versicolor vs virginica, 100 points), ``"breast_cancer"``
        (569 points), ``"digits"`` (0 vs 1, 360 points), ``"teacher"`` (labels of a random
        teacher PQC), ``"parity"`` (parity of the signs of three cosines).
    n_features : int or None
        Feature dimension; None = the task's default ``TASKS[name].n_features`` (the same for
        every circuit width: map it to a width with `encoding_features`). For ``teacher`` it is
        the teacher's width (at most 12), for ``parity`` at least 3.
    n_train, n_test : sizes of the stratified training and test splits. A finite data set
        (`TaskInfo.pool`) with fewer than ``n_train + n_test`` points tests on the points the
        training split leaves (``meta["n_test"]`` records how many).
    seed : int, Generator or None; the draw (data, teacher) and the split derive from it.

    Returns
    -------
    Task
        Features in (-pi, pi), labels 0 / 1, ``task_id`` the hash of the instance.

    Raises
    ------
    etr.errors.InputError
        Unknown task, non-positive sizes, a training split that leaves fewer than 2 test points
        of a finite data set, more PCA components than training points, a too wide teacher or a
        too narrow parity task.

    Notes
    -----
    Seeding a study: derive the seed from (root seed, task, instance number) only, e.g.
    ``SeedSequence(root_seed, spawn_key=(domain, instance, *task-name words))``; then every
    architecture and configuration trained on that instance shares it and its ``task_id``.

    Examples
    --------
    >>> task = load_task("moons", n_train=20, n_test=10, seed=0)
    >>> task.x_train.shape, task.name, len(task.task_id)
    ((20, 2), 'moons', 12)
    >>> load_task("moons", n_train=20, n_test=10, seed=0).task_id == task.task_id
    True
    >>> teacher = load_task("teacher", n_train=40, n_test=20, seed=1)
    >>> teacher.n_features, float(teacher.y_train.mean())
    (4, 0.5)
    """
    check_choice("task", name, TASKS)
    info = TASKS[name]
    n_features = info.n_features if n_features is None else check_int(
        "n_features", n_features, minimum=1)
    n_train = check_int("n_train", n_train, minimum=4)
    n_test = check_int("n_test", n_test, minimum=2)
    rng = as_generator(seed)
    source = None
    if info.kind == "angles":
        x_tr, y_tr, x_te, y_te, meta = _angle_task(name, n_features, n_train, n_test, rng)
        rule = _ANGLE_RULE
    else:
        if info.pool is not None:
            n_test = _test_size(name, info.pool, n_train, n_test)
        x_tr, y_tr, x_te, y_te, meta, source = _dataset_task(name, n_features, n_train, n_test,
                                                             rng)
        source = tuple(_frozen(a) for a in source)
        rule = _DATASET_RULE
    arrays = [_frozen(a) for a in (x_tr, y_tr.astype(np.int64), x_te, y_te.astype(np.int64))]
    meta.update(n_train=n_train, n_test=n_test, encoding_map=rule)
    return Task(*arrays, name=name, meta=meta, source=source)


def _frozen(a: np.ndarray) -> np.ndarray:
    out = np.array(a, order="C")
    out.setflags(write=False)
    return out


def _test_size(name: str, pool: int, n_train: int, n_test: int) -> int:
    """The test-split size of a finite data set: `n_test`, or the points `n_train` leaves."""
    if n_train + n_test <= pool:
        return n_test
    if pool - n_train < 2:
        raise InputError(f"`n_train` = {n_train} leaves fewer than 2 test points of the {pool} "
                         f"points of task {name!r}")
    return pool - n_train


# ---------------------------------------------------------------------- data-set tasks
def _dataset_task(name: str, n_features: int, n_train: int, n_test: int,
                  rng: np.random.Generator):
    state = int(rng.integers(2**31 - 1))
    pool = TASKS[name].pool
    x, y = _raw(name, n_train + n_test if pool is None else None, n_features, state)
    x_tr, x_te, y_tr, y_te = _split(x, y, n_train, n_test, state)
    d_raw = x.shape[1]
    z_tr, z_te = _standardise(x_tr, x_te)
    f_tr, f_te, method, _ = reduce_features(z_tr, z_te, n_features, arg="n_features")
    meta = {"raw_features": int(d_raw), "pca": method == "pca", "tiled": method == "tile",
            "seed_state": state, "scaling": "2*arctan(standardised)"}
    return (2.0 * np.arctan(f_tr), y_tr, 2.0 * np.arctan(f_te), y_te, meta, (z_tr, z_te))


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
    if name == "wine":
        x, y = datasets.load_wine(return_X_y=True)
        return x, (y == 2).astype(np.int64)
    if name == "digits_1v8":
        x, y = datasets.load_digits(return_X_y=True)
        keep = (y == 1) | (y == 8)
        return x[keep], (y[keep] == 8).astype(np.int64)
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


def reduce_features(z_train: np.ndarray, z_test: np.ndarray, width: int, *,
                    arg: str = "width") -> tuple[np.ndarray, np.ndarray, str, dict]:
    """Map standardised features to `width` columns with a map fitted on the training split.

    Step 3 of a data-set task (see the module notes): PCA to `width` components fitted on
    `z_train` and standardised with the training components' statistics when there are more
    columns than `width`; the identity when as many; cyclic tiling (column ``j`` is column
    ``j mod d``) when fewer. Nothing of `z_test` enters the map, so changing a test point changes
    only its own row.

    Parameters
    ----------
    z_train, z_test : float arrays (n, d), standardised with training statistics.
    width : int >= 1, the number of output columns.
    arg : the argument name an error message names.

    Returns
    -------
    (train, test, method, meta)
        The reduced arrays (unsquashed), ``"pca"``, ``"identity"`` or ``"tile"``, and
        ``explained_variance_ratio`` (PCA) or ``columns`` (identity, tiling).

    Raises
    ------
    etr.errors.InputError
        More PCA components than training points.

    Examples
    --------
    >>> z = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    >>> train, test, method, meta = reduce_features(z, z[:1], 3)
    >>> method, meta["columns"], train.shape
    ('tile', [0, 1, 0], (4, 3))
    >>> reduce_features(z, z[:1], 1)[2]
    'pca'
    """
    d = z_train.shape[1]
    if width == d:
        return z_train, z_test, "identity", {"columns": list(range(d))}
    if width > d:
        cols = np.arange(width) % d
        return z_train[:, cols], z_test[:, cols], "tile", {"columns": cols.tolist()}
    if width > z_train.shape[0]:
        raise InputError(
            f"`{arg}` = {width} PCA components need at least as many training points "
            f"(`n_train` = {z_train.shape[0]})"
        )
    from sklearn.decomposition import PCA

    pca = PCA(n_components=width, svd_solver="full").fit(z_train)
    train, test = _standardise(pca.transform(z_train), pca.transform(z_test))
    return train, test, "pca", {"explained_variance_ratio":
                                pca.explained_variance_ratio_.tolist()}


# ---------------------------------------------------------------------- angle tasks
def _angle_task(name: str, n_features: int, n_train: int, n_test: int,
                rng: np.random.Generator):
    n_total = n_train + n_test
    x = rng.uniform(-np.pi, np.pi, size=(n_total, n_features))
    if name == "teacher":
        if n_features > _MAX_TEACHER_QUBITS:
            raise InputError(f"`n_features` must be <= {_MAX_TEACHER_QUBITS} for task "
                             f"'teacher' (the teacher's width), got {n_features}")
        f, theta = teacher_labels(x, layers=TEACHER_LAYERS, seed=rng)
        y = (f > np.median(f)).astype(np.int64)
        meta = {"teacher_layers": TEACHER_LAYERS, "teacher_params": theta.tolist(),
                "teacher": "ry encoding, HEA RX+RY+RZ / CZ ring, readout <Z_0>, label "
                           "f > median"}
    else:
        if n_features < PARITY_ORDER:
            raise InputError(f"`n_features` must be >= {PARITY_ORDER} for task 'parity', "
                             f"got {n_features}")
        y = (np.prod(np.cos(x[:, :PARITY_ORDER]), axis=1) > 0).astype(np.int64)
        meta = {"parity_order": PARITY_ORDER}
    state = int(rng.integers(2**31 - 1))
    x_tr, x_te, y_tr, y_te = _split(x, y, n_train, n_test, state)
    meta.update(raw_features=n_features, pca=False, tiled=False, seed_state=state,
                scaling="uniform angles in (-pi, pi)")
    return x_tr, y_tr, x_te, y_te, meta


def teacher_labels(x: np.ndarray, *, layers: int = TEACHER_LAYERS,
                   seed: SeedLike = None) -> tuple[np.ndarray, np.ndarray]:
    """Teacher outputs ``f(x) = <Z_0>`` of a random PQC and its parameters.

    The teacher has one qubit per feature: ``RY(x_j)`` on qubit ``j``, then `layers`
    hardware-efficient layers (RX, RY, RZ on every qubit, then CZ on a ring) with parameters
    uniform in [0, 2 pi) drawn from `seed`.

    Returns
    -------
    (f, theta) : outputs (n,) in [-1, 1] and the teacher's parameters.

    Examples
    --------
    >>> f, theta = teacher_labels(np.zeros((2, 3)), layers=1, seed=0)
    >>> f.shape, theta.shape, bool(np.all(np.abs(f) <= 1))
    ((2,), (9,), True)
    """
    from etr.circuits import encoded_circuit, hardware_efficient
    from etr.quantum import expectations

    x = np.asarray(x, dtype=float)
    n = x.shape[1]
    layers = check_int("layers", layers, minimum=1)
    rng = as_generator(seed)
    block = hardware_efficient(n, 1, topology="ring", rotations=("RX", "RY", "RZ"),
                               entangler="CZ")
    circuit, n_inputs = encoded_circuit([block] * layers, "ry")
    theta = rng.uniform(0.0, 2.0 * np.pi, size=circuit.n_params - n_inputs)
    rows = np.hstack([x, np.broadcast_to(theta, (x.shape[0], theta.size))])
    f = expectations(circuit, rows, ["Z" + "I" * (n - 1)])[:, 0]
    return f, theta


# ---------------------------------------------------------------------- encoding map
@dataclass(frozen=True, slots=True)
class EncodingFeatures:
    """A task's features mapped to an encoding width (what ``pure_pqc`` and a ``"none"``
    pre-network feed to the circuit). Unpacks as ``x_train, x_test``.

    Attributes
    ----------
    x_train, x_test : float arrays (n, width) in (-pi, pi) (read-only).
    width : the encoding width.
    method : one of `ENCODING_MAPS`: ``"identity"``, ``"pca"``, ``"tile"`` or ``"truncate"``.
    task_id : the task instance they come from.
    meta : ``columns`` (task or raw feature of each column, for identity, tiling and
        truncation) or ``explained_variance_ratio`` (PCA), and ``from`` (``"raw"``: the
        standardised raw features of a data-set task; ``"features"``: the task features).
    """

    x_train: np.ndarray
    x_test: np.ndarray
    width: int
    method: str
    task_id: str
    meta: dict = field(default_factory=dict, compare=False)

    def __iter__(self):
        return iter((self.x_train, self.x_test))


def encoding_features(task: Task, width: int) -> EncodingFeatures:
    """Map a task to ``width`` encoding angles with a fixed map fitted on the training split.

    * A data-set task (``Task.source`` holds its standardised raw features): `reduce_features`
      from the raw features to ``width`` columns (PCA fitted on the training split when there
      are more raw features than ``width``, the identity when as many, cyclic tiling when
      fewer), then ``2 arctan``, exactly as `load_task` makes the ``n_features`` task features:
      at ``width == n_features`` the result equals the task features.
    * An angle task (or a Task built from arrays alone), with ``d`` features: the identity at
      ``width == d``; the first ``width`` features when ``width < d`` (angles stay angles);
      cyclic tiling when ``width > d`` (column ``j`` is feature ``j mod d``: an encoding that
      takes more angles than there are features re-reads them; the values are unchanged).

    Parameters
    ----------
    task : Task
    width : int
        Angles the encoding takes (`etr.circuits.encoding_width`).

    Returns
    -------
    EncodingFeatures

    Raises
    ------
    etr.errors.InputError
        `task` not a Task, `width` < 1, or more PCA components than training points.

    Examples
    --------
    >>> task = load_task("synthetic", n_train=40, n_test=20, seed=0)
    >>> enc = encoding_features(task, 4)
    >>> enc.method, enc.x_train.shape, enc.task_id == task.task_id
    ('pca', (40, 4), True)
    >>> bool((encoding_features(task, 8).x_train == task.x_train).all())
    True
    >>> x_train, x_test = encoding_features(task, 10)
    >>> x_train.shape, bool((x_train[:, 8] == task.x_train[:, 0]).all())
    ((40, 10), True)
    >>> encoding_features(load_task("parity", n_train=40, n_test=20, seed=0), 3).method
    'truncate'
    """
    if not isinstance(task, Task):
        raise InputError(f"`task` must be a Task, got {type(task).__name__}")
    width = check_int("width", width, minimum=1)
    if task.source is not None:
        z_tr, z_te, method, meta = reduce_features(*task.source, width)
        x_tr, x_te = 2.0 * np.arctan(z_tr), 2.0 * np.arctan(z_te)
        meta["from"] = "raw"
    else:
        d = task.n_features
        cols = np.arange(width) % d
        method = "identity" if width == d else "tile" if width > d else "truncate"
        x_tr, x_te = task.x_train[:, cols], task.x_test[:, cols]
        meta = {"columns": cols.tolist(), "from": "features"}
    return EncodingFeatures(_frozen(x_tr), _frozen(x_te), width, method, task.task_id, meta)
