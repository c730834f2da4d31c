from __future__ import annotations

import pytest

from etr.nas import SearchSpace


@pytest.fixture()
def small_space() -> SearchSpace:
    return SearchSpace(n_qubits=(2, 3), layers=(1, 3), topologies=("linear", "ring"),
                       rotations=("RY", "RY+RZ"), entanglers=("CZ",), encodings=("ry",),
                       reupload=(False, True), pre_depth=(0, 1), post_depth=(0, 0),
                       widths=(4,), activations=("tanh",))
