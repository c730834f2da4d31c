"""How Pareto fronts differ between settings, against how they differ between two seeds.

A front difference between two settings (training configuration x trainability definition)
means something only if it exceeds the difference between two searches of the *same* setting.
Every setting is therefore searched with several search seeds (`etr.nas.run_search`'s
``search_seed``: its own sampler randomness and its own block of replicates), and the distance
``1 - Jaccard`` of two Pareto sets is computed for every pair of searches:

* ``within``: two search seeds of one setting (the noise reference);
* ``between``: two settings, with *different* search seeds, so that a between distance carries
  the same noise as a within one (two searches with the same seed share their first random
  generation of proposals and, on the common pool, their task instances and initialisations,
  which would make between distances smaller under the null). Pairs of one seed are kept in the
  table with ``same_seed = True`` but left out of the claims.

Two scopes: ``search`` compares the fronts each search found among the architectures *it*
sampled; ``pool`` compares fronts taken over one common pool (every architecture any search
completed, evaluated under every configuration and every replicate block; see
`etr.nas.run.pool_fronts`), where a difference cannot come from one search never sampling an
architecture, and the within distance is the evaluation noise alone. The claims table
(`claims_table`) is the pool scope.

A between pair is labelled with the claim it bears on: ``nas_fronts_differ_by_training`` when
the two settings differ in training configuration only, ``nas_fronts_differ_by_definition``
when they differ in trainability definition only (pairs that differ in both bear on neither); a
within row is repeated for each claim whose between pairs involve its setting.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from etr.analysis.claims import NAS_COLUMNS, NAS_KINDS, NAS_SEED_COLUMNS, nas_claim
from etr.errors import InputError
from etr.nas.objectives import Setting
from etr.nas.pareto import hypervolume
from etr.nas.search import (
    REFERENCE,
    SearchResult,
    normalised_objectives,
    objective_bounds,
    search_label,
)

__all__ = [
    "BY_DEFINITION",
    "BY_TRAINING",
    "DISTANCE_COLUMNS",
    "NAS_COLUMNS",
    "NAS_KINDS",
    "Comparison",
    "claims_table",
    "compare_settings",
    "front_distances",
    "jaccard",
    "pair_claim",
]

#: the registered claims a between-setting pair bears on (names owned by `etr.analysis.claims`:
#: the NAS claim whose ``axis`` is the one setting factor the pair differs in).
BY_TRAINING = nas_claim(["training_config"])
BY_DEFINITION = nas_claim(["trainability"])
#: columns of `front_distances`.
DISTANCE_COLUMNS: tuple[str, ...] = (
    "scope", "claim", "kind", "setting_a", "setting_b", "seed_a", "seed_b", "same_seed",
    "search_a", "search_b", "n_a", "n_b", "n_common", "jaccard", "distance")


@dataclass(frozen=True, slots=True)
class Comparison:
    """Fronts of several searches on one common scale, and how far apart they are.

    Attributes
    ----------
    hypervolume : one row per search: ``search, setting, search_seed, training_config,
        trainability, n_trials, n_complete, n_pareto, hypervolume`` (objectives min-max scaled
        over the trials of *all* searches, per objective column, log10 where the registry says
        so; reference point 1.1 in every scaled objective, so values are comparable).
    curves : hypervolume after every trial on the common scale: ``search, setting,
        search_seed, trial, hypervolume``.
    distances : `DISTANCE_COLUMNS`, one row per pair of searches and scope (``search``: the
        fronts the searches found; ``pool``: the fronts over the common pool), see the module
        notes; ``claim`` is None for a pair that bears on no claim.
    pool_fronts : ``search, setting, search_seed, architecture_id, label``: the
        Pareto-optimal architectures of the common pool under each search's setting and
        replicate block (None when not computed).
    """

    hypervolume: pd.DataFrame
    curves: pd.DataFrame
    distances: pd.DataFrame
    pool_fronts: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """The per-search hypervolume table."""
        return self.hypervolume.copy()

    def claims(self) -> pd.DataFrame:
        """The claims table of the pool scope (`claims_table`)."""
        return claims_table(self.distances)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b| (1 for two empty sets).

    Examples
    --------
    >>> jaccard(frozenset("ab"), frozenset("bc"))
    0.3333333333333333
    """
    union = a | b
    return len(a & b) / len(union) if union else 1.0


def pair_claim(a: Setting, b: Setting) -> str | None:
    """The claim a between-setting pair bears on (None: same setting, or both factors differ).

    Examples
    --------
    >>> pair_claim(Setting("hybrid_quantum_only", "grad_var"), Setting("hybrid_full", "grad_var"))
    'nas_fronts_differ_by_training'
    >>> pair_claim(Setting("hybrid_full", "grad_var"), Setting("hybrid_full", "loss_decrease"))
    'nas_fronts_differ_by_definition'
    """
    differs = [axis for axis, va, vb in (("training_config", a.training_config,
                                          b.training_config),
                                         ("trainability", a.trainability, b.trainability))
               if va != vb]
    return nas_claim(differs)


def front_distances(fronts: Mapping[tuple[Setting, int], frozenset[str]], scope: str,
                    ) -> pd.DataFrame:
    """``1 - Jaccard`` of every pair of fronts, labelled within / between and by claim.

    Parameters
    ----------
    fronts : (setting, search seed) -> the architecture ids of that search's front.
    scope : recorded in the ``scope`` column (``"search"`` or ``"pool"``).

    Returns
    -------
    pandas.DataFrame
        `DISTANCE_COLUMNS`; within rows first get ``claim`` None, then one copy per claim
        whose between pairs (of different seeds) involve the setting.

    Examples
    --------
    >>> a, b = Setting("hybrid_quantum_only", "grad_var"), Setting("hybrid_full", "grad_var")
    >>> d = front_distances({(a, 0): frozenset("xy"), (a, 1): frozenset("x"),
    ...                      (b, 0): frozenset("z"), (b, 1): frozenset("zx")}, "pool")
    >>> print(d[["kind", "seed_a", "seed_b", "same_seed", "distance"]].round(2)
    ...       .to_string(index=False))
       kind  seed_a  seed_b  same_seed  distance
     within       0       1      False      0.50
     within       0       1      False      0.50
    between       0       0       True      1.00
    between       0       1      False      0.67
    between       1       0      False      1.00
    between       1       1       True      0.50
    """
    rows = []
    for ((sa, ka), fa), ((sb, kb), fb) in itertools.combinations(fronts.items(), 2):
        if sa == sb and ka == kb:
            continue
        kind = "within" if sa == sb else "between"
        j = jaccard(fa, fb)
        rows.append({"scope": scope, "claim": None if kind == "within" else pair_claim(sa, sb),
                     "kind": kind, "setting_a": sa.label, "setting_b": sb.label,
                     "seed_a": int(ka), "seed_b": int(kb), "same_seed": ka == kb,
                     "search_a": search_label(sa, ka), "search_b": search_label(sb, kb),
                     "n_a": len(fa), "n_b": len(fb), "n_common": len(fa & fb),
                     "jaccard": j, "distance": 1.0 - j})
    claims_of: dict[str, list[str]] = {}
    for r in rows:
        if r["kind"] == "between" and r["claim"] is not None and not r["same_seed"]:
            for s in (r["setting_a"], r["setting_b"]):
                claims_of.setdefault(s, [])
                if r["claim"] not in claims_of[s]:
                    claims_of[s].append(r["claim"])
    out = []
    for r in rows:
        if r["kind"] == "within":
            claims = claims_of.get(r["setting_a"]) or [None]
            out += [{**r, "claim": c} for c in sorted(claims, key=str)]
        else:
            out.append(r)
    order = {"within": 0, "between": 1}
    out.sort(key=lambda r: (str(r["claim"]), order[r["kind"]]))
    return pd.DataFrame(out, columns=list(DISTANCE_COLUMNS))


def claims_table(distances: pd.DataFrame, scope: str = "pool") -> pd.DataFrame:
    """The table `etr.analysis.evaluate_claims` reads as ``nas``: columns `NAS_COLUMNS` and the
    search seeds ``seed_a``, ``seed_b`` (its permutation test relabels settings within seeds).

    Rows of `scope` that bear on a claim: every within pair of searches of one setting, and the
    between pairs of *different* search seeds; ``setting_a`` / ``setting_b`` name the searches
    (``'<config>/<definition>/seed<k>'``), ``distance`` = 1 - Jaccard of the two Pareto sets,
    in [0, 1].

    Examples
    --------
    >>> a, b = Setting("hybrid_full", "grad_var"), Setting("hybrid_full", "loss_decrease")
    >>> d = front_distances({(a, 0): frozenset("x"), (a, 1): frozenset("x"),
    ...                      (b, 0): frozenset("y"), (b, 1): frozenset("y")}, "pool")
    >>> claims_table(d)[["kind", "distance", "seed_a", "seed_b"]].values.tolist()
    [['within', 0.0, 0, 1], ['within', 0.0, 0, 1], ['between', 1.0, 0, 1], ['between', 1.0, 1, 0]]
    """
    d = distances[(distances["scope"] == scope) & distances["claim"].notna()
                  & ~(distances["same_seed"] & (distances["kind"] == "between"))]
    out = d[["claim", "kind", "search_a", "search_b", "distance", "seed_a", "seed_b"]].rename(
        columns={"search_a": "setting_a", "search_b": "setting_b"})
    out = out.astype({"claim": str, "kind": str, "setting_a": str, "setting_b": str,
                      "distance": float, "seed_a": int, "seed_b": int})
    return out.reset_index(drop=True)[[*NAS_COLUMNS, *NAS_SEED_COLUMNS]]


def compare_settings(results: Sequence[SearchResult]) -> Comparison:
    """Compare the fronts of searches run under different settings and search seeds.

    All results must use the same objectives by name (the trainability objective may read
    different definitions) and differ in setting or search seed. Normalisation bounds are taken
    per objective *column* over the completed trials of every result that has that column, so
    fronts under the same definition share a scale and fronts under different definitions are
    each scaled to their definition's observed range. The distances are those of the searches'
    own fronts (scope ``search``); `etr.nas.run.run_nas` adds the pool scope.

    Examples
    --------
    >>> from etr.nas import SearchSpace, Setting, run_search, synthetic_evaluator
    >>> space = SearchSpace(n_qubits=(2, 3), layers=(1, 2))
    >>> rs = [run_search(space, setting=Setting(c, "grad_var"), n_trials=8, population_size=4,
    ...                  evaluator=synthetic_evaluator, search_seed=k)
    ...       for c in ("hybrid_quantum_only", "hybrid_full") for k in (0, 1)]
    >>> compare_settings(rs).distances["kind"].value_counts().to_dict()
    {'between': 4, 'within': 2}
    """
    results = list(results)
    if not results:
        raise InputError("`results` must hold at least one search result")
    names = [tuple(o.name for o in r.objectives) for r in results]
    if len(set(names)) != 1:
        raise InputError(
            f"searches to compare must share their objectives, got {sorted(set(names))}")
    labels = [r.label for r in results]
    if len(set(labels)) != len(labels):
        raise InputError(f"searches to compare must differ in setting or search seed, got "
                         f"{labels}")
    done = [r.trials[r.trials["state"] == "COMPLETE"] for r in results]
    all_obs = {o.column: o for r in results for o in r.objectives}
    bounds = objective_bounds(done, list(all_obs.values()))
    ref = [REFERENCE] * len(results[0].objectives)
    hv_rows, curves = [], []
    for r, d in zip(results, done, strict=True):
        pts = normalised_objectives(d[d["pareto"]], r.objectives, bounds)
        hv_rows.append({
            "search": r.label, "setting": r.setting.label, "search_seed": r.search_seed,
            "training_config": r.setting.training_config, "trainability": r.setting.trainability,
            "n_trials": len(r.trials), "n_complete": len(d), "n_pareto": len(r.pareto_ids),
            "hypervolume": hypervolume(pts, ref) if len(pts) else 0.0,
        })
        curves.append(r.hypervolume_curve(bounds))
    distances = front_distances({(r.setting, r.search_seed): r.pareto_ids for r in results},
                                "search")
    return Comparison(
        hypervolume=pd.DataFrame(hv_rows),
        curves=pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(
            {"search": [], "trial": [], "hypervolume": np.array([], dtype=float)}),
        distances=distances,
    )
