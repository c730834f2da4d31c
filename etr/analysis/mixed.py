"""Linear mixed-effects models of trainability on expressibility (statsmodels MixedLM).

Every MixedLM call of etr lives in this module. Reported estimates come from REML fits;
likelihood-ratio tests, AIC and BIC from ML fits (``reml=False``), as statsmodels advises.

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

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import patsy
from patsy import PatsyError
from scipy import stats
from statsmodels.regression.mixed_linear_model import MixedLM, VCSpec
from statsmodels.tools.sm_exceptions import ConvergenceWarning as SMConvergenceWarning

from etr._validation import check_float
from etr.analysis._common import (
    MIN_CLUSTERS,
    as_tuple,
    check_frame,
    degenerate,
    registry_transform,
    shared_levels,
)
from etr.analysis.quality import clean
from etr.errors import ConvergenceWarning, InputError

__all__ = ["MixedEffectsResult", "mixed_effects"]

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
    covariates = as_tuple(covariates)
    check_frame(data, (y, x, groups, nested, by, *covariates), (x, y))
    transform_y = registry_transform("transform_y", transform_y, y)
    transform_x = registry_transform("transform_x", transform_x, x)
    for name, flag in (("random_slope", random_slope), ("lrt", lrt)):
        if not isinstance(flag, bool):
            raise InputError(f"`{name}` must be true or false, got {flag!r}")
    confidence = check_float("confidence", confidence, low=0.5, high=0.999999)
    if x in covariates or y in covariates:
        raise InputError("`covariates` must not contain `x` or `y`")

    model = _model_frame(data, y=y, x=x, groups=groups, nested=nested, by=by,
                         covariates=covariates, transform_y=transform_y, transform_x=transform_x)
    formula, method = _describe(y, x, groups, nested, model, by, transform_y, transform_x,
                                random_slope)
    problem = _problem(model.frame, groups, x, y)
    if problem:
        degenerate(f"mixed model of {y}", problem)
        return _empty(by, model, formula, method, confidence, problem)
    multi = by is not None and model.frame["_by"].nunique() > 1
    rhs_cov = "".join(f" + {t}" for t in model.cov_terms)
    if multi:
        full, null = "_y ~ C(_by) + _x:C(_by)" + rhs_cov, "_y ~ C(_by) + _x" + rhs_cov
    else:
        full, null = "_y ~ _x" + rhs_cov, "_y ~ 1" + rhs_cov
    re_formula = "~_x" if random_slope else "~1"
    fits = _fit_all(full, null, model, re_formula, lrt)
    if isinstance(fits, str):
        degenerate(f"mixed model of {y}", fits)
        return _empty(by, model, formula, method, confidence, fits)
    fit, fit_full_ml, fit_null_ml, converged = fits
    if not converged:
        warnings.warn(f"mixed model of {y}: a fit did not converge; see result.warnings",
                      ConvergenceWarning, stacklevel=2)
    dist = stats.t(_between_df(fit, model, multi))
    slopes = _slopes(fit, dist, confidence, by, model, multi, y)
    lrt_table = (_lrt(fit_full_ml, fit_null_ml, x, by, multi, model.frame["_by"].nunique()
                      if multi else 1) if lrt else pd.DataFrame(columns=_LRT_COLS))
    r2m, r2c = _r2(fit, random_slope)
    return MixedEffectsResult(
        fixed_effects=_fixed_effects(fit, dist, confidence, _label(x, transform_x), by,
                                     model.cov_names),
        variance_components=_variance_components(fit, groups, nested if model.nested else None,
                                                 x, random_slope),
        slopes=slopes, lrt=lrt_table, r2_marginal=r2m, r2_conditional=r2c, converged=converged,
        warnings=tuple(dict.fromkeys(model.notes)), n=len(model.frame),
        n_groups=int(model.frame["_g"].nunique()), n_dropped=model.n_dropped, formula=formula,
        method=method, confidence=confidence, x_measurement_sd=model.x_sd,
        x_reliability=model.reliability, shared_levels=dict(model.shared),
    )


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
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    if how == "log10":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)
    return v


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
    method = (f"MixedLM (REML estimates, ML likelihood-ratio test), random intercept per "
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

_OPTIMIZERS: tuple[str, ...] = ("lbfgs", "bfgs", "powell")


def _fit_all(full: str, null: str, model: _Model, re_formula: str, lrt: bool):
    """REML fit of `full` and, with `lrt`, ML fits of both; a reason string when impossible."""
    notes = model.notes
    try:
        fit, ok = _fit(full, model, re_formula, reml=True, notes=notes)
        fit_full_ml = fit_null_ml = None
        ok_f = ok_n = True
        if lrt:
            fit_full_ml, ok_f = _fit(full, model, re_formula, reml=False, notes=notes)
            fit_null_ml, ok_n = _fit(null, model, re_formula, reml=False, notes=notes)
    except _FitError as exc:
        notes.append(str(exc))
        return str(exc)
    return fit, fit_full_ml, fit_null_ml, ok and ok_f and ok_n


def _fit(formula: str, model: _Model, re_formula: str, *, reml: bool, notes: list[str]):
    """Fit one MixedLM, trying optimisers in turn and recording warnings; (fit, converged).

    An optimiser that raises (e.g. a singular matrix), does not converge or returns a
    non-finite or all-zero solution (a known L-BFGS failure mode) is replaced by the next.
    """
    try:
        mm = _build(formula, model, re_formula)
    except (ValueError, np.linalg.LinAlgError, PatsyError) as exc:
        raise _FitError(f"model could not be built ({str(exc).splitlines()[0]})") from None
    label = "REML" if reml else "ML"
    best, best_msgs = None, []
    failed: list[str] = []
    for method in _OPTIMIZERS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fit = mm.fit(reml=reml, method=method)
            except (np.linalg.LinAlgError, ValueError) as exc:
                failed.append(f"{method} ({str(exc).splitlines()[0]})")
                continue
        msgs = [str(w.message).splitlines()[0] for w in caught]
        bad = any(issubclass(w.category, SMConvergenceWarning) and "converge" in str(w.message)
                  for w in caught)
        params = np.asarray(fit.params, dtype=float)
        sane = np.isfinite(fit.llf) and np.all(np.isfinite(params)) and np.any(params != 0)
        if sane and bool(fit.converged) and not bad:
            if failed:
                notes.append(f"{label} fit: optimiser {', '.join(failed)} failed; {method} "
                             "converged")
            notes.extend(f"{label} fit: {m}" for m in msgs)
            return fit, True
        failed.append(f"{method} (did not converge)")
        if best is None and sane:
            best, best_msgs = fit, msgs
    if best is None:
        raise _FitError(f"{label} fit failed with every optimiser ({', '.join(_OPTIMIZERS)})")
    notes.extend(f"{label} fit: {m}" for m in best_msgs)
    notes.append(f"{label} fit did not converge")
    return best, False


def _build(formula: str, model: _Model, re_formula: str) -> MixedLM:
    """The MixedLM with the nested variance component built directly (fast for many groups).

    statsmodels' ``vc_formula`` evaluates a patsy formula once per group; with hundreds of
    circuits that dominates the fit, so the nested indicator matrices are built here.
    """
    data = model.frame
    endog, exog = patsy.dmatrices(formula, data, return_type="dataframe")
    keep = _independent_columns(exog.to_numpy())
    if len(keep) < exog.shape[1]:
        dropped = [c for i, c in enumerate(exog.columns) if i not in set(keep)]
        note = f"{len(dropped)} aliased fixed-effect column(s) left out (no data to separate them)"
        if note not in model.notes:
            model.notes.append(note)
        exog = exog.iloc[:, keep]
    groups = data["_g"].to_numpy()
    exog_re = (np.column_stack([np.ones(len(data)), data["_x"].to_numpy()])
               if re_formula == "~_x" else np.ones((len(data), 1)))
    exog_vc = None
    if model.nested:
        mats, names = [], []
        for g in np.unique(groups):  # sorted, as VCSpec requires
            a = data["_a"].to_numpy()[groups == g]
            levels = np.unique(a)
            mats.append((a[:, None] == levels[None, :]).astype(float))
            names.append([f"C(_a)[{lv}]" for lv in levels])
        exog_vc = VCSpec(["nested"], [names], [mats])
    mm = MixedLM(endog.iloc[:, 0], exog, groups, exog_re=exog_re, exog_vc=exog_vc)
    return mm


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
    """No optimiser produced a usable fit."""


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


def _between_df(fit, model: _Model, multi: bool) -> int:
    """Between-circuit degrees of freedom: circuits minus fixed effects per configuration.

    x varies between circuits only, so its slope is estimated from circuit means; Wald z
    intervals ignore that only tens of circuits carry it (and under-cover, by simulation).
    """
    n_levels = len(model.levels) if multi else 1
    per_level = int(np.ceil(len(fit.fe_params) / max(n_levels, 1)))
    return max(int(model.frame["_g"].nunique()) - per_level, 1)


def _fixed_effects(fit, dist, confidence: float, x: str, by: str | None,
                   cov_names: dict[str, str]) -> pd.DataFrame:
    names = list(fit.fe_params.index)
    est = fit.fe_params.to_numpy()
    se = fit.bse_fe.to_numpy()
    z = dist.ppf(0.5 + confidence / 2)
    p = 2 * dist.sf(np.abs(est / se))
    return pd.DataFrame({
        "term": [_term_name(t, x, by, cov_names) for t in names], "estimate": est, "se": se,
        "ci_low": est - z * se, "ci_high": est + z * se, "p_value": p,
    }, columns=_FE_COLS)


def _slopes(fit, dist, confidence: float, by: str | None, model: _Model, multi: bool,
            y: str) -> pd.DataFrame:
    names = list(fit.fe_params.index)
    cov = fit.cov_params().loc[names, names].to_numpy()
    beta = fit.fe_params.to_numpy()
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


def _variance_components(fit, groups: str, nested: str | None, x: str,
                         random_slope: bool) -> pd.DataFrame:
    cov_re = np.asarray(fit.cov_re)
    rows = [(f"{groups} intercept", cov_re[0, 0])]
    if random_slope:
        rows += [(f"{groups} slope of {x}", cov_re[1, 1]),
                 (f"{groups} intercept-slope covariance", cov_re[0, 1])]
    if nested is not None:
        rows.append((f"{nested} within {groups}", float(np.asarray(fit.vcomp)[0])))
    rows.append(("residual", float(fit.scale)))
    out = pd.DataFrame(rows, columns=["component", "variance"])
    out["sd"] = np.where(out["component"].str.contains("covariance"), np.nan,
                         np.sqrt(np.clip(out["variance"].to_numpy(dtype=float), 0, None)))
    return out[_VC_COLS]


def _lrt(full, null, x: str, by: str | None, multi: bool, n_levels: int) -> pd.DataFrame:
    stat = max(0.0, 2.0 * (full.llf - null.llf))
    df = n_levels - 1 if multi else 1
    test = f"slope of {x} differs between {by} levels" if multi else f"slope of {x} is zero"
    return pd.DataFrame([{
        "test": test, "statistic": stat, "df": df, "p_value": float(stats.chi2.sf(stat, df)),
        "aic_null": float(null.aic), "aic_full": float(full.aic), "bic_null": float(null.bic),
        "bic_full": float(full.bic),
    }], columns=_LRT_COLS)


def _r2(fit, random_slope: bool) -> tuple[float, float]:
    exog = fit.model.exog
    var_f = float(np.var(exog @ fit.fe_params.to_numpy()))
    cov_re = np.asarray(fit.cov_re)
    if random_slope:
        zmat = fit.model.exog_re
        var_r = float(np.mean(np.sum((zmat @ cov_re) * zmat, axis=1)))
    else:
        var_r = float(cov_re[0, 0])
    var_r += float(np.sum(np.asarray(fit.vcomp))) if len(np.asarray(fit.vcomp)) else 0.0
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
