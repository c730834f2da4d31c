from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etr.contract import COLUMNS, REQUIRED_COLUMNS, validate_dataset
from etr.errors import InputError


def _frame(n=4):
    return pd.DataFrame(
        {
            "architecture_id": [f"a{i}" for i in range(n)],
            "training_config": ["pure_pqc", "hybrid_full"] * (n // 2),
            "n_qubits": [2] * n,
            "layers": [1] * n,
            "expressibility_kl": np.linspace(0.1, 1.0, n),
            "grad_var": [1e-2, np.inf, 3e-3, 4e-3][:n],
        }
    )


def test_valid_frame_gets_contract_dtypes_and_inf_becomes_nan():
    out = validate_dataset(_frame())
    assert str(out["architecture_id"].dtype) == COLUMNS["architecture_id"]
    assert out["n_qubits"].dtype == np.int64
    assert np.isnan(out.loc[1, "grad_var"])


def test_missing_columns_are_named():
    with pytest.raises(InputError, match=r"missing required column.*layers"):
        validate_dataset(_frame().drop(columns=["layers"]))
    with pytest.raises(InputError, match=r"no expressibility column.*expressibility_fp"):
        validate_dataset(_frame().drop(columns=["expressibility_kl"]))


def test_no_trainability_column():
    with pytest.raises(InputError, match="no trainability column"):
        validate_dataset(_frame().drop(columns=["grad_var"]))


def test_empty_and_non_frames_and_bad_values():
    with pytest.raises(InputError, match="empty"):
        validate_dataset(_frame().iloc[:0])
    with pytest.raises(InputError, match="DataFrame"):
        validate_dataset([1, 2])
    bad = _frame()
    bad["training_config"] = "quantum"
    with pytest.raises(InputError, match="training_config"):
        validate_dataset(bad)
    text = _frame()
    text["grad_var"] = "big"
    with pytest.raises(InputError, match="`grad_var` must be numeric"):
        validate_dataset(text)


def test_required_columns_are_in_the_contract():
    assert set(REQUIRED_COLUMNS) <= set(COLUMNS)
