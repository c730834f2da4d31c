"""numba kernels on complex states held as separate real and imaginary parts ``re[b, x]``,
``im[b, x]`` (float64, C-contiguous).

Why a split layout: complex128 arrays interleave real and imaginary parts, and LLVM does not
vectorise the 2x2 complex updates on them; on two float64 arrays the same loops over contiguous
runs of amplitudes compile to SIMD code, about 2.5x faster per amplitude for strides >= `BLOCK`
(measured on AVX2/AVX-512 hardware; `benchmarks/bench_training.py` prints the rates). Strides
below `BLOCK` use the pair-index loops of `etr.quantum._kernels`. Qubit addressing, argument
meanings and results are those of the kernels in `etr.quantum._kernels`; matrices and phases
stay complex128 (read entry by entry).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from etr.quantum._kernels import _JIT, BLOCK

__all__ = [
    "cphase1_apply",
    "cu1_apply",
    "cu1_reduce",
    "diag_apply",
    "phase1_apply",
    "product_state",
    "u1_apply",
    "u1_reduce",
]


@nb.njit(**_JIT)
def u1_apply(re, im, s, u):  # pragma: no cover - compiled
    """(re + i im) <- u[b] on the qubit with stride s."""
    n_b, dim = re.shape
    low = s - 1
    for b in range(n_b):
        ar, ai = u[b, 0, 0].real, u[b, 0, 0].imag
        br, bi = u[b, 0, 1].real, u[b, 0, 1].imag
        cr, ci = u[b, 1, 0].real, u[b, 1, 0].imag
        dr, di = u[b, 1, 1].real, u[b, 1, 1].imag
        if s >= BLOCK:
            for base in range(0, dim, 2 * s):
                r0 = re[b, base:base + s]
                i0 = im[b, base:base + s]
                r1 = re[b, base + s:base + 2 * s]
                i1 = im[b, base + s:base + 2 * s]
                for i in range(s):
                    x0r = r0[i]
                    x0i = i0[i]
                    x1r = r1[i]
                    x1i = i1[i]
                    r0[i] = ar * x0r - ai * x0i + br * x1r - bi * x1i
                    i0[i] = ar * x0i + ai * x0r + br * x1i + bi * x1r
                    r1[i] = cr * x0r - ci * x0i + dr * x1r - di * x1i
                    i1[i] = cr * x0i + ci * x0r + dr * x1i + di * x1r
            continue
        rr = re[b]
        ri = im[b]
        if s == 1:  # adjacent pairs: a plain strided loop, which vectorises
            for k in range(dim >> 1):
                i = 2 * k
                x0r = rr[i]
                x0i = ri[i]
                x1r = rr[i + 1]
                x1i = ri[i + 1]
                rr[i] = ar * x0r - ai * x0i + br * x1r - bi * x1i
                ri[i] = ar * x0i + ai * x0r + br * x1i + bi * x1r
                rr[i + 1] = cr * x0r - ci * x0i + dr * x1r - di * x1i
                ri[i + 1] = cr * x0i + ci * x0r + dr * x1i + di * x1r
            continue
        for k in range(dim >> 1):
            i = ((k & ~low) << 1) | (k & low)
            j = i + s
            x0r = rr[i]
            x0i = ri[i]
            x1r = rr[j]
            x1i = ri[j]
            rr[i] = ar * x0r - ai * x0i + br * x1r - bi * x1i
            ri[i] = ar * x0i + ai * x0r + br * x1i + bi * x1r
            rr[j] = cr * x0r - ci * x0i + dr * x1r - di * x1i
            ri[j] = cr * x0i + ci * x0r + dr * x1i + di * x1r


@nb.njit(**_JIT)
def cu1_apply(re, im, c, s, u):  # pragma: no cover - compiled
    """Controlled u1: u[b] on the target (stride s) where the control bit (stride c) is 1."""
    n_b, dim = re.shape
    for b in range(n_b):
        ar, ai = u[b, 0, 0].real, u[b, 0, 0].imag
        br, bi = u[b, 0, 1].real, u[b, 0, 1].imag
        cr, ci = u[b, 1, 0].real, u[b, 1, 0].imag
        dr, di = u[b, 1, 1].real, u[b, 1, 1].imag
        rr = re[b]
        ri = im[b]
        for base in range(0, dim, 2 * s):
            for i in range(base, base + s):
                if i & c:
                    j = i + s
                    x0r = rr[i]
                    x0i = ri[i]
                    x1r = rr[j]
                    x1i = ri[j]
                    rr[i] = ar * x0r - ai * x0i + br * x1r - bi * x1i
                    ri[i] = ar * x0i + ai * x0r + br * x1i + bi * x1r
                    rr[j] = cr * x0r - ci * x0i + dr * x1r - di * x1i
                    ri[j] = cr * x0i + ci * x0r + dr * x1i + di * x1r


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


@nb.njit(**_JIT)
def _reduce_blocked(lre, lim, pre, pim, s):  # pragma: no cover - compiled
    """r[b, a, c] = sum conj(lam_a) phi_c over contiguous runs (s >= BLOCK); a pure reduction
    loop, which vectorises (fused with the un-apply stores it does not)."""
    n_b, dim = pre.shape
    r = np.zeros((n_b, 2, 2), dtype=np.complex128)
    for b in range(n_b):
        s00r = s00i = s01r = s01i = s10r = s10i = s11r = s11i = 0.0
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
                xr = l0r[i]
                xi = l0i[i]
                yr = l1r[i]
                yi = l1i[i]
                pr = p0r[i]
                pi = p0i[i]
                qr = p1r[i]
                qi = p1i[i]
                # conj(l) p = (lr pr + li pi) + i (lr pi - li pr)
                s00r += xr * pr + xi * pi
                s00i += xr * pi - xi * pr
                s01r += xr * qr + xi * qi
                s01i += xr * qi - xi * qr
                s10r += yr * pr + yi * pi
                s10i += yr * pi - yi * pr
                s11r += yr * qr + yi * qi
                s11i += yr * qi - yi * qr
        r[b, 0, 0] = s00r + 1j * s00i
        r[b, 0, 1] = s01r + 1j * s01i
        r[b, 1, 0] = s10r + 1j * s10i
        r[b, 1, 1] = s11r + 1j * s11i
    return r


@nb.njit(**_JIT)
def _reduce_pairs(lre, lim, pre, pim, s):  # pragma: no cover - compiled
    """As `_reduce_blocked` for small strides, pair by pair (adjacent pairs for s = 1)."""
    n_b, dim = pre.shape
    r = np.zeros((n_b, 2, 2), dtype=np.complex128)
    low = s - 1
    for b in range(n_b):
        s00r = s00i = s01r = s01i = s10r = s10i = s11r = s11i = 0.0
        lr = lre[b]
        li = lim[b]
        qr_ = pre[b]
        qi_ = pim[b]
        for k in range(dim >> 1):
            i = 2 * k if s == 1 else ((k & ~low) << 1) | (k & low)
            j = i + s
            xr = lr[i]
            xi = li[i]
            yr = lr[j]
            yi = li[j]
            pr = qr_[i]
            pi = qi_[i]
            qr = qr_[j]
            qi = qi_[j]
            s00r += xr * pr + xi * pi
            s00i += xr * pi - xi * pr
            s01r += xr * qr + xi * qi
            s01i += xr * qi - xi * qr
            s10r += yr * pr + yi * pi
            s10i += yr * pi - yi * pr
            s11r += yr * qr + yi * qi
            s11i += yr * qi - yi * qr
        r[b, 0, 0] = s00r + 1j * s00i
        r[b, 0, 1] = s01r + 1j * s01i
        r[b, 1, 0] = s10r + 1j * s10i
        r[b, 1, 1] = s11r + 1j * s11i
    return r


@nb.njit(**_JIT)
def u1_reduce(lre, lim, pre, pim, s, udag, unapply):  # pragma: no cover - compiled
    """r[b, a, c] = sum over the other qubits of conj(lam_a) phi_c; optionally un-apply udag[b]
    from lam and phi (see `etr.quantum._kernels.u1_reduce`). Large strides: a vectorised
    reduction, then two vectorised un-apply passes (faster than one fused scalar pass)."""
    if s < BLOCK:
        r = _reduce_pairs(lre, lim, pre, pim, s)
    else:
        r = _reduce_blocked(lre, lim, pre, pim, s)
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
        s00r = s00i = s01r = s01i = s10r = s10i = s11r = s11i = 0.0
        for base in range(0, dim, 2 * s):
            for i in range(base, base + s):
                if i & c:
                    j = i + s
                    l0r = lre[b, i]
                    l0i = lim[b, i]
                    l1r = lre[b, j]
                    l1i = lim[b, j]
                    p0r = pre[b, i]
                    p0i = pim[b, i]
                    p1r = pre[b, j]
                    p1i = pim[b, j]
                    s00r += l0r * p0r + l0i * p0i
                    s00i += l0r * p0i - l0i * p0r
                    s01r += l0r * p1r + l0i * p1i
                    s01i += l0r * p1i - l0i * p1r
                    s10r += l1r * p0r + l1i * p0i
                    s10i += l1r * p0i - l1i * p0r
                    s11r += l1r * p1r + l1i * p1i
                    s11i += l1r * p1i - l1i * p1r
        r[b, 0, 0] = s00r + 1j * s00i
        r[b, 0, 1] = s01r + 1j * s01i
        r[b, 1, 0] = s10r + 1j * s10i
        r[b, 1, 1] = s11r + 1j * s11i
    return r


@nb.njit(**_JIT)
def product_state(cols, re, im):  # pragma: no cover - compiled
    """re + i im = cols[0, b] (x) cols[1, b] (x) ... (qubit 0 the most significant factor)."""
    n_q, n_b = cols.shape[0], cols.shape[1]
    for b in range(n_b):
        rr = re[b]
        ri = im[b]
        rr[0] = 1.0
        ri[0] = 0.0
        size = 1
        for q in range(n_q):
            c0 = cols[q, b, 0]
            c1 = cols[q, b, 1]
            for i in range(size - 1, -1, -1):
                v = rr[i] + 1j * ri[i]
                w0 = v * c0
                w1 = v * c1
                rr[2 * i] = w0.real
                ri[2 * i] = w0.imag
                rr[2 * i + 1] = w1.real
                ri[2 * i + 1] = w1.imag
            size *= 2
