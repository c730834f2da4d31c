"""numba kernels on complex states held as separate real and imaginary parts ``re[b, x]``,
``im[b, x]`` (float64, C-contiguous).

Why a split layout: complex128 arrays interleave real and imaginary parts, and LLVM does not
vectorise the 2x2 complex updates on them; on two float64 arrays the same loops over contiguous
runs of amplitudes compile to SIMD code, about 2.5x faster per amplitude for strides >= `BLOCK`
(measured on AVX2/AVX-512 hardware; `benchmarks/bench_training.py` prints the rates). Strides
below `BLOCK` use the pair-index loops of `etr.quantum._kernels`. Qubit addressing, argument
meanings and results are those of the kernels in `etr.quantum._kernels`; matrices and phases
stay complex128 (read entry by entry). Floating point as in `etr.quantum._kernels`: strict,
except the leaf reduction `reduce_blocked` (fast-math, one pinned signature).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from etr.quantum._kernels import _JIT, BLOCK, LEAF_JIT

__all__ = [
    "cphase1_apply",
    "cu1_apply",
    "cu1_reduce",
    "diag_apply",
    "phase1_apply",
    "reduce_blocked",
    "reduce_pairs",
    "u1_apply",
    "u1_reduce",
]


@nb.njit(inline="always")
def _entries(u, b):  # pragma: no cover - compiled
    """The 2 x 2 matrix u[b] as 8 reals (a, b; c, d), real and imaginary parts."""
    return (u[b, 0, 0].real, u[b, 0, 0].imag, u[b, 0, 1].real, u[b, 0, 1].imag,
            u[b, 1, 0].real, u[b, 1, 0].imag, u[b, 1, 1].real, u[b, 1, 1].imag)


@nb.njit(inline="always")
def _mix(m, x0r, x0i, x1r, x1i):  # pragma: no cover - compiled
    """(y0, y1) = m (x0, x1) for one pair of amplitudes, `m` from `_entries`. Inlined by numba,
    so the loops that call it still vectorise."""
    ar, ai, br, bi, cr, ci, dr, di = m
    return (ar * x0r - ai * x0i + br * x1r - bi * x1i, ar * x0i + ai * x0r + br * x1i + bi * x1r,
            cr * x0r - ci * x0i + dr * x1r - di * x1i, cr * x0i + ci * x0r + dr * x1i + di * x1r)


@nb.njit(**_JIT)
def u1_apply(re, im, s, u):  # pragma: no cover - compiled
    """(re + i im) <- u[b] on the qubit with stride s."""
    n_b, dim = re.shape
    low = s - 1
    for b in range(n_b):
        m = _entries(u, b)
        if s >= BLOCK:
            for base in range(0, dim, 2 * s):
                r0 = re[b, base:base + s]
                i0 = im[b, base:base + s]
                r1 = re[b, base + s:base + 2 * s]
                i1 = im[b, base + s:base + 2 * s]
                for i in range(s):
                    r0[i], i0[i], r1[i], i1[i] = _mix(m, r0[i], i0[i], r1[i], i1[i])
            continue
        rr = re[b]
        ri = im[b]
        if s == 1:  # adjacent pairs: a plain strided loop, which vectorises
            for k in range(dim >> 1):
                i = 2 * k
                rr[i], ri[i], rr[i + 1], ri[i + 1] = _mix(m, rr[i], ri[i], rr[i + 1], ri[i + 1])
            continue
        for k in range(dim >> 1):
            i = ((k & ~low) << 1) | (k & low)
            j = i + s
            rr[i], ri[i], rr[j], ri[j] = _mix(m, rr[i], ri[i], rr[j], ri[j])


@nb.njit(**_JIT)
def cu1_apply(re, im, c, s, u):  # pragma: no cover - compiled
    """Controlled u1: u[b] on the target (stride s) where the control bit (stride c) is 1."""
    n_b, dim = re.shape
    for b in range(n_b):
        m = _entries(u, b)
        rr = re[b]
        ri = im[b]
        for base in range(0, dim, 2 * s):
            for i in range(base, base + s):
                if i & c:
                    j = i + s
                    rr[i], ri[i], rr[j], ri[j] = _mix(m, rr[i], ri[i], rr[j], ri[j])


@nb.njit(**_JIT)
def phase1_apply(re, im, s, e):  # pragma: no cover - compiled
    """diag(e[b], conj(e[b])) on the qubit with stride s (RZ)."""
    n_b, dim = re.shape
    for b in range(n_b):
        er, ei = e[b].real, e[b].imag
        for base in range(0, dim, 2 * s):
            for i in range(base, base + 2 * s):
                sign = -ei if i >= base + s else ei
                xr = re[b, i]
                xi = im[b, i]
                re[b, i] = er * xr - sign * xi
                im[b, i] = er * xi + sign * xr


@nb.njit(**_JIT)
def cphase1_apply(re, im, c, s, e):  # pragma: no cover - compiled
    """Controlled diag(e[b], conj(e[b])) (CRZ)."""
    n_b, dim = re.shape
    for b in range(n_b):
        er, ei = e[b].real, e[b].imag
        for i in range(dim):
            if i & c:
                sign = -ei if i & s else ei
                xr = re[b, i]
                xi = im[b, i]
                re[b, i] = er * xr - sign * xi
                im[b, i] = er * xi + sign * xr


@nb.njit(**_JIT)
def diag_apply(re, im, d):  # pragma: no cover - compiled
    """(re + i im)[b, x] *= d[x] for a complex phase vector d."""
    n_b, dim = re.shape
    dr = d.real.copy()
    di = d.imag.copy()
    for b in range(n_b):
        rr = re[b]
        ri = im[b]
        for i in range(dim):
            xr = rr[i]
            xi = ri[i]
            rr[i] = dr[i] * xr - di[i] * xi
            ri[i] = dr[i] * xi + di[i] * xr


@nb.njit(inline="always")
def _acc(acc, xr, xi, yr, yi, pr, pi, qr, qi):  # pragma: no cover - compiled
    """acc + (conj(x) p, conj(x) q, conj(y) p, conj(y) q) as 8 real parts: one pair of amplitudes
    of lam (x, y) and phi (p, q). Inlined by numba: the sums stay in registers."""
    a0, a1, a2, a3, a4, a5, a6, a7 = acc
    # conj(l) p = (lr pr + li pi) + i (lr pi - li pr)
    return (a0 + xr * pr + xi * pi, a1 + xr * pi - xi * pr,
            a2 + xr * qr + xi * qi, a3 + xr * qi - xi * qr,
            a4 + yr * pr + yi * pi, a5 + yr * pi - yi * pr,
            a6 + yr * qr + yi * qi, a7 + yr * qi - yi * qr)


@nb.njit(inline="always")
def _store(r, b, acc):  # pragma: no cover - compiled
    """r[b] = the 2 x 2 block of `_acc`'s sums."""
    r[b, 0, 0] = acc[0] + 1j * acc[1]
    r[b, 0, 1] = acc[2] + 1j * acc[3]
    r[b, 1, 0] = acc[4] + 1j * acc[5]
    r[b, 1, 1] = acc[6] + 1j * acc[7]


_ZERO8 = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


_F2 = nb.float64[:, ::1]


@nb.njit(nb.complex128[:, :, ::1](_F2, _F2, _F2, _F2, nb.int64), **LEAF_JIT)
def reduce_blocked(lre, lim, pre, pim, s):  # pragma: no cover - compiled
    """r[b, a, c] = sum conj(lam_a) phi_c over contiguous runs (s >= BLOCK); a pure reduction
    loop, which vectorises under fast-math (fused with the un-apply stores it does not)."""
    n_b, dim = pre.shape
    r = np.zeros((n_b, 2, 2), dtype=np.complex128)
    for b in range(n_b):
        acc = _ZERO8
        for base in range(0, dim, 2 * s):
            j = base + s
            l0r = lre[b, base:j]
            l0i = lim[b, base:j]
            l1r = lre[b, j:j + s]
            l1i = lim[b, j:j + s]
            p0r = pre[b, base:j]
            p0i = pim[b, base:j]
            p1r = pre[b, j:j + s]
            p1i = pim[b, j:j + s]
            for i in range(s):
                acc = _acc(acc, l0r[i], l0i[i], l1r[i], l1i[i], p0r[i], p0i[i], p1r[i], p1i[i])
        _store(r, b, acc)
    return r


@nb.njit(**_JIT)
def reduce_pairs(lre, lim, pre, pim, s):  # pragma: no cover - compiled
    """As `reduce_blocked` for small strides, pair by pair (adjacent pairs for s = 1)."""
    n_b, dim = pre.shape
    r = np.zeros((n_b, 2, 2), dtype=np.complex128)
    low = s - 1
    for b in range(n_b):
        acc = _ZERO8
        lr = lre[b]
        li = lim[b]
        pr = pre[b]
        pi = pim[b]
        for k in range(dim >> 1):
            i = 2 * k if s == 1 else ((k & ~low) << 1) | (k & low)
            j = i + s
            acc = _acc(acc, lr[i], li[i], lr[j], li[j], pr[i], pi[i], pr[j], pi[j])
        _store(r, b, acc)
    return r


def u1_reduce(lre, lim, pre, pim, s, udag, unapply):
    """r[b, a, c] = sum over the other qubits of conj(lam_a) phi_c; optionally un-apply udag[b]
    from lam and phi (see `etr.quantum._kernels.u1_reduce`). Large strides: a vectorised
    reduction, then two vectorised un-apply passes (faster than one fused scalar pass).

    A Python function, not a kernel: a kernel calling `reduce_blocked` would carry its own
    compiled copy of it (see the notes of `etr.quantum._kernels`)."""
    if s < BLOCK:
        r = reduce_pairs(lre, lim, pre, pim, s)
    else:
        r = reduce_blocked(lre, lim, pre, pim, s)
    if unapply:
        u1_apply(lre, lim, s, udag)
        u1_apply(pre, pim, s, udag)
    return r


@nb.njit(**_JIT)
def cu1_reduce(lre, lim, pre, pim, c, s):  # pragma: no cover - compiled
    """As `u1_reduce` for the target (stride s), summing only where the control (stride c) is 1;
    no un-apply."""
    n_b, dim = pre.shape
    r = np.zeros((n_b, 2, 2), dtype=np.complex128)
    for b in range(n_b):
        acc = _ZERO8
        for base in range(0, dim, 2 * s):
            for i in range(base, base + s):
                if i & c:
                    j = i + s
                    acc = _acc(acc, lre[b, i], lim[b, i], lre[b, j], lim[b, j], pre[b, i],
                               pim[b, i], pre[b, j], pim[b, j])
        _store(r, b, acc)
    return r
