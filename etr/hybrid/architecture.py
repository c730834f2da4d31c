"""`Architecture` lives in the data layer, `etr.plan.architecture`; this module re-exports it so
imports written before the move keep working."""

from __future__ import annotations

from etr.plan.architecture import (
    ACTIVATIONS,
    NOT_APPLICABLE,
    Architecture,
    network_sizes,
    parse_classical,
)

__all__ = ["ACTIVATIONS", "NOT_APPLICABLE", "Architecture", "network_sizes", "parse_classical"]
