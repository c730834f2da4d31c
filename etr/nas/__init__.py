"""Multi-objective architecture search over the joint classical-quantum design space.

The search samples hybrid architectures (classical pre-network, PQC, classical post-network) with
Optuna (NSGA-II or multi-objective TPE), trains each under several replicates with the simulation
core, and keeps the Pareto front of the replicate means in expressibility (the frame-potential
ratio), a trainability definition and test accuracy (optionally a cost). Every setting is searched
with several search seeds, so `compare_settings` and `etr.nas.run.run_nas` can set the distance
between the fronts of two settings beside the distance between two searches of one setting; the
classical-only control shows what the PQC adds to the accuracy.
"""

from __future__ import annotations

from etr.nas.compare import NAS_COLUMNS, claims_table, compare_settings, front_distances
from etr.nas.evaluate import (
    Evaluation,
    Simulator,
    aggregate,
    circuit_seed,
    cost_columns,
    replicate_block,
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
    "NAS_COLUMNS",
    "OBJECTIVES",
    "SAMPLERS",
    "Evaluation",
    "Objective",
    "SearchResult",
    "SearchSpace",
    "Setting",
    "Simulator",
    "aggregate",
    "circuit_seed",
    "claims_table",
    "compare_settings",
    "cost_columns",
    "front_distances",
    "hypervolume",
    "hypervolume_curve",
    "non_dominated",
    "normalised_objectives",
    "objective_bounds",
    "open_storage",
    "replicate_block",
    "run_search",
    "run_seed",
    "simulate_architecture",
    "synthetic_evaluator",
    "to_minimisation",
]
