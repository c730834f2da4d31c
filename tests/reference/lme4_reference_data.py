"""Write the data sets of the lme4 reference (``lme4_reference.R`` fits them).

Run once, then the R script; the outputs are committed and the tests need neither::

    python tests/reference/lme4_reference_data.py      # -> lme4_data/*.csv.gz
    Rscript tests/reference/lme4_reference.R            # -> lme4_reference.json

Cases (each a CSV with the response ``y``, the circuit ``pqc_id``, the architecture
``architecture_id``, the circuit-level ``x``, the factors and the fixed-effect design columns
``X0, X1, ...`` exactly as `etr.analysis.mixed_effects` builds them, aliased columns left out):

* ``planted``: a planted truth, unbalanced: 150 circuits, two configurations with their own
  slopes (0.8 and 0.1) and width/depth effects, 1-3 architectures per circuit in the hybrid
  configuration, 1-4 replicates each; circuit sd 0.5, architecture sd 0.3, residual sd 0.4.
* ``planted_slope``: one configuration, a random slope of x per circuit (x constant within a
  circuit: the slope makes the circuit variance depend on x), 200 circuits.
* ``quick_<definition>``: the model frames of `tradeoff_summary`'s mixed model on
  ``data/quick.parquet`` for the definitions where statsmodels' MixedLM stopped short of the
  optimum (its REML log-likelihood was 27 and 45 units below this module's).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from etr.analysis import mixed
from etr.experiment import read_dataset

HERE = Path(__file__).resolve().parent
OUT = HERE / "lme4_data"
QUICK_DEFINITIONS = ("grad_var_train", "grad_var_landscape")


def planted(seed: int = 23) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    slopes = {"pure_pqc": 0.8, "hybrid_full": 0.1}
    for k in range(150):
        n, layers = 2 + k % 3, 1 + (k // 3) % 3
        x = rng.uniform(1.0, 3.0) - 0.2 * layers
        u = rng.normal(0.0, 0.5)
        for config, slope in slopes.items():
            n_arch = 1 if config == "pure_pqc" else int(rng.integers(1, 4))
            for a in range(n_arch):
                v = rng.normal(0.0, 0.3)
                for s in range(int(rng.integers(1, 5))):
                    mean = (0.5 * (config == "hybrid_full") + slope * x - 0.3 * n
                            + 0.2 * layers * (1 + (config == "pure_pqc")))
                    rows.append({"pqc_id": f"c{k}", "architecture_id": f"c{k}-{config}-{a}",
                                 "training_config": config, "seed": s, "n_qubits": n,
                                 "layers": layers, "x": x,
                                 "y": mean + u + v + rng.normal(0.0, 0.4)})
    return pd.DataFrame(rows)


def planted_slope(seed: int = 29) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cov = np.array([[0.25, 0.05], [0.05, 0.09]])
    rows = []
    for k in range(200):
        x = rng.uniform(-1.0, 3.0)
        u0, u1 = rng.multivariate_normal([0.0, 0.0], cov)
        for a in range(2):
            v = rng.normal(0.0, 0.2)
            for s in range(int(rng.integers(2, 5))):
                rows.append({"pqc_id": f"c{k}", "architecture_id": f"c{k}-{a}",
                             "training_config": "pure_pqc", "seed": s, "n_qubits": 2 + k % 2,
                             "layers": 1, "x": x,
                             "y": 1.0 + 0.6 * x + u0 + u1 * x + v + rng.normal(0.0, 0.3)})
    return pd.DataFrame(rows)


def _design_columns(data: pd.DataFrame, **kw) -> pd.DataFrame:
    """The model frame with the fixed-effect columns etr fits (X0, X1, ...)."""
    model = mixed._model_frame(data, **kw)
    multi = kw["by"] is not None and model.frame["_by"].nunique() > 1
    rhs = "".join(f" + {t}" for t in model.cov_terms)
    full = ("_y ~ C(_by) + _x:C(_by)" if multi else "_y ~ _x") + rhs
    designs = mixed._designs(full, None, model, random_slope=False)
    frame = model.frame.rename(columns={"_y": "y", "_g": "pqc_id", "_a": "architecture_id",
                                        "_x": "x", "_by": "training_config",
                                        **model.cov_names})
    exog = designs.exog.matrix
    cols = pd.DataFrame(exog, columns=[f"X{i}" for i in range(exog.shape[1])])
    keep = [c for c in ("y", "pqc_id", "architecture_id", "x", "training_config",
                        *model.cov_names.values()) if c in frame.columns]
    return pd.concat([frame[keep].reset_index(drop=True), cols], axis=1), designs.names


def main() -> None:
    warnings.simplefilter("ignore")
    OUT.mkdir(exist_ok=True)
    plain = {"transform_y": "none", "transform_x": "none", "groups": "pqc_id",
             "nested": "architecture_id", "y": "y", "x": "x"}
    names = {}
    for name, data, by, cov in (("planted", planted(), "training_config",
                                 ("n_qubits", "layers")),
                                ("planted_slope", planted_slope(), None, ("n_qubits",))):
        frame, names[name] = _design_columns(data, by=by, covariates=cov, **plain)
        frame.to_csv(OUT / f"{name}.csv.gz", index=False, float_format="%.17g")
    quick = read_dataset(HERE.parents[1] / "data" / "quick.parquet")
    exact = quick[quick["shots"].isna() & (quick["training_config"] != "classical_only")]
    for d in QUICK_DEFINITIONS:
        frame, names[f"quick_{d}"] = _design_columns(
            exact, y=d, x="expressibility_fp", groups="pqc_id", nested="architecture_id",
            by="training_config", covariates=("n_qubits", "layers"), transform_y="log10",
            transform_x="log10")
        frame.to_csv(OUT / f"quick_{d}.csv.gz", index=False, float_format="%.17g")
    (OUT / "columns.json").write_text(json.dumps(names, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
