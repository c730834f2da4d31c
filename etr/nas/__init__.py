"""Multi-objective architecture search over the joint classical-quantum design space.

The search samples hybrid architectures (classical pre-network, PQC, classical post-network) with
Optuna (NSGA-II or multi-objective TPE), evaluates each with the simulation core, and keeps the
Pareto front in expressibility, a trainability definition and test accuracy (optionally a cost).
`compare_settings` contrasts the fronts found under different training configurations and
trainability definitions.
"""

from __future__ import annotations

from etr.nas.evaluate import (
    Evaluation,
    cost_columns,
    run_seed,
    simulate_architecture,
    synthetic_evaluator,
)
from etr.nas.objectives import DEFAULT_OBJECTIVES, OBJECTIVES, Objective, Setting
from etr.nas.pareto import hypervolume, hypervolume_curve, non_dominated, to_minimisation
from etr.nas.search import (
    SAMPLERS,
    SearchResult,
    normalised_objectives,
    objective_bounds,
    open_storage,
    run_search,
)
from etr.nas.space import SearchSpace

__all__ = [
    "DEFAULT_OBJECTIVES",
    "OBJECTIVES",
    "SAMPLERS",
    "Evaluation",
    "Objective",
    "SearchResult",
    "SearchSpace",
    "Setting",
    "cost_columns",
    "hypervolume",
    "hypervolume_curve",
    "non_dominated",
    "normalised_objectives",
    "objective_bounds",
    "open_storage",
    "run_search",
    "run_seed",
    "simulate_architecture",
    "synthetic_evaluator",
    "to_minimisation",
]
