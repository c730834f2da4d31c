"""The paper's claims as a registered artefact (Kashif & Shafique, arXiv 2605.25768).

Every claim is decided exactly as a claims file says, written before looking at the data: the
file in the package (``etr/analysis/claims.toml``, the `REGISTRY`), or one a user passes
(`load_claims`; ``etr analyze --claims FILE``). Its SHA-256 is recorded with every verdict (the
report and ``--json`` print it). Per claim the file states:

* ``rule``: the registered function (`RULES`) that decides it, and its parameters;
* ``primary``: the trainability definition whose verdict *is* the claim's verdict, and
  ``reason``: why that one (e.g. ``grad_var_landscape`` for the hybrid claims, because
  ``grad_var`` at initialisation is one model under both hybrid configurations);
* ``secondary``: further definitions, decided after the primary only (fixed-sequence
  gatekeeping, Dmitrienko & Tamhane 2007): in the direction of the primary verdict, at the
  level the primary was decided at, in the registered order; the first one not decided closes
  the gate and the rest read "not tested";
* ``margin``, ``alpha`` (registry defaults when absent), ``family`` (default: its ``kind``) and
  ``adjustments``: the column sets added to the strata in the sensitivity analysis.

Rules
-----
=================== ================================================================================
rule                test (r: the oriented circuit-level association of `etr.analysis.conditional`)
=================== ================================================================================
``equivalence``     ``config``, ``bound`` (default the margin): supported when the ``1 - 2 alpha_i``
                    interval of r lies inside +-bound (two one-sided tests); contradicted when
                    it lies beyond +bound or below -bound
``regime``          ``config``, ``splits``: r differs between the lower and upper halves of each
                    split column (halves balanced by circuits, fixed by the design, never by the
                    outcome; two-sided, Bonferroni over the splits); contradicted when every
                    split's difference is shown inside +-margin (intersection-union test)
``difference``      ``configs = [a, b]``: ``r(a) - r(b) > 0``, paired by circuit and instance,
                    one-sided; contradicted when the difference is shown below +margin
``fronts_differ``   ``axis`` (the setting factor compared): NAS Pareto sets, the mean
                    between-setting distance exceeds the mean seed-to-seed distance, by a
                    permutation test of the setting labels within search seeds (exact); never
                    contradicted (there is no equivalence test)
=================== ================================================================================

Why pre-specified regimes for ``regime``: the association given width and depth is a pair
statistic with no regression line to segment, and a breakpoint search on the marginal
relationship (`segment_regimes`, with `davies_test` for its level) would test a relationship
confounded by width and depth. Splitting the design into its lower and upper halves needs no
search, so the test has its nominal level by construction.

Multiplicity: verdicts at the family level, in both directions
----------------------------------------------------------------
Within a ``holm`` family (the association claims), the primary tests of its claims form one
Holm family for "supported" and one for "contradicted": each direction's family-wise error rate
is at most alpha. A verdict needs the Holm-adjusted p-value of its direction at most alpha *and*
its interval at the level of its Holm step (``alpha_i = alpha / (m - i)`` for the i-th smallest
of m p-values: ``1 - 2 alpha_i`` for one-sided and equivalence tests, ``1 - alpha_i / k`` for the
regime test over k splits) on the right side of the bound. A ``sequence`` family (the NAS
claims) decides its claims in registry order at the full alpha, each only after the one before
was supported. Secondary definitions are decided only through the gate of their primary.

Robustness
----------
Every primary verdict of an association claim is re-estimated with each registered adjustment
set added to the strata (default: the rotation set; the number of quantum parameters; the DLA
dimension), at the levels of the primary decision. ``robust`` is False when any adjusted verdict
differs; the sentence says which adjustment changes it, and the adjusted rows are returned in
``result.attrs["adjusted"]`` (`ADJUSTED_COLUMNS`).

Levels measured on planted data
-------------------------------
``tests/analysis/test_validation.py`` (slow; `etr.analysis.planted`, seeds fixed; measured
2026-12-06). The regime test's variance is the circuits-and-instances variance of
`etr.analysis.conditional` for each half, with Welch-Satterthwaite degrees of freedom (a t
reference with the df of the blocks, not of the runs). Its rate of "supported" (p <= 0.05) at
the quick design, with the same circuit-level r in every regime, over 400 simulations each:
0.018 (r = 0.4, run noise 1.7 times the circuit spread), 0.045 (r = 0, noise 1.0), 0.040 (r =
0.6, noise 0.5); all at most 0.06 (Monte-Carlo SE about 0.011). Its power with r = 0 in the
shallow half and 0.7 in the deep half, 480 circuits: 60 of 60. "Eliminated" supported when the
truth is exactly at the margin (r = +-0.1, 1200 circuits): 0.050 of 200.

Equivalence needs many circuits
-------------------------------
The standard error of the uncorrected circuit-level r is about ``(pi / 3) sqrt(f / G)`` for G
distinct circuits, ``f = (2 g + 5) / (2 (g - 1))`` for g circuits per stratum (the exact variance
of Kendall's tau), and the correction for dilution divides it by ``sqrt(rel_y)``. "Shown inside
+-0.1" needs ``|r_hat| + z se < 0.1``: when the true r is 0, even odds at ``se = 0.1 / (z +
0.674)`` and 80% at ``se = 0.1 / (z + 1.282)``, i.e. for one test at alpha = 0.05 (z = 1.645)
``G rel_y / f ~ 590`` circuits for even odds and ~940 for 80% power; after Holm over the four
association claims (z = 2.24) ~930 and ~1360. The paper preset has 1620 distinct circuits in
80 width-depth cells of 9 to 39 circuits (median 21, f = 1.18), so ``G / f ~ 1380``: even odds
for one test when the circuit values' reliability is at least 0.43, and after Holm when it is at
least 0.67 (the reliability is estimated on each dataset: ``reliability_y`` of
`etr.analysis.conditional_correlation`). A true r closer to the margin needs more.

References
----------
Dmitrienko, A. & Tamhane, A. C. (2007). Gatekeeping procedures with clinical trial applications.
Pharm. Stat. 6, 171 (and Stat. Med. 26, 2465). Holm, S. (1979). Scand. J. Stat. 6, 65. Berger,
R. L. (1982). Multiparameter hypothesis testing and acceptance sampling (intersection-union
tests). Technometrics 24, 295. Schuirmann, D. J. (1987). J. Pharmacokinet. Biopharm. 15, 657.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from etr._hashing import short_hash
from etr._rng import SeedLike, as_generator
from etr._validation import check_choice, check_float, check_int
from etr.analysis import conditional as cond
from etr.analysis._common import adjust, as_tuple, check_alpha, finite_columns, shared_levels
from etr.analysis.quality import CleanedData, clean
from etr.contract import CONFIGS, EXPRESSIBILITY_MEASURES, TRAINABILITY_ONLY
from etr.errors import InputError, SpecError

__all__ = ["ADJUSTED_COLUMNS", "CLAIMS", "NAS_COLUMNS", "NAS_KINDS", "REGISTRY", "RULES",
           "Claim", "Registry", "Rule", "adjusted_table", "evaluate_claims", "load_claims",
           "nas_claim"]

VERDICTS: tuple[str, ...] = ("supported", "contradicted", "inconclusive", "not tested")
KINDS: tuple[str, ...] = ("association", "nas", "noise")
FAMILY_PROCEDURES: tuple[str, ...] = ("holm", "sequence")
#: the equivalence bound of "at most weak" in the packaged registry (Cohen's moderate threshold).
WEAK_BOUND = 0.3
#: kinds of a row of the NAS distance table.
NAS_KINDS: tuple[str, ...] = ("between", "within")
#: columns of the NAS distance table (the ``nas`` argument of `evaluate_claims`); optional
#: ``seed_a`` / ``seed_b`` give the search seeds (else read from ``.../seed<k>`` labels).
NAS_COLUMNS: tuple[str, ...] = ("claim", "kind", "setting_a", "setting_b", "distance")
NAS_SEED_COLUMNS: tuple[str, ...] = ("seed_a", "seed_b")
#: the definition column of a NAS claim's row.
NAS_DEFINITION = "pareto_front"
_MAX_RELABELLINGS = 20_000

_COLUMNS = ["claim", "definition", "role", "verdict", "estimate", "ci_low", "ci_high",
            "confidence", "p_value", "p_adj", "p_contra", "p_adj_contra", "robust", "test",
            "sentence", "n", "n_clusters", "estimate_uncorrected", "instance_sd", "margin", "x",
            "family", "kind", "p_min", "data_note"]
#: columns of the adjusted rows (``result.attrs["adjusted"]``).
ADJUSTED_COLUMNS: tuple[str, ...] = (
    "claim", "definition", "adjustment", "strata", "verdict", "primary_verdict", "changed",
    "estimate", "ci_low", "ci_high", "confidence", "p_value", "p_contra", "n_clusters",
    "n_strata", "note")


# --- the registry ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    """One registered claim: what it says, the rule that decides it and on which definitions.

    Attributes
    ----------
    name, meaning : identifier and the claim in words.
    kind : ``"association"`` (decided on a dataset) or ``"nas"`` (on a NAS distance table).
    rule : name of the deciding function in `RULES`.
    primary, reason : the definition whose verdict is the claim's, and why.
    secondary : further definitions, gatekept by the primary, in order.
    margin, alpha : equivalence margin (r scale) and family-wise error rate.
    adjustments : column sets added to the strata in the sensitivity analysis.
    family : the multiplicity family (default: the kind).
    config, configs, bound, splits, axis : parameters of the rule.
    """

    name: str
    meaning: str
    kind: str
    rule: str
    primary: str
    reason: str = ""
    secondary: tuple[str, ...] = ()
    margin: float = 0.1
    alpha: float = 0.05
    adjustments: tuple[tuple[str, ...], ...] = ()
    family: str = ""
    config: str | None = None
    configs: tuple[str, ...] = ()
    bound: float | None = None
    splits: tuple[str, ...] = ()
    axis: str | None = None

    @property
    def definitions(self) -> tuple[str, ...]:
        return (self.primary, *self.secondary)

    @property
    def test(self) -> str:
        """The test in words (from its rule)."""
        return RULES[self.rule].describe(self)

    def to_dict(self) -> dict:
        return {"name": self.name, "meaning": self.meaning, "kind": self.kind,
                "rule": self.rule, "primary": self.primary, "reason": self.reason,
                "secondary": list(self.secondary), "margin": self.margin, "alpha": self.alpha,
                "adjustments": [list(a) for a in self.adjustments], "family": self.family,
                "config": self.config, "configs": list(self.configs), "bound": self.bound,
                "splits": list(self.splits), "axis": self.axis, "test": self.test}


@dataclass(frozen=True, slots=True)
class Registry:
    """A claims file, read and checked: its claims in order, defaults, families and hash."""

    name: str
    version: int
    x: str
    alpha: float
    margin: float
    families: dict[str, str]
    claims: dict[str, Claim]
    source: str
    sha256: str

    def with_primary(self, definition: str) -> Registry:
        """The same registry with `definition` as the primary of every association claim (its
        other definitions kept as secondaries); a different artefact, with its own hash.

        Examples
        --------
        >>> REGISTRY.with_primary("grad_var_train").claims["full_eliminated"].primary
        'grad_var_train'
        """
        claims = {}
        for name, c in self.claims.items():
            if c.kind in ("association", "noise"):
                rest = tuple(d for d in c.definitions if d != definition)
                c = replace(c, primary=definition, secondary=rest,
                            reason=f"set by with_primary({definition!r})")
            claims[name] = c
        out = replace(self, claims=claims, source=f"{self.source} (primary: {definition})")
        return replace(out, sha256=short_hash(out.to_dict(with_hash=False), 64))

    def to_dict(self, with_hash: bool = True) -> dict:
        d = {"name": self.name, "version": self.version, "x": self.x, "alpha": self.alpha,
             "margin": self.margin, "families": dict(self.families), "source": self.source,
             "claims": [c.to_dict() for c in self.claims.values()]}
        if with_hash:
            d["sha256"] = self.sha256
        return d


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered way of deciding a claim: the kind of data it needs, its parameters, the
    function that tests it and the test in words."""

    name: str
    kind: str
    params: tuple[str, ...]
    decide: Callable[..., list]
    describe: Callable[[Claim], str]


_REGISTRY_KEYS = {"name", "version", "x", "alpha", "margin", "adjustments"}
_CLAIM_KEYS = {"name", "meaning", "kind", "rule", "primary", "reason", "secondary", "margin",
               "alpha", "adjustments", "family", "config", "configs", "bound", "splits", "axis"}
#: the setting factors a NAS claim can be about (``axis`` of a ``fronts_differ`` claim).
NAS_AXES: tuple[str, ...] = ("training_config", "trainability")


def load_claims(source: str | Path | None = None) -> Registry:
    """Read and check a claims file (the packaged one by default).

    Parameters
    ----------
    source : path of a TOML claims file of the form of ``etr/analysis/claims.toml``; None: the
        packaged registry.

    Returns
    -------
    Registry

    Raises
    ------
    etr.errors.SpecError
        An unreadable file, an unknown key, a rule that is not registered, a definition or
        configuration that is not, a missing rule parameter (each named with its place).

    Examples
    --------
    >>> reg = load_claims()
    >>> list(reg.claims)[:2], reg.claims["full_eliminated"].primary
    (['pure_weak', 'pure_regime_dependent'], 'grad_var_landscape')
    """
    if source is None:
        raw = resources.files("etr.analysis").joinpath("claims.toml").read_bytes()
        where = "etr/analysis/claims.toml"
    else:
        path = Path(source)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise SpecError(f"`claims` file {str(path)!r} cannot be read: {exc.strerror}") \
                from None
        where = str(path)
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"`claims` file {where!r} is not valid TOML: {exc}") from None
    return _registry(doc, where, hashlib.sha256(raw).hexdigest())


def _registry(doc: dict, where: str, sha: str) -> Registry:
    head = doc.get("registry", {})
    _unknown(head, _REGISTRY_KEYS, "registry")
    x = str(head.get("x", "expressibility_fp"))
    if x not in EXPRESSIBILITY_MEASURES:
        raise SpecError(f"`registry.x` = {x!r} is not a registered expressibility measure; "
                        "allowed: " + ", ".join(EXPRESSIBILITY_MEASURES))
    alpha = check_alpha(head.get("alpha", 0.05), "registry.alpha", SpecError)
    margin = check_float("registry.margin", head.get("margin", 0.1), low=1e-6, high=0.999,
                         error=SpecError)
    default_adj = _adjustments(head.get("adjustments", []), "registry.adjustments")
    families = {str(k): str(v) for k, v in doc.get("families", {}).items()}
    for k, v in families.items():
        check_choice(f"families.{k}", v, FAMILY_PROCEDURES, error=SpecError)
    unknown = set(doc) - {"registry", "families", "claims"}
    if unknown:
        raise SpecError(f"`claims` file has unknown table(s) {sorted(unknown)}; allowed: "
                        "registry, families, claims")
    items = doc.get("claims", [])
    if not isinstance(items, list) or not items:
        raise SpecError("`claims` must be a non-empty array of tables ([[claims]])")
    claims: dict[str, Claim] = {}
    for i, item in enumerate(items):
        c = _claim(item, i, alpha=alpha, margin=margin, adjustments=default_adj)
        if c.name in claims:
            raise SpecError(f"`claims[{i}].name` = {c.name!r} is used twice")
        families.setdefault(c.family, "holm")
        claims[c.name] = c
    for fam in families:
        alphas = {c.alpha for c in claims.values() if c.family == fam}
        if len(alphas) > 1:
            raise SpecError(f"claims of family {fam!r} must share one `alpha`, got "
                            f"{sorted(alphas)}")
    return Registry(name=str(head.get("name", "claims")), version=int(head.get("version", 1)),
                    x=x, alpha=alpha, margin=margin, families=families, claims=claims,
                    source=where, sha256=sha)


def _unknown(table: Mapping, allowed: set[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise SpecError(f"`{where}` has unknown key(s) {extra}; allowed: "
                        + ", ".join(sorted(allowed)))


def _adjustments(value: object, where: str) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list) or not all(
            isinstance(v, list) and all(isinstance(c, str) for c in v) for v in value):
        raise SpecError(f"`{where}` must be a list of lists of column names, e.g. "
                        "[[\"rotations\"], [\"dla_dim\"]]")
    return tuple(tuple(v) for v in value if v)


def _claim(item: object, i: int, *, alpha: float, margin: float,
           adjustments: tuple[tuple[str, ...], ...]) -> Claim:
    where = f"claims[{i}]"
    if not isinstance(item, dict):
        raise SpecError(f"`{where}` must be a table")
    _unknown(item, _CLAIM_KEYS, where)
    for key in ("name", "meaning", "rule", "primary"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise SpecError(f"`{where}.{key}` is required (a non-empty string)")
    rule = item["rule"]
    check_choice(f"{where}.rule", rule, RULES, error=SpecError)
    kind = str(item.get("kind", RULES[rule].kind))
    check_choice(f"{where}.kind", kind, KINDS, error=SpecError)
    if kind != RULES[rule].kind:
        raise SpecError(f"`{where}.kind` = {kind!r} does not match rule {rule!r} (kind "
                        f"{RULES[rule].kind!r})")
    for p in RULES[rule].params:
        if p not in item:
            raise SpecError(f"`{where}.{p}` is required by rule {rule!r}")
    secondary = item.get("secondary", [])
    if not isinstance(secondary, list) or not all(isinstance(s, str) for s in secondary):
        raise SpecError(f"`{where}.secondary` must be a list of definition names")
    defs = [item["primary"], *secondary]
    if kind in ("association", "noise"):
        for d in defs:
            check_choice(f"{where}.primary/secondary", d, TRAINABILITY_ONLY, error=SpecError)
        if len(set(defs)) < len(defs):
            raise SpecError(f"`{where}.secondary` repeats a definition")
    configs = item.get("configs", [])
    config = item.get("config")
    for c in ([config] if config is not None else []) + list(configs):
        check_choice(f"{where}.config(s)", c, [k for k, v in CONFIGS.items() if v.has_pqc],
                     error=SpecError)
    if "axis" in item:
        check_choice(f"{where}.axis", item["axis"], NAS_AXES, error=SpecError)
    if rule == "difference" and len(configs) != 2:
        raise SpecError(f"`{where}.configs` must name two configurations [a, b]")
    claim = Claim(
        name=item["name"], meaning=item["meaning"], kind=kind, rule=rule,
        primary=item["primary"], reason=" ".join(str(item.get("reason", "")).split()),
        secondary=tuple(secondary),
        margin=check_float(f"{where}.margin", item.get("margin", margin), low=1e-6, high=0.999,
                           error=SpecError),
        alpha=check_alpha(item.get("alpha", alpha), f"{where}.alpha", SpecError),
        adjustments=(_adjustments(item["adjustments"], f"{where}.adjustments")
                     if "adjustments" in item else adjustments),
        family=str(item.get("family", kind)), config=config, configs=tuple(configs),
        bound=(check_float(f"{where}.bound", item["bound"], low=1e-6, high=0.999,
                           error=SpecError) if "bound" in item else None),
        splits=tuple(item.get("splits", ())), axis=item.get("axis"))
    return claim


def nas_claim(axis_differs: Sequence[str], registry: Registry | None = None) -> str | None:
    """The NAS claim a pair of settings bears on: the claim whose ``axis`` is the one factor
    they differ in (None: no factor, or several).

    Examples
    --------
    >>> nas_claim(["training_config"]), nas_claim(["training_config", "trainability"])
    ('nas_fronts_differ_by_training', None)
    """
    if len(axis_differs) != 1:
        return None
    reg = REGISTRY if registry is None else registry
    for c in reg.claims.values():
        if c.kind == "nas" and c.axis == axis_differs[0]:
            return c.name
    return None


# --- rows awaiting their multiplicity step ----------------------------------------------------


@dataclass(slots=True)
class _Row:
    """A claim x definition awaiting the level that fixes its interval and verdict.

    ``decide(alpha_i)`` returns estimate, ci_low, ci_high, confidence and whether the interval
    supports (``passes``) or contradicts (``contradicted``) the claim at that level; rows
    without a test carry a final sentence.
    """

    claim: Claim
    definition: str
    p_value: float = float("nan")
    p_contra: float = float("nan")
    decide: Callable[[float], dict] | None = None
    sentence: str = ""
    n: int = 0
    n_clusters: int = 0
    note: str = ""
    values: dict = field(default_factory=dict)


class _Oriented:
    """A conditional fit read with the registry's orientation (+ = trade-off)."""

    def __init__(self, fit: cond.Fit, sign: int) -> None:
        self.fit, self.sign = fit, sign

    @property
    def estimate(self) -> float:
        return self.sign * self.fit.r

    @property
    def uncorrected(self) -> float:
        return self.sign * self.fit.r_raw

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


class _Context:
    """The rows of one definition and their fits by configuration (cached)."""

    def __init__(self, cleaned: CleanedData, x: str, definition: str,
                 strata: tuple[str, ...], cluster: str, counts_rng: np.random.Generator | None,
                 n_boot: int) -> None:
        self.definition, self.strata = definition, strata
        self.rows = cond.prepare_rows(cleaned.data, x=x, y=definition,
                                      by=("training_config",), strata=strata, cluster=cluster,
                                      cleaned=cleaned)
        self.sign = cond.orientation(x, definition)
        self.counts = None
        if counts_rng is not None:
            g = self.rows.n_clusters_total
            self.counts = counts_rng.multinomial(g, np.full(g, 1.0 / g), size=n_boot)
        self._fits: dict[str, _Oriented | str] = {}
        self.shared = shared_levels(cleaned.data, definition)

    def sub(self, config: str) -> pd.DataFrame:
        return self.rows.frame[self.rows.frame["_g"] == config]

    def fit(self, config: str) -> _Oriented | str:
        if config not in self._fits:
            sub = self.sub(config)
            if not len(sub):
                self._fits[config] = f"no usable {config} runs"
            else:
                f = cond.group_fit(sub, self.strata, counts=self.counts)
                self._fits[config] = (f"{config}: {f}" if isinstance(f, str)
                                      else _Oriented(f, self.sign))
        return self._fits[config]


def _unavailable(claim: Claim, definition: str, why: str) -> _Row:
    return _Row(claim=claim, definition=definition,
                sentence=f"{_meaning(claim)} ({definition}): inconclusive, not tested: {why}.")


# --- rules on the association -----------------------------------------------------------------


def _equivalence(ctx: _Context, claim: Claim) -> _Row:
    config = claim.config or ""
    bound = claim.bound if claim.bound is not None else claim.margin
    f = ctx.fit(config)
    if isinstance(f, str):
        return _unavailable(claim, ctx.definition, f)
    sub = ctx.sub(config)

    def decide(alpha_i: float) -> dict:
        level = 1.0 - 2.0 * alpha_i
        low, high = f.interval(level)
        return {"estimate": f.estimate, "ci_low": low, "ci_high": high, "confidence": level,
                "passes": -bound < low and high < bound,
                "contradicted": low >= bound or high <= -bound}

    p_contra = min(f.p_greater(bound), f.p_less(-bound))
    return _Row(claim=claim, definition=ctx.definition, p_value=f.tost(bound),
                p_contra=p_contra, decide=decide, n=len(sub),
                n_clusters=int(sub["_c"].nunique()), note=f.fit.note,
                values={"bound": bound, "config": config, "fit": f})


def _describe_equivalence(c: Claim) -> str:
    bound = c.bound if c.bound is not None else c.margin
    return (f"circuit-level r of {c.config} inside +-{bound:g}: two one-sided tests "
            f"(supported when the 1 - 2 alpha_i interval lies inside); contradicted when it "
            f"lies beyond +-{bound:g}")


def _difference(ctx: _Context, claim: Claim) -> _Row:
    a_cfg, b_cfg = claim.configs
    fa, fb = ctx.fit(a_cfg), ctx.fit(b_cfg)
    for f in (fa, fb):
        if isinstance(f, str):
            return _unavailable(claim, ctx.definition, f)
    diff = cond.difference(fa.fit, fb.fit)
    if not diff.var > 0:
        return _unavailable(claim, ctx.definition, "the difference has no estimable variance")
    d = ctx.sign * diff.estimate
    p = diff.p_greater(0.0) if ctx.sign > 0 else diff.p_less(0.0)
    p_contra = (diff.p_less(claim.margin) if ctx.sign > 0 else diff.p_greater(-claim.margin))
    both = pd.concat([ctx.sub(a_cfg), ctx.sub(b_cfg)])

    def decide(alpha_i: float) -> dict:
        level = 1.0 - 2.0 * alpha_i
        low, high = diff.interval(level)
        low, high = (low, high) if ctx.sign > 0 else (-high, -low)
        return {"estimate": d, "ci_low": low, "ci_high": high, "confidence": level,
                "passes": low > 0, "contradicted": high < claim.margin}

    return _Row(claim=claim, definition=ctx.definition, p_value=p, p_contra=p_contra,
                decide=decide, n=len(both), n_clusters=int(both["_c"].nunique()),
                note="; ".join(n for n in (fa.fit.note, fb.fit.note) if n),
                values={"a": a_cfg, "b": b_cfg, "fa": fa, "fb": fb,
                        "instance_sd": diff.instance_sd})


def _describe_difference(c: Claim) -> str:
    a, b = c.configs
    return (f"r({a}) - r({b}) > 0, paired by circuit and instance, one-sided; contradicted "
            f"when its interval lies below +{c.margin:g}")


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


def _regime(ctx: _Context, claim: Claim) -> _Row:
    config = claim.config or ""
    f = ctx.fit(config)
    if isinstance(f, str):
        return _unavailable(claim, ctx.definition, f)
    sub = ctx.sub(config)
    splits = []
    for column in claim.splits:
        if column not in ctx.strata or column not in sub.columns:
            continue
        halves = _split(sub, column)
        if halves is None:
            continue
        parts = []
        for half in halves:
            rows = sub[sub[column].isin(half).to_numpy()]
            part = cond.group_fit(rows, ctx.strata, counts=ctx.counts)
            if isinstance(part, str):
                break
            parts.append(part)
        if len(parts) == 2:
            splits.append((column, halves, cond.difference(parts[0], parts[1])))
    splits = [s for s in splits if s[2].var > 0]
    if not splits:
        return _unavailable(claim, ctx.definition,
                            "no pre-specified regime split has usable circuits on both sides")
    k = len(splits)
    ps = [s[2].p_two_sided() for s in splits]
    best = int(np.argmin(ps))
    margin = claim.margin
    # contradicted: every split's difference inside +-margin (intersection-union test)
    p_contra = max(max(s[2].p_greater(-margin), s[2].p_less(margin)) for s in splits)

    def decide(alpha_i: float) -> dict:
        level = 1.0 - alpha_i / k
        ints = [s[2].interval(level) for s in splits]
        ints = [(lo, hi) if ctx.sign > 0 else (-hi, -lo) for lo, hi in ints]
        low, high = ints[best]
        eq = [s[2].interval(1.0 - 2.0 * alpha_i) for s in splits]
        return {"estimate": ctx.sign * splits[best][2].estimate, "ci_low": low,
                "ci_high": high, "confidence": level, "passes": low > 0 or high < 0,
                "contradicted": all(-margin < lo and hi < margin for lo, hi in eq),
                "split": _split_text(splits[best])}

    return _Row(claim=claim, definition=ctx.definition, p_value=min(1.0, k * min(ps)),
                p_contra=p_contra, decide=decide, n=len(sub),
                n_clusters=int(sub["_c"].nunique()), note=f.fit.note,
                values={"names": " and ".join(_split_text(s) for s in splits)})


def _describe_regime(c: Claim) -> str:
    return (f"difference of circuit-level r of {c.config} between the lower and upper halves "
            f"of {' and of '.join(c.splits)} (two-sided, Bonferroni over the splits); "
            f"contradicted when every difference is shown inside +-{c.margin:g}")


def _split_text(split: tuple) -> str:
    column, (low, high), _ = split
    return f"{column} {_levels(low)} minus {_levels(high)}"


def _levels(v: list) -> str:
    return ", ".join(str(x) for x in v)


def _fronts_placeholder(ctx: object, claim: Claim) -> _Row:  # pragma: no cover - NAS path
    raise AssertionError("NAS claims are decided on the NAS table")


def _describe_fronts(c: Claim) -> str:
    return ("mean between-setting distance of Pareto sets (1 - Jaccard) minus the mean "
            "seed-to-seed one > 0, permutation test of the setting labels within search seeds "
            "(exact; the smallest attainable p is 1 / the number of distinct relabellings)")


#: every way a claim can be decided: rule name -> `Rule`.
# --- noise ------------------------------------------------------------------------------------

#: columns `_noise_row` reads from the table of `etr.analysis.compare_noise_levels`
_NOISE_TABLE = ("definition", "training_config", "noise", "difference", "difference_se",
                "difference_df", "p_value", "n_clusters")


def _noise_placeholder(ctx: object, claim: Claim) -> _Row:  # pragma: no cover - noise path
    raise AssertionError("noise claims are decided on the compare_noise_levels table")


def _describe_noise(c: Claim) -> str:
    return (f"r({c.config} at a noise level) - r({c.config} noiseless) on the same circuits, "
            "paired by circuit, two-sided, Bonferroni over the noise levels; contradicted when "
            f"every level's difference is shown inside +-{c.margin:g} (two one-sided tests)")


def _noise_row(claim: Claim, definition: str, table: pd.DataFrame | None) -> _Row:
    """Does r of the claim's configuration at some noise level differ from the noiseless r on
    the same circuits? (The differences of `etr.analysis.compare_noise_levels`; intervals at
    the family's level, t with each difference's own degrees of freedom.)"""
    if table is None:
        return _unavailable(claim, definition, "the data hold no noise levels")
    missing = [c for c in _NOISE_TABLE if c not in table.columns]
    if missing:
        raise InputError(f"`noise` is missing column(s): {', '.join(missing)}; pass the table "
                         "of etr.analysis.compare_noise_levels")
    t = table[(table["definition"] == definition) & (table["training_config"] == claim.config)
              & np.isfinite(pd.to_numeric(table["p_value"], errors="coerce"))
              & (pd.to_numeric(table["difference_se"], errors="coerce") > 0)]
    if t.empty:
        return _unavailable(claim, definition, f"no noise level of {claim.config} has an "
                            "estimable difference from the noiseless runs")
    row = _Row(claim=claim, definition=definition)
    t = t.reset_index(drop=True)
    k = len(t)
    est, se = t["difference"].to_numpy(float), t["difference_se"].to_numpy(float)
    df = t["difference_df"].to_numpy(float)
    best = int(np.argmin(t["p_value"].to_numpy(float)))
    m = claim.margin
    # "the same at every level" is an intersection-union test: each level's two one-sided
    # tests at the full level, the largest of their p-values decides
    p_tost = np.maximum(stats.t.sf((est + m) / se, df), stats.t.cdf((est - m) / se, df))
    row.p_value = min(1.0, k * float(t["p_value"].min()))
    row.p_contra = float(p_tost.max())
    row.n = row.n_clusters = int(t["n_clusters"].max())
    levels = ", ".join(t["noise"].astype(str))
    row.values.update(levels=levels, uncorrected=np.nan)

    def decide(alpha_i: float) -> dict:
        q = stats.t.ppf(1.0 - alpha_i / (2 * k), df)
        low, high = est - q * se, est + q * se
        q_eq = stats.t.ppf(1.0 - alpha_i, df)
        return {"estimate": est[best], "ci_low": low[best], "ci_high": high[best],
                "confidence": 1.0 - alpha_i / k, "passes": bool(low[best] > 0 or high[best] < 0),
                "contradicted": bool(np.all((-m < est - q_eq * se) & (est + q_eq * se < m))),
                "level": str(t["noise"].iloc[best])}

    row.decide = decide
    return row


def _noise_sentence(head: str, rec: dict, out: dict, claim: Claim) -> str:
    ci = _ci_text(rec["ci_low"], rec["ci_high"], rec["confidence"])
    where = (f"largest at {out.get('level', '?')}: r(noisy) - r(noiseless) = "
             f"{_fmt(rec['estimate'])} ({ci}; {_p_text(rec, rec['verdict'])})")
    if rec["verdict"] == "supported":
        return f"{head}: under noise the association differs from the noiseless one, {where}."
    if rec["verdict"] == "contradicted":
        return (f"{head}: every noise level is shown within +-{claim.margin:g} of the "
                f"noiseless association (equivalence); {where}.")
    return (f"{head}: a change under noise is neither detected nor excluded; {where}.")


RULES: dict[str, Rule] = {r.name: r for r in (
    Rule("equivalence", "association", ("config",), _equivalence, _describe_equivalence),
    Rule("regime", "association", ("config", "splits"), _regime, _describe_regime),
    Rule("difference", "association", ("configs",), _difference, _describe_difference),
    Rule("fronts_differ", "nas", ("axis",), _fronts_placeholder, _describe_fronts),
    Rule("noise_differs", "noise", ("config",), _noise_placeholder, _describe_noise),
)}

#: the packaged registry (``etr/analysis/claims.toml``).
REGISTRY: Registry = load_claims()
#: its claims, in report order.
CLAIMS: dict[str, Claim] = REGISTRY.claims


# --- public ---------------------------------------------------------------------------------


def evaluate_claims(
    data: pd.DataFrame,
    *,
    claims: Registry | str | Path | None = None,
    x: str | None = None,
    definitions: Sequence[str] | None = None,
    margin: float | None = None,
    alpha: float | None = None,
    seed: SeedLike = None,
    n_boot: int = 2000,
    nas: pd.DataFrame | None = None,
    noise: pd.DataFrame | None = None,
    ci_method: str = "ustat",
    strata: Sequence[str] = cond.STRATA,
    cluster: str = "pqc_id",
    adjust_sets: bool = True,
) -> pd.DataFrame:
    """Decide the registered claims on a dataset; one row per (claim, definition).

    Parameters
    ----------
    data : pandas.DataFrame
        A dataset following `etr.contract`: ``training_config``, `cluster`, the `strata`
        columns, `x` and trainability columns. The classical-only control (no PQC) is ignored.
    claims : Registry, path or None
        The claims (default the packaged `REGISTRY`); a path is read with `load_claims`.
    x : str, optional
        An expressibility measure (default: the registry's ``x``).
    definitions : sequence of str, optional
        Limit the definitions decided (default every registered one present with finite
        values); a claim whose primary is left out is not decided.
    margin, alpha : float, optional
        Override the registry's margin and alpha (recorded in the rows).
    seed : int, numpy.random.Generator or None
        Randomness of the bootstrap (``ci_method="bootstrap"`` only).
    n_boot : int
        Bootstrap replicates (``ci_method="bootstrap"`` only).
    nas : pandas.DataFrame, optional
        Distances between NAS Pareto sets, one row per pair of searches, columns `NAS_COLUMNS`
        (and optionally ``seed_a``, ``seed_b``): ``claim`` (a NAS claim's name), ``kind``
        (``"between"``: two settings; ``"within"``: two seeds of one setting), ``setting_a``,
        ``setting_b`` (search labels ``<setting>/seed<k>``) and ``distance`` = 1 - Jaccard
        index of the two Pareto sets, in [0, 1]. ``None``: the NAS claims are "inconclusive"
        (not evaluated).
    noise : pandas.DataFrame, optional
        The table of `etr.analysis.compare_noise_levels` on the whole dataset (every noise
        level; `data` itself holds the noiseless runs the other claims use). ``None``: the
        noise claims are "inconclusive" (not tested).
    ci_method : {"ustat", "bootstrap"}
        Circuit part of the variance (see `etr.analysis.conditional_correlation`).
    strata : sequence of str
        What the association is conditioned on.
    cluster : str
        The distinct circuit.
    adjust_sets : bool
        Re-estimate every primary verdict under the registered adjustment sets.

    Returns
    -------
    pandas.DataFrame
        One row per claim (registry order) and definition (primary first, then the
        secondaries; NAS claims: definition ``"pareto_front"``), columns ``claim, definition,
        role`` ("primary" / "secondary"), ``verdict`` ("supported", "contradicted",
        "inconclusive", or "not tested" for a secondary behind a closed gate), ``estimate``
        (oriented circuit-level r corrected for dilution, or a difference of r; NAS: mean
        between minus mean seed-to-seed distance), ``ci_low, ci_high, confidence`` (interval
        and its level: the level of the decision), ``p_value`` / ``p_contra`` (of the test
        whose rejection supports / contradicts the claim) and their family-adjusted values
        ``p_adj`` / ``p_adj_contra``, ``robust`` (primary rows: whether every adjusted verdict
        agrees; NA where none could be computed), ``test``, ``sentence``, ``n`` (runs or
        distances), ``n_clusters``, ``estimate_uncorrected``, ``instance_sd`` (spread of the
        association between task instances), ``margin``, ``x``, ``family``, ``p_min`` (NAS:
        smallest attainable p) and ``data_note``. ``attrs["adjusted"]`` holds the adjusted
        rows (`ADJUSTED_COLUMNS`; `adjusted_table` reads them as a frame),
        ``attrs["registry"]`` the registry's name, version, source and SHA-256.

    Raises
    ------
    etr.errors.InputError
        A missing column (named, e.g. the `x` column), an unregistered `x` or definition, bad
        options or a malformed `nas` table.

    Notes
    -----
    See the module docstring for the rules, the multiplicity and the sensitivity analysis.
    Missing configurations, too few circuits or constant data give "inconclusive" rows saying
    why, never an exception.

    Examples
    --------
    A planted circuit-level trade-off, strong in pure PQCs, the same in every regime, weaker
    under quantum-only training and absent end to end (an equivalence margin of 0.2: showing
    +-0.1 takes thousands of circuits):

    >>> from etr.analysis import evaluate_claims, planted_study
    >>> df = planted_study(n_pqcs=960, n_instances=2, run_noise=0.4, seed=11, circuit_r={
    ...     "pure_pqc": 0.6, "hybrid_quantum_only": 0.3, "hybrid_full": 0.0})
    >>> res = evaluate_claims(df, definitions=["grad_var", "grad_var_landscape"], margin=0.2)
    >>> verdicts = res[res["role"] == "primary"].set_index("claim")["verdict"].to_dict()
    >>> verdicts  # doctest: +NORMALIZE_WHITESPACE
    {'pure_weak': 'contradicted', 'pure_regime_dependent': 'contradicted',
     'quantum_only_disrupted': 'supported', 'full_eliminated': 'supported',
     'nas_fronts_differ_by_training': 'inconclusive',
     'nas_fronts_differ_by_definition': 'inconclusive',
     'noise_changes_tradeoff': 'inconclusive'}
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    registry = _resolve(claims)
    x = registry.x if x is None else x
    strata = as_tuple(strata)
    _check_columns(data, x, strata, cluster)
    margin_o = None if margin is None else check_float("margin", margin, low=1e-6, high=0.999)
    alpha_o = None if alpha is None else check_alpha(alpha)
    check_choice("ci_method", ci_method, cond.CI_METHODS)
    n_boot = check_int("n_boot", n_boot, minimum=10)
    registry = _overridden(registry, margin_o, alpha_o)
    present = _definitions(data, definitions, registry)
    nas_table = _check_nas(nas, registry)
    cleaned = clean(data)
    rng = as_generator(seed)
    contexts = _Contexts(cleaned, x, strata, cluster, rng if ci_method == "bootstrap" else None,
                         n_boot)
    rows: list[_Row] = []
    for claim in registry.claims.values():
        if claim.kind == "nas":
            rows.append(_nas_row(claim, nas_table))
            continue
        if claim.kind == "noise":
            rows.extend(_noise_row(claim, d, noise) for d in claim.definitions
                        if d in present)
            continue
        for d in claim.definitions:
            if d not in present:
                continue
            rows.append(_decide_row(contexts.get(d), claim))
    out, levels = _assemble(rows, registry, present, x)
    adjusted = (_robustness(out, rows, levels, contexts, cleaned, strata) if adjust_sets
                else pd.DataFrame(columns=list(ADJUSTED_COLUMNS)))
    out = _mark_robust(out, adjusted)
    # records, not a frame: pandas compares the attrs of frames it concatenates
    out.attrs["adjusted"] = adjusted.astype(object).where(adjusted.notna(), None).to_dict(
        orient="records")
    out.attrs["registry"] = {"name": registry.name, "version": registry.version,
                             "source": registry.source, "sha256": registry.sha256}
    return out


def adjusted_table(result: pd.DataFrame) -> pd.DataFrame:
    """The adjusted rows of an `evaluate_claims` result (``attrs["adjusted"]``) as a frame
    with `ADJUSTED_COLUMNS` (empty when the result has none).

    Examples
    --------
    >>> list(adjusted_table(pd.DataFrame()).columns) == list(ADJUSTED_COLUMNS)
    True
    """
    records = result.attrs.get("adjusted") or []
    out = pd.DataFrame(records, columns=list(ADJUSTED_COLUMNS))
    for c in ("estimate", "ci_low", "ci_high", "confidence", "p_value", "p_contra",
              "n_clusters", "n_strata"):
        out[c] = pd.to_numeric(out[c], errors="coerce")
    out["changed"] = out["changed"].astype("boolean")
    return out


def _resolve(claims: Registry | str | Path | None) -> Registry:
    if claims is None:
        return REGISTRY
    if isinstance(claims, Registry):
        return claims
    if isinstance(claims, str | Path):
        return load_claims(claims)
    raise InputError(f"`claims` must be a Registry or a path, got {type(claims).__name__}")


def _overridden(reg: Registry, margin: float | None, alpha: float | None) -> Registry:
    if margin is None and alpha is None:
        return reg
    claims = {n: replace(c, margin=c.margin if margin is None else margin,
                         alpha=c.alpha if alpha is None else alpha)
              for n, c in reg.claims.items()}
    changed = ", ".join(f"{k} = {v:g}" for k, v in (("margin", margin), ("alpha", alpha))
                        if v is not None)
    return replace(reg, claims=claims, source=f"{reg.source} (overridden: {changed})")


class _Contexts:
    """One `_Context` per definition (and per adjustment set), built on first use."""

    def __init__(self, cleaned: CleanedData, x: str, strata: tuple[str, ...], cluster: str,
                 rng: np.random.Generator | None, n_boot: int) -> None:
        self.cleaned, self.x, self.strata, self.cluster = cleaned, x, strata, cluster
        self.rng, self.n_boot = rng, n_boot
        self._cache: dict[tuple, _Context] = {}

    def get(self, definition: str, strata: tuple[str, ...] | None = None) -> _Context:
        key = (definition, strata or self.strata)
        if key not in self._cache:
            self._cache[key] = _Context(self.cleaned, self.x, definition, key[1], self.cluster,
                                        self.rng, self.n_boot)
        return self._cache[key]


def _decide_row(ctx: _Context, claim: Claim) -> _Row:
    row = RULES[claim.rule].decide(ctx, claim)
    row.note = "; ".join(n for n in (ctx.rows.note, row.note) if n)
    hybrid = {c for c in (claim.config, *claim.configs) if c and c != "pure_pqc"}
    if hybrid & set(ctx.shared) or hybrid & set(ctx.shared.values()):
        row.values["shared"] = (f" Note: {ctx.definition} holds the same values under "
                                "hybrid_full and hybrid_quantum_only (one measurement: at "
                                "initialisation the two hybrid configurations are the same "
                                "model).")
    return row


def _check_columns(data: pd.DataFrame, x: str, strata: tuple[str, ...], cluster: str) -> None:
    if x not in data.columns:
        raise InputError(f"`x` column {x!r} is not in `data`; expressibility columns present: "
                         + (", ".join(c for c in data.columns if c in EXPRESSIBILITY_MEASURES)
                            or "none"))
    cond.orientation(x, "grad_var")
    missing = [c for c in ("training_config", cluster, *strata) if c not in data.columns]
    if missing:
        raise InputError(f"`data` is missing column(s): {', '.join(missing)}")


def _definitions(data: pd.DataFrame, definitions: Sequence[str] | None,
                 registry: Registry) -> list[str]:
    """The definitions decided: present with finite values (and in `definitions`)."""
    if definitions is not None:
        defs = list(as_tuple(definitions))
        for d in defs:
            cond.orientation(registry.x, d)
        missing = [d for d in defs if d not in data.columns]
        if missing:
            raise InputError(f"`definitions` column(s) not in `data`: {', '.join(missing)}")
    else:
        defs = list(TRAINABILITY_ONLY)
    return finite_columns(data, defs)


# --- multiplicity, gatekeeping and sentences ----------------------------------------------------


def _holm_levels(p: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Holm-adjusted p-values and the level of each p-value's Holm step (tied p-values share
    the earliest, most stringent step)."""
    p_adj = adjust(p, "holm")
    finite = np.isfinite(p)
    m = int(finite.sum())
    level = np.full(len(p), np.nan)
    if m:
        rank = stats.rankdata(p[finite], method="min").astype(int) - 1
        level[finite] = alpha / (m - rank)
    return p_adj, level


def _family_levels(primaries: list[_Row], procedure: str, alpha: float
                   ) -> list[tuple[float, float, float, float]]:
    """Per primary row: (p_adj, level) for "supported" and for "contradicted"."""
    ps = np.array([r.p_value for r in primaries])
    pc = np.array([r.p_contra for r in primaries])
    if procedure == "sequence":
        out, open_gate = [], True
        running = 0.0
        for p in ps:
            running = max(running, p) if np.isfinite(p) else np.nan
            level = alpha if open_gate and np.isfinite(p) else np.nan
            out.append((running if open_gate else np.nan, level, np.nan, np.nan))
            open_gate = open_gate and np.isfinite(p) and p <= alpha
        return out
    sa, sl = _holm_levels(ps, alpha)
    ca, cl = _holm_levels(pc, alpha)
    return list(zip(sa, sl, ca, cl, strict=True))


def _assemble(rows: list[_Row], registry: Registry, present: list[str],
              x: str) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """The records of every claim, and the levels each primary was decided at."""
    primaries: dict[str, _Row] = {}
    by_claim: dict[str, list[_Row]] = {}
    for r in rows:
        by_claim.setdefault(r.claim.name, []).append(r)
        if r.definition == r.claim.primary or r.claim.kind == "nas":
            primaries.setdefault(r.claim.name, r)
    records: list[dict] = []
    decided: dict[str, dict[str, float]] = {}
    for family, procedure in registry.families.items():
        members = [c for c in registry.claims.values() if c.family == family]
        prim = [primaries[c.name] for c in members if c.name in primaries]
        alpha = members[0].alpha if members else registry.alpha
        levels = dict(zip([r.claim.name for r in prim],
                          _family_levels(prim, procedure, alpha), strict=True))
        for c in members:
            lev = levels.get(c.name)
            if lev is not None:
                decided[c.name] = {"s": lev[1], "c": lev[3]}
            records.extend(_claim_records(c, by_claim.get(c.name, []), primaries.get(c.name),
                                          lev, procedure, present, x))
    out = pd.DataFrame(records, columns=_COLUMNS)
    out["robust"] = pd.array([pd.NA] * len(out), dtype="boolean")
    return out, decided


def _base(r: _Row, x: str) -> dict:
    c = r.claim
    return {"claim": c.name, "definition": r.definition, "test": c.test, "n": r.n,
            "n_clusters": r.n_clusters, "margin": c.margin, "x": x, "family": c.family,
            "kind": c.kind,
            "data_note": r.note, "p_value": r.p_value, "p_contra": r.p_contra,
            "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "confidence": np.nan,
            "p_adj": np.nan, "p_adj_contra": np.nan, "verdict": "inconclusive",
            "sentence": r.sentence, "estimate_uncorrected": r.values.get("uncorrected", np.nan),
            "instance_sd": np.nan, "p_min": r.values.get("p_min", np.nan), "robust": pd.NA}


def _claim_records(claim: Claim, rows: list[_Row], primary: _Row | None,
                   levels: tuple | None, procedure: str, present: list[str],
                   x: str) -> list[dict]:
    """The primary row decided at its family level, then the secondaries through the gate."""
    if primary is None:
        why = (f"its primary definition {claim.primary} is not in the data (or was left out "
               "of `definitions`)")
        r = _unavailable(claim, claim.primary, why)
        rec = _base(r, x) | {"role": "primary"}
        return [rec] + [_base(_unavailable(claim, d, f"the gate is closed: {why}"), x) | {
            "role": "secondary", "verdict": "not tested"} for d in claim.secondary
            if d in present]
    p_adj_s, lev_s, p_adj_c, lev_c = levels if levels is not None else (np.nan,) * 4
    rec = _base(primary, x) | {"role": "primary", "p_adj": p_adj_s, "p_adj_contra": p_adj_c}
    if procedure == "sequence" and primary.decide is not None and not np.isfinite(lev_s):
        d = primary.decide(claim.alpha)
        rec.update(_shown(d, primary))
        rec["verdict"] = "not tested"
        rec["sentence"] = (f"{_meaning(claim)}: not tested (its family is a fixed sequence and "
                           f"an earlier claim of it was not supported). {_plain(d, primary)}")
        return [rec]
    direction, gate_level = _judge(primary, rec, p_adj_s, lev_s, p_adj_c, lev_c, claim.alpha)
    out = [rec]
    gate_open = direction is not None
    running = rec["p_adj"] if direction == "supported" else rec["p_adj_contra"]
    scale = claim.alpha / gate_level if gate_open and gate_level > 0 else np.nan
    for r in rows:
        if r is primary:
            continue
        sec = _base(r, x) | {"role": "secondary"}
        if r.decide is None:
            if gate_open:
                sec["sentence"] += " The gate closes here."
            gate_open = False
            out.append(sec)
            continue
        if not gate_open:
            d = r.decide(gate_level if np.isfinite(gate_level) else claim.alpha)
            sec.update(_shown(d, r))
            sec["verdict"] = "not tested"
            sec["sentence"] = (f"{_meaning(claim)} ({r.definition}): not tested (secondary; "
                               f"the gate closed before it). {_plain(d, r)}"
                               + r.values.get("shared", ""))
            out.append(sec)
            continue
        d = r.decide(gate_level)
        p = r.p_value if direction == "supported" else r.p_contra
        key = "passes" if direction == "supported" else "contradicted"
        running = max(running, p * scale) if np.isfinite(p) else np.nan
        sec.update(_shown(d, r))
        sec["p_adj" if direction == "supported" else "p_adj_contra"] = min(running, 1.0)
        if np.isfinite(p) and p <= gate_level and d[key]:
            sec["verdict"] = direction
        else:
            gate_open = False
        sec["sentence"] = _sentence(r, sec, d, claim.alpha) + " (secondary, through the gate " \
            f"of {claim.primary})" + r.values.get("shared", "")
        out.append(sec)
    return out


def _shown(d: dict, r: _Row) -> dict:
    out = {k: d[k] for k in ("estimate", "ci_low", "ci_high", "confidence")}
    f = r.values.get("fit")
    if f is not None:
        out["estimate_uncorrected"] = f.uncorrected
        out["instance_sd"] = f.fit.instance_sd
    elif "instance_sd" in r.values:
        out["instance_sd"] = r.values["instance_sd"]
    return out


def _judge(r: _Row, rec: dict, p_adj_s: float, lev_s: float, p_adj_c: float, lev_c: float,
           alpha: float) -> tuple[str | None, float]:
    """Fill the primary record's verdict; return (direction decided, its level)."""
    if r.decide is None:
        return None, np.nan
    direction, level = None, np.nan
    ds = r.decide(lev_s) if np.isfinite(lev_s) else None
    if ds is not None and p_adj_s <= alpha and ds["passes"]:
        direction, level, shown = "supported", lev_s, ds
    else:
        dc = r.decide(lev_c) if np.isfinite(lev_c) else None
        if dc is not None and p_adj_c <= alpha and dc["contradicted"]:
            direction, level, shown = "contradicted", lev_c, dc
        else:
            shown = ds if ds is not None else r.decide(alpha)
    rec.update(_shown(shown, r))
    rec["verdict"] = direction or "inconclusive"
    rec["sentence"] = _sentence(r, rec, shown, alpha) + r.values.get("shared", "")
    return direction, level


def _meaning(claim: Claim) -> str:
    text = claim.meaning
    return text[0].upper() + text[1:]


def _fmt(v: float) -> str:
    return f"{v:.2f}" if np.isfinite(v) else "NaN"


def _ci_text(low: float, high: float, level: float) -> str:
    return f"{100 * level:.4g}% CI {_fmt(low)} to {_fmt(high)}"


def _plain(d: dict, r: _Row) -> str:
    if not np.isfinite(d["ci_low"]):
        return f"Estimate {_fmt(d['estimate'])}."
    return (f"Estimate {_fmt(d['estimate'])} "
            f"({_ci_text(d['ci_low'], d['ci_high'], d['confidence'])}).")


def _sentence(r: _Row, rec: dict, out: dict, alpha: float) -> str:
    claim, verdict = r.claim, rec["verdict"]
    head = f"{_meaning(claim)} ({r.definition}): {verdict}"
    if claim.kind == "nas":
        return _nas_sentence(head, rec, out, alpha)
    if claim.kind == "noise":
        return _noise_sentence(head, rec, out, claim)
    p_text = _p_text(rec, verdict)
    ci = _ci_text(rec["ci_low"], rec["ci_high"], rec["confidence"])
    est = _fmt(rec["estimate"])
    note = f" ({r.note})" if r.note and "unstable" in r.note else ""
    if claim.rule == "equivalence":
        return _equivalence_sentence(head, r, rec, est, ci, p_text) + note
    if claim.rule == "difference":
        a, b = r.values["a"], r.values["b"]
        what = f"r({a}) - r({b}) = {est} ({ci}; {p_text})"
        if verdict == "supported":
            small = (f"; the weakening is smaller than {claim.margin:g}"
                     if rec["ci_high"] < claim.margin else "")
            return f"{head}: the trade-off is weaker under {b}, {what}{small}." + note
        if verdict == "contradicted":
            return (f"{head}: any weakening is shown smaller than {claim.margin:g} "
                    f"(equivalence bound), {what}." + note)
        return (f"{head}: a weakening is not detected and not excluded, {what}; absence of "
                "evidence is not evidence of absence." + note)
    where = f"{out.get('split', '')}: difference of r = {est} ({ci}; {p_text})"
    if verdict == "supported":
        return f"{head}: the relationship differs between regimes, {where}." + note
    if verdict == "contradicted":
        return (f"{head}: shown the same in every pre-specified regime, each difference inside "
                f"+-{claim.margin:g} (equivalence); largest at {where}." + note)
    return (f"{head}: a difference between regimes is neither detected nor excluded; largest "
            f"at {where}." + note)


def _p_text(rec: dict, verdict: str) -> str:
    if verdict == "contradicted":
        return f"adjusted p = {rec['p_adj_contra']:.3g} for the contradiction"
    return f"adjusted p = {rec['p_adj']:.3g}" if np.isfinite(rec["p_adj"]) else "p not adjusted"


def _equivalence_sentence(head: str, r: _Row, rec: dict, est: str, ci: str,
                          p_text: str) -> str:
    bound = r.values["bound"]
    config = r.values["config"]
    stats_text = (f"circuit-level r of {config} = {est}, {ci}; uncorrected "
                  f"{_fmt(rec['estimate_uncorrected'])}")
    if rec["verdict"] == "supported":
        return (f"{head}: shown inside +-{bound:g} by equivalence (two one-sided tests, "
                f"{p_text}); {stats_text}.")
    if rec["verdict"] == "contradicted":
        side = ("a trade-off" if rec["ci_low"] >= bound
                else "a relationship opposite to a trade-off")
        return f"{head}: {side} beyond +-{bound:g} is shown ({p_text}); {stats_text}."
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


# --- robustness to the adjustment set ----------------------------------------------------------


def _robustness(out: pd.DataFrame, rows: list[_Row], levels: dict[str, dict[str, float]],
                contexts: _Contexts, cleaned: CleanedData,
                strata: tuple[str, ...]) -> pd.DataFrame:
    """Every primary verdict of an association claim re-decided with each adjustment set added
    to the strata, at the levels of the primary decision."""
    records = []
    prim = out[(out["role"] == "primary")].set_index("claim")
    for r in rows:
        c = r.claim
        if c.kind != "association" or r.definition != c.primary or c.name not in prim.index:
            continue
        p = prim.loc[c.name]
        level = {k: (v if np.isfinite(v) else c.alpha)
                 for k, v in levels.get(c.name, {"s": c.alpha, "c": c.alpha}).items()}
        for adj in c.adjustments:
            rec = {"claim": c.name, "definition": r.definition,
                   "adjustment": "+ " + " + ".join(adj), "primary_verdict": p["verdict"],
                   "strata": " x ".join((*strata, *adj))}
            missing = [a for a in adj if a not in cleaned.data.columns]
            if missing:
                records.append(rec | {"verdict": "not computed", "changed": pd.NA,
                                      "note": f"column(s) {', '.join(missing)} not in the data"})
                continue
            ctx = contexts.get(r.definition, (*strata, *[a for a in adj if a not in strata]))
            row = RULES[c.rule].decide(ctx, c)
            if row.decide is None:
                records.append(rec | {"verdict": "not computed", "changed": pd.NA,
                                      "note": row.sentence.split("not tested: ")[-1]})
                continue
            ds, dc = row.decide(level["s"]), row.decide(level["c"])
            if row.p_value <= level["s"] and ds["passes"]:
                verdict, shown = "supported", ds
            elif row.p_contra <= level["c"] and dc["contradicted"]:
                verdict, shown = "contradicted", dc
            else:
                verdict, shown = "inconclusive", ds
            n_strata = (len(row.values["fit"].fit.strata) if "fit" in row.values else np.nan)
            records.append(rec | {k: shown[k] for k in ("estimate", "ci_low", "ci_high",
                                                         "confidence")}
                           | {"verdict": verdict, "changed": verdict != p["verdict"],
                              "p_value": row.p_value, "p_contra": row.p_contra,
                              "n_clusters": row.n_clusters, "n_strata": n_strata,
                              "note": row.note})
    adjusted = pd.DataFrame(records, columns=list(ADJUSTED_COLUMNS))
    adjusted["changed"] = adjusted["changed"].astype("boolean")
    return adjusted


def _mark_robust(out: pd.DataFrame, adjusted: pd.DataFrame) -> pd.DataFrame:
    out = out.copy()
    for i, rec in out.iterrows():
        if rec["role"] != "primary":
            continue
        a = adjusted[(adjusted["claim"] == rec["claim"])
                     & (adjusted["definition"] == rec["definition"])
                     & adjusted["changed"].notna()]
        if a.empty:
            continue
        changed = a[a["changed"].astype(bool)]
        out.at[i, "robust"] = changed.empty
        if not changed.empty:
            what = "; ".join(f"{_adjusted_text(r)}: {r.verdict}" for r in changed.itertuples())
            out.at[i, "sentence"] = (f"{rec['sentence']} Not robust to the adjustment set: "
                                     f"re-estimated given {what} (the verdict rests on it).")
        else:
            out.at[i, "sentence"] = (f"{rec['sentence']} Robust: the same verdict given "
                                     + "; ".join(_adjusted_text(r) for r in a.itertuples())
                                     + ".")
    return out


def _adjusted_text(r: object) -> str:
    """'rotations (r = 0.12, CI -0.25 to 0.45)' for one adjusted row."""
    name = str(r.adjustment).removeprefix("+ ")
    if not np.isfinite(r.estimate):
        return name
    return f"{name} ({_fmt(r.estimate)}, CI {_fmt(r.ci_low)} to {_fmt(r.ci_high)})"


# --- NAS --------------------------------------------------------------------------------------


def _check_nas(nas: object, registry: Registry) -> pd.DataFrame | None:
    if nas is None:
        return None
    if not isinstance(nas, pd.DataFrame):
        raise InputError(f"`nas` must be a pandas DataFrame, got {type(nas).__name__}")
    missing = [c for c in NAS_COLUMNS if c not in nas.columns]
    if missing:
        raise InputError(f"`nas` is missing column(s): {', '.join(missing)}; expected "
                         + ", ".join(NAS_COLUMNS))
    names = [c.name for c in registry.claims.values() if c.kind == "nas"]
    bad = sorted(set(nas["claim"].astype(str)) - set(names))
    if bad:
        raise InputError(f"`nas` column `claim` has unknown value(s) {bad}; allowed: "
                         + ", ".join(names))
    bad = sorted(set(nas["kind"].astype(str)) - set(NAS_KINDS))
    if bad:
        raise InputError(f"`nas` column `kind` has unknown value(s) {bad}; allowed: "
                         + ", ".join(NAS_KINDS))
    dist = pd.to_numeric(nas["distance"], errors="coerce")
    if not (np.isfinite(dist) & (dist >= 0) & (dist <= 1)).all():
        raise InputError("`nas` column `distance` must hold numbers in [0, 1] "
                         "(1 - Jaccard index of two Pareto sets)")
    out = nas.assign(distance=dist.astype(float))
    for side in ("a", "b"):
        setting, seed = _search_parts(out, side)
        out[f"_setting_{side}"], out[f"_seed_{side}"] = setting, seed
    same = out["_setting_a"] == out["_setting_b"]
    wrong = out[same != (out["kind"].astype(str) == "within")]
    if len(wrong):
        r = wrong.iloc[0]
        raise InputError(f"`nas` row ({r['setting_a']}, {r['setting_b']}) is of kind "
                         f"{r['kind']!r} but its searches are of "
                         f"{'one setting' if r['_setting_a'] == r['_setting_b'] else 'two'}: "
                         "`kind` must be 'within' exactly for two seeds of one setting")
    return out


def _search_parts(nas: pd.DataFrame, side: str) -> tuple[list[str], list[str]]:
    """(setting, search seed) of each row's search `side`: the seed columns when given, else
    the ``/seed<k>`` suffix of the label (`etr.nas.search.search_label`)."""
    labels = nas[f"setting_{side}"].astype(str).tolist()
    if f"seed_{side}" in nas.columns:
        seeds = nas[f"seed_{side}"].astype(str).tolist()
        settings = [lab.rsplit("/seed", 1)[0] if lab.endswith(f"/seed{s}") else lab
                    for lab, s in zip(labels, seeds, strict=True)]
        return settings, seeds
    settings, seeds = [], []
    for lab in labels:
        head, sep, tail = lab.rpartition("/seed")
        if not (sep and tail.isdigit()):
            raise InputError(f"`nas` column `setting_{side}` value {lab!r} does not name a "
                             "search seed: labels must end in '/seed<k>' (as `etr nas "
                             "--compare` writes them) or the table must have columns "
                             "`seed_a` and `seed_b`")
        settings.append(head)
        seeds.append(tail)
    return settings, seeds


def _nas_row(claim: Claim, nas: pd.DataFrame | None) -> _Row:
    row = _Row(claim=claim, definition=NAS_DEFINITION)
    meaning = _meaning(claim)
    if nas is None:
        row.sentence = (f"{meaning}: inconclusive, not evaluated (no NAS comparison table was "
                        "given as `nas`).")
        return row
    t = nas[nas["claim"].astype(str) == claim.name]
    row.n = len(t)
    searches: dict[str, tuple[str, str]] = {}
    dist: dict[frozenset, float] = {}
    for r in t.to_dict(orient="records"):
        a = (str(r["_setting_a"]), str(r["_seed_a"]))
        b = (str(r["_setting_b"]), str(r["_seed_b"]))
        if a[1] == b[1]:
            continue  # searches of one seed share randomness: never compared
        ka, kb = f"{a[0]}/seed{a[1]}", f"{b[0]}/seed{b[1]}"
        searches[ka], searches[kb] = a, b
        dist[frozenset((ka, kb))] = float(r["distance"])
    settings = sorted({s for s, _ in searches.values()})
    kinds = set(t["kind"].astype(str))
    if len(settings) < 2 or not {"between", "within"} <= kinds:
        row.sentence = (f"{meaning}: inconclusive, not tested: it needs searches of two "
                        f"settings with several search seeds each; got {len(settings)} "
                        f"setting(s) and distance kinds {sorted(kinds)}.")
        return row
    test = _permutation(searches, dist)
    row.p_value = test["p"]
    row.values.update(p_min=test["p_min"], uncorrected=np.nan, test=test)

    def decide(alpha_i: float) -> dict:
        return {"estimate": test["estimate"], "ci_low": np.nan, "ci_high": np.nan,
                "confidence": np.nan, "passes": True, "contradicted": False, **test}

    row.decide = decide
    return row


def _permutation(searches: dict[str, tuple[str, str]], dist: dict[frozenset, float]) -> dict:
    """Mean between minus mean within distance, and its permutation p-value over the
    relabellings of settings within each search seed (the independent unit)."""
    names = sorted(searches)
    index = {n: i for i, n in enumerate(names)}
    pairs = [(index[a], index[b], d) for (a, b), d in
             ((tuple(sorted(k)), v) for k, v in dist.items())]
    ia = np.array([p[0] for p in pairs])
    ib = np.array([p[1] for p in pairs])
    d = np.array([p[2] for p in pairs])
    labels = np.array([searches[n][0] for n in names], dtype=object)
    blocks: dict[str, list[int]] = {}
    for n in names:
        blocks.setdefault(searches[n][1], []).append(index[n])

    def statistic(lab: np.ndarray) -> float:
        same = lab[ia] == lab[ib]
        if same.all() or not same.any():
            return float("nan")
        return float(d[~same].mean() - d[same].mean())

    observed = statistic(labels)
    options = [list(dict.fromkeys(itertools.permutations(labels[b].tolist())))
               for b in blocks.values()]
    total = math.prod(len(o) for o in options)
    rng = np.random.default_rng(int(short_hash(sorted(names), 8), 16))
    if total <= _MAX_RELABELLINGS:
        combos = itertools.product(*options)
        exact = True
    else:
        combos = (tuple(o[rng.integers(len(o))] for o in options)
                  for _ in range(_MAX_RELABELLINGS))
        exact = False
    ge = same_as_observed = count = 0
    obs_same = labels[ia] == labels[ib]
    for combo in combos:
        lab = labels.copy()
        for idx, perm in zip(blocks.values(), combo, strict=True):
            lab[idx] = perm
        t = statistic(lab)
        count += 1
        if np.isfinite(t) and t >= observed - 1e-12:
            ge += 1
        if np.array_equal(lab[ia] == lab[ib], obs_same):
            same_as_observed += 1
    p = ge / count if exact else (ge + 1) / (count + 1)
    between = d[~obs_same]
    within = d[obs_same]
    return {"estimate": observed, "p": float(p), "p_min": same_as_observed / count if exact
            else 1.0 / (count + 1), "relabellings": total, "exact": exact,
            "between": between, "within": within, "n_seeds": len(blocks),
            "superiority": float(np.mean((between[:, None] > within[None, :])
                                         + 0.5 * (between[:, None] == within[None, :])))}


def _nas_sentence(head: str, rec: dict, out: dict, alpha: float) -> str:
    b, w = out["between"], out["within"]
    exact = "exact" if out["exact"] else f"{out['relabellings']:,} relabellings, sampled"
    what = (f"{len(b)} between-setting distances ({_fmt(b.min())} to {_fmt(b.max())}) against "
            f"{len(w)} seed-to-seed distances ({_fmt(w.min())} to {_fmt(w.max())}), "
            f"{out['n_seeds']} search seeds; mean difference {_fmt(rec['estimate'])}, "
            f"P(between > within) = {_fmt(out['superiority'])}; permutation test of the "
            f"setting labels within seeds ({exact}): p = {rec['p_value']:.3g}, adjusted "
            f"{rec['p_adj']:.3g}; the smallest attainable p is {out['p_min']:.3g}")
    if rec["verdict"] == "supported":
        return f"{head}: the fronts differ more between settings than between seeds, {what}."
    if out["p_min"] > alpha:
        return (f"{head}: not decidable with so few search seeds (the smallest attainable p "
                f"exceeds alpha = {alpha:g}): more seeds are needed; {what}.")
    return f"{head}: the fronts are not shown to differ more than repeated searches do, {what}."
