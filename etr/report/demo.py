"""``python -m etr.report.demo [OUT.html]``: a report on a synthetic dataset with a known trade-off.

Used by ``make demo``. The data come from `etr.analysis.synthetic_dataset` (pure PQC slope 0.8,
quantum-only hybrid 0.4, end-to-end hybrid 0), so the report should find a trade-off that
weakens with hybridisation.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

__all__ = ["demo_report"]


def demo_report(out: str | Path = "reports/demo.html", *, n_boot: int = 1000,
                seed: int = 0) -> Path:
    """Write the demo report to `out` and return its path."""
    from etr.analysis import synthetic_dataset
    from etr.experiment import write_dataset
    from etr.report.build import analyze_to_report

    df = synthetic_dataset(seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        data = write_dataset(df, Path(tmp) / "synthetic.parquet",
                             provenance={"root_seed": seed, "source": "synthetic_dataset"})
        res = analyze_to_report(data, out, n_boot=n_boot, seed=seed,
                                title="Expressibility-trainability report: synthetic demo")
    return res.html


if __name__ == "__main__":  # pragma: no cover
    print(f"wrote {demo_report(*sys.argv[1:2])}")
