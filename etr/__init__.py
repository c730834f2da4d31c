"""etr: the expressibility-trainability relationship of parameterized quantum circuits.

Is there a trade-off between how expressive a parameterized quantum circuit is and how trainable it
is, and does it survive inside a hybrid classical-quantum network? etr simulates PQCs and hybrid
models with QuTiP (plus a fast batched path checked against it), measures expressibility,
entangling capability and several trainability definitions, and models the relationship with
mixed-effects regressions, bootstrapped rank correlations and regime segmentation.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """`__version__`, looked up on first use: `importlib.metadata` takes a fifth of a second to
    import, and the ``etr`` command installs its signal handlers right after ``import etr``
    (`etr._start`)."""
    if name != "__version__":
        raise AttributeError(f"module 'etr' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("etr")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        value = "0.0.0+unknown"
    globals()["__version__"] = value
    return value
