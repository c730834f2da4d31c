from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etr.contract import COLUMNS
from etr.errors import InputError
from etr.experiment import empty_dataset, read_dataset, write_dataset


def _rows(n: int = 3) -> pd.DataFrame:
    df = empty_dataset()
    rows = []
    for i in range(n):
        row = {c: np.nan for c in COLUMNS}
        row.update(
            cell_id=f"c{i}", architecture_id="a" * 12, pqc_id="b" * 12, family="hea",
            circuit="hea", n_qubits=2 + i, layers=1, topology="ring", rotations="RY",
            entangler="CZ", encoding="ry", reupload=bool(i % 2), classical_pre="none",
            classical_post="8-tanh", n_quantum_params=4, n_classical_params=0, seed=i,
            training_config="pure_pqc", task="moons", expressibility_kl=0.1 * i,
            grad_var=1e-3 / (i + 1), status="ok", error=pd.NA, wall_time_s=0.5,
        )
        rows.append(row)
    rows[-1].update(status="failed", error="RuntimeError: boom, #1", grad_var=np.nan)
    return pd.concat([df, pd.DataFrame(rows)], ignore_index=True)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_roundtrip_keeps_values_dtypes_and_provenance(tmp_path, fmt):
    df = _rows()
    path = write_dataset(df, tmp_path / f"d.{fmt}", provenance={"root_seed": 5, "spec": {"x": 1}})
    back = read_dataset(path)
    assert list(back.columns) == list(COLUMNS)
    assert {c: str(back[c].dtype) for c in back.columns} == COLUMNS
    pd.testing.assert_frame_equal(back, read_dataset(path))
    assert back["error"].iloc[-1] == "RuntimeError: boom, #1"
    assert back["error"].isna().sum() == 2
    assert back["reupload"].tolist() == [False, True, False]
    np.testing.assert_array_equal(back["grad_var"].to_numpy(), df["grad_var"].to_numpy(float))
    prov = back.attrs["provenance"]
    assert prov["root_seed"] == 5 and prov["spec"] == {"x": 1}
    assert {"etr_version", "created", "platform"} <= set(prov)


def test_write_rejects_extra_and_missing_columns(tmp_path):
    df = _rows()
    with pytest.raises(InputError, match="outside the contract: extra"):
        write_dataset(df.assign(extra=1), tmp_path / "d.parquet")
    with pytest.raises(InputError, match=r"missing column.*grad_var"):
        write_dataset(df.drop(columns="grad_var"), tmp_path / "d.parquet")
    assert not list(tmp_path.iterdir())


def test_write_errors_on_missing_directory_and_bad_format(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        write_dataset(_rows(), tmp_path / "nope" / "d.parquet")
    with pytest.raises(InputError, match="`fmt`"):
        write_dataset(_rows(), tmp_path / "d.parquet", fmt="xlsx")


def test_read_missing_file_and_invalid_dataset(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_dataset(tmp_path / "none.parquet")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="missing required column"):
        read_dataset(bad)


def test_written_file_gets_the_umask_mode(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        path = write_dataset(_rows(), tmp_path / "d.parquet")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["d.parquet"]  # no temporary file left
