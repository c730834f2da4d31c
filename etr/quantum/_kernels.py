"""numba kernels acting in place on a batch of state vectors ``state[b, x]`` (real or complex).

A qubit is addressed by its stride ``s = 2**(n-1-q)`` (qubit 0 is the most significant bit). Every
kernel loops over the batch and then over the amplitude pairs it couples; the arrays stay in cache
because callers process chunks of a few MB.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = [
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

_JIT = {"cache": True, "nogil": True, "fastmath": False}


@nb.njit(**_JIT)
def u1_apply(state, s, u):  # pragma: no cover - compiled
    """state <- (u[b] on the qubit with stride s) state, u of shape (B, 2, 2)."""
    n_b, dim = state.shape
    for b in range(n_b):
        u00, u01, u10, u11 = u[b, 0, 0], u[b, 0, 1], u[b, 1, 0], u[b, 1, 1]
        row = state[b]
        for base in range(0, dim, 2 * s):
            for i in range(base, base + s):
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
    n_b, dim = state.shape
    for b in range(n_b):
        e0 = e[b]
        e1 = np.conj(e0)
        row = state[b]
        for i in range(dim):
            row[i] *= e1 if i & s else e0


@nb.njit(**_JIT)
def cphase1_apply(state, c, s, e):  # pragma: no cover - compiled
    """Controlled diag(e[b], conj(e[b])) (CRZ)."""
    n_b, dim = state.shape
    for b in range(n_b):
        e0 = e[b]
        e1 = np.conj(e0)
        row = state[b]
        for i in range(dim):
            if i & c:
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


@nb.njit(**_JIT)
def u1_reduce(lam, phi, s):  # pragma: no cover - compiled
    """r[b, a, c] = sum over the other qubits of conj(lam[.., a, ..]) * phi[.., c, ..]."""
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
                l0 = np.conj(l_row[i])
                l1 = np.conj(l_row[i + s])
                p0 = p_row[i]
                p1 = p_row[i + s]
                r00 += l0 * p0
                r01 += l0 * p1
                r10 += l1 * p0
                r11 += l1 * p1
        r[b, 0, 0] = r00
        r[b, 0, 1] = r01
        r[b, 1, 0] = r10
        r[b, 1, 1] = r11
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
                    l0 = np.conj(l_row[i])
                    l1 = np.conj(l_row[i + s])
                    p0 = p_row[i]
                    p1 = p_row[i + s]
                    r00 += l0 * p0
                    r01 += l0 * p1
                    r10 += l1 * p0
                    r11 += l1 * p1
        r[b, 0, 0] = r00
        r[b, 0, 1] = r01
        r[b, 1, 0] = r10
        r[b, 1, 1] = r11
    return r
