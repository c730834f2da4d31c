"""Synthetic contract-shaped datasets with a known expressibility-trainability relationship.

Used to test the statistical API against ground truth and to demonstrate reports before any
simulation has run. Nothing here simulates a circuit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from etr._rng import SeedLike, as_generator
from etr._validation import check_float, check_int
from etr.contract import COLUMNS, PQC_CONFIGS, TRAINING_CONFIGS, coerce_dtypes
from etr.errors import InputError

__all__ = ["KL_BIAS", "synthetic_dataset"]

#: Miller-Madow bias of the plug-in KL estimate for 75 bins and 5000 pairs, (B - 1) / (2 M).
KL_BIAS: float = 74 / 10_000
#: sampling standard deviation of a synthetic expressibility estimate.
_KL_SE: float = 0.003
#: baseline log10(grad_var) of every architecture.
_LOG10_BASE: float = -2.0
_DEFAULT_SLOPES: dict[str, float] = {
    "pure_pqc": 0.8, "hybrid_quantum_only": 0.4, "hybrid_full": 0.0,
}
_TOPOLOGIES: tuple[str, ...] = ("linear", "ring", "full")


def synthetic_dataset(
    *,
    n_architectures: int = 60,
    n_seeds: int = 3,
    configs: Sequence[str] = PQC_CONFIGS,
    slopes: Mapping[str, float] | None = None,
    breakpoint: float | None = None,
    intercept_sd: float = 0.3,
    noise_sd: float = 0.2,
    seed: SeedLike = None,
) -> pd.DataFrame:
    """A contract-shaped dataset whose trade-off is known exactly.

    Every architecture gets a latent expressibility ``x`` (a KL divergence, lower = more
    expressive) and a random intercept ``u ~ N(0, intercept_sd)`` shared by all its runs. For
    each run (architecture x training configuration x seed)::

        log10(grad_var) = -2 + u + slope[config] * g(x) + e,    e ~ N(0, noise_sd)

    with ``g(x) = x`` or, when `breakpoint` ``b`` is given, ``g(x) = min(x, b)``: the trade-off
    holds for ``x < b`` and is flat beyond (a kink at ``b``). A positive slope is the classic
    trade-off (more expressive -> smaller gradients).

    Parameters
    ----------
    n_architectures : int
        Number of architectures (clusters), >= 1.
    n_seeds : int
        Replicate seeds per architecture and configuration, >= 1.
    configs : sequence of str
        Training configurations to generate (subset of `etr.contract.TRAINING_CONFIGS`).
    slopes : mapping, optional
        Configuration -> slope of ``log10(grad_var)`` on the KL divergence. Default
        ``{"pure_pqc": 0.8, "hybrid_quantum_only": 0.4, "hybrid_full": 0.0}``; a configuration
        missing from the mapping gets slope 0.
    breakpoint : float, optional
        KL value beyond which the relationship is flat (one known breakpoint). ``None``: linear.
    intercept_sd, noise_sd : float
        Standard deviations of the architecture random intercept and of the run-level noise
        (log10 scale), >= 0.
    seed : int, numpy.random.Generator or None
        Randomness source.

    Returns
    -------
    pandas.DataFrame
        One row per run with every column of `etr.contract.COLUMNS` in contract order and
        dtypes, ``status == "ok"``. The other definitions derive from the same latent value:
        ``grad_var_train`` (same slope, extra noise 0.1), ``grad_norm`` = ``sqrt(grad_var)``
        times log-normal noise (half the slope), ``loss_decrease`` an increasing function of
        ``grad_var`` in (0, 1) (same rank direction), ``effective_dimension`` independent of
        expressibility (a null definition). Expressibility columns: ``expressibility_kl`` =
        ``x`` + `KL_BIAS` + N(0, 0.003) (the plug-in estimate, biased upward),
        ``expressibility_kl_corrected`` = ``expressibility_kl - KL_BIAS`` and a 95% interval
        ``expressibility_kl_ci_low/high`` around the corrected value. ``df.attrs["truth"]`` records
        the generating values (JSON-serialisable): ``slopes`` (config -> slope of
        log10(grad_var) on ``x``), ``definition_slopes`` (definition -> config -> log10 slope,
        ``None`` where the relationship is monotone but not log-linear), ``breakpoint``,
        ``intercept`` (-2), ``intercept_sd``, ``noise_sd``, ``kl_bias``, ``kl_se``.

    Raises
    ------
    etr.errors.InputError
        Bad sizes, unknown configuration, negative standard deviation.

    Notes
    -----
    Slopes are defined on the noise-free latent ``x``; the expressibility columns carry
    measurement noise of sd 0.003, which attenuates a regression slope by a factor of about
    ``1 - 0.003**2 / var(x)`` (below 1e-4 here), i.e. negligibly.

    Examples
    --------
    >>> from etr.analysis import synthetic_dataset
    >>> df = synthetic_dataset(n_architectures=20, n_seeds=2, seed=1)
    >>> df.shape[0]
    120
    >>> df.attrs["truth"]["slopes"]["pure_pqc"]
    0.8
    >>> bool((df["expressibility_kl"] > 0).all())
    True
    """
    n_architectures = check_int("n_architectures", n_architectures, minimum=1)
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    intercept_sd = check_float("intercept_sd", intercept_sd, low=0.0)
    noise_sd = check_float("noise_sd", noise_sd, low=0.0)
    if isinstance(configs, str):
        configs = (configs,)
    configs = tuple(configs)
    if not configs:
        raise InputError("`configs` must name at least one training configuration")
    bad = [c for c in configs if c not in TRAINING_CONFIGS]
    if bad:
        raise InputError(
            f"`configs` has unknown value(s) {bad}; allowed: {', '.join(TRAINING_CONFIGS)}"
        )
    slope_map = dict(_DEFAULT_SLOPES if slopes is None else slopes)
    bad = [c for c in slope_map if c not in TRAINING_CONFIGS]
    if bad:
        raise InputError(
            f"`slopes` has unknown configuration(s) {bad}; allowed: {', '.join(TRAINING_CONFIGS)}"
        )
    slope_map = {c: check_float(f"slopes[{c!r}]", slope_map.get(c, 0.0)) for c in configs}
    if breakpoint is not None:
        breakpoint = check_float("breakpoint", breakpoint, positive=True)
    rng = as_generator(seed)

    arch = _architectures(n_architectures, rng)
    arch["u"] = rng.normal(0.0, intercept_sd, n_architectures)
    kl = np.clip(arch["x"] + KL_BIAS + rng.normal(0.0, _KL_SE, n_architectures), 1e-4, None)
    arch["expressibility_kl"] = kl
    arch["expressibility_kl_corrected"] = np.clip(kl - KL_BIAS, 0.0, None)
    arch["expressibility_kl_ci_low"] = np.clip(kl - KL_BIAS - 1.96 * _KL_SE, 0.0, None)
    arch["expressibility_kl_ci_high"] = kl - KL_BIAS + 1.96 * _KL_SE
    arch["entangling_capability"] = np.clip(
        0.8 * (1 - np.exp(-0.5 * arch["layers"])) + rng.normal(0, 0.03, n_architectures), 0, 1
    )

    runs = arch.merge(
        pd.DataFrame({"training_config": list(configs)}), how="cross"
    ).merge(pd.DataFrame({"seed": np.arange(n_seeds, dtype=np.int64)}), how="cross")
    n = len(runs)
    g = runs["x"].to_numpy()
    if breakpoint is not None:
        g = np.minimum(g, breakpoint)
    slope = runs["training_config"].map(slope_map).to_numpy(dtype=float)
    log_gv = _LOG10_BASE + runs["u"].to_numpy() + slope * g + rng.normal(0.0, noise_sd, n)
    runs["grad_var"] = 10.0**log_gv
    runs["grad_var_train"] = 10.0 ** (log_gv + rng.normal(0.0, 0.1, n))
    runs["grad_norm"] = np.sqrt(runs["grad_var"]) * 10.0 ** rng.normal(0.0, 0.05, n)
    runs["loss_decrease"] = 1.0 - np.exp(-(10.0 ** (log_gv - _LOG10_BASE)))
    runs["effective_dimension"] = np.clip(rng.normal(0.5, 0.1, n), 0.0, 1.0)
    runs["final_loss"] = np.clip(0.7 - 0.3 * runs["loss_decrease"] + rng.normal(0, 0.05, n),
                                 0.0, None)
    runs["final_loss_std"] = np.abs(rng.normal(0.02, 0.005, n))
    runs["test_accuracy"] = np.clip(0.5 + 0.4 * runs["loss_decrease"]
                                    + rng.normal(0, 0.03, n), 0.0, 1.0)
    runs["test_accuracy_std"] = np.abs(rng.normal(0.02, 0.005, n))
    runs["status"] = "ok"
    runs["error"] = ""
    runs["wall_time_s"] = rng.uniform(0.5, 5.0, n)
    runs["cell_id"] = [
        _hash([a, c, int(s)]) for a, c, s in
        zip(runs["architecture_id"], runs["training_config"], runs["seed"], strict=True)
    ]
    out = coerce_dtypes(runs.reindex(columns=list(COLUMNS)).reset_index(drop=True))

    def_slopes = {
        "grad_var": dict(slope_map),
        "grad_var_train": dict(slope_map),
        "grad_norm": {c: s / 2 for c, s in slope_map.items()},
        "loss_decrease": {c: (0.0 if s == 0 else None) for c, s in slope_map.items()},
        "effective_dimension": {c: 0.0 for c in slope_map},
    }
    out.attrs["truth"] = {
        "slopes": dict(slope_map),
        "definition_slopes": def_slopes,
        "breakpoint": breakpoint,
        "intercept": _LOG10_BASE,
        "intercept_sd": intercept_sd,
        "noise_sd": noise_sd,
        "kl_bias": KL_BIAS,
        "kl_se": _KL_SE,
        "x": "expressibility_kl minus its Miller-Madow bias and sampling noise",
        "y": "log10(grad_var)",
    }
    return out


def _architectures(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Architecture factors and the latent KL ``x`` (loosely decreasing with depth)."""
    n_qubits = rng.integers(2, 7, n)
    layers = rng.integers(1, 7, n)
    topology = rng.choice(_TOPOLOGIES, n)
    x = rng.uniform(0.0, 1.6, n) * np.exp(-0.1 * (layers - 1))
    rows = []
    for i in range(n):
        factors = {
            "family": "hea", "circuit": "hea", "n_qubits": int(n_qubits[i]),
            "layers": int(layers[i]), "topology": str(topology[i]), "rotations": "RY+RZ",
            "entangler": "CZ", "encoding": "ry", "reupload": False,
            "classical_pre": "8-tanh", "classical_post": "8-tanh", "index": i,
        }
        pqc = {k: factors[k] for k in ("family", "circuit", "n_qubits", "layers", "topology",
                                        "rotations", "entangler", "index")}
        rows.append({
            **{k: v for k, v in factors.items() if k != "index"},
            "architecture_id": _hash(factors),
            "pqc_id": _hash(pqc),
            "n_quantum_params": 2 * int(n_qubits[i]) * int(layers[i]),
            "n_classical_params": 8 * 2 + 8 + 8 * 2 + 2,
            "task": "synthetic",
            "x": float(x[i]),
        })
    return pd.DataFrame(rows)


def _hash(obj: object) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]
