"""etr: the expressibility-trainability relationship of parameterized quantum circuits.

Is there a trade-off between how expressive a parameterized quantum circuit is and how trainable it
is, and does it survive inside a hybrid classical-quantum network? etr simulates PQCs and hybrid
models with QuTiP (plus a fast batched path checked against it), measures expressibility,
entangling capability and several trainability definitions, and models the relationship with
mixed-effects regressions, bootstrapped rank correlations and regime segmentation.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("etr")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
