"""Linear mixed-effects models of trainability on expressibility.

Every mixed model of etr lives in this module; the likelihood is `etr.analysis._lmm` (a profiled
REML/ML over per-circuit sums, lme4's criterion, checked against lme4 and statsmodels; why it
is not statsmodels' MixedLM is said there). Reported estimates come from REML fits;
likelihood-ratio tests, AIC and BIC from ML fits, as is usual (lme4, statsmodels). Each model
is fitted once: definitions with the same usable runs share the design and its sums
(`mixed_effects_by_definition`), the ML fits of the likelihood-ratio test start from the REML
optimum, and a model already fitted to the same data is not fitted again.

The model follows the design of the study:

* one random intercept per distinct circuit (``pqc_id``) with the architectures built on it
  (pre-network variants) nested inside as a variance component, because every architecture of
  a circuit shares its expressibility;
* x is the circuit's mean over all its runs (expressibility is a property of the circuit, each
  run only re-estimates it); the within-circuit spread of x is its measurement error, reported
  with the reliability of the mean (the factor by which it attenuates a slope);
* width and depth enter as factors with effects specific to each configuration (depth is nearly
  collinear with the KL divergence, and its effect is not linear);
* measurements two configurations share by construction (``grad_var`` at initialisation is the
  same number under hybrid_quantum_only and hybrid_full) are fitted once, not twice.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import patsy
from patsy import PatsyError
from scipy import stats
from threadpoolctl import threadpool_limits

from etr.analysis import _lmm
from etr.analysis._common import (
    MIN_CLUSTERS,
    as_tuple,
    check_confidence,
    check_frame,
    degenerate,
    registry_transform,
    shared_levels,
    transform,
)
from etr.analysis.quality import clean
from etr.errors import ConvergenceWarning, InputError

__all__ = ["MixedEffectsResult", "mixed_effects", "mixed_effects_by_definition"]

_FE_COLS = ["term", "estimate", "se", "ci_low", "ci_high", "p_value"]
_VC_COLS = ["component", "variance", "sd"]
_LRT_COLS = ["test", "statistic", "df", "p_value", "aic_null", "aic_full", "bic_null",
             "bic_full"]
_SLOPE_COLS = ["estimate", "se", "ci_low", "ci_high", "p_value"]
#: numeric covariates with at most this many levels enter as factors; more: linearly.
_MAX_FACTOR_LEVELS = 20


@dataclass(frozen=True, slots=True)
class MixedEffectsResult:
    """Result of `mixed_effects`.

    Attributes
    ----------
    fixed_effects : pandas.DataFrame
        ``term, estimate, se, ci_low, ci_high, p_value`` (REML fit, Wald t with the
        between-circuit degrees of freedom, circuits minus fixed effects per configuration).
    variance_components : pandas.DataFrame
        ``component, variance, sd``: circuit intercept, nested architectures (when
        identifiable), random slope (and its covariance, whose ``sd`` is NaN), residual.
    slopes : pandas.DataFrame
        ``<by>, estimate, se, ci_low, ci_high, p_value``: slope of the (transformed) `y` on `x`
        within each level of `by` (one row without `by`); levels fitted together because they
        share their measurements carry the same numbers.
    lrt : pandas.DataFrame
        One row: ``test, statistic, df, p_value, aic_null, aic_full, bic_null, bic_full``
        from ML fits (with `by`: "the slope differs between levels"; without: "slope = 0").
    r2_marginal, r2_conditional : float
        Nakagawa & Schielzeth (2013) R-squared (random slopes as in Johnson 2014).
    converged : bool
        All fits converged without a convergence warning.
    warnings : tuple of str
        Warnings raised while fitting (convergence, boundary) and modelling notes.
    n, n_groups, n_dropped : int
        Rows used, circuits, rows removed (duplicates, failed runs, impossible or non-finite
        values, non-positive values under log10, rows repeating a shared measurement).
    formula : str
        The model in lme4 notation, with the original column names.
    method : str
        How the result was made.
    confidence : float
        Confidence level of the intervals.
    x_measurement_sd : float
        Pooled within-circuit standard deviation of `x` (on its model scale) across runs: the
        measurement error of one run's x; NaN when every circuit has one distinct value.
    x_reliability : float
        ``var(true circuit means) / var(observed circuit means)``, the attenuation factor of a
        slope on the circuit-mean x (1 when x is measured without error).
    shared_levels : dict
        Level -> level it shares its measurements with (fitted once).
    log_likelihood : float
        Log-likelihood of the REML fit (lme4's ``logLik``, REML criterion); NaN when degenerate.
    """

    fixed_effects: pd.DataFrame
    variance_components: pd.DataFrame
    slopes: pd.DataFrame
    lrt: pd.DataFrame
    r2_marginal: float
    r2_conditional: float
    converged: bool
    warnings: tuple[str, ...]
    n: int
    n_groups: int
    n_dropped: int
    formula: str
    method: str
    confidence: float
    x_measurement_sd: float = float("nan")
    x_reliability: float = float("nan")
    shared_levels: dict[str, str] = field(default_factory=dict)
    log_likelihood: float = float("nan")

    def to_frame(self) -> pd.DataFrame:
        """The fixed effects table with ``n`` and ``method`` columns appended."""
        out = self.fixed_effects.copy()
        out["n"] = self.n
        out["method"] = self.method
        return out


@dataclass(slots=True)
class _Model:
    """The model frame and everything needed to name, fit and report it."""

    frame: pd.DataFrame
    levels: list[str]
    shared: dict[str, str]
    cov_terms: list[str]
    cov_names: dict[str, str]
    nested: bool
    notes: list[str]
    n_dropped: int
    x_sd: float
    reliability: float


def mixed_effects(
    data: pd.DataFrame,
    *,
    y: str,
    x: str,
    groups: str = "pqc_id",
    nested: str | None = "architecture_id",
    by: str | None = "training_config",
    covariates: Sequence[str] = ("n_qubits", "layers"),
    transform_y: str | None = None,
    transform_x: str | None = None,
    random_slope: bool = False,
    confidence: float = 0.95,
    lrt: bool = True,
) -> MixedEffectsResult:
    """Fit ``T(y) ~ by + x:by + by:covariates + (1 | groups / nested)`` and report tidy results.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy data, one row per run.
    y : str
        Trainability column (numeric).
    x : str
        Expressibility column (numeric), e.g. ``"expressibility_fp"``; the model uses its mean
        per `groups` level (the circuit's value).
    groups : str
        Random-intercept grouping (the distinct circuit).
    nested : str or None
        Column nested in `groups` with its own variance component (architectures of a
        circuit); left out, with a note, when every circuit has one level of it.
    by : str or None
        Categorical column whose levels get their own intercept, slope and covariate effects.
        ``None``: a single slope.
    covariates : sequence of str
        Fixed effects, specific to each level of `by`; numeric columns with at most 20 distinct
        values (width, depth) and non-numeric ones enter as factors, other numeric columns
        linearly. A covariate constant in the data is left out (recorded in ``warnings``).
    transform_y, transform_x : {"log10", "none"} or None
        Scale of `y` and `x`; None reads ``log_scale`` from `etr.contract.METRICS` ("none" for
        unregistered columns). Under ``"log10"`` non-positive values are dropped and counted;
        a slope is then per decade.
    random_slope : bool
        Also a random slope of `x` per circuit (correlated with the intercept).
    confidence : float
        Confidence level of the intervals (t quantiles with circuits minus fixed effects per
        configuration degrees of freedom: x varies between circuits only, and z intervals
        under-cover with tens of circuits).
    lrt : bool
        Fit the two ML models of the likelihood-ratio test; ``False`` saves two thirds of the
        time when only estimates are needed (``lrt`` is then an empty table).

    Returns
    -------
    MixedEffectsResult
        See its attributes. Degenerate data (fewer than 3 circuits, constant `x` or `y`, no
        usable rows) give a result of NaN tables and a `~etr.errors.DegenerateDataWarning`; a
        level of `by` seen on fewer than 3 circuits stays in the model but its ``slopes`` row
        is NaN (with a warning).

    Raises
    ------
    etr.errors.InputError
        Missing columns (named), non-numeric `x`/`y`, bad options.

    Warns
    -----
    etr.errors.ConvergenceWarning
        A fit did not converge (also recorded in the result).

    Notes
    -----
    Slopes per level are the coefficients of ``x:by``, with standard errors from the REML
    covariance matrix. The likelihood-ratio statistic compares ML fits with and without
    level-specific slopes (chi-squared with ``levels - 1`` df). Levels whose `y` equals that of
    another level on every matched (architecture_id, seed) run are one measurement (e.g.
    ``grad_var`` at initialisation under the two hybrid configurations); their rows enter once
    and their slope rows repeat the shared estimate. R-squared: marginal = var(fixed
    predictions) / (var(fixed) + var(random) + residual); conditional adds var(random) to the
    numerator (Nakagawa & Schielzeth 2013, Methods Ecol. Evol. 4, 133; Johnson 2014, Methods
    Ecol. Evol. 5, 944). x is averaged per circuit on the model scale; its within-circuit spread
    ``s_w`` gives ``x_measurement_sd`` and ``x_reliability = 1 - mean(s_w^2 / m_k) /
    var(circuit means)`` (the regression-dilution factor of the slope; Fuller 1987).

    Examples
    --------
    >>> from etr.analysis import mixed_effects, synthetic_dataset
    >>> df = synthetic_dataset(n_architectures=40, seed=0)
    >>> res = mixed_effects(df, y="grad_var", x="expressibility_kl", transform_x="none")
    >>> res.slopes["training_config"].tolist()
    ['hybrid_full', 'hybrid_quantum_only', 'pure_pqc']
    >>> s = res.slopes.set_index("training_config").loc["pure_pqc"]
    >>> bool(s["ci_low"] < 0.8 < s["ci_high"])
    True
    """
    opts = _Options.check(data, ys=(y,), x=x, groups=groups, nested=nested, by=by,
                          covariates=covariates, transform_x=transform_x,
                          random_slope=random_slope, confidence=confidence, lrt=lrt)
    return _one(data, y, registry_transform("transform_y", transform_y, y), opts, {})


def mixed_effects_by_definition(
    data: pd.DataFrame,
    *,
    ys: Sequence[str],
    x: str,
    groups: str = "pqc_id",
    nested: str | None = "architecture_id",
    by: str | None = "training_config",
    covariates: Sequence[str] = ("n_qubits", "layers"),
    transform_ys: Sequence[str | None] | None = None,
    transform_x: str | None = None,
    random_slope: bool = False,
    confidence: float = 0.95,
    lrt: bool = True,
) -> dict[str, MixedEffectsResult]:
    """`mixed_effects` of several trainability columns on the same data, sharing the work.

    Columns whose usable rows are the same share the model frame's design: the fixed-effect
    matrices, the grouping and the per-circuit sums of the design (only the response's own
    sums are computed per column). Results equal those of `mixed_effects` called per column.

    Parameters
    ----------
    ys : sequence of str
        Response columns.
    transform_ys : sequence of {"log10", "none", None}, optional
        Scale of each response (None: the registry's).
    data, x, groups, nested, by, covariates, transform_x, random_slope, confidence, lrt
        As in `mixed_effects`.

    Returns
    -------
    dict
        Column -> `MixedEffectsResult`, in the order of `ys`.

    Examples
    --------
    >>> from etr.analysis import mixed_effects, synthetic_dataset
    >>> from etr.analysis.mixed import mixed_effects_by_definition
    >>> df = synthetic_dataset(n_architectures=30, seed=0)
    >>> res = mixed_effects_by_definition(df, ys=["grad_var", "grad_norm"],
    ...                                   x="expressibility_kl", lrt=False)
    >>> one = mixed_effects(df, y="grad_norm", x="expressibility_kl", lrt=False)
    >>> bool((res["grad_norm"].slopes == one.slopes).all().all())
    True
    """
    ys = as_tuple(ys)
    if not ys:
        raise InputError("`ys` must name at least one column")
    ty = [None] * len(ys) if transform_ys is None else list(transform_ys)
    if len(ty) != len(ys):
        raise InputError(f"`transform_ys` must have one entry per column of `ys` ({len(ys)}), "
                         f"got {len(ty)}")
    opts = _Options.check(data, ys=ys, x=x, groups=groups, nested=nested, by=by,
                          covariates=covariates, transform_x=transform_x,
                          random_slope=random_slope, confidence=confidence, lrt=lrt)
    shared: dict = {}
    return {y: _one(data, y, registry_transform("transform_y", t, y), opts, shared)
            for y, t in zip(ys, ty, strict=True)}


@dataclass(frozen=True, slots=True)
class _Options:
    """The checked options of a mixed model (shared by every response)."""

    x: str
    groups: str
    nested: str | None
    by: str | None
    covariates: tuple[str, ...]
    transform_x: str
    random_slope: bool
    confidence: float
    lrt: bool

    @classmethod
    def check(cls, data: pd.DataFrame, *, ys: tuple[str, ...], x: str, groups: str,
              nested: str | None, by: str | None, covariates: Sequence[str],
              transform_x: str | None, random_slope: bool, confidence: float,
              lrt: bool) -> _Options:
        covariates = as_tuple(covariates)
        check_frame(data, (*ys, x, groups, nested, by, *covariates), (x, *ys))
        transform_x = registry_transform("transform_x", transform_x, x)
        for name, flag in (("random_slope", random_slope), ("lrt", lrt)):
            if not isinstance(flag, bool):
                raise InputError(f"`{name}` must be true or false, got {flag!r}")
        confidence = check_confidence(confidence)
        if x in covariates or any(y in covariates for y in ys):
            raise InputError("`covariates` must not contain `x` or `y`")
        return cls(x=x, groups=groups, nested=nested, by=by, covariates=covariates,
                   transform_x=transform_x, random_slope=random_slope, confidence=confidence,
                   lrt=lrt)


def _one(data: pd.DataFrame, y: str, transform_y: str, o: _Options,
         shared: dict) -> MixedEffectsResult:
    """One response; `shared` maps a design key to the `_Designs` built for it."""
    # small dense matrices: one BLAS thread is fastest, and threads oversubscribe shared
    # machines (and the process pool's workers)
    with threadpool_limits(limits=1, user_api="blas"):
        return _one_model(data, y, transform_y, o, shared)


def _one_model(data: pd.DataFrame, y: str, transform_y: str, o: _Options,
               shared: dict) -> MixedEffectsResult:
    x, by = o.x, o.by
    model = _model_frame(data, y=y, x=x, groups=o.groups, nested=o.nested, by=by,
                         covariates=o.covariates, transform_y=transform_y,
                         transform_x=o.transform_x)
    formula, method = _describe(y, x, o.groups, o.nested, model, by, transform_y,
                                o.transform_x, o.random_slope)
    problem = _problem(model.frame, o.groups, x, y)
    if problem:
        degenerate(f"mixed model of {y}", problem)
        return _empty(by, model, formula, method, o.confidence, problem)
    multi = by is not None and model.frame["_by"].nunique() > 1
    rhs_cov = "".join(f" + {t}" for t in model.cov_terms)
    if multi:
        full, null = "_y ~ C(_by) + _x:C(_by)" + rhs_cov, "_y ~ C(_by) + _x" + rhs_cov
    else:
        full, null = "_y ~ _x" + rhs_cov, "_y ~ 1" + rhs_cov
    try:
        key = (full, null if o.lrt else None, model.nested, _frame_digest(model.frame))
        if key not in shared:
            shared[key] = _designs(full, null if o.lrt else None, model, o.random_slope)
        elif shared[key].note and shared[key].note not in model.notes:
            model.notes.append(shared[key].note)
        fit, fit_full_ml, fit_null_ml, converged = _fit_all(shared[key], model, o.lrt)
    except _FitError as exc:
        model.notes.append(str(exc))
        degenerate(f"mixed model of {y}", str(exc))
        return _empty(by, model, formula, method, o.confidence, str(exc))
    if not converged:
        warnings.warn(f"mixed model of {y}: a fit did not converge; see result.warnings",
                      ConvergenceWarning, stacklevel=4)
    dist = stats.t(_between_df(fit, model, multi))
    slopes = _slopes(fit, dist, o.confidence, by, model, multi, y)
    lrt_table = (_lrt(fit_full_ml, fit_null_ml, x, by, multi, model.frame["_by"].nunique()
                      if multi else 1) if o.lrt else pd.DataFrame(columns=_LRT_COLS))
    r2m, r2c = _r2(fit, model, o.random_slope)
    return MixedEffectsResult(
        fixed_effects=_fixed_effects(fit, dist, o.confidence, _label(x, o.transform_x), by,
                                     model.cov_names),
        variance_components=_variance_components(
            fit, o.groups, o.nested if model.nested else None, x, o.random_slope),
        slopes=slopes, lrt=lrt_table, r2_marginal=r2m, r2_conditional=r2c, converged=converged,
        warnings=tuple(dict.fromkeys(model.notes)), n=len(model.frame),
        n_groups=int(model.frame["_g"].nunique()), n_dropped=model.n_dropped, formula=formula,
        method=method, confidence=o.confidence, x_measurement_sd=model.x_sd,
        x_reliability=model.reliability, shared_levels=dict(model.shared),
        log_likelihood=float(fit.fit.llf),
    )


def _frame_digest(frame: pd.DataFrame) -> bytes:
    """Digest of everything in the model frame but the response (what the design is made of)."""
    cols = sorted(c for c in frame.columns if c != "_y")
    hashed = pd.util.hash_pandas_object(frame[cols], index=False).to_numpy()
    return hashlib.blake2b(hashed.tobytes() + "|".join(cols).encode(), digest_size=20).digest()


def _label(column: str, how: str) -> str:
    return f"log10({column})" if how == "log10" else column


# --- the model frame ------------------------------------------------------------------------


def _model_frame(data: pd.DataFrame, *, y: str, x: str, groups: str, nested: str | None,
                 by: str | None, covariates: tuple[str, ...], transform_y: str,
                 transform_x: str) -> _Model:
    cleaned = clean(data)
    d = cleaned.data
    notes: list[str] = []
    yv = _scaled(d[y], transform_y)
    xv = _scaled(d[x], transform_x)
    ok = np.isfinite(yv) & np.isfinite(xv) & d[groups].notna().to_numpy()
    for col in (nested, by, *covariates):
        if col is not None:
            ok &= d[col].notna().to_numpy()
    n_dropped = cleaned.n_removed() + int((~ok).sum())
    d = d[ok]
    frame = pd.DataFrame({"_y": yv[ok], "_g": d[groups].astype(str).to_numpy()}, index=d.index)
    x_sd, reliability = _per_group_mean(frame, xv[ok])
    frame["_a"] = d[nested].astype(str).to_numpy() if nested is not None else frame["_g"]
    levels: list[str] = []
    shared: dict[str, str] = {}
    if by is not None:
        frame["_by"] = d[by].astype(str).to_numpy()
        shared = shared_levels(d.assign(_y=frame["_y"].to_numpy()), "_y", by)
        for level, first in shared.items():
            notes.append(f"{by}={level} repeats the {y} values of {by}={first} (one "
                         f"measurement); fitted once")
        drop = frame["_by"].isin(list(shared))
        n_dropped += int(drop.sum())
        frame = frame[~drop.to_numpy()]
        d = d[~drop.to_numpy()]
        levels = sorted(frame["_by"].unique())
    multi = by is not None and len(levels) > 1
    cov_terms, cov_names = _covariates(frame, d, covariates, multi, notes)
    is_nested = nested is not None and bool((frame.groupby("_g")["_a"].nunique() > 1).any())
    if nested is not None and not is_nested and len(frame):
        notes.append(f"every {groups} has one {nested}: no nested variance component")
    if np.isfinite(x_sd) and x_sd > 0:
        notes.append(f"x is the per-{groups} mean of {_label(x, transform_x)}; within-{groups} "
                     f"sd {x_sd:.3g} (reliability of the mean {reliability:.3f})")
    return _Model(frame=frame.reset_index(drop=True), levels=levels, shared=shared,
                  cov_terms=cov_terms, cov_names=cov_names, nested=is_nested, notes=notes,
                  n_dropped=n_dropped, x_sd=x_sd, reliability=reliability)


def _scaled(values: pd.Series, how: str) -> np.ndarray:
    """`transform` of a column that may hold non-numeric entries (they become NaN)."""
    return transform(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float), how)


def _per_group_mean(frame: pd.DataFrame, xv: np.ndarray) -> tuple[float, float]:
    """Replace x by its per-group mean (in `frame["_x"]`); (within sd, reliability)."""
    s = pd.Series(xv, index=frame.index)
    g = s.groupby(frame["_g"].to_numpy())
    frame["_x"] = g.transform("mean").to_numpy()
    if not len(s):
        return float("nan"), float("nan")
    m = g.count()
    dev = (s - frame["_x"]) ** 2
    dof = int((m - 1).sum())
    if dof <= 0:
        return float("nan"), 1.0
    within = float(dev.sum() / dof)
    means = g.mean()
    var_means = float(means.var(ddof=1)) if len(means) > 1 else float("nan")
    error = float(np.mean(within / m))
    rel = 1.0 - error / var_means if var_means and var_means > 0 else float("nan")
    return float(np.sqrt(within)), float(np.clip(rel, 0.0, 1.0))


def _covariates(frame: pd.DataFrame, d: pd.DataFrame, covariates: tuple[str, ...],
                multi: bool, notes: list[str]) -> tuple[list[str], dict[str, str]]:
    terms, names = [], {}
    for i, cov in enumerate(covariates):
        col = d[cov]
        if col.nunique(dropna=True) < 2:
            notes.append(f"covariate `{cov}` is constant and was left out")
            continue
        name = f"_c{i}"
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        factor = not numeric or col.nunique() <= _MAX_FACTOR_LEVELS
        frame[name] = col.astype(str).to_numpy() if factor else col.astype(float).to_numpy()
        term = f"C({name})" if factor else name
        terms.append(f"C(_by):{term}" if multi else term)
        names[name] = cov
    return terms, names


def _describe(y: str, x: str, groups: str, nested: str | None, model: _Model,
              by: str | None, transform_y: str, transform_x: str,
              random_slope: bool) -> tuple[str, str]:
    xl, yl = _label(x, transform_x), _label(y, transform_y)
    unit = f"{groups}/{nested}" if model.nested else groups
    re_part = f"(1 + {xl} | {unit})" if random_slope else f"(1 | {unit})"
    used = list(model.cov_names.values())
    if by is not None and len(model.levels) > 1:
        rhs = f"{by} + {xl}:{by}" + "".join(f" + {by}:factor({c})" for c in used)
    else:
        rhs = xl + "".join(f" + factor({c})" for c in used)
    formula = f"{yl} ~ {rhs} + {re_part}"
    method = (f"linear mixed model (REML estimates, ML likelihood-ratio test; profiled "
              f"likelihood as lme4), random intercept per "
              f"{groups}" + (f" with {nested} nested" if model.nested else "")
              + (" and random slope" if random_slope else "")
              + f"; x = per-{groups} mean of {xl}")
    if transform_y == "log10":
        method += f", {y} on log10 scale"
    return formula, method


def _problem(frame: pd.DataFrame, groups: str, x: str, y: str) -> str | None:
    n_groups = int(frame["_g"].nunique()) if len(frame) else 0
    if not len(frame):
        return "no usable rows"
    if n_groups < MIN_CLUSTERS:
        return f"{n_groups} group(s) in `{groups}`, fewer than {MIN_CLUSTERS}"
    if np.ptp(frame["_x"]) == 0:
        return f"`{x}` is constant"
    if np.ptp(frame["_y"]) == 0:
        return f"`{y}` is constant"
    return None


# --- fitting --------------------------------------------------------------------------------

#: fits kept for reuse, keyed by a digest of everything a fit depends on (see `_fit`).
_FIT_CACHE: OrderedDict[bytes, _lmm.Fit] = OrderedDict()
_FIT_CACHE_SIZE = 64


@dataclass(frozen=True, slots=True)
class _Fitted:
    """One fit with the names of its fixed effects and its design (for R-squared)."""

    names: list[str]
    exog: np.ndarray
    fit: _lmm.Fit

    @property
    def n_params(self) -> int:
        """Fixed effects, variance parameters and the residual variance (AIC/BIC)."""
        return len(self.names) + len(self.fit.theta) + 1

    @property
    def aic(self) -> float:
        return float(-2.0 * self.fit.llf + 2.0 * self.n_params)

    @property
    def bic(self) -> float:
        return float(-2.0 * self.fit.llf + np.log(len(self.exog)) * self.n_params)


@dataclass(frozen=True, slots=True)
class _Designs:
    """What every response on the same rows shares: fixed-effect designs and grouping."""

    names: list[str]
    exog: _lmm.Exog
    exog_null: _lmm.Exog | None
    grouping: _lmm.Design
    note: str = ""


def _designs(full: str, null: str | None, model: _Model, random_slope: bool) -> _Designs:
    """The fixed-effect designs (aliased columns left out, with a note) and the grouping."""
    try:
        names, exog, n_out = _matrix(full, model)
        exog_null = _matrix(null, model)[1] if null is not None else None
    except (ValueError, np.linalg.LinAlgError, PatsyError) as exc:
        raise _FitError(f"model could not be built ({str(exc).splitlines()[0]})") from None
    note = (f"{n_out} aliased fixed-effect column(s) left out (no data to separate them)"
            if n_out else "")
    if note:
        model.notes.append(note)
    data = model.frame
    grouping = _lmm.Design.build(data["_g"].to_numpy(),
                                 data["_a"].to_numpy() if model.nested else None,
                                 data["_x"].to_numpy() if random_slope else None)
    return _Designs(names=names, exog=grouping.exog(exog),
                    exog_null=grouping.exog(exog_null) if exog_null is not None else None,
                    grouping=grouping, note=note)


def _matrix(formula: str, model: _Model) -> tuple[list[str], np.ndarray, int]:
    """The fixed-effect matrix of `formula`, its column names and how many were aliased."""
    exog = patsy.dmatrix(formula.split("~", 1)[1], model.frame, return_type="dataframe")
    keep = _independent_columns(exog.to_numpy())
    n_out = exog.shape[1] - len(keep)
    if n_out:
        exog = exog.iloc[:, keep]
    return list(exog.columns), exog.to_numpy(dtype=float), n_out


def _fit_all(designs: _Designs, model: _Model, lrt: bool
             ) -> tuple[_Fitted, _Fitted | None, _Fitted | None, bool]:
    """REML fit and, with `lrt`, ML fits of the full and null models; (.., converged).

    The three fits share the grouping and the response; the ML fits start from the REML
    optimum (and the null from the full ML one), so they take a few evaluations each.
    """
    y = model.frame["_y"].to_numpy(dtype=float)
    g = designs.grouping
    stats = g.stats(designs.exog, y)
    fit = _fit(g, stats, reml=True, notes=model.notes)
    full_ml = null_ml = None
    ok = fit.converged
    if lrt:
        ml = _fit(g, stats, reml=False, notes=model.notes, start=fit.phi)
        null = _fit(g, g.stats(designs.exog_null, y), reml=False, notes=model.notes,
                    start=ml.phi)
        full_ml = _Fitted(designs.names, designs.exog.matrix, ml)
        null_ml = _Fitted([""] * designs.exog_null.matrix.shape[1], designs.exog_null.matrix,
                          null)
        ok = ok and ml.converged and null.converged
    return _Fitted(designs.names, designs.exog.matrix, fit), full_ml, null_ml, ok


def _fit(design: _lmm.Design, stats: _lmm.Stats, *, reml: bool, notes: list[str],
         start: np.ndarray | None = None) -> _lmm.Fit:
    """One (RE)ML fit, reused when the same model was fitted to the same data before.

    The key is a digest of everything the fit depends on (the sufficient statistics, the
    grouping, the criterion), so a cached fit is the fit these data would give: the report's
    model and the summary's slopes, when they are the same model, are fitted once.
    """
    key = _digest(design, stats, reml)
    cached = _FIT_CACHE.get(key)
    if cached is None:
        if not np.all(np.isfinite(stats.zz)):
            raise _FitError("non-finite values in the model")
        cached = _lmm.fit(design, stats, reml=reml, start=start)
        _FIT_CACHE[key] = cached
        while len(_FIT_CACHE) > _FIT_CACHE_SIZE:
            _FIT_CACHE.popitem(last=False)
    else:
        _FIT_CACHE.move_to_end(key)
    label = "REML" if reml else "ML"
    if cached.boundary:
        notes.append(f"{label} fit: a variance component is estimated at 0 (the boundary of "
                     "the parameter space)")
    if not cached.converged:
        notes.append(f"{label} fit did not converge ({cached.message})")
    return cached


def _digest(design: _lmm.Design, stats: _lmm.Stats, reml: bool) -> bytes:
    h = hashlib.blake2b(digest_size=20)
    for arr in (design.m, design.group_of_level, stats.zz, stats.sums,
                design.x_group if design.x_group is not None else np.zeros(0)):
        a = np.ascontiguousarray(arr)
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    h.update(bytes([reml, design.nested, stats.p % 256]))
    return h.digest()


def _independent_columns(x: np.ndarray, tol: float = 1e-9) -> list[int]:
    """Columns of `x` kept in order, each only if not a linear combination of those before.

    The design lists the intercept, configuration effects and slopes before the covariate
    effects, so a covariate level seen in too few circuits is what gets left out.
    """
    gram = x.T @ x
    scale = np.sqrt(np.maximum(np.diag(gram), 1e-300))
    gram = gram / np.outer(scale, scale)
    keep: list[int] = []
    for j in range(x.shape[1]):
        if not keep:
            if gram[j, j] > tol:
                keep.append(j)
            continue
        g_kk = gram[np.ix_(keep, keep)]
        g_kj = gram[keep, j]
        resid = gram[j, j] - g_kj @ np.linalg.solve(g_kk, g_kj)
        if resid > tol:
            keep.append(j)
    return keep


class _FitError(RuntimeError):
    """The model cannot be fitted (it cannot be built, or its data are not finite)."""


# --- reporting ------------------------------------------------------------------------------

_PIECE = re.compile(r"^C\((_\w+)\)\[(?:T\.)?(.*)\]$")


def _term_name(term: str, x: str, by: str | None, cov_names: dict[str, str]) -> str:
    parts = []
    for piece in term.split(":"):
        m = _PIECE.match(piece)
        if piece == "_x":
            parts.append(x)
        elif m and m.group(1) == "_by":
            parts.append(f"{by}[{m.group(2)}]")
        elif m:
            parts.append(f"{cov_names.get(m.group(1), m.group(1))}[{m.group(2)}]")
        else:
            parts.append(cov_names.get(piece, piece))
    return ":".join(parts)


def _between_df(fit: _Fitted, model: _Model, multi: bool) -> int:
    """Between-circuit degrees of freedom: circuits minus fixed effects per configuration.

    x varies between circuits only, so its slope is estimated from circuit means; Wald z
    intervals ignore that only tens of circuits carry it (and under-cover, by simulation).
    """
    n_levels = len(model.levels) if multi else 1
    per_level = int(np.ceil(len(fit.names) / max(n_levels, 1)))
    return max(int(model.frame["_g"].nunique()) - per_level, 1)


def _fixed_effects(fit: _Fitted, dist, confidence: float, x: str, by: str | None,
                   cov_names: dict[str, str]) -> pd.DataFrame:
    names = fit.names
    est = fit.fit.beta
    se = np.sqrt(np.diag(fit.fit.cov_beta))
    z = dist.ppf(0.5 + confidence / 2)
    p = 2 * dist.sf(np.abs(est / se))
    return pd.DataFrame({
        "term": [_term_name(t, x, by, cov_names) for t in names], "estimate": est, "se": se,
        "ci_low": est - z * se, "ci_high": est + z * se, "p_value": p,
    }, columns=_FE_COLS)


def _slopes(fit: _Fitted, dist, confidence: float, by: str | None, model: _Model,
            multi: bool, y: str) -> pd.DataFrame:
    names = fit.names
    cov = fit.fit.cov_beta
    beta = fit.fit.beta
    z = dist.ppf(0.5 + confidence / 2)

    def one(term: str) -> dict:
        if term not in names:  # aliased and left out
            return dict.fromkeys(_SLOPE_COLS, np.nan)
        c = np.zeros(len(names))
        c[names.index(term)] = 1.0
        est, se = float(c @ beta), float(np.sqrt(c @ cov @ c))
        return {"estimate": est, "se": se, "ci_low": est - z * se, "ci_high": est + z * se,
                "p_value": float(2 * dist.sf(abs(est / se)))}

    if by is None:
        return pd.DataFrame([one("_x")], columns=_SLOPE_COLS)
    rows = {}
    for level in model.levels:
        rows[level] = one(f"_x:C(_by)[{level}]") if multi else one("_x")
    per_level = model.frame.groupby("_by")["_g"].nunique()
    for level in per_level.index[per_level < MIN_CLUSTERS]:
        degenerate(f"mixed model of {y}, {by}={level}",
                   f"{per_level[level]} group(s), fewer than {MIN_CLUSTERS}")
        rows[level] = dict.fromkeys(_SLOPE_COLS, np.nan)
    for level, first in model.shared.items():
        rows[level] = dict(rows[first])
    out = pd.DataFrame([{by: lv, **rows[lv]} for lv in sorted(rows)],
                       columns=[by, *_SLOPE_COLS])
    return out


def _variance_components(fitted: _Fitted, groups: str, nested: str | None, x: str,
                         random_slope: bool) -> pd.DataFrame:
    fit = fitted.fit
    cov_re = fit.cov_re
    rows = [(f"{groups} intercept", cov_re[0, 0])]
    if random_slope:
        rows += [(f"{groups} slope of {x}", cov_re[1, 1]),
                 (f"{groups} intercept-slope covariance", cov_re[0, 1])]
    if nested is not None:
        rows.append((f"{nested} within {groups}", float(fit.vcomp[0])))
    rows.append(("residual", float(fit.scale)))
    out = pd.DataFrame(rows, columns=["component", "variance"])
    out["sd"] = np.where(out["component"].str.contains("covariance"), np.nan,
                         np.sqrt(np.clip(out["variance"].to_numpy(dtype=float), 0, None)))
    return out[_VC_COLS]


def _lrt(full: _Fitted, null: _Fitted, x: str, by: str | None, multi: bool,
         n_levels: int) -> pd.DataFrame:
    stat = max(0.0, 2.0 * (full.fit.llf - null.fit.llf))
    df = n_levels - 1 if multi else 1
    test = f"slope of {x} differs between {by} levels" if multi else f"slope of {x} is zero"
    return pd.DataFrame([{
        "test": test, "statistic": stat, "df": df, "p_value": float(stats.chi2.sf(stat, df)),
        "aic_null": float(null.aic), "aic_full": float(full.aic), "bic_null": float(null.bic),
        "bic_full": float(full.bic),
    }], columns=_LRT_COLS)


def _r2(fitted: _Fitted, model: _Model, random_slope: bool) -> tuple[float, float]:
    fit = fitted.fit
    var_f = float(np.var(fitted.exog @ fit.beta))
    cov_re = fit.cov_re
    if random_slope:
        zmat = np.column_stack([np.ones(len(model.frame)), model.frame["_x"].to_numpy()])
        var_r = float(np.mean(np.sum((zmat @ cov_re) * zmat, axis=1)))
    else:
        var_r = float(cov_re[0, 0])
    var_r += float(np.sum(fit.vcomp))
    var_e = float(fit.scale)
    total = var_f + var_r + var_e
    return var_f / total, (var_f + var_r) / total


def _empty(by: str | None, model: _Model, formula: str, method: str, confidence: float,
           reason: str) -> MixedEffectsResult:
    levels = sorted(set(model.levels) | set(model.shared))
    if by is not None:
        slopes = pd.DataFrame({by: pd.Series(levels, dtype=object),
                               **{c: np.nan for c in _SLOPE_COLS}}, columns=[by, *_SLOPE_COLS])
    else:
        slopes = pd.DataFrame([dict.fromkeys(_SLOPE_COLS, np.nan)], columns=_SLOPE_COLS)
    return MixedEffectsResult(
        fixed_effects=pd.DataFrame(columns=_FE_COLS),
        variance_components=pd.DataFrame(columns=_VC_COLS),
        slopes=slopes, lrt=pd.DataFrame(columns=_LRT_COLS), r2_marginal=np.nan,
        r2_conditional=np.nan, converged=False, warnings=(*dict.fromkeys(model.notes), reason),
        n=len(model.frame), n_groups=int(model.frame["_g"].nunique()) if len(model.frame)
        else 0, n_dropped=model.n_dropped, formula=formula, method=method,
        confidence=confidence, x_measurement_sd=model.x_sd, x_reliability=model.reliability,
        shared_levels=dict(model.shared),
    )
