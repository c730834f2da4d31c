"""Statistical analysis of the expressibility-trainability relationship (pandas only).

Rank correlations with cluster-bootstrap intervals, the association given width and depth,
mixed-effects models, regime segmentation, the trade-off summary, the paper's claims and the
association under noise. Every
function takes a tidy DataFrame following `etr.contract` and returns tidy DataFrames or a frozen
result with ``.to_frame()``; nothing here prints or plots.
"""

from __future__ import annotations

from etr.analysis.claims import (
    CLAIMS,
    NAS_COLUMNS,
    REGISTRY,
    Claim,
    Registry,
    evaluate_claims,
    load_claims,
)
from etr.analysis.conditional import (
    STRATA,
    compare_configurations,
    conditional_correlation,
    orientation,
)
from etr.analysis.control import control_gap
from etr.analysis.correlation import (
    compare_correlations,
    rank_correlation,
    stratified_correlation,
)
from etr.analysis.mixed import MixedEffectsResult, mixed_effects
from etr.analysis.noise import (
    compare_noise_levels,
    noise_decay,
    noise_levels,
    noiseless_runs,
)
from etr.analysis.planted import plant_on_design, planted_study
from etr.analysis.quality import VALID_RANGES, data_quality
from etr.analysis.regimes import RegimeResult, davies_test, segment_regimes
from etr.analysis.saturation import SATURATION_RULES, saturation
from etr.analysis.shots import paired_shot_runs, shot_claims, snr_summary
from etr.analysis.summary import (
    THRESHOLDS,
    VERDICT_RULE,
    tradeoff_summary,
    verdict,
)
from etr.analysis.synthetic import planted_dataset, synthetic_dataset

__all__ = [
    "CLAIMS",
    "NAS_COLUMNS",
    "REGISTRY",
    "SATURATION_RULES",
    "STRATA",
    "THRESHOLDS",
    "VALID_RANGES",
    "VERDICT_RULE",
    "Claim",
    "MixedEffectsResult",
    "RegimeResult",
    "Registry",
    "compare_configurations",
    "compare_correlations",
    "compare_noise_levels",
    "conditional_correlation",
    "control_gap",
    "data_quality",
    "davies_test",
    "evaluate_claims",
    "load_claims",
    "mixed_effects",
    "noise_decay",
    "noise_levels",
    "noiseless_runs",
    "orientation",
    "paired_shot_runs",
    "plant_on_design",
    "planted_dataset",
    "planted_study",
    "rank_correlation",
    "saturation",
    "segment_regimes",
    "shot_claims",
    "snr_summary",
    "stratified_correlation",
    "synthetic_dataset",
    "tradeoff_summary",
    "verdict",
]
