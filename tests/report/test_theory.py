"""Theory tables against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etr.report import theory as T


def _runs() -> pd.DataFrame:
    # circuit a: 2 pure runs (grad_var 1 and 3) and a hybrid run (grad_var 100, not used);
    # b: prediction 0.1, measured 0.2 (ratio 2: not explained); c: no prediction (reason)
    rows = [
        dict(pqc_id="a", training_config="pure_pqc", grad_var=1.0, loss_var=0.09),
        dict(pqc_id="a", training_config="pure_pqc", grad_var=3.0, loss_var=0.09),
        dict(pqc_id="a", training_config="hybrid_full", grad_var=100.0, loss_var=0.09),
        dict(pqc_id="b", training_config="pure_pqc", grad_var=0.5, loss_var=0.2),
        dict(pqc_id="c", training_config="pure_pqc", grad_var=0.1, loss_var=0.05),
        dict(pqc_id=None, training_config="classical_only", grad_var=np.nan, loss_var=np.nan),
    ]
    df = pd.DataFrame(rows)
    design = {"a": ("hea", "hea", "linear", 2, 1), "b": ("hea", "hea", "ring", 2, 3),
              "c": ("sim", "sim9", "n/a", 4, 1)}
    for col, i in (("family", 0), ("circuit", 1), ("topology", 2), ("n_qubits", 3),
                   ("layers", 4)):
        df[col] = [design[p][i] if isinstance(p, str) else None for p in df["pqc_id"]]
    df["predicted_loss_var"] = df["pqc_id"].map({"a": 0.1, "b": 0.1, "c": np.nan})
    df["theory_note"] = df["pqc_id"].map({"c": "not applicable: O not in ig (e.g. XIII, IZZZ)"})
    df["dla_dim"] = df["pqc_id"].map({"a": 6.0, "b": 15.0, "c": 4.0})
    return df


def test_circuit_table():
    c = T.circuit_table(_runs()).set_index("pqc_id")
    assert list(c.index) == ["a", "b", "c"]  # the control has no circuit
    assert c.loc["a", "grad_var"] == 2.0      # pure runs only
    assert c.loc["a", "ratio"] == pytest.approx(0.9) and bool(c.loc["a", "within_tolerance"])
    assert c.loc["b", "ratio"] == pytest.approx(2.0) and not c.loc["b", "within_tolerance"]
    assert pd.isna(c.loc["c", "ratio"]) and pd.isna(c.loc["c", "within_tolerance"])
    assert c.loc["a", "structure"] == "hea linear, 2q" and c.loc["c", "structure"] == "sim9, 4q"


def test_explained_and_not_applicable_tables():
    c = T.circuit_table(_runs())
    ex = T.explained_table(c).set_index(["family", "n_qubits", "layers"])
    # too shallow for the deep-circuit prediction (L < 3 n): counted, never explained or not
    assert ex.loc[("hea", 2, 1), ["circuits", "predicted"]].tolist() == [1, 1]
    assert pd.isna(ex.loc[("hea", 2, 1), "explained"])
    assert pd.isna(ex.loc[("hea", 2, 3), "explained"])
    deep = T.explained_table(T.circuit_table(_runs().assign(layers=6)))
    deep = deep.set_index(["family", "n_qubits", "layers"])
    assert deep.loc[("hea", 2, 6), ["circuits", "predicted", "explained"]].tolist() == [2, 2, 1]
    assert ex.loc[("sim", 4, 1), "not_applicable"] == 1
    na = T.not_applicable_table(c)
    assert na.to_dict("records") == [{"reason": "not applicable: O not in ig", "family": "sim",
                                      "circuits": 1}]


def test_tolerance_boundary():
    df = _runs().assign(loss_var=0.1 * (1 + T.TOLERANCE))
    c = T.circuit_table(df).set_index("pqc_id")
    assert bool(c.loc["a", "within_tolerance"])
    df = _runs().assign(loss_var=0.1 * (1 + T.TOLERANCE) * 1.01)
    assert not bool(T.circuit_table(df).set_index("pqc_id").loc["a", "within_tolerance"])


def test_no_theory_columns():
    df = _runs().drop(columns=["loss_var", "predicted_loss_var", "theory_note"])
    c = T.circuit_table(df)
    assert "ratio" not in c.columns
    assert T.explained_table(c).empty and T.not_applicable_table(c).empty


@pytest.mark.parametrize("rotations, want", [("RY+RZ", 0.5), ("RX+RY+RZ", 0.25), ("RY", 0.5),
                                             ("RX+RY", 0.25), ("RZ", 1.0)])
def test_single_qubit_second_moment_is_the_integral(rotations, want):
    # E[<Z>^2] over uniform angles by a grid that integrates trigonometric polynomials of
    # degree <= 2 in each angle exactly
    from itertools import product

    def rot(axis: str, a: float) -> np.ndarray:
        c, s = np.cos(a / 2), np.sin(a / 2)
        return {"RX": np.array([[c, -1j * s], [-1j * s, c]]),
                "RY": np.array([[c, -s], [s, c]]),
                "RZ": np.array([[np.exp(-1j * a / 2), 0], [0, np.exp(1j * a / 2)]])}[axis]

    axes = rotations.split("+")
    grid = np.arange(5) * 2 * np.pi / 5
    vals = []
    for angles in product(grid, repeat=len(axes)):
        psi = np.array([1.0, 0.0], dtype=complex)
        for ax, a in zip(axes, angles, strict=True):
            psi = rot(ax, a) @ psi
        vals.append((abs(psi[0]) ** 2 - abs(psi[1]) ** 2) ** 2)
    assert np.mean(vals) == pytest.approx(want, abs=1e-12)
    assert T._z_second_moment(rotations) == pytest.approx(want)


@pytest.mark.slow
def test_measured_over_predicted_converges_with_depth_and_starts_at_the_single_layer_value():
    # the deep-circuit prediction is reached by L = 3 n (the report's rule), and at L = 1 the
    # ratio is the closed-form single-layer value, not an approach to it
    from etr.circuits import hardware_efficient
    from etr.theory import measured_loss_variance, predicted_variance, readout_observable

    for n in (4, 6):
        obs = readout_observable(n)
        for top, rot, ent in (("none", "RY+RZ", "CZ"), ("ring", "RX+RY+RZ", "CZ"),
                              ("ring", "RX+RY+RZ", "CNOT")):
            for layers in (1, 3 * n):
                a = hardware_efficient(n, layers, topology=top, rotations=tuple(rot.split("+")),
                                       entangler=ent)
                pred = predicted_variance(a, obs).value
                meas = measured_loss_variance(a, obs, n_samples=4000, seed=layers + 10 * n)
                ratio, se = meas.value / pred, meas.se / pred
                if layers == 1:
                    exact = T.single_layer_ratio(rot, ent, top, n, pred)
                    if np.isfinite(exact):
                        assert abs(ratio - exact) <= 4 * se, (n, top, rot, ent, ratio, exact)
                else:
                    assert T.deep_enough(n, layers)
                    assert abs(ratio - 1.0) <= T.TOLERANCE, (n, top, rot, ent, ratio)
