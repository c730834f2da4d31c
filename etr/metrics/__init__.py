"""Circuit metrics: expressibility (frame potentials; Sim et al. KL and its width-scaled variant),
entangling capability, gradient variance, trainability and the purity of noisy states. Every
metric that simulates takes a ``backend`` (`etr.quantum.Backend`; default the exact statevector
one)."""

from __future__ import annotations

from etr.metrics import trainability as trainability  # grad_var, ..., effective_dimension
from etr.metrics.density_frame_potential import (
    density_frame_potential,
    density_frame_potential_from_states,
)
from etr.metrics.entanglement import entangling_capability, meyer_wallach
from etr.metrics.expressibility import (
    ExpressibilityResult,
    expressibility,
    expressibility_from_fidelities,
    haar_bin_masses,
)
from etr.metrics.frame_potential import (
    FramePotentialResult,
    frame_potential,
    frame_potential_from_states,
    haar_frame_potential,
)
from etr.metrics.gradient_variance import GradientVarianceResult, gradient_variance
from etr.metrics.purity import state_purity

__all__ = [
    "ExpressibilityResult",
    "FramePotentialResult",
    "GradientVarianceResult",
    "density_frame_potential",
    "density_frame_potential_from_states",
    "entangling_capability",
    "expressibility",
    "expressibility_from_fidelities",
    "frame_potential",
    "frame_potential_from_states",
    "gradient_variance",
    "haar_bin_masses",
    "haar_frame_potential",
    "meyer_wallach",
    "state_purity",
]
