"""Finite shots beside exact simulation: do the claims' verdicts survive shot noise?

A finite-shot run and the exact run of the same cell (architecture, training configuration,
task instance, replicate) share their data and initial parameters (`etr.experiment.grid`): the
only difference between them is the shot noise of every expectation and parameter-shift
gradient. `shot_claims` pairs them run by run, so both sides hold the same circuits, tasks,
instances and replicates, and evaluates the registered claims once on each side with the same
options: a verdict that changes between the two columns changes because of the shots, not
because of the part of the grid that has them.

How much noise there was is the runs' ``grad_snr`` (`etr.contract`): the exact gradient's RMS
over the shot-noise standard deviation of its parameter-shift estimate, at initialisation.
`snr_summary` tabulates it per shot level, task, configuration and size, beside the paired
ratio of finite-shot to exact ``grad_var``; the two are tied by E[grad_var_shots] ~ grad_var
(1 + 1 / SNR^2) when the mean gradient over initialisations is near 0, which the table lets a
reader check.

The claims are evaluated through `_claims`, the one adapter to the claims machinery's public
entry point (`etr.analysis.evaluate_claims`): no estimator of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from etr._rng import SeedLike
from etr.analysis import conditional as cond
from etr.analysis._common import as_tuple
from etr.analysis.claims import Registry, evaluate_claims
from etr.analysis.quality import clean
from etr.contract import CONFIGS, DESIGN_COLUMNS, TRAINABILITY_ONLY
from etr.errors import InputError

__all__ = ["PAIR_KEYS", "SHOT_CLAIM_COLUMNS", "SNR_COLUMNS", "paired_shot_runs", "shot_claims",
           "snr_summary"]

#: what identifies a run apart from its shot level (the columns present are used): the
#: architecture and the contract's run columns (`etr.contract.DESIGN_COLUMNS` of group "run":
#: configuration, task, task instance, replicate, and any run factor registered there later).
PAIR_KEYS: tuple[str, ...] = ("architecture_id", *(
    c.name for c in DESIGN_COLUMNS if c.group == "run" and c.name != "shots"))
_REQUIRED = ("architecture_id", "training_config", "seed")
#: the columns of `shot_claims`, in order.
SHOT_CLAIM_COLUMNS: tuple[str, ...] = (
    "shots", "claim", "definition", "role", "verdict_exact", "estimate_exact", "ci_low_exact",
    "ci_high_exact", "confidence_exact", "verdict_shots", "estimate_shots", "ci_low_shots",
    "ci_high_shots", "confidence_shots", "same_verdict", "n_pairs", "n_circuits", "snr_median")
#: the columns of `snr_summary`, in order (after the grouping columns).
SNR_COLUMNS: tuple[str, ...] = ("n", "snr_median", "snr_q25", "snr_q75", "grad_var_ratio",
                                "predicted_ratio")
_SIDE = ("verdict", "estimate", "ci_low", "ci_high", "confidence")


def _shots(data: pd.DataFrame) -> pd.Series:
    if "shots" not in data.columns:
        return pd.Series(np.nan, index=data.index, dtype=float)
    return pd.to_numeric(data["shots"], errors="coerce").astype(float)


def _levels(data: pd.DataFrame) -> list[int]:
    return sorted(int(v) for v in _shots(data).dropna().unique())


def _check(data: object) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in _REQUIRED if c not in data.columns]
    if missing:
        raise InputError(f"`data` is missing column(s) {', '.join(missing)} (needed to pair "
                         "finite-shot runs with their exact twins)")
    return data


def paired_shot_runs(data: pd.DataFrame, level: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(exact runs, runs at `level` shots) that have a twin on the other side, in the same
    order (row i of one is the twin of row i of the other).

    Twins agree on every column of `PAIR_KEYS` the data hold; runs with a PQC only (the
    classical-only control has no shot level). Rows are taken as given: clean them first.

    Parameters
    ----------
    data : pandas.DataFrame
        Runs with ``shots`` (missing = exact) and the `PAIR_KEYS` columns (at least
        ``architecture_id``, ``training_config`` and ``seed``).
    level : int
        The finite shot level.

    Returns
    -------
    (exact, finite) : two DataFrames of equal length, twins row by row.

    Raises
    ------
    etr.errors.InputError
        Not a DataFrame, or a required pairing column missing.

    Examples
    --------
    >>> df = pd.DataFrame({"architecture_id": ["a", "a", "b"], "training_config": "pure_pqc",
    ...                    "seed": 0, "shots": [None, 100, None], "grad_var": [1.0, 1.1, 2.0]})
    >>> exact, finite = paired_shot_runs(df, 100)
    >>> exact["grad_var"].tolist(), finite["grad_var"].tolist()
    ([1.0], [1.1])
    """
    data = _check(data)
    keys = [c for c in PAIR_KEYS if c in data.columns]
    shots = _shots(data)
    pqc = data["training_config"].astype(str).map(
        lambda c: CONFIGS[c].has_pqc if c in CONFIGS else True).to_numpy(dtype=bool)
    exact = data[shots.isna().to_numpy() & pqc]
    finite = data[(shots == level).to_numpy() & pqc]
    left = exact[keys].astype(str).reset_index(drop=True).assign(_e=np.arange(len(exact)))
    right = finite[keys].astype(str).reset_index(drop=True).assign(_f=np.arange(len(finite)))
    for side, what in ((left, "exact"), (right, f"{level}-shot")):
        if side.duplicated(subset=keys).any():
            raise InputError(f"`data` holds several {what} runs with the same {', '.join(keys)}: "
                             "their twins are ambiguous (a run factor missing from the "
                             "contract's run columns?)")
    both = left.merge(right, on=keys, how="inner")
    return exact.iloc[both["_e"].to_numpy()], finite.iloc[both["_f"].to_numpy()]


def _claims(data: pd.DataFrame, **options: object) -> pd.DataFrame:
    """The registered claims on `data` through the claims machinery's public entry point,
    reduced to what the side-by-side table shows: the association claims (the NAS claims
    compare searches and the noise claim noise levels; neither is a property of one side's
    runs). The one place that knows the claims' API."""
    out = evaluate_claims(data, **options)
    out = out[out["kind"].astype(str) == "association"]
    return out[["claim", "definition", "role", *_SIDE, "n_clusters"]].reset_index(drop=True)


def shot_claims(
    data: pd.DataFrame,
    *,
    claims: Registry | str | Path | None = None,
    x: str | None = None,
    definitions: Sequence[str] | None = None,
    margin: float | None = None,
    alpha: float | None = None,
    strata: Sequence[str] = cond.STRATA,
    cluster: str = "pqc_id",
    seed: SeedLike = None,
) -> pd.DataFrame:
    """The registered claims on exact and on finite-shot runs of the same cells, side by side.

    Parameters
    ----------
    data : pandas.DataFrame
        A dataset following `etr.contract` with exact and finite-shot runs (``shots``);
        failed and duplicated runs are removed first (`etr.analysis.quality.clean`).
    claims, x, definitions, margin, alpha, strata, cluster, seed
        As for `etr.analysis.evaluate_claims` (the registered claims file, its primary
        definitions, margin and alpha by default); the same on both sides. `definitions`
        default: the registered trainability definitions finite on both sides (a claim whose
        primary definition is not among them is not decided). The robustness re-estimates of
        the registered adjustments are left out: the table compares the primary verdicts.

    Returns
    -------
    pandas.DataFrame
        One row per shot level, association claim and definition, columns
        `SHOT_CLAIM_COLUMNS`: ``shots``; ``claim``, ``definition``, ``role`` (primary or
        secondary, as registered); ``verdict_exact``, ``estimate_exact``, ``ci_low_exact``,
        ``ci_high_exact``, ``confidence_exact`` (the claim on the exact twins) and the same
        with ``_shots`` (on the finite-shot runs); ``same_verdict``; ``n_pairs`` (paired runs),
        ``n_circuits`` (distinct circuits of the pairs) and ``snr_median`` (median
        ``grad_snr`` of the paired finite-shot runs; NaN when the data lack it). Empty (these
        columns) when the data hold no finite-shot run with an exact twin.

    Raises
    ------
    etr.errors.InputError
        Not a DataFrame, a pairing column missing, or what `evaluate_claims` refuses.

    Examples
    --------
    >>> from etr.analysis import planted_dataset
    >>> df = planted_dataset(n_pqcs=60, n_seeds=1, seed=3)
    >>> noisy = df.assign(shots=64, cell_id=df["cell_id"] + "-64",
    ...                   grad_var=df["grad_var"] * 1.05,
    ...                   grad_var_landscape=df["grad_var_landscape"] * 1.05)
    >>> both = pd.concat([df.assign(shots=pd.NA), noisy], ignore_index=True)
    >>> t = shot_claims(both, definitions=["grad_var", "grad_var_landscape"])
    >>> primary = t[t["role"] == "primary"]
    >>> primary["claim"].tolist()
    ['pure_weak', 'pure_regime_dependent', 'quantum_only_disrupted', 'full_eliminated']
    >>> bool(t["same_verdict"].all()), int(t["n_pairs"].iloc[0])  # a monotone change: same
    (True, 300)
    """
    data = clean(_check(data)).data.reset_index(drop=True)
    options = dict(claims=claims, x=x, margin=margin, alpha=alpha, strata=as_tuple(strata),
                   cluster=cluster, seed=seed, adjust_sets=False)
    parts = []
    for level in _levels(data):
        exact, finite = paired_shot_runs(data, level)
        if exact.empty:
            continue
        defs = definitions
        if defs is None:
            defs = [d for d in _finite_definitions(exact) if d in _finite_definitions(finite)]
        a = _claims(exact, definitions=defs, **options)
        b = _claims(finite, definitions=defs, **options)
        side = a.merge(b, on=["claim", "definition", "role"], suffixes=("_exact", "_shots"))
        snr = (pd.to_numeric(finite["grad_snr"], errors="coerce").median()
               if "grad_snr" in finite.columns else np.nan)
        parts.append(side.assign(
            shots=level, same_verdict=side["verdict_exact"] == side["verdict_shots"],
            n_pairs=len(exact), n_circuits=exact[cluster].nunique(), snr_median=float(snr)))
    if not parts:
        return pd.DataFrame({c: [] for c in SHOT_CLAIM_COLUMNS})
    return pd.concat(parts, ignore_index=True)[list(SHOT_CLAIM_COLUMNS)]


def _finite_definitions(data: pd.DataFrame) -> list[str]:
    return [d for d in TRAINABILITY_ONLY if d in data.columns
            and np.isfinite(pd.to_numeric(data[d], errors="coerce")).any()]


def snr_summary(
    data: pd.DataFrame,
    *,
    by: Sequence[str] = ("shots", "task", "training_config", "n_qubits", "layers"),
) -> pd.DataFrame:
    """The finite-shot runs' gradient signal-to-noise ratio, and what it did to ``grad_var``.

    Parameters
    ----------
    data : pandas.DataFrame
        A dataset with ``grad_snr`` (finite-shot runs) and, for the ratio, exact twins
        (`paired_shot_runs`); failed and duplicated runs are removed first.
    by : sequence of str
        Grouping columns (those present are used); ``shots`` always.

    Returns
    -------
    pandas.DataFrame
        One row per group, the grouping columns then `SNR_COLUMNS`: ``n`` (finite-shot runs
        with a finite ``grad_snr``), ``snr_median``, ``snr_q25``, ``snr_q75``,
        ``grad_var_ratio`` (median over paired runs of finite-shot / exact ``grad_var``) and
        ``predicted_ratio`` (median of 1 + 1 / grad_snr^2: what the ratio should be when the
        mean gradient over initialisations is 0). Empty when no run has a finite ``grad_snr``.

    Examples
    --------
    >>> df = pd.DataFrame({"architecture_id": ["a", "a"], "training_config": "pure_pqc",
    ...                    "seed": 0, "shots": [None, 16], "n_qubits": 6, "layers": 2,
    ...                    "grad_var": [1.0, 1.2], "grad_snr": [np.nan, 2.0]})
    >>> snr_summary(df)[["shots", "n", "snr_median", "grad_var_ratio", "predicted_ratio"]]
       shots  n  snr_median  grad_var_ratio  predicted_ratio
    0     16  1         2.0             1.2             1.25
    """
    data = clean(_check(data)).data.reset_index(drop=True)
    groups = ["shots", *[c for c in as_tuple(by) if c in data.columns and c != "shots"]]
    rows = []
    for level in _levels(data) if "grad_snr" in data.columns else []:
        exact, finite = paired_shot_runs(data, level)
        runs = data[(_shots(data) == level).to_numpy()]
        snr = pd.to_numeric(runs["grad_snr"], errors="coerce")
        runs = runs.assign(_snr=snr, _ratio=np.nan, shots=level)[snr.notna().to_numpy()]
        if runs.empty:
            continue
        if "grad_var" in data.columns and len(finite):
            ratio = (pd.to_numeric(finite["grad_var"], errors="coerce").to_numpy(float)
                     / pd.to_numeric(exact["grad_var"], errors="coerce").to_numpy(float))
            idx = runs.index.intersection(finite.index)
            runs.loc[idx, "_ratio"] = pd.Series(ratio, index=finite.index).loc[idx]
        for key, g in runs.groupby(groups, sort=True, dropna=False):
            s = g["_snr"].to_numpy(float)
            rows.append({**dict(zip(groups, key, strict=True)), "n": len(s),
                         "snr_median": float(np.median(s)),
                         "snr_q25": float(np.quantile(s, 0.25)),
                         "snr_q75": float(np.quantile(s, 0.75)),
                         "grad_var_ratio": float(g["_ratio"].median()),
                         "predicted_ratio": float(np.median(1.0 + 1.0 / s**2))})
    if not rows:
        return pd.DataFrame({c: [] for c in (*groups, *SNR_COLUMNS)})
    return pd.DataFrame(rows)[[*groups, *SNR_COLUMNS]]
