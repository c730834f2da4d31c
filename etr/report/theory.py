"""What theory says about the circuits of a dataset, and where the measurements agree.

The dataset carries, per circuit, the dimension of its dynamical Lie algebra (``dla_dim``), the
deep-circuit variance of the cost that Ragone et al. (2024) predict from it
(``predicted_loss_var``; NaN where the formula does not apply, the reason in ``theory_note``)
and the variance measured over uniform random parameters (``loss_var``). The prediction is a
*deep-circuit* value: a circuit forms an approximate 2-design over its DLA group only once it is
deep enough, so the measured variance should approach it as depth grows.

A circuit's plateau is **explained by its DLA** when the measured variance lies within
`TOLERANCE` (relative) of the prediction. The tolerance is wider than the sampling error of
the measurement (a variance estimated from the runner's 500-2000 parameter samples has a
relative standard error of about 3-6% for the bounded costs here), because a finite-depth
circuit is only approximately a 2-design; it is a stated convention, not a test.

Everything here is descriptive (one row per circuit, no inference) and works on the circuit-level
columns, which the runner writes once per distinct circuit (``pqc_id``).

References
----------
Ragone, M. et al. (2024). A Lie algebraic theory of barren plateaus for deep parameterized
quantum circuits. Nat. Commun. 15, 7172.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etr.contract import CIRCUIT_COLUMNS, COLUMNS, CONFIGS, PRIMARY_X

__all__ = ["TOLERANCE", "circuit_table", "explained_table", "not_applicable_table"]

#: relative tolerance of "measured within the prediction" (see the module notes).
TOLERANCE = 0.25
_DESIGN = ("family", "circuit", "topology", "rotations", "entangler", "n_qubits", "layers")


def _structure(row: pd.Series) -> str:
    """A circuit's name without its depth, e.g. ``hea linear RY+RZ CZ, 4q`` or ``sim9, 4q``."""
    if str(row.get("family", "")) == "hea":
        parts = [str(row.get(c, "")) for c in ("topology", "rotations", "entangler")]
        name = "hea " + " ".join(p for p in parts if p and p not in ("n/a", "<NA>", "nan"))
    else:
        name = str(row.get("circuit", "?"))
    n = row.get("n_qubits", "?")
    n = int(n) if isinstance(n, float | np.floating) and float(n).is_integer() else n
    return f"{name}, {n}q"


def circuit_table(data: pd.DataFrame) -> pd.DataFrame:
    """One row per circuit: design, theory and expressibility columns, measured/predicted ratio.

    ``grad_var`` is the circuit's mean over its ``pure_pqc`` runs (the PQC alone, the setting of
    the theory), over every PQC run when there is none.

    Returns
    -------
    pandas.DataFrame
        ``pqc_id, structure, <design columns>, <the circuit-level columns of the registry,
        theory_note among them>, grad_var, ratio, within_tolerance`` (columns absent from
        `data` are left out; ``within_tolerance`` is NA where there is no prediction).

    Examples
    --------
    >>> df = pd.DataFrame({"pqc_id": ["a", "a"], "family": "sim", "circuit": "sim1",
    ...                    "n_qubits": 2, "layers": 1, "training_config": "pure_pqc",
    ...                    "loss_var": 0.09, "predicted_loss_var": 0.1, "grad_var": [1.0, 3.0]})
    >>> row = circuit_table(df).iloc[0]
    >>> row["structure"], round(float(row["ratio"]), 2), bool(row["within_tolerance"])
    ('sim1, 2q', 0.9, True)
    >>> float(row["grad_var"])
    2.0
    """
    if "pqc_id" not in data.columns:
        return pd.DataFrame()
    has_pqc = [c for c, v in CONFIGS.items() if v.has_pqc]
    d = data[data["pqc_id"].notna()]
    if "training_config" in d.columns:
        d = d[d["training_config"].astype(str).isin(has_pqc)]
    if d.empty:
        return pd.DataFrame()
    numeric = [c for c in CIRCUIT_COLUMNS if COLUMNS[c] == "float64"]
    first = [c for c in (*_DESIGN, *CIRCUIT_COLUMNS) if c in d.columns]
    out = d.groupby(d["pqc_id"].astype(str), sort=True)[first].first()
    for c in numeric:  # numeric means (the runner writes one value per circuit)
        if c in d.columns:
            out[c] = pd.to_numeric(d[c], errors="coerce").groupby(
                d["pqc_id"].astype(str)).mean()
    if "grad_var" in d.columns:
        pure = d[d["training_config"].astype(str) == "pure_pqc"] \
            if "training_config" in d.columns else d
        src = pure if len(pure) else d
        out["grad_var"] = pd.to_numeric(src["grad_var"], errors="coerce").groupby(
            src["pqc_id"].astype(str)).mean()
    out = out.reset_index(names="pqc_id")
    out.insert(1, "structure", out.apply(_structure, axis=1))
    if {"loss_var", "predicted_loss_var"} <= set(out.columns):
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = out["loss_var"].astype(float) / out["predicted_loss_var"].astype(float)
        ratio = ratio.where(np.isfinite(ratio))
        out["ratio"] = ratio
        out["within_tolerance"] = pd.array(
            [pd.NA if pd.isna(r) else bool(abs(r - 1.0) <= TOLERANCE) for r in ratio],
            dtype="boolean")
    return out


def explained_table(circuits: pd.DataFrame) -> pd.DataFrame:
    """Where the DLA explains the plateau: counts by family, width and depth.

    Returns
    -------
    pandas.DataFrame
        ``family, n_qubits, layers, circuits, predicted`` (circuits with a prediction),
        ``explained`` (measured within `TOLERANCE` of it), ``median_ratio`` (measured /
        predicted), ``not_applicable`` (no prediction: the formula does not apply).

    Examples
    --------
    >>> c = pd.DataFrame({"family": "hea", "n_qubits": 2, "layers": [1, 1],
    ...                   "ratio": [1.1, np.nan], "within_tolerance": [True, pd.NA],
    ...                   "predicted_loss_var": [0.1, np.nan]})
    >>> explained_table(c)[["circuits", "predicted", "explained", "not_applicable"]].values
    array([[2, 1, 1, 1]])
    """
    need = {"family", "n_qubits", "layers", "ratio", "predicted_loss_var"}
    if circuits.empty or not need <= set(circuits.columns):
        return pd.DataFrame(columns=["family", "n_qubits", "layers", "circuits", "predicted",
                                     "explained", "median_ratio", "not_applicable"])
    c = circuits.assign(_pred=np.isfinite(circuits["predicted_loss_var"].astype(float)),
                        _ok=circuits["within_tolerance"].fillna(False).astype(bool))
    g = c.groupby(["family", "n_qubits", "layers"], sort=True)
    out = pd.DataFrame({
        "circuits": g.size(),
        "predicted": g["_pred"].sum().astype(int),
        "explained": g["_ok"].sum().astype(int),
        "median_ratio": g["ratio"].median(),
    }).reset_index()
    out["not_applicable"] = out["circuits"] - out["predicted"]
    return out


def not_applicable_table(circuits: pd.DataFrame) -> pd.DataFrame:
    """Circuits without a prediction, counted by reason (the ``theory_note`` without its
    examples) and family.

    Examples
    --------
    >>> c = pd.DataFrame({"family": "sim", "predicted_loss_var": [np.nan, np.nan, 0.1],
    ...                   "theory_note": ["not applicable: O not in g (e.g. XI)",
    ...                                   "not applicable: O not in g (e.g. IZ)", None]})
    >>> not_applicable_table(c).values.tolist()
    [['not applicable: O not in g', 'sim', 2]]
    """
    cols = ["reason", "family", "circuits"]
    if circuits.empty or "predicted_loss_var" not in circuits.columns:
        return pd.DataFrame(columns=cols)
    missing = circuits[~np.isfinite(circuits["predicted_loss_var"].astype(float))]
    if missing.empty:
        return pd.DataFrame(columns=cols)
    note = (missing["theory_note"].astype(object).fillna("no reason recorded").astype(str)
            if "theory_note" in missing.columns
            else pd.Series("no reason recorded", index=missing.index))
    reason = note.str.replace(r"\s*\(e\.g\..*\)\s*$", "", regex=True).str.strip()
    family = missing["family"].astype(str) if "family" in missing.columns else "?"
    out = (pd.DataFrame({"reason": reason, "family": family}).value_counts(sort=False)
           .rename("circuits").reset_index())
    return out.sort_values(["circuits", "reason"], ascending=[False, True]).reset_index(
        drop=True)[cols]


#: the columns the theory charts and tables need at the least.
REQUIRED = ("pqc_id", "loss_var", "predicted_loss_var")
#: the primary x, for the DLA charts.
X = PRIMARY_X
