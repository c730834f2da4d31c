"""Entanglement topologies: which qubit pairs an entangling layer couples."""

from __future__ import annotations

from etr._validation import check_choice, check_int

__all__ = ["TOPOLOGIES", "topology_pairs"]

TOPOLOGIES: tuple[str, ...] = ("none", "linear", "ring", "full", "star")


def topology_pairs(n_qubits: int, topology: str) -> list[tuple[int, int]]:
    """Ordered (control, target) pairs of one entangling layer.

    ``none``: no pairs; ``linear``: (0,1), (1,2), ...; ``ring``: linear plus (n-1, 0) when n > 2;
    ``full``: every pair i < j; ``star``: (0, j) for every j > 0.

    Examples
    --------
    >>> topology_pairs(4, "ring")
    [(0, 1), (1, 2), (2, 3), (3, 0)]
    """
    n = check_int("n_qubits", n_qubits, minimum=1)
    check_choice("topology", topology, TOPOLOGIES)
    if topology == "none" or n == 1:
        return []
    if topology == "linear":
        return [(i, i + 1) for i in range(n - 1)]
    if topology == "ring":
        return [(i, i + 1) for i in range(n - 1)] + ([(n - 1, 0)] if n > 2 else [])
    if topology == "full":
        return [(i, j) for i in range(n) for j in range(i + 1, n)]
    return [(0, j) for j in range(1, n)]
