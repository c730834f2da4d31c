from __future__ import annotations

import itertools

import pytest

from etr.errors import SpecError
from etr.plan.instances import InstanceDesign, difference_cover, smallest_cover


def _covers(base, n):
    return {(x - y) % n for x in base for y in base} == set(range(n))


@pytest.mark.parametrize("n", range(2, 16))
def test_smallest_cover_is_the_brute_force_minimum(n):
    """Exhaustive check: no smaller subset of Z_n covers every difference."""
    k = smallest_cover(n)
    assert _covers(difference_cover(n, k), n)
    assert not any(_covers(c, n) for c in itertools.combinations(range(n), k - 1))


@pytest.mark.parametrize(("n", "k"), [(10, 4), (10, 7), (13, 4), (20, 6), (30, 7), (50, 20),
                                      (200, 40)])
def test_covers_have_k_distinct_residues_with_every_difference(n, k):
    base = difference_cover(n, k)
    assert len(set(base)) == k == len(base) and 0 in base and max(base) < n
    assert _covers(base, n)


@pytest.mark.parametrize(("n", "k", "circuits"), [(10, 4, 10), (10, 4, 23), (13, 4, 13),
                                                  (12, 6, 30), (7, 7, 5)])
def test_every_two_circuits_share_an_instance_and_use_is_balanced(n, k, circuits):
    design = InstanceDesign(n, k)
    blocks = [design.block(p) for p in range(circuits)]
    assert all(len(b) == k == len(set(b)) for b in blocks)
    assert all(set(a) & set(b) for a, b in itertools.combinations(blocks, 2))
    uses = [sum(i in b for b in blocks) for i in range(n)]
    if circuits % n == 0:
        assert len(set(uses)) == 1  # exactly equal
    assert max(uses) - min(uses) <= k


def test_assign_orders_by_stratum_then_content_id():
    design = InstanceDesign(10, 4)
    circuits = [(4, 2, "ff"), (2, 1, "bb"), (4, 2, "aa"), (2, 1, "cc"), (2, 1, "bb")]
    got = design.assign(circuits)
    assert got == {"bb": design.block(0), "cc": design.block(1), "aa": design.block(2),
                   "ff": design.block(3)}
    assert design.assign(list(reversed(circuits))) == got  # grid order plays no part


@pytest.mark.parametrize(
    ("args", "needle"),
    [((1, None), "`instances` must be >= 2"), ((10, 3), "smallest that works is 4"),
     ((10, 11), "`instances_per_circuit` must be <= 10"), ((10, 0), "`instances_per_circuit`"),
     ((2000, None), "`instances` must be <= 1000"), ((10.5, None), "`instances`")],
)
def test_bad_designs_name_the_key(args, needle):
    with pytest.raises(SpecError, match=needle) as info:
        InstanceDesign(*args)
    assert "\n" not in str(info.value)


def test_complete_crossing_by_default():
    design = InstanceDesign(5)
    assert design.per_circuit == 5 and design.block(3) == (0, 1, 2, 3, 4)
