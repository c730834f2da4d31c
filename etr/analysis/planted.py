"""Planted circuit-level truths on crossed designs: circuits x task instances x variants.

`etr.analysis.synthetic.planted_dataset` plants a correlation between x and *single runs*. The
estimand of `etr.analysis.conditional` is circuit-level: the association between a circuit's
expressibility and its *expected* trainability over the design's replicates, task instances and
classical variants. The generators here plant that quantity exactly, with the run-level noise, the
task instances (several per task, optionally each circuit on a balanced subset of them, optionally
with an association that differs between instances) and the confounders (width, depth, the
rotation set) of real designs, so that coverage and error rates can be measured by simulation:

* `plant_on_design` replaces x and every trainability column of an existing design (the runs
  of a dataset such as ``data/quick.parquet``, or the layout of a preset) by planted values;
* `planted_study` builds a design first (a width x depth grid, tasks, instances per task,
  pre-networks) and plants on it.

Model
-----
Circuit k has a latent expressibility ``w_k ~ N(0, 1)`` and, when `rotation_shift` s is given, a
rotation-set indicator ``g_k = +-1`` (the richer rotation set: +1); its latent ``z_k = w_k + s
g_k`` sets the frame-potential ratio ``1 + 10 ** (0.5 - c (0.12 n + 0.25 L) + 0.3 z_k)``
(observed with a relative sampling error `x_noise`, reported in its 95% interval columns). Under
configuration c and task instance j, the circuit's trainability on the latent scale is

    mu_kcj = s g_k + rho_cj w_k + sqrt(1 - rho_c^2) u_kc,    rho_cj = rho_c + instance_sd eta_j

with ``u_kc`` a unit circuit effect (shared between configurations by `circuit_icc`) and
``eta_j ~ N(0, 1)`` per instance; a run adds the width-depth trend, the instance's main effect
``b_j ~ N(0, instance_effect^2)``, a fixed effect per classical variant and run noise
``N(0, run_noise^2)``. So, given the stratum and the rotation set, the correlation of ``w_k``
(hence of x) with the circuit's expected trainability over instances is exactly ``rho_c``: the
planted truth, ``circuit_r``. Without `rotation_shift` the rotation set plays no role; with it
x and trainability both follow the rotation set, so the association *given width and depth
only* is ``(s^2 + rho_c) / (1 + s^2)`` (for unit-variance parts) while given the rotation set it
is ``rho_c``. Every trainability column is an increasing function of the latent run value
(``steps_to_target`` a decreasing one, censored at 100 steps); ``grad_var`` is measured at
initialisation, where the two hybrid configurations are one model: it follows
``hybrid_quantum_only`` and holds the same values in both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from etr._hashing import short_hash
from etr._rng import SeedLike, as_generator
from etr._validation import check_float, check_int
from etr.analysis._common import pqc_rows
from etr.analysis._generate import check_configs, config_map, latent_trainability
from etr.contract import COLUMNS, CONFIGS, PQC_CONFIGS, coerce_dtypes
from etr.errors import InputError

__all__ = ["plant_on_design", "planted_study"]

#: run columns `plant_on_design` needs from a design.
DESIGN_COLUMNS: tuple[str, ...] = ("pqc_id", "n_qubits", "layers", "training_config")
_ROTATIONS = ("RY+RZ", "RX+RY+RZ")


def _check_r(name: str, mapping: Mapping[str, float] | None) -> dict[str, float]:
    given = config_map(name, mapping, {"pure_pqc": 0.6, "hybrid_quantum_only": 0.3,
                                       "hybrid_full": 0.0})
    return {c: check_float(f"{name}[{c!r}]", v, low=-0.99, high=0.99) for c, v in given.items()}


def plant_on_design(
    design: pd.DataFrame,
    *,
    circuit_r: Mapping[str, float] | None = None,
    run_noise: float = 1.7,
    instance_sd: float = 0.0,
    instance_effect: float = 0.5,
    variant_effect: float = 0.3,
    rotation_shift: float = 0.0,
    x_noise: float = 0.0,
    circuit_icc: float = 0.5,
    confounding: float = 1.0,
    seed: SeedLike = None,
) -> pd.DataFrame:
    """Plant a circuit-level association on the runs of an existing design.

    Parameters
    ----------
    design : pandas.DataFrame
        One row per run with at least `DESIGN_COLUMNS`; ``task_id`` (else ``seed``) names the
        task instance, ``classical_pre`` / ``classical_post`` the classical variant,
        ``rotations`` the rotation set (used with `rotation_shift`). Rows without a PQC (the
        classical-only control) keep NaN expressibility and get unrelated trainability values.
    circuit_r : mapping, optional
        Configuration -> the planted circuit-level correlation given the strata (and the
        rotation set), in (-0.99, 0.99); default ``{"pure_pqc": 0.6, "hybrid_quantum_only": 0.3,
        "hybrid_full": 0.0}``; missing configurations get 0.
    run_noise : float
        SD of the run noise, in units of the SD of the circuits' expected trainability within a
        stratum (1.7: the run noise is 1.7 times the circuit spread).
    instance_sd : float
        SD of the association between task instances (a random slope; its population mean is
        `circuit_r`).
    instance_effect, variant_effect : float
        SD of the instances' main effects; size of the classical variants' fixed effects.
    rotation_shift : float
        How strongly x and trainability both follow the rotation set (0: not at all).
    x_noise : float
        Relative sampling SD of the frame-potential excess (its 95% interval columns state it).
    circuit_icc : float
        Share of a circuit's own effect common to every configuration, in [0, 1].
    confounding : float
        Strength of the common dependence of x and trainability on width and depth.
    seed : int, numpy.random.Generator or None
        Randomness source.

    Returns
    -------
    pandas.DataFrame
        `design` with every column of `etr.contract.COLUMNS` (contract order and dtypes);
        ``df.attrs["truth"]`` records ``circuit_r`` and the settings.

    Raises
    ------
    etr.errors.InputError
        Missing design columns, a correlation outside (-0.99, 0.99), negative SDs.

    Examples
    --------
    >>> d = planted_study(n_pqcs=24, n_instances=2, seed=0)
    >>> again = plant_on_design(d, circuit_r={"pure_pqc": 0.0}, seed=1)
    >>> again.attrs["truth"]["circuit_r"]["pure_pqc"]
    0.0
    """
    if not isinstance(design, pd.DataFrame):
        raise InputError(f"`design` must be a pandas DataFrame, got {type(design).__name__}")
    missing = [c for c in DESIGN_COLUMNS if c not in design.columns]
    if missing:
        raise InputError(f"`design` is missing column(s): {', '.join(missing)}")
    rho = _check_r("circuit_r", circuit_r)
    for name, v in (("run_noise", run_noise), ("instance_sd", instance_sd),
                    ("instance_effect", instance_effect), ("x_noise", x_noise),
                    ("confounding", confounding), ("variant_effect", variant_effect)):
        check_float(name, v, low=0.0)
    check_float("rotation_shift", rotation_shift)
    check_float("circuit_icc", circuit_icc, low=0.0, high=1.0)
    rng = as_generator(seed)
    runs = design.reset_index(drop=True).copy()
    cfg = runs["training_config"].astype(str).to_numpy()
    has_pqc = pqc_rows(runs)
    pqc = runs["pqc_id"].astype(object).where(runs["pqc_id"].notna(), None)
    keys = pd.Series(pqc).fillna("<none>").astype(str).to_numpy()
    circuits = pd.unique(keys[has_pqc])
    ck = {k: i for i, k in enumerate(circuits)}
    k_of = np.array([ck.get(k, -1) for k in keys])
    g_count = len(circuits)
    w = rng.normal(size=g_count)
    rot = (runs["rotations"].astype(str).to_numpy() if "rotations" in runs.columns
           else np.full(len(runs), "n/a"))
    g_sign = np.zeros(g_count)
    for i, r in zip(k_of, rot, strict=True):
        if i >= 0:
            g_sign[i] = 1.0 if "RX" in r else -1.0
    if not rotation_shift:
        g_sign[:] = 0.0
    z = w + rotation_shift * g_sign
    n = runs["n_qubits"].to_numpy(dtype=float)
    layers = runs["layers"].to_numpy(dtype=float)
    _plant_x(runs, z, k_of, has_pqc, n, layers, x_noise, confounding, rng)
    inst_col = "task_id" if "task_id" in runs.columns and runs["task_id"].notna().any() \
        else "seed"
    inst = (runs[inst_col].astype(str).to_numpy() if inst_col in runs.columns
            else np.zeros(len(runs), dtype=str))
    inst_codes, inst_labels = pd.factorize(inst)
    eta = rng.normal(size=len(inst_labels))
    b = rng.normal(0.0, instance_effect, size=len(inst_labels))
    variant = _variant(runs)
    v_codes, v_labels = pd.factorize(variant, sort=True)
    v_effect = variant_effect * np.linspace(-1.0, 1.0, len(v_labels)) if len(v_labels) > 1 \
        else np.zeros(1)
    u_shared = rng.normal(size=g_count)
    u_own = {c: rng.normal(size=g_count) for c in rho | dict.fromkeys(PQC_CONFIGS, 0.0)}
    trend = -confounding * (0.5 * n + 0.35 * layers) / 0.6

    def latent(config_of_run: np.ndarray, noise: np.ndarray) -> np.ndarray:
        out = np.full(len(runs), np.nan)
        for c in pd.unique(config_of_run):
            m = (config_of_run == c) & (k_of >= 0)
            r = rho.get(c, 0.0)
            u = np.sqrt(circuit_icc) * u_shared + np.sqrt(1.0 - circuit_icc) * u_own.get(
                c, u_shared)
            slope = np.clip(r + instance_sd * eta[inst_codes[m]], -0.99, 0.99)
            k = k_of[m]
            mu = rotation_shift * g_sign[k] + slope * w[k] + np.sqrt(1.0 - r**2) * u[k]
            out[m] = (trend[m] + mu + b[inst_codes[m]] + v_effect[v_codes[m]]
                      + run_noise * noise[m])
        return out

    t_train = latent(cfg, rng.normal(size=len(runs)))
    init_cfg = np.where(np.isin(cfg, ["hybrid_quantum_only", "hybrid_full"]),
                        "hybrid_quantum_only", cfg)
    init_noise = _shared_init_noise(runs, keys, inst, variant, rng)
    t_init = latent(init_cfg, init_noise)
    t_train = np.where(has_pqc, t_train, rng.normal(size=len(runs)))
    latent_trainability(runs, t_train, np.where(has_pqc, t_init, np.nan), runs["layers"],
                        has_pqc, rng, var_slope=0.3, norm_slope=0.15, loss_slope=0.5,
                        steps_slope=0.4)
    out = _finish(runs, has_pqc, rng)
    out.attrs["truth"] = {
        "circuit_r": dict(rho), "run_noise": run_noise, "instance_sd": instance_sd,
        "instance_effect": instance_effect, "rotation_shift": rotation_shift,
        "x_noise": x_noise, "confounding": confounding, "circuit_icc": circuit_icc,
        "instance": inst_col,
        "given_strata_only": {c: (rotation_shift**2 + r) / (1.0 + rotation_shift**2)
                              for c, r in rho.items()},
    }
    return out


def _variant(runs: pd.DataFrame) -> np.ndarray:
    cols = [c for c in ("classical_pre", "classical_post") if c in runs.columns]
    if not cols:
        return np.full(len(runs), "none", dtype=object)
    out = runs[cols[0]].astype(object).astype(str)
    for c in cols[1:]:
        out = out + "|" + runs[c].astype(object).astype(str)
    return out.to_numpy(dtype=object)


def _shared_init_noise(runs: pd.DataFrame, keys: np.ndarray, inst: np.ndarray,
                       variant: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Run noise at initialisation, identical for the two hybrid configurations of a run."""
    noise = rng.normal(size=len(runs))
    hyb = runs["training_config"].astype(str).isin(["hybrid_quantum_only", "hybrid_full"])
    if hyb.any():
        seed = runs["seed"].astype(str).to_numpy() if "seed" in runs.columns else inst
        key = pd.Series(keys + "|" + inst + "|" + variant.astype(str) + "|" + seed)
        first = pd.Series(noise).where(hyb.to_numpy()).groupby(key).transform("first")
        noise = np.where(hyb.to_numpy(), first.to_numpy(), noise)
    return noise


def _plant_x(runs: pd.DataFrame, z: np.ndarray, k_of: np.ndarray, has_pqc: np.ndarray,
             n: np.ndarray, layers: np.ndarray, x_noise: float, confounding: float,
             rng: np.random.Generator) -> None:
    """Frame-potential ratio (and a KL in the same order) from the latent z, per circuit."""
    g = len(z)
    err = rng.normal(size=g)
    first = pd.DataFrame({"k": k_of, "n": n, "L": layers})[has_pqc].groupby("k").first()
    nk = first["n"].reindex(range(g)).to_numpy(dtype=float)
    lk = first["L"].reindex(range(g)).to_numpy(dtype=float)
    log_excess = 0.5 - confounding * (0.12 * nk + 0.25 * lk) + 0.3 * z
    excess = 10.0**log_excess
    observed = excess * (1.0 + x_noise * err)
    observed = np.maximum(observed, 1e-6)
    half = 1.959964 * max(x_noise, 0.002) * excess
    kk = np.where(k_of >= 0, k_of, 0)
    fp = np.where(has_pqc, 1.0 + observed[kk], np.nan)
    runs["expressibility_fp"] = fp
    runs["expressibility_fp_ci_low"] = np.where(has_pqc, np.maximum(fp - half[kk], 1.0), np.nan)
    runs["expressibility_fp_ci_high"] = np.where(has_pqc, fp + half[kk], np.nan)
    runs["expressibility_kl"] = np.where(has_pqc, 10.0 ** (0.9 * np.log10(observed[kk]) - 0.4),
                                         np.nan)


def _finish(runs: pd.DataFrame, has_pqc: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    n = len(runs)
    runs["status"] = "ok"
    runs["error"] = ""
    if "wall_time_s" not in runs.columns or runs["wall_time_s"].isna().all():
        runs["wall_time_s"] = rng.uniform(0.5, 5.0, n)
    if "architecture_id" not in runs.columns:
        runs["architecture_id"] = [short_hash([p, v], 12) for p, v in zip(
            runs["pqc_id"].astype(str), _variant(runs), strict=True)]
    runs["cell_id"] = [short_hash([a, c, s, i], 16) for a, c, s, i in zip(
        runs["architecture_id"].astype(str), runs["training_config"].astype(str),
        runs["seed"].astype(str) if "seed" in runs.columns else [""] * n,
        runs["task_id"].astype(str) if "task_id" in runs.columns else [""] * n, strict=True)]
    if "shots" not in runs.columns:
        runs["shots"] = pd.NA
    if "reupload" not in runs.columns:
        runs["reupload"] = False
    if "seed" not in runs.columns:
        runs["seed"] = 0
    if "n_quantum_params" not in runs.columns:
        rot = runs["rotations"].astype(str) if "rotations" in runs.columns else "RY+RZ"
        per = pd.Series(rot, index=runs.index).str.count(r"\+") + 1
        runs["n_quantum_params"] = per * runs["n_qubits"] * runs["layers"]
    if "n_classical_params" not in runs.columns:
        pre = runs["classical_pre"].astype(str) if "classical_pre" in runs.columns else "none"
        runs["n_classical_params"] = np.where(pd.Series(pre, index=runs.index) == "none", 0, 40)
    return coerce_dtypes(runs.reindex(columns=list(COLUMNS)).reset_index(drop=True))


def planted_study(
    *,
    n_pqcs: int = 120,
    widths: Sequence[int] = (2, 4, 6),
    depths: Sequence[int] = (1, 2, 4, 6),
    tasks: Sequence[str] = ("synthetic",),
    n_instances: int = 2,
    instances_per_circuit: int | None = None,
    n_pre: int = 2,
    configs: Sequence[str] = PQC_CONFIGS,
    seed: SeedLike = None,
    **plant: object,
) -> pd.DataFrame:
    """A crossed design (circuits x task instances x pre-networks) with a planted truth.

    Circuits fill the width x depth cells in turn (rotation sets alternate); every circuit is
    trained on every task, on `instances_per_circuit` of the task's `n_instances` instances
    (all of them by default; otherwise a balanced cyclic subset, each instance used equally);
    hybrid configurations have `n_pre` pre-networks, the pure configuration one. The truth is
    planted by `plant_on_design` (keyword arguments `plant`).

    Parameters
    ----------
    n_pqcs : int
        Distinct circuits.
    widths, depths : sequence of int
        The grid of n_qubits and layers.
    tasks : sequence of str
        Task names (each its own set of instances).
    n_instances : int
        Task instances per task (``task_id``).
    instances_per_circuit : int, optional
        Instances each circuit is trained on, per task (an incomplete crossed design when
        smaller than `n_instances`).
    n_pre : int
        Pre-networks per circuit in the hybrid configurations.
    configs : sequence of str
        Training configurations.
    seed : int, numpy.random.Generator or None
        Randomness source (design and truth).
    **plant
        Passed to `plant_on_design` (``circuit_r``, ``run_noise``, ``instance_sd``, ...).

    Returns
    -------
    pandas.DataFrame
        Every column of `etr.contract.COLUMNS`; ``df.attrs["truth"]`` from `plant_on_design`.

    Examples
    --------
    >>> df = planted_study(n_pqcs=12, n_instances=4, instances_per_circuit=2, seed=0)
    >>> int(df["task_id"].nunique()), int(df.groupby("pqc_id")["task_id"].nunique().max())
    (4, 2)
    """
    n_pqcs = check_int("n_pqcs", n_pqcs, minimum=1)
    n_instances = check_int("n_instances", n_instances, minimum=1)
    per = n_instances if instances_per_circuit is None else check_int(
        "instances_per_circuit", instances_per_circuit, minimum=1)
    if per > n_instances:
        raise InputError(f"`instances_per_circuit` ({per}) must be at most `n_instances` "
                         f"({n_instances})")
    n_pre = check_int("n_pre", n_pre, minimum=1)
    configs = check_configs(configs)
    cells = [(w, d) for w in widths for d in depths]
    rows = []
    for k in range(n_pqcs):
        w, d = cells[k % len(cells)]
        rot = _ROTATIONS[(k // len(cells)) % 2]
        pqc = short_hash({"k": k, "n": w, "L": d, "rot": rot}, 12)
        for task in tasks:
            for i in range(per):
                j = (k * per + i) % n_instances
                for c in configs:
                    pres = ["none"] if c == "pure_pqc" else [f"{4 * (p + 1)}-tanh"
                                                            for p in range(n_pre)]
                    for pre in pres:
                        rows.append({"pqc_id": pqc if CONFIGS[c].has_pqc else None,
                                     "family": "hea", "circuit": "hea", "n_qubits": w,
                                     "layers": d, "topology": "linear", "rotations": rot,
                                     "entangler": "CZ", "encoding": "ry", "reupload": False,
                                     "classical_pre": pre,
                                     "classical_post": "none" if c == "pure_pqc" else "8-tanh",
                                     "training_config": c, "task": task,
                                     "task_id": short_hash({"task": task, "j": j}, 12),
                                     "seed": j, "n_quantum_params": len(rot.split("+")) * w * d,
                                     "dla_dim": (4**w - 1) if "RX" in rot else 2 * w * w})
    design = pd.DataFrame(rows)
    return plant_on_design(design, seed=seed, **plant)  # type: ignore[arg-type]
