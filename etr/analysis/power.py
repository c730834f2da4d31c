"""Power of a design to decide the registered claims: analytic, from the estimator's variance.

A study is worth running when it can reach the verdict the truth implies. This module computes,
for a design (distinct circuits per width x depth cell, tasks, task instances, instances per
circuit, replicates, pre-networks) and the variance components of the data (`components`,
estimated from a dataset such as ``data/quick.parquet``), the probability that
`etr.analysis.evaluate_claims` reaches each primary claim's registered verdict at its margin,
alpha and multiplicity control (`power`). ``etr plan power --preset NAME`` prints the table.

The model (the estimator of `etr.analysis.conditional`, read forwards)
----------------------------------------------------------------------
Per configuration c a circuit's value averages ``m_c`` runs (tasks x instances per circuit x
replicates x pre-networks: the strata are width and depth, so the tasks of a circuit are more
runs of it). With ``lambda_c`` the run variance in units of the circuit spread (the *noise
ratio*), the reliability of the values is ``rel_c = 1 / (1 + lambda_c / m_c)`` and the
uncorrected association is attenuated to ``a = r sqrt(rel_c)`` (Spearman 1904). Kendall's tau
pooled over strata of ``g_s`` circuits with pair weights ``w_s`` has variance

    V = sum_s w_s^2 v(g_s) (1 - (36 / pi^2) asin(a / 2)^2),  v(g) = 2 (2 g + 5) / (9 g (g - 1))

(the exact permutation variance, times the large-sample ratio of the variance at a bivariate
normal with correlation a to the null one: ``n Var(tau) -> 4/9 - (16 / pi^2) asin(a / 2)^2``,
Kendall & Gibbons 1990, ch. 10). Greiner's ``a = sin(pi tau / 2)`` on Fisher's z scale has
variance ``(pi / 2)^2 V / (1 - a^2)``, floored at the null variance of the design as the
estimator floors it. The instances add ``instance_sd^2 rel_c / J`` (the spread of the
association between the J task instances, `instance_sd`, on the corrected scale; every circuit
sees ``k`` of them but the pooled association averages over all J) times ``1 / (1 - a^2)^2``.
The test of ``r = r0`` compares ``atanh(a)`` with ``atanh(r0 sqrt(rel_c))`` on that standard
error with Welch-Satterthwaite degrees of freedom (circuits - cells, and J - 1 for the instance
part); the uncertainty of the estimated reliability is left out (it is zero at ``r0 = 0``).

Per rule (`etr.analysis.claims`):

* ``equivalence`` at bound b: "supported" when the ``1 - 2 alpha_i`` interval lies inside +-b,
  "contradicted" when it lies beyond; the target verdict is the one the planted r implies
  (``|r| < b``: supported; else contradicted);
* ``difference`` ``r_a - r_b > 0``: the corrected estimates' variances, their correlation over
  circuits (`Components.config_corr`, estimated on the data) and the instance spread of the
  difference; target "supported" when the planted difference is positive;
* ``regime``: the difference of r between the lower and upper halves of each split is 0 under a
  constant r: the target is "contradicted" (every split's ``1 - 2 alpha_i`` interval of the
  difference inside +-margin), each half a design of its own.

Multiplicity: the claims of a Holm family are decided together. `power` gives ``power``, the
probability under the registered Holm procedure in the target's direction, by integrating the
normal approximations of the claims' statistics (independent between claims) over `n_draws`
draws of a fixed seed, and ``power_bonferroni``, the probability at ``alpha / m`` (a lower
bound of the Holm power whatever the other claims do). `circuits_needed` scales the design's
cells until the Holm power reaches a target.

Checked by simulation: ``tests/analysis/test_power.py`` (slow) plants the components with
`planted_study` and compares the fraction of `evaluate_claims` verdicts with `power` at several
design points.

References
----------
Kendall, M. G. & Gibbons, J. D. (1990). Rank correlation methods, 5th ed. Arnold. Spearman, C.
(1904). Am. J. Psychol. 15, 72. Holm, S. (1979). Scand. J. Stat. 6, 65. Schuirmann, D. J.
(1987). J. Pharmacokinet. Biopharm. 15, 657.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from etr.analysis import claims as cl
from etr.analysis import conditional as cond
from etr.analysis.noise import noiseless_runs
from etr.analysis.quality import clean
from etr.errors import InputError

__all__ = ["Components", "Design", "PowerResult", "circuits_needed", "components", "power",
           "truths"]

_N_DRAWS = 20_000
_DRAW_SEED = 20260


@dataclass(frozen=True, slots=True)
class Design:
    """The shape of a study, as the power calculation needs it.

    Attributes
    ----------
    cells : circuits per width x depth cell (a mapping ``(n_qubits, layers) -> count``).
    tasks : tasks, each crossed with every circuit.
    instances : task instances per task (J).
    instances_per_circuit : instances each circuit is trained on per task (k).
    seeds : replicates per (circuit, instance).
    pre_networks : configuration -> classical variants of a circuit (pre-networks).
    """

    cells: Mapping[tuple[int, int], int]
    tasks: int = 1
    instances: int = 2
    instances_per_circuit: int = 2
    seeds: int = 1
    pre_networks: Mapping[str, int] = field(default_factory=lambda: {
        "pure_pqc": 1, "hybrid_quantum_only": 2, "hybrid_full": 2})

    @property
    def circuits(self) -> int:
        return int(sum(self.cells.values()))

    def runs_per_circuit(self, config: str) -> int:
        """Runs averaged into one circuit value of `config` (``m_c``)."""
        return (self.tasks * self.instances_per_circuit * self.seeds
                * int(self.pre_networks.get(config, 1)))

    def scaled(self, factor: float) -> Design:
        """The same design with ``factor`` times the circuits in every cell (rounded, >= 2)."""
        return replace(self, cells={k: max(2, round(v * factor)) for k, v in self.cells.items()})

    def to_dict(self) -> dict:
        return {"circuits": self.circuits, "cells": len(self.cells), "tasks": self.tasks,
                "instances": self.instances, "instances_per_circuit": self.instances_per_circuit,
                "seeds": self.seeds, "pre_networks": dict(self.pre_networks)}


@dataclass(frozen=True, slots=True)
class Components:
    """Variance components of the data and the planted truth under the alternative.

    Attributes
    ----------
    r : ``definition:config`` -> the circuit-level r (oriented, corrected) on the data.
    noise_ratio : ``definition:config`` -> run variance / circuit variance (``lambda_c``).
    instance_sd : ``definition:config`` -> SD of the association between task instances.
    config_corr : ``definition:a|b`` -> correlation of two configurations' estimates.
    diff_instance_sd : ``definition:a|b`` -> SD of the difference between instances.
    source : where the components come from, in words.
    """

    r: Mapping[str, float]
    noise_ratio: Mapping[str, float]
    instance_sd: Mapping[str, float]
    config_corr: Mapping[str, float] = field(default_factory=dict)
    diff_instance_sd: Mapping[str, float] = field(default_factory=dict)
    source: str = ""

    def with_r(self, **r: float) -> Components:
        """The same components with other planted r (keyword: configuration)."""
        return replace(self, r={**self.r, **r})

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"r": pd.Series(self.r), "noise_ratio": pd.Series(self.noise_ratio),
                             "instance_sd": pd.Series(self.instance_sd)})


@dataclass(frozen=True, slots=True)
class PowerResult:
    """Power per primary association claim of one design (see `power`)."""

    rows: tuple[dict, ...]
    design: Design
    components: Components

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.rows), columns=list(_COLUMNS))

    def power_of(self, claim: str) -> float:
        for row in self.rows:
            if row["claim"] == claim:
                return float(row["power"])
        raise KeyError(claim)


_COLUMNS = ("claim", "definition", "truth", "target", "se", "power", "power_bonferroni")


# --- the components, from data ----------------------------------------------------------------


def _exact_noiseless(data: pd.DataFrame) -> pd.DataFrame:
    """The runs the claims are decided on (`etr.report.design.exact_runs` of an exact design):
    finite-shot and noisy runs are other measurements of the same circuits, not more runs of
    them, so they would inflate the runs per circuit value and mix their noise into the
    reliability."""
    data = noiseless_runs(data)
    if "shots" in data.columns:
        exact = pd.to_numeric(data["shots"], errors="coerce").isna().to_numpy()
        if exact.any():
            data = data[exact]
    return data


def components(data: pd.DataFrame, *, claims: cl.Registry | None = None) -> Components:
    """Estimate the variance components of the primary definitions on a dataset.

    For each configuration of an association claim (on the claim's primary definition), the
    circuit-level fit of `etr.analysis.evaluate_claims` gives the reliability of the circuit
    values ``rel`` over their ``m`` runs (the mean runs per circuit value), hence the noise
    ratio ``lambda = m (1 / rel - 1)``; the spread of the association between task instances;
    and the oriented corrected r, planted under the alternative. For the ``difference`` claims
    the correlation of the two configurations' estimates (from the variance of the paired
    difference) and the instances' spread of the difference.

    Parameters
    ----------
    data : pandas.DataFrame
        A dataset following `etr.contract` (e.g. ``data/quick.parquet``); its exact noiseless
        runs are used (all of them when it has no exact run).
    claims : Registry, optional
        The claims (default the packaged registry).

    Returns
    -------
    Components

    Raises
    ------
    etr.errors.InputError
        When a primary definition cannot be fitted on `data` (too few circuits, missing).

    Examples
    --------
    >>> from etr.analysis import planted_study
    >>> d = planted_study(n_pqcs=96, n_instances=2, run_noise=1.0, seed=3,
    ...                   circuit_r={"pure_pqc": 0.5, "hybrid_quantum_only": 0.3})
    >>> c = components(d)
    >>> 0.2 < c.r["grad_var:pure_pqc"] < 0.9 and c.noise_ratio["grad_var:pure_pqc"] > 0
    True
    """
    registry = cl.REGISTRY if claims is None else claims
    cleaned = clean(_exact_noiseless(data))
    ctxs = cl._Contexts(cleaned, registry.x, cond.STRATA, "pqc_id", None, 10)
    r, lam, isd, corr, dsd = {}, {}, {}, {}, {}
    for claim in registry.claims.values():
        if claim.kind != "association":
            continue
        ctx = ctxs.get(claim.primary)
        configs = claim.configs or (claim.config,)
        fits = {}
        for c in configs:
            f = ctx.fit(c)
            if isinstance(f, str):
                raise InputError(f"`data` cannot give the components of {claim.name} "
                                 f"({claim.primary}): {f}")
            fits[c] = f
            key = _key(claim.primary, c)
            sub = ctx.sub(c)
            m = float(sub.groupby(["_s", "_c"]).size().mean())
            rel = float(np.clip(f.fit.reliability_y, cond.RELIABILITY_MIN, 1.0))
            r[key] = float(np.clip(f.estimate, -0.99, 0.99))
            lam[key] = m * (1.0 / rel - 1.0)
            isd[key] = float(f.fit.instance_sd)
        if claim.rule == "difference":
            a, b = configs
            ea, eb = fits[a].fit.estimate, fits[b].fit.estimate
            vca, vcb = ea.circuit_part()[0], eb.circuit_part()[0]
            vd = ea.combine(eb, -1.0).circuit_part()[0]
            rho = (vca + vcb - vd) / (2.0 * math.sqrt(vca * vcb)) if vca * vcb > 0 else 0.0
            corr[_key(claim.primary, a, b)] = float(np.clip(rho, -0.99, 0.99))
            dsd[_key(claim.primary, a, b)] = float(cond.difference(fits[a].fit,
                                                                   fits[b].fit).instance_sd)
    return Components(r=r, noise_ratio=lam, instance_sd=isd, config_corr=corr,
                      diff_instance_sd=dsd,
                      source=f"{len(data)} runs of {data['pqc_id'].nunique()} circuits")


def _key(definition: str, *configs: str) -> str:
    """Key of a component: ``definition:config`` (``definition:a|b`` for a pair)."""
    return f"{definition}:{'|'.join(configs)}"


def truths(comp: Components, *, claims: cl.Registry | None = None) -> dict[str, float]:
    """The planted truth of each association claim under the alternative (default of `power`).

    The estimate on the data (r of the claim's configuration, or the difference), except for
    an equivalence claim whose bound is its margin (a "no trade-off" claim such as
    ``full_eliminated``): r = 0, the truth under which it should be supported; and the regime
    claim: no difference between regimes (r constant).

    Examples
    --------
    >>> c = Components(r={"grad_var:pure_pqc": 0.6}, noise_ratio={}, instance_sd={})
    >>> truths(c)["pure_weak"]
    0.6
    """
    registry = cl.REGISTRY if claims is None else claims
    out = {}
    for claim in registry.claims.values():
        if claim.kind != "association":
            continue
        if claim.rule == "equivalence":
            bound = claim.bound if claim.bound is not None else claim.margin
            out[claim.name] = (0.0 if bound == claim.margin
                               else comp.r.get(_key(claim.primary, claim.config or ""), 0.0))
        elif claim.rule == "difference":
            a, b = claim.configs
            out[claim.name] = (comp.r.get(_key(claim.primary, a), 0.0)
                               - comp.r.get(_key(claim.primary, b), 0.0))
        else:
            out[claim.name] = 0.0
    return out


# --- the analytic model -----------------------------------------------------------------------


def _v_null(g: np.ndarray) -> np.ndarray:
    return 2.0 * (2.0 * g + 5.0) / (9.0 * g * (g - 1.0))


@dataclass(frozen=True, slots=True)
class _Se:
    """The uncorrected association's distribution: centre and SD on Fisher's z, df, scale."""

    centre: float
    sd: float
    df: float
    scale: float


def _association(sizes: np.ndarray, r: float, rel: float, inst_sd: float, n_inst: int) -> _Se:
    sizes = sizes[sizes >= 2]
    pairs = sizes * (sizes - 1.0) / 2.0
    w = pairs / pairs.sum()
    v_tau0 = float(np.sum(w**2 * _v_null(sizes)))
    scale = math.sqrt(rel)
    a = float(np.clip(r * scale, -0.999, 0.999))
    ratio = 1.0 - (36.0 / math.pi**2) * math.asin(a / 2.0) ** 2
    vc = (math.pi / 2.0) ** 2 * v_tau0 * ratio / (1.0 - a * a)
    vi = inst_sd**2 * rel / n_inst / (1.0 - a * a) ** 2 if n_inst > 1 else 0.0
    floor = (math.pi / 2.0) ** 2 * v_tau0
    v = max(vc + vi, floor)
    dfc = max(float(sizes.sum() - len(sizes)), 1.0)
    df = dfc if vi <= 0 else cond._combined_df(vc, dfc, vi, n_inst - 1.0)
    return _Se(centre=math.atanh(a), sd=math.sqrt(v), df=df, scale=scale)


def _corrected_var(se: _Se) -> float:
    """Variance of the corrected r (delta method from Fisher's z)."""
    a = math.tanh(se.centre)
    return (se.sd * (1.0 - a * a)) ** 2 / se.scale**2


def _halves(cells: Mapping[tuple[int, int], int], axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell sizes of the lower and upper halves of a split (balanced by circuits, as
    `etr.analysis.claims` splits)."""
    per: dict[int, int] = {}
    for key, g in cells.items():
        per[key[axis]] = per.get(key[axis], 0) + g
    levels = sorted(per)
    cum = np.cumsum([per[v] for v in levels])
    cut = int(np.argmin(np.abs(cum[:-1] - cum[-1] / 2.0))) + 1 if len(levels) > 1 else 1
    low = set(levels[:cut])
    lo = np.array([g for k, g in cells.items() if k[axis] in low], dtype=float)
    hi = np.array([g for k, g in cells.items() if k[axis] not in low], dtype=float)
    return lo, hi


_SPLIT_AXIS = {"n_qubits": 0, "layers": 1}


def _statistics(claim: cl.Claim, truth: float, design: Design, comp: Components,
                rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """Draws of (p_support, p_contradict) of one claim from its normal approximation."""
    sizes = np.array(list(design.cells.values()), dtype=float)
    n_inst = design.tasks * design.instances
    d_ = claim.primary

    def assoc(cfg: str, r: float, cells: np.ndarray | None = None) -> _Se:
        m = design.runs_per_circuit(cfg)
        rel = 1.0 / (1.0 + comp.noise_ratio.get(_key(d_, cfg), 0.0) / m)
        return _association(sizes if cells is None else cells, r, rel,
                            comp.instance_sd.get(_key(d_, cfg), 0.0), n_inst)

    if claim.rule == "equivalence":
        b = claim.bound if claim.bound is not None else claim.margin
        se = assoc(claim.config or "", truth)
        z = rng.normal(se.centre, se.sd, n)
        up, lo = math.atanh(b * se.scale), math.atanh(-b * se.scale)
        t_up, t_lo = (z - up) / se.sd, (z - lo) / se.sd
        p_sup = np.maximum(stats.t.cdf(t_up, se.df), stats.t.sf(t_lo, se.df))
        p_con = np.minimum(stats.t.sf(t_up, se.df), stats.t.cdf(t_lo, se.df))
        return p_sup, p_con, {"truth": truth, "se": _corrected_var(se) ** 0.5,
                              "target": "supported" if abs(truth) < b else "contradicted"}
    if claim.rule == "difference":
        a_cfg, b_cfg = claim.configs
        r_a = comp.r.get(_key(d_, a_cfg), 0.0)
        sa, sb = assoc(a_cfg, r_a), assoc(b_cfg, float(np.clip(r_a - truth, -0.99, 0.99)))
        va, vb = _corrected_var(sa), _corrected_var(sb)
        rho = comp.config_corr.get(_key(d_, a_cfg, b_cfg), 0.0)
        dsd = comp.diff_instance_sd.get(_key(d_, a_cfg, b_cfg), 0.0)
        vi = dsd**2 / n_inst if n_inst > 1 else 0.0
        sd = math.sqrt(max(va + vb - 2.0 * rho * math.sqrt(va * vb), 0.0) + vi)
        df = min(sa.df, sb.df)
        d = rng.normal(truth, sd, n)
        p_sup = stats.t.sf(d / sd, df)
        p_con = stats.t.cdf((d - claim.margin) / sd, df)
        return p_sup, p_con, {"truth": truth, "se": sd,
                              "target": "supported" if truth > 0 else "contradicted"}
    if claim.rule == "regime":
        cfg = claim.config or ""
        r = comp.r.get(_key(d_, cfg), 0.0)
        p_sup, p_con, ses = np.ones(n), np.zeros(n), []
        axes = [_SPLIT_AXIS[s] for s in claim.splits if s in _SPLIT_AXIS]
        for axis in axes:
            lo, hi = _halves(design.cells, axis)
            sl, sh = assoc(cfg, r, lo), assoc(cfg, r, hi)
            sd = math.sqrt(_corrected_var(sl) + _corrected_var(sh))
            df = min(sl.df, sh.df)
            ses.append(sd)
            d = rng.normal(truth, sd, n)
            p_sup = np.minimum(p_sup, 2.0 * stats.t.sf(np.abs(d) / sd, df))
            p_con = np.maximum(p_con, np.maximum(stats.t.sf((d + claim.margin) / sd, df),
                                                 stats.t.cdf((d - claim.margin) / sd, df)))
        p_sup = np.minimum(1.0, len(axes) * p_sup)
        return p_sup, p_con, {"truth": truth, "se": max(ses) if ses else float("nan"),
                              "target": "contradicted" if abs(truth) < claim.margin
                              else "supported"}
    raise InputError(f"no power model for rule {claim.rule!r}")  # pragma: no cover


def _holm(p: np.ndarray, alpha: float) -> np.ndarray:
    """Holm rejections per draw (rows) and hypothesis (columns)."""
    m = p.shape[1]
    order = np.argsort(p, axis=1)
    ps = np.take_along_axis(p, order, axis=1)
    ok = ps <= alpha / (m - np.arange(m))
    ok = np.cumprod(ok, axis=1).astype(bool)
    out = np.zeros_like(ok)
    np.put_along_axis(out, order, ok, axis=1)
    return out


def power(design: Design, comp: Components, *, truth: Mapping[str, float] | None = None,
          claims: cl.Registry | None = None, n_draws: int = _N_DRAWS) -> PowerResult:
    """Probability that each primary association claim reaches the verdict its truth implies.

    Parameters
    ----------
    design : Design
        The study's shape.
    comp : Components
        Variance components (`components`, or typed in for a what-if).
    truth : mapping, optional
        Claim -> planted r (or difference of r) under the alternative; default `truths`.
    claims : Registry, optional
        The claims (default the packaged registry).
    n_draws : int
        Draws of the normal approximations for the Holm procedure (seeded: the result is a
        function of the arguments alone; Monte-Carlo SE below 0.004).

    Returns
    -------
    PowerResult
        ``to_frame()``: claim, primary definition, planted truth, target verdict, the standard
        error of the tested estimate, the Holm power and the Bonferroni lower bound.

    Examples
    --------
    >>> d = Design(cells={(n, L): 20 for n in (2, 4, 6) for L in (1, 2, 4, 8)}, tasks=2,
    ...            instances=10, instances_per_circuit=4)
    >>> r = {"grad_var:pure_pqc": 0.6, "grad_var_landscape:pure_pqc": 0.6,
    ...      "grad_var_landscape:hybrid_quantum_only": 0.3}
    >>> c = Components(r=r, noise_ratio=dict.fromkeys(r, 2.0), instance_sd={})
    >>> res = power(d, c).to_frame().set_index("claim")
    >>> res.loc["pure_weak", "target"], bool(res.loc["pure_weak", "power"] > 0.5)
    ('contradicted', True)
    >>> bool(res.loc["full_eliminated", "power"] < 0.2)  # +-0.1 needs far more circuits
    True
    """
    registry = cl.REGISTRY if claims is None else claims
    planted = {**truths(comp, claims=registry), **dict(truth or {})}
    rng = np.random.default_rng(_DRAW_SEED)
    rows = []
    families: dict[str, list[int]] = {}
    p_s, p_c = [], []
    for claim in registry.claims.values():
        if claim.kind != "association":
            continue
        ps, pc, info = _statistics(claim, planted[claim.name], design, comp, rng,
                                  n_draws)
        p_s.append(ps)
        p_c.append(pc)
        families.setdefault(claim.family or claim.kind, []).append(len(rows))
        rows.append({"claim": claim.name, "definition": claim.primary, **info,
                     "_alpha": claim.alpha, "_proc": registry.families.get(
                         claim.family or claim.kind, "holm")})
    sup, con = np.column_stack(p_s), np.column_stack(p_c)
    for members in families.values():
        alpha = rows[members[0]]["_alpha"]
        m = len(members)
        rs, rc = _holm(sup[:, members], alpha), _holm(con[:, members], alpha)
        for j, i in enumerate(members):
            hit = rs[:, j] if rows[i]["target"] == "supported" else rc[:, j]
            p = sup[:, i] if rows[i]["target"] == "supported" else con[:, i]
            rows[i]["power"] = float(hit.mean())
            rows[i]["power_bonferroni"] = float((p <= alpha / m).mean())
    for row in rows:
        row.pop("_alpha")
        row.pop("_proc")
    return PowerResult(rows=tuple(rows), design=design, components=comp)


def circuits_needed(design: Design, comp: Components, claim: str, *, target: float = 0.8,
                    truth: Mapping[str, float] | None = None,
                    claims: cl.Registry | None = None, max_factor: float = 64.0) -> int | None:
    """Distinct circuits (the design's cells scaled alike) at which `claim` reaches `target`
    power; None beyond `max_factor` times the design.

    Examples
    --------
    >>> d = Design(cells={(n, L): 10 for n in (2, 4) for L in (1, 2)}, tasks=1)
    >>> c = Components(r={"grad_var:pure_pqc": 0.7}, noise_ratio={"grad_var:pure_pqc": 1.0},
    ...                instance_sd={})
    >>> circuits_needed(d, c, "pure_weak") > 40
    True
    """
    lo, hi = 1.0, 1.0
    def at(factor: float) -> float:
        return power(design.scaled(factor), comp, truth=truth, claims=claims).power_of(claim)

    if at(1.0) >= target:
        return design.circuits
    while at(hi) < target:
        lo, hi = hi, hi * 2.0
        if hi > max_factor:
            return None
    for _ in range(12):
        mid = math.sqrt(lo * hi)
        if at(mid) >= target:
            hi = mid
        else:
            lo = mid
    return design.scaled(hi).circuits

