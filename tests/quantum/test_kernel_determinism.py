"""The kernels give the same bits whatever the process computed before (`etr.quantum._kernels`).

The history effect lives in numba's machine code, so it shows only across processes: each case
runs in fresh interpreters after one run that fills numba's on-disk cache (the effect needs the
cached code: a cached kernel links to a copy of its callee loaded earlier).
"""

from __future__ import annotations

import subprocess
import sys
import types

import numba
import numpy as np
import pytest

import etr.metrics._pair_sums as pair_sums
import etr.quantum._kernels as K
import etr.quantum._kernels_split as KS
import etr.theory._kernels as theory_kernels

KERNEL_MODULES = (K, KS, pair_sums, theory_kernels)

# the minimal reproduction: `u1_reduce` with un-apply, in a process that did or did not call
# `u1_apply` first (on main before the fix the two digests differed in every stride)
_REDUCE = """
import hashlib, sys
import numpy as np
from etr.quantum import _kernels_split as KS
if sys.argv[1] == "apply-first":
    z = np.zeros((3, 4))
    KS.u1_apply(z, z.copy(), 1, np.zeros((3, 2, 2), complex))
rng = np.random.default_rng(0)
h = hashlib.sha256()
for n in range(1, 7):
    for s in [1 << k for k in range(n)]:
        lre, lim, pre, pim = (rng.normal(size=(5, 2**n)) for _ in range(4))
        u = rng.normal(size=(5, 2, 2)) + 1j * rng.normal(size=(5, 2, 2))
        r = KS.u1_reduce(lre, lim, pre, pim, s, u, True)
        for a in (lre, lim, pre, pim, r):
            h.update(a.tobytes())
print(h.hexdigest())
"""


def _fresh(script: str, *args: str) -> str:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                         check=True, timeout=300)
    return out.stdout.strip()


def test_reduce_gives_the_same_bits_after_any_history():
    _fresh(_REDUCE, "apply-first")  # fills the on-disk cache
    assert _fresh(_REDUCE, "reduce-first") == _fresh(_REDUCE, "apply-first")


def _strict_mix(u, x0r, x0i, x1r, x1i):
    """The complex 2x2 update of `_kernels_split._mix`, in its source order, one rounding per
    operation (numpy does not contract a * b + c)."""
    ar, ai = u[:, 0, 0].real[:, None], u[:, 0, 0].imag[:, None]
    br, bi = u[:, 0, 1].real[:, None], u[:, 0, 1].imag[:, None]
    cr, ci = u[:, 1, 0].real[:, None], u[:, 1, 0].imag[:, None]
    dr, di = u[:, 1, 1].real[:, None], u[:, 1, 1].imag[:, None]
    return (ar * x0r - ai * x0i + br * x1r - bi * x1i, ar * x0i + ai * x0r + br * x1i + bi * x1r,
            cr * x0r - ci * x0i + dr * x1r - di * x1i, cr * x0i + ci * x0r + dr * x1i + di * x1r)


@pytest.mark.parametrize("n", [1, 3, 5])
def test_apply_kernels_compute_what_the_source_says(n):
    """Strict arithmetic: the kernels equal a numpy evaluation in the source's order bit for bit
    (under fast-math they did not: multiply-adds were contracted)."""
    rng = np.random.default_rng(n)
    b = 4
    u = rng.normal(size=(b, 2, 2)) + 1j * rng.normal(size=(b, 2, 2))
    ur = np.ascontiguousarray(u.real)
    for q in range(n):
        s = 1 << (n - 1 - q)
        i0 = np.array([i for i in range(2**n) if not i & s])  # the qubit's bit is 0
        i1 = i0 + s
        re, im = rng.normal(size=(b, 2**n)), rng.normal(size=(b, 2**n))
        want_re, want_im = re.copy(), im.copy()
        y = _strict_mix(u, re[:, i0], im[:, i0], re[:, i1], im[:, i1])
        want_re[:, i0], want_im[:, i0], want_re[:, i1], want_im[:, i1] = y
        got_re, got_im = re.copy(), im.copy()
        KS.u1_apply(got_re, got_im, s, u)
        assert np.array_equal(got_re, want_re) and np.array_equal(got_im, want_im)
        want = re.copy()
        m = ur[:, :, :, None]
        want[:, i0] = m[:, 0, 0] * re[:, i0] + m[:, 0, 1] * re[:, i1]
        want[:, i1] = m[:, 1, 0] * re[:, i0] + m[:, 1, 1] * re[:, i1]
        got = re.copy()
        K.u1_apply(got, s, ur)
        assert np.array_equal(got, want)


def _dispatchers(module: types.ModuleType) -> dict[str, numba.core.registry.CPUDispatcher]:
    return {name: obj for name, obj in vars(module).items()
            if isinstance(obj, numba.core.registry.CPUDispatcher)}


def _callees(d: numba.core.registry.CPUDispatcher) -> list[numba.core.registry.CPUDispatcher]:
    glob = d.py_func.__globals__
    return [glob[name] for name in d.py_func.__code__.co_names
            if isinstance(glob.get(name), numba.core.registry.CPUDispatcher)]


def _inlined(d: numba.core.registry.CPUDispatcher) -> bool:
    return d.targetoptions.get("inline") == "always"


def test_fast_math_kernels_are_pinned_leaves():
    """A fast-math kernel exists once per process: one explicit signature (no further
    specialisation), no kernel calls it, and it calls only helpers inlined into it."""
    fast = {}
    every = {}
    for module in KERNEL_MODULES:
        for name, d in _dispatchers(module).items():
            every[f"{module.__name__}.{name}"] = d
            if d.targetoptions.get("fastmath"):
                fast[f"{module.__name__}.{name}"] = d
    assert "etr.quantum._kernels.u1_reduce" in fast  # the rule is exercised
    for name, d in fast.items():
        assert not d._can_compile and len(d.signatures) == 1, name
        assert all(_inlined(c) for c in _callees(d)), name
    fast_ids = {id(d) for d in fast.values()}
    for name, d in every.items():
        assert not any(id(c) in fast_ids for c in _callees(d)), f"{name} calls a fast-math kernel"
