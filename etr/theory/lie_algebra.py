"""The dynamical Lie algebra (DLA) of a circuit: dimension, simple ideals, center.

The DLA of a circuit prod_k exp(-i theta_k H_k) is g = span_R of the nested commutators of the
{i H'_k}, with H'_k the generators in the Heisenberg picture (fixed gates moved to the end,
`etr.theory.heisenberg`). Two routes:

* ``"pauli"``: every H'_k is one Pauli string (rotations conjugated by Clifford gates: the
  hardware-efficient family with CZ / CNOT, Sim circuits without controlled rotations). The algebra
  is a set of strings, found by a breadth-first search on bit-packed strings
  (`etr.theory._kernels`), and its simple ideals follow from the anticommutation graph
  (`etr.theory.pauli_algebra`). Any width up to 31 qubits while the dimension stays below
  `max_dim`; su(2^10) (1,048,575 strings) takes about a second.
* ``"general"``: generators are Pauli sums (controlled rotations, T, fixed non-Clifford angles):
  real linear algebra in the Pauli basis (`etr.theory.general`), up to `GENERAL_MAX_QUBITS` = 5.

Beyond these limits the result has ``dim=None`` and a ``reason`` starting with "not computed".
Gates sharing a parameter slot count as separate generators (the algebra of the gate set, an upper
bound on that of the tied circuit).

Memory of the Pauli route: 16 bytes per string plus a 4^n-slot table up to 11 qubits (64 MB at
n = 11); the default ``max_dim`` = 4^11 - 1 admits su(2^11), about 200 MB in all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from etr._validation import check_choice, check_int
from etr.circuits.ansatz import Ansatz, Gate
from etr.errors import InputError
from etr.theory.general import GENERAL_MAX_QUBITS, GeneralAlgebra, general_algebra
from etr.theory.heisenberg import HeisenbergCircuit, heisenberg_picture
from etr.theory.pauli import label_from_key
from etr.theory.pauli_algebra import MAX_PAULI_QUBITS, PauliAlgebra, pauli_algebra

__all__ = ["LIE_METHODS", "MAX_DIM", "LieAlgebraResult", "lie_algebra"]

#: default cap on dim g: su(2^11) fits, larger closures stop with a reason.
MAX_DIM = 4**11 - 1
#: the largest `max_dim` accepted: 2^27 strings take about 3 GB.
MAX_DIM_LIMIT = 1 << 27
LIE_METHODS: tuple[str, ...] = ("auto", "pauli", "general")
_CLIFFORD_FIXED = frozenset({"H", "X", "Y", "Z", "S", "CZ", "CNOT", "SWAP"})


@dataclass(frozen=True, slots=True)
class LieAlgebraResult:
    """The dynamical Lie algebra of a circuit.

    Attributes
    ----------
    dim : dim g, or None when not computed (see `reason`).
    components : dimensions of the simple ideals, largest first (the center is not one).
    center_dim : dimension of the center (abelian part), or None.
    is_universal : True if g = su(2^n) (dim 4^n - 1), or None.
    n_qubits : width of the circuit.
    n_generators : number of parametric gates (one generator each).
    method : ``"pauli"`` (string closure), ``"general"`` (Pauli-basis linear algebra) or
        ``"none"``.
    reason : why it was not computed ("not computed: ..."), else empty.
    basis : on request (``basis=True``): the Pauli labels spanning g (``"pauli"``), or an array
        ``(dim, 4**n)`` of orthonormal Pauli-coefficient rows, column k = the string of key k
        (``"general"``, see `etr.theory.pauli`); else None.
    """

    dim: int | None
    components: tuple[int, ...]
    center_dim: int | None
    is_universal: bool | None
    n_qubits: int
    n_generators: int
    method: str
    reason: str
    basis: tuple[str, ...] | np.ndarray | None = None

    @property
    def computed(self) -> bool:
        return self.dim is not None

    def to_frame(self) -> pd.DataFrame:
        """One row per simple ideal and one for the center: ``component, kind, dim``."""
        rows = [{"component": i, "kind": "simple", "dim": d}
                for i, d in enumerate(self.components)]
        if self.center_dim:
            rows.append({"component": len(rows), "kind": "center", "dim": self.center_dim})
        return pd.DataFrame(rows, columns=["component", "kind", "dim"])


@dataclass(frozen=True, eq=False)
class Computed:
    """The internal record shared by `lie_algebra` and `predicted_variance`."""

    heisenberg: HeisenbergCircuit | None
    method: str
    reason: str
    algebra: PauliAlgebra | GeneralAlgebra | None


def _clifford_gate(gate: Gate) -> bool:
    if gate.name in _CLIFFORD_FIXED:
        return True
    if gate.name == "T":
        return False
    step = np.pi if gate.kind.controlled else np.pi / 2
    ratio = gate.angle / step
    return abs(ratio - round(ratio)) < 1e-12


def _none(reason: str, heis: HeisenbergCircuit | None = None) -> Computed:
    return Computed(heis, "none", f"not computed: {reason}", None)


#: strings kept by the closure cache (about 20 bytes each: ~80 MB)
_CACHE_BUDGET = 1 << 22
_PAULI_CACHE: OrderedDict[tuple, PauliAlgebra] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _pauli_cached(gens: tuple[int, ...], n: int, max_dim: int) -> PauliAlgebra:
    """Closure of a set of generator strings, cached (least recently used first out, within
    `_CACHE_BUDGET` strings). The algebra depends on the set of strings only, and many circuits
    share it: every hardware-efficient circuit with L >= 2 of one width, rotation set and
    topology has the generators of its first two layers (CZ layers are commuting involutions)."""
    key = (gens, n, max_dim)
    with _CACHE_LOCK:
        if key in _PAULI_CACHE:
            _PAULI_CACHE.move_to_end(key)
            return _PAULI_CACHE[key]
    alg = pauli_algebra(list(gens), n, max_dim)
    with _CACHE_LOCK:
        _PAULI_CACHE[key] = alg
        while len(_PAULI_CACHE) > 1 and sum(a.dim for a in _PAULI_CACHE.values()) > \
                _CACHE_BUDGET:
            _PAULI_CACHE.popitem(last=False)
    return alg


def clear_caches() -> None:
    """Forget cached algebras (for timing from scratch and to free memory)."""
    with _CACHE_LOCK:
        _PAULI_CACHE.clear()
    compute.cache_clear()


@lru_cache(maxsize=4)
def compute(ansatz: Ansatz, max_dim: int, method: str) -> Computed:
    """Heisenberg picture, closure and structure of `ansatz` (cached per circuit)."""
    n = ansatz.n_qubits
    fixed_ok = all(_clifford_gate(g) for g in ansatz.gates if g.slot is None)
    if not fixed_ok and n > GENERAL_MAX_QUBITS:
        return _none(f"non-Clifford fixed gates (T or fixed angles) need the general closure, "
                     f"limited to {GENERAL_MAX_QUBITS} qubits; the circuit has {n}")
    heis = heisenberg_picture(ansatz)
    route = method
    if method == "auto":
        route = "pauli" if heis.pauli_generators else "general"
    if route == "pauli":
        if not heis.pauli_generators:
            return _none("generators are Pauli sums (controlled rotations or non-Clifford fixed "
                         "gates); the Pauli closure needs single strings", heis)
        if n > MAX_PAULI_QUBITS:
            return _none(f"the Pauli closure is limited to {MAX_PAULI_QUBITS} qubits; the "
                         f"circuit has {n}", heis)
        gens = tuple(sorted({next(iter(g)) for g in heis.generators}))
        alg = _pauli_cached(gens, n, max_dim)
        if not alg.complete:
            return _none(f"dim g exceeds max_dim = {max_dim}", heis)
        return Computed(heis, "pauli", "", alg)
    if n > GENERAL_MAX_QUBITS:
        return _none(f"generators are Pauli sums (controlled rotations or non-Clifford fixed "
                     f"gates) and the general closure is limited to {GENERAL_MAX_QUBITS} qubits; "
                     f"the circuit has {n}", heis)
    gen_alg = general_algebra(list(heis.generators), n, max_dim)
    if not gen_alg.complete:
        return _none(f"dim g exceeds max_dim = {max_dim}", heis)
    return Computed(heis, "general", "", gen_alg)


def check_lie_args(max_dim: object, method: object) -> int:
    """Validate the shared arguments of `lie_algebra` and `predicted_variance`."""
    check_choice("method", method, LIE_METHODS)
    return check_int("max_dim", max_dim, minimum=1, maximum=MAX_DIM_LIMIT)


def lie_algebra(ansatz: Ansatz, *, basis: bool = False, max_dim: int = MAX_DIM,
                method: str = "auto") -> LieAlgebraResult:
    """Dynamical Lie algebra of `ansatz`: dimension, simple ideals and center.

    Parameters
    ----------
    ansatz : the circuit; every parametric gate contributes its generator, conjugated by the fixed
        gates before it (Heisenberg picture).
    basis : also return a basis of g (labels or coefficient rows; can be large).
    max_dim : stop and report "not computed" once more than this many basis elements are found
        (default 4^11 - 1, so su(2^11) fits; about 20 bytes per string, at most 2^27).
    method : ``"auto"`` (Pauli closure when every generator is one string, else the general
        closure), ``"pauli"`` or ``"general"`` (forced; the general route is limited to
        `GENERAL_MAX_QUBITS` = 5 qubits).

    Returns
    -------
    LieAlgebraResult
        ``dim``, ``components`` (simple ideals), ``center_dim``, ``is_universal``, ``method``,
        ``reason`` (empty when computed).

    Raises
    ------
    etr.errors.InputError
        `ansatz` is not an `Ansatz`, `max_dim` outside 1..2^27, unknown `method`.

    Notes
    -----
    The dimension controls the deep-circuit variance of the loss (Ragone et al. 2024), the
    gradient variance (Fontana et al. 2024) and the rank at which the quantum Fisher information
    saturates (Larocca et al. 2023).

    References
    ----------
    Ragone, M. et al. (2024). A Lie algebraic theory of barren plateaus for deep parameterized
    quantum circuits. Nat. Commun. 15, 7172. arXiv:2309.09342.
    Fontana, E. et al. (2024). Characterizing barren plateaus in quantum ansätze with the adjoint
    representation. Nat. Commun. 15, 7171. arXiv:2309.07902.
    Larocca, M. et al. (2023). Theory of overparametrization in quantum neural networks.
    Nat. Comput. Sci. 3, 542-551. arXiv:2109.11676.

    Examples
    --------
    >>> from etr.circuits import Ansatz, hardware_efficient
    >>> lie_algebra(hardware_efficient(3, 1, topology="none", rotations="RX+RY+RZ")).components
    (3, 3, 3)
    >>> ising = [("RX", q) for q in range(4)] + [g for q in range(3)
    ...          for g in (("CNOT", q, q + 1), ("RZ", q + 1), ("CNOT", q, q + 1))]
    >>> lie_algebra(Ansatz.from_gates(4, ising)).dim  # so(8): n (2n - 1)
    28
    >>> lie_algebra(hardware_efficient(4, 2, topology="linear")).is_universal
    True
    """
    if not isinstance(ansatz, Ansatz):
        raise InputError(f"`ansatz` must be an etr.circuits.Ansatz, got {type(ansatz).__name__}")
    cap = check_lie_args(max_dim, method)
    rec = compute(ansatz, cap, method)
    n = ansatz.n_qubits
    n_gen = sum(1 for g in ansatz.gates if g.slot is not None)
    if rec.algebra is None:
        return LieAlgebraResult(None, (), None, None, n, n_gen, rec.method, rec.reason)
    alg = rec.algebra
    if isinstance(alg, PauliAlgebra):
        center = int(alg.center.shape[0])
        out_basis = tuple(label_from_key(int(k), n) for k in alg.keys) if basis else None
    else:
        center = int(alg.center.shape[1])
        out_basis = alg.basis.T.copy() if basis else None
    comps = tuple(sorted(alg.ideal_dims(), reverse=True))
    return LieAlgebraResult(alg.dim, comps, center, alg.dim == 4**n - 1, n, n_gen,
                            rec.method, "", out_basis)
