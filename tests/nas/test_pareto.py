"""Pareto filter and hypervolume against brute-force computations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from etr.errors import InputError
from etr.nas.pareto import hypervolume, hypervolume_curve, non_dominated, to_minimisation


def _brute_non_dominated(p: np.ndarray) -> np.ndarray:
    out = []
    for i in range(len(p)):
        dominated = any(
            all(p[j] <= p[i]) and any(p[j] < p[i]) for j in range(len(p)) if j != i
        )
        out.append(not dominated)
    return np.array(out)


def _inclusion_exclusion(p: np.ndarray, ref: np.ndarray) -> float:
    p = p[(p < ref).all(axis=1)]
    total = 0.0
    for k in range(1, len(p) + 1):
        for subset in itertools.combinations(range(len(p)), k):
            corner = p[list(subset)].max(axis=0)
            total += (-1) ** (k + 1) * np.prod(ref - corner)
    return total


def _grid_count(p: np.ndarray, ref: np.ndarray) -> int:
    """Unit cells [c, c+1) dominated by some point (integer coordinates)."""
    axes = [np.arange(0, int(r)) for r in ref]
    count = 0
    for cell in itertools.product(*axes):
        c = np.array(cell)
        if ((p <= c).all(axis=1)).any():
            count += 1
    return count


@pytest.mark.parametrize("m", [2, 3, 4])
def test_non_dominated_matches_brute_force_with_ties(m: int) -> None:
    rng = np.random.default_rng(m)
    for _ in range(30):
        p = rng.integers(0, 4, size=(rng.integers(1, 15), m)).astype(float)
        np.testing.assert_array_equal(non_dominated(p), _brute_non_dominated(p))


def test_duplicates_are_all_kept_and_nan_rows_dropped() -> None:
    p = np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 0.0], [np.nan, 0.0], [3.0, 3.0]])
    assert non_dominated(p).tolist() == [True, True, True, False, False]


@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_hypervolume_matches_inclusion_exclusion(m: int) -> None:
    rng = np.random.default_rng(10 + m)
    for _ in range(25):
        n = int(rng.integers(1, 8))
        p = rng.random((n, m))
        ref = np.full(m, 1.05)
        assert hypervolume(p, ref) == pytest.approx(_inclusion_exclusion(p, ref), rel=1e-12,
                                                    abs=1e-14)


@pytest.mark.parametrize("m", [2, 3])
def test_hypervolume_matches_grid_counting(m: int) -> None:
    rng = np.random.default_rng(20 + m)
    ref = np.full(m, 6.0)
    for _ in range(10):
        p = rng.integers(0, 7, size=(int(rng.integers(1, 10)), m)).astype(float)
        assert hypervolume(p, ref) == pytest.approx(_grid_count(p, ref))


def test_known_values_and_points_beyond_reference() -> None:
    assert hypervolume([[0.5, 0.5, 0.5]], [1, 1, 1]) == pytest.approx(0.125)
    assert hypervolume([[2.0, 0.0], [1.0, 1.0]], [1.0, 2.0]) == 0.0  # none strictly inside
    with pytest.raises(InputError, match="reference"):
        hypervolume([[0, 0]], [1, 1, 1])


def test_hypervolume_curve_is_monotone_and_ends_at_total() -> None:
    rng = np.random.default_rng(3)
    p = rng.random((20, 3))
    curve = hypervolume_curve(p, [1.1] * 3)
    assert np.all(np.diff(curve) >= -1e-15)
    assert curve[-1] == pytest.approx(hypervolume(p, [1.1] * 3))


def test_to_minimisation_negates_maximised_columns() -> None:
    assert to_minimisation([[1.0, 2.0, 3.0]], ["minimize", "maximize", "minimize"]).tolist() == [
        [1.0, -2.0, 3.0]]
    with pytest.raises(InputError, match="directions"):
        to_minimisation([[1.0]], ["up"])
