"""The paper's claims as pre-registered tests (Kashif & Shafique, arXiv 2605.25768).

Each claim of the study is one hypothesis test fixed before looking at the data, run on the
association of expressibility with trainability *given* width and depth (`etr.analysis.
conditional`; positive = "more expressive -> less trainable"), with distinct circuits as the
independent units. A verdict is "supported", "contradicted" or "inconclusive":

=============================== ===================================================================
claim                           test
=============================== ===================================================================
``pure_weak``                   pure PQCs: two one-sided tests that r lies inside +-0.3 (weak at
                                most); contradicted when the interval lies outside +-0.3
``pure_regime_dependent``       pure PQCs: r differs between pre-specified regimes, shallow vs deep
                                and narrow vs wide halves of the design (two-sided, Bonferroni over
                                the splits); contradicted when every split's difference is shown
                                inside +-margin
``quantum_only_disrupted``      r(pure) - r(hybrid_quantum_only) > 0, paired by circuit, one-sided;
                                contradicted when the difference is shown below +margin
``full_eliminated``             hybrid_full: two one-sided tests that r lies inside +-margin;
                                contradicted when the interval lies outside +-margin
``nas_fronts_differ_by_*``      every between-setting distance of Pareto sets exceeds every
                                seed-to-seed distance, and the exact rank test says so at alpha
``noise_changes_tradeoff``      pure PQCs: r at a noise level differs from the noiseless r on the
                                same circuits, paired by circuit (two-sided, Bonferroni over the
                                levels); contradicted when every level's difference is shown
                                inside +-margin (`etr.analysis.compare_noise_levels`)
=============================== ===================================================================

Why pre-specified regimes for ``pure_regime_dependent``: the association given width and depth
is a pair statistic with no regression line to segment, and a breakpoint search on the marginal
relationship (`segment_regimes`, with `davies_test` for its level) would test a relationship
confounded by width and depth. Splitting the design into its lower and upper halves of depth
and of width (halves balanced by circuits, fixed by the design, never by the outcome) needs no
search, so the test has its nominal level by construction; simulations check level and power
(``tests/analysis/test_validation.py``).

Multiplicity: Holm over every row with a p-value (claims x definitions); a row is "supported"
when its Holm-adjusted p-value is at most alpha. Its interval is shown at the level of its Holm
step (``confidence``): ``1 - 2 alpha_i`` for one-sided and equivalence tests, ``1 - alpha_i / k``
for the two-sided regime test over k splits, with ``alpha_i = alpha / (m - i)`` for the i-th
smallest of m p-values; "contradicted" is read off the same interval.

Equivalence needs many circuits
-------------------------------
The standard error of r is about ``(pi / 3) sqrt(D f / G)`` for G distinct circuits, with

* ``D = (1 + (m - 1) rho_w) / m <= 1`` for m runs per circuit whose trainability ranks
  correlate by rho_w within a circuit (seeds, pre-networks; D = 1 for one run per circuit);
* ``f = (2 g + 5) / (2 (g - 1))`` for g circuits per (n_qubits, layers) stratum (the exact
  variance of Kendall's tau, 1.27 at the paper preset's 14 per stratum, 2.75 at 3).

"Shown inside +-0.1" needs ``|r_hat| + z se < 0.1``. When the true r is 0 this happens with
probability ``P(|N(0, 1)| < 0.1 / se - z)``: even odds at ``se = 0.1 / (z + 0.674)``, 80% at
``se = 0.1 / (z + 1.282)``. For a single test at alpha = 0.05 (z = 1.645) that is
``G / (D f) ~ 590`` circuits for even odds and ~940 for 80% (the 90% half-width alone reaches
0.1 at ~300); after Holm over four claims (z = 2.24) ~930 and ~1360. The paper preset (455
circuits, 14 per stratum) has ``G / f ~ 360``: it can show "eliminated" only with many strongly
correlated runs per circuit helping through D, or with a wider margin. A true r closer to the
margin needs more. ``tests/analysis/test_validation.py`` checks the half-width and the even-odds
point by simulation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from etr._rng import SeedLike, as_generator
from etr._validation import check_choice, check_float, check_int
from etr.analysis import conditional as cond
from etr.analysis._common import adjust, as_tuple, shared_levels
from etr.analysis.quality import CleanedData, clean
from etr.contract import EXPRESSIBILITY_MEASURES, PRIMARY_X, TRAINABILITY_ONLY
from etr.errors import InputError

__all__ = ["CLAIMS", "NAS_COLUMNS", "Claim", "evaluate_claims"]

PURE, QUANTUM_ONLY, FULL = "pure_pqc", "hybrid_quantum_only", "hybrid_full"
VERDICTS: tuple[str, ...] = ("supported", "contradicted", "inconclusive")
#: the equivalence bound of "at most weak" (Cohen's moderate threshold).
WEAK_BOUND = 0.3
NAS_KINDS: tuple[str, ...] = ("between", "within")
#: columns of the `nas` table of `evaluate_claims`.
NAS_COLUMNS: tuple[str, ...] = ("claim", "kind", "setting_a", "setting_b", "distance")


@dataclass(frozen=True, slots=True)
class Claim:
    """One claim of the paper: its name, what it says, and the test that decides it."""

    name: str
    meaning: str
    test: str


#: the claims, in report order.
CLAIMS: dict[str, Claim] = {c.name: c for c in (
    Claim("pure_weak", "pure PQCs show at most a weak trade-off",
          "conditional r of pure_pqc inside +-0.3 by two one-sided tests"),
    Claim("pure_regime_dependent", "the pure-PQC relationship changes between regimes",
          "difference of conditional r between the shallow and deep, and the narrow and wide, "
          "halves of the design (two-sided, Bonferroni over the splits)"),
    Claim("quantum_only_disrupted", "quantum-only hybrid training weakens the trade-off",
          "r(pure_pqc) - r(hybrid_quantum_only) > 0, paired by circuit, one-sided"),
    Claim("full_eliminated", "end-to-end training removes the trade-off",
          "conditional r of hybrid_full inside +-margin by two one-sided tests"),
    Claim("nas_fronts_differ_by_training",
          "NAS Pareto sets differ between quantum-only and end-to-end training",
          "every between-setting distance exceeds every seed-to-seed distance, exact "
          "Mann-Whitney test (one-sided)"),
    Claim("nas_fronts_differ_by_definition",
          "NAS Pareto sets differ between trainability definitions",
          "every between-setting distance exceeds every seed-to-seed distance, exact "
          "Mann-Whitney test (one-sided)"),
    # --- noise (a claim of this study, not of the paper): its rule is `_noise_rows`, its data
    # the table of `etr.analysis.compare_noise_levels` passed as `noise=`
    Claim("noise_changes_tradeoff",
          "hardware noise changes the pure-PQC trade-off",
          "r(pure_pqc at a noise level) - r(pure_pqc noiseless) on the same circuits, paired by "
          "circuit, two-sided, Bonferroni over the noise levels; contradicted when every "
          "difference lies inside +-margin"),
)}
_NAS_CLAIMS = ("nas_fronts_differ_by_training", "nas_fronts_differ_by_definition")
_COLUMNS = ["claim", "definition", "verdict", "estimate", "ci_low", "ci_high", "confidence",
            "p_value", "p_adj", "test", "sentence", "n", "n_clusters", "margin", "x",
            "data_note"]


# --- one pending row ------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    """A claim x definition awaiting the Holm step that fixes its interval and verdict.

    ``decide(alpha_i)`` returns (estimate, ci_low, ci_high, confidence, passes, contradicted,
    detail) at the row's Holm level; rows without a test carry a final verdict and sentence.
    """

    claim: str
    definition: str
    p_value: float = float("nan")
    decide: Callable[[float], dict] | None = None
    sentence: str = ""
    verdict: str = "inconclusive"
    n: int = 0
    n_clusters: int = 0
    test: str = ""
    note: str = ""
    values: dict = field(default_factory=dict)


class _Oriented:
    """A conditional fit read with the registry's orientation (+ = trade-off)."""

    def __init__(self, fit: cond.Fit, sign: int) -> None:
        self.fit, self.sign = fit, sign

    @property
    def estimate(self) -> float:
        return self.sign * self.fit.r

    def interval(self, level: float) -> tuple[float, float]:
        low, high = self.fit.interval(level)
        return (low, high) if self.sign > 0 else (-high, -low)

    def p_greater(self, bound: float) -> float:
        """p-value of H0 ``estimate <= bound``."""
        return (self.fit.p_beyond(bound, "above") if self.sign > 0
                else self.fit.p_beyond(-bound, "below"))

    def p_less(self, bound: float) -> float:
        """p-value of H0 ``estimate >= bound``."""
        return (self.fit.p_beyond(bound, "below") if self.sign > 0
                else self.fit.p_beyond(-bound, "above"))

    def tost(self, bound: float) -> float:
        return max(self.p_greater(-bound), self.p_less(bound))


# --- public ---------------------------------------------------------------------------------


def evaluate_claims(
    data: pd.DataFrame,
    *,
    x: str = PRIMARY_X,
    definitions: Sequence[str] | None = None,
    margin: float = 0.1,
    alpha: float = 0.05,
    seed: SeedLike = None,
    n_boot: int = 2000,
    nas: pd.DataFrame | None = None,
    ci_method: str = "ustat",
    strata: Sequence[str] = cond.STRATA,
    cluster: str = "pqc_id",
    noise: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Test the paper's claims on a dataset; one row per (claim, definition).

    Parameters
    ----------
    data : pandas.DataFrame
        A dataset following `etr.contract`: ``training_config``, `cluster`, the `strata`
        columns, `x` and trainability columns. The classical-only control (no PQC) is ignored.
    x : str
        An expressibility measure of `etr.contract.METRICS` (default the frame-potential ratio).
    definitions : sequence of str, optional
        Trainability definitions to test; default every registered trainability definition with
        finite values in `data`.
    margin : float
        Equivalence margin of "eliminated" (``|r| < margin``) and of "no regime difference",
        in (0, 1).
    alpha : float
        Family-wise error rate of the "supported" verdicts (Holm), in (0, 0.5).
    seed : int, numpy.random.Generator or None
        Randomness of the bootstrap (``ci_method="bootstrap"`` only).
    n_boot : int
        Bootstrap replicates (``ci_method="bootstrap"`` only).
    nas : pandas.DataFrame, optional
        Distances between NAS Pareto sets, one row per pair of searches, columns `NAS_COLUMNS`:
        ``claim`` (``"nas_fronts_differ_by_training"`` or ``"nas_fronts_differ_by_definition"``),
        ``kind`` (``"between"``: two settings, e.g. quantum-only vs end-to-end; ``"within"``:
        two seeds of one setting), ``setting_a``, ``setting_b`` (labels, e.g.
        ``"hybrid_full/seed1"``) and ``distance`` = 1 - Jaccard index of the two Pareto sets,
        in [0, 1]. ``None``: the NAS rows are "inconclusive" (not evaluated).
    ci_method : {"ustat", "bootstrap"}
        Variance of the association (see `etr.analysis.conditional_correlation`).
    strata : sequence of str
        What the association is conditioned on.
    cluster : str
        The distinct circuit.
    noise : pandas.DataFrame, optional
        The table of `etr.analysis.compare_noise_levels` on the whole dataset (every noise
        level; `data` itself holds the noiseless runs the other claims use). ``None``: the
        noise claim is "inconclusive" (not tested).

    Returns
    -------
    pandas.DataFrame
        One row per claim (`CLAIMS` order) and definition (NAS claims: definition
        ``"pareto_front"``), columns ``claim, definition, verdict`` ("supported",
        "contradicted", "inconclusive"), ``estimate`` (oriented r, or a difference of r, or for
        NAS the probability that a between-setting distance exceeds a seed-to-seed one),
        ``ci_low, ci_high, confidence`` (interval and its level: the level of the row's Holm
        step), ``p_value`` (of the test whose rejection supports the claim), ``p_adj`` (Holm
        over the family), ``test`` (what was tested, in words), ``sentence`` (the verdict in
        plain English), ``n`` (runs or distances), ``n_clusters`` (distinct circuits),
        ``margin``, ``x`` and ``data_note`` (what was removed from the data).

    Raises
    ------
    etr.errors.InputError
        A missing column (named, e.g. the `x` column), an unregistered `x` or definition, bad
        options or a malformed `nas` table.

    Notes
    -----
    See the module docstring for the tests, the multiplicity rule and how many circuits an
    equivalence claim needs. Missing configurations, too few circuits or constant data give
    "inconclusive" rows saying why, never an exception.

    Examples
    --------
    >>> from etr.analysis import evaluate_claims, planted_dataset
    >>> df = planted_dataset(n_pqcs=1200, n_seeds=2, seed=1, conditional={
    ...     "pure_pqc": 0.6, "hybrid_quantum_only": 0.3, "hybrid_full": 0.0})
    >>> res = evaluate_claims(df, definitions=["grad_var_train"])
    >>> res.set_index("claim")["verdict"].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'pure_weak': 'contradicted', 'pure_regime_dependent': 'inconclusive',
     'quantum_only_disrupted': 'supported', 'full_eliminated': 'supported',
     'nas_fronts_differ_by_training': 'inconclusive',
     'nas_fronts_differ_by_definition': 'inconclusive',
     'noise_changes_tradeoff': 'inconclusive'}
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    strata = as_tuple(strata)
    _check_columns(data, x, strata, cluster)
    margin = check_float("margin", margin, low=1e-6, high=0.999)
    alpha = check_float("alpha", alpha, low=1e-6, high=0.5)
    check_choice("ci_method", ci_method, cond.CI_METHODS)
    n_boot = check_int("n_boot", n_boot, minimum=10)
    defs = _definitions(data, definitions)
    nas_table = _check_nas(nas)
    cleaned = clean(data)
    rng = as_generator(seed)
    rows: list[_Row] = []
    for definition, child in zip(defs, rng.spawn(max(len(defs), 1)), strict=False):
        rows.extend(_definition_rows(cleaned, x, definition, strata, cluster, margin,
                                     ci_method, n_boot, child))
    rows.extend(_nas_rows(nas_table))
    rows.extend(_noise_rows(noise, defs, margin))
    return _assemble(rows, alpha, margin, x, defs)


def _check_columns(data: pd.DataFrame, x: str, strata: tuple[str, ...], cluster: str) -> None:
    if x not in data.columns:
        raise InputError(f"`x` column {x!r} is not in `data`; expressibility columns present: "
                         + (", ".join(c for c in data.columns if c in EXPRESSIBILITY_MEASURES)
                            or "none"))
    cond.orientation(x, "grad_var")
    missing = [c for c in ("training_config", cluster, *strata) if c not in data.columns]
    if missing:
        raise InputError(f"`data` is missing column(s): {', '.join(missing)}")


def _definitions(data: pd.DataFrame, definitions: Sequence[str] | None) -> list[str]:
    if definitions is None:
        return [d for d in TRAINABILITY_ONLY if d in data.columns
                and np.isfinite(pd.to_numeric(data[d], errors="coerce")).any()]
    defs = list(as_tuple(definitions))
    for d in defs:
        cond.orientation(PRIMARY_X, d)
    missing = [d for d in defs if d not in data.columns]
    if missing:
        raise InputError(f"`definitions` column(s) not in `data`: {', '.join(missing)}")
    return defs


# --- claims on the association --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    """Fits of one definition, by configuration, and what a sentence needs."""

    definition: str
    rows: cond.Rows
    fits: dict[str, _Oriented | str]
    counts: np.ndarray | None
    sign: int
    margin: float
    shared: dict[str, str]


def _definition_rows(cleaned: CleanedData, x: str, definition: str, strata: tuple[str, ...],
                     cluster: str, margin: float, ci_method: str, n_boot: int,
                     rng: np.random.Generator) -> list[_Row]:
    rows = cond.prepare_rows(cleaned.data, x=x, y=definition, by=("training_config",),
                             strata=strata, cluster=cluster, cleaned=cleaned)
    counts = None
    if ci_method == "bootstrap":
        g = rows.n_clusters_total
        counts = rng.multinomial(g, np.full(g, 1.0 / g), size=n_boot)
    sign = cond.orientation(x, definition)
    fits = {c: _fit_config(rows, c, counts, sign) for c in (PURE, QUANTUM_ONLY, FULL)}
    ctx = _Context(definition=definition, rows=rows, fits=fits, counts=counts, sign=sign,
                   margin=margin, shared=shared_levels(cleaned.data, definition))
    out = [_pure_weak(ctx), _regime(ctx, strata), _disrupted(ctx), _eliminated(ctx)]
    shared = {FULL, QUANTUM_ONLY} & set(ctx.shared)
    for r in out:
        r.note = rows.note
        if shared and r.claim in ("quantum_only_disrupted", "full_eliminated"):
            r.values["shared"] = (f" Note: {definition} holds the same values under {FULL} and "
                                  f"{QUANTUM_ONLY} (one measurement: at initialisation the two "
                                  "hybrid configurations are the same model).")
    return out


def _fit_config(rows: cond.Rows, config: str, counts: np.ndarray | None,
                sign: int) -> _Oriented | str:
    """The oriented conditional fit of one configuration, or why there is none."""
    sub = rows.frame[rows.frame["_g"] == config]
    if not len(sub):
        return f"no usable {config} runs"
    ker = cond.kernels(sub)
    why = cond.problem(sub, ker)
    if why is not None:
        return f"{config}: {why}"
    return _Oriented(cond.fit(list(ker.values()), counts=counts), sign)


def _sub(rows: cond.Rows, config: str) -> pd.DataFrame:
    return rows.frame[rows.frame["_g"] == config]


def _meaning(claim: str) -> str:
    text = CLAIMS[claim].meaning
    return text[0].upper() + text[1:]


def _fmt(v: float) -> str:
    return f"{v:.2f}" if np.isfinite(v) else "NaN"


def _ci_text(low: float, high: float, level: float) -> str:
    return f"{100 * level:.4g}% CI {_fmt(low)} to {_fmt(high)}"


def _unavailable(claim: str, ctx: _Context, why: str) -> _Row:
    return _Row(claim=claim, definition=ctx.definition, test=CLAIMS[claim].test,
                sentence=f"{_meaning(claim)} ({ctx.definition}): "
                         f"inconclusive, not tested: {why}.")


def _equivalence(claim: str, ctx: _Context, config: str, bound: float) -> _Row:
    """Rows of pure_weak (bound 0.3) and full_eliminated (bound = margin)."""
    f = ctx.fits[config]
    if isinstance(f, str):
        return _unavailable(claim, ctx, f)
    sub = _sub(ctx.rows, config)
    test = (f"conditional r of {config} inside +-{bound:g}: two one-sided tests (supported when "
            f"the 1 - 2 alpha_i interval lies inside); contradicted when it lies outside")

    def decide(alpha_i: float) -> dict:
        level = 1.0 - 2.0 * alpha_i
        low, high = f.interval(level)
        inside = -bound < low and high < bound
        outside = low >= bound or high <= -bound
        return {"estimate": f.estimate, "ci_low": low, "ci_high": high, "confidence": level,
                "passes": inside, "contradicted": outside}

    return _Row(claim=claim, definition=ctx.definition, p_value=f.tost(bound), decide=decide,
                n=len(sub), n_clusters=int(sub["_c"].nunique()), test=test,
                values={"bound": bound, "config": config, "se_fit": f})


def _pure_weak(ctx: _Context) -> _Row:
    return _equivalence("pure_weak", ctx, PURE, WEAK_BOUND)


def _eliminated(ctx: _Context) -> _Row:
    return _equivalence("full_eliminated", ctx, FULL, ctx.margin)


def _disrupted(ctx: _Context) -> _Row:
    claim = "quantum_only_disrupted"
    a, b = ctx.fits[PURE], ctx.fits[QUANTUM_ONLY]
    for f in (a, b):
        if isinstance(f, str):
            return _unavailable(claim, ctx, f)
    diff = cond.difference(a.fit, b.fit)
    d = ctx.sign * diff.estimate
    if not diff.var > 0:
        return _unavailable(claim, ctx, "the difference has no estimable variance")
    p = diff.p_greater(0.0) if ctx.sign > 0 else diff.p_less(0.0)
    clusters = pd.concat([_sub(ctx.rows, PURE), _sub(ctx.rows, QUANTUM_ONLY)])

    def decide(alpha_i: float) -> dict:
        level = 1.0 - 2.0 * alpha_i
        low, high = diff.interval(level)
        low, high = (low, high) if ctx.sign > 0 else (-high, -low)
        return {"estimate": d, "ci_low": low, "ci_high": high, "confidence": level,
                "passes": low > 0, "contradicted": high < ctx.margin}

    return _Row(claim=claim, definition=ctx.definition, p_value=p, decide=decide,
                n=len(clusters), n_clusters=int(clusters["_c"].nunique()),
                test=f"r({PURE}) - r({QUANTUM_ONLY}) > 0, paired by circuit, one-sided; "
                     f"contradicted when its interval lies below +{ctx.margin:g}")


# --- regime dependence ----------------------------------------------------------------------


def _split(sub: pd.DataFrame, column: str) -> tuple[list, list] | None:
    """Lower and upper halves of the levels of `column`, balanced by distinct circuits."""
    per_level = sub.groupby(column)["_c"].nunique().sort_index()
    if len(per_level) < 2:
        return None
    cum = per_level.cumsum().to_numpy()
    total = cum[-1]
    cut = int(np.argmin(np.abs(cum[:-1] - total / 2.0))) + 1
    levels = list(per_level.index)
    return levels[:cut], levels[cut:]


def _regime(ctx: _Context, strata: tuple[str, ...]) -> _Row:
    claim = "pure_regime_dependent"
    f = ctx.fits[PURE]
    if isinstance(f, str):
        return _unavailable(claim, ctx, f)
    sub = _sub(ctx.rows, PURE)
    splits = []
    for column, name in (("layers", "depth"), ("n_qubits", "width")):
        if column not in strata:
            continue
        halves = _split(sub, column)
        if halves is None:
            continue
        parts = []
        for half in halves:
            rows = sub[sub[column].isin(half).to_numpy()]
            ker = cond.kernels(rows) if len(rows) else {}
            if not len(rows) or cond.problem(rows, ker) is not None:
                break
            parts.append(cond.fit(list(ker.values()), counts=ctx.counts))
        if len(parts) == 2:
            splits.append((name, halves, cond.difference(parts[0], parts[1])))
    splits = [s for s in splits if s[2].var > 0]
    if not splits:
        return _unavailable(claim, ctx, "no pre-specified regime split (depth or width halves) "
                                        "has usable circuits on both sides")
    k = len(splits)
    ps = [s[2].p_two_sided() for s in splits]
    best = int(np.argmin(ps))

    def decide(alpha_i: float) -> dict:
        level = 1.0 - alpha_i / k
        ints = [s[2].interval(level) for s in splits]
        ints = [(lo, hi) if ctx.sign > 0 else (-hi, -lo) for lo, hi in ints]
        low, high = ints[best]
        return {"estimate": ctx.sign * splits[best][2].estimate, "ci_low": low,
                "ci_high": high, "confidence": level, "passes": low > 0 or high < 0,
                "contradicted": all(-ctx.margin < lo and hi < ctx.margin for lo, hi in ints),
                "split": _split_text(splits[best])}

    names = " and ".join(f"{s[0]} ({_split_text(s)})" for s in splits)
    return _Row(claim=claim, definition=ctx.definition, p_value=min(1.0, k * min(ps)),
                decide=decide, n=len(sub), n_clusters=int(sub["_c"].nunique()),
                test=f"difference of conditional r of {PURE} between pre-specified regimes, "
                     f"{names}; two-sided, Bonferroni over {k} split(s); contradicted when "
                     f"every difference lies inside +-{ctx.margin:g}")


def _split_text(split: tuple) -> str:
    name, (low, high), _ = split
    unit = "layers" if name == "depth" else "qubits"
    return f"{unit} {_levels(low)} minus {_levels(high)}"


def _levels(v: list) -> str:
    return ", ".join(str(x) for x in v)


# --- NAS ------------------------------------------------------------------------------------


def _check_nas(nas: object) -> pd.DataFrame | None:
    if nas is None:
        return None
    if not isinstance(nas, pd.DataFrame):
        raise InputError(f"`nas` must be a pandas DataFrame, got {type(nas).__name__}")
    missing = [c for c in NAS_COLUMNS if c not in nas.columns]
    if missing:
        raise InputError(f"`nas` is missing column(s): {', '.join(missing)}; expected "
                         + ", ".join(NAS_COLUMNS))
    bad = sorted(set(nas["claim"].astype(str)) - set(_NAS_CLAIMS))
    if bad:
        raise InputError(f"`nas` column `claim` has unknown value(s) {bad}; allowed: "
                         + ", ".join(_NAS_CLAIMS))
    bad = sorted(set(nas["kind"].astype(str)) - set(NAS_KINDS))
    if bad:
        raise InputError(f"`nas` column `kind` has unknown value(s) {bad}; allowed: "
                         + ", ".join(NAS_KINDS))
    dist = pd.to_numeric(nas["distance"], errors="coerce")
    if not (np.isfinite(dist) & (dist >= 0) & (dist <= 1)).all():
        raise InputError("`nas` column `distance` must hold numbers in [0, 1] "
                         "(1 - Jaccard index of two Pareto sets)")
    return nas.assign(distance=dist.astype(float))


def _nas_rows(nas: pd.DataFrame | None) -> list[_Row]:
    out = []
    for claim in _NAS_CLAIMS:
        meaning = _meaning(claim)
        if nas is None:
            out.append(_Row(claim=claim, definition="pareto_front", test=CLAIMS[claim].test,
                            sentence=f"{meaning}: inconclusive, not evaluated (no NAS "
                                     "comparison table was given as `nas`)."))
            continue
        t = nas[nas["claim"].astype(str) == claim]
        between = t.loc[t["kind"] == "between", "distance"].to_numpy()
        within = t.loc[t["kind"] == "within", "distance"].to_numpy()
        out.append(_nas_row(claim, between, within))
    return out


def _nas_row(claim: str, between: np.ndarray, within: np.ndarray) -> _Row:
    meaning = _meaning(claim)
    row = _Row(claim=claim, definition="pareto_front", test=CLAIMS[claim].test,
               n=len(between) + len(within))
    if not len(between) or not len(within):
        row.sentence = (f"{meaning}: inconclusive, not tested: it needs between-setting and "
                        f"seed-to-seed (within) distances; got {len(between)} and "
                        f"{len(within)}.")
        return row
    diff = between[:, None] - within[None, :]
    superiority = float(np.mean((diff > 0) + 0.5 * (diff == 0)))
    ties = len(np.unique(np.concatenate([between, within]))) < len(between) + len(within)
    p = float(stats.mannwhitneyu(between, within, alternative="greater",
                                 method="asymptotic" if ties else "exact").pvalue)
    separated = between.min() > within.max()
    none_exceed = between.max() <= within.max()

    def decide(alpha_i: float) -> dict:
        return {"estimate": superiority, "ci_low": np.nan, "ci_high": np.nan,
                "confidence": np.nan, "passes": separated, "contradicted": none_exceed,
                "between": between, "within": within}

    row.p_value, row.decide = p, decide
    return row


# --- noise ----------------------------------------------------------------------------------

_NOISE_CLAIM = "noise_changes_tradeoff"
_NOISE_TABLE = ("definition", "training_config", "noise", "difference", "difference_se",
                "difference_df", "p_value", "n_clusters")


def _noise_rows(table: pd.DataFrame | None, defs: list[str], margin: float) -> list[_Row]:
    """One row per definition: does r of pure_pqc at some noise level differ from the noiseless
    r on the same circuits (the differences of `etr.analysis.compare_noise_levels`, whose
    intervals are recomputed here at the Holm level: t with their own df)?"""
    claim = _NOISE_CLAIM
    if table is None:
        return [_Row(claim=claim, definition=d, test=CLAIMS[claim].test,
                     sentence=f"{_meaning(claim)} ({d}): inconclusive, not tested: the data "
                              "hold no noise levels.") for d in defs]
    missing = [c for c in _NOISE_TABLE if c not in table.columns]
    if missing:
        raise InputError(f"`noise` is missing column(s): {', '.join(missing)}; pass the table "
                         "of etr.analysis.compare_noise_levels")
    out = []
    for d in defs:
        t = table[(table["definition"] == d) & (table["training_config"] == PURE)
                  & np.isfinite(pd.to_numeric(table["p_value"], errors="coerce"))
                  & (pd.to_numeric(table["difference_se"], errors="coerce") > 0)]
        if t.empty:
            out.append(_Row(claim=claim, definition=d, test=CLAIMS[claim].test,
                            sentence=f"{_meaning(claim)} ({d}): inconclusive, not tested: no "
                                     f"noise level of {PURE} has an estimable difference from "
                                     "the noiseless runs."))
            continue
        out.append(_noise_row(claim, d, t.reset_index(drop=True), margin))
    return out


def _noise_row(claim: str, definition: str, t: pd.DataFrame, margin: float) -> _Row:
    k = len(t)
    est, se = t["difference"].to_numpy(float), t["difference_se"].to_numpy(float)
    df = t["difference_df"].to_numpy(float)
    best = int(np.argmin(t["p_value"].to_numpy(float)))

    def decide(alpha_i: float) -> dict:
        q = stats.t.ppf(1.0 - alpha_i / (2 * k), df)
        low, high = est - q * se, est + q * se
        return {"estimate": est[best], "ci_low": low[best], "ci_high": high[best],
                "confidence": 1.0 - alpha_i / k, "passes": low[best] > 0 or high[best] < 0,
                "contradicted": bool(np.all((-margin < low) & (high < margin))),
                "level": t["noise"].iloc[best]}

    levels = ", ".join(t["noise"].astype(str))
    return _Row(claim=claim, definition=definition,
                p_value=min(1.0, k * float(t["p_value"].min())), decide=decide,
                n=int(t["n_clusters"].max()), n_clusters=int(t["n_clusters"].max()),
                test=f"r({PURE} at a noise level) - r({PURE} noiseless) on the same circuits, "
                     f"paired by circuit, two-sided, Bonferroni over {k} level(s) ({levels}); "
                     f"contradicted when every difference lies inside +-{margin:g}")


# --- Holm and sentences ---------------------------------------------------------------------


def _assemble(rows: list[_Row], alpha: float, margin: float, x: str,
              defs: list[str]) -> pd.DataFrame:
    p = np.array([r.p_value for r in rows])
    p_adj = adjust(p, "holm")
    finite = np.isfinite(p)
    m = int(finite.sum())
    rank = np.full(len(p), -1)
    # Holm step of each p-value; tied p-values share the earliest (most stringent) step
    rank[finite] = stats.rankdata(p[finite], method="min").astype(int) - 1
    records = []
    for i, r in enumerate(rows):
        rec = {"claim": r.claim, "definition": r.definition, "p_value": r.p_value,
               "p_adj": p_adj[i], "test": r.test, "n": r.n, "n_clusters": r.n_clusters,
               "margin": margin, "x": x, "data_note": r.note, "estimate": np.nan,
               "ci_low": np.nan, "ci_high": np.nan, "confidence": np.nan,
               "verdict": r.verdict, "sentence": r.sentence}
        if r.decide is not None:
            alpha_i = alpha / (m - rank[i])
            out = r.decide(alpha_i)
            supported = bool(out["passes"]) and p_adj[i] <= alpha
            rec["verdict"] = ("supported" if supported else "contradicted"
                              if out["contradicted"] else "inconclusive")
            rec.update({k: out[k] for k in ("estimate", "ci_low", "ci_high", "confidence")})
            rec["sentence"] = _sentence(r, rec, out, alpha) + r.values.get("shared", "")
        records.append(rec)
    out = pd.DataFrame(records, columns=_COLUMNS)
    order = {c: i for i, c in enumerate(CLAIMS)}
    dorder = {d: i for i, d in enumerate(defs)}
    out["_o"] = out["claim"].map(order)
    out["_d"] = out["definition"].map(dorder).fillna(len(dorder))
    return out.sort_values(["_o", "_d"], kind="stable").drop(columns=["_o", "_d"]).reset_index(
        drop=True)


def _sentence(r: _Row, rec: dict, out: dict, alpha: float) -> str:
    claim, verdict = r.claim, rec["verdict"]
    head = f"{_meaning(claim)} ({r.definition}): {verdict}"
    p_text = f"Holm-adjusted p = {rec['p_adj']:.3g}"
    if claim in _NAS_CLAIMS:
        return _nas_sentence(head, out, rec, p_text, alpha)
    ci = _ci_text(rec["ci_low"], rec["ci_high"], rec["confidence"])
    est = _fmt(rec["estimate"])
    if claim == _NOISE_CLAIM:
        where = (f"largest at {out['level']}: r(noisy) - r(noiseless) = {est} ({ci}; "
                 f"{p_text})")
        if verdict == "supported":
            return f"{head}: under noise the association differs from the noiseless one, {where}."
        if verdict == "contradicted":
            return (f"{head}: every noise level is shown within +-{rec['margin']:g} of the "
                    f"noiseless association (equivalence); {where}.")
        return (f"{head}: a change under noise is neither detected nor excluded; {where}. "
                "Absence of evidence is not evidence of absence.")
    if claim in ("pure_weak", "full_eliminated"):
        return _equivalence_sentence(head, r, rec, est, ci, p_text)
    if claim == "quantum_only_disrupted":
        what = f"r({PURE}) - r({QUANTUM_ONLY}) = {est} ({ci}; {p_text})"
        if verdict == "supported":
            small = (f"; the weakening is smaller than {rec['margin']:g}"
                     if rec["ci_high"] < rec["margin"] else "")
            return f"{head}: the trade-off is weaker under quantum-only training, {what}{small}."
        if verdict == "contradicted":
            return (f"{head}: any weakening is shown smaller than {rec['margin']:g} "
                    f"(equivalence bound), {what}.")
        return (f"{head}: a weakening is not detected and not excluded, {what}; absence of "
                f"evidence is not evidence of absence.")
    where = f"{out.get('split', '')}: difference of r = {est} ({ci}; {p_text})"
    if verdict == "supported":
        return f"{head}: the relationship differs between regimes, {where}."
    if verdict == "contradicted":
        return (f"{head}: shown the same in every pre-specified regime, each difference inside "
                f"+-{rec['margin']:g} (equivalence); largest at {where}.")
    return (f"{head}: a difference between regimes is neither detected nor excluded; largest "
            f"at {where}.")


def _equivalence_sentence(head: str, r: _Row, rec: dict, est: str, ci: str,
                          p_text: str) -> str:
    bound = r.values["bound"]
    config = r.values["config"]
    stats_text = f"conditional r of {config} = {est}, {ci}"
    if rec["verdict"] == "supported":
        return (f"{head}: shown inside +-{bound:g} by equivalence (two one-sided tests, "
                f"{p_text}); {stats_text}.")
    if rec["verdict"] == "contradicted":
        side = ("a trade-off" if rec["ci_low"] >= bound
                else "a relationship opposite to a trade-off")
        return (f"{head}: {side} beyond +-{bound:g} is shown; {stats_text}.")
    needed = _circuits_needed(r, rec, bound)
    if rec["ci_low"] > 0 or rec["ci_high"] < 0:
        return (f"{head}: a relationship is detected but not shown inside +-{bound:g} nor "
                f"beyond it; {stats_text}{needed}.")
    return (f"{head}: not detected, but not shown absent either: the interval reaches beyond "
            f"+-{bound:g}; {stats_text}{needed}. Absence of evidence is not evidence of "
            f"absence.")


def _circuits_needed(r: _Row, rec: dict, bound: float) -> str:
    """About how many circuits would show the bound at this estimate and spread."""
    est = abs(rec["estimate"])
    if not (np.isfinite(est) and est < bound and r.n_clusters):
        return ""
    half = (rec["ci_high"] - rec["ci_low"]) / 2.0
    needed = r.n_clusters * (half / (bound - est)) ** 2
    return f" (about {int(np.ceil(needed))} distinct circuits would be needed at this estimate)"


def _nas_sentence(head: str, out: dict, rec: dict, p_text: str, alpha: float) -> str:
    b, w = out["between"], out["within"]
    what = (f"{len(b)} between-setting distances ({_fmt(b.min())} to {_fmt(b.max())}) against "
            f"{len(w)} seed-to-seed distances ({_fmt(w.min())} to {_fmt(w.max())}); "
            f"P(between > within) = {_fmt(rec['estimate'])}, exact rank test {p_text}")
    if rec["verdict"] == "supported":
        return f"{head}: every between-setting distance exceeds every seed-to-seed one, {what}."
    if rec["verdict"] == "contradicted":
        return (f"{head}: no between-setting distance exceeds the largest seed-to-seed one: the "
                f"fronts differ no more than repeated searches do, {what}.")
    if out["passes"]:
        return (f"{head}: the distances separate, but so few of them could separate by chance "
                f"(adjusted p > {alpha:g}): more seeds are needed, {what}.")
    return f"{head}: the distances overlap, {what}."
