"""The row-by-row kernels (`etr.quantum._kernels_rows`): wide circuits against the
operation-by-operation path and QuTiP, and the determinism a row engine promises (a row's bits
depend on that row alone, whatever chunk it is in and whatever the process ran before).

The gradient and state tests of `test_gradients.py` and `test_statevector.py` run on both
engines (the `engine` fixture)."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from etr.circuits import Ansatz, encoded_circuit, hardware_efficient, sim_circuit
from etr.quantum import (
    compile_ansatz,
    expectation_and_gradient,
    expectation_vjp,
    expectations,
    parameter_shift_gradient,
    qutip_statevectors,
    statevectors,
)
from etr.quantum._kernels_rows import BLOCK
from etr.quantum.gradients import _adjoint_chunk
from etr.quantum.program import lower
from etr.quantum.statevector import (
    _ADJOINT_CHUNK_BYTES,
    adjoint_chunk_size,
    as_observables,
    default_chunk_size,
    simulate,
)

WIDE = {
    "ry+rz cz linear": hardware_efficient(10, 3, rotations="RY+RZ"),
    "ry cz ring (real)": hardware_efficient(9, 3, rotations="RY", topology="ring"),
    "rx+ry+rz cnot full": hardware_efficient(8, 2, rotations="RX+RY+RZ", entangler="CNOT",
                                             topology="full"),
    "ry+rz crz star": hardware_efficient(9, 2, rotations="RY+RZ", entangler="CRZ",
                                         topology="star"),
    "sim6 (crx)": sim_circuit(6, 8, 1),
    "sim11": sim_circuit(11, 10, 2),
}



def _readout(n: int) -> list[str]:
    return [f"{'I' * q}Z{'I' * (n - 1 - q)}" for q in range(n)]


@pytest.mark.parametrize("name", sorted(WIDE))
def test_wide_circuits_both_engines_agree_with_each_other_and_qutip(name, rng, uniform_params):
    """Every stride from 1 to 512, pairs of real operations, runs and checkpoints, sunk RZ
    phases and the diagonal tail, against the operation-by-operation path (1e-12) and QuTiP."""
    a = WIDE[name]
    p = uniform_params(a, 3, rng)
    c = compile_ansatz(a)
    rows = simulate(c, p, split=True, rows=True)
    ops = simulate(c, p, split=True, rows=False)
    np.testing.assert_allclose(rows, ops, atol=1e-12, rtol=0)
    ref = qutip_statevectors(a, p[:1])
    np.testing.assert_allclose(rows[0, :1] + 1j * rows[1, :1], ref, atol=1e-10, rtol=0)
    n = a.n_qubits
    for obs in (_readout(n), ["X" + "I" * (n - 2) + "Y", "Z" * n, "global"]):
        o = as_observables(obs, n)
        w = rng.normal(size=(3, len(obs)))
        v_r, g_r = _adjoint_chunk(c, p, o, lambda values, w=w: w, rows=True)
        v_o, g_o = _adjoint_chunk(c, p, o, lambda values, w=w: w, rows=False)
        np.testing.assert_allclose(v_r, v_o, atol=1e-12, rtol=0)
        np.testing.assert_allclose(g_r, g_o, atol=1e-11, rtol=0)
        assert np.abs(g_o).max() > 1e-3


def test_a_rows_bits_do_not_depend_on_its_chunk(rng, uniform_params):
    """The row engine computes each row on its own (no BLAS, no reduction across rows): values
    and gradients of a row are the same bits alone, in any chunk, at any chunk size."""
    blocks = [hardware_efficient(10, 1, rotations="RY+RZ").shifted(0) for _ in range(3)]
    a, _ = encoded_circuit(blocks, "ry")
    p = uniform_params(a, 9, rng)
    cot = rng.normal(size=(9, 10))
    full_v, full_g = expectation_vjp(a, p, _readout(10), cot)
    for size in (1, 2, 4):
        v, g = expectation_vjp(a, p, _readout(10), cot, chunk_size=size)
        assert np.array_equal(v, full_v) and np.array_equal(g, full_g)
    v, g = expectation_vjp(a, p[5:6], _readout(10), cot[5:6])
    assert np.array_equal(v, full_v[5:6]) and np.array_equal(g, full_g[5:6])
    e = expectations(a, p[::-1], _readout(10))
    assert np.array_equal(e[::-1], full_v)
    s = statevectors(a, p[3:5])
    assert np.array_equal(s, statevectors(a, p)[3:5])


_HISTORY = """
import hashlib, sys
import numpy as np
from etr.circuits import hardware_efficient, sim_circuit
from etr.quantum import expectation_vjp, statevectors
if sys.argv[1] == "other-work-first":
    b = sim_circuit(11, 9, 1)
    statevectors(b, np.ones((2, b.n_params)))
    c = hardware_efficient(8, 1, rotations="RY")
    expectation_vjp(c, np.ones((3, c.n_params)), ["Z" * 8], np.ones((3, 1)))
h = hashlib.sha256()
for a in (hardware_efficient(10, 2, rotations="RY+RZ"), sim_circuit(6, 8, 1)):
    p = np.random.default_rng(0).uniform(0, 6.3, size=(5, a.n_params))
    n = a.n_qubits
    v, g = expectation_vjp(a, p, ["Z" + "I" * (n - 1), "X" * n], np.ones((5, 2)))
    for x in (v, g, statevectors(a, p)):
        h.update(x.tobytes())
print(h.hexdigest())
"""


def _fresh(*args: str) -> str:
    out = subprocess.run([sys.executable, "-c", _HISTORY, *args], capture_output=True, text=True,
                         check=True, timeout=600)
    return out.stdout.strip()


def test_the_same_bits_whatever_the_process_ran_before():
    """Strict IEEE arithmetic in every row kernel: each machine-code copy of a kernel numba
    holds (inlined into different callers, loaded from the on-disk cache) gives the same bits,
    so results do not depend on what the process computed first (see `etr.quantum._kernels`)."""
    first = _fresh("other-work-first")  # also fills the on-disk cache
    assert _fresh("fresh") == first == _fresh("other-work-first")
    assert len(first) == len(hashlib.sha256().hexdigest())


def test_diagonal_observables_skip_the_diagonal_tail(rng, uniform_params):
    """A trailing diagonal layer (the last CZ layer with the last RZs) changes no value of a
    Z-string observable and its parameters have derivative 0: the row engine skips it, and
    agrees with the full circuit."""
    a = hardware_efficient(9, 2, rotations="RY+RZ")
    p = uniform_params(a, 2, rng)
    obs = [*_readout(9), "global", "ZZIIIIIIZ"]
    full = qutip_statevectors(a, p)
    want = [np.einsum("bi,bi->b", full.conj(), o.apply(full)).real
            for o in as_observables(obs, 9)]
    np.testing.assert_allclose(expectations(a, p, obs), np.stack(want, axis=1), atol=1e-12)
    _, grads = expectation_and_gradient(a, p, "IIIIZIIII")
    last_rz = [g.slot for g in a.gates[-26:] if g.name == "RZ"]  # 9 x (RY, RZ), 8 CZ
    assert len(last_rz) == 9 and np.all(grads[:, last_rz] == 0.0)


def _partial_layers(n: int, rotations: tuple[str, ...]) -> Ansatz:
    """Layers whose runs leave qubits out (so pairs of operations straddle a block of
    `BLOCK` amplitudes) and mix complex operations (RX then RY) with real ones (RY)."""
    gates: list[tuple] = [("H", q) for q in range(n)]
    for skip in (0, 3, n - 1):
        gates += [("CZ", q, q + 1) for q in range(n - 1)]
        for q in range(n):
            if q == skip:
                continue
            gates += [(r, q) for r in (rotations if q % 3 else ("RY",))]
    return Ansatz.from_gates(n, gates, name=f"partial{n}")


@pytest.mark.parametrize("rotations", [("RY",), ("RY", "RZ"), ("RX", "RY")])
@pytest.mark.parametrize("n", [9, 10])
def test_run_sums_of_partial_mixed_runs_agree_with_both_truths(n, rotations, rng,
                                                               uniform_params):
    """The sums of a run's real operations go row-wide from stride `BLOCK` and block by block
    below it, in pairs where the program pairs them: runs with a qubit left out (a pair
    straddling the block size), complex operations among real ones, real states (RY alone).
    Gradients against the operation engine (1e-11) and the parameter-shift rule (1e-10)."""
    a = _partial_layers(n, rotations)
    c = compile_ansatz(a)
    prog = lower(c)
    runs = [(int(prog.ops[k, 10]), k) for k in np.flatnonzero(prog.ops[:, 10] >= 0)]
    assert runs and any(k - k0 + 1 < n for k0, k in runs)  # a qubit left out of a run
    pairs = [(r[1], prog.ops[r[12], 1]) for r in prog.ops if r[12] >= 0]
    if n == 10 and rotations == ("RY",):
        assert any(max(p) >= BLOCK > min(p) for p in pairs)  # a pair straddling a block
    p = uniform_params(a, 3, rng)
    for obs in (_readout(n), ["X" + "I" * (n - 2) + "X"]):
        o = as_observables(obs, n)
        w = rng.normal(size=(3, len(obs)))
        _, g_r = _adjoint_chunk(c, p, o, lambda values, w=w: w, rows=True)
        _, g_o = _adjoint_chunk(c, p, o, lambda values, w=w: w, rows=False)
        np.testing.assert_allclose(g_r, g_o, atol=1e-11, rtol=0)
        assert np.abs(g_o).max() > 1e-3
    shift = parameter_shift_gradient(a, p[:1], _readout(n)[1])
    _, g = expectation_and_gradient(a, p[:1], _readout(n)[1])
    np.testing.assert_allclose(g, shift, atol=1e-10, rtol=0)


def test_adjoint_chunks_fit_the_cache_budget():
    """Rows per chunk of the row-by-row adjoint: the chunk's states, adjoint states and
    checkpoints (complex) within `_ADJOINT_CHUNK_BYTES`, at least one row, at most the
    forward pass's chunk."""
    for n, layers in ((10, 10), (10, 1), (12, 6), (14, 2), (8, 3)):
        c = compile_ansatz(hardware_efficient(n, layers, rotations="RY+RZ"))
        rows = adjoint_chunk_size(c)
        per_row = (2 + lower(c).n_checkpoints) * 16 * 2**n
        assert 1 <= rows <= default_chunk_size(n)
        assert rows == 1 or rows * per_row <= _ADJOINT_CHUNK_BYTES
        assert rows == default_chunk_size(n) or (rows + 1) * per_row > _ADJOINT_CHUNK_BYTES
