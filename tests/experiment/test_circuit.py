"""The circuit-level record: each column is the named estimator on its own child seed."""

from __future__ import annotations

import numpy as np

from etr.circuits import hardware_efficient, sim_circuit
from etr.contract import CIRCUIT_COLUMNS
from etr.experiment.circuit import circuit_record
from etr.metrics import frame_potential
from etr.plan import MetricSpec
from etr.theory import lie_algebra


def test_columns_and_independent_estimates():
    a = hardware_efficient(3, 2, topology="ring")
    rec = circuit_record(a, MetricSpec(n_states=300, n_pairs=200, ec_samples=30,
                                       loss_samples=100), seed=7)
    assert list(rec) == list(CIRCUIT_COLUMNS)
    s_fp = np.random.default_rng(np.random.SeedSequence(7).spawn(5)[0])
    fp = frame_potential(a, n_states=300, seed=s_fp)
    assert rec["expressibility_fp"] == fp.ratio
    assert rec["expressibility_fp_ci_low"] <= rec["expressibility_fp"]
    assert rec["expressibility_eps"] == fp.eps
    assert rec["dla_dim"] == lie_algebra(a).dim
    # changing one sample size leaves the other estimates untouched (own child seeds)
    other = circuit_record(a, MetricSpec(n_states=300, n_pairs=200, ec_samples=40,
                                         loss_samples=100), seed=7)
    assert other["expressibility_fp"] == rec["expressibility_fp"]
    assert other["loss_var"] == rec["loss_var"]
    assert other["entangling_capability"] != rec["entangling_capability"]


SMALL = MetricSpec(n_states=200, n_pairs=100, ec_samples=20, loss_samples=50)


def test_theory_note_where_the_formula_does_not_apply():
    # RY-only real circuits: mean Z is not in the algebra (see etr.theory)
    a = hardware_efficient(4, 2, rotations="RY", topology="linear")
    rec = circuit_record(a, SMALL, seed=1)
    assert np.isnan(rec["predicted_loss_var"]) and rec["theory_note"]
    b = sim_circuit(6, n_qubits=4, layers=2)
    rec = circuit_record(b, SMALL, seed=1)
    assert np.isfinite(rec["predicted_loss_var"]) and rec["theory_note"] is None


def test_the_backend_reaches_every_measure_and_qutip_agrees():
    """circuit_record through the QuTiP reference (the one factory's reference option): every
    column agrees with the fast path on the same draws (the histogram KLs may move by one bin
    count when a fidelity sits on a bin edge, so they are compared to a count's worth)."""
    from etr.quantum import backend_for

    a = hardware_efficient(2, 2, topology="linear", rotations="RX+RY+RZ")
    sizes = MetricSpec(n_states=40, n_pairs=40, ec_samples=10, loss_samples=20,
                       qfim_samples=1)
    fast = circuit_record(a, sizes, seed=3)
    ref = circuit_record(a, sizes, seed=3, backend=backend_for(reference=True))
    for col in CIRCUIT_COLUMNS:
        if col == "theory_note":
            assert fast[col] == ref[col]
        elif col.startswith("expressibility_kl"):
            assert abs(fast[col] - ref[col]) < 0.5, col
        else:
            assert np.isclose(fast[col], ref[col], rtol=1e-9, atol=1e-12), col


def test_circuit_columns_are_noise_free_properties():
    import pytest

    from etr.errors import InputError
    from etr.quantum import DensityMatrixBackend, NoiseModel, backend_for

    a = hardware_efficient(2, 1)
    for backend in (backend_for(noise=NoiseModel(depolarizing=0.01)), backend_for(shots=10)):
        with pytest.raises(InputError, match="noise-free"):
            circuit_record(a, SMALL, seed=1, backend=backend)
    # a noiseless density-matrix backend gives pure states as matrices: the QFIM rank, a
    # pure-state formula on state derivatives, says so
    with pytest.raises(InputError, match="pure states"):
        circuit_record(a, SMALL, seed=1, backend=DensityMatrixBackend())
