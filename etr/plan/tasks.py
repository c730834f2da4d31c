"""The task registry as pure data: every learning task's name, feature count and description.

`etr.hybrid.tasks` makes the task instances (it needs scikit-learn); checking a spec only needs
the names and feature counts, so they live here in the data layer and the spec reader
(`etr.plan.settings`) never imports the model stack. A new task is an entry here and its
generator in `etr.hybrid.tasks`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TASKS", "TaskInfo"]


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """One registered task.

    Attributes
    ----------
    name : the task name (`load_task`'s first argument).
    n_features : its default feature dimension, the same for every circuit width.
    pool : points in the finite data set (after keeping two classes); None for generated tasks.
    kind : ``"dataset"`` (standardised, PCA'd or tiled, squashed) or ``"angles"`` (features
        uniform on the circle, labels from a fixed rule).
    meaning : one line: what the task is.
    difficulty : measured references (test accuracy, ``n_train = n_test = 200``), see
        ``benchmarks/measure_tasks.py``.
    """

    name: str
    n_features: int
    pool: int | None
    kind: str
    meaning: str
    difficulty: str


#: every task, described once (read by the runner's spec validation and the report).
#: ``difficulty``: mean test accuracy over 10 instances (``n_train = n_test = 200``; iris 50/50,
#: digits 180/180) of scikit-learn references, and the measured hybrid_full - classical-only
#: control gap (``benchmarks/measure_tasks.py``, 5 instances, 4-10 qubits).
TASKS: dict[str, TaskInfo] = {t.name: t for t in (
    TaskInfo("synthetic", 8, None, "dataset",
             "make_classification: 4 informative + 4 redundant features, one cluster per class",
             "easy, nearly linear: logistic regression 0.94, MLP(8) 0.96, MLP(64, 64) 0.95; "
             "hybrid_full - control -1.0 points [-2.0, 0.1]: the classical parts solve it"),
    TaskInfo("moons", 2, None, "dataset", "two interleaving half circles, noise 0.1",
             "logistic regression 0.87, MLP(8) 0.87, MLP(64, 64) 1.00"),
    TaskInfo("circles", 2, None, "dataset", "two concentric circles, noise 0.1, factor 0.5",
             "logistic regression 0.48, MLP(8) 0.95, MLP(64, 64) 0.99"),
    TaskInfo("iris", 4, 100, "dataset", "iris versicolor vs virginica (100 points)",
             "logistic regression 0.94, MLP(8) 0.94"),
    TaskInfo("breast_cancer", 8, 569, "dataset",
             "Wisconsin breast cancer, 30 features PCA'd to 8",
             "logistic regression 0.96, MLP(8) 0.96"),
    TaskInfo("digits", 8, 360, "dataset", "digits 0 vs 1, 64 pixels PCA'd to 8",
             "logistic regression 1.00, MLP(8) 1.00"),
    TaskInfo("teacher", 4, None, "angles",
             "labels from a random 3-layer 4-qubit teacher PQC (ry encoding, RX+RY+RZ, CZ "
             "ring, <Z_0> above its median); features uniform angles",
             "teacher (Bayes) 1.0; logistic regression 0.60, MLP(8) 0.71, MLP(64, 64) 0.78; on "
             "(cos x, sin x): logistic 0.69, MLP(8) 0.86; hybrid_full - control +17 points "
             "with a 'none' pre-network, -2 with '8-tanh'"),
    TaskInfo("parity", 4, None, "angles",
             "label = cos(x0) cos(x1) cos(x2) > 0 (parity of |x_j| > pi/2), a fourth, "
             "irrelevant feature; features uniform angles",
             "Bayes 1.0; logistic regression 0.51, MLP(8) 0.52, MLP(64, 64) 0.64; on "
             "(cos x, sin x): MLP(8) 0.86; hybrid_full - control +33 points with a 'none' "
             "pre-network, +1 with '8-tanh'"),
)}

