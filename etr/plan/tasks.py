"""The task registry as pure data: every learning task's name, feature count, description, and
the convergence target and budget its trainability definitions use.

`etr.hybrid.tasks` makes the task instances (it needs scikit-learn); checking a spec only needs
the names, feature counts, targets and budgets, so they live here in the data layer and the spec
reader (`etr.plan.settings`) never imports the model stack. A new task is an entry here and its
generator in `etr.hybrid.tasks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["DEFAULT_TARGET", "TASKS", "TaskInfo"]

#: f of ``steps_to_target`` for a task or configuration the pilot did not measure.
DEFAULT_TARGET = 0.25


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """One registered task.

    Attributes
    ----------
    name : the task name (`etr.hybrid.load_task`'s first argument).
    n_features : its default feature dimension, the same for every circuit width.
    pool : points in the finite data set (after keeping two classes); None for generated tasks.
    kind : ``"dataset"`` (standardised, PCA'd or tiled, squashed) or ``"angles"`` (features
        uniform on the circle, labels from a fixed rule).
    meaning : one line: what the task is.
    difficulty : measured references (test accuracy of scikit-learn models, see
        ``benchmarks/measure_tasks.py``) and the measured control gap (hybrid minus
        classical-only control test accuracy, with its interval over task instances; see
        ``benchmarks/pilot_design.py``).
    targets : training configuration -> the f of ``steps_to_target`` a run of this task and
        configuration uses unless its settings name one
        (`etr.plan.RunSettings.target_fraction`; `target` reads it, 0.25 for a configuration
        not listed), chosen on the pilot so that the definition is neither censored nor reached
        after the first step for most runs of that configuration. One f per task cannot do this:
        ``hybrid_full`` reaches any target within a few steps, while ``hybrid_quantum_only``,
        behind a frozen random post-network, lowers the loss little. The association is taken
        within a configuration, so each configuration's definition needs only its own spread.
    budget_steps : the optimiser-step budget B of ``loss_decrease`` (the decrease after B steps)
        a run of this task uses unless its settings name one
        (`etr.plan.RunSettings.budget_steps`), chosen on the pilot so that the decrease is at
        neither end (1: the loss gone; 0: no decrease) for most runs of any configuration.
    """

    name: str
    n_features: int
    pool: int | None
    kind: str
    meaning: str
    difficulty: str
    targets: Mapping[str, float] = field(default_factory=dict)
    budget_steps: int = 100

    def target(self, training_config: str) -> float:
        """The registered f of ``steps_to_target`` for `training_config` (0.25 if none).

        Examples
        --------
        >>> TASKS["moons"].target("hybrid_full")
        0.25
        """
        return self.targets.get(training_config, DEFAULT_TARGET)


def _pilot(full: tuple[str, str], quantum_only: tuple[str, str], why: str = "") -> str:
    """The pilot's measured gaps: hybrid_full - control with a 'none' and an '8-tanh'
    pre-network (``"mean [low, high]"`` each), hybrid_quantum_only's means, and what they say."""
    return (f"pilot 10 instances: hybrid_full - control {full[0]} with a 'none' pre-network, "
            f"{full[1]} with '8-tanh' (hybrid_quantum_only {quantum_only[0]} / "
            f"{quantum_only[1]}){why}")


def _references(logistic: float, mlp8: float, mlp64: float | None = None) -> str:
    """Mean test accuracies of the scikit-learn references (``benchmarks/measure_tasks.py
    refs``): logistic regression, MLP(8) and, where it was measured, MLP(64, 64).

    The same models are measured on every task; naming them here once keeps each row of
    `TASKS` to its numbers.

    Examples
    --------
    >>> _references(0.94, 0.94)
    'logistic regression 0.94, MLP(8) 0.94'
    >>> _references(0.87, 0.87, 1.0)
    'logistic regression 0.87, MLP(8) 0.87, MLP(64, 64) 1.00'
    """
    text = f"logistic regression {logistic:.2f}, MLP(8) {mlp8:.2f}"
    return text if mlp64 is None else f"{text}, MLP(64, 64) {mlp64:.2f}"


def _targets(pure_pqc: float, quantum_only: float, full: float,
             classical_only: float) -> dict[str, float]:
    """`TaskInfo.targets` of a piloted task: the f of ``steps_to_target`` per configuration.

    Every piloted task sets all four configurations; naming them here once keeps a row of
    `TASKS` to its numbers and a misspelt or forgotten configuration (which would fall back to
    `DEFAULT_TARGET` without a word) out of the table.

    Examples
    --------
    >>> _targets(0.3, 0.2, 0.7, 0.7)["hybrid_full"]
    0.7
    """
    return {"pure_pqc": pure_pqc, "hybrid_quantum_only": quantum_only, "hybrid_full": full,
            "classical_only": classical_only}


#: every task, described once (read by the runner's spec validation and the report).
#: ``difficulty``: mean test accuracy over 10 instances of scikit-learn references on the task
#: features (``n_train = n_test = 200``, or half the pool each when it holds fewer than 400:
#: iris 50/50, digits 180/180, digits_1v8 178/178, wine 89/89; ``benchmarks/measure_tasks.py
#: refs``), and the measured gap = hybrid - classical-only control test accuracy in points, mean
#: with its 95% t interval over 10 task instances (``benchmarks/pilot_design.py``: 100 training
#: points, at most 200 test points, 8 circuits at 4 and 6 qubits, 100 full-batch Adam steps at
#: 0.1, post-network 8-tanh), for pre-network ``none`` and ``8-tanh``. ``targets`` and
#: ``budget_steps``: chosen on the same pilot (see `TaskInfo`); the tasks without them were not
#: part of it (f = 0.25 and the whole run).
TASKS: dict[str, TaskInfo] = {t.name: t for t in (
    TaskInfo("synthetic", 8, None, "dataset",
             "make_classification: 4 informative + 4 redundant features, one cluster per class",
             "easy, nearly linear: " + _references(0.94, 0.96, 0.95) + "; "
             + _pilot(("-1.9 points [-2.9, -0.8]", "+0.0 [-0.7, 0.8]"), ("-5.5", "-8.5"),
                      ": the classical parts solve it"),
             targets=_targets(0.3, 0.2, 0.7, 0.7), budget_steps=10),
    TaskInfo("moons", 2, None, "dataset", "two interleaving half circles, noise 0.1",
             _references(0.87, 0.87, 1.00)),
    TaskInfo("circles", 2, None, "dataset", "two concentric circles, noise 0.1, factor 0.5",
             _references(0.48, 0.95, 0.99)),
    TaskInfo("iris", 4, 100, "dataset", "iris versicolor vs virginica (100 points)",
             _references(0.94, 0.94)),
    TaskInfo("breast_cancer", 8, 569, "dataset",
             "Wisconsin breast cancer (real data), 30 features PCA'd to 8",
             _references(0.96, 0.96, 0.96) + "; "
             + _pilot(("-2.1 points [-3.0, -1.1]", "-0.5 [-1.0, 0.1]"), ("-6.6", "-18.8"),
                      ": the classical parts solve it"),
             targets=_targets(0.3, 0.15, 0.6, 0.7), budget_steps=10),
    TaskInfo("digits", 8, 360, "dataset", "digits 0 vs 1, 64 pixels PCA'd to 8",
             _references(1.00, 1.00)),
    TaskInfo("digits_1v8", 8, 356, "dataset",
             "digits 1 vs 8 (real data, 8 x 8 images), 64 pixels PCA'd to 8",
             _references(0.94, 0.95, 0.95) + "; "
             + _pilot(("+0.4 points [-0.3, 1.1]", "-0.5 [-1.0, 0.1]"), ("-2.0", "-15.7")),
             targets=_targets(0.3, 0.15, 0.6, 0.7), budget_steps=10),
    TaskInfo("wine", 8, 178, "dataset",
             "wine cultivar 2 vs the other two (real data), 13 features PCA'd to 8",
             _references(0.99, 0.99, 0.98) + "; "
             + _pilot(("-0.3 points [-1.0, 0.4]", "+0.4 [-0.0, 0.8]"), ("-7.8", "-16.0")),
             targets=_targets(0.3, 0.15, 0.7, 0.7), budget_steps=8),
    TaskInfo("teacher", 4, None, "angles",
             "labels from a random 3-layer 4-qubit teacher PQC (ry encoding, RX+RY+RZ, CZ "
             "ring, <Z_0> above its median); features uniform angles",
             "teacher (Bayes) 1.0; " + _references(0.60, 0.71, 0.78)
             + "; on (cos x, sin x): logistic 0.69, MLP(8) 0.86; "
             + _pilot(("+7.5 points [4.9, 10.0]", "-0.3 [-1.9, 1.3]"), ("+0.5", "-8.0")),
             targets=_targets(0.2, 0.1, 0.4, 0.4), budget_steps=20),
    TaskInfo("parity", 4, None, "angles",
             "label = cos(x0) cos(x1) cos(x2) > 0 (parity of |x_j| > pi/2), a fourth, "
             "irrelevant feature; features uniform angles",
             "Bayes 1.0; " + _references(0.51, 0.52, 0.64) + "; on (cos x, sin x): MLP(8) 0.86; "
             + _pilot(("+28.7 points [26.2, 31.3]", "+0.6 [-0.6, 1.7]"), ("+14.3", "-3.0"),
                      ": the positive control, without a pre-network"),
             targets=_targets(0.1, 0.05, 0.35, 0.3), budget_steps=30),
)}

