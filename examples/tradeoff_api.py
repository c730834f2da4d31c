"""How strong is the expressibility-trainability trade-off? The statistical API in one script.

Loads ``data/quick.parquet`` (written by ``etr simulate --preset quick``) when it exists, else a
synthetic dataset with a known trade-off, and prints the trade-off summary (given width and
depth, the marginal association beside it), the paper's claims as tests, the per-configuration
mixed-model slopes, the regimes and a paired comparison of two training configurations.

Run: ``python examples/tradeoff_api.py [DATA.parquet] [--n-boot N]``
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd

from etr.analysis import (
    VERDICT_RULE,
    compare_correlations,
    evaluate_claims,
    mixed_effects,
    segment_regimes,
    synthetic_dataset,
    tradeoff_summary,
)
from etr.contract import PRIMARY_X
from etr.errors import DegenerateDataWarning

DEFAULT = Path(__file__).resolve().parent.parent / "data" / "quick.parquet"


def load(path: Path) -> tuple[pd.DataFrame, str]:
    """The dataset at `path`, or a synthetic one when it does not exist."""
    if path.exists():
        data = pd.read_parquet(path)
        if "status" in data.columns:
            data = data[data["status"] == "ok"]
        return data, str(path)
    return synthetic_dataset(seed=0), "synthetic_dataset(seed=0) (no data/quick.parquet yet)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--n-boot", type=int, default=1000)
    args = parser.parse_args(argv)
    data, source = load(args.data)
    print(f"dataset: {source}, {len(data)} runs, "
          f"{data['architecture_id'].nunique()} architectures")
    warnings.simplefilter("ignore", DegenerateDataWarning)  # NaN rows speak for themselves
    # the frame-potential ratio when the dataset has it (older datasets: the KL divergence)
    x = (PRIMARY_X if PRIMARY_X in data.columns and data[PRIMARY_X].notna().any()
         else "expressibility_kl")

    summary = tradeoff_summary(data, x=x, n_boot=args.n_boot, seed=1)
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.precision", 3):
        print("\n== trade-off summary ==")
        print(f"x = {x}, given width and depth (the marginal association beside it)")
        print(summary[["training_config", "definition", "n_clusters", "estimate", "ci_low",
                       "ci_high", "estimate_marginal", "p_adj", "slope", "n_regimes",
                       "verdict"]].to_string())
        print()
        for sentence in summary["sentence"]:
            print("-", sentence)
        print("\nrule:", VERDICT_RULE)

        claims = evaluate_claims(data, x=x)
        print("\n== the paper's claims ==")
        for sentence in claims["sentence"]:
            print("-", sentence)

        model = mixed_effects(data, y="grad_var", x=x)
        print(f"\n== mixed model: {model.formula} ==")
        print(model.slopes.to_string())
        print(model.lrt[["test", "statistic", "df", "p_value"]].to_string())
        print(f"R2 marginal {model.r2_marginal:.3f}, conditional {model.r2_conditional:.3f}, "
              f"converged {model.converged}")

        regimes = segment_regimes(data, x=x, y="grad_var", by="training_config", n_boot=100,
                                  seed=2)
        print("\n== regimes of log10(grad_var) ==")
        print(regimes.segments.to_string())

        configs = list(summary["training_config"].unique())
        if {"pure_pqc", "hybrid_full"} <= set(configs):
            diff = compare_correlations(data, x=x, y="grad_var",
                                        a="pure_pqc", b="hybrid_full", n_boot=args.n_boot,
                                        seed=3)
            print("\n== pure_pqc vs hybrid_full (Spearman difference) ==")
            print(diff.to_string())


if __name__ == "__main__":
    main()
