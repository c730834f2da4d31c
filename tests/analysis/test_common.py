"""Shared helpers of the analysis modules (`etr.analysis._common`)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from etr.analysis._common import (
    check_alpha,
    check_confidence,
    finite_columns,
    pqc_configs,
    pqc_rows,
)
from etr.errors import InputError, SpecError


def test_pqc_rows_leaves_out_only_registered_controls():
    d = pd.DataFrame({"training_config": ["pure_pqc", "classical_only", "hybrid_full",
                                          "not_registered", None]})
    np.testing.assert_array_equal(pqc_rows(d), [True, False, True, True, True])


def test_pqc_configs_registry_order_or_the_order_asked():
    d = pd.DataFrame({"training_config": ["hybrid_full", "classical_only", "pure_pqc", "x"]})
    assert pqc_configs(d, None) == ["pure_pqc", "hybrid_full"]
    assert pqc_configs(d, ["x", "hybrid_full", "classical_only", "hybrid_quantum_only"]) == [
        "x", "hybrid_full"]
    assert pqc_configs(d, "pure_pqc") == ["pure_pqc"]


def test_finite_columns():
    d = pd.DataFrame({"a": [np.nan, 2.0], "b": [np.inf, -np.inf], "c": ["1", "z"]})
    assert finite_columns(d, ["c", "b", "a", "missing"]) == ["c", "a"]


@pytest.mark.parametrize("value", [0.5, 0.95, 0.999999])
def test_check_confidence_accepts_the_range(value):
    assert check_confidence(value) == value


@pytest.mark.parametrize("value, match", [(0.49, "must be >= 0.5"), (1.0, "must be <= 0.999999"),
                                          ("0.9", "must be a number")])
def test_check_confidence_names_the_field(value, match):
    with pytest.raises(InputError, match=re.escape(f"`confidence` {match}")):
        check_confidence(value)


def test_check_alpha_names_the_field_and_raises_the_given_error():
    assert check_alpha(0.05) == 0.05
    with pytest.raises(InputError, match=re.escape("`alpha` must be <= 0.5")):
        check_alpha(0.6)
    with pytest.raises(SpecError, match=re.escape("`registry.alpha` must be >= 1e-06")):
        check_alpha(0.0, "registry.alpha", SpecError)
