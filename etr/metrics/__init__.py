"""Circuit metrics: expressibility, entangling capability, gradient variance and trainability."""

from __future__ import annotations

from etr.metrics import trainability as trainability  # grad_var, ..., effective_dimension
from etr.metrics.entanglement import entangling_capability, meyer_wallach
from etr.metrics.expressibility import (
    ExpressibilityResult,
    expressibility,
    expressibility_from_fidelities,
    haar_bin_masses,
)
from etr.metrics.gradient_variance import GradientVarianceResult, gradient_variance

__all__ = [
    "ExpressibilityResult",
    "GradientVarianceResult",
    "entangling_capability",
    "expressibility",
    "expressibility_from_fidelities",
    "gradient_variance",
    "haar_bin_masses",
    "meyer_wallach",
]
