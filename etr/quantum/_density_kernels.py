"""numba kernels on a batch of density matrices, each stored as a flat row ``rho[b, i * d + j]``.

A density matrix of n qubits, flattened, is a vector over 2n bits: the row index's bits (qubit q
at stride ``sr = 2**(n-1-q) * d``) followed by the column index's bits (qubit q at stride
``sc = 2**(n-1-q)``), d = 2**n. A gate U on qubit q maps the four entries that differ only in
those two bits, the block X = [[r00, r01], [r10, r11]] (first index: row bit), to U X U^dagger;
a two-qubit gate maps the 16 entries of its qubits' row and column bits the same way with a 4x4
U. So each gate is one pass over the matrix, and the gate's noise channels are applied to the
block in the same pass (`etr.quantum.noise`: populations ``M @ (r00, r11)``, coherences times
``c``). The inner product of two flattened matrices is the Hilbert-Schmidt one,
<<A|B>> = sum conj(A_ij) B_ij = tr(A^dagger B), which is what the adjoint sweep reduces.

Why hand-written kernels: no library applies a batch of 2x2 / 4x4 conjugations and
phase-covariant channels to flattened density matrices in place; numpy's einsum /
tensordot versions (the approach of PennyLane's ``default.mixed``) copy the whole matrix once
per gate and channel.

``chan`` arguments are float64 arrays ``[m00, m01, m10, m11, c]`` (see
`etr.quantum.noise.NoiseModel.transfer`); the backward kernels take the dual map (``M.T``).
Matrices ``u`` are ``(B, 2, 2)`` / ``(B, 4, 4)`` complex or ``(1, ., .)`` for every row.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["back1", "back2", "gate1", "gate2", "pair_blocks", "quad_offsets"]

_JIT = {"cache": True, "nogil": True, "fastmath": True}


@nb.njit(inline="always")
def _insert_zero(k, s):  # pragma: no cover - compiled
    """k with a 0 bit inserted at the bit of stride s."""
    low = s - 1
    return ((k & ~low) << 1) | (k & low)


@nb.njit(inline="always")
def _chan(chan, y00, y01, y10, y11):  # pragma: no cover - compiled
    """The channel on one 2x2 block."""
    p0 = chan[0] * y00 + chan[1] * y11
    p1 = chan[2] * y00 + chan[3] * y11
    c = chan[4]
    return p0, c * y01, c * y10, p1


@nb.njit(**_JIT)
def gate1(rho, sr, sc, u, chan, noisy):  # pragma: no cover - compiled
    """rho <- N(U rho U^dagger) for a single-qubit gate U = u[b] (row stride sr, column stride
    sc) and, if `noisy`, its channel N."""
    n_b, size = rho.shape
    nu = u.shape[0]
    for b in range(n_b):
        ub = b if nu > 1 else 0
        u00, u01, u10, u11 = u[ub, 0, 0], u[ub, 0, 1], u[ub, 1, 0], u[ub, 1, 1]
        c00, c01, c10, c11 = np.conj(u00), np.conj(u01), np.conj(u10), np.conj(u11)
        row = rho[b]
        for k in range(size >> 2):
            i = _insert_zero(_insert_zero(k, sc), sr)
            x00 = row[i]
            x01 = row[i + sc]
            x10 = row[i + sr]
            x11 = row[i + sr + sc]
            t00 = u00 * x00 + u01 * x10
            t01 = u00 * x01 + u01 * x11
            t10 = u10 * x00 + u11 * x10
            t11 = u10 * x01 + u11 * x11
            y00 = t00 * c00 + t01 * c01
            y01 = t00 * c10 + t01 * c11
            y10 = t10 * c00 + t11 * c01
            y11 = t10 * c10 + t11 * c11
            if noisy:
                y00, y01, y10, y11 = _chan(chan, y00, y01, y10, y11)
            row[i] = y00
            row[i + sc] = y01
            row[i + sr] = y10
            row[i + sr + sc] = y11


@nb.njit(**_JIT)
def back1(lam, prev, sr, sc, udag, chan, noisy, want):  # pragma: no cover - compiled
    """One backward step of the adjoint sweep for a single-qubit gate.

    lam <- U^dagger N^dagger(lam) U (`chan` holds the dual channel, `udag` = U^dagger) and, if
    `want`, returns r[b, a, a'] = sum over the other bits of conj(lam_new[a, .]) prev[a', .]
    (row bit a of the qubit), with `prev` the state before the gate.
    """
    n_b, size = lam.shape
    nu = udag.shape[0]
    r = np.zeros((n_b, 2, 2), dtype=np.complex128)
    for b in range(n_b):
        ub = b if nu > 1 else 0
        u00, u01, u10, u11 = udag[ub, 0, 0], udag[ub, 0, 1], udag[ub, 1, 0], udag[ub, 1, 1]
        c00, c01, c10, c11 = np.conj(u00), np.conj(u01), np.conj(u10), np.conj(u11)
        row = lam[b]
        r00 = 0j
        r01 = 0j
        r10 = 0j
        r11 = 0j
        for k in range(size >> 2):
            i = _insert_zero(_insert_zero(k, sc), sr)
            x00 = row[i]
            x01 = row[i + sc]
            x10 = row[i + sr]
            x11 = row[i + sr + sc]
            if noisy:
                x00, x01, x10, x11 = _chan(chan, x00, x01, x10, x11)
            t00 = u00 * x00 + u01 * x10
            t01 = u00 * x01 + u01 * x11
            t10 = u10 * x00 + u11 * x10
            t11 = u10 * x01 + u11 * x11
            y00 = t00 * c00 + t01 * c01
            y01 = t00 * c10 + t01 * c11
            y10 = t10 * c00 + t11 * c01
            y11 = t10 * c10 + t11 * c11
            row[i] = y00
            row[i + sc] = y01
            row[i + sr] = y10
            row[i + sr + sc] = y11
            if want:
                p = prev[b]
                p00 = p[i]
                p01 = p[i + sc]
                p10 = p[i + sr]
                p11 = p[i + sr + sc]
                z00 = np.conj(y00)
                z01 = np.conj(y01)
                z10 = np.conj(y10)
                z11 = np.conj(y11)
                r00 += z00 * p00 + z01 * p01
                r01 += z00 * p10 + z01 * p11
                r10 += z10 * p00 + z11 * p01
                r11 += z10 * p10 + z11 * p11
        r[b, 0, 0] = r00
        r[b, 0, 1] = r01
        r[b, 1, 0] = r10
        r[b, 1, 1] = r11
    return r


def quad_offsets(r1: int, r2: int, c1: int, c2: int) -> np.ndarray:
    """Offsets of the 16 entries of a two-qubit block, index ``4 * a + e`` with row bits
    a = (a1, a2) and column bits e = (e1, e2) of qubits 1 and 2 (strides r1, r2 / c1, c2)."""
    out = np.empty(16, dtype=np.int64)
    for a in range(4):
        for e in range(4):
            out[4 * a + e] = ((a >> 1) * r1 + (a & 1) * r2 + (e >> 1) * c1 + (e & 1) * c2)
    return out


def pair_blocks() -> np.ndarray:
    """For each qubit of a two-qubit block (0, 1) and each of the four values of the other
    qubit's (row, column) bits: the block indices of (r00, r01, r10, r11) of this qubit.
    Shape (2, 4, 4)."""
    out = np.empty((2, 4, 4), dtype=np.int64)
    for which in range(2):
        for other in range(4):
            oa, oe = other >> 1, other & 1
            for k, (a, e) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
                if which == 0:
                    ra, ce = 2 * a + oa, 2 * e + oe
                else:
                    ra, ce = 2 * oa + a, 2 * oe + e
                out[which, other, k] = 4 * ra + ce
    return out


_PAIRS = pair_blocks()


@nb.njit(inline="always")
def _block_base(k, s0, s1, s2, s3):  # pragma: no cover - compiled
    """k with zero bits inserted at the four strides, given in increasing order."""
    return _insert_zero(_insert_zero(_insert_zero(_insert_zero(k, s0), s1), s2), s3)


@nb.njit(inline="always")
def _conjugate4(u, ub, x, t, y):  # pragma: no cover - compiled
    """y = U x U^dagger for 4x4 blocks stored row-major in x, t (scratch), y."""
    for a in range(4):
        for e in range(4):
            acc = 0j
            for f in range(4):
                acc += u[ub, a, f] * x[4 * f + e]
            t[4 * a + e] = acc
    for a in range(4):
        for e in range(4):
            acc = 0j
            for f in range(4):
                acc += t[4 * a + f] * np.conj(u[ub, e, f])
            y[4 * a + e] = acc


@nb.njit(inline="always")
def _chan4(chan, y, pairs):  # pragma: no cover - compiled
    """The channel on both qubits of a 4x4 block (they commute)."""
    for which in range(2):
        for other in range(4):
            i00 = pairs[which, other, 0]
            i01 = pairs[which, other, 1]
            i10 = pairs[which, other, 2]
            i11 = pairs[which, other, 3]
            y[i00], y[i01], y[i10], y[i11] = _chan(chan, y[i00], y[i01], y[i10], y[i11])


@nb.njit(**_JIT)
def gate2(rho, order, off, u, chan, noisy, pairs):  # pragma: no cover - compiled
    """rho <- N (x) N (U rho U^dagger) for a two-qubit gate U = u[b] (4x4, qubit 1 the most
    significant); `order` the four strides of the block's bits ascending, `off` from
    `quad_offsets`, `pairs` from `pair_blocks`."""
    n_b, size = rho.shape
    nu = u.shape[0]
    x = np.empty(16, dtype=np.complex128)
    t = np.empty(16, dtype=np.complex128)
    y = np.empty(16, dtype=np.complex128)
    s0, s1, s2, s3 = order[0], order[1], order[2], order[3]
    for b in range(n_b):
        ub = b if nu > 1 else 0
        row = rho[b]
        for k in range(size >> 4):
            i = _block_base(k, s0, s1, s2, s3)
            for m in range(16):
                x[m] = row[i + off[m]]
            _conjugate4(u, ub, x, t, y)
            if noisy:
                _chan4(chan, y, pairs)
            for m in range(16):
                row[i + off[m]] = y[m]


@nb.njit(**_JIT)
def back2(lam, prev, order, off, udag, chan, noisy, pairs, want):  # pragma: no cover - compiled
    """`back1` for a two-qubit gate: lam <- U^dagger (N^dagger (x) N^dagger)(lam) U and, if
    `want`, r[b, a, a'] (4x4, row bits of the two qubits) = sum conj(lam_new[a, .]) prev[a', .]."""
    n_b, size = lam.shape
    nu = udag.shape[0]
    r = np.zeros((n_b, 4, 4), dtype=np.complex128)
    x = np.empty(16, dtype=np.complex128)
    t = np.empty(16, dtype=np.complex128)
    y = np.empty(16, dtype=np.complex128)
    p = np.empty(16, dtype=np.complex128)
    s0, s1, s2, s3 = order[0], order[1], order[2], order[3]
    for b in range(n_b):
        ub = b if nu > 1 else 0
        row = lam[b]
        prow = prev[b]
        for k in range(size >> 4):
            i = _block_base(k, s0, s1, s2, s3)
            for m in range(16):
                x[m] = row[i + off[m]]
            if noisy:
                _chan4(chan, x, pairs)
            _conjugate4(udag, ub, x, t, y)
            for m in range(16):
                row[i + off[m]] = y[m]
            if want:
                for m in range(16):
                    p[m] = prow[i + off[m]]
                for a in range(4):
                    for a2 in range(4):
                        acc = 0j
                        for e in range(4):
                            acc += np.conj(y[4 * a + e]) * p[4 * a2 + e]
                        r[b, a, a2] += acc
    return r
