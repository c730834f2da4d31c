"""How Pareto fronts differ between settings (training configuration x trainability definition)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from etr.errors import InputError
from etr.nas.pareto import hypervolume
from etr.nas.search import REFERENCE, SearchResult, normalised_objectives, objective_bounds

__all__ = ["Comparison", "compare_settings", "overlap_table"]


@dataclass(frozen=True, slots=True)
class Comparison:
    """Fronts of several searches on one common scale.

    Attributes
    ----------
    hypervolume : one row per setting: ``setting, training_config, trainability, n_trials,
        n_complete, n_pareto, hypervolume`` (objectives min-max scaled over the trials of *all*
        settings, per objective column, log10 for gradient-based definitions; reference point 1.1
        in every scaled objective, so values are comparable between settings).
    overlap : one row per pair of settings: ``setting_a, setting_b, n_a, n_b, n_common, jaccard``
        (Jaccard index of the sets of Pareto-optimal architecture ids).
    exclusive : one row per (setting, architecture) optimal there but not in another setting:
        ``setting, other, architecture_id, label, evaluated_in_other``.
    curves : hypervolume after every trial on the common scale: ``setting, trial, hypervolume``.
    pool_overlap : like `overlap`, but for the fronts of one *common pool* (every architecture
        any search evaluated, re-evaluated under every setting; see `etr.nas.run.pool_fronts`),
        so a difference cannot come from one search never sampling an architecture. None when
        not computed.
    pool_fronts : ``setting, architecture_id, label``: the Pareto-optimal architectures of the
        common pool under each setting (None when not computed).
    """

    hypervolume: pd.DataFrame
    overlap: pd.DataFrame
    exclusive: pd.DataFrame
    curves: pd.DataFrame
    pool_overlap: pd.DataFrame | None = None
    pool_fronts: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """The per-setting hypervolume table."""
        return self.hypervolume.copy()


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b| (1 for two empty sets).

    Examples
    --------
    >>> jaccard(frozenset("ab"), frozenset("bc"))
    0.3333333333333333
    """
    union = a | b
    return len(a & b) / len(union) if union else 1.0


def overlap_table(fronts: Mapping[str, frozenset[str]]) -> pd.DataFrame:
    """Jaccard overlap of every pair of Pareto sets, in the order of `fronts`.

    Examples
    --------
    >>> overlap_table({"a": frozenset("xy"), "b": frozenset("y")})[["n_common", "jaccard"]]
       n_common  jaccard
    0         1      0.5
    """
    rows = []
    for (la, fa), (lb, fb) in itertools.combinations(fronts.items(), 2):
        rows.append({"setting_a": la, "setting_b": lb, "n_a": len(fa), "n_b": len(fb),
                     "n_common": len(fa & fb), "jaccard": jaccard(fa, fb)})
    return pd.DataFrame(rows, columns=["setting_a", "setting_b", "n_a", "n_b", "n_common",
                                       "jaccard"])


def compare_settings(results: Sequence[SearchResult]) -> Comparison:
    """Compare the fronts of searches run under different settings.

    All results must use the same objectives by name (the trainability objective may read
    different definitions). Normalisation bounds are taken per objective *column* over the completed
    trials of every result that has that column, so fronts under the same definition share a scale
    and fronts under different definitions are each scaled to their definition's observed range.

    Examples
    --------
    >>> from etr.nas import SearchSpace, Setting, run_search, synthetic_evaluator
    >>> space = SearchSpace(n_qubits=(2, 3), layers=(1, 2))
    >>> rs = [run_search(space, setting=Setting(c, "grad_var"), n_trials=8, population_size=4,
    ...                  evaluator=synthetic_evaluator) for c in ("hybrid_quantum_only",
    ...                                                           "hybrid_full")]
    >>> compare_settings(rs).overlap.columns.tolist()
    ['setting_a', 'setting_b', 'n_a', 'n_b', 'n_common', 'jaccard']
    """
    results = list(results)
    if not results:
        raise InputError("`results` must hold at least one search result")
    names = [tuple(o.name for o in r.objectives) for r in results]
    if len(set(names)) != 1:
        raise InputError(
            f"searches to compare must share their objectives, got {sorted(set(names))}")
    labels = [r.setting.label for r in results]
    if len(set(labels)) != len(labels):
        raise InputError(f"settings to compare must differ, got {labels}")
    done = [r.trials[r.trials["state"] == "COMPLETE"] for r in results]
    all_obs = {o.column: o for r in results for o in r.objectives}
    bounds = objective_bounds(done, list(all_obs.values()))
    ref = [REFERENCE] * len(results[0].objectives)
    hv_rows, curves = [], []
    for r, d in zip(results, done):
        pts = normalised_objectives(d[d["pareto"]], r.objectives, bounds)
        hv_rows.append({
            "setting": r.setting.label, "training_config": r.setting.training_config,
            "trainability": r.setting.trainability, "n_trials": len(r.trials),
            "n_complete": len(d), "n_pareto": len(r.pareto_ids),
            "hypervolume": hypervolume(pts, ref) if len(pts) else 0.0,
        })
        curves.append(r.hypervolume_curve(bounds))
    ov_rows, ex_rows = [], []
    for a, b in itertools.permutations(range(len(results)), 2):
        ra, rb = results[a], results[b]
        if a < b:
            common = ra.pareto_ids & rb.pareto_ids
            ov_rows.append({"setting_a": ra.setting.label, "setting_b": rb.setting.label,
                            "n_a": len(ra.pareto_ids), "n_b": len(rb.pareto_ids),
                            "n_common": len(common),
                            "jaccard": jaccard(ra.pareto_ids, rb.pareto_ids)})
        seen_b = set(rb.trials["architecture_id"].dropna())
        front = ra.front()
        for aid, label in zip(front["architecture_id"], front["label"]):
            if aid not in rb.pareto_ids:
                ex_rows.append({"setting": ra.setting.label, "other": rb.setting.label,
                                "architecture_id": aid, "label": label,
                                "evaluated_in_other": aid in seen_b})
    ov_cols = ["setting_a", "setting_b", "n_a", "n_b", "n_common", "jaccard"]
    ex_cols = ["setting", "other", "architecture_id", "label", "evaluated_in_other"]
    return Comparison(
        hypervolume=pd.DataFrame(hv_rows),
        overlap=pd.DataFrame(ov_rows, columns=ov_cols),
        exclusive=pd.DataFrame(ex_rows, columns=ex_cols),
        curves=pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(
            {"setting": [], "trial": [], "hypervolume": np.array([], dtype=float)}),
    )
