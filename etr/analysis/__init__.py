"""Statistical analysis of the expressibility-trainability relationship (pandas only)."""

from __future__ import annotations

from etr.analysis.synthetic import synthetic_dataset

__all__ = ["synthetic_dataset"]
