"""Does the measured loss variance converge to the DLA prediction with depth, and from when?

For hardware-efficient circuits at 4, 6 and 8 qubits (rotation sets RY+RZ and RX+RY+RZ, no
entangler, CZ and CNOT chains), the variance over uniform random parameters of the pure-PQC
readout mean_q Z_q from |0...0> is measured at depths L = 1 .. 3n (L >> n) and divided by the
deep-circuit prediction of Ragone et al. (2024). Printed per structure: the ratio at every depth,
its standard error, the single-layer value where it is known in closed form (a diagonal or no
entangler: Var = E[z^2] / n for the rotation sequence, `etr.report.theory.single_layer_ratio`),
and the first depth from which every deeper ratio is within `etr.report.theory.TOLERANCE` of 1.
`etr.report.theory.DEEP_RULE` states the depth the report requires before it counts a circuit
as explained or not, chosen from these numbers.

Run: ``python benchmarks/theory_convergence.py [--samples N] [--widths 4,6,8] [--csv PATH]``
(about 20 CPU-minutes with the defaults).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

os.environ.setdefault("OMP_NUM_THREADS", "1")

from etr.circuits import hardware_efficient
from etr.report.theory import TOLERANCE, deep_enough, single_layer_ratio
from etr.theory import measured_loss_variance, predicted_variance, readout_observable

STRUCTURES = [("none", "RY+RZ", "CZ"), ("none", "RX+RY+RZ", "CZ"),
              ("linear", "RY+RZ", "CZ"), ("linear", "RX+RY+RZ", "CZ"),
              ("ring", "RY+RZ", "CZ"), ("linear", "RY+RZ", "CNOT"),
              ("ring", "RX+RY+RZ", "CNOT")]


def depths(n: int) -> list[int]:
    return sorted({1, 2, 3, 4, 5, 6, 8, 10, 12, n, 2 * n, 3 * n})


def convergence(widths: list[int], samples: int, seed: int = 7) -> pd.DataFrame:
    rows = []
    for n in widths:
        obs = readout_observable(n)
        for top, rot, ent in STRUCTURES:
            for layers in depths(n):
                a = hardware_efficient(n, layers, topology=top, rotations=tuple(rot.split("+")),
                                       entangler=ent)
                t0 = time.process_time()
                pred = predicted_variance(a, obs)
                meas = measured_loss_variance(a, obs, n_samples=samples,
                                              seed=seed + 1000 * n + layers)
                rows.append({"n_qubits": n, "topology": top, "rotations": rot, "entangler": ent,
                             "layers": layers, "predicted": pred.value, "measured": meas.value,
                             "se": meas.se, "ratio": meas.value / pred.value,
                             "ratio_se": meas.se / pred.value,
                             "single_layer": single_layer_ratio(rot, ent, top, n, pred.value)
                             if layers == 1 else np.nan,
                             "deep_enough": deep_enough(n, layers),
                             "cpu_s": time.process_time() - t0})
                r = rows[-1]
                print(f"n={n} {top:6s} {rot:9s} {ent:4s} L={layers:2d} ratio={r['ratio']:.3f} "
                      f"+- {r['ratio_se']:.3f}" + (f" exact L=1: {r['single_layer']:.3f}"
                                                   if np.isfinite(r["single_layer"]) else ""),
                      flush=True)
    return pd.DataFrame(rows)


def converged_from(g: pd.DataFrame) -> float:
    """The first depth from which every deeper ratio is within TOLERANCE of 1."""
    ok = (g.sort_values("layers")["ratio"] - 1).abs().to_numpy() <= TOLERANCE
    layers = g.sort_values("layers")["layers"].to_numpy()
    for i in range(len(ok)):
        if ok[i:].all():
            return float(layers[i])
    return float("nan")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=4000)
    p.add_argument("--widths", default="4,6,8")
    p.add_argument("--csv")
    args = p.parse_args()
    d = convergence([int(w) for w in args.widths.split(",")], args.samples)
    summary = d.groupby(["n_qubits", "topology", "rotations", "entangler"]).apply(
        lambda g: pd.Series({"converged_from_L": converged_from(g),
                             "ratio_at_3n": g.loc[g["layers"].idxmax(), "ratio"],
                             "ratio_at_1": g.loc[g["layers"].idxmin(), "ratio"],
                             "exact_at_1": g.loc[g["layers"].idxmin(), "single_layer"]}),
        include_groups=False)
    print(summary.round(3).to_string())
    if args.csv:
        d.to_csv(args.csv, index=False)


if __name__ == "__main__":
    main()
