"""Observables: the global projector, Pauli strings and Qobj, against qutip's own operators."""

from __future__ import annotations

import numpy as np
import pytest
import qutip

from etr.errors import InputError
from etr.quantum import parse_observable

QT = {"I": qutip.qeye(2), "X": qutip.sigmax(), "Y": qutip.sigmay(), "Z": qutip.sigmaz()}


@pytest.mark.parametrize("label", ["ZIII", "IZII", "XYZI", "YYII", "IXIY", "ZZZZ", "YIII"])
def test_pauli_string_matches_qutip_tensor(label: str) -> None:
    obs = parse_observable(label, 4)
    want = qutip.tensor([QT[c] for c in label]).full()
    np.testing.assert_allclose(obs.to_qobj().full(), want, atol=1e-15)
    assert obs.is_real == (label.count("Y") % 2 == 0)


def test_global_is_projector_onto_zero() -> None:
    obs = parse_observable("global", 3)
    want = qutip.ket2dm(qutip.basis([2] * 3, [0] * 3)).full()
    np.testing.assert_allclose(obs.to_qobj().full(), want)


def test_qobj_observable_expectation() -> None:
    op = qutip.tensor(qutip.sigmax(), qutip.sigmay()) + 0.5 * qutip.tensor(qutip.sigmaz(),
                                                                          qutip.qeye(2))
    obs = parse_observable(op, 2)
    psi = qutip.rand_ket(4, seed=3)
    psi.dims = [[2, 2], [1, 1]]
    got = obs.expectation(psi.full().T)
    assert got[0] == pytest.approx(qutip.expect(op, psi))


@pytest.mark.parametrize("bad", ["ZZ", "ZIIA", "local", 3, "ZII I"])
def test_bad_observables_name_argument(bad: object) -> None:
    with pytest.raises(InputError, match="`observable`"):
        parse_observable(bad, 4)


def test_non_hermitian_or_wrong_size_qobj() -> None:
    with pytest.raises(InputError, match="`observable`"):
        parse_observable(qutip.sigmap(), 1)
    with pytest.raises(InputError, match="`observable`"):
        parse_observable(qutip.sigmaz(), 2)
