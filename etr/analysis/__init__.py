"""Statistical analysis of the expressibility-trainability relationship (pandas only).

Rank correlations with cluster-bootstrap intervals, mixed-effects models, regime segmentation
and the trade-off summary. Every function takes a tidy DataFrame following `etr.contract` and
returns tidy DataFrames or a frozen result with ``.to_frame()``; nothing here prints or plots.
"""

from __future__ import annotations

from etr.analysis.control import control_gap
from etr.analysis.correlation import (
    compare_correlations,
    rank_correlation,
    stratified_correlation,
)
from etr.analysis.mixed import MixedEffectsResult, mixed_effects
from etr.analysis.regimes import RegimeResult, davies_test, segment_regimes
from etr.analysis.summary import (
    DEFINITION_TRANSFORMS,
    THRESHOLDS,
    VERDICT_RULE,
    tradeoff_summary,
    verdict,
)
from etr.analysis.synthetic import synthetic_dataset

__all__ = [
    "DEFINITION_TRANSFORMS",
    "THRESHOLDS",
    "VERDICT_RULE",
    "MixedEffectsResult",
    "RegimeResult",
    "compare_correlations",
    "control_gap",
    "davies_test",
    "mixed_effects",
    "rank_correlation",
    "segment_regimes",
    "stratified_correlation",
    "synthetic_dataset",
    "tradeoff_summary",
    "verdict",
]
