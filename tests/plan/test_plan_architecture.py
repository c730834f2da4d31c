"""Architectures in the data layer: labels, ids, parameter counts against the model."""

from __future__ import annotations

import pytest

from etr.errors import InputError
from etr.plan import Architecture, network_sizes, parse_classical


@pytest.mark.parametrize("spec", ["８-tanh", "8-tanh ", "08-tanh", "8 -tanh", "٨-tanh",
                                  "x" * 200_000])
def test_classical_specs_are_ascii_labels_with_one_spelling(spec):
    with pytest.raises(InputError) as info:
        parse_classical(spec)
    assert len(str(info.value)) < 200  # a long label is cut in the message


def test_one_spelling_per_network():
    assert parse_classical("8-tanh") == ((8,), "tanh")
    assert parse_classical("16-8-relu") == ((16, 8), "relu")


@pytest.mark.parametrize("config", ["pure_pqc", "hybrid_quantum_only", "hybrid_full"])
@pytest.mark.parametrize(("n", "enc", "pre", "post"), [
    (2, "ry", "none", "none"), (3, "ryrz", "8-tanh", "4-relu"), (4, "hrz", "16-8-relu", "none"),
])
def test_classical_parameter_count_equals_the_model(config, n, enc, pre, post):
    from etr.hybrid import HybridModel

    arch = Architecture(n_qubits=n, layers=1, encoding=enc, classical_pre=pre,
                        classical_post=post)
    used = arch.without_classical() if config == "pure_pqc" else arch
    width = 2 * n if enc == "ryrz" else n
    n_features = width if pre == "none" or config == "pure_pqc" else 5
    model = HybridModel(used, config, n_features)
    assert used.n_classical_params(config, n_features) == model.n_classical_params


def test_network_sizes():
    assert network_sizes("none", 3, 3) == (3,)
    assert network_sizes("none", 3, 1, role="classical_post") == (3, 1)
    with pytest.raises(InputError, match="role"):
        network_sizes("none", 3, 1, role="middle")
