"""Sums over all pairs of states that an all-pairs U-statistic of |<psi_i|psi_j>|^(2t) needs.

The M x M Gram matrix is never held: blocks of ``GRAM_BLOCK`` rows are multiplied with BLAS
``dgemm`` (one product for real states, three for complex ones: the 3M method; one block of
512 x 512 doubles is 2 MB), and a numba kernel turns each block into the kernel values
h = |G|^(2t), adding them to the row sums and to the sum of squares in one pass. Only the upper
block triangle is computed (h is symmetric). Memory: the real and imaginary parts of the
``(M, 2**n)`` states plus a few blocks.

Density matrices (noisy states) enter through their Hilbert-Schmidt inner products
tr(rho sigma) = v_rho . v_sigma, v the stacked real and imaginary parts of the flattened matrix
(both are Hermitian), so h = (v_i . v_j)^t with blocks of the same size (`hs_pair_sums`).

Product states have a cheaper Gram matrix: <a|b> = prod_q <a_q|b_q> over the qubits, n complex
products per pair instead of 2**n multiply-adds (`product_pair_sums`).
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["GRAM_BLOCK", "PairSums", "hs_pair_sums", "pair_sums", "product_pair_sums",
           "split_states"]

#: rows per Gram block (fixed, so that results do not depend on any chunking option).
GRAM_BLOCK = 512


class PairSums:
    """Row sums r_i = sum_{j != i} h_ij and the sum of squares over ordered pairs."""

    __slots__ = ("n", "row_sums", "sum_sq")

    def __init__(self, row_sums: np.ndarray, sum_sq: float) -> None:
        self.row_sums = row_sums
        self.sum_sq = float(sum_sq)
        self.n = row_sums.shape[0]


@nb.njit(cache=True, nogil=True)
def _accumulate(p1, p2, p3, complex_, t, diagonal, r_rows, r_cols):  # pragma: no cover
    """Add h = |G|^(2t) of one block to the row and column sums; return the sum of h^2.

    Real states: G = p1. Complex states: Re G = p1 + p2, Im G = p3 - p1 + p2 (three real
    products, see `pair_sums`). On a diagonal block only the strict upper triangle counts.
    """
    n0, n1 = p1.shape
    s2 = 0.0
    for i in range(n0):
        acc = 0.0
        start = i + 1 if diagonal else 0
        for j in range(start, n1):
            if complex_:
                re = p1[i, j] + p2[i, j]
                im = p3[i, j] - p1[i, j] + p2[i, j]
                x = re * re + im * im
            else:
                x = p1[i, j] * p1[i, j]
            h = x
            for _ in range(t - 1):
                h *= x
            acc += h
            r_cols[j] += h
            s2 += h * h
        r_rows[i] += acc
    return s2


def split_states(states: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(real part, imaginary part or None for real states), float64 and C-contiguous."""
    psi = np.asarray(states)
    if not np.iscomplexobj(psi):
        return np.ascontiguousarray(psi, dtype=np.float64), None
    return np.ascontiguousarray(psi.real), np.ascontiguousarray(psi.imag)


def pair_sums(re: np.ndarray, im: np.ndarray | None, t: int) -> PairSums:
    """Row sums and sum of squares of h_ij = |<psi_i|psi_j>|^(2t) over i != j.

    Parameters
    ----------
    re, im : shape ``(M, D)`` each, the real and imaginary parts of M normalised states
        (``im = None`` for real states); see `split_states`.
    t : positive integer power.

    Notes
    -----
    For complex states <a|b> = sum_k conj(a_k) b_k with a = ar + i ai, b = br + i bi has real
    part ar.br + ai.bi and imaginary part ar.bi - ai.br; with P1 = ar.br, P2 = ai.bi and
    P3 = (ar - ai).(br + bi) = P1 - P2 + ar.bi - ai.br: Re = P1 + P2, Im = P3 - P1 + P2 (the
    sign of Im does not matter for |G|). Three real products instead of the four real products
    of a complex one; the sums ar - ai and br + bi are formed per block.
    """
    m = re.shape[0]
    rows = np.zeros(m)
    s2 = 0.0
    for a in range(0, m, GRAM_BLOCK):
        sa = slice(a, min(a + GRAM_BLOCK, m))
        left = None if im is None else re[sa] - im[sa]
        for b in range(a, m, GRAM_BLOCK):
            sb = slice(b, min(b + GRAM_BLOCK, m))
            p1 = re[sa] @ re[sb].T
            if im is None:
                s2 += _accumulate(p1, p1, p1, False, t, a == b, rows[sa], rows[sb])
            else:
                p2 = im[sa] @ im[sb].T
                p3 = left @ (re[sb] + im[sb]).T
                s2 += _accumulate(p1, p2, p3, True, t, a == b, rows[sa], rows[sb])
    return PairSums(rows, 2.0 * s2)


_F1 = nb.float64[::1]


# fast-math (the sums vectorise) with one pinned signature, called only from Python: one compiled
# copy per process, so the result does not depend on what ran before (etr.quantum._kernels)
@nb.njit(nb.float64(nb.float64[:, :, ::1], nb.int64, nb.int64, nb.int64, nb.int64, nb.int64, _F1,
                    nb.boolean, _F1, _F1), cache=True, nogil=True, fastmath=True)
def _product_block(f, a0, a1, b0, b1, t, r, diagonal, x, y):  # pragma: no cover - compiled
    """Like `_accumulate` for product states; f[q, c, j] holds component c (real parts 0, 1,
    imaginary parts 2, 3) of qubit q of state j, so the inner loop runs over contiguous j."""
    n_q = f.shape[0]
    s2 = 0.0
    for i in range(a0, a1):
        start = i + 1 if diagonal else b0
        if start >= b1:
            continue
        for j in range(start, b1):
            x[j] = 1.0
        for q in range(n_q):
            ar0, ar1, ai0, ai1 = f[q, 0, i], f[q, 1, i], f[q, 2, i], f[q, 3, i]
            for j in range(start, b1):
                # conj(a0) b0 + conj(a1) b1
                re = ar0 * f[q, 0, j] + ai0 * f[q, 2, j] + ar1 * f[q, 1, j] + ai1 * f[q, 3, j]
                im = ar0 * f[q, 2, j] - ai0 * f[q, 0, j] + ar1 * f[q, 3, j] - ai1 * f[q, 1, j]
                x[j] *= re * re + im * im
        if t > 1:
            for j in range(start, b1):
                y[j] = x[j]
        if t > 1:
            for _ in range(t - 1):
                for j in range(start, b1):
                    x[j] *= y[j]
        acc = 0.0
        for j in range(start, b1):
            h = x[j]
            acc += h
            r[j] += h
            s2 += h * h
        r[i] += acc
    return s2


def product_pair_sums(factors: np.ndarray, t: int) -> PairSums:
    """`pair_sums` for product states given by their single-qubit factors, shape ``(M, n, 2)``."""
    c = np.asarray(factors, dtype=np.complex128)
    m = c.shape[0]
    f = np.empty((c.shape[1], 4, m))
    f[:, 0], f[:, 1] = c[:, :, 0].real.T, c[:, :, 1].real.T
    f[:, 2], f[:, 3] = c[:, :, 0].imag.T, c[:, :, 1].imag.T
    rows = np.zeros(m)
    x, y = np.empty(m), np.empty(m)
    s2 = 0.0
    for a in range(0, m, GRAM_BLOCK):
        for b in range(a, m, GRAM_BLOCK):
            s2 += _product_block(f, a, min(a + GRAM_BLOCK, m), b, min(b + GRAM_BLOCK, m), t, rows,
                                 a == b, x, y)
    return PairSums(rows, 2.0 * s2)


def hs_pair_sums(vecs: np.ndarray, t: int) -> PairSums:
    """Row sums and sum of squares of h_ij = (v_i . v_j)^t over i != j: the pair sums of
    tr(rho_i rho_j)^t for density matrices given as real vectors (module notes)."""
    m = vecs.shape[0]
    rows = np.zeros(m)
    s2 = 0.0
    for a in range(0, m, GRAM_BLOCK):
        sa = slice(a, min(a + GRAM_BLOCK, m))
        for b in range(a, m, GRAM_BLOCK):
            sb = slice(b, min(b + GRAM_BLOCK, m))
            h = (vecs[sa] @ vecs[sb].T) ** t
            if a == b:
                h = np.triu(h, 1)
            rows[sa] += h.sum(axis=1)
            rows[sb] += h.sum(axis=0)
            s2 += float(np.sum(h * h))
    return PairSums(rows, 2.0 * s2)
