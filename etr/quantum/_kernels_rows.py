"""numba kernels that run a whole `etr.quantum.program.Program` for a chunk of parameter rows,
row after row: the forward simulation (`forward_rows`) and the adjoint sweep (`adjoint_rows`),
used from `etr.quantum.statevector.ROW_ENGINE_QUBITS` qubits on.

Why row by row: all operations of a circuit run inside one compiled call, on one row of 2**n
amplitudes at a time (16 KB at 10 qubits, real and imaginary parts), instead of one Python call
per fused operation and chunk streaming a 1 MB chunk through the cache per pass.

Arithmetic. Complex states are held as real and imaginary parts (float64 rows), so the loops
over contiguous runs of amplitudes vectorise; every computed index is unsigned (numba wraps
negative signed indices around, and that select keeps LLVM from vectorising). RZ phases sink into
the diagonal layers (`etr.quantum.program`), so most single-qubit operations are real: half the
arithmetic of a complex 2x2 per pass, and one sum (Re r01 - Re r10 of the reduced matrix
r[a, c] = sum conj(lam_a) phi_c) for all their derivatives instead of four (`_factor_grads`).
A diagonal layer applies its RZ phases (a tensor product, from two short tables) times its
fixed phase in one pass. Runs of commuting single-qubit operations take all their derivatives at
the run's end, are un-applied from lambda only, and phi is restored from a checkpoint the forward
pass stored. The sums of a run's real operations go together (`_run_sums`): those of stride >=
`BLOCK` across the row, the others block by block (a block of lambda and phi stays in the L1
cache for all of them), pairs of operations in one pass. The RZ derivatives of a run come from
one vector w = Im(conj(lam) phi) (`_zsums`), which the backward pass of the diagonal layer
after the run leaves behind (`_tensor_phase2`, lambda and phi in one pass). The initial product
state needs no backward pass: its derivatives are contractions of lambda with the product's
factors (`_initial_grads`). A row's half-angle cosines and sines are computed once, in the
forward pass, and kept for the backward one (`_half_angles`).

Determinism. Every kernel computes exactly what its source says in IEEE double arithmetic (no
``fastmath``: numba may hold several machine-code copies of a kernel, inlined into different
callers or loaded from the on-disk cache, and only strict arithmetic makes them agree bit for
bit; contraction into fused multiply-adds measured no faster here). Every sum runs in an order
fixed by the code and the row's size alone: products are stored per amplitude pair (or
accumulated per pair over a row's blocks in order) and summed by halving (`_treesum`), whose
vectorised loops are element-wise maps. The sum kernels compiled with no-alias array arguments
(`_NoAliasCompiler`) only lose LLVM's run-time overlap checks; their arithmetic is the same. No
kernel calls BLAS or reduces across rows, so a row's bits depend on that row alone, not on its
chunk, on memory alignment or on what the process ran before
(`tests/quantum/test_kernels_rows.py`).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numba.core.compiler import CompilerBase, DefaultPassBuilder

__all__ = ["adjoint_rows", "diag_lambda", "diag_values", "forward_rows", "z_lambda", "z_values"]

_JIT = {"cache": True, "nogil": True, "boundscheck": False}
_INLINE = {"cache": True, "inline": "always", "boundscheck": False}


class _NoAliasCompiler(CompilerBase):
    """numba's nopython pipeline with its array arguments marked ``noalias`` for LLVM (the flag
    numba sets for its parallel gufuncs). A loop that reads several arrays and writes another
    then vectorises without the run-time overlap checks LLVM otherwise puts before every entry
    of an inner loop, which cost more than the loop itself for short runs of amplitudes (the
    sums of small strides). The arithmetic is unchanged (the same bits); the contract is that a
    kernel compiled so never writes an array that another of its arguments overlaps (arrays it
    only reads may be the same)."""

    def define_pipelines(self):
        self.state.flags.noalias = True
        pm = DefaultPassBuilder.define_nopython_pipeline(self.state)
        pm.finalize()
        return [pm]


_JIT_NOALIAS = {**_JIT, "pipeline_class": _NoAliasCompiler}

#: strides from which pair loops walk contiguous runs ``[base, base + s)`` and their partners
#: (vectorised); stride 2 has an explicit loop over blocks of four, stride 1 one over adjacent
#: pairs (both vectorise).
_RUN = 4

# Index arithmetic is unsigned (uint64) wherever an index is computed: numba wraps negative
# signed indices around, and that select keeps LLVM from vectorising a loop (measured: the same
# loop 0.07-0.18 ns per amplitude unsigned, 1.5-2 ns signed). Mixing uint64 and int64 makes
# float64 in numba, so every index operand is uint64.
_1 = np.uint64(1)
_2 = np.uint64(2)
_3 = np.uint64(3)
_4 = np.uint64(4)

_U1_REAL, _U1, _CU1, _DIAG, _CNOT, _SWAP = 0, 1, 2, 3, 4, 5


# ----------------------------------------------------------------------------- 2x2 matrices
@nb.njit(**_INLINE)
def _factor(code, c, s, const):  # pragma: no cover - compiled
    """Factor ``const`` (code 0) or exp(-i t P / 2), P = X, Y, Z (codes 1-3), as 4 complex;
    c, s = cos(t / 2), sin(t / 2)."""
    if code == 0:
        return const[0, 0], const[0, 1], const[1, 0], const[1, 1]
    if code == 1:
        return complex(c, 0.0), complex(0.0, -s), complex(0.0, -s), complex(c, 0.0)
    if code == 2:
        return complex(c, 0.0), complex(-s, 0.0), complex(s, 0.0), complex(c, 0.0)
    return complex(c, -s), 0j, 0j, complex(c, s)


@nb.njit(**_INLINE)
def _matrix(cs, fcode, fslot, fconst, f0, f1):  # pragma: no cover - compiled
    """The product F_(f1-1) ... F_(f0) of the factors (the first factor acts first); `cs` the
    row's half-angle table (`_half_angles`)."""
    m00, m01, m10, m11 = 1.0 + 0j, 0j, 0j, 1.0 + 0j
    for f in range(f0, f1):
        code = fcode[f]
        g00, g01, g10, g11 = _factor(code, cs[fslot[f], 0], cs[fslot[f], 1], fconst[f])
        m00, m01, m10, m11 = (g00 * m00 + g01 * m10, g00 * m01 + g01 * m11,
                              g10 * m00 + g11 * m10, g10 * m01 + g11 * m11)
    return m00, m01, m10, m11


@nb.njit(**_INLINE)
def _factor_grads(cs, fcode, fslot, fconst, f0, f1, s0, s1, s2, s3, g):  # pragma: no cover
    """Add the derivatives of the rotation factors of an operation to the gradient row `g`.

    With r the operation's reduced matrix and M_j = A P_j A^dagger (A the factors after factor
    j), the derivative of factor j is Im tr(M_j^T r) = M00 s0 + M11 s1 + Re(M01) s2 + Im(M01) s3
    (M is Hermitian), with s0 = Im r00, s1 = Im r11, s2 = Im r01 + Im r10, s3 = Re r01 - Re r10.
    """
    a00, a01, a10, a11 = 1.0 + 0j, 0j, 0j, 1.0 + 0j
    for f in range(f1 - 1, f0 - 1, -1):
        code = fcode[f]
        g00, g01, g10, g11 = _factor(code, cs[fslot[f], 0], cs[fslot[f], 1], fconst[f])
        if code != 0:
            if code == 1:  # A P for P = X, Y, Z
                p00, p01, p10, p11 = a01, a00, a11, a10
            elif code == 2:
                p00, p01, p10, p11 = 1j * a01, -1j * a00, 1j * a11, -1j * a10
            else:
                p00, p01, p10, p11 = a00, -a01, a10, -a11
            m00 = p00 * a00.conjugate() + p01 * a01.conjugate()
            m01 = p00 * a10.conjugate() + p01 * a11.conjugate()
            m11 = p10 * a10.conjugate() + p11 * a11.conjugate()
            g[fslot[f]] += m00.real * s0 + m11.real * s1 + m01.real * s2 + m01.imag * s3
        a00, a01, a10, a11 = (a00 * g00 + a01 * g10, a00 * g01 + a01 * g11,
                              a10 * g00 + a11 * g10, a10 * g01 + a11 * g11)


@nb.njit(**_JIT)
def _half_angles(th, cs):  # pragma: no cover - compiled
    """cs[k] = (cos(th[k] / 2), sin(th[k] / 2)): every slot's once per row for the forward pass
    and the backward sweep (three uses of most slots: 6 of a 10-qubit row's 16 us of
    trigonometry). The same calls as computing them in place, so the same bits."""
    for k in range(th.shape[0]):
        cs[k, 0] = math.cos(0.5 * th[k])
        cs[k, 1] = math.sin(0.5 * th[k])


# ----------------------------------------------------------------------------- sums
@nb.njit(**_JIT)
def _treesum(t, n):  # pragma: no cover - compiled
    """sum(t[:n]) for n a power of two, by halving (vectorised maps, a fixed order); clobbers t."""
    h = np.uint64(n >> 1)
    while h >= 8:
        for k in range(h):
            t[k] += t[k + h]
        h = h >> _1
    acc = 0.0
    for k in range(min(n, 2 * h) if h else n):
        acc += t[k]
    return acc


@nb.njit(**_JIT)
def _zsums(w, n, out, u, v, d):  # pragma: no cover - compiled
    """out[q] = sum_x w[x] (1 - 2 bit_q(x)) for every qubit q (qubit 0 the most significant
    bit), folding the top qubit away level by level; u, v, d are scratch rows of len(w) / 2."""
    size = w.shape[0]
    src = w
    for q in range(n):
        h = np.uint64(size >> 1)
        dst = u if q % 2 == 0 else v
        for k in range(h):
            a = src[k]
            c = src[k + h]
            dst[k] = a + c
            d[k] = a - c
        out[q] = _treesum(d, size >> 1)
        src = dst
        size = size >> 1


# ----------------------------------------------------------------------------- pair passes
@nb.njit(**_JIT)
def _real2(x, s, a, b, c, d):  # pragma: no cover - compiled
    """x <- [[a, b], [c, d]] on the qubit of stride s, one real component."""
    dim = x.shape[0]
    if s >= _RUN:
        us = np.uint64(s)
        for base in range(0, dim, 2 * s):
            ub = np.uint64(base)
            for i in range(us):
                u = ub + i
                v = u + us
                p = x[u]
                q = x[v]
                x[u] = a * p + b * q
                x[v] = c * p + d * q
    elif s == 2:
        for k in range(np.uint64(dim >> 2)):
            u = _4 * k
            p0 = x[u]
            p1 = x[u + _1]
            q0 = x[u + _2]
            q1 = x[u + _3]
            x[u] = a * p0 + b * q0
            x[u + _1] = a * p1 + b * q1
            x[u + _2] = c * p0 + d * q0
            x[u + _3] = c * p1 + d * q1
    else:
        for k in range(np.uint64(dim >> 1)):
            u = k + k
            p = x[u]
            q = x[u + _1]
            x[u] = a * p + b * q
            x[u + _1] = c * p + d * q


@nb.njit(**_INLINE)
def _quad(a, u1, u2):  # pragma: no cover - compiled
    """The group of four amplitudes a, a + s2, a + s1, a + s1 + s2 that qubits of strides
    s1 > s2 couple (unsigned)."""
    return a, a + u2, a + u1, a + u1 + u2


@nb.njit(**_JIT)
def _real22(x, s1, s2, a, b):  # pragma: no cover - compiled
    """x <- (A on stride s1)(B on stride s2) x for two real 2x2 matrices a = (a00, a01, a10,
    a11), b (s1 > s2 >= 8): one pass instead of two (the same arithmetic, half the loads and
    stores)."""
    dim = x.shape[0]
    u1 = np.uint64(s1)
    u2 = np.uint64(s2)
    a00, a01, a10, a11 = a
    b00, b01, b10, b11 = b
    for base1 in range(0, dim, 2 * s1):
        for base2 in range(base1, base1 + s1, 2 * s2):
            ub = np.uint64(base2)
            for i in range(u2):
                p, q, r, w = _quad(ub + i, u1, u2)
                x00 = x[p]
                x01 = x[q]
                x10 = x[r]
                x11 = x[w]
                y00 = b00 * x00 + b01 * x01
                y01 = b10 * x00 + b11 * x01
                y10 = b00 * x10 + b01 * x11
                y11 = b10 * x10 + b11 * x11
                x[p] = a00 * y00 + a01 * y10
                x[r] = a10 * y00 + a11 * y10
                x[q] = a00 * y01 + a01 * y11
                x[w] = a10 * y01 + a11 * y11


@nb.njit(**_INLINE)
def _pair(us, k):  # pragma: no cover - compiled
    """The k-th amplitude pair (u, u + s) of stride s: k with a 0 inserted at the qubit's bit
    (unsigned)."""
    return ((k & ~(us - _1)) << _1) | (k & (us - _1))


@nb.njit(**_INLINE)
def _mix(m, x0r, x0i, x1r, x1i):  # pragma: no cover - compiled
    """(y0, y1) = m (x0, x1) for one pair of complex amplitudes, m as 8 reals."""
    ar, ai, br, bi, cr, ci, dr, di = m
    return (ar * x0r - ai * x0i + br * x1r - bi * x1i, ar * x0i + ai * x0r + br * x1i + bi * x1r,
            cr * x0r - ci * x0i + dr * x1r - di * x1i, cr * x0i + ci * x0r + dr * x1i + di * x1r)


@nb.njit(**_JIT)
def _cplx2(re, im, s, m):  # pragma: no cover - compiled
    """(re + i im) <- m on the qubit of stride s, m = (m00, m01, m10, m11) complex."""
    m8 = (m[0].real, m[0].imag, m[1].real, m[1].imag, m[2].real, m[2].imag, m[3].real,
          m[3].imag)
    dim = re.shape[0]
    us = np.uint64(s)
    if s > 4:
        for base in range(0, dim, 2 * s):
            ub = np.uint64(base)
            for i in range(us):
                u = ub + i
                v = u + us
                re[u], im[u], re[v], im[v] = _mix(m8, re[u], im[u], re[v], im[v])
    elif s == 4:  # pair by pair (a loop of four pairs per block vectorises worse)
        for k in range(np.uint64(dim >> 1)):
            a = _pair(us, k)
            b = a + us
            re[a], im[a], re[b], im[b] = _mix(m8, re[a], im[a], re[b], im[b])
    elif s == 2:
        for k in range(np.uint64(dim >> 2)):
            u = _4 * k
            re[u], im[u], re[u + _2], im[u + _2] = _mix(m8, re[u], im[u], re[u + _2],
                                                        im[u + _2])
            v = u + _1
            re[v], im[v], re[v + _2], im[v + _2] = _mix(m8, re[v], im[v], re[v + _2],
                                                        im[v + _2])
    else:
        for k in range(np.uint64(dim >> 1)):
            u = k + k
            v = u + _1
            re[u], im[u], re[v], im[v] = _mix(m8, re[u], im[u], re[v], im[v])


@nb.njit(**_INLINE)
def _ctrl_offsets(top, mid, s, c):  # pragma: no cover - compiled
    """Offsets of the two runs (target bit 0, target bit 1) with the control bit set in the
    block (top, mid) of the loops over strides max(s, c), min(s, c)."""
    lo, hi = min(s, c), max(s, c)
    if c > s:  # control is the high bit: (10), (11)
        return np.uint64(mid + hi), np.uint64(mid + hi + lo)
    return np.uint64(mid + lo), np.uint64(mid + lo + hi)  # control low: (01), (11)


@nb.njit(**_JIT)
def _ctrl2(re, im, cplx, c, s, m):  # pragma: no cover - compiled
    """m on the target (stride s) where the control bit (stride c) is 1: the 2x2 on pairs of
    contiguous runs of min(s, c) amplitudes."""
    dim = re.shape[0]
    lo, hi = min(s, c), max(s, c)
    run = np.uint64(lo)
    m8 = (m[0].real, m[0].imag, m[1].real, m[1].imag, m[2].real, m[2].imag, m[3].real,
          m[3].imag)
    for top in range(0, dim, 2 * hi):
        for mid in range(top, top + hi, 2 * lo):
            a, b = _ctrl_offsets(top, mid, s, c)
            if cplx:
                for i in range(run):
                    u = a + i
                    v = b + i
                    re[u], im[u], re[v], im[v] = _mix(m8, re[u], im[u], re[v], im[v])
            else:
                for i in range(run):
                    u = a + i
                    v = b + i
                    x0 = re[u]
                    x1 = re[v]
                    re[u] = m8[0] * x0 + m8[2] * x1
                    re[v] = m8[4] * x0 + m8[6] * x1


@nb.njit(**_JIT)
def _swap_runs(x, a, b, n):  # pragma: no cover - compiled
    """Swap x[a:a+n] and x[b:b+n] (unsigned offsets)."""
    for i in range(n):
        tmp = x[a + i]
        x[a + i] = x[b + i]
        x[b + i] = tmp


@nb.njit(**_JIT)
def _perm(x, kind, s, c):  # pragma: no cover - compiled
    """CNOT (control stride c, target stride s) or SWAP (strides s, c) of one component: swaps
    of contiguous runs (for a SWAP, the amplitudes with bit c set and bit s clear trade places
    with their partners with bit s set and bit c clear)."""
    dim = x.shape[0]
    lo, hi = min(s, c), max(s, c)
    run = np.uint64(lo)
    for top in range(0, dim, 2 * hi):
        for mid in range(top, top + hi, 2 * lo):
            # four runs of lo amplitudes: bits (hi, lo) = 00 at mid, 01 at mid + lo, 10 at
            # mid + hi, 11 at mid + hi + lo
            m = np.uint64(mid)
            if kind == _CNOT:
                if c > s:  # control set: (10) <-> (11)
                    _swap_runs(x, m + np.uint64(hi), m + np.uint64(hi + lo), run)
                else:  # control bit is lo: (01) <-> (11)
                    _swap_runs(x, m + run, m + np.uint64(hi + lo), run)
            else:  # SWAP: (01) <-> (10)
                _swap_runs(x, m + run, m + np.uint64(hi), run)


# ----------------------------------------------------------------------------- adjoint passes
@nb.njit(**_JIT)
def _sum_real(lr, li, pr, pi, cplx, s, t):  # pragma: no cover - compiled
    """Re r01 - Re r10 on stride s (`_cross_acc` into zeroed `t`, then `_treesum`)."""
    half = lr.shape[0] >> 1
    t[:half] = 0.0
    _cross_acc(lr, li, pr, pi, cplx, s, t)
    return _treesum(t, half)


@nb.njit(**_INLINE)
def _cross(lr, li, pr, pi, cplx, u, v):  # pragma: no cover - compiled
    """The term of Re r01 - Re r10 of the reduced matrix r[a, c] = sum conj(l_a) p_c that pair
    (u, v) adds: Re(conj(l_u) p_v) - Re(conj(l_v) p_u), all the derivatives of a real operation
    need."""
    if cplx:
        return (lr[u] * pr[v] - lr[v] * pr[u]) + (li[u] * pi[v] - li[v] * pi[u])
    return lr[u] * pr[v] - lr[v] * pr[u]


@nb.njit(**_JIT_NOALIAS)
def _cross_acc(lr, li, pr, pi, cplx, s, acc):  # pragma: no cover - compiled
    """acc[k] += the k-th pair's `_cross` on stride s (read-only loops over the states, which
    vectorise; `acc` overlaps no state)."""
    dim = lr.shape[0]
    us = np.uint64(s)
    if s >= _RUN:
        for base in range(0, dim, 2 * s):
            ub = np.uint64(base)
            o = np.uint64(base >> 1)
            for i in range(us):
                acc[o + i] += _cross(lr, li, pr, pi, cplx, ub + i, ub + i + us)
    elif s == 2:
        for k in range(np.uint64(dim >> 2)):
            u = _4 * k
            acc[_2 * k] += _cross(lr, li, pr, pi, cplx, u, u + _2)
            acc[_2 * k + _1] += _cross(lr, li, pr, pi, cplx, u + _1, u + _3)
    else:
        for k in range(np.uint64(dim >> 1)):
            acc[k] += _cross(lr, li, pr, pi, cplx, k + k, k + k + _1)


#: the sums of a run's real operations of stride < BLOCK go block by block over BLOCK
#: amplitudes (lambda's and phi's four parts of a block, 8 KB, stay in the L1 cache while every
#: such operation reads them); a 10-qubit row's four parts, 32 KB, would be read from L2 once per
#: operation.
BLOCK = 256


@nb.njit(**_JIT_NOALIAS)
def _cross2_acc(lr, li, pr, pi, cplx, s1, s2, acc1, acc2):  # pragma: no cover - compiled
    """`_cross_acc` for strides s1 > s2 >= 8 in one pass over the groups of four amplitudes
    the two qubits couple (each amplitude of lambda and phi loaded once for both): the m-th
    group's two pairs of each stride to ``acc1[m]``, ``acc2[m]``."""
    dim = lr.shape[0]
    u1 = np.uint64(s1)
    u2 = np.uint64(s2)
    m = np.uint64(0)
    for base1 in range(0, dim, 2 * s1):
        for base2 in range(base1, base1 + s1, 2 * s2):
            ub = np.uint64(base2)
            for i in range(u2):
                a, b, c, d = _quad(ub + i, u1, u2)
                acc1[m + i] += (_cross(lr, li, pr, pi, cplx, a, c)
                                + _cross(lr, li, pr, pi, cplx, b, d))
                acc2[m + i] += (_cross(lr, li, pr, pi, cplx, a, b)
                                + _cross(lr, li, pr, pi, cplx, c, d))
            m += u2


@nb.njit(**_JIT)
def _sums_of(ops, k0, k1, xr, xi, pr, pi, cplx, acc, nl, wide):  # pragma: no cover - compiled
    """`_run_sums`'s pass over (xr, xi, pr, pi), the row (`wide`: the operations of stride >=
    nl) or one block (the others)."""
    for j in range(k0, k1 + 1):
        partner = ops[j, 12]
        if ops[j, 0] != _U1_REAL or partner == -2:
            continue
        if partner >= 0:
            a1, a2 = (j, partner) if ops[j, 1] > ops[partner, 1] else (partner, j)
            if (ops[a1, 1] >= nl) == wide:
                _cross2_acc(xr, xi, pr, pi, cplx, ops[a1, 1], ops[a2, 1], acc[a1 - k0],
                            acc[a2 - k0])
        elif (ops[j, 1] >= nl) == wide:
            _cross_acc(xr, xi, pr, pi, cplx, ops[j, 1], acc[j - k0])


@nb.njit(**_JIT)
def _run_sums(ops, k0, k1, xr, xi, pr, pi, cplx, acc, size, s3):  # pragma: no cover - compiled
    """s3[j - k0] = Re r01 - Re r10 of every real operation j of the run k0 .. k1 at the current
    position (`_sum_real`). A pair of real operations (`etr.quantum.program._pair_up`) shares a
    pass (`_cross2_acc`). Operations (and pairs) of stride >= BLOCK go row-wide, the others
    block by block: every term is accumulated per amplitude pair (or group of four) over the
    blocks in order, then `_treesum` over them (``size[j - k0]`` of them; scratch)."""
    dim = xr.shape[0]
    nl = min(dim, BLOCK)
    for j in range(k0, k1 + 1):
        partner = ops[j, 12]
        if ops[j, 0] != _U1_REAL or partner == -2:
            continue
        s1 = ops[j, 1] if partner < 0 else max(ops[j, 1], ops[partner, 1])
        n_terms = (dim if s1 >= nl else nl) >> (1 if partner < 0 else 2)
        size[j - k0] = n_terms
        acc[j - k0, :n_terms] = 0.0
        if partner >= 0:
            size[partner - k0] = n_terms
            acc[partner - k0, :n_terms] = 0.0
    _sums_of(ops, k0, k1, xr, xi, pr, pi, cplx, acc, nl, True)  # the row-wide ones
    for a in range(0, dim, nl):
        _sums_of(ops, k0, k1, xr[a:a + nl], xi[a:a + nl], pr[a:a + nl], pi[a:a + nl], cplx, acc,
                 nl, False)
    for j in range(k0, k1 + 1):
        if ops[j, 0] == _U1_REAL:
            s3[j - k0] = _treesum(acc[j - k0], size[j - k0])


@nb.njit(**_INLINE)
def _four(lr, li, pr, pi, u, v):  # pragma: no cover - compiled
    """The terms of (Im r00, Im r11, Im r01 + Im r10, Re r01 - Re r10) of pair (u, v)."""
    return (lr[u] * pi[u] - li[u] * pr[u], lr[v] * pi[v] - li[v] * pr[v],
            (lr[u] * pi[v] - li[u] * pr[v]) + (lr[v] * pi[u] - li[v] * pr[u]),
            (lr[u] * pr[v] + li[u] * pi[v]) - (lr[v] * pr[u] + li[v] * pi[u]))


@nb.njit(**_JIT)
def _sums_cplx(lr, li, pr, pi, s, t):  # pragma: no cover - compiled
    """(Im r00, Im r11, Im r01 + Im r10, Re r01 - Re r10) of the reduced matrix on stride s."""
    dim = lr.shape[0]
    half = dim >> 1
    us = np.uint64(s)
    t0, t1, t2, t3 = t[0], t[1], t[2], t[3]
    if s >= _RUN:
        for base in range(0, dim, 2 * s):
            ub = np.uint64(base)
            o = np.uint64(base >> 1)
            for i in range(us):
                u = ub + i
                t0[o + i], t1[o + i], t2[o + i], t3[o + i] = _four(lr, li, pr, pi, u, u + us)
    else:
        for k in range(np.uint64(half)):
            u = _pair(us, k)
            t0[k], t1[k], t2[k], t3[k] = _four(lr, li, pr, pi, u, u + us)
    return _treesum(t0, half), _treesum(t1, half), _treesum(t2, half), _treesum(t3, half)


@nb.njit(**_JIT)
def _sums_ctrl(lr, li, pr, pi, cplx, c, s, t):  # pragma: no cover - compiled
    """As `_sums_cplx` over the pairs whose control bit (stride c) is 1 (terms per pair in the
    rows of t, in the order of `_ctrl2`'s runs)."""
    dim = lr.shape[0]
    lo, hi = min(s, c), max(s, c)
    run = np.uint64(lo)
    t0, t1, t2, t3 = t[0], t[1], t[2], t[3]
    k = np.uint64(0)
    for top in range(0, dim, 2 * hi):
        for mid in range(top, top + hi, 2 * lo):
            a, b = _ctrl_offsets(top, mid, s, c)
            if cplx:
                for i in range(run):
                    t0[k + i], t1[k + i], t2[k + i], t3[k + i] = _four(lr, li, pr, pi, a + i,
                                                                       b + i)
            else:
                for i in range(run):
                    t0[k + i] = 0.0
                    t1[k + i] = 0.0
                    t2[k + i] = 0.0
                    t3[k + i] = lr[a + i] * pr[b + i] - lr[b + i] * pr[a + i]
            k += run
    quarter = dim >> 2
    return _treesum(t0, quarter), _treesum(t1, quarter), _treesum(t2, quarter), _treesum(
        t3, quarter)


# ----------------------------------------------------------------------------- diagonal layers
@nb.njit(**_JIT)
def _phase_tables(th, cs, pops, p0, p1, n, nh, hr, hi, lr, li, ang, qs
                  ):  # pragma: no cover - compiled
    """Tables H (2**nh, top qubits) and L (2**(n - nh)) with H[h] L[l] = the product of the
    uncontrolled RZ phases at x = h 2**(n - nh) + l; False if there is no uncontrolled RZ.
    `ang` (float) and `qs` (int) are scratch of length n: a qubit's angle sum, and its one
    slot (its half-angle from `cs`), -1 for none, -2 for several (cos and sin of the sum)."""
    ang[:] = 0.0
    qs[:] = -1
    any_rz = False
    for p in range(p0, p1):
        if pops[p, 1] == 0:
            q = n - 1 - int(np.log2(pops[p, 0]) + 0.5)
            ang[q] += th[pops[p, 2]]
            qs[q] = pops[p, 2] if qs[q] == -1 else -2
            any_rz = True
    if not any_rz:
        return False
    for part in range(2):
        xr = hr if part == 0 else lr
        xi = hi if part == 0 else li
        q0 = 0 if part == 0 else nh
        q1 = nh if part == 0 else n
        xr[0] = 1.0
        xi[0] = 0.0
        size = 1
        for q in range(q0, q1):
            if qs[q] >= 0:
                c, s = cs[qs[q], 0], cs[qs[q], 1]
            else:
                c = math.cos(0.5 * ang[q])
                s = math.sin(0.5 * ang[q])
            for i in range(size - 1, -1, -1):
                vr = xr[i]
                vi = xi[i]
                # bit 0: exp(-i a / 2); bit 1: exp(+i a / 2)
                xr[2 * i] = vr * c + vi * s
                xi[2 * i] = vi * c - vr * s
                xr[2 * i + 1] = vr * c - vi * s
                xi[2 * i + 1] = vi * c + vr * s
            size *= 2
    return True


@nb.njit(**_JIT)
def _tensor_phase(xr, xi, cplx, hr, hi, lr, li, f, nh, nl, conj):  # pragma: no cover
    """x <- (H[h] L[l] f[x]) x, x = h nl + l (the conjugate phase with `conj`): the RZ phases
    of a diagonal layer times its real fixed phase, built on the fly in the same pass."""
    sg = -1.0 if conj else 1.0
    unl = np.uint64(nl)
    for h in range(1 << nh):
        ar = hr[h]
        ai = sg * hi[h]
        o = np.uint64(h) * unl
        for l in range(unl):  # noqa: E741
            er = (ar * lr[l] - ai * (sg * li[l])) * f[o + l]
            ei = (ar * (sg * li[l]) + ai * lr[l]) * f[o + l]
            vr = xr[o + l]
            vi = xi[o + l]
            xr[o + l] = er * vr - ei * vi
            xi[o + l] = er * vi + ei * vr


@nb.njit(**_JIT)
def _tensor_phase2(xr, xi, pr, pi, hr, hi, lr, li, f, nh, nl, w):  # pragma: no cover
    """`_tensor_phase` with `conj` on lambda (xr, xi) and phi (pr, pi) of a complex state in
    one pass (the phase built once), storing w = Im(conj(lam) phi), which the phase leaves
    unchanged, on the way (`_zsums` of the run before the layer needs it)."""
    unl = np.uint64(nl)
    for h in range(1 << nh):
        ar = hr[h]
        ai = -hi[h]
        o = np.uint64(h) * unl
        for l in range(unl):  # noqa: E741
            x = o + l
            er = (ar * lr[l] - ai * (-li[l])) * f[x]
            ei = (ar * (-li[l]) + ai * lr[l]) * f[x]
            a = xr[x]
            b = xi[x]
            c = pr[x]
            d = pi[x]
            w[x] = a * d - b * c
            xr[x] = er * a - ei * b
            xi[x] = er * b + ei * a
            pr[x] = er * c - ei * d
            pi[x] = er * d + ei * c


@nb.njit(**_JIT)
def _phase_vector(th, cs, row, pops, fixed_re, fixed_im, n, nh, br, bi, hr, hi, lr, li, ang, qs
                  ):  # pragma: no cover - compiled
    """The phase vector of a diagonal operation with controlled phases or a complex fixed phase,
    built into (br, bi)."""
    p0, p1, fx = row[6], row[7], row[5]
    nl = 1 << (n - nh)
    if _phase_tables(th, cs, pops, p0, p1, n, nh, hr, hi, lr, li, ang, qs):
        _outer(hr, hi, lr, li, nh, nl, br, bi, True)
        if fx >= 0:
            fr = fixed_re[fx]
            fi = fixed_im[fx]
            for x in range(br.shape[0]):
                vr = br[x]
                vi = bi[x]
                br[x] = vr * fr[x] - vi * fi[x]
                bi[x] = vr * fi[x] + vi * fr[x]
    elif fx >= 0:
        br[:] = fixed_re[fx]
        bi[:] = fixed_im[fx]
    else:
        br[:] = 1.0
        bi[:] = 0.0
    for p in range(p0, p1):
        c = pops[p, 1]
        if c == 0:
            continue
        s = pops[p, 0]
        er = cs[pops[p, 2], 0]
        ei = cs[pops[p, 2], 1]
        for x in range(br.shape[0]):
            if x & c:
                e = ei if x & s else -ei
                vr = br[x]
                vi = bi[x]
                br[x] = vr * er - vi * e
                bi[x] = vi * er + vr * e


@nb.njit(**_JIT)
def _mul(xr, xi, cplx, br, bi, real, conj):  # pragma: no cover - compiled
    """x <- b x (or conj(b) x); b real (bi unused) when `real`."""
    if real:
        for x in range(xr.shape[0]):
            xr[x] *= br[x]
        if cplx:
            for x in range(xi.shape[0]):
                xi[x] *= br[x]
        return
    sg = -1.0 if conj else 1.0
    for x in range(xr.shape[0]):
        vr = xr[x]
        vi = xi[x]
        e = sg * bi[x]
        xr[x] = br[x] * vr - e * vi
        xi[x] = br[x] * vi + e * vr


@nb.njit(**_JIT)
def _diag(th, cs, row, pops, fixed_re, fixed_im, n, nh, hr, hi, lr, li, ang, qs, ones, br, bi,
          xr, xi, pr, pi, two, cplx, conj, w):  # pragma: no cover - compiled
    """Apply diagonal operation `row` (its inverse with `conj`) to the state (xr, xi) and, with
    `two`, to (pr, pi) too, building its phases once. True if it stored
    w = Im(conj(x) p) on the way (`_tensor_phase2`)."""
    fx = row[5]
    p0, p1 = row[6], row[7]
    if p1 == p0:  # a fixed phase only
        if fx >= 0:
            _mul(xr, xi, cplx, fixed_re[fx], fixed_im[fx], row[1] == 1, conj)
            if two:
                _mul(pr, pi, cplx, fixed_re[fx], fixed_im[fx], row[1] == 1, conj)
        return False
    nl = 1 << (n - nh)
    if row[2] == 0 and (fx < 0 or row[1] == 1):  # RZ phases times a real fixed phase
        _phase_tables(th, cs, pops, p0, p1, n, nh, hr, hi, lr, li, ang, qs)
        f = fixed_re[fx] if fx >= 0 else ones
        if two and cplx and conj:
            _tensor_phase2(xr, xi, pr, pi, hr, hi, lr, li, f, nh, nl, w)
            return True
        _tensor_phase(xr, xi, cplx, hr, hi, lr, li, f, nh, nl, conj)
        if two:
            _tensor_phase(pr, pi, cplx, hr, hi, lr, li, f, nh, nl, conj)
        return False
    _phase_vector(th, cs, row, pops, fixed_re, fixed_im, n, nh, br, bi, hr, hi, lr, li, ang, qs)
    _mul(xr, xi, cplx, br, bi, False, conj)
    if two:
        _mul(pr, pi, cplx, br, bi, False, conj)
    return False


@nb.njit(**_JIT)
def _diag_grads(th, row, pops, lr, li, pr, pi, n, g, w, zs, u, v, d):  # pragma: no cover
    """Derivatives of the phases of diagonal operation `row` that are its own (`pops[:, 3]`):
    Im <lam| Z_q |phi> (times the control's projector for CRZ), from w = Im(conj(lam) phi)."""
    p0, p1 = row[6], row[7]
    own = False
    for p in range(p0, p1):
        own = own or pops[p, 3] == 1
    if not own:
        return
    for x in range(w.shape[0]):
        w[x] = lr[x] * pi[x] - li[x] * pr[x]
    for p in range(p0, p1):
        if pops[p, 1] == 0 and pops[p, 3] == 1:
            _zsums(w, n, zs, u, v, d)
            break
    half = w.shape[0] >> 1
    for p in range(p0, p1):
        if pops[p, 3] == 0:
            continue
        s = pops[p, 0]
        c = pops[p, 1]
        if c == 0:
            g[pops[p, 2]] += zs[n - 1 - int(np.log2(s) + 0.5)]
            continue
        k = 0
        for x in range(w.shape[0]):
            if x & c:
                d[k] = -w[x] if x & s else w[x]
                k += 1
        g[pops[p, 2]] += _treesum(d, half)


# ----------------------------------------------------------------------------- product state
@nb.njit(**_JIT)
def _columns(cs, init, fcode, fslot, fconst, n, cr, ci):  # pragma: no cover - compiled
    """cr + i ci [q] = the product state's factor on qubit q (|0> where no operation acts)."""
    cr[:, 0] = 1.0
    cr[:, 1] = 0.0
    ci[:, :] = 0.0
    for r in range(init.shape[0]):
        q = init[r, 0]
        m = _matrix(cs, fcode, fslot, fconst, init[r, 1], init[r, 2])
        cr[q, 0] = m[0].real
        ci[q, 0] = m[0].imag
        cr[q, 1] = m[2].real
        ci[q, 1] = m[2].imag


@nb.njit(**_JIT)
def _half_product(cr, ci, q0, q1, xr, xi):  # pragma: no cover - compiled
    """x = tensor product of the columns of qubits q0 .. q1-1 (q0 the most significant)."""
    xr[0] = 1.0
    xi[0] = 0.0
    size = 1
    for q in range(q0, q1):
        c0r, c0i, c1r, c1i = cr[q, 0], ci[q, 0], cr[q, 1], ci[q, 1]
        for i in range(size - 1, -1, -1):
            vr = xr[i]
            vi = xi[i]
            xr[2 * i] = vr * c0r - vi * c0i
            xi[2 * i] = vr * c0i + vi * c0r
            xr[2 * i + 1] = vr * c1r - vi * c1i
            xi[2 * i + 1] = vr * c1i + vi * c1r
        size *= 2


@nb.njit(**_JIT)
def _product(cr, ci, n, nh, re, im, cplx, hr, hi, lr, li):  # pragma: no cover - compiled
    """re + i im = the product state of the columns."""
    _half_product(cr, ci, 0, nh, hr, hi)
    _half_product(cr, ci, nh, n, lr, li)
    _outer(hr, hi, lr, li, nh, 1 << (n - nh), re, im, cplx)


@nb.njit(**_JIT)
def _outer(hr, hi, lr, li, nh, nl, re, im, cplx):  # pragma: no cover - compiled
    """re + i im = H (x) L, x = h nl + l (the imaginary part only if `cplx`)."""
    unl = np.uint64(nl)
    for h in range(1 << nh):
        a = hr[h]
        b = hi[h]
        o = np.uint64(h) * unl
        for l in range(unl):  # noqa: E741
            re[o + l] = a * lr[l] - b * li[l]
        if cplx:
            for l in range(unl):  # noqa: E741
                im[o + l] = a * li[l] + b * lr[l]


@nb.njit(**_JIT)
def _initial_grads(cs, init, fcode, fslot, fconst, zslot, n, nh, lr_, li_, cplx, cr, ci, g, hr,
                   hi, lr, li, ar, ai, br, bi):  # pragma: no cover - compiled
    """Derivatives of the initial (product-state) operations from lambda alone.

    At the product state phi = (x)_q v_q the reduced matrix of qubit q is
    r[a, c] = v_q[c] nu_q[a], nu_q[a] = sum over the other qubits of conj(lam) times their
    factors: contract lambda with the top half's product (A, over the bottom qubits) and with
    the bottom half's (B, over the top qubits), then each qubit's nu from its half's vector.
    """
    nl = 1 << (n - nh)
    unl = np.uint64(nl)
    _half_product(cr, ci, 0, nh, hr, hi)
    _half_product(cr, ci, nh, n, lr, li)
    ar[:] = 0.0
    ai[:] = 0.0
    for h in range(1 << nh):
        vr = hr[h]
        vi = hi[h]
        o = np.uint64(h) * unl
        for l in range(unl):  # noqa: E741  conj(lam) v
            ar[l] += lr_[o + l] * vr
            ai[l] += lr_[o + l] * vi
        if cplx:
            for l in range(unl):  # noqa: E741
                ar[l] += li_[o + l] * vi
                ai[l] -= li_[o + l] * vr
    _rows_dot(lr_, li_, cplx, lr, li, 1 << nh, nl, br, bi)
    for r in range(init.shape[0]):
        q = init[r, 0]
        if q >= nh:
            nu0, nu1 = _contract(ar, ai, nh, n, q, cr, ci, lr, li)
        else:
            nu0, nu1 = _contract(br, bi, 0, nh, q, cr, ci, lr, li)
        v0 = complex(cr[q, 0], ci[q, 0])
        v1 = complex(cr[q, 1], ci[q, 1])
        r00, r01, r10, r11 = nu0 * v0, nu0 * v1, nu1 * v0, nu1 * v1
        _factor_grads(cs, fcode, fslot, fconst, init[r, 1], init[r, 2], r00.imag, r11.imag,
                      r01.imag + r10.imag, r01.real - r10.real, g)
        for z in range(init[r, 3], init[r, 4]):
            g[zslot[z]] += r00.imag - r11.imag


@nb.njit(**_JIT)
def _rows_dot(xr, xi, cplx, lr, li, nr, nl, br, bi):  # pragma: no cover - compiled
    """B[h] = sum_l conj(x[h nl + l]) L[l] for the nr rows h of x, each sum over l in order;
    four rows at a time (eight independent sums instead of one chain of dependent adds)."""
    h0 = 0
    while h0 + 4 <= nr:
        o0 = h0 * nl
        o1, o2, o3 = o0 + nl, o0 + 2 * nl, o0 + 3 * nl
        r0 = r1 = r2 = r3 = i0 = i1 = i2 = i3 = 0.0
        for l in range(nl):  # noqa: E741
            a, b = lr[l], li[l]
            x0, x1, x2, x3 = xr[o0 + l], xr[o1 + l], xr[o2 + l], xr[o3 + l]
            if cplx:
                y0, y1, y2, y3 = xi[o0 + l], xi[o1 + l], xi[o2 + l], xi[o3 + l]
            else:
                y0 = y1 = y2 = y3 = 0.0
            r0 += x0 * a + y0 * b
            i0 += x0 * b - y0 * a
            r1 += x1 * a + y1 * b
            i1 += x1 * b - y1 * a
            r2 += x2 * a + y2 * b
            i2 += x2 * b - y2 * a
            r3 += x3 * a + y3 * b
            i3 += x3 * b - y3 * a
        br[h0], br[h0 + 1], br[h0 + 2], br[h0 + 3] = r0, r1, r2, r3
        bi[h0], bi[h0 + 1], bi[h0 + 2], bi[h0 + 3] = i0, i1, i2, i3
        h0 += 4
    for h in range(h0, nr):
        sr = 0.0
        si = 0.0
        for l in range(nl):  # noqa: E741
            x = xr[h * nl + l]
            y = xi[h * nl + l] if cplx else 0.0
            sr += x * lr[l] + y * li[l]
            si += x * li[l] - y * lr[l]
        br[h] = sr
        bi[h] = si


@nb.njit(**_JIT)
def _contract(vr, vi, q0, q1, q, cr, ci, sr, si):  # pragma: no cover - compiled
    """(nu[0], nu[1]): the vector (vr + i vi) over qubits q0 .. q1-1 (q0 the most significant
    bit) contracted with the columns of every qubit but q, which is left as the index: the
    qubits after q folded away from the least significant bit, those before it from the most
    significant one (halving sizes; `sr`, `si` scratch of the vector's length)."""
    size = 1 << (q1 - q0)
    sr[:size] = vr[:size]
    si[:size] = vi[:size]
    for q2 in range(q1 - 1, q, -1):  # the least significant bit: pairs (2i, 2i + 1)
        size >>= 1
        c0r, c0i, c1r, c1i = cr[q2, 0], ci[q2, 0], cr[q2, 1], ci[q2, 1]
        for i in range(size):
            ar, ai_, br, bi = sr[2 * i], si[2 * i], sr[2 * i + 1], si[2 * i + 1]
            sr[i] = (ar * c0r - ai_ * c0i) + (br * c1r - bi * c1i)
            si[i] = (ar * c0i + ai_ * c0r) + (br * c1i + bi * c1r)
    for q2 in range(q0, q):  # the most significant bit: pairs (i, i + size / 2)
        size >>= 1
        c0r, c0i, c1r, c1i = cr[q2, 0], ci[q2, 0], cr[q2, 1], ci[q2, 1]
        for i in range(size):
            ar, ai_, br, bi = sr[i], si[i], sr[i + size], si[i + size]
            sr[i] = (ar * c0r - ai_ * c0i) + (br * c1r - bi * c1i)
            si[i] = (ar * c0i + ai_ * c0r) + (br * c1i + bi * c1r)
    return complex(sr[0], si[0]), complex(sr[1], si[1])


# ----------------------------------------------------------------------------- drivers
@nb.njit(**_JIT)
def _gate(cs, row, re, im, cplx, inverse, fcode, fslot, fconst):  # pragma: no cover - compiled
    """Apply a non-diagonal operation `row` (single-qubit, controlled or a permutation), or its
    inverse, to one state row."""
    kind = row[0]
    s = row[1]
    if kind >= _CNOT:
        _perm(re, kind, s, row[2])
        if cplx:
            _perm(im, kind, s, row[2])
        return
    m00, m01, m10, m11 = _matrix(cs, fcode, fslot, fconst, row[3], row[4])
    if inverse:
        m00, m01, m10, m11 = m00.conjugate(), m10.conjugate(), m01.conjugate(), m11.conjugate()
    if kind == _U1_REAL:
        _real2(re, s, m00.real, m01.real, m10.real, m11.real)
        if cplx:
            _real2(im, s, m00.real, m01.real, m10.real, m11.real)
    elif kind == _U1:
        _cplx2(re, im, s, (m00, m01, m10, m11))
    else:
        _ctrl2(re, im, cplx, row[2], s, (m00, m01, m10, m11))


@nb.njit(**_JIT)
def _pair_gate(cs, row, other, re, im, cplx, inverse, fcode, fslot, fconst
               ):  # pragma: no cover - compiled
    """Apply two commuting real single-qubit operations (or their inverses) in one pass."""
    a00, a01, a10, a11 = _matrix(cs, fcode, fslot, fconst, row[3], row[4])
    b00, b01, b10, b11 = _matrix(cs, fcode, fslot, fconst, other[3], other[4])
    if inverse:
        a = (a00.real, a10.real, a01.real, a11.real)
        b = (b00.real, b10.real, b01.real, b11.real)
    else:
        a = (a00.real, a01.real, a10.real, a11.real)
        b = (b00.real, b01.real, b10.real, b11.real)
    if row[1] > other[1]:
        _real22(re, row[1], other[1], a, b)
        if cplx:
            _real22(im, row[1], other[1], a, b)
    else:
        _real22(re, other[1], row[1], b, a)
        if cplx:
            _real22(im, other[1], row[1], b, a)


@nb.njit(**_JIT)
def _copy(dst, src):  # pragma: no cover - compiled
    """dst[:] = src, as one vectorised loop (numba's slice assignment of a row of a 4-d array
    measured several times slower)."""
    for x in range(src.shape[0]):
        dst[x] = src[x]


@nb.njit(**_JIT)
def forward_rows(theta, out_re, out_im, cplx, n_ops, init, ops, fcode, fslot, fconst, fixed_re,
                 fixed_im, pops, n, ck, halves, store):  # pragma: no cover - compiled
    """Final states of the rows of `theta` into (out_re, out_im) (out_im unused unless cplx):
    the product state, then operations ``ops[:n_ops]``. With `store`, the state before each run
    of commuting operations goes to checkpoint ``ck[c, b]`` (C, B, 1 or 2, 2**n: real and
    imaginary part; `adjoint_rows` restores it) and the row's half-angle table
    (`_half_angles`) to ``halves[b]`` (B, P, 2); without, ``halves[0]`` is scratch."""
    nh = n >> 1
    dim = 1 << n
    br, bi, ones = np.empty(dim), np.empty(dim), np.ones(dim)
    hr, hi = np.empty(1 << nh), np.empty(1 << nh)
    lr, li = np.empty(1 << (n - nh)), np.empty(1 << (n - nh))
    ang, qs = np.empty(n), np.empty(n, dtype=np.int64)
    cr, ci = np.empty((n, 2)), np.empty((n, 2))
    for b in range(theta.shape[0]):
        th = theta[b]
        re = out_re[b]
        im = out_im[b]
        cs = halves[b] if store else halves[0]
        _half_angles(th, cs)
        _columns(cs, init, fcode, fslot, fconst, n, cr, ci)
        _product(cr, ci, n, nh, re, im, cplx, hr, hi, lr, li)
        for k in range(n_ops):
            row = ops[k]
            if store and row[11] >= 0 and row[10] < 0:
                _copy(ck[row[11], b, 0], re)
                if cplx:
                    _copy(ck[row[11], b, 1], im)
            if row[0] == _DIAG:
                _diag(th, cs, row, pops, fixed_re, fixed_im, n, nh, hr, hi, lr, li, ang, qs, ones,
                      br, bi, re, im, re, im, False, cplx, False, br)
            elif row[12] >= 0:
                _pair_gate(cs, row, ops[row[12]], re, im, cplx, False, fcode, fslot, fconst)
            elif row[12] == -1:
                _gate(cs, row, re, im, cplx, False, fcode, fslot, fconst)


@nb.njit(**_JIT)
def _real_grads(cs, row, fcode, fslot, fconst, zslot, s3, g, zs, n):  # pragma: no cover
    """The derivatives of real operation `row` from its sum s3 (`_sum_real`), and those of the
    RZ phases sunk from it, ``zs[q]`` (`_z_all`). A lone RY factor (M = Y in `_factor_grads`,
    Im M01 = -1) adds -s3 directly: the value the general formula gives."""
    if row[4] - row[3] == 1 and fcode[row[3]] == 2:
        g[fslot[row[3]]] += -s3
    else:
        _factor_grads(cs, fcode, fslot, fconst, row[3], row[4], 0.0, 0.0, 0.0, s3, g)
    if row[9] > row[8]:
        sz = zs[n - 1 - int(np.log2(row[1]) + 0.5)]
        for z in range(row[8], row[9]):
            g[zslot[z]] += sz


@nb.njit(**_JIT)
def _op_grads(cs, row, fcode, fslot, fconst, zslot, xr, xi, pr, pi, cplx, t, g, zs, n
              ):  # pragma: no cover - compiled
    """Add the derivatives of single-qubit operation `row` at the current position of lambda
    (xr, xi) and phi (pr, pi), and those of the RZ phases sunk from it: Im <lam| Z_q |phi>,
    ``zs[q]`` from `_zsums` at this position for a real operation, S0 - S1 for a complex one."""
    kind = row[0]
    f0, f1, z0, z1 = row[3], row[4], row[8], row[9]
    if kind == _U1_REAL:
        s3 = _sum_real(xr, xi, pr, pi, cplx, row[1], t[0])
        _real_grads(cs, row, fcode, fslot, fconst, zslot, s3, g, zs, n)
        return
    parametric = False
    for f in range(f0, f1):
        parametric = parametric or fcode[f] != 0
    if not parametric and z1 == z0:
        return
    if kind == _U1:
        s0, s1, s2, s3 = _sums_cplx(xr, xi, pr, pi, row[1], t)
        sz = s0 - s1
    else:
        s0, s1, s2, s3 = _sums_ctrl(xr, xi, pr, pi, cplx, row[2], row[1], t)
        sz = 0.0
    _factor_grads(cs, fcode, fslot, fconst, f0, f1, s0, s1, s2, s3, g)
    for z in range(z0, z1):
        g[zslot[z]] += sz


@nb.njit(**_JIT)
def _z_all(xr, xi, pr, pi, cplx, n, w, zs, u, v, d, fresh):  # pragma: no cover - compiled
    """zs[q] = Im <lam| Z_q |phi> for every qubit (0 for real states): one pass for
    w = Im(conj(lam) phi) unless `fresh` (w holds it already), then `_zsums`."""
    if not cplx:
        zs[:] = 0.0
        return
    if not fresh:
        for x in range(w.shape[0]):
            w[x] = xr[x] * pi[x] - xi[x] * pr[x]
    _zsums(w, n, zs, u, v, d)


@nb.njit(**_JIT)
def _run_back(cs, ops, k0, k1, fcode, fslot, fconst, zslot, xr, xi, pr, pi, cplx, t, g, zs, n,
              acc, size, s3):  # pragma: no cover - compiled
    """The derivatives of the run of commuting operations k0 .. k1 at its end (the real
    operations' sums together, `_run_sums`), then its un-apply from lambda (phi is restored from
    a checkpoint by the caller)."""
    _run_sums(ops, k0, k1, xr, xi, pr, pi, cplx, acc, size, s3)
    for j in range(k1, k0 - 1, -1):
        if ops[j, 0] == _U1_REAL:
            _real_grads(cs, ops[j], fcode, fslot, fconst, zslot, s3[j - k0], g, zs, n)
        else:
            _op_grads(cs, ops[j], fcode, fslot, fconst, zslot, xr, xi, pr, pi, cplx, t, g, zs, n)
    for j in range(k1, k0 - 1, -1):
        if ops[j, 12] >= 0:
            _pair_gate(cs, ops[j], ops[ops[j, 12]], xr, xi, cplx, True, fcode, fslot, fconst)
        elif ops[j, 12] == -1:
            _gate(cs, ops[j], xr, xi, cplx, True, fcode, fslot, fconst)


@nb.njit(**_JIT)
def adjoint_rows(theta, phi_re, phi_im, lam_re, lam_im, grads, cplx, n_ops, init, ops, fcode,
                 fslot, fconst, fixed_re, fixed_im, pops, zslot, n, ck, halves
                 ):  # pragma: no cover - compiled
    """Add to `grads` (B, P) the adjoint derivatives sum_m w_m d<O_m>/dtheta of every row, from
    the final states phi and lambda = sum_m w_m O_m phi (both consumed) and the checkpoints and
    half-angle tables `forward_rows` stored.

    The sweep walks ``ops[:n_ops]`` backwards. A run of commuting single-qubit operations
    (`etr.quantum.program`) takes all its derivatives at its end (each is invariant under the
    run's other operations, which act on other qubits), is un-applied from lambda, and phi is
    restored from the run's checkpoint. Any other operation adds its derivatives (`_op_grads`,
    `_diag_grads`) and is un-applied from both states. The initial product state's derivatives
    come from lambda alone (`_initial_grads`).
    """
    nh = n >> 1
    dim = 1 << n
    half = max(dim >> 1, 1)
    br, bi, ones, w = np.empty(dim), np.empty(dim), np.ones(dim), np.empty(dim)
    hr, hi = np.empty(1 << nh), np.empty(1 << nh)
    lr, li = np.empty(1 << (n - nh)), np.empty(1 << (n - nh))
    ar, ai = np.empty(1 << (n - nh)), np.empty(1 << (n - nh))
    cbr, cbi = np.empty(1 << nh), np.empty(1 << nh)
    ang, zs, qs = np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
    u, v, d = np.empty(half), np.empty(half), np.empty(half)
    t = np.empty((4, half))
    cr, ci = np.empty((n, 2)), np.empty((n, 2))
    acc, size, s3 = np.empty((n, half)), np.empty(n, dtype=np.int64), np.empty(n)
    for b in range(theta.shape[0]):
        th = theta[b]
        cs = halves[b]
        g = grads[b]
        pr = phi_re[b]
        pi = phi_im[b]
        xr = lam_re[b]
        xi = lam_im[b]
        k = n_ops - 1
        fresh = False  # w = Im(conj(lam) phi) at the current position (from a diagonal layer)
        while k >= 0:
            row = ops[k]
            kind = row[0]
            k0 = row[10]
            if k0 >= 0:  # the end of a run k0 .. k
                sunk = False
                for j in range(k0, k + 1):
                    sunk = sunk or (ops[j, 9] > ops[j, 8] and ops[j, 0] == _U1_REAL)
                if sunk:
                    _z_all(xr, xi, pr, pi, cplx, n, w, zs, u, v, d, fresh)
                fresh = False
                _run_back(cs, ops, k0, k, fcode, fslot, fconst, zslot, xr, xi, pr, pi, cplx, t, g,
                          zs, n, acc, size, s3)
                # phi at the run's start: its checkpoint, used in place (it is not needed again)
                pr = ck[row[11], b, 0]
                if cplx:
                    pi = ck[row[11], b, 1]
                k = k0 - 1
                continue
            if kind == _DIAG:
                _diag_grads(th, row, pops, xr, xi, pr, pi, n, g, w, zs, u, v, d)
                fresh = _diag(th, cs, row, pops, fixed_re, fixed_im, n, nh, hr, hi, lr, li, ang, qs,
                              ones, br, bi, xr, xi, pr, pi, k > 0, cplx, True, w)
            else:
                if kind <= _CU1:
                    if kind == _U1_REAL and row[9] > row[8]:
                        _z_all(xr, xi, pr, pi, cplx, n, w, zs, u, v, d, fresh)
                    _op_grads(cs, row, fcode, fslot, fconst, zslot, xr, xi, pr, pi, cplx, t, g,
                              zs, n)
                fresh = False
                _gate(cs, row, xr, xi, cplx, True, fcode, fslot, fconst)
                if k > 0:
                    _gate(cs, row, pr, pi, cplx, True, fcode, fslot, fconst)
            k -= 1
        if init.shape[0]:
            _columns(cs, init, fcode, fslot, fconst, n, cr, ci)
            _initial_grads(cs, init, fcode, fslot, fconst, zslot, n, nh, xr, xi, cplx, cr, ci, g,
                           hr, hi, lr, li, ar, ai, cbr, cbi)


# ----------------------------------------------------------------------------- diagonal observables
@nb.njit(**_INLINE)
def _probs(re, im, cplx, p):  # pragma: no cover - compiled
    """p = |psi|^2 of one row (re + i im; im unused unless `cplx`)."""
    for x in range(re.shape[0]):
        p[x] = re[x] * re[x]
    if cplx:
        for x in range(re.shape[0]):
            p[x] += im[x] * im[x]


@nb.njit(**_JIT)
def diag_values(re, im, cplx, coef, out):  # pragma: no cover - compiled
    """out[b, m] = sum_x |psi_b(x)|^2 coef[m, x] for diagonal observables (coefficient rows
    ``coef[m]``), each sum by `_treesum`: a row's values depend on that row alone."""
    dim = re.shape[1]
    p = np.empty(dim)
    t = np.empty(dim)
    for b in range(re.shape[0]):
        _probs(re[b], im[b], cplx, p)
        for m in range(coef.shape[0]):
            for x in range(dim):
                t[x] = p[x] * coef[m, x]
            out[b, m] = _treesum(t, dim)


@nb.njit(**_JIT)
def diag_lambda(re, im, cplx, coef, w, lam_re, lam_im):  # pragma: no cover - compiled
    """lambda_b = (sum_m w[b, m] coef[m]) psi_b for diagonal observables (the sum over m in
    order)."""
    dim = re.shape[1]
    c = np.empty(dim)
    for b in range(re.shape[0]):
        c[:] = 0.0
        for m in range(coef.shape[0]):
            wm = w[b, m]
            for x in range(dim):
                c[x] += wm * coef[m, x]
        for x in range(dim):
            lam_re[b, x] = re[b, x] * c[x]
        if cplx:
            for x in range(dim):
                lam_im[b, x] = im[b, x] * c[x]


@nb.njit(**_JIT)
def z_values(re, im, cplx, qubits, out):  # pragma: no cover - compiled
    """`diag_values` for single-qubit Z observables (qubit ``qubits[m]``): all <Z_q> of a row
    from one fold of |psi|^2 (`_zsums`)."""
    dim = re.shape[1]
    n = int(np.log2(dim) + 0.5)
    half = max(dim >> 1, 1)
    p, u, v, d, zs = np.empty(dim), np.empty(half), np.empty(half), np.empty(half), np.empty(n)
    for b in range(re.shape[0]):
        _probs(re[b], im[b], cplx, p)
        _zsums(p, n, zs, u, v, d)
        for m in range(qubits.shape[0]):
            out[b, m] = zs[qubits[m]]


@nb.njit(**_JIT)
def z_lambda(re, im, cplx, qubits, w, lam_re, lam_im):  # pragma: no cover - compiled
    """`diag_lambda` for single-qubit Z observables: lambda_b = c psi_b with
    c(x) = sum_q W_q (1 - 2 bit_q(x)), W_q the weights of qubit q, as H[h] + L[l] over the top
    and bottom halves of the qubits (one pass)."""
    dim = re.shape[1]
    n = int(np.log2(dim) + 0.5)
    nh = n >> 1
    hw, lw = np.empty(1 << nh), np.empty(1 << (n - nh))
    wq = np.empty(n)
    unl = np.uint64(1 << (n - nh))
    for b in range(re.shape[0]):
        wq[:] = 0.0
        for m in range(qubits.shape[0]):
            wq[qubits[m]] += w[b, m]
        for part in range(2):
            t = hw if part == 0 else lw
            q0, q1 = (0, nh) if part == 0 else (nh, n)
            t[0] = 0.0
            size = 1
            for q in range(q0, q1):
                for i in range(size - 1, -1, -1):
                    t[2 * i + 1] = t[i] - wq[q]
                    t[2 * i] = t[i] + wq[q]
                size *= 2
        for h in range(1 << nh):
            o = np.uint64(h) * unl
            for l in range(unl):  # noqa: E741
                lam_re[b, o + l] = re[b, o + l] * (hw[h] + lw[l])
            if cplx:
                for l in range(unl):  # noqa: E741
                    lam_im[b, o + l] = im[b, o + l] * (hw[h] + lw[l])
