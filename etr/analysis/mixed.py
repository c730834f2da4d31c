"""Linear mixed-effects models of trainability on expressibility (statsmodels MixedLM).

Every MixedLM call of etr lives in this module. Reported estimates come from REML fits;
likelihood-ratio tests, AIC and BIC from ML fits (``reml=False``), as statsmodels advises.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning as SMConvergenceWarning

from etr._validation import check_choice, check_float
from etr.analysis._common import (
    MIN_CLUSTERS,
    TRANSFORMS,
    as_tuple,
    check_frame,
    degenerate,
    prepare,
)
from etr.errors import ConvergenceWarning, InputError

__all__ = ["MixedEffectsResult", "mixed_effects"]

_FE_COLS = ["term", "estimate", "se", "ci_low", "ci_high", "p_value"]
_VC_COLS = ["component", "variance", "sd"]
_LRT_COLS = ["test", "statistic", "df", "p_value", "aic_null", "aic_full", "bic_null",
             "bic_full"]


@dataclass(frozen=True, slots=True)
class MixedEffectsResult:
    """Result of `mixed_effects`.

    Attributes
    ----------
    fixed_effects : pandas.DataFrame
        ``term, estimate, se, ci_low, ci_high, p_value`` (REML fit, Wald z).
    variance_components : pandas.DataFrame
        ``component, variance, sd``: random intercept (and slope, and their covariance, whose
        ``sd`` is NaN) per group, and the residual.
    slopes : pandas.DataFrame
        ``<by>, estimate, se, ci_low, ci_high, p_value``: slope of the (transformed) `y` on `x`
        within each level of `by` (one row without `by`).
    lrt : pandas.DataFrame
        One row: ``test, statistic, df, p_value, aic_null, aic_full, bic_null, bic_full``
        from ML fits (with `by`: "the slope differs between levels"; without: "slope = 0").
    r2_marginal, r2_conditional : float
        Nakagawa & Schielzeth (2013) R-squared (random slopes as in Johnson 2014).
    converged : bool
        All fits converged without a convergence warning.
    warnings : tuple of str
        Warnings raised while fitting (convergence, boundary), recorded instead of lost.
    n, n_groups, n_dropped : int
        Rows used, clusters, rows dropped for NaN/inf (including non-positive `y` under log10).
    formula : str
        The model in lme4 notation, with the original column names.
    method : str
        How the result was made.
    confidence : float
        Confidence level of the intervals.
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

    def to_frame(self) -> pd.DataFrame:
        """The fixed effects table with ``n`` and ``method`` columns appended."""
        out = self.fixed_effects.copy()
        out["n"] = self.n
        out["method"] = self.method
        return out


def mixed_effects(
    data: pd.DataFrame,
    *,
    y: str,
    x: str,
    groups: str = "architecture_id",
    by: str | None = "training_config",
    covariates: Sequence[str] = ("n_qubits", "layers"),
    transform_y: str = "log10",
    transform_x: str = "none",
    random_slope: bool = False,
    confidence: float = 0.95,
    lrt: bool = True,
) -> MixedEffectsResult:
    """Fit ``T(y) ~ x * by + covariates + (1 | groups)`` and report tidy results.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy data, one row per run.
    y : str
        Trainability column (numeric).
    x : str
        Expressibility column (numeric), e.g. ``"expressibility_kl"``.
    groups : str
        Random-effect grouping column (one random intercept per architecture).
    by : str or None
        Categorical column whose levels get their own intercept and slope (treatment coding,
        first level in sorted order as reference). ``None``: a single slope.
    covariates : sequence of str
        Extra fixed effects; numeric columns enter linearly, others as categories. A covariate
        that is constant in the data is left out (recorded in ``warnings``).
    transform_y : {"log10", "none"}
        Transform of `y` before fitting; under ``"log10"`` non-positive values are dropped
        and counted.
    transform_x : {"none", "log10"}
        Transform of `x` before fitting. Expressibility KL spans several decades (from the
        estimator's floor near 0.001 to > 1 for shallow circuits), so `tradeoff_summary` and the
        report fit on ``log10`` KL: a slope is then the change of (transformed) `y` per decade of
        KL, and no handful of high-KL circuits dominates the fit.
    random_slope : bool
        Also a random slope of `x` per group (correlated with the intercept).
    confidence : float
        Confidence level of the intervals (normal quantiles, as statsmodels).
    lrt : bool
        Fit the two ML models of the likelihood-ratio test; ``False`` saves two thirds of the
        time when only estimates are needed (``lrt`` is then an empty table).

    Returns
    -------
    MixedEffectsResult
        See its attributes. Degenerate data (fewer than 3 groups, constant `x` or `y`) give a
        result of NaN tables and a `~etr.errors.DegenerateDataWarning`; a level of `by` seen
        on fewer than 3 groups stays in the model but its ``slopes`` row is NaN (with a
        warning).

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
    Slopes per level are linear combinations of the fixed effects, ``b_x + b_{x:level}``, with
    standard errors from the REML covariance matrix. The likelihood-ratio statistic compares
    ML fits of the models with and without the ``x:by`` interaction (chi-squared with
    ``levels - 1`` df). R-squared: marginal = var(fixed predictions) / (var(fixed) +
    var(random) + residual); conditional adds var(random) to the numerator (Nakagawa &
    Schielzeth 2013, Methods Ecol. Evol. 4, 133; Johnson 2014, Methods Ecol. Evol. 5, 944).
    In a balanced design with `x` constant within groups the REML fixed effects coincide
    with ordinary least squares (the tests use this as a cross-check).

    Examples
    --------
    >>> from etr.analysis import mixed_effects, synthetic_dataset
    >>> df = synthetic_dataset(n_architectures=40, seed=0)
    >>> res = mixed_effects(df, y="grad_var", x="expressibility_kl")
    >>> res.slopes["training_config"].tolist()
    ['hybrid_full', 'hybrid_quantum_only', 'pure_pqc']
    >>> s = res.slopes.set_index("training_config").loc["pure_pqc"]
    >>> bool(s["ci_low"] < 0.8 < s["ci_high"])
    True
    """
    covariates = as_tuple(covariates)
    check_frame(data, (y, x, groups, by, *covariates), (x, y))
    check_choice("transform_y", transform_y, TRANSFORMS)
    check_choice("transform_x", transform_x, TRANSFORMS)
    for name, flag in (("random_slope", random_slope), ("lrt", lrt)):
        if not isinstance(flag, bool):
            raise InputError(f"`{name}` must be true or false, got {flag!r}")
    confidence = check_float("confidence", confidence, low=0.5, high=0.999999)
    if x in covariates or y in covariates:
        raise InputError("`covariates` must not contain `x` or `y`")

    frame = prepare(data, (x, y), (groups, by, *covariates), transform_y=(y, transform_y),
                    transform_x=(x, transform_x))
    n_dropped = int((~frame["_ok"]).sum())
    frame = frame[frame["_ok"]].reset_index(drop=True)
    notes: list[str] = []
    model_data = pd.DataFrame({"_y": frame[y].to_numpy(), "_x": frame[x].to_numpy(),
                               "_g": frame[groups].astype(str).to_numpy()})
    levels: list[str] = []
    if by is not None:
        model_data["_by"] = frame[by].astype(str).to_numpy()
        levels = sorted(model_data["_by"].unique())
    cov_terms, cov_names = [], {}
    for i, cov in enumerate(covariates):
        col = frame[cov]
        if col.nunique(dropna=True) < 2:
            notes.append(f"covariate `{cov}` is constant and was left out")
            continue
        name = f"_c{i}"
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        model_data[name] = col.astype(float).to_numpy() if numeric else col.astype(str).to_numpy()
        cov_terms.append(name if numeric else f"C({name})")
        cov_names[name] = cov

    y_label = f"log10({y})" if transform_y == "log10" else y
    x_label = f"log10({x})" if transform_x == "log10" else x
    re_part = f"(1 + {x_label} | {groups})" if random_slope else f"(1 | {groups})"
    by_part = f" * {by}" if by is not None and len(levels) > 1 else ""
    formula = f"{y_label} ~ {x_label}{by_part}" + "".join(f" + {c}" for c in cov_names.values())
    formula += f" + {re_part}"
    method = (f"MixedLM (REML estimates, ML likelihood-ratio test), random "
              f"{'intercept and slope' if random_slope else 'intercept'} per {groups}")
    if transform_y == "log10":
        method += f", {y} on log10 scale"
    if transform_x == "log10":
        method += f", {x} on log10 scale"

    n_groups = int(model_data["_g"].nunique())
    problem = None
    if n_groups < MIN_CLUSTERS:
        problem = f"{n_groups} group(s) in `{groups}`, fewer than {MIN_CLUSTERS}"
    elif np.ptp(model_data["_x"]) == 0:
        problem = f"`{x}` is constant"
    elif np.ptp(model_data["_y"]) == 0:
        problem = f"`{y}` is constant"
    if problem:
        degenerate(f"mixed model of {y}", problem)
        return _empty(by, levels, len(model_data), n_groups, n_dropped, formula, method,
                      confidence, (*notes, problem))

    multi = by is not None and len(levels) > 1
    rhs_cov = "".join(f" + {t}" for t in cov_terms)
    full = "_y ~ _x * C(_by)" + rhs_cov if multi else "_y ~ _x" + rhs_cov
    null = ("_y ~ _x + C(_by)" + rhs_cov) if multi else ("_y ~ 1" + rhs_cov)
    re_formula = "~_x" if random_slope else "~1"

    try:
        fit, ok = _fit(full, model_data, re_formula, reml=True, notes=notes)
        ok_f = ok_n = True
        if lrt:
            fit_full_ml, ok_f = _fit(full, model_data, re_formula, reml=False, notes=notes)
            fit_null_ml, ok_n = _fit(null, model_data, re_formula, reml=False, notes=notes)
    except _FitError as exc:
        degenerate(f"mixed model of {y}", str(exc))
        return _empty(by, levels, len(model_data), n_groups, n_dropped, formula, method,
                      confidence, (*notes, str(exc)))
    converged = ok and ok_f and ok_n
    if not converged:
        warnings.warn(f"mixed model of {y}: a fit did not converge; see result.warnings",
                      ConvergenceWarning, stacklevel=2)

    z = stats.norm.ppf(0.5 + confidence / 2)
    fe = _fixed_effects(fit, z, x_label, by, cov_names)
    slopes = _slopes(fit, z, by, levels, multi)
    if multi:  # a level observed on too few groups: its slope row is NaN (model kept)
        per_level = model_data.groupby("_by")["_g"].nunique()
        for level in per_level.index[per_level < MIN_CLUSTERS]:
            degenerate(f"mixed model of {y}, {by}={level}",
                       f"{per_level[level]} group(s), fewer than {MIN_CLUSTERS}")
            slopes.loc[slopes[by] == level, ["estimate", "se", "ci_low", "ci_high",
                                             "p_value"]] = np.nan
    vc = _variance_components(fit, groups, x, random_slope)
    lrt_table = (_lrt(fit_full_ml, fit_null_ml, x, by, multi, len(levels)) if lrt
                 else pd.DataFrame(columns=_LRT_COLS))
    r2m, r2c = _r2(fit, random_slope)
    return MixedEffectsResult(
        fixed_effects=fe, variance_components=vc, slopes=slopes, lrt=lrt_table, r2_marginal=r2m,
        r2_conditional=r2c, converged=converged, warnings=tuple(dict.fromkeys(notes)),
        n=len(model_data), n_groups=n_groups, n_dropped=n_dropped, formula=formula,
        method=method, confidence=confidence,
    )


_OPTIMIZERS: tuple[str, ...] = ("lbfgs", "bfgs", "powell")


def _fit(formula: str, data: pd.DataFrame, re_formula: str, *, reml: bool,
         notes: list[str]):
    """Fit one MixedLM, trying optimisers in turn and recording warnings; (fit, converged).

    An optimiser that raises (e.g. a singular matrix), does not converge or returns a
    non-finite or all-zero solution (a known L-BFGS failure mode) is replaced by the next.
    """
    model = smf.mixedlm(formula, data, groups=data["_g"], re_formula=re_formula)
    label = "REML" if reml else "ML"
    best, best_msgs = None, []
    failed: list[str] = []
    for method in _OPTIMIZERS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fit = model.fit(reml=reml, method=method)
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


class _FitError(RuntimeError):
    """No optimiser produced a usable fit."""


def _term_name(term: str, x: str, by: str | None, cov_names: dict[str, str]) -> str:
    parts = []
    for piece in term.split(":"):
        if piece == "_x":
            parts.append(x)
        elif piece.startswith("C(_by)[T."):
            parts.append(f"{by}[{piece[len('C(_by)[T.'):-1]}]")
        elif piece.startswith("C(_c"):
            name, level = piece[2:].split(")[T.")
            parts.append(f"{cov_names[name]}[{level[:-1]}]")
        else:
            parts.append(cov_names.get(piece, piece))
    return ":".join(parts)


def _fixed_effects(fit, z: float, x: str, by: str | None,
                   cov_names: dict[str, str]) -> pd.DataFrame:
    names = list(fit.fe_params.index)
    est = fit.fe_params.to_numpy()
    se = fit.bse_fe.to_numpy()
    p = 2 * stats.norm.sf(np.abs(est / se))
    return pd.DataFrame({
        "term": [_term_name(t, x, by, cov_names) for t in names], "estimate": est, "se": se,
        "ci_low": est - z * se, "ci_high": est + z * se, "p_value": p,
    }, columns=_FE_COLS)


def _slopes(fit, z: float, by: str | None, levels: list[str], multi: bool) -> pd.DataFrame:
    names = list(fit.fe_params.index)
    k = len(names)
    cov = fit.cov_params().loc[names, names].to_numpy()
    rows = []
    for level in (levels if multi else [levels[0] if levels else None]):
        c = np.zeros(k)
        c[names.index("_x")] = 1.0
        term = f"_x:C(_by)[T.{level}]"
        if multi and term in names:
            c[names.index(term)] = 1.0
        est = float(c @ fit.fe_params.to_numpy())
        se = float(np.sqrt(c @ cov @ c))
        row = {by: level} if by is not None else {}
        row.update(estimate=est, se=se, ci_low=est - z * se, ci_high=est + z * se,
                   p_value=float(2 * stats.norm.sf(abs(est / se))))
        rows.append(row)
    cols = ([by] if by is not None else []) + ["estimate", "se", "ci_low", "ci_high", "p_value"]
    return pd.DataFrame(rows, columns=cols)


def _variance_components(fit, groups: str, x: str, random_slope: bool) -> pd.DataFrame:
    cov_re = np.asarray(fit.cov_re)
    rows = [(f"{groups} intercept", cov_re[0, 0])]
    if random_slope:
        rows += [(f"{groups} slope of {x}", cov_re[1, 1]),
                 (f"{groups} intercept-slope covariance", cov_re[0, 1])]
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
    var_e = float(fit.scale)
    total = var_f + var_r + var_e
    return var_f / total, (var_f + var_r) / total


def _empty(by: str | None, levels: list[str], n: int, n_groups: int, n_dropped: int,
           formula: str, method: str, confidence: float,
           notes: tuple[str, ...]) -> MixedEffectsResult:
    slope_rows = [{by: lv} for lv in levels] if by is not None and levels else [{}]
    slopes = pd.DataFrame(slope_rows)
    for col in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        slopes[col] = np.nan
    if by is not None and by not in slopes.columns:
        slopes.insert(0, by, pd.Series(dtype=object))
    return MixedEffectsResult(
        fixed_effects=pd.DataFrame(columns=_FE_COLS),
        variance_components=pd.DataFrame(columns=_VC_COLS),
        slopes=slopes, lrt=pd.DataFrame(columns=_LRT_COLS), r2_marginal=np.nan,
        r2_conditional=np.nan, converged=False, warnings=notes, n=n, n_groups=n_groups,
        n_dropped=n_dropped, formula=formula, method=method, confidence=confidence,
    )
