from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from etr.analysis import synthetic_dataset

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_tradeoff_api_example_prints_the_summary(tmp_path):
    path = tmp_path / "synthetic.parquet"
    # verdicts rest on the association given width and depth: enough circuits per
    # (n_qubits, layers) cell for a trade-off to be detected at all
    synthetic_dataset(n_architectures=120, seed=4).to_parquet(path)
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "tradeoff_api.py"), str(path),
         "--n-boot", "100"],
        capture_output=True, text=True, timeout=300, check=True,
    ).stdout
    assert f"dataset: {path}, 1080 runs, 120 architectures" in out
    assert "== trade-off summary ==" in out
    assert "Under pure_pqc, grad_var shows a" in out
    assert "more expressive -> less trainable" in out
    assert "pure_pqc vs hybrid_full" in out
    assert "== the paper's claims ==" in out
    assert pd.read_parquet(path).shape[0] == 1080
