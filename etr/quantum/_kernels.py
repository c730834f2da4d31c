"""numba kernels acting in place on a batch of state vectors ``state[b, x]`` (real or complex).

A qubit is addressed by its stride ``s = 2**(n-1-q)`` (qubit 0 is the most significant bit). Every
kernel loops over the batch and then over the amplitude pairs it couples; the arrays stay in cache
because callers process chunks of a few MB. The hot kernels (`u1_apply`, `u1_reduce`) walk
contiguous runs ``[base, base + s)`` and their partners for strides ``s >= BLOCK`` and adjacent
pairs with a plain ``2k`` index for ``s = 1``: LLVM vectorises those loops, not the bit-inserting
index loop kept for the other small strides. Complex circuits run on split real and imaginary
parts instead (`etr.quantum._kernels_split`).

Floating point: every kernel computes exactly what its source says in IEEE double arithmetic
(no fast-math), except the leaf kernels compiled with `LEAF_JIT`. Why: numba may hold several
machine-code copies of one kernel in a process (one compiled into each kernel that calls it, one
per argument layout, one loaded from the on-disk cache), and which copy runs can depend on what
the process ran first (a cached caller links to a copy of its callee loaded earlier; a
C-contiguous argument reuses an earlier 'A'-layout specialisation). Under fast-math the copies
may contract multiply-adds or reorder sums differently, so a result depended on the process's
history: `KS.u1_reduce` (which then called `KS.u1_apply` from inside) gave other bits in a process
that had called `KS.u1_apply` before than in one that had not, and a training cell computed after
the circuit metrics of another circuit differed in its last bits from the same cell computed
first. In strict arithmetic every copy gives the same bits. Where fast-math pays (the reductions
vectorise into SIMD lanes, 2-3.5x faster at strides >= `BLOCK`; the per-row 2x2 products of
`build_u1` and `u1_factor_grads` fuse sin and cos and contract the complex products, about 25%
faster) the kernel is a leaf (it calls no other kernel and is called only from Python) with one
pinned signature, so a process holds exactly one copy of it.
`tests/quantum/test_kernel_determinism.py` checks both rules across processes.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = [
    "BLOCK",
    "LEAF_JIT",
    "build_u1",
    "cnot_apply",
    "cphase1_apply",
    "cu1_apply",
    "cu1_reduce",
    "diag_apply",
    "phase1_apply",
    "swap_apply",
    "u1_apply",
    "u1_reduce",
]

#: strict IEEE arithmetic (see the module notes).
_JIT = {"cache": True, "nogil": True}
#: fast-math, only for leaf kernels with an explicit (pinned) signature.
LEAF_JIT = {"cache": True, "nogil": True, "fastmath": True}


#: strides from which kernels walk contiguous runs of amplitudes (``row[base:base + s]`` and its
#: partner run), which LLVM vectorises; below it they loop over pair indices.
BLOCK = 8


@nb.njit(**_JIT)
def u1_apply(state, s, u):  # pragma: no cover - compiled
    """state <- (u[b] on the qubit with stride s) state, u of shape (B, 2, 2)."""
    n_b, dim = state.shape
    low = s - 1
    for b in range(n_b):
        u00, u01, u10, u11 = u[b, 0, 0], u[b, 0, 1], u[b, 1, 0], u[b, 1, 1]
        if s >= BLOCK:
            for base in range(0, dim, 2 * s):
                r0 = state[b, base:base + s]
                r1 = state[b, base + s:base + 2 * s]
                for i in range(s):
                    a0 = r0[i]
                    a1 = r1[i]
                    r0[i] = u00 * a0 + u01 * a1
                    r1[i] = u10 * a0 + u11 * a1
            continue
        row = state[b]
        for k in range(dim >> 1):
            # k with a 0 inserted at the qubit's bit (a plain 2k for adjacent pairs vectorises)
            i = 2 * k if s == 1 else ((k & ~low) << 1) | (k & low)
            a0 = row[i]
            a1 = row[i + s]
            row[i] = u00 * a0 + u01 * a1
            row[i + s] = u10 * a0 + u11 * a1


@nb.njit(**_JIT)
def cu1_apply(state, c, s, u):  # pragma: no cover - compiled
    """Controlled u1: u[b] on the target (stride s) where the control bit (stride c) is 1."""
    n_b, dim = state.shape
    for b in range(n_b):
        u00, u01, u10, u11 = u[b, 0, 0], u[b, 0, 1], u[b, 1, 0], u[b, 1, 1]
        row = state[b]
        for base in range(0, dim, 2 * s):
            for i in range(base, base + s):
                if i & c:
                    a0 = row[i]
                    a1 = row[i + s]
                    row[i] = u00 * a0 + u01 * a1
                    row[i + s] = u10 * a0 + u11 * a1


@nb.njit(**_JIT)
def phase1_apply(state, s, e):  # pragma: no cover - compiled
    """diag(e[b], conj(e[b])) on the qubit with stride s (RZ)."""
    cphase1_apply(state, 0, s, e)


@nb.njit(**_JIT)
def cphase1_apply(state, c, s, e):  # pragma: no cover - compiled
    """Controlled diag(e[b], conj(e[b])) (CRZ); c = 0 for none (`phase1_apply`)."""
    n_b, dim = state.shape
    for b in range(n_b):
        e0 = e[b]
        e1 = np.conj(e0)
        row = state[b]
        for i in range(dim):
            if c == 0 or i & c:
                row[i] *= e1 if i & s else e0


@nb.njit(**_JIT)
def diag_apply(state, d):  # pragma: no cover - compiled
    """state[b, x] *= d[x]."""
    n_b, dim = state.shape
    for b in range(n_b):
        row = state[b]
        for i in range(dim):
            row[i] *= d[i]


@nb.njit(**_JIT)
def cnot_apply(state, c, s):  # pragma: no cover - compiled
    """CNOT with control stride c and target stride s."""
    n_b, dim = state.shape
    for b in range(n_b):
        row = state[b]
        for base in range(0, dim, 2 * s):
            for i in range(base, base + s):
                if i & c:
                    tmp = row[i]
                    row[i] = row[i + s]
                    row[i + s] = tmp


@nb.njit(**_JIT)
def swap_apply(state, s1, s2):  # pragma: no cover - compiled
    """SWAP of the qubits with strides s1 and s2."""
    n_b, dim = state.shape
    for b in range(n_b):
        row = state[b]
        for i in range(dim):
            if (i & s1) and not (i & s2):
                j = i - s1 + s2
                tmp = row[i]
                row[i] = row[j]
                row[j] = tmp


@nb.njit(inline="always")
def _pair_step(l0, l1, p0, p1, r00, r01, r10, r11):  # pragma: no cover - compiled
    """The sums of `u1_reduce` plus one amplitude pair of lam (l0, l1) and phi (p0, p1)."""
    return r00 + l0 * p0, r01 + l0 * p1, r10 + l1 * p0, r11 + l1 * p1


@nb.njit(inline="always")
def _mix(u00, u01, u10, u11, a0, a1):  # pragma: no cover - compiled
    """(u a)_0, (u a)_1 of a 2 x 2 matrix u and an amplitude pair a."""
    return u00 * a0 + u01 * a1, u10 * a0 + u11 * a1


@nb.njit(nb.complex128[:, :, ::1](nb.float64[:, ::1], nb.float64[:, ::1], nb.int64,
                                  nb.float64[:, :, ::1], nb.boolean), **LEAF_JIT)
def u1_reduce(lam, phi, s, udag, unapply):  # pragma: no cover - compiled
    """r[b, a, c] = sum over the other qubits of lam[.., a, ..] * phi[.., c, ..] (real states).

    With `unapply`, then also lam <- udag[b] lam and phi <- udag[b] phi on that qubit, in the same
    pass over the amplitudes (the adjoint method's backward step). Complex states use
    `etr.quantum._kernels_split.u1_reduce`.
    """
    n_b, dim = phi.shape
    r = np.zeros((n_b, 2, 2), dtype=np.complex128)
    low = s - 1
    for b in range(n_b):
        r00 = 0.0
        r01 = 0.0
        r10 = 0.0
        r11 = 0.0
        u00, u01, u10, u11 = udag[b, 0, 0], udag[b, 0, 1], udag[b, 1, 0], udag[b, 1, 1]
        if s >= BLOCK:
            for base in range(0, dim, 2 * s):
                l0s = lam[b, base:base + s]
                l1s = lam[b, base + s:base + 2 * s]
                p0s = phi[b, base:base + s]
                p1s = phi[b, base + s:base + 2 * s]
                for i in range(s):
                    l0, l1, p0, p1 = l0s[i], l1s[i], p0s[i], p1s[i]
                    r00, r01, r10, r11 = _pair_step(l0, l1, p0, p1, r00, r01, r10, r11)
                    if unapply:
                        l0s[i], l1s[i] = _mix(u00, u01, u10, u11, l0, l1)
                        p0s[i], p1s[i] = _mix(u00, u01, u10, u11, p0, p1)
        else:
            l_row = lam[b]
            p_row = phi[b]
            for k in range(dim >> 1):
                i = 2 * k if s == 1 else ((k & ~low) << 1) | (k & low)
                j = i + s
                l0, l1, p0, p1 = l_row[i], l_row[j], p_row[i], p_row[j]
                r00, r01, r10, r11 = _pair_step(l0, l1, p0, p1, r00, r01, r10, r11)
                if unapply:
                    l_row[i], l_row[j] = _mix(u00, u01, u10, u11, l0, l1)
                    p_row[i], p_row[j] = _mix(u00, u01, u10, u11, p0, p1)
        r[b, 0, 0], r[b, 0, 1], r[b, 1, 0], r[b, 1, 1] = r00, r01, r10, r11
    return r


@nb.njit(**_JIT)
def cu1_reduce(lam, phi, c, s):  # pragma: no cover - compiled
    """As `u1_reduce` for the target (stride s), summing only where the control (stride c) is 1."""
    n_b, dim = phi.shape
    r = np.zeros((n_b, 2, 2), dtype=np.complex128)
    for b in range(n_b):
        l_row = lam[b]
        p_row = phi[b]
        r00 = 0j
        r01 = 0j
        r10 = 0j
        r11 = 0j
        for base in range(0, dim, 2 * s):
            for i in range(base, base + s):
                if i & c:
                    r00, r01, r10, r11 = _pair_step(l_row[i], l_row[i + s], p_row[i],
                                                    p_row[i + s], r00, r01, r10, r11)
        r[b, 0, 0], r[b, 0, 1], r[b, 1, 0], r[b, 1, 1] = r00, r01, r10, r11
    return r


@nb.njit(inline="always", cache=True)
def _factor(code, t, const):  # pragma: no cover - compiled
    """Entries of factor ``const`` (code 0) or of exp(-i t P / 2), P = X, Y, Z (codes 1-3)."""
    if code == 0:
        return const[0, 0], const[0, 1], const[1, 0], const[1, 1]
    c = np.cos(0.5 * t)
    s = np.sin(0.5 * t)
    if code == 1:
        return c + 0j, -1j * s, -1j * s, c + 0j
    if code == 2:
        return c + 0j, -s + 0j, s + 0j, c + 0j
    return c - 1j * s, 0j, 0j, c + 1j * s


_I1 = nb.int64[::1]
_C3 = nb.complex128[:, :, ::1]
_F2 = nb.float64[:, ::1]


@nb.njit(_C3(_F2, _I1, _I1, _C3), **LEAF_JIT)
def build_u1(theta, codes, slots, consts):  # pragma: no cover - compiled
    """Batched product of 2x2 factors, shape (B, 2, 2).

    Factor f is ``consts[f]`` when ``codes[f] == 0``, else the rotation exp(-i t P / 2) with
    P = X, Y, Z for codes 1, 2, 3 and t = theta[b, slots[f]].
    """
    n_b = theta.shape[0]
    out = np.empty((n_b, 2, 2), dtype=np.complex128)
    for b in range(n_b):
        m00, m01, m10, m11 = 1.0 + 0j, 0j, 0j, 1.0 + 0j
        for f in range(codes.shape[0]):
            t = theta[b, slots[f]] if codes[f] != 0 else 0.0  # no parameter read for constants
            g00, g01, g10, g11 = _factor(codes[f], t, consts[f])
            m00, m01, m10, m11 = (g00 * m00 + g01 * m10, g00 * m01 + g01 * m11,
                                  g10 * m00 + g11 * m10, g10 * m01 + g11 * m11)
        out[b, 0, 0], out[b, 0, 1], out[b, 1, 0], out[b, 1, 1] = m00, m01, m10, m11
    return out


@nb.njit(**_JIT)
def product_state(cols, out):  # pragma: no cover - compiled
    """out[b] = cols[0, b] (x) cols[1, b] (x) ... (qubit 0 the most significant factor)."""
    n_q, n_b = cols.shape[0], cols.shape[1]
    for b in range(n_b):
        row = out[b]
        row[0] = 1.0
        size = 1
        for q in range(n_q):
            c0 = cols[q, b, 0]
            c1 = cols[q, b, 1]
            for i in range(size - 1, -1, -1):
                v = row[i]
                row[2 * i] = v * c0
                row[2 * i + 1] = v * c1
            size *= 2


@nb.njit(nb.void(_C3, _F2, _I1, _I1, _C3, _F2), **LEAF_JIT)
def u1_factor_grads(r, theta, codes, slots, consts, grads):  # pragma: no cover - compiled
    """Add d<O>/dt of every rotation factor of a fused single-qubit op to ``grads`` in place.

    With the op U = F_m ... F_1 and ``r[b, a, c] = sum_rest conj(lambda_a) psi_c`` on its qubit,
    the derivative of rotation factor j is Im tr((A P_j A^dagger)^T r) with A = F_m ... F_(j+1).
    Factors are encoded as in `build_u1`.
    """
    n_b = theta.shape[0]
    for b in range(n_b):
        a00, a01, a10, a11 = 1.0 + 0j, 0j, 0j, 1.0 + 0j
        r00, r01, r10, r11 = r[b, 0, 0], r[b, 0, 1], r[b, 1, 0], r[b, 1, 1]
        for f in range(codes.shape[0] - 1, -1, -1):
            code = codes[f]
            t = theta[b, slots[f]] if code != 0 else 0.0  # no parameter read for constants
            g00, g01, g10, g11 = _factor(code, t, consts[f])
            if code != 0:
                # A P for P = X, Y, Z
                if code == 1:
                    p00, p01, p10, p11 = a01, a00, a11, a10
                elif code == 2:
                    p00, p01, p10, p11 = 1j * a01, -1j * a00, 1j * a11, -1j * a10
                else:
                    p00, p01, p10, p11 = a00, -a01, a10, -a11
                # M = (A P) A^dagger
                m00 = p00 * np.conj(a00) + p01 * np.conj(a01)
                m01 = p00 * np.conj(a10) + p01 * np.conj(a11)
                m10 = p10 * np.conj(a00) + p11 * np.conj(a01)
                m11 = p10 * np.conj(a10) + p11 * np.conj(a11)
                grads[b, slots[f]] += (m00 * r00 + m01 * r01 + m10 * r10 + m11 * r11).imag
            a00, a01, a10, a11 = (a00 * g00 + a01 * g10, a00 * g01 + a01 * g11,
                                  a10 * g00 + a11 * g10, a10 * g01 + a11 * g11)
