"""Hybrid classical-quantum models: architectures, tasks, models, training configurations."""

from __future__ import annotations

from etr.hybrid.architecture import ACTIVATIONS, Architecture, parse_classical

__all__ = ["ACTIVATIONS", "Architecture", "parse_classical"]
