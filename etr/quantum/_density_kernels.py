"""numba kernels on a batch of density matrices, each stored as a flat row ``rho[b, i * d + j]``.

A density matrix of n qubits, flattened, is a vector over 2n bits: the row index's bits (qubit q
at stride ``sr = 2**(n-1-q) * d``) followed by the column index's bits (qubit q at stride
``sc = 2**(n-1-q)``), d = 2**n. A gate U on qubit q maps the four entries that differ only in
those two bits, the block X = [[r00, r01], [r10, r11]] (first index: row bit), to U X U^dagger;
a controlled gate maps the 16 entries of its qubits' row and column bits (SWAP is three CNOTs).
So each gate is one pass over the matrix, and the gate's noise channels are applied to the
block in the same pass (`etr.plan.noise`: populations ``M @ (r00, r11)``, coherences times
``c``). The inner product of two flattened matrices is the Hilbert-Schmidt one,
<<A|B>> = sum conj(A_ij) B_ij = tr(A^dagger B), which is what the adjoint sweep reduces.

Why hand-written kernels: no library applies a batch of 2x2 / 4x4 conjugations and
phase-covariant channels to flattened density matrices in place; numpy's einsum /
tensordot versions (the approach of PennyLane's ``default.mixed``) copy the whole matrix once
per gate and channel.

``chan`` arguments are float64 arrays ``[m00, m01, m10, m11, c]`` (see
`etr.plan.noise.NoiseModel.transfer`); the backward kernels take the dual map (``M.T``).
Matrices ``u`` are ``(B, 2, 2)`` / ``(B, 4, 4)`` complex or ``(1, ., .)`` for every row.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["DIAGONAL", "GENERAL", "REAL", "back1", "cback", "cgate", "gate1"]

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


#: structure codes of a 2x2 matrix (gate, or a controlled gate's target matrix): general
#: complex, real (RY, H, X: a quarter of the multiplications), diagonal (RZ, Z, S, T, CZ, CRZ:
#: only the coherences change).
GENERAL, REAL, DIAGONAL = 0, 1, 2


@nb.njit(inline="always")
def _conj2(a00, a01, a10, a11, x00, x01, x10, x11):  # pragma: no cover - compiled
    """A X A^dagger for 2x2 blocks (the a's real or complex: numba specialises)."""
    t00 = a00 * x00 + a01 * x10
    t01 = a00 * x01 + a01 * x11
    t10 = a10 * x00 + a11 * x10
    t11 = a10 * x01 + a11 * x11
    c00, c01, c10, c11 = np.conj(a00), np.conj(a01), np.conj(a10), np.conj(a11)
    return (t00 * c00 + t01 * c01, t00 * c10 + t01 * c11,
            t10 * c00 + t11 * c01, t10 * c10 + t11 * c11)


@nb.njit(inline="always")
def _left2(a00, a01, a10, a11, x00, x01, x10, x11):  # pragma: no cover - compiled
    """A X."""
    return (a00 * x00 + a01 * x10, a00 * x01 + a01 * x11,
            a10 * x00 + a11 * x10, a10 * x01 + a11 * x11)


@nb.njit(inline="always")
def _right2(a00, a01, a10, a11, x00, x01, x10, x11):  # pragma: no cover - compiled
    """X A^dagger."""
    c00, c01, c10, c11 = np.conj(a00), np.conj(a01), np.conj(a10), np.conj(a11)
    return (x00 * c00 + x01 * c01, x00 * c10 + x01 * c11,
            x10 * c00 + x11 * c01, x10 * c10 + x11 * c11)


@nb.njit(inline="always")
def _reduce(r00, r01, r10, r11, y00, y01, y10, y11, p00, p01, p10, p11):
    # pragma: no cover - compiled
    """r + (conj(y) p^T) for 2x2 blocks: r[a, a'] += sum_e conj(y[a, e]) p[a', e] (column bit
    e): the adjoint sweep's reduction of lambda against the stored state."""
    z00 = np.conj(y00)
    z01 = np.conj(y01)
    z10 = np.conj(y10)
    z11 = np.conj(y11)
    return (r00 + z00 * p00 + z01 * p01, r01 + z00 * p10 + z01 * p11,
            r10 + z10 * p00 + z11 * p01, r11 + z10 * p10 + z11 * p11)


@nb.njit(inline="always")
def _sub_load(row, j, rt, ct):  # pragma: no cover - compiled
    """The 2x2 block at j of row stride rt and column stride ct."""
    return row[j], row[j + ct], row[j + rt], row[j + rt + ct]


@nb.njit(inline="always")
def _sub_store(row, j, rt, ct, y):  # pragma: no cover - compiled
    row[j] = y[0]
    row[j + ct] = y[1]
    row[j + rt] = y[2]
    row[j + rt + ct] = y[3]


@nb.njit(inline="always")
def _pass1(row, src, size, sr, sc, a00, a01, a10, a11, diag, chan, noisy):
    # pragma: no cover - compiled
    """The pass of `gate1` over one matrix: A X A^dagger on every 2x2 block (for a diagonal
    A only the coherences change, by f = a00 conj(a11) and conj(f)), then the channel."""
    f = a00 * np.conj(a11)
    g = np.conj(f)
    for k in range(size >> 2):
        i = _insert_zero(_insert_zero(k, sc), sr)
        x00, x01, x10, x11 = _sub_load(src, i, sr, sc)
        if diag:
            y00, y01, y10, y11 = x00, x01 * f, x10 * g, x11
        else:
            y00, y01, y10, y11 = _conj2(a00, a01, a10, a11, x00, x01, x10, x11)
        if noisy:
            y00, y01, y10, y11 = _chan(chan, y00, y01, y10, y11)
        _sub_store(row, i, sr, sc, (y00, y01, y10, y11))


@nb.njit(**_JIT)
def gate1(out, rho, sr, sc, u, kind, chan, noisy):  # pragma: no cover - compiled
    """out <- N(U rho U^dagger) for a single-qubit gate U = u[b] (row stride sr, column stride
    sc) of structure `kind` and, if `noisy`, its channel N; `out` may be `rho` (in place)."""
    n_b, size = rho.shape
    nu = u.shape[0]
    for b in range(n_b):
        ub = b if nu > 1 else 0
        row = out[b]
        src = rho[b]
        if kind == DIAGONAL:
            _pass1(row, src, size, sr, sc, u[ub, 0, 0], 0j, 0j, u[ub, 1, 1], True, chan, noisy)
        elif kind == REAL:
            _pass1(row, src, size, sr, sc, u[ub, 0, 0].real, u[ub, 0, 1].real, u[ub, 1, 0].real,
                   u[ub, 1, 1].real, False, chan, noisy)
        else:
            _pass1(row, src, size, sr, sc, u[ub, 0, 0], u[ub, 0, 1], u[ub, 1, 0], u[ub, 1, 1],
                   False, chan, noisy)


@nb.njit(inline="always")
def _back_pass1(row, prow, size, sr, sc, a00, a01, a10, a11, diag, chan, noisy, want, r):
    # pragma: no cover - compiled
    f = a00 * np.conj(a11)  # the coherence factor when diagonal
    g = np.conj(f)
    r00 = 0j
    r01 = 0j
    r10 = 0j
    r11 = 0j
    for k in range(size >> 2):
        i = _insert_zero(_insert_zero(k, sc), sr)
        x00, x01, x10, x11 = _sub_load(row, i, sr, sc)
        if noisy:
            x00, x01, x10, x11 = _chan(chan, x00, x01, x10, x11)
        if diag:
            y00, y01, y10, y11 = x00, x01 * f, x10 * g, x11
        else:
            y00, y01, y10, y11 = _conj2(a00, a01, a10, a11, x00, x01, x10, x11)
        _sub_store(row, i, sr, sc, (y00, y01, y10, y11))
        if want:
            p00, p01, p10, p11 = _sub_load(prow, i, sr, sc)
            r00, r01, r10, r11 = _reduce(r00, r01, r10, r11, y00, y01, y10, y11, p00, p01, p10,
                                         p11)
    r[0, 0] = r00
    r[0, 1] = r01
    r[1, 0] = r10
    r[1, 1] = r11


@nb.njit(**_JIT)
def back1(lam, prev, sr, sc, udag, kind, chan, noisy, want):  # pragma: no cover - compiled
    """One backward step of the adjoint sweep for a single-qubit gate.

    lam <- U^dagger N^dagger(lam) U (`chan` holds the dual channel, `udag` = U^dagger, of
    structure `kind`) and, if `want`, returns r[b, a, a'] = sum over the other bits of
    conj(lam_new[a, .]) prev[a', .] (row bit a of the qubit), with `prev` the state before the
    gate.
    """
    n_b, size = lam.shape
    nu = udag.shape[0]
    r = np.zeros((n_b, 2, 2), dtype=np.complex128)
    for b in range(n_b):
        ub = b if nu > 1 else 0
        if kind == REAL:
            _back_pass1(lam[b], prev[b], size, sr, sc, udag[ub, 0, 0].real, udag[ub, 0, 1].real,
                        udag[ub, 1, 0].real, udag[ub, 1, 1].real, False, chan, noisy, want, r[b])
        else:
            _back_pass1(lam[b], prev[b], size, sr, sc, udag[ub, 0, 0], udag[ub, 0, 1],
                        udag[ub, 1, 0], udag[ub, 1, 1], kind == DIAGONAL, chan, noisy, want,
                        r[b])
    return r


@nb.njit(inline="always")
def _block_base(k, s0, s1, s2, s3):  # pragma: no cover - compiled
    """k with zero bits inserted at the four strides, given in increasing order."""
    return _insert_zero(_insert_zero(_insert_zero(_insert_zero(k, s0), s1), s2), s3)


# ---------------------------------------------------------------------- controlled gates
# A controlled gate C = |0><0| (x) I + |1><1| (x) R (CZ, CNOT, CRX, CRY, CRZ) changes only the
# three 2x2 target sub-blocks of a 16-entry block whose control row or column bit is 1:
# (1, 0) -> R X, (0, 1) -> X R^dagger, (1, 1) -> R X R^dagger; 32 multiplications instead of the
# 128 of a general 4x4 conjugation (and a sign or a phase per entry for a diagonal R).


@nb.njit(inline="always")
def _controlled(row, src, i, rc, cc, rt, ct, a00, a01, a10, a11):  # pragma: no cover
    """The controlled gate on the block at i, read from `src` and written to `row` (the
    control-0 sub-block is copied when they differ)."""
    x00, x01, x10, x11 = _sub_load(src, i, rt, ct)
    _sub_store(row, i, rt, ct, (x00, x01, x10, x11))
    x00, x01, x10, x11 = _sub_load(src, i + rc, rt, ct)
    _sub_store(row, i + rc, rt, ct, _left2(a00, a01, a10, a11, x00, x01, x10, x11))
    x00, x01, x10, x11 = _sub_load(src, i + cc, rt, ct)
    _sub_store(row, i + cc, rt, ct, _right2(a00, a01, a10, a11, x00, x01, x10, x11))
    x00, x01, x10, x11 = _sub_load(src, i + rc + cc, rt, ct)
    _sub_store(row, i + rc + cc, rt, ct, _conj2(a00, a01, a10, a11, x00, x01, x10, x11))


@nb.njit(inline="always")
def _controlled_diag(row, src, i, rc, cc, rt, ct, d0, d1):  # pragma: no cover - compiled
    """R = diag(d0, d1)."""
    e0 = np.conj(d0)
    e1 = np.conj(d1)
    x00, x01, x10, x11 = _sub_load(src, i, rt, ct)
    _sub_store(row, i, rt, ct, (x00, x01, x10, x11))
    x00, x01, x10, x11 = _sub_load(src, i + rc, rt, ct)
    _sub_store(row, i + rc, rt, ct, (x00 * d0, x01 * d0, x10 * d1, x11 * d1))
    x00, x01, x10, x11 = _sub_load(src, i + cc, rt, ct)
    _sub_store(row, i + cc, rt, ct, (x00 * e0, x01 * e1, x10 * e0, x11 * e1))
    x00, x01, x10, x11 = _sub_load(src, i + rc + cc, rt, ct)
    _sub_store(row, i + rc + cc, rt, ct, (x00, x01 * (d0 * e1), x10 * (d1 * e0), x11))


@nb.njit(inline="always")
def _chan_pair(row, i, rc, cc, rt, ct, chan):  # pragma: no cover - compiled
    """The channel on both qubits of the block at i (control strides rc/cc, target rt/ct)."""
    for at in range(2):
        for et in range(2):
            j = i + at * rt + et * ct
            x00, x01, x10, x11 = _sub_load(row, j, rc, cc)
            _sub_store(row, j, rc, cc, _chan(chan, x00, x01, x10, x11))
    for ac in range(2):
        for ec in range(2):
            j = i + ac * rc + ec * cc
            x00, x01, x10, x11 = _sub_load(row, j, rt, ct)
            _sub_store(row, j, rt, ct, _chan(chan, x00, x01, x10, x11))


@nb.njit(**_JIT)
def cgate(out, rho, rc, cc, rt, ct, order, u, kind, chan, noisy):  # pragma: no cover
    """out <- (N (x) N)(C rho C^dagger) for a controlled gate with target matrix R = u[b] of
    structure `kind`; control strides rc (row) / cc (column), target rt / ct; `order` the four
    strides ascending; `out` may be `rho`."""
    n_b, size = rho.shape
    nu = u.shape[0]
    s0, s1, s2, s3 = order[0], order[1], order[2], order[3]
    for b in range(n_b):
        ub = b if nu > 1 else 0
        row = out[b]
        src = rho[b]
        for k in range(size >> 4):
            i = _block_base(k, s0, s1, s2, s3)
            if kind == DIAGONAL:
                _controlled_diag(row, src, i, rc, cc, rt, ct, u[ub, 0, 0], u[ub, 1, 1])
            elif kind == REAL:
                _controlled(row, src, i, rc, cc, rt, ct, u[ub, 0, 0].real, u[ub, 0, 1].real,
                            u[ub, 1, 0].real, u[ub, 1, 1].real)
            else:
                _controlled(row, src, i, rc, cc, rt, ct, u[ub, 0, 0], u[ub, 0, 1], u[ub, 1, 0],
                            u[ub, 1, 1])
            if noisy:
                _chan_pair(row, i, rc, cc, rt, ct, chan)


@nb.njit(**_JIT)
def cback(lam, prev, rc, cc, rt, ct, order, udag, kind, chan, noisy, want):
    # pragma: no cover - compiled
    """`back1` for a controlled gate: lam <- C^dagger (N^dagger (x) N^dagger)(lam) C (`udag` =
    R^dagger) and, if `want`, r[b, t, t'] = sum conj(lam_new[(1, t), .]) prev[(1, t'), .] over
    the other bits (control row bit 1, target row bits t, t'): what the derivative of a
    controlled rotation needs (its generator is |1><1| (x) P)."""
    n_b, size = lam.shape
    nu = udag.shape[0]
    r = np.zeros((n_b, 2, 2), dtype=np.complex128)
    s0, s1, s2, s3 = order[0], order[1], order[2], order[3]
    for b in range(n_b):
        ub = b if nu > 1 else 0
        row = lam[b]
        prow = prev[b]
        r00 = 0j
        r01 = 0j
        r10 = 0j
        r11 = 0j
        for k in range(size >> 4):
            i = _block_base(k, s0, s1, s2, s3)
            if noisy:
                _chan_pair(row, i, rc, cc, rt, ct, chan)
            if kind == DIAGONAL:
                _controlled_diag(row, row, i, rc, cc, rt, ct, udag[ub, 0, 0], udag[ub, 1, 1])
            elif kind == REAL:
                _controlled(row, row, i, rc, cc, rt, ct, udag[ub, 0, 0].real,
                            udag[ub, 0, 1].real, udag[ub, 1, 0].real, udag[ub, 1, 1].real)
            else:
                _controlled(row, row, i, rc, cc, rt, ct, udag[ub, 0, 0], udag[ub, 0, 1],
                            udag[ub, 1, 0], udag[ub, 1, 1])
            if want:
                for ec in range(2):
                    j = i + rc + ec * cc
                    y00, y01, y10, y11 = _sub_load(row, j, rt, ct)
                    p00, p01, p10, p11 = _sub_load(prow, j, rt, ct)
                    r00, r01, r10, r11 = _reduce(r00, r01, r10, r11, y00, y01, y10, y11,
                                                 p00, p01, p10, p11)
        r[b, 0, 0] = r00
        r[b, 0, 1] = r01
        r[b, 1, 0] = r10
        r[b, 1, 1] = r11
    return r
