"""Pauli strings as bit masks, their products, Pauli sums and theory observables.

A Pauli string on n qubits is stored as one integer ``key = (x << n) | z``: bit ``n - 1 - q`` of
``x`` (of ``z``) is set when qubit q carries X or Y (Z or Y), the same bit order as the state
vectors (qubit 0 is the most significant bit). The key denotes the *Hermitian* string
sigma(x, z) = i^|x & z| X^x Z^z (so Y = iXZ), and

    sigma(a) sigma(b) = i^e sigma(a XOR b),  e = |a_x a_z| + |b_x b_z| - |c_x c_z| + 2 |a_z b_x|

(mod 4, c = a XOR b, |.| the number of set bits). Two strings anticommute when the symplectic
form |a_x b_z| + |a_z b_x| is odd. A Pauli sum is a ``dict`` ``key -> complex coefficient``.

Observables of the theory stage are real combinations of Pauli strings: a label (``"ZIII"``),
``"global"`` (the projector onto |0...0>, expanded into its 2^n Z-type strings), a mapping
``{label: coefficient}`` or a sequence of ``(coefficient, label)`` pairs (`parse_pauli_sum`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Real

import numpy as np

from etr.errors import InputError
from etr.quantum.observables import Observable

__all__ = [
    "PauliSum",
    "anticommute",
    "key_from_label",
    "label_from_key",
    "matrix_of_key",
    "parse_pauli_sum",
    "pauli_product",
    "readout_observable",
    "sum_product",
]

PauliSum = dict[int, complex]

_LETTER_BITS = {"I": (0, 0), "X": (1, 0), "Y": (1, 1), "Z": (0, 1)}
_BITS_LETTER = {v: k for k, v in _LETTER_BITS.items()}


def _popcount(v: int) -> int:
    return int(v).bit_count()


def split(key: int, n: int) -> tuple[int, int]:
    """(x, z) masks of `key`."""
    return key >> n, key & ((1 << n) - 1)


def key_from_label(label: str) -> int:
    """Key of a Pauli label such as ``"XIZY"`` (leftmost letter = qubit 0).

    Examples
    --------
    >>> key_from_label("XZ") == (0b10 << 2) | 0b01
    True
    """
    n = len(label)
    x = z = 0
    for q, letter in enumerate(label):
        bx, bz = _LETTER_BITS[letter]
        x |= bx << (n - 1 - q)
        z |= bz << (n - 1 - q)
    return (x << n) | z


def label_from_key(key: int, n: int) -> str:
    """Label of `key` on `n` qubits (inverse of `key_from_label`)."""
    x, z = split(key, n)
    return "".join(_BITS_LETTER[((x >> (n - 1 - q)) & 1, (z >> (n - 1 - q)) & 1)]
                   for q in range(n))


def anticommute(a: int, b: int, n: int) -> bool:
    """True if the strings `a` and `b` anticommute."""
    ax, az = split(a, n)
    bx, bz = split(b, n)
    return bool(_popcount((ax & bz) ^ (az & bx)) & 1)


def pauli_product(a: int, b: int, n: int) -> tuple[int, int]:
    """(e, c) with sigma(a) sigma(b) = i^e sigma(c).

    Examples
    --------
    >>> x, y, z = (key_from_label(s) for s in "XYZ")
    >>> pauli_product(x, y, 1) == (1, z)  # XY = iZ
    True
    """
    ax, az = split(a, n)
    bx, bz = split(b, n)
    c = a ^ b
    cx, cz = split(c, n)
    e = _popcount(ax & az) + _popcount(bx & bz) - _popcount(cx & cz) + 2 * _popcount(az & bx)
    return e % 4, c


_I_POW = (1, 1j, -1, -1j)


def sum_product(a: PauliSum, b: PauliSum, n: int, *, tol: float = 1e-13) -> PauliSum:
    """Operator product of two Pauli sums (coefficients below `tol` dropped)."""
    out: dict[int, complex] = {}
    for ka, ca in a.items():
        for kb, cb in b.items():
            e, c = pauli_product(ka, kb, n)
            out[c] = out.get(c, 0.0) + ca * cb * _I_POW[e]
    return {k: v for k, v in out.items() if abs(v) > tol}


def matrix_of_key(key: int, n: int) -> np.ndarray:
    """Dense ``2**n x 2**n`` matrix of sigma(key) (tests and small circuits)."""
    x, z = split(key, n)
    idx = np.arange(2**n)
    sign = np.array([(-1) ** _popcount(int(b) & z) for b in idx], dtype=np.complex128)
    mat = np.zeros((2**n, 2**n), dtype=np.complex128)
    mat[idx ^ x, idx] = sign  # X^x Z^z |b> = (-1)^{|z & b|} |b ^ x>
    return mat * (1j ** _popcount(x & z))


def _check_label(label: object, n_qubits: int) -> str:
    text = label.upper() if isinstance(label, str) else None
    if text is None or len(text) != n_qubits or not set(text) <= set("IXYZ"):
        raise InputError(
            f"`observable` terms must be Pauli strings of {n_qubits} letters from "
            f"{{I, X, Y, Z}}, got {label!r}"
        )
    return text


def _check_coef(coef: object) -> float:
    if isinstance(coef, bool) or not isinstance(coef, Real | np.floating | np.integer) \
            or not np.isfinite(float(coef)):
        raise InputError(f"`observable` coefficients must be finite real numbers, got {coef!r}")
    return float(coef)


def _global(n_qubits: int) -> dict[int, float]:
    """|0..0><0..0| = prod_q (I + Z_q)/2: every Z-type string with weight 2^-n."""
    return {z: 2.0**-n_qubits for z in range(2**n_qubits)}


def parse_pauli_sum(observable: object, n_qubits: int) -> dict[int, float]:
    """A theory observable as ``{key: real coefficient}`` (identity key 0 included if present).

    Parameters
    ----------
    observable : a Pauli label (``"ZIII"``), ``"global"`` (the projector onto |0...0>), a
        mapping ``{label: coefficient}``, a sequence of ``(coefficient, label)`` pairs, or an
        `etr.quantum.Observable` of kind ``"pauli"`` or ``"global"``.
    n_qubits : number of qubits.

    Raises
    ------
    etr.errors.InputError
        Anything else, labels of the wrong length or letters, non-real coefficients, an empty
        sum.

    Examples
    --------
    >>> parse_pauli_sum([(0.5, "ZI"), (0.5, "IZ")], 2) == {0b10: 0.5, 0b01: 0.5}
    True
    """
    if isinstance(observable, Observable):
        if observable.n_qubits != n_qubits:
            raise InputError(
                f"`observable` acts on {observable.n_qubits} qubits, circuit has {n_qubits}"
            )
        if observable.kind not in ("pauli", "global"):
            raise InputError("`observable` must be a Pauli string, 'global' or a Pauli sum; "
                             "matrix observables are not supported by etr.theory")
        observable = observable.label
    if isinstance(observable, str):
        if observable == "global":
            return _global(n_qubits)
        return {key_from_label(_check_label(observable, n_qubits)): 1.0}
    if isinstance(observable, Mapping):
        pairs = [(c, lab) for lab, c in observable.items()]
    elif isinstance(observable, Sequence) and all(
            isinstance(p, Sequence) and not isinstance(p, str) and len(p) == 2
            for p in observable):
        pairs = list(observable)
    else:
        raise InputError(
            "`observable` must be a Pauli string such as 'Z' + 'I'*(n-1), 'global', a mapping "
            f"{{label: coefficient}} or a list of (coefficient, label) pairs, got "
            f"{type(observable).__name__}"
        )
    if not pairs:
        raise InputError("`observable` must have at least one term")
    out: dict[int, float] = {}
    for coef, label in pairs:
        key = key_from_label(_check_label(label, n_qubits))
        out[key] = out.get(key, 0.0) + _check_coef(coef)
    return out


def readout_observable(n_qubits: int) -> list[tuple[float, str]]:
    """The pure-PQC readout mean_q Z_q as ``(coefficient, label)`` pairs.

    Examples
    --------
    >>> readout_observable(2)
    [(0.5, 'ZI'), (0.5, 'IZ')]
    """
    if isinstance(n_qubits, bool) or not isinstance(n_qubits, int) or n_qubits < 1:
        raise InputError(f"`n_qubits` must be a positive integer, got {n_qubits!r}")
    return [(1.0 / n_qubits, "I" * q + "Z" + "I" * (n_qubits - 1 - q)) for q in range(n_qubits)]
