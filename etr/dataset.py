"""The metric dataset on disk: Parquet (default) or CSV, with provenance, validated on read.

The file format of the dataset contract (`etr.contract`), beside it at the bottom of the layers:
``etr simulate`` and ``etr nas`` write datasets, `etr.report` reads them, and none of them needs
the others for it.

A dataset holds exactly the columns of `etr.contract.COLUMNS`, in that order. Provenance (etr
version, the full spec, root seed, creation time, platform) travels with the file:

* Parquet: JSON under the schema metadata key ``b"etr.provenance"``;
* CSV: a first line ``# etr-provenance: {json}`` (read it with ``pandas.read_csv(path,
  skiprows=1)`` if you do not use `read_dataset`).

Files are written atomically (a temporary file in the same directory, then `os.replace`), so a
reader never sees half a dataset.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from etr import __version__
from etr._outputs import atomic_write
from etr._validation import check_choice
from etr.contract import COLUMNS, coerce_dtypes, validate_dataset
from etr.errors import InputError

__all__ = [
    "FORMATS",
    "FORMAT_SUFFIXES",
    "PROVENANCE_KEY",
    "base_provenance",
    "check_format",
    "empty_dataset",
    "infer_format",
    "read_dataset",
    "write_dataset",
]

FORMATS: tuple[str, ...] = ("parquet", "csv")
#: file suffixes of each format; a dataset's suffix must name its format.
FORMAT_SUFFIXES: dict[str, tuple[str, ...]] = {"parquet": (".parquet", ".pq"), "csv": (".csv",)}
PROVENANCE_KEY = b"etr.provenance"
_CSV_PREFIX = "# etr-provenance: "


def base_provenance() -> dict[str, object]:
    """Provenance fields every dataset gets: etr version, creation time (UTC), platform.

    Examples
    --------
    >>> sorted(base_provenance())
    ['created', 'etr_version', 'platform', 'python']
    """
    return {
        "etr_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }


def empty_dataset() -> pd.DataFrame:
    """A dataset with the contract's columns and dtypes and no rows."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in COLUMNS.items()})


def infer_format(path: str | os.PathLike[str]) -> str:
    """``"csv"`` for a ``.csv`` suffix, else ``"parquet"``.

    Examples
    --------
    >>> infer_format("data/quick.csv"), infer_format("data/quick.parquet")
    ('csv', 'parquet')
    """
    return "csv" if Path(path).suffix.lower() == ".csv" else "parquet"


def check_format(path: str | os.PathLike[str], fmt: str | None = None, *, option: str = "output",
                 fmt_name: str = "fmt", error: type[InputError] = InputError) -> str:
    """The format of dataset `path`: `fmt` if given, else from the suffix; the suffix must be one
    of `FORMAT_SUFFIXES` and agree with `fmt`.

    Examples
    --------
    >>> check_format("d.csv"), check_format("d.parquet", "parquet")
    ('csv', 'parquet')
    >>> check_format("d.parquet", "csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    etr.errors.InputError: `fmt` csv does not match `output` d.parquet: a csv dataset ends in ...
    """
    if fmt is not None:
        check_choice(fmt_name, fmt, FORMATS, error=error)
    suffix = Path(path).suffix.lower()
    found = next((f for f, sfx in FORMAT_SUFFIXES.items() if suffix in sfx), None)
    if found is None:
        allowed = " or ".join(s for sfx in FORMAT_SUFFIXES.values() for s in sfx)
        raise error(f"`{option}` {path} must end in {allowed}")
    if fmt is not None and fmt != found:
        raise error(f"`{fmt_name}` {fmt} does not match `{option}` {path}: a {fmt} dataset ends in "
                    f"{' or '.join(FORMAT_SUFFIXES[fmt])}")
    return found


def _conform(df: pd.DataFrame) -> pd.DataFrame:
    """Exactly the contract columns, in order, with contract dtypes."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"dataset is missing column(s): {', '.join(missing)}")
    extra = [c for c in df.columns if c not in COLUMNS]
    if extra:
        raise InputError(f"dataset has column(s) outside the contract: {', '.join(extra)}")
    return coerce_dtypes(df[list(COLUMNS)]).reset_index(drop=True)


def write_dataset(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    provenance: dict | None = None,
    fmt: str | None = None,
) -> Path:
    """Write a dataset atomically with its provenance.

    Parameters
    ----------
    df : DataFrame with exactly the columns of `etr.contract.COLUMNS` (any order; written in
        contract order with contract dtypes).
    path : output file; its directory must exist.
    provenance : JSON-serialisable mapping stored in the file (`base_provenance` is merged in).
    fmt : ``"parquet"`` or ``"csv"``; default from the suffix, which must agree with it
        (`check_format`).

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    etr.errors.InputError
        Columns outside the contract or missing, unknown format or one the suffix contradicts,
        missing directory, a failed write (`etr._outputs.WriteError`; nothing is left behind).

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> p = write_dataset(empty_dataset(), os.path.join(d, "x.parquet"), provenance={"a": 1})
    >>> p.name
    'x.parquet'
    """
    path = Path(path)
    fmt = check_format(path, fmt)
    if not path.parent.exists():
        raise InputError(f"output directory `{path.parent}` does not exist")
    data = _conform(df)
    prov = {**base_provenance(), **(provenance or {})}
    text = json.dumps(prov, sort_keys=True, default=str)
    if fmt == "parquet":
        table = pa.Table.from_pandas(data, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[PROVENANCE_KEY] = text.encode()
        with atomic_write(path, binary=True) as fh:
            pq.write_table(table.replace_schema_metadata(meta), fh)
    else:
        with atomic_write(path, newline="") as fh:
            fh.write(_CSV_PREFIX + text + "\n")
            data.to_csv(fh, index=False)
    return path


def read_dataset(path: str | os.PathLike[str], *, validate: bool = True) -> pd.DataFrame:
    """Read a dataset written by `write_dataset` (or any Parquet/CSV with contract columns).

    Parameters
    ----------
    path : a ``.parquet`` or ``.csv`` file.
    validate : check it with `etr.contract.validate_dataset` (contract dtypes, required columns).

    Returns
    -------
    pandas.DataFrame
        One row per run; ``df.attrs["provenance"]`` holds the provenance dict (empty if the file
        has none).

    Raises
    ------
    etr.errors.InputError
        Missing or unreadable file, or a dataset that does not satisfy the contract.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.csv")
    >>> _ = write_dataset(empty_dataset(), p, provenance={"root_seed": 7})
    >>> read_dataset(p, validate=False).attrs["provenance"]["root_seed"]
    7
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"dataset `{path}` does not exist")
    prov: dict = {}
    try:
        if infer_format(path) == "csv":
            with open(path, encoding="utf-8") as fh:
                first = fh.readline()
            skip = 0
            if first.startswith(_CSV_PREFIX):
                prov = json.loads(first[len(_CSV_PREFIX):])
                skip = 1
            dtypes = {c: d for c, d in COLUMNS.items() if d == "string"}
            df = pd.read_csv(path, skiprows=skip, dtype=dtypes, keep_default_na=True)
        else:
            table = pq.read_table(path)
            meta = table.schema.metadata or {}
            if PROVENANCE_KEY in meta:
                prov = json.loads(meta[PROVENANCE_KEY])
            df = table.to_pandas()
    except (OSError, pa.ArrowException, pd.errors.ParserError, pd.errors.EmptyDataError,
            UnicodeDecodeError, json.JSONDecodeError) as exc:  # a file that is not a dataset
        raise InputError(f"cannot read dataset `{path}`: {str(exc).splitlines()[0]}") from None
    df = validate_dataset(df) if validate else coerce_dtypes(df)
    df.attrs["provenance"] = prov
    return df
