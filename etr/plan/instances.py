"""Task instances as a design factor: which instances each distinct circuit is trained on.

A task instance is one draw of a task's data and split (`etr.hybrid.load_task`). With
``instances = I`` in a spec, every task has instances 0 .. I - 1, crossed with the replicates
(initialisation seeds), so the analysis can tell how much of a circuit's trainability is the
circuit and how much the instance it happened to be trained on (the instance component of the
variance; a study with one instance per replicate confounds the two).

Training every circuit on every instance costs I times a single instance. With
``instances_per_circuit = k < I`` the design is an incomplete crossing that keeps what the
analysis needs:

* every distinct circuit (`pqc_id`) is trained on k instances, the same k for every task,
  encoding, classical variant and training configuration built on it (so the configurations
  and pre-networks of one circuit are compared on the same data);
* **every two circuits of a stratum (n_qubits, layers) share at least one instance**, so a
  within-stratum comparison of two circuits always has common data;
* the instances are used equally often (exactly when the number of circuits is a multiple of
  I, otherwise within k uses of each other).

Construction: the k instances of the circuit in position p are the translate ``D + p (mod I)``
of one *difference cover* D of the cyclic group Z_I, a k-set whose differences
``x - y (mod I)`` cover every residue (`difference_cover`). Two translates ``D + p`` and
``D + q`` meet exactly when ``q - p`` is such a difference, i.e. always; consecutive positions
give every instance the same number of uses per I circuits. Circuits are placed in strata order
(n_qubits, layers), within a stratum by `pqc_id` (content, not grid order), at consecutive
positions over the whole grid. A k-set has at most k (k - 1) nonzero differences, so k must
satisfy ``k (k - 1) >= I - 1``: 4 instances per circuit suffice for 10 (D = {0, 1, 2, 5}), 4
for 13 (a perfect difference set, {0, 1, 3, 9}), 6 for 20. With ``2 k - 1 >= I`` any k
consecutive instances cover. The classical-only control has no circuit: it is trained on every
instance (it is cheap, and every hybrid run is compared with the control of its own instance).

References
----------
Colbourn & Dinitz (eds.) 2007, Handbook of Combinatorial Designs, 2nd ed., VI.18 (difference
sets) and VI.19 (difference covers / difference families); Singer 1938 (perfect difference sets
from projective planes).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from etr._validation import check_int
from etr.errors import SpecError

__all__ = ["MAX_INSTANCES", "InstanceDesign", "difference_cover", "smallest_cover"]

#: Most task instances a spec may cross (each is a data draw held by every run on it).
MAX_INSTANCES = 1000
#: Search nodes before the exact search gives up (then the construction's size is required).
_NODE_LIMIT = 20_000


def _construction(n: int) -> list[int]:
    """A difference cover of Z_n of size about 2 sqrt(n): {0..m-1} and the multiples of m.

    Any d in 1..n-1 is q m + r: with r = 0 it is q m - 0, otherwise (q + 1) m - (m - r).
    """
    m = math.isqrt(n - 1) + 1 if n > 1 else 1
    top = (n - 1) // m + 1
    return sorted({x % n for x in (*range(m), *(j * m for j in range(1, top + 1)))})


def _covers(base: Iterable[int], n: int) -> bool:
    base = list(base)
    return {(x - y) % n for x in base for y in base} == set(range(n))


def _search(n: int, k: int) -> list[int] | None:
    """The lexicographically first difference cover {0, 1, ...} of size k, or None (also when
    the search exceeds `_NODE_LIMIT` nodes). Every cover can be translated to hold 0 and 1
    (difference 1 = x - y: subtract y), so the search fixes them."""
    count = [0] * n  # how many ordered pairs give each difference
    chosen: list[int] = []
    state = {"missing": n - 1, "nodes": 0}

    def add(x: int, step: int) -> None:
        for y in chosen:
            for d in ((x - y) % n, (y - x) % n):
                count[d] += step
                if count[d] == (1 if step > 0 else 0):
                    state["missing"] -= step

    def rec(start: int) -> bool:
        state["nodes"] += 1
        if state["nodes"] > _NODE_LIMIT:
            return False
        r = k - len(chosen)
        if state["missing"] == 0:
            return True  # pad with any unused residues
        if r == 0 or state["missing"] > 2 * r * len(chosen) + r * (r - 1):
            return False
        for x in range(start, n - r + 1):
            add(x, 1)
            chosen.append(x)
            if rec(x + 1):
                return True
            chosen.pop()
            add(x, -1)
        return False

    for x in (0, 1)[:min(k, 2)]:
        add(x, 1)
        chosen.append(x)
    if not rec(len(chosen)):
        return None
    return chosen + [x for x in range(n) if x not in chosen][:k - len(chosen)]


def difference_cover(n: int, k: int) -> tuple[int, ...] | None:
    """A k-subset of Z_n whose differences cover Z_n, with 0 in it; None when there is none.

    Deterministic: k consecutive residues when ``2 k - 1 >= n``; the construction {0..m-1}
    and the multiples of m (m = ceil(sqrt(n)), about 2 sqrt(n) elements) padded to k when k is
    at least its size; otherwise the lexicographically first cover holding 0 and 1 (an exact
    search, None when it finds none within its node limit).

    Examples
    --------
    >>> difference_cover(10, 4), difference_cover(13, 4), difference_cover(10, 3)
    ((0, 1, 2, 5), (0, 1, 3, 9), None)
    >>> difference_cover(5, 3)
    (0, 1, 2)
    """
    n = check_int("instances", n, minimum=1)
    k = check_int("instances_per_circuit", k, minimum=1, maximum=n)
    if 2 * k - 1 >= n:
        return tuple(range(k))
    if k * (k - 1) < n - 1:
        return None
    found = _construction(n)
    if len(found) <= k:
        found = found + [x for x in range(n) if x not in found][:k - len(found)]
    else:
        found = _search(n, k)
        if found is None:
            return None
    assert _covers(found, n)
    return tuple(sorted(found))


def smallest_cover(n: int) -> int:
    """The fewest instances per circuit for which `difference_cover` finds a design (searched
    up to 64 instances: the true minimum wherever the exact search completes, e.g. every
    I < 16; beyond 64, the construction's size, which always works).

    Examples
    --------
    >>> smallest_cover(10), smallest_cover(13), smallest_cover(2)
    (4, 4, 2)
    """
    if n > 64:
        return min(len(_construction(n)), n)
    k = max(1, math.ceil((1 + math.sqrt(4 * n - 3)) / 2))  # the least k with k (k - 1) >= n - 1
    while difference_cover(n, k) is None:
        k += 1
    return k


@dataclass(frozen=True, slots=True)
class InstanceDesign:
    """The task-instance design of a spec: I instances, k of them per distinct circuit.

    Parameters
    ----------
    instances : I >= 2.
    per_circuit : k in 1..I (None = I: every circuit on every instance).

    Attributes
    ----------
    base : the difference cover D (positions take its translates).

    Raises
    ------
    etr.errors.SpecError
        I or k out of range, or a k too small for every two circuits of a stratum to share an
        instance (the message gives the smallest k that works).

    Examples
    --------
    >>> d = InstanceDesign(10, 4)
    >>> d.block(0), d.block(7)
    ((0, 1, 2, 5), (2, 7, 8, 9))
    >>> InstanceDesign(10, 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    etr.errors.SpecError: `instances_per_circuit` = 3 is too few for every two circuits of a ...
    """

    instances: int
    per_circuit: int | None = None
    base: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        n = check_int("instances", self.instances, minimum=2, maximum=MAX_INSTANCES,
                      error=SpecError)
        k = n if self.per_circuit is None else check_int(
            "instances_per_circuit", self.per_circuit, minimum=1, maximum=n, error=SpecError)
        base = difference_cover(n, k)
        if base is None:
            raise SpecError(
                f"`instances_per_circuit` = {k} is too few for every two circuits of a "
                f"(n_qubits, layers) stratum to share a task instance among `instances` = {n} "
                f"(it needs k (k - 1) >= instances - 1); the smallest that works is "
                f"{smallest_cover(n)}")
        object.__setattr__(self, "instances", n)
        object.__setattr__(self, "per_circuit", k)
        object.__setattr__(self, "base", base)

    def block(self, position: int) -> tuple[int, ...]:
        """The instances of the circuit in `position`: ``D + position (mod I)``, sorted."""
        return tuple(sorted((d + position) % self.instances for d in self.base))

    def assign(self, circuits: Sequence[tuple[int, int, str]]) -> dict[str, tuple[int, ...]]:
        """pqc_id -> its instances, for distinct circuits given as (n_qubits, layers, pqc_id).

        Circuits are placed in (n_qubits, layers, pqc_id) order at consecutive positions, so
        the circuits of one stratum take consecutive translates of the cover.

        Examples
        --------
        >>> InstanceDesign(5, 3).assign([(2, 1, "b"), (2, 1, "a"), (3, 1, "c")])
        {'a': (0, 1, 2), 'b': (1, 2, 3), 'c': (2, 3, 4)}
        """
        order = sorted(set(circuits))
        return {pqc: self.block(p) for p, (_, _, pqc) in enumerate(order)}
